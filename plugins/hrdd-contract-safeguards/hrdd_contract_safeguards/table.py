"""The safeguards table: loading and checking ``data/safeguards.toml`` (risk weights, the
safeguards and what each risk level requires)."""

from __future__ import annotations

import functools
import itertools
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from hrdd import CONTRACT_CLAUSES, POST_EXPORT_MEASURES, DataSet, PolicyError, Problem, read_data_file

PACKAGE_DIR = Path(__file__).resolve().parent
LEVELS = ("low", "medium", "high", "critical")
KINDS = {"clause": "clauses", "post_export": "post_export"}
# public_reporting is a clause of the transaction schema, but hrdd-public-reporting checks it:
# two plugins asking for one clause would report it twice.
CLAUSES = tuple(c for c in CONTRACT_CLAUSES if c != "public_reporting")
MAX_POINTS = 10  # per value: a weight beyond it would swamp every other factor

# The risk factors, the fact each weighs, and the values a weight is needed for.
FACTORS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "misuse_potential": (None, ("unknown",)),
    "destination_tier": ("destination.risk_tier", ("low", "moderate", "high", "very_high", "unknown")),
    "legal_risk": ("destination.legal_risk", ("low", "moderate", "high", "very_high", "unknown")),
    "government_linked": ("end_user.government_linked", ("yes", "no", "unknown")),
    "sensitive_function": ("end_user.sensitive_function", ("yes", "no", "unknown")),
    "credible_misuse": ("end_user.credible_misuse", ("yes", "no", "unknown")),
    "opacity": ("stakeholders.opacity", ("low", "medium", "high", "unknown")),
    "sensitive_events": ("context.sensitive_events", ("yes", "no", "unknown")),
}


def default_data_path() -> Path:
    """The shipped table: inside the package in a wheel, beside it in a source tree."""
    inside = PACKAGE_DIR / "data" / "safeguards.toml"
    return inside if inside.is_file() else PACKAGE_DIR.parent / "data" / "safeguards.toml"


@attrs.frozen
class Safeguard:
    """A contract clause or post-export measure, and what to add when it is missing."""

    name: str
    kind: str  # "clause" or "post_export"
    label: str
    remediation: str
    origin: str


@attrs.frozen
class Requirement:
    """What one risk level requires: contract clauses and post-export measures, in table order."""

    clauses: tuple[str, ...]
    post_export: tuple[str, ...]


@attrs.frozen
class SafeguardTable:
    weights: Mapping[str, Mapping[str, int]]
    thresholds: tuple[tuple[int, str], ...]  # (lowest points, level), gravest first
    safeguards: Mapping[str, Safeguard]
    levels: Mapping[str, Requirement]
    dataset: DataSet

    def level_for(self, points: int) -> str:
        return next((level for floor, level in self.thresholds if points >= floor), "low")


def _weights(rows: Any, source: str, problems: list[Problem]) -> dict[str, dict[str, int]]:
    if not isinstance(rows, dict):
        problems.append(Problem(source, "$.risk", "missing table of risk weights ([risk.<factor>])"))
        return {}
    weights: dict[str, dict[str, int]] = {}
    for factor, (_fact, values) in FACTORS.items():
        row = rows.get(factor)
        where = f"$.risk.{factor}"
        if not isinstance(row, dict):
            problems.append(Problem(source, where, f"missing: needs a weight for {', '.join(values)}"))
            continue
        weights[factor] = {}
        for value in values:
            weight = row.get(value)
            if type(weight) is not int or not 0 <= weight <= MAX_POINTS:
                problems.append(
                    Problem(
                        source, f"{where}.{value}", f"{weight!r}: expected an integer from 0 to {MAX_POINTS}"
                    )
                )
            else:
                weights[factor][value] = weight
        for extra in sorted(set(row) - set(values)):
            problems.append(
                Problem(source, f"{where}.{extra}", f"not a value of {factor} ({', '.join(values)})")
            )
    for extra in sorted(set(rows) - set(FACTORS) - {"levels"}):
        problems.append(Problem(source, f"$.risk.{extra}", f"not a risk factor ({', '.join(FACTORS)})"))
    return weights


def _thresholds(rows: Any, source: str, problems: list[Problem]) -> tuple[tuple[int, str], ...]:
    if not isinstance(rows, dict):
        problems.append(
            Problem(source, "$.risk.levels", "missing: the lowest points of medium, high, critical")
        )
        return ()
    floors: list[tuple[int, str]] = []
    for level in LEVELS[1:]:
        floor = rows.get(level)
        if type(floor) is not int or floor < 1:
            problems.append(
                Problem(source, f"$.risk.levels.{level}", f"{floor!r}: expected a positive integer")
            )
        else:
            floors.append((floor, level))
    if len(floors) == 3 and not floors[0][0] < floors[1][0] < floors[2][0]:
        problems.append(
            Problem(
                source,
                "$.risk.levels",
                "levels must rise: medium < high < critical ("
                + ", ".join(f"{level} = {floor}" for floor, level in floors)
                + ")",
            )
        )
    for extra in sorted(set(rows) - set(LEVELS[1:])):
        problems.append(Problem(source, f"$.risk.levels.{extra}", "not a level (medium, high, critical)"))
    return tuple(reversed(floors))


