"""The country record: loading and validating ``data/countries.toml`` (or a team's own file)."""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from hrdd import DataSet, PolicyError, Problem, read_data_file

PACKAGE_DIR = Path(__file__).resolve().parent

FREEDOM_STATUSES = ("free", "partly_free", "not_free", "unrated")
TIERS = ("low", "moderate", "high", "very_high")
TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}
ROW_KEYS = frozenset({"name", "freedom_status", "tier", "as_of", "rated_as", "surveillance_abuses", "note"})


def default_data_path() -> Path:
    """The shipped country file: inside the package in a wheel, beside it in a source tree."""
    inside = PACKAGE_DIR / "data" / "countries.toml"
    return inside if inside.is_file() else PACKAGE_DIR.parent / "data" / "countries.toml"


def iso_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code pycountry knows (the transaction schema's country list)."""
    import pycountry

    return frozenset(country.alpha_2 for country in pycountry.countries)


@attrs.frozen
class CountryRecord:
    """One destination as the plugin weighs it.

    ``freedom_status`` is None when Freedom House does not rate the place; ``rated_as`` names
    the sovereign whose values a territory takes.
    """

    code: str
    name: str
    freedom_status: str | None
    tier: str
    as_of: _dt.date
    surveillance_abuses: bool | None = None
    rated_as: str | None = None
    note: str = ""

    @property
    def rating(self) -> str:
        """How Freedom House rates the place, for messages."""
        if self.freedom_status is None:
            return "not rated by Freedom House"
        label = {"free": "Free", "partly_free": "Partly Free", "not_free": "Not Free"}[self.freedom_status]
        taken = f" (the rating of {self.rated_as}; not rated separately)" if self.rated_as else ""
        return f"rated {label} by Freedom House{taken}"


@attrs.frozen
class CountryData:
    """Every ISO 3166-1 country's record, and the data set it came from (for provenance)."""

    records: Mapping[str, CountryRecord]
    dataset: DataSet
    path: Path

    def get(self, code: str | None) -> CountryRecord | None:
        return self.records.get(code) if code else None


def _date(value: Any) -> _dt.date | None:
    if isinstance(value, _dt.datetime):
        return None  # a date-time is not a date: refuse it rather than guess the day
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _check_row(
    code: str, row: Any, source: str, problems: list[Problem]
) -> tuple[dict[str, Any], bool] | None:
    """The row's own values checked (inheritance is resolved later); None when unusable."""
    where = f"$.countries.{code}"
    if not isinstance(row, dict):
        problems.append(Problem(source, where, "must be a table ([countries.XX])"))
        return None
    ok = True
    for key in sorted(set(row) - ROW_KEYS):
        problems.append(
            Problem(source, f"{where}.{key}", f"unknown key; a row has: {', '.join(sorted(ROW_KEYS))}")
        )
        ok = False
    name = row.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(source, f"{where}.name", f"{name!r}: expected the country's name"))
        ok = False
    rated_as = row.get("rated_as")
    if rated_as is not None and not isinstance(rated_as, str):
        problems.append(Problem(source, f"{where}.rated_as", f"{rated_as!r}: expected a country code"))
        ok = False
    inherits = isinstance(rated_as, str)
    status = row.get("freedom_status")
    if status is None and not inherits:
        problems.append(
            Problem(
                source,
                f"{where}.freedom_status",
                "is required (free, partly_free, not_free or unrated) unless the row has rated_as",
            )
        )
        ok = False
    elif status is not None and status not in FREEDOM_STATUSES:
        problems.append(
            Problem(
                source,
                f"{where}.freedom_status",
                f"{status!r}: expected one of {', '.join(FREEDOM_STATUSES)}",
            )
        )
        ok = False
    tier = row.get("tier")
    if tier is None and not inherits:
        problems.append(
            Problem(
                source,
                f"{where}.tier",
                "is required (low, moderate, high or very_high) unless the row has rated_as",
            )
        )
        ok = False
    elif tier is not None and tier not in TIERS:
        problems.append(Problem(source, f"{where}.tier", f"{tier!r}: expected one of {', '.join(TIERS)}"))
        ok = False
    as_of = row.get("as_of")
    if _date(as_of) is None:
        problems.append(
            Problem(source, f"{where}.as_of", f"{as_of!r}: expected the date of the row's facts (YYYY-MM-DD)")
        )
        ok = False
    abuses = row.get("surveillance_abuses")
    if abuses is not None and not isinstance(abuses, bool):
        problems.append(
            Problem(source, f"{where}.surveillance_abuses", f"{abuses!r}: expected true or false")
        )
        ok = False
    note = row.get("note", "")
    if not isinstance(note, str):
        problems.append(Problem(source, f"{where}.note", f"{note!r}: expected a string"))
        ok = False
    return (row, inherits) if ok else None


