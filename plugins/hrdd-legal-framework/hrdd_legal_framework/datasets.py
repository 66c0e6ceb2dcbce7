"""The legal-framework data: loading and validating ``iccpr.toml`` and ``surveillance_laws.toml``.

Both files are TOML with a ``[meta]`` table (name, version, source, date, licence, and an
optional ``as_of``: the date the facts were true, when earlier than the transcription). The
loader checks every row and reports every problem of both files together, each naming the
file and the place in it (``$.countries.XX.status``), as one :class:`hrdd.PolicyError`.
"""

from __future__ import annotations

import datetime as _dt
import functools
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from hrdd import (
    CAPABILITIES,
    CONTRACT_CLAUSES,
    DESIGN_SAFEGUARDS,
    SECTORS,
    DataSet,
    PolicyError,
    Problem,
    read_data_file,
)

PACKAGE_DIR = Path(__file__).resolve().parent
ICCPR_FILE = "iccpr.toml"
SURVEILLANCE_FILE = "surveillance_laws.toml"

STATUSES = ("party", "signatory", "no_action", "not_applicable")
# The ICCPR was adopted on 16 December 1966; signatures and ratifications follow it.
FIRST_YEAR = 1966
ICCPR_ARTICLES = range(1, 54)  # the Covenant has 53 articles
MAX_CONCERN_WEIGHT = 3

ICCPR_ROW_KEYS = frozenset({"name", "status", "year", "applies_via", "domestic_incorporation", "note"})
CONCERN_KEYS = frozenset(
    {"label", "articles", "weight", "bears_on", "compelled_access", "clauses", "design", "mitigation"}
)
COUNTRY_KEYS = frozenset({"concerns", "articles", "basis", "as_of", "note", "sector_scope"})

# Legal risk of a destination (the ``destination.legal_risk`` fact): points for its ICCPR
# status plus the weights of its documented concerns, read against these floors.
STATUS_POINTS = {"party": 0, "signatory": 3, "no_action": 4, "not_applicable": 3}
RISK_FLOORS = ((9, "very_high"), (5, "high"), (3, "moderate"), (0, "low"))
COMPELLED_ACCESS_CAP = 2
BEARING_CACHE_SIZE = 4096


def default_data_path(name: str) -> Path:
    """A shipped data file: inside the package in a wheel, beside it in a source tree."""
    inside = PACKAGE_DIR / "data" / name
    return inside if inside.is_file() else PACKAGE_DIR.parent / "data" / name


def country_codes() -> tuple[str, ...]:
    """Every ISO 3166-1 alpha-2 code (pycountry), sorted."""
    import pycountry

    return tuple(sorted(country.alpha_2 for country in pycountry.countries))


@attrs.frozen
class IccprStatus:
    """One row of ``iccpr.toml``."""

    code: str
    name: str
    status: str
    year: int | None = None
    applies_via: str | None = None
    domestic_incorporation: str | None = None
    note: str = ""

    @property
    def weighed_as_party(self) -> bool:
        """A party, or a place no state can be a party for that incorporated the Covenant in
        its own law (weighed like a party; its treaty status is still not published)."""
        return self.status == "party" or (
            self.status == "not_applicable" and self.domestic_incorporation is not None
        )


@attrs.frozen
class Concern:
    """One concern of the closed list in ``surveillance_laws.toml``."""

    id: str
    label: str
    articles: tuple[int, ...]
    weight: int
    bears_on: frozenset[str]
    compelled_access: bool
    clauses: tuple[str, ...]
    design: tuple[str, ...]
    mitigation: str


@attrs.frozen
class CountryConcerns:
    """One country row of ``surveillance_laws.toml``."""

    code: str
    concerns: tuple[str, ...]
    articles: tuple[int, ...]
    basis: str
    as_of: _dt.date
    note: str = ""
    # concern id -> the end-user sectors it is about (a concern not named here: every sector)
    sector_scope: Mapping[str, frozenset[str]] = attrs.field(factory=dict)

    def applies_to(self, concern: str, sector: str | None) -> bool:
        """Whether a concern of this row is about end users of this sector (an end user whose
        sector is not given is in scope: unknown is never favourable)."""
        scope = self.sector_scope.get(concern)
        return scope is None or sector is None or sector in scope


