"""hrdd-contract-safeguards rule by rule: the risk formula, the safeguards each level
requires, after-export suspension, and failing closed on unknown or invalid facts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

import hrdd
from hrdd_contract_safeguards.risk import assess_risk
from hrdd_contract_safeguards.table import default_data_path, load_table

from .conftest import ALL_CLAUSES, ALL_POST_EXPORT, PLUGIN

TABLE = load_table(default_data_path())
FACE_SDK = {
    "name": "FaceFind SDK",
    "description": "Face recognition SDK matching faces against an enrolled gallery",
    "categories": ["facial_recognition"],
    "capabilities": ["biometric_identification"],
}
BODY_CAMERA = {
    "name": "Sentinel BWC-200 body-worn camera",
    "categories": ["body_worn_camera"],
    "capabilities": ["audio_video_recording"],
}
POLICE_KE = {
    "name": "National Police Service",
    "country": "KE",
    "type": "government_agency",
    "sector": "law_enforcement",
}
MUNICIPAL_NL = {
    "name": "Gemeente Utrecht",
    "country": "NL",
    "type": "government_agency",
    "sector": "municipal",
}
INTELLIGENCE_EG = {
    "name": "General Intelligence Service",
    "country": "EG",
    "type": "government_agency",
    "sector": "intelligence",
    "misuse_reports": [
        {
            "summary": "Spyware used against journalists",
            "source": "Citizen Lab",
            "date": "2024-11-02",
            "credible": True,
        }
    ],
}
DPI = {
    "name": "DeepSight DPI",
    "categories": ["deep_packet_inspection"],
    "design_safeguards": ["audit_logging"],
}
FACTS = (
    "destination.risk_tier",
    "destination.legal_risk",
    "end_user.government_linked",
    "end_user.sensitive_function",
    "end_user.credible_misuse",
    "stakeholders.opacity",
    "context.sensitive_events",
)
NONE_PUBLISHED = dict.fromkeys(FACTS)


def ours(assessment: hrdd.Assessment, rule_id: str | None = None) -> list[hrdd.Finding]:
    return [f for f in assessment.findings if f.plugin == PLUGIN and rule_id in (None, f.rule_id)]


def evidence(finding: hrdd.Finding) -> dict[str, Any]:
    return {e.path: e.value for e in finding.evidence}


class FakeContext:
    """What :func:`assess_risk` reads from a check context: profiles and facts."""

    def __init__(self, facts: Mapping[str, Any], potentials: Mapping[str, int]) -> None:
        self._facts = dict(facts)
        self.profiles = {
            item_id: hrdd.CapabilityProfile(item_id=item_id, misuse_potential=p)
            for item_id, p in potentials.items()
        }

    def fact(self, name: str) -> Any:
        return self._facts.get(name)

    @property
    def facts(self) -> Mapping[str, Any]:
        return self._facts


def risk_for(facts: Mapping[str, Any], potentials: Mapping[str, int] | None = None, items: int = 1) -> Any:
    transaction = hrdd.Transaction.from_dict(
        {
            "id": "TX-1",
            "items": [{"id": f"item-{n}", "name": f"Item {n}"} for n in range(1, items + 1)],
            "end_user": {"name": "End user", "country": "NL"},
        }
    )
    return assess_risk(
        transaction, FakeContext(facts, {"item-1": 0} if potentials is None else potentials), TABLE
    )


FULL = {
    "destination.risk_tier": "low",
    "destination.legal_risk": "low",
    "end_user.government_linked": False,
    "end_user.sensitive_function": False,
    "end_user.credible_misuse": False,
    "stakeholders.opacity": "low",
    "context.sensitive_events": [],
}

# --------------------------------------------------------------------------------------
# The risk formula
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "potential", "points", "level"),
    [
        ({}, 0, 0, "low"),
        ({}, 3, 3, "low"),
        ({"end_user.government_linked": True}, 3, 4, "medium"),
        ({"destination.risk_tier": "moderate", "end_user.government_linked": True}, 3, 5, "medium"),
        ({"destination.risk_tier": "high", "end_user.government_linked": True}, 3, 6, "high"),
        (
            {
                "destination.risk_tier": "very_high",
                "destination.legal_risk": "very_high",
                "end_user.government_linked": True,
            },
            3,
            9,
            "critical",
        ),
        # an end user with no government link: the destination's record and laws weigh a point less
        ({"destination.risk_tier": "very_high", "destination.legal_risk": "very_high"}, 3, 6, "high"),
        ({"destination.risk_tier": "very_high", "destination.legal_risk": "very_high"}, 4, 7, "high"),
        ({"destination.risk_tier": "moderate", "destination.legal_risk": "high"}, 3, 3, "low"),
        ({"end_user.credible_misuse": True, "stakeholders.opacity": "high"}, 2, 6, "high"),
        ({"destination.legal_risk": "moderate", "stakeholders.opacity": "medium"}, 3, 4, "medium"),
        (
            {"context.sensitive_events": ["mass_protests"], "end_user.sensitive_function": True},
            2,
            4,
            "medium",
        ),
    ],
)
def test_points_and_level_follow_the_formula(
    changes: Mapping[str, Any], potential: int, points: int, level: str
) -> None:
    risk = risk_for({**FULL, **changes}, {"item-1": potential})
    assert (risk.points, risk.level) == (points, level)
    assert sum(part["points"] for part in risk.breakdown.values()) == risk.points
    assert risk.unknown == ()


def test_every_factor_at_its_worst() -> None:
    worst = {
        "destination.risk_tier": "very_high",
        "destination.legal_risk": "very_high",
        "end_user.government_linked": True,
        "end_user.sensitive_function": True,
        "end_user.credible_misuse": True,
        "stakeholders.opacity": "high",
        "context.sensitive_events": ["internet_shutdown", "election_period"],
    }
    risk = risk_for(worst, {"item-1": 5})
    assert risk.points == 5 + 3 + 2 + 1 + 1 + 2 + 2 + 1
    assert risk.breakdown["sensitive_events"]["value"] == ["election_period", "internet_shutdown"]


def test_unknown_facts_weigh_their_unknown_weight_and_are_named() -> None:
    risk = risk_for({}, {"item-1": 2})
    # misuse 2, tier 2, legal 1, government link 1, function 1, misuse record 1, opacity 1, events 1
    assert risk.points == 10 and risk.level == "critical"
    assert set(risk.unknown) == set(FACTS)


def test_the_highest_misuse_potential_counts_and_an_unprofiled_item_is_unknown() -> None:
    assert risk_for(FULL, {"item-1": 1, "item-2": 4}, items=2).breakdown["misuse_potential"]["points"] == 4
    partial = risk_for(FULL, {"item-1": 1}, items=2)
    assert partial.breakdown["misuse_potential"]["points"] == TABLE.weights["misuse_potential"]["unknown"]
    assert "items.misuse_potential" in partial.unknown
    nothing = risk_for(FULL, {}, items=1)
    assert nothing.breakdown["misuse_potential"] == {"value": "unknown", "points": 3}


@pytest.mark.parametrize(
    ("fact", "value"),
    [
        ("destination.risk_tier", "extreme"),
        ("end_user.government_linked", "yes"),
        ("context.sensitive_events", "election_period"),
        ("stakeholders.opacity", 2),
    ],
)
def test_a_value_outside_the_contract_is_weighed_as_unknown_and_reported(fact: str, value: Any) -> None:
    risk = risk_for({**FULL, fact: value})
    assert risk.invalid == {fact: value}
    assert risk.points > 0


def test_missing_facts_are_named_in_the_evidence_and_counted(
    assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    """Without the publishers, body cameras for a Dutch city count as critical: fail closed,
    and the finding says which unknowns drove it."""
    document = transaction([BODY_CAMERA], MUNICIPAL_NL, clauses=ALL_CLAUSES, post_export=ALL_POST_EXPORT)
    assessment = assess(document, overrides=NONE_PUBLISHED)
    critical = ours(assessment, "HRDD-CON-004")
    assert len(critical) == 1
    found = evidence(critical[0])
    assert set(found["risk.unknown_facts"]) == set(FACTS)
    assert found["transaction.risk_level"] == "critical"
    assert "Unknown facts counted toward it" in critical[0].message
    assert assessment.decision is hrdd.Decision.ESCALATE
    # The same deal with the facts established is low risk and passes.
    assert ours(assess(document), "HRDD-CON-005")


def test_without_item_profiles_the_misuse_potential_is_unknown(
    assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    document = transaction([BODY_CAMERA], MUNICIPAL_NL, clauses=ALL_CLAUSES, post_export=ALL_POST_EXPORT)
    finding = ours(assess(document, item_capability=False), "HRDD-CON-005")[0]
    found = evidence(finding)
    assert found["risk.breakdown"]["misuse_potential"] == {"value": "unknown", "points": 3}
    assert "items.misuse_potential" in found["risk.unknown_facts"]


def test_an_invalid_fact_is_an_error_finding_and_never_clears(
    assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    document = transaction([BODY_CAMERA], MUNICIPAL_NL, clauses=ALL_CLAUSES, post_export=ALL_POST_EXPORT)
    assessment = assess(document, overrides={"destination.risk_tier": "extreme"})
    error = ours(assessment, "HRDD-CON-007")
    assert len(error) == 1 and error[0].outcome is hrdd.Outcome.ERROR
    assert "destination.risk_tier = 'extreme'" in error[0].message
    assert "test-standin-publishers" in error[0].message
    assert evidence(error[0])["risk.invalid_facts"] == {"destination.risk_tier": "'extreme'"}
    assert assessment.decision is hrdd.Decision.ESCALATE


READER = """
from hrdd import Finding, PluginInfo, RuleInfo, hookimpl


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(rules=[RuleInfo("TEST-READ-001", "reads the risk level")])