def _records(
    rows: Any, codes: frozenset[str], source: str, problems: list[Problem]
) -> dict[str, CountryRecord]:
    if not isinstance(rows, dict):
        problems.append(
            Problem(source, "$.countries", "missing table of countries (one [countries.XX] per ISO code)")
        )
        return {}
    for code in sorted(codes - set(rows)):
        problems.append(
            Problem(
                source,
                f"$.countries.{code}",
                "missing: every ISO 3166-1 alpha-2 code needs a row (a destination the data does not "
                "know cannot be weighed)",
            )
        )
    for code in sorted(set(rows) - codes):
        problems.append(
            Problem(source, f"$.countries.{code}", "not an ISO 3166-1 alpha-2 code known to pycountry")
        )
    checked = {}
    for code in sorted(set(rows) & codes):
        result = _check_row(code, rows[code], source, problems)
        if result is not None:
            checked[code] = result
    records: dict[str, CountryRecord] = {}
    for code, (row, inherits) in checked.items():
        status, tier = row.get("freedom_status"), row.get("tier")
        rated_as = row.get("rated_as")
        if inherits:
            where = f"$.countries.{code}.rated_as"
            if rated_as == code or rated_as not in codes:
                problems.append(Problem(source, where, f"{rated_as!r}: expected the code of another row"))
                continue
            sovereign = rows.get(rated_as)
            if not isinstance(sovereign, dict):
                continue  # the sovereign's missing or malformed row is reported already
            if sovereign.get("rated_as") is not None:
                problems.append(
                    Problem(
                        source,
                        where,
                        f"{rated_as!r} itself takes another row's values: name the rated row directly",
                    )
                )
                continue
            if rated_as not in checked:
                continue  # the sovereign's own row is reported already
            inherited = {"freedom_status": sovereign.get("freedom_status"), "tier": sovereign.get("tier")}
            mismatched = [
                key
                for key, value in (("freedom_status", status), ("tier", tier))
                if value is not None and value != inherited[key]
            ]
            for key in mismatched:
                problems.append(
                    Problem(
                        source,
                        f"$.countries.{code}.{key}",
                        f"{row[key]!r} differs from {rated_as}'s {inherited[key]!r}: a row with rated_as "
                        "takes its sovereign's values (drop rated_as to rate it on its own)",
                    )
                )
            if mismatched:
                continue
            status, tier = inherited["freedom_status"], inherited["tier"]
        as_of = _date(row["as_of"])
        assert as_of is not None  # checked in _check_row
        # a row without rated_as has a tier (checked in _check_row); one with it took its sovereign's
        assert isinstance(tier, str)
        records[code] = CountryRecord(
            code=code,
            name=row["name"].strip(),
            freedom_status=None if status == "unrated" else status,
            tier=tier,
            as_of=as_of,
            surveillance_abuses=row.get("surveillance_abuses"),
            rated_as=rated_as,
            note=row.get("note", ""),
        )
    return records


def load_countries(path: Path) -> CountryData:
    """Load and check a country file; every problem of the file (provenance and rows) is
    reported together, each naming the file and the row (``$.countries.XX.tier``).

    :raises PolicyError: the file is missing, not TOML, lacks provenance, lacks a country, or
        has a value that is not valid.
    """
    data, dataset, problems = read_data_file(path)
    records = _records(data.get("countries"), iso_codes(), str(path), problems)
    if problems or dataset is None:
        raise PolicyError(problems)
    return CountryData(records, dataset, path)


@functools.lru_cache(maxsize=16)
def _load_cached(path: Path, mtime_ns: int, size: int) -> CountryData:
    return load_countries(path)


def countries_for(path: Path) -> CountryData:
    """The country data in ``path``, loaded once per file version (engines share it: it is
    read-only)."""
    try:
        stat = path.stat()
    except OSError:
        return load_countries(path)  # reports the missing file with its name
    return _load_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)