@attrs.frozen(eq=False)
class LegalData:
    """Both files, checked, with the legal risk of every country worked out once. Compared
    and hashed by identity: one loaded data set is one value (plugins cache by it)."""

    iccpr: Mapping[str, IccprStatus]
    concerns: Mapping[str, Concern]
    countries: Mapping[str, CountryConcerns]
    data_holding: frozenset[str]
    iccpr_as_of: _dt.date
    surveillance_as_of: _dt.date
    iccpr_dataset: DataSet
    surveillance_dataset: DataSet
    legal_risk: Mapping[str, str]
    # Derived lookups, filled on first use (the data itself never changes).
    _concerns_by_country: dict[str, tuple[Concern, ...]] = attrs.field(factory=dict, eq=False, repr=False)
    _bearing: dict[tuple[Any, ...], tuple[Concern, ...]] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def datasets(self) -> tuple[DataSet, DataSet]:
        return (self.iccpr_dataset, self.surveillance_dataset)

    def concerns_of(self, code: str) -> tuple[Concern, ...]:
        found = self._concerns_by_country.get(code)
        if found is None:
            row = self.countries.get(code)
            found = () if row is None else tuple(self.concerns[c] for c in row.concerns)
            self._concerns_by_country[code] = found
        return found

    def bearing(
        self, code: str, sector: str | None, holder: bool, capabilities: frozenset[str] | None
    ) -> tuple[Concern, ...]:
        """The concerns of ``code`` that make misuse of an item with these capabilities more
        likely for an end user of this sector; ``holder``: the end user is not itself a
        government agency, so authorities' compelled access to what it holds bears too.
        ``capabilities`` None: unknown, so every concern bears."""
        key = (code, sector, holder, capabilities)
        found = self._bearing.get(key)
        if found is None:
            if len(self._bearing) >= BEARING_CACHE_SIZE:
                self._bearing.clear()
            found = self._bearing[key] = self._compute_bearing(code, sector, holder, capabilities)
        return found

    def _compute_bearing(
        self, code: str, sector: str | None, holder: bool, capabilities: frozenset[str] | None
    ) -> tuple[Concern, ...]:
        row = self.countries.get(code)
        if row is None:
            return ()
        bearing = []
        for concern in self.concerns_of(code):
            if not row.applies_to(concern.id, sector):
                continue  # a concern about other services (the row's sector_scope)
            if (
                capabilities is None
                or (capabilities and (not concern.bears_on or capabilities & concern.bears_on))
                or (concern.compelled_access and holder and capabilities & self.data_holding)
            ):
                bearing.append(concern)
        return tuple(bearing)


def legal_risk_level(status: IccprStatus, concerns: tuple[Concern, ...]) -> str:
    """``low`` .. ``very_high`` from the status points and the concerns' weights. Concerns
    about authorities' access to what companies hold describe one channel of surveillance:
    together they add at most ``COMPELLED_ACCESS_CAP`` points."""
    points = 0 if status.weighed_as_party else STATUS_POINTS[status.status]
    points += sum(concern.weight for concern in concerns if not concern.compelled_access)
    points += min(
        COMPELLED_ACCESS_CAP, sum(concern.weight for concern in concerns if concern.compelled_access)
    )
    return next(level for floor, level in RISK_FLOORS if points >= floor)


# --------------------------------------------------------------------------------------
# Checking values
# --------------------------------------------------------------------------------------


def _as_date(value: Any) -> _dt.date | None:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _meta_as_of(meta: Any, source: str, problems: list[Problem]) -> _dt.date | None:
    """The date the file's facts were true: ``as_of`` when given, else ``date``."""
    if not isinstance(meta, dict):
        return None
    date = _as_date(meta.get("date"))
    if meta.get("date") is not None and date is None:
        problems.append(
            Problem(source, "$.meta.date", f"{meta.get('date')!r}: expected an ISO date (YYYY-MM-DD)")
        )
    if "as_of" not in meta:
        return date
    as_of = _as_date(meta["as_of"])
    if as_of is None:
        problems.append(
            Problem(source, "$.meta.as_of", f"{meta['as_of']!r}: expected an ISO date (YYYY-MM-DD)")
        )
    return as_of


def _string(row: Mapping[str, Any], key: str, where: str, source: str, problems: list[Problem]) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(source, f"{where}.{key}", f"{value!r}: expected a non-empty string"))
        return None
    return value


def _unknown_keys(
    row: Mapping[str, Any], allowed: frozenset[str], where: str, source: str, problems: list[Problem]
) -> None:
    for key in sorted(set(row) - allowed):
        problems.append(
            Problem(source, f"{where}.{key}", f"unknown key (expected one of: {', '.join(sorted(allowed))})")
        )


