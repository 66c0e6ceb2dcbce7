"""The country data: the shipped file's coverage, provenance and tier rule; a team's own file;
and the errors a bad file gets (file and row named, every problem at once)."""

from __future__ import annotations

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
from hypothesis import given, settings
from hypothesis import strategies as st

import hrdd
from hrdd_human_rights_record.countries import (
    FREEDOM_STATUSES,
    TIERS,
    default_data_path,
    load_countries,
)

PLUGIN = "hrdd-human-rights-record"
SHIPPED = default_data_path()
README = Path(__file__).resolve().parents[1] / "README.md"
ALL_CODES = {country.alpha_2 for country in pycountry.countries}

# The project's tier rule (README and the data file's header).
TIER_RULE = {
    ("not_free", True): "very_high",
    ("not_free", False): "high",
    ("partly_free", True): "high",
    ("partly_free", False): "moderate",
    ("free", True): "moderate",
    ("free", False): "low",
}


def shipped_document() -> dict[str, Any]:
    return tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r}")


def dump(document: dict[str, Any]) -> str:
    """TOML for a country-shaped document: a [meta] table and [countries.XX] tables."""
    lines: list[str] = []
    for name, table in document.items():
        if not isinstance(table, dict):
            lines.insert(0, f"{name} = {_value(table)}")
            continue
        lines.append(f"[{name}]")
        lines += [f"{key} = {_value(value)}" for key, value in table.items() if not isinstance(value, dict)]
        for key, row in table.items():
            if isinstance(row, dict):
                lines.append(f"[{name}.{key}]")
                lines += [f"{k} = {_value(v)}" for k, v in row.items()]
            elif not isinstance(row, (str, int, float, bool, list, _dt.date)):
                raise TypeError(row)
    return "\n".join(lines) + "\n"


def write_countries(directory: Path, document: dict[str, Any], name: str = "countries.toml") -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(document), encoding="utf-8")
    return path


