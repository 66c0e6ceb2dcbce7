"""The ICCPR-status and surveillance-law data files: the shipped facts, a team's own files,
and the errors a bad file gets (at policy load, naming the file and the place, all at once)."""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pycountry
import pytest

import hrdd
from hrdd_legal_framework.datasets import default_data_path, legal_data_for

PLUGIN = "hrdd-legal-framework"
README = Path(__file__).resolve().parents[1] / "README.md"
ICCPR = default_data_path("iccpr.toml")
SURVEILLANCE = default_data_path("surveillance_laws.toml")
CODES = sorted(country.alpha_2 for country in pycountry.countries)

# --------------------------------------------------------------------------------------
# Helpers: a small TOML writer for these files' shapes, and a policy pointing at copies
# --------------------------------------------------------------------------------------


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML here")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def dump(document: dict[str, Any]) -> str:
    """Top-level tables, and tables of tables whose rows are scalars, lists or inline tables."""
    lines: list[str] = []
    for name, table in document.items():
        if not isinstance(table, dict):
            lines.insert(0, f"{_key(name)} = {_value(table)}")
            continue
        nested = {k: v for k, v in table.items() if isinstance(v, dict) and name in ("concerns", "countries")}
        lines.append(f"[{_key(name)}]")
        lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items() if k not in nested]
        for sub, row in nested.items():
            lines.append(f"[{_key(name)}.{_key(sub)}]")
            lines += [f"{_key(k)} = {_value(v)}" for k, v in row.items()]
    return "\n".join(lines) + "\n"


def shipped(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def write(directory: Path, name: str, document: dict[str, Any]) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(document), encoding="utf-8")
    return path


def write_policy(
    directory: Path, iccpr: str | None = "iccpr.toml", surveillance: str | None = "laws.toml"
) -> Path:
    lines = [
        "[policy]",
        'name = "t"',
        'version = "1"',
        "[plugins.hrdd-item-capability]",
        f"[plugins.{PLUGIN}]",
    ]
    lines.append(f"[plugins.{PLUGIN}.config]")
    if iccpr is not None:
        lines.append(f"iccpr_data = {json.dumps(iccpr)}")
    if surveillance is not None:
        lines.append(f"surveillance_data = {json.dumps(surveillance)}")
    path = directory / "policy.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def policy_error(policy: Path) -> hrdd.PolicyError:
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(policy)
    return raised.value


def transaction(country: str, **end_user: Any) -> dict[str, Any]:
    return {
        "id": "TX-1",
        "date": "2025-06-01",
        "items": [
            {
                "id": "item-1",
                "name": "CaseSearch",
                "description": "Search across case files and documents",
                "categories": ["data_analytics"],
            }
        ],
        "end_user": {"name": "Agency", "country": country, "type": "government_agency", **end_user},
    }


# --------------------------------------------------------------------------------------
# The shipped files
# --------------------------------------------------------------------------------------


def test_shipped_files_load_and_name_their_provenance() -> None:
    data = legal_data_for(ICCPR, SURVEILLANCE)
    assert [d.name for d in data.datasets] == ["hrdd-iccpr-status", "hrdd-surveillance-law-concerns"]
    for dataset in data.datasets:
        assert dataset.version and dataset.licence and dataset.date == "2026-11-28"
    assert (
        "Chapter IV" in data.iccpr_dataset.source
        and "Civil and Political Rights" in data.iccpr_dataset.source
    )
    assert "concluding observations" in data.surveillance_dataset.source
    assert "Country Reports" in data.surveillance_dataset.source


def test_assessment_provenance_names_both_files_with_their_sha256(tmp_path: Path) -> None:
    policy = write_policy(tmp_path, iccpr=None, surveillance=None)
    assessment = hrdd.Engine.from_policy(policy).assess(transaction("NL"))
    by_name = {d.name: d for d in assessment.provenance.data}
    assert by_name["hrdd-iccpr-status"].sha256 == hashlib.sha256(ICCPR.read_bytes()).hexdigest()
    assert (
        by_name["hrdd-surveillance-law-concerns"].sha256
        == hashlib.sha256(SURVEILLANCE.read_bytes()).hexdigest()
    )