def _articles(value: Any, where: str, source: str, problems: list[Problem]) -> tuple[int, ...] | None:
    if (
        not isinstance(value, list)
        or not value
        or any(type(a) is not int or a not in ICCPR_ARTICLES for a in value)
    ):
        problems.append(
            Problem(source, where, f"{value!r}: expected a non-empty list of ICCPR article numbers (1-53)")
        )
        return None
    return tuple(sorted(set(value)))


def _names(
    value: Any, allowed: tuple[str, ...], what: str, where: str, source: str, problems: list[Problem]
) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(source, where, f"{value!r}: expected a list of {what}"))
        return None
    unknown = [v for v in value if v not in allowed]
    if unknown:
        problems.append(
            Problem(source, where, f"unknown {what} {unknown!r} (expected: {', '.join(allowed)})")
        )
        return None
    return tuple(value)


# --------------------------------------------------------------------------------------
# iccpr.toml
# --------------------------------------------------------------------------------------


def _iccpr_rows(data: Mapping[str, Any], source: str, problems: list[Problem]) -> dict[str, IccprStatus]:
    rows = data.get("countries")
    if not isinstance(rows, dict):
        problems.append(Problem(source, "$.countries", "missing table of countries ([countries.XX] rows)"))
        return {}
    codes = country_codes()
    known = set(codes)
    for code in sorted(set(rows) - known):
        problems.append(Problem(source, f"$.countries.{code}", "not an ISO 3166-1 alpha-2 code"))
    statuses: dict[str, IccprStatus] = {}
    for code in codes:
        where = f"$.countries.{code}"
        row = rows.get(code)
        if row is None:
            problems.append(
                Problem(source, where, "missing: every ISO 3166-1 country needs its ICCPR status")
            )
            continue
        if not isinstance(row, dict):
            problems.append(Problem(source, where, "must be a table"))
            continue
        before = len(problems)
        _unknown_keys(row, ICCPR_ROW_KEYS, where, source, problems)
        status = row.get("status")
        year = row.get("year")
        if status not in STATUSES:
            problems.append(
                Problem(source, f"{where}.status", f"{status!r}: expected one of {', '.join(STATUSES)}")
            )
        elif status in ("party", "signatory"):
            if type(year) is not int or not FIRST_YEAR <= year <= _dt.date.today().year:
                what = "ratification, accession or succession" if status == "party" else "signature"
                problems.append(
                    Problem(
                        source,
                        f"{where}.year",
                        f"{year!r}: a {status} needs the year of its {what} (1966 or later)",
                    )
                )
        elif year is not None:
            problems.append(
                Problem(source, f"{where}.year", f"{year!r}: only a party or a signatory has a year")
            )
        via = row.get("applies_via")
        if via is not None and (not isinstance(via, str) or via not in known or via == code):
            problems.append(
                Problem(source, f"{where}.applies_via", f"{via!r}: expected the ISO code of another country")
            )
        incorporation = _string(row, "domestic_incorporation", where, source, problems)
        if incorporation is not None and status != "not_applicable":
            problems.append(
                Problem(
                    source,
                    f"{where}.domestic_incorporation",
                    "only a not_applicable row can rest on domestic incorporation",
                )
            )
        note = _string(row, "note", where, source, problems) or ""
        name = _string(row, "name", where, source, problems) or code
        if len(problems) == before:
            statuses[code] = IccprStatus(code, name, str(status), year, via, incorporation, note)
    for code, status in statuses.items():  # a territory points at a state, not at another territory
        via = status.applies_via
        if via is not None and via in statuses and statuses[via].applies_via is not None:
            problems.append(
                Problem(
                    source,
                    f"$.countries.{code}.applies_via",
                    f"{via!r} itself applies the Covenant via {statuses[via].applies_via!r}: name the state",
                )
            )
    return statuses


# --------------------------------------------------------------------------------------
# surveillance_laws.toml
# --------------------------------------------------------------------------------------


