"""Properties: outcomes grow with misuse potential and the weight of concerns and never exceed
info for a private end user; legal risk grows with status and concerns; the loader turns any
bad row into a PolicyError naming the file and the row; every country can be assessed."""

from __future__ import annotations

import copy
import datetime as _dt
import json
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pycountry
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hrdd
from hrdd_legal_framework.datasets import (
    Concern,
    IccprStatus,
    default_data_path,
    legal_data_for,
    legal_risk_level,
    load_legal_data,
)
from hrdd_legal_framework.plugin import concern_outcome, status_outcome

RANK = {"pass": 0, "info": 1, "safeguards_required": 2, "escalate": 3}
LEVELS = {"low": 0, "moderate": 1, "high": 2, "very_high": 3}
ICCPR = default_data_path("iccpr.toml")
SURVEILLANCE = default_data_path("surveillance_laws.toml")
CODES = sorted(country.alpha_2 for country in pycountry.countries)

potentials = st.integers(min_value=0, max_value=5)
thresholds = st.integers(min_value=1, max_value=5)


@given(potentials, potentials, st.booleans(), thresholds, st.booleans())
def test_status_outcome_grows_with_potential(
    low: int, high: int, linked: bool, at: int, unmitigated: bool
) -> None:
    low, high = sorted((low, high))
    assert (
        RANK[status_outcome(low, linked, at, unmitigated)]
        <= RANK[status_outcome(high, linked, at, unmitigated)]
    )


@given(potentials, st.booleans(), thresholds, st.booleans())
def test_status_outcome_escalates_exactly_from_the_threshold_for_government_end_users(
    potential: int, linked: bool, at: int, unmitigated: bool
) -> None:
    outcome = status_outcome(potential, linked, at, unmitigated)
    assert (outcome == "escalate") == (linked and potential >= at)
    if not linked:
        assert outcome == "info"
    if not unmitigated and potential < at:
        assert outcome == "info"  # the contract already supplies the safeguards


@given(
    potentials, potentials, st.integers(0, 12), st.integers(0, 12), st.booleans(), thresholds, st.booleans()
)
def test_concern_outcome_grows_with_potential_and_weight(
    p1: int, p2: int, w1: int, w2: int, linked: bool, at: int, unmitigated: bool
) -> None:
    (p1, p2), (w1, w2) = sorted((p1, p2)), sorted((w1, w2))
    assert (
        RANK[concern_outcome(p1, w1, linked, at, unmitigated)]
        <= RANK[concern_outcome(p2, w2, linked, at, unmitigated)]
    )


@given(potentials, st.integers(0, 12), thresholds, st.booleans())
def test_concerns_never_go_beyond_info_for_a_private_end_user(
    potential: int, weight: int, at: int, unmitigated: bool
) -> None:
    assert RANK[concern_outcome(potential, weight, False, at, unmitigated)] <= RANK["info"]


def _concern(index: int, weight: int, compelled: bool) -> Concern:
    return Concern(f"c{index}", "label", (17,), weight, frozenset(), compelled, (), (), "mitigation")


concern_lists = st.lists(st.tuples(st.integers(1, 3), st.booleans()), max_size=10).map(
    lambda rows: tuple(_concern(i, w, c) for i, (w, c) in enumerate(rows))
)


@given(concern_lists, concern_lists)
def test_legal_risk_grows_with_concerns(base: tuple[Concern, ...], more: tuple[Concern, ...]) -> None:
    party = IccprStatus("XX", "X", "party", 2000)
    extra = tuple(_concern(100 + i, c.weight, c.compelled_access) for i, c in enumerate(more))
    assert LEVELS[legal_risk_level(party, base)] <= LEVELS[legal_risk_level(party, base + extra)]


@given(concern_lists)
def test_legal_risk_grows_as_the_treaty_binds_less(concerns: tuple[Concern, ...]) -> None:
    levels = [
        LEVELS[legal_risk_level(IccprStatus("XX", "X", status, year), concerns)]
        for status, year in (("party", 2000), ("signatory", 2000), ("no_action", None))
    ]
    assert levels == sorted(levels)


# --------------------------------------------------------------------------------------
# The loader on arbitrary rows
# --------------------------------------------------------------------------------------