def test_readme_states_the_shipped_versions_dates_and_counts() -> None:
    readme = README.read_text(encoding="utf-8")
    for path in (ICCPR, SURVEILLANCE):
        meta = shipped(path)["meta"]
        assert f"`{meta['name']}` version {meta['version']}" in readme
        assert f"transcribed {meta['date']}" in readme
        assert f"facts\nas of {meta['as_of']}" in readme or f"facts as of {meta['as_of']}" in readme
    assert f"rows for {len(shipped(SURVEILLANCE)['countries'])} countries" in readme
    for concern in shipped(SURVEILLANCE)["concerns"]:
        assert f"`{concern}`" in readme


def test_every_iso_code_has_an_iccpr_status() -> None:
    data = legal_data_for(ICCPR, SURVEILLANCE)
    assert sorted(data.iccpr) == CODES and len(CODES) == 249
    assert sorted(data.legal_risk) == CODES


STATES = [code for code, row in shipped(ICCPR)["countries"].items() if "applies_via" not in row]


def test_the_un_member_and_observer_states_add_up() -> None:
    """173 parties, 6 signatories and 16 states without action: the UNTC count for the 195 states."""
    rows = shipped(ICCPR)["countries"]
    states = [rows[c] for c in STATES if c not in ("CK", "NU", "IO", "AQ", "TW")]
    assert len(states) == 195
    counts = {s: sum(1 for r in states if r["status"] == s) for s in ("party", "signatory", "no_action")}
    assert counts == {"party": 173, "signatory": 6, "no_action": 16}


@pytest.mark.parametrize(
    ("code", "status", "year"),
    [
        ("CN", "signatory", 1998),
        ("CU", "signatory", 2008),
        ("KM", "signatory", 2008),
        ("NR", "signatory", 2001),
        ("PW", "signatory", 2011),
        ("LC", "signatory", 2011),
        *[
            (code, "no_action", None)
            for code in (
                "SA",
                "AE",
                "MY",
                "MM",
                "SG",
                "OM",
                "SS",
                "BT",
                "BN",
                "KI",
                "FM",
                "SB",
                "TO",
                "TV",
                "VA",
                "KN",
            )
        ],
        ("QA", "party", 2018),
        ("FJ", "party", 2018),
        ("MH", "party", 2018),
        ("WS", "party", 2008),
        ("PS", "party", 2014),
        ("AG", "party", 2019),
        ("US", "party", 1992),
        ("GB", "party", 1976),
        ("RU", "party", 1973),
        ("IN", "party", 1979),
        ("PK", "party", 2010),
    ],
)
def test_known_treaty_facts(code: str, status: str, year: int | None) -> None:
    row = legal_data_for(ICCPR, SURVEILLANCE).iccpr[code]
    assert (row.status, row.year) == (status, year)


@pytest.mark.parametrize(
    ("code", "via", "year"), [("GL", "DK", 1972), ("PR", "US", 1992), ("HK", "CN", 1997), ("MO", "CN", 1999)]
)
def test_territories_apply_the_covenant_via_their_state(code: str, via: str, year: int) -> None:
    row = legal_data_for(ICCPR, SURVEILLANCE).iccpr[code]
    assert (row.status, row.applies_via, row.year) == ("party", via, year)
    if via == "CN":
        assert "notification" in row.note


def test_territories_repeat_their_states_status_except_the_documented_ones() -> None:
    data = legal_data_for(ICCPR, SURVEILLANCE)
    for code, row in data.iccpr.items():
        if row.applies_via and code not in ("HK", "MO"):
            state = data.iccpr[row.applies_via]
            assert (row.status, row.year) == (state.status, state.year), code


def test_uncertain_rows_say_so() -> None:
    rows = shipped(ICCPR)["countries"]
    for code in ("CK", "NU", "TK", "FO", "ST"):
        assert re.search(r"uncertain|verify", rows[code]["note"], re.IGNORECASE), code


def test_every_surveillance_row_cites_a_basis_and_a_date() -> None:
    data = legal_data_for(ICCPR, SURVEILLANCE)
    for code, row in data.countries.items():
        assert row.basis.strip() and row.as_of <= _dt.date(2026, 11, 28), code
        assert set(row.articles) <= {2, 17, 19, 21, 22}, code


# --------------------------------------------------------------------------------------
# A team's own files
# --------------------------------------------------------------------------------------


