"""Loading and validating the programme data file (``data/programmes.toml``)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from hrdd import DataSet, PolicyError, Problem, read_data_file

PACKAGE_DIR = Path(__file__).resolve().parent
EFFECTS = ("prohibited", "licence_required", "programme_exposure")
EFFECT_RANK = {effect: rank for rank, effect in enumerate(reversed(EFFECTS))}
TEXT_KEYS = ("name", "legal_basis")


def default_data_path() -> Path:
    """The shipped file: inside the package in a wheel, beside it in a source tree."""
    inside = PACKAGE_DIR / "data" / "programmes.toml"
    return inside if inside.is_file() else PACKAGE_DIR.parent / "data" / "programmes.toml"


@attrs.frozen
class Programme:
    id: str
    name: str
    legal_basis: str
    effect: str
    as_of: _dt.date
    ofac_program: str | None = None
    regions: tuple[str, ...] = ()
    government_effect: str | None = None
    note: str | None = None


@attrs.frozen
class ListProgramme:
    """A programme that applies wherever its designees are (Global Magnitsky, cyber): exposure
    is through a screening hit on a designated party, not through a country."""

    tag: str  # the OFAC programme tag, upper-case ("GLOMAG")
    name: str
    legal_basis: str
    as_of: _dt.date
    human_rights: bool = False
    note: str | None = None


@attrs.frozen
class ProgrammeData:
    path: Path
    dataset: DataSet
    date: _dt.date
    programmes: Mapping[str, Programme]
    countries: Mapping[str, tuple[str, ...]]
    list_programmes: Mapping[str, ListProgramme] = attrs.field(factory=dict)

    def by_tag(self, tag: str) -> ListProgramme | Programme | None:
        """The programme an OFAC programme tag of a list entry belongs to, if the data knows it."""
        tag = tag.strip().upper()
        found = self.list_programmes.get(tag)
        if found is not None:
            return found
        tagged = [
            programme
            for programme in self.programmes.values()
            if programme.ofac_program
            and tag in {t.strip().upper() for t in programme.ofac_program.split(";")}
        ]
        # a designation is OFAC's: the country's list-based programme before a BIS export control
        # that shares the tag (Russia: 31 CFR Part 587 before 15 CFR 746.8)
        tagged.sort(key=lambda programme: programme.effect != "programme_exposure")
        return tagged[0] if tagged else None

    def for_country(self, code: str) -> tuple[Programme, ...] | None:
        """The programmes of a country; None when the data does not know the code."""
        ids = self.countries.get(code)
        return None if ids is None else tuple(self.programmes[i] for i in ids)


def _iso_codes() -> frozenset[str]:
    import pycountry

    return frozenset(country.alpha_2 for country in pycountry.countries)


def _toml_date(value: Any) -> _dt.date | None:
    """A TOML date, or None for anything else (a date-time included)."""
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value
    return None


def _programme(pid: str, row: Any, file: str, problems: list[Problem]) -> Programme | None:
    where = f"$.programmes.{pid}"
    if not isinstance(row, dict):
        problems.append(Problem(file, where, "must be a table"))
        return None
    before = len(problems)
    for key in TEXT_KEYS:
        if not isinstance(row.get(key), str) or not row[key].strip():
            problems.append(Problem(file, f"{where}.{key}", "is required (text)"))
    if row.get("effect") not in EFFECTS:
        problems.append(
            Problem(file, f"{where}.effect", f"{row.get('effect')!r} is not one of {', '.join(EFFECTS)}")
        )
    government = row.get("government_effect")
    if government is not None and government not in EFFECTS:
        problems.append(
            Problem(file, f"{where}.government_effect", f"{government!r} is not one of {', '.join(EFFECTS)}")
        )
    as_of = _toml_date(row.get("as_of"))
    if as_of is None:
        problems.append(Problem(file, f"{where}.as_of", "is required (a TOML date, e.g. 2025-07-01)"))
    regions = row.get("regions", [])
    if not isinstance(regions, list) or not all(isinstance(r, str) and r.strip() for r in regions):
        problems.append(Problem(file, f"{where}.regions", "must be a list of region names"))
    for key in ("ofac_program", "note"):
        if key in row and not isinstance(row[key], str):
            problems.append(Problem(file, f"{where}.{key}", "must be text"))
    unknown = sorted(
        set(row) - {*TEXT_KEYS, "effect", "government_effect", "as_of", "regions", "ofac_program", "note"}
    )
    problems.extend(Problem(file, f"{where}.{key}", "unknown key") for key in unknown)
    if as_of is None or len(problems) > before:
        return None
    return Programme(
        id=pid,
        name=row["name"],
        legal_basis=row["legal_basis"],
        effect=row["effect"],
        as_of=as_of,
        ofac_program=row.get("ofac_program"),
        regions=tuple(regions),
        government_effect=government,
        note=row.get("note"),
    )


def _list_programme(tag: str, row: Any, file: str, problems: list[Problem]) -> ListProgramme | None:
    where = f"$.list_programmes.{tag}"
    if not isinstance(row, dict):
        problems.append(Problem(file, where, "must be a table"))
        return None
    before = len(problems)
    if tag != tag.strip().upper():
        problems.append(Problem(file, where, "the key must be the OFAC programme tag in upper case"))
    for key in TEXT_KEYS:
        if not isinstance(row.get(key), str) or not row[key].strip():
            problems.append(Problem(file, f"{where}.{key}", "is required (text)"))
    as_of = _toml_date(row.get("as_of"))
    if as_of is None:
        problems.append(Problem(file, f"{where}.as_of", "is required (a TOML date, e.g. 2025-07-01)"))
    if not isinstance(row.get("human_rights", False), bool):
        problems.append(Problem(file, f"{where}.human_rights", "must be true or false"))
    if "note" in row and not isinstance(row["note"], str):
        problems.append(Problem(file, f"{where}.note", "must be text"))
    unknown = sorted(set(row) - {*TEXT_KEYS, "as_of", "human_rights", "note"})
    problems.extend(Problem(file, f"{where}.{key}", "unknown key") for key in unknown)
    if as_of is None or len(problems) > before:
        return None
    return ListProgramme(
        tag=tag,
        name=row["name"],
        legal_basis=row["legal_basis"],
        as_of=as_of,
        human_rights=row.get("human_rights", False),
        note=row.get("note"),
    )


def load_programmes(path: str | Path) -> ProgrammeData:
    """Read and validate a programme file; every problem of the file is raised together.

    :raises PolicyError: missing file, bad TOML, incomplete ``[meta]``, a programme with a
        missing or invalid key, a country code that is not ISO 3166-1 alpha-2, a code missing,
        or a country naming a programme the file does not define.
    """
    path = Path(path)
    file = str(path)
    data, dataset, problems = read_data_file(path)
    problems = list(problems)
    meta_date = data.get("meta", {}).get("date") if isinstance(data.get("meta"), dict) else None
    if dataset is not None and (not isinstance(meta_date, _dt.date) or isinstance(meta_date, _dt.datetime)):
        problems.append(
            Problem(file, "$.meta.date", "must be a TOML date (the day the lists were transcribed)")
        )
    rows = data.get("programmes")
    programmes: dict[str, Programme] = {}
    if not isinstance(rows, dict) or not rows:
        problems.append(Problem(file, "$.programmes", "missing table of programmes"))
        rows = {}
    for pid, row in rows.items():
        programme = _programme(pid, row, file, problems)
        if programme is not None:
            programmes[pid] = programme
    list_rows = data.get("list_programmes", {})
    list_programmes: dict[str, ListProgramme] = {}
    if not isinstance(list_rows, dict):
        problems.append(Problem(file, "$.list_programmes", "must be a table of OFAC programme tags"))
        list_rows = {}
    for tag, row in list_rows.items():
        found = _list_programme(tag, row, file, problems)
        if found is not None:
            list_programmes[tag] = found
    countries = data.get("countries")
    table: dict[str, tuple[str, ...]] = {}
    if not isinstance(countries, dict):
        problems.append(Problem(file, "$.countries", "missing table of ISO 3166-1 alpha-2 codes"))
        countries = {}
    known = _iso_codes()
    for code, ids in countries.items():
        where = f"$.countries.{code}"
        if code not in known:
            problems.append(Problem(file, where, "not an ISO 3166-1 alpha-2 code"))
            continue
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            problems.append(Problem(file, where, "must be a list of programme ids (empty for none)"))
            continue
        missing = [i for i in ids if i not in rows]
        if missing:
            problems.append(
                Problem(file, where, f"names programmes the file does not define: {', '.join(missing)}")
            )
            continue
        table[code] = tuple(ids)
    if isinstance(data.get("countries"), dict):
        problems.extend(
            Problem(
                file, f"$.countries.{code}", "missing (every ISO 3166-1 code must be listed, [] for none)"
            )
            for code in sorted(known - set(countries))
        )
    if problems:
        raise PolicyError(problems)
    assert dataset is not None and isinstance(meta_date, _dt.date)
    return ProgrammeData(path, dataset, meta_date, programmes, table, list_programmes)