def _concerns(data: Mapping[str, Any], source: str, problems: list[Problem]) -> dict[str, Concern]:
    rows = data.get("concerns")
    if not isinstance(rows, dict) or not rows:
        problems.append(Problem(source, "$.concerns", "missing table of concerns ([concerns.<id>] rows)"))
        return {}
    concerns: dict[str, Concern] = {}
    for concern_id, row in rows.items():
        where = f"$.concerns.{concern_id}"
        if not isinstance(row, dict):
            problems.append(Problem(source, where, "must be a table"))
            continue
        before = len(problems)
        _unknown_keys(row, CONCERN_KEYS, where, source, problems)
        label = _string(row, "label", where, source, problems)
        if label is None and "label" not in row:
            problems.append(Problem(source, f"{where}.label", "is required"))
        mitigation = _string(row, "mitigation", where, source, problems)
        if mitigation is None and "mitigation" not in row:
            problems.append(Problem(source, f"{where}.mitigation", "is required"))
        articles = _articles(row.get("articles"), f"{where}.articles", source, problems)
        weight = row.get("weight")
        if type(weight) is not int or not 1 <= weight <= MAX_CONCERN_WEIGHT:
            problems.append(
                Problem(
                    source,
                    f"{where}.weight",
                    f"{weight!r}: expected an integer from 1 to {MAX_CONCERN_WEIGHT}",
                )
            )
        bears_on = _names(
            row.get("bears_on", []), CAPABILITIES, "capabilities", f"{where}.bears_on", source, problems
        )
        clauses = _names(
            row.get("clauses", []), CONTRACT_CLAUSES, "contract clauses", f"{where}.clauses", source, problems
        )
        design = _names(
            row.get("design", []), DESIGN_SAFEGUARDS, "design safeguards", f"{where}.design", source, problems
        )
        compelled = row.get("compelled_access", False)
        if not isinstance(compelled, bool):
            problems.append(
                Problem(source, f"{where}.compelled_access", f"{compelled!r}: expected true or false")
            )
        if len(problems) == before:
            assert label and mitigation and articles and bears_on is not None
            assert clauses is not None and design is not None and isinstance(weight, int)
            concerns[concern_id] = Concern(
                concern_id,
                label,
                articles,
                weight,
                frozenset(bears_on),
                compelled,
                clauses,
                design,
                mitigation,
            )
    return concerns


def _countries(
    data: Mapping[str, Any], concern_ids: set[str] | None, source: str, problems: list[Problem]
) -> dict[str, CountryConcerns]:
    """The country rows; ``concern_ids`` are the ids the file defines (None when it defines
    none: then only that is reported, not every row that uses one)."""
    rows = data.get("countries", {})
    if not isinstance(rows, dict):
        problems.append(Problem(source, "$.countries", "must be a table of [countries.XX] rows"))
        return {}
    known = set(country_codes())
    countries: dict[str, CountryConcerns] = {}
    for code, row in rows.items():
        where = f"$.countries.{code}"
        if code not in known:
            problems.append(Problem(source, where, "not an ISO 3166-1 alpha-2 code"))
            continue
        if not isinstance(row, dict):
            problems.append(Problem(source, where, "must be a table"))
            continue
        before = len(problems)
        _unknown_keys(row, COUNTRY_KEYS, where, source, problems)
        listed = row.get("concerns")
        if not isinstance(listed, list) or not listed or not all(isinstance(c, str) for c in listed):
            problems.append(
                Problem(source, f"{where}.concerns", f"{listed!r}: expected a non-empty list of concern ids")
            )
        elif concern_ids is not None:
            unknown = [c for c in listed if c not in concern_ids]
            if unknown:
                problems.append(
                    Problem(
                        source,
                        f"{where}.concerns",
                        f"unknown concern id(s) {unknown!r} (defined: {', '.join(sorted(concern_ids))})",
                    )
                )
            elif len(set(listed)) != len(listed):
                problems.append(Problem(source, f"{where}.concerns", "lists a concern more than once"))
        articles = _articles(row.get("articles"), f"{where}.articles", source, problems)
        basis = _string(row, "basis", where, source, problems)
        if basis is None and "basis" not in row:
            problems.append(Problem(source, f"{where}.basis", "is required: the public sources, in one line"))
        as_of = _as_date(row.get("as_of"))
        if as_of is None:
            problems.append(
                Problem(
                    source,
                    f"{where}.as_of",
                    f"{row.get('as_of')!r}: expected the date (YYYY-MM-DD) of the latest source",
                )
            )
        note = _string(row, "note", where, source, problems) or ""
        scope = _sector_scope(row.get("sector_scope", {}), listed, f"{where}.sector_scope", source, problems)
        if len(problems) == before:
            assert articles is not None and basis is not None and as_of is not None
            assert isinstance(listed, list)
            countries[code] = CountryConcerns(
                code, tuple(sorted(listed)), articles, basis, as_of, note, scope
            )
    return countries