def write_policy(directory: Path, data: str | None = "countries.toml", **config: Any) -> Path:
    lines = [
        "[policy]",
        'name = "hr-data-test"',
        'version = "1"',
        "[plugins.hrdd-item-capability]",
        f"[plugins.{PLUGIN}]",
        f"[plugins.{PLUGIN}.config]",
    ]
    if data is not None:
        lines.append(f"data = {json.dumps(data)}")
    lines += [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    path = directory / "policy.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def policy_error(directory: Path) -> hrdd.PolicyError:
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(directory / "policy.toml")
    return raised.value


def transaction(country: str, sector: str = "law_enforcement") -> dict[str, Any]:
    return {
        "id": "TX-DATA-1",
        "date": "2025-06-01",
        "items": [
            {
                "id": "cam",
                "name": "PatrolCam BW-3",
                "description": "Body-worn camera",
                "categories": ["body_worn_camera"],
                "capabilities": ["audio_video_recording"],
            }
        ],
        "end_user": {"name": "Police", "country": country, "type": "government_agency", "sector": sector},
    }


# --------------------------------------------------------------------------------------
# The shipped file
# --------------------------------------------------------------------------------------


def test_shipped_file_covers_every_iso_code_and_names_its_provenance() -> None:
    data = load_countries(SHIPPED)
    assert set(data.records) == ALL_CODES and len(ALL_CODES) == 249
    dataset = data.dataset
    assert dataset.name == "hrdd-human-rights-record-countries"
    assert "Freedom in the World 2025" in dataset.source and "26 February 2025" in dataset.source
    assert "2023 Country Reports on Human Rights Practices" in dataset.source
    assert "Freedom House" in dataset.licence and "public domain" in dataset.licence
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", dataset.version)
    assert _dt.date.fromisoformat(dataset.date) <= _dt.date.today()
    assert dataset.sha256 == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()


def test_readme_states_the_shipped_version_and_date() -> None:
    dataset = load_countries(SHIPPED).dataset
    readme = README.read_text(encoding="utf-8")
    assert f"version {dataset.version}" in readme and dataset.date in readme


def test_shipped_tiers_follow_the_documented_rule() -> None:
    """Every rated row's tier is what the rule gives for its status and surveillance flag."""
    rows = shipped_document()["countries"]
    for code, row in rows.items():
        if "rated_as" in row:
            assert "tier" not in row and "freedom_status" not in row, code
            continue
        if row["freedom_status"] == "unrated":
            assert row["tier"] == "moderate", code  # never low without a rating
            assert row.get("note"), code
            continue
        assert isinstance(row.get("surveillance_abuses"), bool), f"{code}: the flag decides the tier"
        assert row["tier"] == TIER_RULE[(row["freedom_status"], row["surveillance_abuses"])], code


def test_territories_take_their_sovereigns_record() -> None:
    data = load_countries(SHIPPED)
    for code, record in data.records.items():
        if record.rated_as:
            sovereign = data.records[record.rated_as]
            assert sovereign.rated_as is None, code
            assert (record.freedom_status, record.tier) == (sovereign.freedom_status, sovereign.tier), code
            assert record.note, f"{code}: say why it is rated as {record.rated_as}"
    assert data.records["PR"].rated_as == "US" and data.records["PR"].tier == "low"
    assert data.records["MO"].rated_as == "CN" and data.records["MO"].tier == "very_high"
    assert data.records["GL"].rated_as == "DK"


def test_territories_freedom_house_rates_separately_keep_their_own_rating() -> None:
    data = load_countries(SHIPPED)
    assert (data.records["HK"].freedom_status, data.records["HK"].rated_as) == ("partly_free", None)
    assert (data.records["EH"].freedom_status, data.records["EH"].rated_as) == ("not_free", None)
    assert (data.records["PS"].freedom_status, data.records["PS"].rated_as) == ("not_free", None)
    assert data.records["TW"].freedom_status == "free"


def test_the_2025_editions_status_changes_are_transcribed() -> None:
    """The status changes of Freedom in the World 2025, checked against its press coverage."""
    records = load_countries(SHIPPED).records
    expected = {
        "BT": "free",
        "SN": "free",
        "JO": "partly_free",
        "KW": "not_free",
        "NE": "not_free",
        "TZ": "not_free",
        "TH": "not_free",
    }
    assert {code: records[code].freedom_status for code in expected} == expected
    for code in expected:
        assert "Freedom in the World 2025" in records[code].note, code


def test_well_known_records_are_where_a_reviewer_expects_them() -> None:
    tiers = {code: record.tier for code, record in load_countries(SHIPPED).records.items()}
    for code in ("CN", "RU", "IR", "SA", "AE", "EG", "BY", "KP", "VN", "MM", "CU", "VE", "NI", "TR"):
        assert tiers[code] == "very_high", code
    for code in ("NL", "DE", "FI", "NO", "CA", "JP", "NZ", "US"):
        assert tiers[code] == "low", code
    assert tiers["IN"] == "high" and tiers["HU"] == "high" and tiers["MX"] == "high"


def test_uncertain_values_say_so() -> None:
    """Rows the transcriber was unsure of carry a note, as the README lists them."""
    records = load_countries(SHIPPED).records
    for code in ("CO", "DO", "EC", "FJ", "HT", "KM", "MR", "PE", "SB", "TG", "TO"):
        assert "uncertain" in records[code].note, code
    for code in ("AO", "BF", "CD", "DJ", "KG", "LY", "ML", "MZ", "TZ", "YE", "ZW"):
        assert "flag uncertain" in records[code].note, code
    readme = README.read_text(encoding="utf-8")
    for name in ("Colombia", "Tonga", "Zimbabwe", "Puerto Rico"):
        assert name in readme


def test_assessment_provenance_names_the_country_data(tmp_path: Path) -> None:
    assessment = hrdd.Engine.from_policy(write_policy(tmp_path, data=None)).assess(transaction("NL"))
    [dataset] = [d for d in assessment.provenance.data if d.name == "hrdd-human-rights-record-countries"]
    assert dataset.sha256 == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------
# A team's own file
# --------------------------------------------------------------------------------------


def test_own_file_changes_the_outcome_and_the_provenance(tmp_path: Path) -> None:
    """A team whose licensed index puts the Netherlands at high risk sees the same deal need limits."""
    document = shipped_document()
    document["meta"].update(name="acme-country-risk", version="2027.1.0", source="Acme licensed index")
    document["countries"]["NL"].update(freedom_status="partly_free", tier="high")
    del document["countries"]["NL"]["surveillance_abuses"]  # optional in a team's file
    path = write_countries(tmp_path, document)
    engine = hrdd.Engine.from_policy(write_policy(tmp_path))
    assessment = engine.assess(transaction("NL"))
    assert assessment.decision == "proceed_with_safeguards"
    assert {f.rule_id for f in assessment.findings if f.plugin == PLUGIN} == {"HRDD-HR-004"}
    [dataset] = [d for d in assessment.provenance.data if d.name == "acme-country-risk"]
    assert (dataset.version, dataset.sha256) == ("2027.1.0", hashlib.sha256(path.read_bytes()).hexdigest())


def test_own_file_is_found_relative_to_the_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = shipped_document()
    document["meta"]["name"] = "acme-country-risk"
    write_countries(tmp_path / "policies" / "data", document, name="acme.toml")
    policy = write_policy(tmp_path / "policies", data="data/acme.toml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assessment = hrdd.Engine.from_policy(policy).assess(transaction("NL"))
    assert "acme-country-risk" in [d.name for d in assessment.provenance.data]


def test_own_file_rated_as_row_may_restate_matching_values(tmp_path: Path) -> None:
    document = shipped_document()
    document["countries"]["PR"].update(freedom_status="free", tier="low")
    write_countries(tmp_path, document)
    assert hrdd.Engine.from_policy(write_policy(tmp_path)).assess(transaction("PR")).decision == "proceed"


def test_own_file_can_rate_a_territory_on_its_own(tmp_path: Path) -> None:
    document = shipped_document()
    del document["countries"]["GL"]["rated_as"]
    document["countries"]["GL"].update(freedom_status="free", tier="moderate")
    write_countries(tmp_path, document)
    engine = hrdd.Engine.from_policy(write_policy(tmp_path))
    finding = next(f for f in engine.assess(transaction("GL")).findings if f.rule_id == "HRDD-HR-010")
    assert "risk tier moderate" in finding.message


# --------------------------------------------------------------------------------------
# A bad file is refused when the engine is built, naming the file and the row
# --------------------------------------------------------------------------------------


def _drop(*path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        table = document
        for key in path[:-1]:
            table = table[key]
        del table[path[-1]]

    return mutate


def _set(*path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        table = document
        for key in path[:-1]:
            table = table[key]
        table[path[-1]] = value

    return mutate


BAD = [
    pytest.param(_drop("meta"), "$.meta", id="no-meta"),
    *[
        pytest.param(_drop("meta", key), f"$.meta.{key}", id=f"meta-without-{key}")
        for key in ("source", "licence", "date")
    ],
    pytest.param(_drop("countries"), "$.countries", id="no-countries-table"),
    pytest.param(_drop("countries", "FR"), "$.countries.FR", id="country-missing"),
    pytest.param(
        _set(
            "countries",
            "XK",
            value={
                "name": "Kosovo",
                "freedom_status": "partly_free",
                "tier": "moderate",
                "as_of": _dt.date(2025, 2, 26),
            },
        ),
        "$.countries.XK",
        id="not-an-iso-code",
    ),
    pytest.param(_set("countries", "FR", "tier", value="severe"), "$.countries.FR.tier", id="tier-not-valid"),
    pytest.param(_drop("countries", "FR", "tier"), "$.countries.FR.tier", id="tier-missing"),
    pytest.param(
        _set("countries", "FR", "freedom_status", value="Free"),
        "$.countries.FR.freedom_status",
        id="status-not-valid",
    ),
    pytest.param(
        _drop("countries", "FR", "freedom_status"), "$.countries.FR.freedom_status", id="status-missing"
    ),
    pytest.param(
        _set("countries", "FR", "as_of", value="last spring"), "$.countries.FR.as_of", id="as-of-not-a-date"
    ),
    pytest.param(_drop("countries", "FR", "as_of"), "$.countries.FR.as_of", id="as-of-missing"),
    pytest.param(_set("countries", "FR", "name", value=""), "$.countries.FR.name", id="name-empty"),
    pytest.param(_set("countries", "FR", "teir", value="low"), "$.countries.FR.teir", id="unknown-key"),
    pytest.param(
        _set("countries", "FR", "surveillance_abuses", value="yes"),
        "$.countries.FR.surveillance_abuses",
        id="flag-not-boolean",
    ),
    pytest.param(_set("countries", "FR", value="free"), "$.countries.FR", id="row-not-a-table"),
    pytest.param(
        _set("countries", "PR", "rated_as", value="ZZ"), "$.countries.PR.rated_as", id="rated-as-unknown-code"
    ),
    pytest.param(
        _set("countries", "PR", "rated_as", value="PR"), "$.countries.PR.rated_as", id="rated-as-itself"
    ),
    pytest.param(
        _set("countries", "PR", "rated_as", value="GU"), "$.countries.PR.rated_as", id="rated-as-chain"
    ),
    pytest.param(
        _set("countries", "PR", "tier", value="high"),
        "$.countries.PR.tier",
        id="rated-as-with-different-tier",
    ),
]


@pytest.mark.parametrize(("mutate", "where"), BAD)
def test_bad_country_file_is_refused_naming_file_and_row(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], where: str
) -> None:
    document = shipped_document()
    mutate(document)
    path = write_countries(tmp_path, document)
    write_policy(tmp_path)
    error = policy_error(tmp_path)
    assert [p.path for p in error.problems] == [where], str(error)
    [problem] = error.problems
    assert Path(problem.source).name == path.name and problem.message.strip()
    assert path.name in str(error) and where in str(error)  # what the CLI prints


def test_every_problem_of_a_file_is_reported_together(tmp_path: Path) -> None:
    document = shipped_document()
    del document["countries"]["FR"]
    del document["countries"]["DE"]
    document["countries"]["IT"]["tier"] = "extreme"
    del document["meta"]["licence"]
    write_countries(tmp_path, document)
    write_policy(tmp_path)
    paths = sorted(p.path for p in policy_error(tmp_path).problems)
    assert paths == ["$.countries.DE", "$.countries.FR", "$.countries.IT.tier", "$.meta.licence"]


def test_missing_file_is_refused(tmp_path: Path) -> None:
    write_policy(tmp_path, data="nowhere.toml")
    [problem] = policy_error(tmp_path).problems
    assert Path(problem.source).name == "nowhere.toml" and "not found" in problem.message


def test_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "countries.toml").write_text("[meta\nname = 'broken", encoding="utf-8")
    write_policy(tmp_path)
    [problem] = policy_error(tmp_path).problems
    assert Path(problem.source).name == "countries.toml" and "TOML" in problem.message


def test_a_date_time_is_not_accepted_as_a_date(tmp_path: Path) -> None:
    document = shipped_document()
    document["countries"]["FR"]["as_of"] = _dt.datetime(2025, 2, 26, 12, 0)
    write_countries(tmp_path, document)
    write_policy(tmp_path)
    assert [p.path for p in policy_error(tmp_path).problems] == ["$.countries.FR.as_of"]


@settings(max_examples=60, deadline=None)
@given(
    # text a TOML file can hold (control characters cannot be written unescaped by the test's writer)
    tier=st.one_of(
        st.sampled_from(TIERS),
        st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
        st.integers(),
        st.booleans(),
    ),
    status=st.one_of(
        st.sampled_from(FREEDOM_STATUSES),
        st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
        st.integers(),
    ),
)
def test_any_row_value_is_either_accepted_or_named(
    tmp_path_factory: pytest.TempPathFactory, tier: Any, status: Any
) -> None:
    """Whatever a team writes in a row, loading either succeeds with exactly those values or
    fails naming that row's key - never a silent default."""
    directory = tmp_path_factory.mktemp("drawn")
    document = shipped_document()
    document["countries"]["FR"].update(tier=tier, freedom_status=status)
    path = write_countries(directory, document)
    valid = {"tier": tier in TIERS, "freedom_status": status in FREEDOM_STATUSES}
    if all(valid.values()):
        record = load_countries(path).records["FR"]
        assert record.tier == tier
        assert record.freedom_status == (None if status == "unrated" else status)
        return
    with pytest.raises(hrdd.PolicyError) as raised:
        load_countries(path)
    expected = sorted(f"$.countries.FR.{key}" for key, ok in valid.items() if not ok)
    assert sorted(p.path for p in raised.value.problems) == expected
