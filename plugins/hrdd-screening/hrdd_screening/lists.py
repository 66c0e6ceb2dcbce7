"""Reading screening lists in the formats real deployments feed in, detected from the header.

- U.S. Consolidated Screening List (CSL) CSV: the 29-column header of GUIDANCE.md,
  multi-valued cells ``;``-separated, ``alt_names`` are names too;
- CSL JSON: ``{"results": [...]}`` with the same fields, ``alt_names`` a list and
  ``addresses`` a list of objects;
- OpenSanctions ``targets.simple.csv``.

A file that is missing, empty, truncated or in none of these formats, or a CSL JSON entry
with a field of the wrong type, raises :class:`hrdd.PolicyError` naming the file and the line
(all problems of the file together).
Rows without a name are skipped and counted, never a crash.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import functools
import gc
import hashlib
import io
import json
import operator
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

CSL_HEADER = [
    "_id",
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "alt_names",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
    "source_information_url",
    "ids",
]
OPENSANCTIONS_HEADER = [
    "id",
    "schema",
    "name",
    "aliases",
    "birth_date",
    "countries",
    "addresses",
    "identifiers",
    "sanctions",
    "phones",
    "emails",
    "program_ids",
    "dataset",
    "first_seen",
    "last_seen",
    "last_change",
]
# The columns a file must have to be read as that format (extra columns are tolerated).
CSL_REQUIRED = frozenset({"source", "name", "alt_names", "programs", "license_requirement", "license_policy"})
OPENSANCTIONS_REQUIRED = frozenset({"id", "schema", "name", "aliases", "countries", "dataset"})

CSL_CSV = "U.S. Consolidated Screening List (CSV)"
CSL_JSON = "U.S. Consolidated Screening List (JSON)"
OPENSANCTIONS = "OpenSanctions targets.simple.csv"
LICENCES = {
    CSL_CSV: "U.S. Government work (public domain)",
    CSL_JSON: "U.S. Government work (public domain)",
    OPENSANCTIONS: "as supplied by the user (OpenSanctions data licence CC BY-NC)",
}

_CODE = re.compile(r"\(([A-Z][A-Z0-9-]{1,11})(?: List)?\)")
_ISO2 = re.compile(r"^[A-Z]{2}$")


class Entry(NamedTuple):
    """One list entry, as an analyst needs to see it."""

    name: str
    alt_names: tuple[str, ...]
    source: str  # the list it is on ("Entity List (EL) - Bureau of Industry and Security")
    codes: frozenset[str]  # short codes of its source lists, upper-case ("EL", "SDN")
    programs: tuple[str, ...]
    license_requirement: str
    license_policy: str
    countries: frozenset[str]  # ISO 3166-1 alpha-2, upper-case
    entry_id: str
    start_date: str
    list_file: str


class LoadedList(NamedTuple):
    path: Path
    format: str
    entries: list[Entry]
    skipped: int  # rows without a name
    sha256: str
    date: str  # the newest entry date where the format has one, else the file's modification date


class ListProblem(NamedTuple):
    line: int
    message: str


@functools.lru_cache(maxsize=4096)
def source_codes(source: str) -> frozenset[str]:
    """The short codes in a source text: ``Entity List (EL) - Bureau...`` gives ``{"EL"}``."""
    return frozenset(code.upper() for code in _CODE.findall(source))


_NONE: tuple[str, ...] = ()
_NO_COUNTRIES: frozenset[str] = frozenset()


def _split(cell: str | None) -> tuple[str, ...]:
    if not cell:
        return _NONE
    if ";" not in cell:
        cell = cell.strip()
        return (cell,) if cell else _NONE
    return tuple(part.strip() for part in cell.split(";") if part.strip())


@functools.lru_cache(maxsize=4096)
def _split_shared(cell: str) -> tuple[str, ...]:
    """``_split`` for cells that repeat across a list (programmes, sources): one tuple each."""
    return _split(cell)


def _countries_from_addresses(addresses: Iterable[str]) -> set[str]:
    found = set()
    for address in addresses:
        last = address.rsplit(",", 1)[-1].strip()
        if _ISO2.match(last):
            found.add(last)
    return found


def _codes_cells(*cells: Iterable[str]) -> set[str]:
    return {c.strip().upper() for cell in cells for c in cell if _ISO2.match(c.strip().upper())}


def detect(header: list[str]) -> str | None:
    columns = {column.strip().lstrip("\ufeff") for column in header}
    if columns >= CSL_REQUIRED:
        return CSL_CSV
    if columns >= OPENSANCTIONS_REQUIRED:
        return OPENSANCTIONS
    return None


class _Columns:
    """Column positions of a CSV header, read by name (a column the file lacks reads as "")."""

    def __init__(self, header: list[str]) -> None:
        self.position = {column: i for i, column in enumerate(header)}

    def getter(self, column: str) -> Callable[[list[str]], str]:
        i = self.position.get(column)
        if i is None:
            return lambda row: ""
        return operator.itemgetter(i)


def _csv_rows(
    text: str, problems: list[ListProblem]
) -> tuple[list[str] | None, Iterator[tuple[int, list[str]]]]:
    """The header and an iterator over (line number, row) of the CSV text; rows of the wrong
    width and malformed CSV are problems, with their line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        problems.append(ListProblem(1, "empty file: no header"))
        return None, iter(())
    except csv.Error as error:
        problems.append(ListProblem(1, f"unreadable CSV header ({error})"))
        return None, iter(())
    header = [column.strip().lstrip("\ufeff") for column in header]
    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for row in reader:
                if len(row) != width:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue
                    problems.append(
                        ListProblem(
                            reader.line_num,
                            f"row has {len(row)} fields, the header has {width} (truncated or malformed)",
                        )
                    )
                    continue
                yield reader.line_num, row
        except csv.Error as error:
            problems.append(ListProblem(reader.line_num, f"malformed or truncated CSV ({error})"))

    return header, rows()


