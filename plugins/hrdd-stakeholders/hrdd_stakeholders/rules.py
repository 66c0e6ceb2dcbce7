"""The stakeholder rules: loading and validating ``data/stakeholders.toml``."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from hrdd import (
    CONTRACT_CLAUSES,
    KYC_QUESTIONS,
    PARTY_ROLES,
    SECTORS,
    DataSet,
    PolicyError,
    Problem,
    Severity,
    read_data_file,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_NAME = "stakeholders.toml"
KYC_SEVERITIES = ("medium", "high", "critical")
LISTED_RELATIONSHIPS = ("director_overlap", "ownership", "successor")
MAX_POINTS = 3


def default_data_path() -> Path:
    """The shipped rules: inside the package in a wheel, beside it in a source tree."""
    inside = PACKAGE_DIR / "data" / DATA_NAME
    return inside if inside.is_file() else PACKAGE_DIR.parent / "data" / DATA_NAME


@attrs.frozen
class KycFlag:
    """One BIS Know Your Customer red flag and how the plugin weighs it."""

    question: str
    label: str
    severity: Severity
    listed_party: bool
    inquiry: str
    relationship: str | None = None


@attrs.frozen
class RoleWeight:
    """How much an intermediary's role obscures who receives the items (opacity points)."""

    role: str
    present: int
    third_country: int
    note: str


@attrs.frozen
class StakeholderRules:
    """Everything the checks read from the data file, validated."""

    kyc: Mapping[str, KycFlag]
    roles: Mapping[str, RoleWeight]
    opacity_medium_at: int
    opacity_high_at: int
    forwarder_final_points: int
    sensitive_sectors: frozenset[str]
    red_flag_1_safeguards: tuple[str, ...]
    soe_safeguards: tuple[str, ...]
    dataset: DataSet

    def opacity_level(self, points: int) -> str:
        if points >= self.opacity_high_at:
            return "high"
        if points >= self.opacity_medium_at:
            return "medium"
        return "low"


# --------------------------------------------------------------------------------------
# Validation: every problem of the file is collected and raised together
# --------------------------------------------------------------------------------------


def _table(
    data: Mapping[str, Any], key: str, source: str, problems: list[Problem]
) -> Mapping[str, Any] | None:
    """A top-level table, or None (and a problem) when it is missing or not a table."""
    value = data.get(key)
    if not isinstance(value, dict):
        problems.append(Problem(source, f"$.{key}", "missing table" if value is None else "must be a table"))
        return None
    return value


def _text(row: Mapping[str, Any], key: str, where: str, source: str, problems: list[Problem]) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(source, f"{where}.{key}", f"{value!r}: expected a non-empty string"))
        return ""
    return value


def _kyc(data: Mapping[str, Any], source: str, problems: list[Problem]) -> dict[str, KycFlag]:
    rows = _table(data, "kyc", source, problems)
    flags: dict[str, KycFlag] = {}
    if rows is None:
        return flags
    for question in KYC_QUESTIONS:
        where = f"$.kyc.{question}"
        row = rows.get(question)
        if row is None:
            problems.append(Problem(source, where, "missing: every BIS red-flag question needs a row"))
            continue
        if not isinstance(row, dict):
            problems.append(Problem(source, where, "must be a table"))
            continue
        label = _text(row, "label", where, source, problems)
        inquiry = _text(row, "inquiry", where, source, problems)
        severity = row.get("severity")
        if severity not in KYC_SEVERITIES:
            problems.append(
                Problem(
                    source, f"{where}.severity", f"{severity!r}: expected one of {', '.join(KYC_SEVERITIES)}"
                )
            )
        listed = row.get("listed_party")
        if not isinstance(listed, bool):
            problems.append(Problem(source, f"{where}.listed_party", f"{listed!r}: expected true or false"))
        relationship = row.get("relationship")
        if relationship is not None and relationship not in LISTED_RELATIONSHIPS:
            problems.append(
                Problem(
                    source,
                    f"{where}.relationship",
                    f"{relationship!r}: expected one of {', '.join(LISTED_RELATIONSHIPS)}",
                )
            )
        elif relationship is not None and listed is False:
            problems.append(
                Problem(source, f"{where}.relationship", "only a listed-party flag names a relationship")
            )
        if severity in KYC_SEVERITIES and isinstance(listed, bool):
            flags[question] = KycFlag(
                question, label, Severity(severity), listed, inquiry, relationship if listed else None
            )
    problems.extend(
        Problem(source, f"$.kyc.{name}", "not a BIS red-flag question of the transaction schema")
        for name in rows
        if name not in KYC_QUESTIONS
    )
    return flags