def test_a_teams_own_files_change_the_outcome_and_the_provenance(tmp_path: Path) -> None:
    """A team whose counsel documented Canadian concerns records them; the same deal now needs safeguards."""
    iccpr, laws = shipped(ICCPR), shipped(SURVEILLANCE)
    iccpr["meta"]["name"], laws["meta"]["name"] = "acme-iccpr", "acme-laws"
    laws["countries"]["CA"] = {
        "concerns": ["no_independent_oversight"],
        "articles": [17],
        "basis": "Acme counsel memo 2025-14",
        "as_of": _dt.date(2025, 5, 1),
    }
    write(tmp_path, "iccpr.toml", iccpr)
    write(tmp_path, "laws.toml", laws)
    assessment = hrdd.Engine.from_policy(write_policy(tmp_path)).assess(transaction("CA"))
    assert {f.rule_id: f.outcome.value for f in assessment.findings if f.plugin == PLUGIN} == {
        "HRDD-LAW-004": "safeguards_required"
    }
    assert {d.name for d in assessment.provenance.data} >= {"acme-iccpr", "acme-laws"}


def test_data_paths_are_relative_to_the_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "policies" / "data", "iccpr.toml", shipped(ICCPR))
    write(tmp_path / "policies" / "data", "laws.toml", shipped(SURVEILLANCE))
    policy = write_policy(tmp_path / "policies", iccpr="data/iccpr.toml", surveillance="data/laws.toml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assessment = hrdd.Engine.from_policy(policy).assess(transaction("SA"))
    assert assessment.decision == "escalate"


# --------------------------------------------------------------------------------------
# Bad files: refused when the engine is built, naming the file and the path
# --------------------------------------------------------------------------------------


def _set(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        table = document
        for key in path[:-1]:
            table = table[key]
        table[path[-1]] = value

    return mutate


def _drop(*path: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        table = document
        for key in path[:-1]:
            table = table[key]
        del table[path[-1]]

    return mutate


BAD_ICCPR = [
    pytest.param(_drop("meta"), "$.meta", id="no-meta"),
    pytest.param(_drop("meta", "licence"), "$.meta.licence", id="no-licence"),
    pytest.param(_set("meta", "as_of", value="last year"), "$.meta.as_of", id="as-of-not-a-date"),
    pytest.param(_drop("countries", "NL"), "$.countries.NL", id="country-missing"),
    pytest.param(_drop("countries"), "$.countries", id="no-countries"),
    pytest.param(
        _set("countries", "XK", value={"status": "party", "year": 2000}), "$.countries.XK", id="not-iso"
    ),
    pytest.param(
        _set("countries", "NL", "status", value="ratified"), "$.countries.NL.status", id="bad-status"
    ),
    pytest.param(_drop("countries", "NL", "year"), "$.countries.NL.year", id="party-without-year"),
    pytest.param(_set("countries", "NL", "year", value=1950), "$.countries.NL.year", id="year-before-1966"),
    pytest.param(
        _set("countries", "SA", "year", value=2010), "$.countries.SA.year", id="no-action-with-year"
    ),
    pytest.param(
        _set("countries", "GL", "applies_via", value="ZZ"), "$.countries.GL.applies_via", id="via-unknown"
    ),
    pytest.param(
        _set("countries", "GL", "applies_via", value="FO"), "$.countries.GL.applies_via", id="via-chain"
    ),
    pytest.param(_set("countries", "NL", "stauts", value="party"), "$.countries.NL.stauts", id="typo-key"),
    pytest.param(
        _set("countries", "NL", "domestic_incorporation", value="Act"),
        "$.countries.NL.domestic_incorporation",
        id="incorporation-on-a-party",
    ),
    pytest.param(_set("countries", "NL", "note", value=""), "$.countries.NL.note", id="empty-note"),
]

BAD_LAWS = [
    pytest.param(_drop("meta", "source"), "$.meta.source", id="no-source"),
    pytest.param(_drop("concerns"), "$.concerns", id="no-concerns"),
    pytest.param(
        _set("concerns", "bulk_powers", "weight", value=0), "$.concerns.bulk_powers.weight", id="weight-0"
    ),
    pytest.param(
        _set("concerns", "bulk_powers", "bears_on", value=["telepathy"]),
        "$.concerns.bulk_powers.bears_on",
        id="unknown-capability",
    ),
    pytest.param(
        _set("concerns", "bulk_powers", "clauses", value=["pinky_promise"]),
        "$.concerns.bulk_powers.clauses",
        id="unknown-clause",
    ),
    pytest.param(
        _set("concerns", "bulk_powers", "design", value=["prayer"]),
        "$.concerns.bulk_powers.design",
        id="unknown-design",
    ),
    pytest.param(
        _set("concerns", "bulk_powers", "articles", value=[99]),
        "$.concerns.bulk_powers.articles",
        id="article-99",
    ),
    pytest.param(
        _set("concerns", "bulk_powers", "compelled_access", value="yes"),
        "$.concerns.bulk_powers.compelled_access",
        id="compelled-not-bool",
    ),
    pytest.param(_drop("concerns", "bulk_powers", "label"), "$.concerns.bulk_powers.label", id="no-label"),
    pytest.param(
        _set("countries", "RU", "concerns", value=["no_judicial_authorisation", "mind_control"]),
        "$.countries.RU.concerns",
        id="unknown-concern-id",
    ),
    pytest.param(
        _set("countries", "RU", "concerns", value=[]), "$.countries.RU.concerns", id="empty-concerns"
    ),
    pytest.param(_drop("countries", "RU", "as_of"), "$.countries.RU.as_of", id="no-as-of"),
    pytest.param(_drop("countries", "RU", "basis"), "$.countries.RU.basis", id="no-basis"),
    pytest.param(
        _set("countries", "RU", "articles", value="17"), "$.countries.RU.articles", id="articles-not-list"
    ),
    pytest.param(
        _set(
            "countries",
            "UK",
            value={"concerns": ["bulk_powers"], "articles": [17], "basis": "x", "as_of": "2024-01-01"},
        ),
        "$.countries.UK",
        id="uk-is-not-iso",
    ),
    pytest.param(
        _set("countries", "SE", "sector_scope", value={"bulk_powers": ["spies"]}),
        "$.countries.SE.sector_scope.bulk_powers",
        id="unknown-sector",
    ),
    pytest.param(
        _set("countries", "SE", "sector_scope", value={"no_remedy": ["intelligence"]}),
        "$.countries.SE.sector_scope.no_remedy",
        id="scope-for-unlisted-concern",
    ),
    pytest.param(_drop("scope"), "$.scope.data_holding", id="no-data-holding"),
]


def _refused(tmp_path: Path, iccpr: dict[str, Any], laws: dict[str, Any]) -> hrdd.PolicyError:
    write(tmp_path, "iccpr.toml", iccpr)
    write(tmp_path, "laws.toml", laws)
    return policy_error(write_policy(tmp_path))


@pytest.mark.parametrize(("mutate", "where"), BAD_ICCPR)
def test_bad_iccpr_file_is_refused_naming_file_and_path(
    tmp_path: Path, mutate: Callable[..., None], where: str
) -> None:
    document = copy.deepcopy(shipped(ICCPR))
    mutate(document)
    error = _refused(tmp_path, document, shipped(SURVEILLANCE))
    assert [(Path(p.source).name, p.path) for p in error.problems] == [("iccpr.toml", where)], str(error)
    assert "iccpr.toml" in str(error) and where in str(error)


@pytest.mark.parametrize(("mutate", "where"), BAD_LAWS)
def test_bad_surveillance_file_is_refused_naming_file_and_path(
    tmp_path: Path, mutate: Callable[..., None], where: str
) -> None:
    document = copy.deepcopy(shipped(SURVEILLANCE))
    mutate(document)
    error = _refused(tmp_path, shipped(ICCPR), document)
    assert [(Path(p.source).name, p.path) for p in error.problems] == [("laws.toml", where)], str(error)


def test_every_problem_of_both_files_is_reported_together(tmp_path: Path) -> None:
    iccpr, laws = shipped(ICCPR), shipped(SURVEILLANCE)
    del iccpr["countries"]["FR"]
    iccpr["countries"]["CU"]["status"] = "maybe"
    laws["countries"]["RU"]["concerns"] = ["mind_control"]
    laws["concerns"]["no_remedy"]["weight"] = 7
    problems = {(Path(p.source).name, p.path) for p in _refused(tmp_path, iccpr, laws).problems}
    assert problems == {
        ("iccpr.toml", "$.countries.FR"),
        ("iccpr.toml", "$.countries.CU.status"),
        ("laws.toml", "$.countries.RU.concerns"),
        ("laws.toml", "$.concerns.no_remedy.weight"),
    }


def test_missing_and_malformed_files_are_refused_together(tmp_path: Path) -> None:
    (tmp_path / "laws.toml").write_text("[meta\nname = 'broken", encoding="utf-8")
    problems = policy_error(write_policy(tmp_path, iccpr="nowhere.toml")).problems
    assert [(Path(p.source).name, p.message.split(":")[0]) for p in problems] == [
        ("nowhere.toml", "file not found"),
        ("laws.toml", "invalid TOML"),
    ]
