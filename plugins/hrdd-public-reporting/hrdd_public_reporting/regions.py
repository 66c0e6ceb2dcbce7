"""The region table: loading and checking ``data/regions.toml`` (UN M49 region and sub-region
of every ISO 3166-1 alpha-2 code)."""

from __future__ import annotations

import datetime as _dt
import functools
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from hrdd import DataSet, PolicyError, Problem, read_data_file

PACKAGE_DIR = Path(__file__).resolve().parent
ROW_KEYS = frozenset({"region", "sub_region", "note"})


def default_data_path() -> Path:
    """The shipped table: inside the package in a wheel, beside it in a source tree."""
    inside = PACKAGE_DIR / "data" / "regions.toml"
    return inside if inside.is_file() else PACKAGE_DIR.parent / "data" / "regions.toml"


@attrs.frozen
class Region:
    """Where a country is, as a public report may say it."""

    region: str
    sub_region: str


@attrs.frozen
class RegionTable:
    countries: Mapping[str, Region]
    as_of: _dt.date  # the date the rows reflect; the data's age is measured from it
    dataset: DataSet


def _iso_codes() -> tuple[str, ...]:
    import pycountry

    return tuple(sorted(country.alpha_2 for country in pycountry.countries))


def _as_of(meta: Any, source: str, problems: list[Problem]) -> _dt.date:
    """``meta.as_of`` (a TOML date or ISO string), else ``meta.date``."""
    if not isinstance(meta, dict):
        return _dt.date.min  # read_data_file has already reported the missing [meta]
    key = "as_of" if "as_of" in meta else "date"
    value = meta.get(key)
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(source, f"$.meta.{key}", f"{value!r}: expected a date (YYYY-MM-DD)"))
        return _dt.date.min


def _regions(rows: Any, source: str, problems: list[Problem]) -> dict[str, frozenset[str]]:
    """The region names and their sub-region names the country rows may use."""
    if not isinstance(rows, dict) or not rows:
        problems.append(Problem(source, "$.regions", "missing table of regions and their sub_regions"))
        return {}
    regions = {}
    for name, row in rows.items():
        where = f"$.regions.{name}"
        subs = row.get("sub_regions") if isinstance(row, dict) else None
        if not isinstance(subs, dict) or not subs:
            problems.append(Problem(source, f"{where}.sub_regions", "missing: a table of sub-region names"))
            continue
        regions[name] = frozenset(subs)
    return regions


def load_regions(path: Path) -> RegionTable:
    """Load and check a region table: every ISO 3166-1 alpha-2 code needs a row with a known
    region and one of its sub-regions; every problem of the file is reported together.

    :raises PolicyError: the file is missing, malformed or incomplete.
    """
    data, dataset, problems = read_data_file(path)
    source = str(path)
    as_of = _as_of(data.get("meta"), source, problems)
    regions = _regions(data.get("regions"), source, problems)
    rows = data.get("countries")
    countries: dict[str, Region] = {}
    if not isinstance(rows, dict):
        problems.append(Problem(source, "$.countries", "missing table of countries (one row per ISO code)"))
        rows = {}
    codes = _iso_codes()
    for code in codes:
        row = rows.get(code)
        where = f"$.countries.{code}"
        if not isinstance(row, dict):
            problems.append(Problem(source, where, "missing: every ISO 3166-1 alpha-2 code needs a row"))
            continue
        region, sub_region = row.get("region"), row.get("sub_region")
        if region not in regions:
            problems.append(
                Problem(
                    source, f"{where}.region", f"{region!r}: expected one of {', '.join(sorted(regions))}"
                )
            )
            continue
        if sub_region not in regions[region]:
            problems.append(
                Problem(
                    source,
                    f"{where}.sub_region",
                    f"{sub_region!r}: expected a sub-region of {region} ({', '.join(sorted(regions[region]))})",
                )
            )
            continue
        for extra in sorted(set(row) - ROW_KEYS):
            problems.append(Problem(source, f"{where}.{extra}", "unknown key (region, sub_region, note)"))
        countries[code] = Region(region, sub_region)
    for code in sorted(set(rows) - set(codes)):
        problems.append(Problem(source, f"$.countries.{code}", "not an ISO 3166-1 alpha-2 code"))
    if problems or dataset is None:
        raise PolicyError(problems)
    return RegionTable(types.MappingProxyType(countries), as_of, dataset)


@functools.lru_cache(maxsize=16)
def _cached(path: Path, mtime_ns: int, size: int) -> RegionTable:
    return load_regions(path)


def regions_for(path: Path) -> RegionTable:
    """The table in ``path``, checked once per file version (engines share it: it is immutable)."""
    try:
        stat = path.stat()
    except OSError:
        return load_regions(path)  # reports the missing file with its name
    return _cached(path.resolve(), stat.st_mtime_ns, stat.st_size)