def _safeguards(rows: Any, source: str, problems: list[Problem]) -> dict[str, Safeguard]:
    if not isinstance(rows, dict):
        problems.append(Problem(source, "$.safeguards", "missing table of safeguards"))
        return {}
    expected = {**{c: "clause" for c in CLAUSES}, **{m: "post_export" for m in POST_EXPORT_MEASURES}}
    safeguards = {}
    for name, kind in expected.items():
        row = rows.get(name)
        where = f"$.safeguards.{name}"
        if not isinstance(row, dict):
            problems.append(
                Problem(source, where, "missing: every safeguard needs a label and a remediation")
            )
            continue
        if row.get("kind") != kind:
            problems.append(Problem(source, f"{where}.kind", f"{row.get('kind')!r}: expected {kind!r}"))
            continue
        texts: dict[str, str] = {}
        empty: list[str] = []
        for key in ("label", "remediation", "origin"):
            text = row.get(key)
            if isinstance(text, str) and text.strip():
                texts[key] = text
            else:
                empty.append(key)
        if empty:
            problems.extend(Problem(source, f"{where}.{key}", "must be a non-empty string") for key in empty)
            continue
        safeguards[name] = Safeguard(name, kind, texts["label"], texts["remediation"], texts["origin"])
    for name in sorted(set(rows) - set(expected)):
        why = (
            "is checked by hrdd-public-reporting, not here"
            if name == "public_reporting"
            else "not a contract clause or post-export measure of the transaction schema"
        )
        problems.append(Problem(source, f"$.safeguards.{name}", why))
    return safeguards


def _levels(rows: Any, source: str, problems: list[Problem]) -> dict[str, Requirement]:
    if not isinstance(rows, dict):
        problems.append(Problem(source, "$.levels", "missing: what each risk level requires"))
        return {}
    levels: dict[str, Requirement] = {}
    allowed = {"clauses": CLAUSES, "post_export": POST_EXPORT_MEASURES}
    for level in LEVELS:
        row = rows.get(level)
        where = f"$.levels.{level}"
        if not isinstance(row, dict):
            problems.append(Problem(source, where, "missing: needs its clauses and post_export lists"))
            continue
        lists: dict[str, tuple[str, ...]] = {}
        for key, names in allowed.items():
            values = row.get(key)
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                problems.append(Problem(source, f"{where}.{key}", f"{values!r}: expected a list of names"))
                continue
            unknown = [v for v in values if v not in names]
            if unknown:
                problems.append(
                    Problem(source, f"{where}.{key}", f"unknown {key.replace('_', '-')} name(s) {unknown!r}")
                )
                continue
            lists[key] = tuple(dict.fromkeys(values))
        if len(lists) == 2:
            levels[level] = Requirement(lists["clauses"], lists["post_export"])
    # Commensurate: a graver level never asks for less than a milder one.
    for lower, higher in itertools.pairwise(LEVELS):
        if lower in levels and higher in levels:
            for key in ("clauses", "post_export"):
                dropped = [s for s in getattr(levels[lower], key) if s not in getattr(levels[higher], key)]
                if dropped:
                    problems.append(
                        Problem(
                            source,
                            f"$.levels.{higher}.{key}",
                            f"drops {dropped!r} that level {lower} requires (a graver risk never requires less)",
                        )
                    )
    for extra in sorted(set(rows) - set(LEVELS)):
        problems.append(Problem(source, f"$.levels.{extra}", f"not a risk level ({', '.join(LEVELS)})"))
    return levels


def load_table(path: Path) -> SafeguardTable:
    """Load and check a safeguards table; every problem of the file (provenance and body) is
    reported together.

    :raises PolicyError: the file is missing, malformed or incomplete.
    """
    data, dataset, problems = read_data_file(path)
    source = str(path)
    risk = data.get("risk")
    weights = _weights(risk, source, problems)
    thresholds = _thresholds(risk.get("levels") if isinstance(risk, dict) else None, source, problems)
    safeguards = _safeguards(data.get("safeguards"), source, problems)
    levels = _levels(data.get("levels"), source, problems)
    if problems or dataset is None:
        raise PolicyError(problems)
    frozen = types.MappingProxyType
    return SafeguardTable(
        frozen({factor: frozen(row) for factor, row in weights.items()}),
        thresholds,
        frozen(safeguards),
        frozen(levels),
        dataset,
    )


@functools.lru_cache(maxsize=16)
def _cached(path: Path, mtime_ns: int, size: int) -> SafeguardTable:
    return load_table(path)


def table_for(path: Path) -> SafeguardTable:
    """The table in ``path``, checked once per file version (engines share it: it is immutable)."""
    try:
        stat = path.stat()
    except OSError:
        return load_table(path)  # reports the missing file with its name
    return _cached(path.resolve(), stat.st_mtime_ns, stat.st_size)