def _points(row: Mapping[str, Any], key: str, where: str, source: str, problems: list[Problem]) -> int:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POINTS:
        problems.append(
            Problem(source, f"{where}.{key}", f"{value!r}: expected an integer from 0 to {MAX_POINTS}")
        )
        return 0
    return value


def _roles(data: Mapping[str, Any], source: str, problems: list[Problem]) -> dict[str, RoleWeight]:
    rows = _table(data, "roles", source, problems)
    roles: dict[str, RoleWeight] = {}
    if rows is None:
        return roles
    for role in PARTY_ROLES:
        where = f"$.roles.{role}"
        row = rows.get(role)
        if row is None:
            problems.append(Problem(source, where, "missing: every party role needs opacity points"))
            continue
        if not isinstance(row, dict):
            problems.append(Problem(source, where, "must be a table"))
            continue
        present = _points(row, "present", where, source, problems)
        third = _points(row, "third_country", where, source, problems)
        note = _text(row, "note", where, source, problems)
        roles[role] = RoleWeight(role, present, third, note)
    problems.extend(
        Problem(source, f"$.roles.{name}", "not a party role of the transaction schema")
        for name in rows
        if name not in PARTY_ROLES
    )
    return roles


def _threshold(row: Mapping[str, Any], key: str, source: str, problems: list[Problem]) -> int:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append(Problem(source, f"$.opacity.{key}", f"{value!r}: expected an integer of at least 1"))
        return 1
    return value


def _names(
    row: Mapping[str, Any],
    key: str,
    where: str,
    allowed: tuple[str, ...],
    source: str,
    problems: list[Problem],
) -> tuple[str, ...]:
    value = row.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(source, f"{where}.{key}", f"{value!r}: expected a list of names"))
        return ()
    for index, name in enumerate(value):
        if name not in allowed:
            problems.append(
                Problem(source, f"{where}.{key}[{index}]", f"{name!r} is not one of: {', '.join(allowed)}")
            )
    return tuple(v for v in value if v in allowed)


def load_rules(path: Path) -> StakeholderRules:
    """Load and check a stakeholder-rules file; every problem of the file (provenance and
    body) is reported together.

    :raises PolicyError: the file is missing, malformed or incomplete.
    """
    data, dataset, problems = read_data_file(path)
    source = str(path)
    kyc = _kyc(data, source, problems)
    roles = _roles(data, source, problems)
    opacity = _table(data, "opacity", source, problems)
    medium_at = _threshold(opacity, "medium_at", source, problems) if opacity is not None else 1
    high_at = _threshold(opacity, "high_at", source, problems) if opacity is not None else 1
    forwarder = (
        _points(opacity, "forwarder_final_destination", "$.opacity", source, problems)
        if opacity is not None
        else 0
    )
    if opacity is not None and high_at < medium_at:
        problems.append(
            Problem(source, "$.opacity.high_at", f"{high_at}: must not be below medium_at ({medium_at})")
        )
    others = _table(data, "other_end_users", source, problems)
    sectors = (
        _names(others, "sensitive_sectors", "$.other_end_users", SECTORS, source, problems)
        if others is not None
        else ()
    )
    red_flag_1 = _table(data, "red_flag_1", source, problems)
    rf1 = (
        _names(red_flag_1, "safeguards", "$.red_flag_1", CONTRACT_CLAUSES, source, problems)
        if red_flag_1 is not None
        else ()
    )
    soe = _table(data, "soe", source, problems)
    soe_clauses = (
        _names(soe, "safeguards", "$.soe", CONTRACT_CLAUSES, source, problems) if soe is not None else ()
    )
    if problems or dataset is None:
        raise PolicyError(problems)
    return StakeholderRules(
        kyc=kyc,
        roles=roles,
        opacity_medium_at=medium_at,
        opacity_high_at=high_at,
        forwarder_final_points=forwarder,
        sensitive_sectors=frozenset(sectors),
        red_flag_1_safeguards=rf1,
        soe_safeguards=soe_clauses,
        dataset=dataset,
    )


@functools.lru_cache(maxsize=16)
def _load_cached(path: Path, mtime_ns: int, size: int) -> StakeholderRules:
    return load_rules(path)


def rules_for(path: Path) -> StakeholderRules:
    """The rules in ``path``, validated once per file version (engines share them)."""
    try:
        stat = path.stat()
    except OSError:
        return load_rules(path)  # reports the missing file with its name
    return _load_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)
