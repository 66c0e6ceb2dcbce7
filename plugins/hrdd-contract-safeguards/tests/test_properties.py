"""Properties of hrdd-contract-safeguards that must hold for any facts and any contract
(hypothesis):

- the risk level is commensurate: a graver value of any factor never lowers the points or
  the level, and a graver level never requires fewer safeguards;
- whatever the facts (absent, valid or a publisher's garbage) and the contract, the check
  runs, names exactly the required safeguards that are missing, and adding a safeguard
  never worsens the decision.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hrdd
from hrdd.model import DECISION_RANK
from hrdd_contract_safeguards.risk import assess_risk
from hrdd_contract_safeguards.table import CLAUSES, LEVELS, default_data_path, load_table

from .conftest import PLUGIN

TABLE = load_table(default_data_path())
# Each fact's values from mildest to gravest (None: not published).
SCALES: dict[str, list[Any]] = {
    "destination.risk_tier": ["low", "moderate", "high", "very_high"],
    "destination.legal_risk": ["low", "moderate", "high", "very_high"],
    "end_user.government_linked": [False, True],
    "end_user.sensitive_function": [False, True],
    "end_user.credible_misuse": [False, True],
    "stakeholders.opacity": ["low", "medium", "high"],
    "context.sensitive_events": [[], ["election_period"]],
}
POST_EXPORT = ["monitoring", "periodic_audit", "grievance_channel", "usage_reporting"]
GARBAGE = st.one_of(st.integers(), st.text(max_size=8), st.lists(st.integers(), max_size=2), st.booleans())

facts_strategy = st.fixed_dictionaries(
    {fact: st.one_of(st.none(), st.sampled_from(values), GARBAGE) for fact, values in SCALES.items()}
)


class FakeContext:
    def __init__(self, facts: Mapping[str, Any], potential: int) -> None:
        self._facts = dict(facts)
        self.profiles = {"item-1": hrdd.CapabilityProfile(item_id="item-1", misuse_potential=potential)}

    def fact(self, name: str) -> Any:
        return self._facts.get(name)


TRANSACTION = hrdd.Transaction.from_dict(
    {"id": "TX-1", "items": [{"id": "item-1", "name": "Item"}], "end_user": {"name": "E", "country": "NL"}}
)


@given(
    facts=st.fixed_dictionaries({fact: st.sampled_from(values) for fact, values in SCALES.items()}),
    potential=st.integers(0, 5),
    fact=st.sampled_from(sorted(SCALES)),
)
def test_a_graver_value_never_lowers_the_risk(facts: dict[str, Any], potential: int, fact: str) -> None:
    scale = SCALES[fact]
    before = assess_risk(TRANSACTION, FakeContext(facts, potential), TABLE)
    position = scale.index(facts[fact])
    graver = {**facts, fact: scale[min(position + 1, len(scale) - 1)]}
    after = assess_risk(TRANSACTION, FakeContext(graver, potential), TABLE)
    assert after.points >= before.points
    assert LEVELS.index(after.level) >= LEVELS.index(before.level)
    higher = assess_risk(TRANSACTION, FakeContext(facts, min(potential + 1, 5)), TABLE)
    assert higher.points >= before.points


@given(facts=facts_strategy, potential=st.integers(0, 5))
def test_points_add_up_and_garbage_is_reported_never_trusted(facts: dict[str, Any], potential: int) -> None:
    risk = assess_risk(TRANSACTION, FakeContext(facts, potential), TABLE)
    assert risk.points == sum(part["points"] for part in risk.breakdown.values())
    assert risk.level == TABLE.level_for(risk.points)
    for fact, value in facts.items():
        if value is None:
            assert fact in risk.unknown
        elif not any(value == v and type(value) is type(v) for v in SCALES[fact]):
            assert fact in risk.invalid


def test_a_graver_level_never_requires_less() -> None:
    for lower, higher in itertools.pairwise(LEVELS):
        assert set(TABLE.levels[lower].clauses) <= set(TABLE.levels[higher].clauses)
        assert set(TABLE.levels[lower].post_export) <= set(TABLE.levels[higher].post_export)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> hrdd.Engine:
    """One engine for every example: a stand-in that publishes the facts the test puts on
    the transaction's end user name (JSON), so each example chooses its own facts."""
    directory = tmp_path_factory.mktemp("properties")
    (directory / "facts.py").write_text(
        "import json\n"
        "from hrdd import PluginInfo, hookimpl\n\n"
        f"NAMES = {tuple(SCALES)!r}\n\n"
        "@hookimpl\n"
        "def hrdd_plugin_info():\n"
        "    return PluginInfo(publishes=NAMES)\n\n"
        "@hookimpl\n"
        "def hrdd_transaction_facts(transaction, context):\n"
        "    return {k: v for k, v in json.loads(transaction.end_user.name).items() if v is not None}\n",
        encoding="utf-8",
    )
    policy = directory / "policy.toml"
    policy.write_text(
        '[policy]\nname = "p"\nversion = "1"\n[plugins.hrdd-item-capability]\n'
        f'[plugins.{PLUGIN}]\n[plugins.facts]\npath = "facts.py"\n',
        encoding="utf-8",
    )
    return hrdd.Engine.from_policy(Path(policy))


def _document(
    facts: Mapping[str, Any], clauses: list[str], post_export: list[str], kind: str
) -> dict[str, Any]:
    import json

    return {
        "id": "TX-1",
        "kind": kind,
        "items": [{"id": "i", "name": "Camera", "categories": ["body_worn_camera"]}],
        "end_user": {"name": json.dumps(facts), "country": "NL", "type": "government_agency"},
        "contract": {"clauses": clauses, "post_export": post_export},
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    facts=facts_strategy,
    clauses=st.lists(st.sampled_from(CLAUSES), unique=True),
    post_export=st.lists(st.sampled_from(POST_EXPORT), unique=True),
    kind=st.sampled_from(["new_sale", "renewal", "support", "demo"]),
    added=st.sampled_from([*CLAUSES, *POST_EXPORT]),
)
def test_the_check_names_exactly_what_is_missing_and_a_safeguard_never_hurts(
    engine: hrdd.Engine,
    facts: dict[str, Any],
    clauses: list[str],
    post_export: list[str],
    kind: str,
    added: str,
) -> None:
    assessment = engine.assess(_document(facts, clauses, post_export, kind))
    ours = [f for f in assessment.findings if f.plugin == PLUGIN]
    assert not [f for f in assessment.findings if f.rule_id.startswith("HRDD-CORE")]
    level = {e.value for f in ours for e in f.evidence if e.path == "transaction.risk_level"}
    assert len(level) == 1
    required = TABLE.levels[level.pop()]
    missing = {e.value for f in ours for e in f.evidence if e.path == "missing"}
    assert missing == (set(required.clauses) - set(clauses)) | (set(required.post_export) - set(post_export))
    with_more = (
        _document(facts, [*clauses, added], post_export, kind)
        if added in CLAUSES and added not in clauses
        else _document(facts, clauses, sorted({*post_export, added} & set(POST_EXPORT)), kind)
    )
    better = engine.assess(with_more)
    assert DECISION_RANK[better.decision.value] <= DECISION_RANK[assessment.decision.value]
