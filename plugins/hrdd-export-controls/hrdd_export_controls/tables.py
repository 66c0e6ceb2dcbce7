"""The plugin's data: ECCNs with their reasons for control, and the Country Chart with the
Country Groups and Part 746 destinations. Loaded and validated once per engine."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from hrdd import CAPABILITIES, ITEM_CATEGORIES, DataSet, PolicyError, Problem, read_data_file

PACKAGE_DIR = Path(__file__).resolve().parent

CHART_COLUMNS = frozenset(
    {
        "CB1",
        "CB2",
        "CB3",
        "NP1",
        "NP2",
        "NS1",
        "NS2",
        "MT1",
        "RS1",
        "RS2",
        "CC1",
        "CC2",
        "CC3",
        "FC1",
        "AT1",
        "AT2",
    }
)
# Reasons outside the chart whose scope the plugin knows: SL (742.13) all destinations,
# EI (742.15) all destinations but Canada.
OTHER_REASONS = frozenset({"SL", "EI"})
GROUPS = ("A:1", "A:5", "A:6", "D:1", "D:2", "D:3", "D:4", "D:5", "E:1", "E:2")
ENC_KINDS = ("none", "mass_market", "b1", "b2")
POLICIES = ("denial", "case_by_case")
EAR99_SCOPES = ("all", "some", "none")
REVIEW_OUTCOMES = ("info", "escalate")
ECCN_PATTERN = re.compile(r"[0-9][A-EY][0-9]{3}(\.[a-z0-9]+)*")


def default_path(name: str) -> Path:
    """A shipped data file: inside the package in a wheel, beside it in a source tree."""
    inside = PACKAGE_DIR / "data" / name
    return inside if inside.is_file() else PACKAGE_DIR.parent / "data" / name


@attrs.frozen
class Eccn:
    key: str
    title: str
    reasons: tuple[str, ...]
    ace: bool = False
    intrusion: bool = False
    ace_a6_government: bool = False
    enc: str = "none"
    note: str = ""


@attrs.frozen
class Embargo:
    part: str
    policy: str
    ear99: str
    note: str


@attrs.frozen
class Country:
    code: str
    name: str
    columns: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    enc_supp3: bool = False
    embargo: Embargo | None = None
    chart: bool = True
    domestic: bool = False
    follows: str | None = None  # the sovereign whose row a territory takes
    note: str = ""


@attrs.frozen
class Review:
    candidates: tuple[str, ...]
    outcome: str


@attrs.frozen
class Tables:
    eccns: Mapping[str, Eccn]
    countries: Mapping[str, Country]
    columns: frozenset[str]
    capability_review: Mapping[str, Review]
    category_review: Mapping[str, Review]
    as_of: _dt.date
    datasets: tuple[DataSet, ...]

    def eccn(self, code: str) -> Eccn | None:
        """The entry for an ECCN by its longest listed prefix ("5A992.c" -> "5A992")."""
        parts = code.split(".")
        while parts:
            found = self.eccns.get(".".join(parts))
            if found is not None:
                return found
            parts.pop()
        return None


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.found.append(Problem(self.source, path, message))


def _as_of(data: Mapping[str, Any], problems: _Problems) -> _dt.date:
    value = data.get("meta", {}).get("as_of")
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value
    problems.add("$.meta.as_of", "is required: the date (YYYY-MM-DD) the transcribed facts are as of")
    return _dt.date.min


def _strings(
    value: Any, path: str, allowed: frozenset[str] | tuple[str, ...], problems: _Problems
) -> tuple[str, ...]:
    if not isinstance(value, list):
        problems.add(path, f"must be a list of strings, got {type(value).__name__}")
        return ()
    out = []
    for index, entry in enumerate(value):
        if not isinstance(entry, str) or entry not in allowed:
            problems.add(
                f"{path}[{index}]", f"unknown value {entry!r}; expected one of {', '.join(sorted(allowed))}"
            )
        else:
            out.append(entry)
    return tuple(out)


def _bool(row: Mapping[str, Any], key: str, path: str, problems: _Problems) -> bool:
    value = row.get(key, False)
    if not isinstance(value, bool):
        problems.add(f"{path}.{key}", f"must be true or false, got {value!r}")
        return False
    return value


def _text(row: Mapping[str, Any], key: str, path: str, problems: _Problems, required: bool = False) -> str:
    value = row.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        problems.add(f"{path}.{key}", "must be a non-empty string" if required else "must be a string")
        return ""
    return value


def _choice(
    row: Mapping[str, Any],
    key: str,
    path: str,
    allowed: tuple[str, ...],
    default: str | None,
    problems: _Problems,
) -> str:
    value = row.get(key, default)
    if not isinstance(value, str) or value not in allowed:
        problems.add(f"{path}.{key}", f"unknown value {value!r}; expected one of {', '.join(allowed)}")
        return allowed[0]
    return value


def load_countries(
    path: Path,
) -> tuple[dict[str, Country], frozenset[str], _dt.date, DataSet | None, list[Problem]]:
    import pycountry

    data, dataset, meta_problems = read_data_file(path)
    problems = _Problems(str(path))
    problems.found.extend(meta_problems)
    as_of = _as_of(data, problems)
    columns_raw = data.get("meta", {}).get("columns")
    columns = frozenset(_strings(columns_raw, "$.meta.columns", CHART_COLUMNS, problems))
    rows = data.get("countries")
    countries: dict[str, Country] = {}
    if not isinstance(rows, dict):
        problems.add("$.countries", "missing [countries] table keyed by ISO 3166-1 alpha-2 code")
        rows = {}
    known = {c.alpha_2 for c in pycountry.countries}
    for code in sorted(known - rows.keys()):
        problems.add(f"$.countries.{code}", "missing: every ISO 3166-1 alpha-2 code must have a row")
    for code, row in rows.items():
        where = f"$.countries.{code}"
        if code not in known:
            problems.add(where, f"{code!r} is not an ISO 3166-1 alpha-2 code")
            continue
        if not isinstance(row, dict):
            problems.add(where, "must be a table")
            continue
        unknown = set(row) - {
            "name",
            "columns",
            "groups",
            "enc_supp3",
            "embargo",
            "chart",
            "domestic",
            "follows",
            "note",
        }
        for key in sorted(unknown):
            problems.add(f"{where}.{key}", "unknown key")
        name = _text(row, "name", where, problems, required=True)
        note = _text(row, "note", where, problems)
        chart = row.get("chart", True)
        if not isinstance(chart, bool):
            problems.add(f"{where}.chart", "must be true or false")
            chart = True
        domestic = _bool(row, "domestic", where, problems)
        follows = row.get("follows")
        kinds = sum((follows is not None, not chart, domestic, "columns" in row))
        if kinds != 1:
            problems.add(
                where,
                "must have exactly one of: columns (a Country Chart row), follows (a territory), "
                "chart = false (not a chart destination) or domestic = true",
            )
            continue
        if follows is not None:
            if not isinstance(follows, str) or follows not in known:
                problems.add(f"{where}.follows", f"{follows!r} is not an ISO 3166-1 alpha-2 code")
                continue
            countries[code] = Country(code, name, follows=follows, note=note)
            continue
        if not chart or domestic:
            countries[code] = Country(code, name, chart=chart, domestic=domestic, note=note)
            continue
        cols = frozenset(_strings(row.get("columns"), f"{where}.columns", columns or CHART_COLUMNS, problems))
        groups = frozenset(_strings(row.get("groups", []), f"{where}.groups", GROUPS, problems))
        embargo = None
        if "embargo" in row:
            e = row["embargo"]
            ew = f"{where}.embargo"
            if not isinstance(e, dict):
                problems.add(ew, "must be a table with part, policy, ear99 and note")
            else:
                embargo = Embargo(
                    _text(e, "part", ew, problems, required=True),
                    _choice(e, "policy", ew, POLICIES, None, problems),
                    _choice(e, "ear99", ew, EAR99_SCOPES, None, problems),
                    _text(e, "note", ew, problems),
                )
        countries[code] = Country(
            code, name, cols, groups, _bool(row, "enc_supp3", where, problems), embargo, note=note
        )
    # A territory takes its sovereign's row: the sovereign must have one of its own.
    for code, country in list(countries.items()):
        if country.follows is None:
            continue
        sovereign = countries.get(country.follows)
        if sovereign is None or sovereign.follows is not None:
            problems.add(f"$.countries.{code}.follows", f"{country.follows} has no row of its own to follow")
            continue
        countries[code] = attrs.evolve(
            sovereign, code=code, name=country.name, follows=country.follows, note=country.note
        )
    return countries, columns, as_of, dataset, problems.found


def _review(
    data: Mapping[str, Any],
    key: str,
    allowed: tuple[str, ...],
    eccns: Mapping[str, Eccn],
    problems: _Problems,
) -> dict[str, Review]:
    table = data.get("review", {}).get(key, {})
    out: dict[str, Review] = {}
    if not isinstance(table, dict):
        problems.add(f"$.review.{key}", "must be a table")
        return out
    for name, row in table.items():
        where = f"$.review.{key}.{name}"
        if name not in allowed:
            problems.add(where, f"unknown {key[:-1] if key.endswith('s') else key} {name!r}")
            continue
        if not isinstance(row, dict):
            problems.add(where, "must be a table")
            continue
        candidates = _strings(row.get("candidates"), f"{where}.candidates", frozenset(eccns), problems)
        out[name] = Review(candidates, _choice(row, "outcome", where, REVIEW_OUTCOMES, None, problems))
    return out


def load_eccns(
    path: Path, columns: frozenset[str]
) -> tuple[dict[str, Eccn], dict[str, Review], dict[str, Review], _dt.date, DataSet | None, list[Problem]]:
    data, dataset, meta_problems = read_data_file(path)
    problems = _Problems(str(path))
    problems.found.extend(meta_problems)
    as_of = _as_of(data, problems)
    rows = data.get("eccns")
    eccns: dict[str, Eccn] = {}
    if not isinstance(rows, dict) or not rows:
        problems.add("$.eccns", "missing [eccns] table keyed by ECCN")
        rows = {}
    reasons_known = columns | OTHER_REASONS
    for key, row in rows.items():
        where = f'$.eccns."{key}"'
        if not ECCN_PATTERN.fullmatch(key):
            problems.add(where, f"{key!r} is not an ECCN (like 5A001.j)")
            continue
        if not isinstance(row, dict):
            problems.add(where, "must be a table")
            continue
        unknown = set(row) - {"title", "reasons", "ace", "intrusion", "ace_a6_government", "enc", "note"}
        for extra in sorted(unknown):
            problems.add(f"{where}.{extra}", "unknown key")
        reasons = row.get("reasons")
        if isinstance(reasons, list) and not reasons:
            problems.add(f"{where}.reasons", "must name at least one reason for control")
        for index, reason in enumerate(reasons if isinstance(reasons, list) else []):
            if reason in CHART_COLUMNS and reason not in columns:
                problems.add(
                    f"{where}.reasons[{index}]",
                    f"{reason} is a Country Chart column the country data does not transcribe ($.meta.columns)",
                )
        eccns[key] = Eccn(
            key,
            _text(row, "title", where, problems, required=True),
            _strings(reasons, f"{where}.reasons", reasons_known | CHART_COLUMNS, problems),
            _bool(row, "ace", where, problems),
            _bool(row, "intrusion", where, problems),
            _bool(row, "ace_a6_government", where, problems),
            _choice(row, "enc", where, ENC_KINDS, "none", problems),
            _text(row, "note", where, problems),
        )
    capability_review = _review(data, "capabilities", tuple(CAPABILITIES), eccns, problems)
    category_review = _review(data, "categories", tuple(ITEM_CATEGORIES), eccns, problems)
    return eccns, capability_review, category_review, as_of, dataset, problems.found


def load_tables(eccns_path: Path, countries_path: Path) -> Tables:
    """Both files, validated together; every problem of both in one :class:`PolicyError`."""
    countries, columns, chart_as_of, chart_set, problems = load_countries(countries_path)
    eccns, cap_review, cat_review, eccn_as_of, eccn_set, more = load_eccns(eccns_path, columns)
    problems += more
    if problems or chart_set is None or eccn_set is None:
        raise PolicyError(problems)
    return Tables(
        eccns, countries, columns, cap_review, cat_review, min(chart_as_of, eccn_as_of), (eccn_set, chart_set)
    )