def _csl_csv_reader(header: list[str], list_file: str) -> Callable[[list[str]], Entry | None]:
    """A function turning one CSL CSV row into an Entry (None for a row without any name)."""
    columns = _Columns(header)
    name_of = columns.getter("name")
    alt_of = columns.getter("alt_names")
    programs_of = columns.getter("programs")
    addresses_of = columns.getter("addresses")
    citizenships_of = columns.getter("citizenships")
    nationalities_of = columns.getter("nationalities")
    source_of = columns.getter("source")
    requirement_of = columns.getter("license_requirement")
    policy_of = columns.getter("license_policy")
    id_of = columns.getter("_id")
    number_of = columns.getter("entity_number")
    start_of = columns.getter("start_date")

    def entry(row: list[str]) -> Entry | None:
        name = name_of(row).strip()
        alt = _split(alt_of(row))
        if not name:
            if not alt:
                return None
            name, alt = alt[0], alt[1:]
        addresses, citizenships, nationalities = (
            addresses_of(row),
            citizenships_of(row),
            nationalities_of(row),
        )
        if addresses or citizenships or nationalities:
            found = _countries_from_addresses(_split(addresses))
            found |= _codes_cells(_split(citizenships), _split(nationalities))
            countries = frozenset(found) if found else _NO_COUNTRIES
        else:
            countries = _NO_COUNTRIES
        source = source_of(row).strip()
        return Entry(
            name,
            alt,
            source,
            source_codes(source),
            _split_shared(programs_of(row)),
            sys.intern(requirement_of(row).strip()),
            sys.intern(policy_of(row).strip()),
            countries,
            (id_of(row) or number_of(row)).strip(),
            start_of(row).strip(),
            list_file,
        )

    return entry


# The CSL JSON form's fields read as lists, and those that come as a list or as one
# ``;``-separated string (as in the CSV form). A value of another type is a malformed entry,
# reported with its path, not iterated (a number would crash the load, a string would be read
# one character at a time).
_JSON_LISTS = ("alt_names", "programs", "addresses")
_JSON_CELLS = ("citizenships", "nationalities")


def _json_type_problems(row: dict[str, Any], index: int) -> list[ListProblem]:
    problems = [
        ListProblem(1, f"$.results[{index}].{key} is {type(row[key]).__name__}: expected a list")
        for key in _JSON_LISTS
        if row.get(key) is not None and not isinstance(row[key], list)
    ]
    problems.extend(
        ListProblem(1, f"$.results[{index}].{key} is {type(row[key]).__name__}: expected a list or a string")
        for key in _JSON_CELLS
        if row.get(key) is not None and not isinstance(row[key], (list, str))
    )
    return problems


def _json_cell(cell: list[Any] | str | None) -> tuple[str, ...]:
    """The values of a JSON cell that is a list or one ``;``-separated string."""
    return tuple(str(value) for value in cell) if isinstance(cell, list) else _split(cell)


def _csl_entry(row: dict[str, Any], list_file: str) -> Entry | None:
    """One entry of the CSL JSON form (``alt_names`` a list, ``addresses`` objects)."""
    name = str(row.get("name") or "").strip()
    alt = tuple(str(a).strip() for a in row.get("alt_names") or () if str(a).strip())
    programs = tuple(str(p).strip() for p in row.get("programs") or () if str(p).strip())
    addresses = row.get("addresses") or ()
    countries = {
        str(a.get("country")).strip().upper()
        for a in addresses
        if isinstance(a, dict) and a.get("country") and _ISO2.match(str(a.get("country")).strip().upper())
    }
    countries |= _codes_cells(_json_cell(row.get("citizenships")), _json_cell(row.get("nationalities")))
    if not name:
        if not alt:
            return None
        name, alt = alt[0], alt[1:]
    source = str(row.get("source") or "").strip()
    return Entry(
        name=name,
        alt_names=alt,
        source=source,
        codes=source_codes(source),
        programs=programs,
        license_requirement=str(row.get("license_requirement") or "").strip(),
        license_policy=str(row.get("license_policy") or "").strip(),
        countries=frozenset(countries),
        entry_id=str(row.get("_id") or row.get("entity_number") or "").strip(),
        start_date=str(row.get("start_date") or "").strip(),
        list_file=list_file,
    )