def _sector_scope(
    value: Any, listed: Any, where: str, source: str, problems: list[Problem]
) -> dict[str, frozenset[str]]:
    if not isinstance(value, dict):
        problems.append(Problem(source, where, f"{value!r}: expected a table of concern id = [sectors]"))
        return {}
    scope = {}
    for concern_id, sectors in value.items():
        if not isinstance(listed, list) or concern_id not in listed:
            problems.append(
                Problem(source, f"{where}.{concern_id}", "scopes a concern the row does not list")
            )
            continue
        names = _names(sectors, SECTORS, "sectors", f"{where}.{concern_id}", source, problems)
        if names is not None and not names:
            problems.append(
                Problem(source, f"{where}.{concern_id}", "an empty scope: list sectors, or drop the key")
            )
        elif names:
            scope[concern_id] = frozenset(names)
    return scope


def _data_holding(data: Mapping[str, Any], source: str, problems: list[Problem]) -> frozenset[str]:
    scope = data.get("scope")
    if not isinstance(scope, dict) or "data_holding" not in scope:
        problems.append(
            Problem(
                source,
                "$.scope.data_holding",
                "missing: the capabilities that make an item hold personal data",
            )
        )
        return frozenset()
    names = _names(
        scope["data_holding"], CAPABILITIES, "capabilities", "$.scope.data_holding", source, problems
    )
    return frozenset(names or ())


# --------------------------------------------------------------------------------------
# Loading both
# --------------------------------------------------------------------------------------


def _read(path: Path, problems: list[Problem]) -> tuple[dict[str, Any], DataSet | None]:
    try:
        data, dataset, found = read_data_file(path)
    except PolicyError as error:  # missing or not TOML: nothing more to check in this file
        problems.extend(error.problems)
        return {}, None
    problems.extend(found)
    return data, dataset


def load_legal_data(iccpr_path: Path, surveillance_path: Path) -> LegalData:
    """Load and check both files; every problem of both is reported together.

    :raises PolicyError: a file is missing, is not TOML, lacks provenance, lacks a country,
        or has a value out of its range; each problem names the file and the path.
    """
    problems: list[Problem] = []
    iccpr_source, surveillance_source = str(iccpr_path), str(surveillance_path)

    iccpr_data, iccpr_dataset = _read(iccpr_path, problems)
    iccpr_as_of = _meta_as_of(iccpr_data.get("meta"), iccpr_source, problems)
    statuses = _iccpr_rows(iccpr_data, iccpr_source, problems) if iccpr_data else {}

    surveillance_data, surveillance_dataset = _read(surveillance_path, problems)
    surveillance_as_of = _meta_as_of(surveillance_data.get("meta"), surveillance_source, problems)
    concerns: dict[str, Concern] = {}
    countries: dict[str, CountryConcerns] = {}
    data_holding: frozenset[str] = frozenset()
    if surveillance_data:
        concerns = _concerns(surveillance_data, surveillance_source, problems)
        data_holding = _data_holding(surveillance_data, surveillance_source, problems)
        defined = surveillance_data.get("concerns")
        countries = _countries(
            surveillance_data,
            set(defined) if isinstance(defined, dict) and defined else None,
            surveillance_source,
            problems,
        )

    if problems:
        raise PolicyError(problems)
    assert iccpr_dataset is not None and surveillance_dataset is not None
    assert iccpr_as_of is not None and surveillance_as_of is not None
    legal_risk = {
        code: legal_risk_level(
            status, tuple(concerns[c] for c in countries[code].concerns) if code in countries else ()
        )
        for code, status in statuses.items()
    }
    # Engines share a LegalData (cached per file version): nothing may change it.
    return LegalData(
        iccpr=types.MappingProxyType(statuses),
        concerns=types.MappingProxyType(concerns),
        countries=types.MappingProxyType(countries),
        data_holding=data_holding,
        iccpr_as_of=iccpr_as_of,
        surveillance_as_of=surveillance_as_of,
        iccpr_dataset=iccpr_dataset,
        surveillance_dataset=surveillance_dataset,
        legal_risk=types.MappingProxyType(legal_risk),
    )


def _stamp(path: Path) -> tuple[Path, int, int]:
    try:
        stat = path.stat()
    except OSError:
        return path, -1, -1
    return path.resolve(), stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=16)
def _load_cached(iccpr: tuple[Path, int, int], surveillance: tuple[Path, int, int]) -> LegalData:
    return load_legal_data(iccpr[0], surveillance[0])


def legal_data_for(iccpr_path: Path, surveillance_path: Path) -> LegalData:
    """The data in these two files, checked once per file version (engines share it; it is
    immutable). A missing file is never cached, so its error names it every time."""
    iccpr, surveillance = _stamp(iccpr_path), _stamp(surveillance_path)
    if iccpr[1] < 0 or surveillance[1] < 0:
        return load_legal_data(iccpr_path, surveillance_path)
    return _load_cached(iccpr, surveillance)