@hookimpl
def hrdd_check_contract(transaction, context):
    level = context.fact("transaction.risk_level")
    return [Finding("TEST-READ-001", "info", "none", f"risk level {level}",
                    evidence={"level": level, "source": context.fact_source("transaction.risk_level")})]
"""


def test_the_risk_level_fact_reaches_other_plugins(
    assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    document = transaction([FACE_SDK], POLICE_KE)
    assessment = assess(document, extensions={"reader": READER})
    read = next(f for f in assessment.findings if f.rule_id == "TEST-READ-001")
    # face 4 + tier moderate 1 + legal moderate 0 + government 1 + law enforcement 1 = 7
    assert evidence(read) == {"level": "high", "source": PLUGIN}
    assert {evidence(f)["risk.points"] for f in ours(assessment)} == {7}


# --------------------------------------------------------------------------------------
# Safeguards required by the level
# --------------------------------------------------------------------------------------


def test_each_missing_safeguard_is_named_with_its_own_remediation(
    assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    document = transaction([FACE_SDK], POLICE_KE, clauses=["export_compliance", "no_reexport"])
    assessment = assess(document)
    required = TABLE.levels["high"]
    missing_clauses = {evidence(f)["missing"] for f in ours(assessment, "HRDD-CON-001")}
    missing_measures = {evidence(f)["missing"] for f in ours(assessment, "HRDD-CON-002")}
    assert missing_clauses == set(required.clauses) - {"export_compliance", "no_reexport"}
    assert missing_measures == set(required.post_export)
    for finding in ours(assessment, "HRDD-CON-001") + ours(assessment, "HRDD-CON-002"):
        name = evidence(finding)["missing"]
        assert f"({name})" in finding.message
        assert "National Police Service (Kenya)" in finding.message
        assert finding.remediation == TABLE.safeguards[name].remediation
        assert finding.outcome is hrdd.Outcome.SAFEGUARDS_REQUIRED
    # The report's required-safeguards list has one line per missing safeguard.
    listed = {s.safeguard for s in assessment.required_safeguards}
    assert {TABLE.safeguards[name].remediation for name in missing_clauses | missing_measures} <= listed


def test_critical_risk_escalates_even_with_every_safeguard(
    assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    document = transaction([FACE_SDK], INTELLIGENCE_EG, clauses=ALL_CLAUSES, post_export=ALL_POST_EXPORT)
    assessment = assess(document)
    assert ours(assessment, "HRDD-CON-005"), "every safeguard is in place"
    critical = ours(assessment, "HRDD-CON-004")[0]
    assert critical.outcome is hrdd.Outcome.ESCALATE
    assert "even with every safeguard" in critical.message
    assert assessment.decision is hrdd.Decision.ESCALATE


GATE = """
from hrdd import Finding, PluginInfo, RuleInfo, hookimpl


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(rules=[RuleInfo("TEST-GATE-001", "denied party")])