def _opensanctions_reader(header: list[str], list_file: str) -> Callable[[list[str]], Entry | None]:
    """A function turning one OpenSanctions targets.simple.csv row into an Entry."""
    columns = _Columns(header)
    name_of = columns.getter("name")
    aliases_of = columns.getter("aliases")
    dataset_of = columns.getter("dataset")
    sanctions_of = columns.getter("sanctions")
    programs_of = columns.getter("program_ids")
    countries_of = columns.getter("countries")
    id_of = columns.getter("id")
    first_seen_of = columns.getter("first_seen")

    def entry(row: list[str]) -> Entry | None:
        name = name_of(row).strip()
        alt = _split(aliases_of(row))
        if not name:
            if not alt:
                return None
            name, alt = alt[0], alt[1:]
        dataset = sys.intern(dataset_of(row).strip())
        sanctions = sanctions_of(row).strip()
        codes = source_codes(dataset) | source_codes(sanctions)
        countries = frozenset(c.upper() for c in _split(countries_of(row)) if len(c) == 2)
        return Entry(
            name,
            alt,
            dataset,
            codes,
            _split_shared(programs_of(row)),
            "",
            sanctions,
            countries or _NO_COUNTRIES,
            id_of(row).strip(),
            first_seen_of(row).strip(),
            list_file,
        )

    return entry


def _load_json(text: str, list_file: str, problems: list[ListProblem]) -> tuple[list[Entry], int]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        problems.append(ListProblem(error.lineno, f"malformed or truncated JSON ({error.msg})"))
        return [], 0
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list):
        problems.append(
            ListProblem(1, "JSON without a 'results' list: not the Consolidated Screening List form")
        )
        return [], 0
    entries: list[Entry] = []
    skipped = 0
    for index, row in enumerate(results):
        if not isinstance(row, dict) or "name" not in row or "source" not in row:
            problems.append(
                ListProblem(1, f"$.results[{index}] is not a screening-list entry (name, source)")
            )
            continue
        malformed = _json_type_problems(row, index)
        if malformed:
            problems.extend(malformed)
            continue
        entry = _csl_entry(row, list_file)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    return entries, skipped


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Cyclic garbage collection paused while building millions of small objects none of which
    is garbage (a 1,000,000-entry list loads about twice as fast)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_list(path: Path) -> tuple[LoadedList | None, list[ListProblem]]:
    """Read one list file; the problems found (with line numbers) instead of raising."""
    with no_gc():
        return _load_list(path)


def _load_list(path: Path) -> tuple[LoadedList | None, list[ListProblem]]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        return None, [ListProblem(0, f"cannot read the list file ({error.strerror or error})")]
    sha256 = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, [ListProblem(line, "not UTF-8 text")]
    if not text.strip():
        return None, [ListProblem(1, "empty file")]
    problems: list[ListProblem] = []
    list_file = path.name
    if text.lstrip().startswith(("{", "[")):
        fmt = CSL_JSON
        newest = ""
        entries, skipped = _load_json(text, list_file, problems)
    else:
        first_line = text.split("\n", 1)[0]
        try:
            first_row = next(csv.reader([first_line]))
        except (csv.Error, StopIteration):
            first_row = []
        detected = detect(first_row)
        if detected is None:
            return None, [
                ListProblem(
                    1,
                    "unknown list format: the header is neither the U.S. Consolidated Screening List's "
                    "(source, name, alt_names, programs, license_requirement, license_policy...) nor "
                    "OpenSanctions targets.simple.csv's (id, schema, name, aliases, countries, dataset...)",
                )
            ]
        fmt = detected
        entries, skipped = [], 0
        newest = ""
        header, rows = _csv_rows(text, problems)
        if header is not None:
            if fmt == CSL_CSV:
                make = _csl_csv_reader(header, list_file)
            else:
                make = _opensanctions_reader(header, list_file)
                last_change = _Columns(header).getter("last_change")
            append = entries.append
            for _line, row in rows:
                entry = make(row)
                if entry is None:
                    skipped += 1
                else:
                    append(entry)
                if fmt == OPENSANCTIONS:
                    newest = max(newest, last_change(row))
    if not problems and not entries:
        problems.append(ListProblem(1, "the list has no entries with a name (empty or header only)"))
    if problems:
        return None, problems
    date = newest[:10] if fmt == OPENSANCTIONS else ""
    if not date:
        date = _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.UTC).date().isoformat()
    return LoadedList(path, fmt, entries, skipped, sha256, date), []