SHIPPED_ICCPR = tomllib.loads(ICCPR.read_text(encoding="utf-8"))
SHIPPED_LAWS = tomllib.loads(SURVEILLANCE.read_text(encoding="utf-8"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 3000),
    st.sampled_from(["party", "signatory", "no_action", "not_applicable", "GB", "DK", "", "x", "2024-01-01"]),
    st.text(alphabet="abcXYZ -", max_size=8),
)
iccpr_rows = st.dictionaries(
    st.sampled_from(["status", "year", "applies_via", "note", "domestic_incorporation", "name", "extra"]),
    scalars,
    max_size=5,
)
law_rows = st.dictionaries(
    st.sampled_from(["concerns", "articles", "basis", "as_of", "note", "sector_scope"]),
    st.one_of(
        scalars,
        st.lists(st.sampled_from(["bulk_powers", "no_remedy", "bogus", 17, 99]), max_size=3),
        st.dictionaries(
            st.sampled_from(["bulk_powers", "no_remedy"]), st.lists(st.sampled_from(["intelligence", "x"]))
        ),
    ),
    max_size=6,
)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return json.dumps(value)  # JSON string escapes are TOML basic-string escapes
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def _write(directory: Path, name: str, document: dict[str, Any]) -> Path:
    lines = []
    for table, rows in document.items():
        lines.append(f"[{table}]")
        lines += [f"{k} = {_toml(v)}" for k, v in rows.items() if not isinstance(v, dict) or table == "meta"]
        for key, row in rows.items():
            if isinstance(row, dict) and table != "meta":
                lines.append(f"[{table}.{key}]")
                lines += [f"{k} = {_toml(v)}" for k, v in row.items()]
    path = directory / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CODES), iccpr_rows, st.sampled_from(CODES), law_rows)
def test_any_row_loads_or_is_refused_naming_file_and_row(
    iccpr_code: str, iccpr_row: dict[str, Any], law_code: str, law_row: dict[str, Any]
) -> None:
    iccpr = copy.deepcopy(SHIPPED_ICCPR)
    laws = copy.deepcopy(SHIPPED_LAWS)
    iccpr["countries"][iccpr_code] = {k: v for k, v in iccpr_row.items() if v is not None}
    laws["countries"][law_code] = {k: v for k, v in law_row.items() if v is not None}
    with tempfile.TemporaryDirectory() as directory:
        iccpr_path = _write(Path(directory), "iccpr.toml", iccpr)
        laws_path = _write(Path(directory), "laws.toml", laws)
        try:
            data = load_legal_data(iccpr_path, laws_path)
        except hrdd.PolicyError as error:
            assert error.problems
            for problem in error.problems:
                if Path(problem.source).name == "iccpr.toml":
                    # the row itself, or a territory whose state the row now makes a territory
                    assert problem.path.startswith(f"$.countries.{iccpr_code}") or (
                        problem.path.endswith(".applies_via") and repr(iccpr_code) in problem.message
                    ), problem
                else:
                    assert Path(problem.source).name == "laws.toml"
                    assert problem.path.startswith(f"$.countries.{law_code}"), problem
        else:
            assert data.iccpr[iccpr_code].status in ("party", "signatory", "no_action", "not_applicable")


# --------------------------------------------------------------------------------------
# Every country, end to end
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> hrdd.Engine:
    policy = tmp_path_factory.mktemp("policy") / "policy.toml"
    policy.write_text(
        '[policy]\nname = "t"\nversion = "1"\n[plugins.hrdd-item-capability]\n[plugins.hrdd-legal-framework]\n',
        encoding="utf-8",
    )
    return hrdd.Engine.from_policy(policy)


def test_every_country_is_reviewed_and_none_is_cleared_by_silence(engine: hrdd.Engine) -> None:
    """All 249 destinations: each gets a finding about the end user, and risk facts exist for each."""
    data = legal_data_for(ICCPR, SURVEILLANCE)
    for code in CODES:
        transaction = {
            "id": f"TX-{code}",
            "date": "2025-06-01",
            "items": [
                {
                    "id": "i",
                    "name": "PlateScan",
                    "description": "ALPR",
                    "categories": ["license_plate_reader"],
                }
            ],
            "end_user": {
                "name": "Police",
                "country": code,
                "type": "government_agency",
                "sector": "law_enforcement",
            },
        }
        findings = [f for f in engine.assess(transaction).findings if f.plugin == "hrdd-legal-framework"]
        assert any(f.subject == "end_user" for f in findings), code
        assert all(f.outcome != "error" for f in findings), code
        weighed_as_party = data.iccpr[code].weighed_as_party
        rule_ids = {f.rule_id for f in findings}
        assert weighed_as_party == (rule_ids <= {"HRDD-LAW-001", "HRDD-LAW-004"}), code