@hookimpl
def hrdd_check_end_user(transaction, context):
    return [Finding("TEST-GATE-001", "do_not_proceed", "critical", "end user is a denied party",
                    evidence={"end_user.name": transaction.end_user.name})]
"""


def test_a_full_safeguard_set_never_clears_a_legal_gate(
    assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    document = transaction([BODY_CAMERA], MUNICIPAL_NL, clauses=ALL_CLAUSES, post_export=ALL_POST_EXPORT)
    assessment = assess(document, extensions={"gate": GATE})
    assert ours(assessment, "HRDD-CON-005")
    assert assessment.decision is hrdd.Decision.DO_NOT_PROCEED


def test_a_document_without_a_contract_has_every_required_safeguard_missing(
    assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    document = transaction([BODY_CAMERA], MUNICIPAL_NL)
    del document["contract"]
    assessment = assess(document)
    assert {evidence(f)["missing"] for f in ours(assessment, "HRDD-CON-001")} == set(
        TABLE.levels["low"].clauses
    )
    assert assessment.decision is hrdd.Decision.PROCEED_WITH_SAFEGUARDS


# --------------------------------------------------------------------------------------
# After export (consideration 7)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clauses", "says"),
    [
        (
            ["suspend_and_terminate", "audit_rights"],
            ["Invoke the suspend-and-terminate clause", "audit rights"],
        ),
        (["suspend_and_terminate"], ["Invoke the suspend-and-terminate clause", "no audit rights"]),
        (["export_compliance"], ["no contractual lever", "escalate the relationship"]),
    ],
)
def test_suspension_remediation_uses_the_contracts_levers(
    clauses: list[str],
    says: list[str],
    assess: Callable[..., hrdd.Assessment],
    transaction: Callable[..., dict[str, Any]],
) -> None:
    document = transaction([DPI], INTELLIGENCE_EG, clauses=clauses, kind="renewal")
    finding = ours(assess(document), "HRDD-CON-003")[0]
    assert finding.outcome is hrdd.Outcome.DO_NOT_PROCEED
    assert "This renewal continues supplying General Intelligence Service (Egypt)" in finding.message
    for words in says:
        assert words in finding.remediation
    found = evidence(finding)
    assert found["kind"] == "renewal"
    assert found["end_user.misuse_reports[0]"]["credible"] is True


def test_suspension_also_follows_the_published_fact_alone(
    assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    """The record plugin may know of credible misuse the transaction does not list."""
    document = transaction([BODY_CAMERA], POLICE_KE, clauses=ALL_CLAUSES, kind="support")
    assessment = assess(document, overrides={"end_user.credible_misuse": True})
    finding = ours(assessment, "HRDD-CON-003")[0]
    assert evidence(finding)["end_user.credible_misuse"] is True
    assert evidence(finding)["end_user.credible_misuse.source"] == "test-standin-publishers"
    assert assessment.decision is hrdd.Decision.DO_NOT_PROCEED


def test_after_export_kinds_are_configurable(
    assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    document = transaction([DPI], INTELLIGENCE_EG, clauses=ALL_CLAUSES, kind="demo")
    assert not ours(assess(document), "HRDD-CON-003")
    configured = assess(document, config={"after_export_kinds": ["renewal", "demo"]})
    assert ours(configured, "HRDD-CON-003")


def test_an_unknown_after_export_kind_is_refused_at_load(write_policy: Callable[..., Path]) -> None:
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(write_policy(config={"after_export_kinds": ["renewal", "maintenance"]}))
    assert "after_export_kinds" in str(raised.value)


# --------------------------------------------------------------------------------------
# Deals alike (a customer's deals under its framework contract)
# --------------------------------------------------------------------------------------


def report_of(assessment: hrdd.Assessment) -> dict[str, Any]:
    report = assessment.to_dict()
    report["provenance"]["assessed_at"] = ""
    return report


def test_deals_alike_share_their_findings_and_a_deal_that_differs_gets_its_own(
    write_policy: Callable[..., Path], transaction: Callable[..., dict[str, Any]]
) -> None:
    """The findings of deals with the same contract, risk and end user are built once and
    returned again (the engine then reports them without building anything); a deal that
    differs in one of them, or in its kind, gets its own findings, whatever came before on
    the same engine, in either order."""
    fewer = ["export_compliance"]
    two = ["export_compliance", "no_reexport"]
    deals = {
        "two clauses": transaction([FACE_SDK], POLICE_KE, clauses=two),
        "one clause": transaction([FACE_SDK], POLICE_KE, clauses=fewer),
        "clauses reordered": transaction([FACE_SDK], POLICE_KE, clauses=two[::-1]),
        "another end user": transaction([FACE_SDK], {**POLICE_KE, "name": "County Police"}, clauses=two),
        # the same name in a country of the same facts (the same risk): only the country named differs
        "another country, the same risk": transaction(
            [FACE_SDK], {**POLICE_KE, "country": "BR"}, clauses=two
        ),
        "another risk, the same level": transaction([DPI], POLICE_KE, clauses=two),  # 8 points, not 7
        "another level": transaction([BODY_CAMERA], POLICE_KE, clauses=two),
        "complete, a sale": transaction(
            [DPI], INTELLIGENCE_EG, clauses=ALL_CLAUSES, post_export=ALL_POST_EXPORT
        ),
        "complete, a renewal": transaction(
            [DPI], INTELLIGENCE_EG, clauses=ALL_CLAUSES, post_export=ALL_POST_EXPORT, kind="renewal"
        ),
    }
    policy = write_policy()
    alone = {name: report_of(hrdd.Engine.from_policy(policy).assess(deal)) for name, deal in deals.items()}
    assert "HRDD-CON-003" in {f["rule_id"] for f in alone["complete, a renewal"]["findings"]}
    assert "HRDD-CON-005" in {f["rule_id"] for f in alone["complete, a renewal"]["findings"]}
    for order in (list(deals), list(reversed(deals))):
        engine = hrdd.Engine.from_policy(policy)
        for _ in range(3):  # a key is remembered the second time it comes: the third is from memory
            for name in order:
                assert report_of(engine.assess(deals[name])) == alone[name], name
        # The same findings again: the very objects the engine made of them the last time.
        last, again = engine.assess(deals["two clauses"]), engine.assess(deals["two clauses"])
        assert ours(last, "HRDD-CON-001")
        assert all(a is b for a, b in zip(ours(last), ours(again), strict=True))
    messages = {f["message"] for f in alone["another end user"]["findings"] if f["rule_id"] == "HRDD-CON-001"}
    assert messages and all("County Police (Kenya)" in message for message in messages)
    brazil = alone["another country, the same risk"]["findings"]
    kenya = alone["two clauses"]["findings"]
    assert [f["evidence"] for f in brazil] == [f["evidence"] for f in kenya]  # the same risk
    assert all(
        "(Brazil)" in f["message"] for f in brazil if f["plugin"] == PLUGIN and f["rule_id"] != "HRDD-CON-007"
    )


def test_every_memory_is_bounded() -> None:
    """What the check remembers is keyed by the end user and grows with an order book: every
    memory has a bound (sized for an order book's working set)."""
    from hrdd.memory import Memory
    from hrdd_contract_safeguards import plugin

    config = {"data": None, "after_export_kinds": plugin.AFTER_EXPORT_KINDS}
    state = plugin.hrdd_configure(config, Path()).state
    memories = {name: getattr(state, name) for name in ("risks", "criticals", "measures", "answers")}
    for name, memory in memories.items():
        assert isinstance(memory, Memory) and memory.size <= plugin.PER_END_USER_SIZE, name


def test_the_remembered_risk_tells_true_from_one_and_a_list_from_a_tuple() -> None:
    """The risk is remembered by its inputs: values that are equal in Python but weighed or
    shown apart (``True`` and ``1`` for a flag, a list and a tuple of events) are kept apart."""
    from hrdd_contract_safeguards.plugin import _risk_key

    transaction = hrdd.Transaction.from_dict(
        {
            "id": "TX-1",
            "items": [{"id": "item-1", "name": "Item"}],
            "end_user": {"name": "E", "country": "NL"},
        }
    )

    def key(**changes: Any) -> Any:
        return _risk_key(transaction, FakeContext({**FULL, **changes}, {"item-1": 2}))  # type: ignore[arg-type]

    assert key() == key() is not None
    assert key(**{"end_user.sensitive_function": True}) != key(**{"end_user.sensitive_function": 1})
    assert key(**{"context.sensitive_events": ["mass_protests"]}) != key(
        **{"context.sensitive_events": ("mass_protests",)}
    )
    assert key(**{"context.sensitive_events": [1]}) != key(**{"context.sensitive_events": [True]})
    assert key(**{"stakeholders.opacity": {"high"}}) is None  # not a plain value: weighed afresh
    assert key(**{"context.sensitive_events": [["mass_protests"]]}) is None


def test_the_check_weighs_a_fact_published_after_the_facts_hook_assessed_the_risk() -> None:
    """The check reads back the risk the facts hook assessed for the same transaction, but
    not when a fact the risk reads was published in between: then it is assessed again."""
    from hrdd.context import CheckContext, SharedFacts
    from hrdd_contract_safeguards import plugin

    setup = plugin.hrdd_configure({"data": None, "after_export_kinds": ["renewal"]}, Path("."))
    transaction = hrdd.Transaction.from_dict(
        {
            "id": "TX-1",
            "items": [{"id": "item-1", "name": "Item 1"}],
            "end_user": {"name": "E", "country": "NL"},
        }
    )
    facts = SharedFacts()
    facts.profiles["item-1"] = hrdd.CapabilityProfile(item_id="item-1", misuse_potential=2)
    facts.values.update({**FULL, "destination.risk_tier": "low"})
    del facts.values["end_user.government_linked"]
    context = CheckContext(PLUGIN, {}, Path("."), facts, setup.state)

    published = plugin.hrdd_transaction_facts(transaction, context)
    assert plugin.assessed_risk(transaction, context).risk.level == published["transaction.risk_level"]
    facts.values["unrelated.fact"] = "x"  # a fact the risk does not read: the same answer
    assert plugin.assessed_risk(transaction, context) is plugin.assessed_risk(transaction, context)
    facts.values["end_user.government_linked"] = True  # one it reads: weighed
    after = plugin.assessed_risk(transaction, context).risk
    assert after.breakdown["government_linked"] == {"value": True, "points": 1}
    assert "end_user.government_linked" not in after.unknown
