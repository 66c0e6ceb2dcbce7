"""hrdd-public-reporting rule by rule: when a public-reporting commitment is needed, the
redacted entry for the transparency report, and failing closed."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import attrs
import pytest

import hrdd
from hrdd_public_reporting import plugin as reporting

from .conftest import INTERIOR_MINISTRY, PLUGIN, PORT_OPERATOR, THERMAL_CAMERA

ALL_CLAUSES = [c for c in hrdd.CONTRACT_CLAUSES]
Assess = Callable[..., tuple[hrdd.Engine, hrdd.Assessment]]


def ours(assessment: hrdd.Assessment, rule_id: str | None = None) -> list[hrdd.Finding]:
    return [f for f in assessment.findings if f.plugin == PLUGIN and rule_id in (None, f.rule_id)]


def rules(assessment: hrdd.Assessment) -> dict[str, str]:
    return {f.rule_id: f.decisive_outcome.value for f in ours(assessment)}


def evidence(finding: hrdd.Finding) -> dict[str, Any]:
    return {e.path: e.value for e in finding.evidence}


# --------------------------------------------------------------------------------------
# When a commitment is needed
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "end_user", "committed", "expected", "decision"),
    [
        # high risk, government-linked, no clause: required and missing
        ({"transaction.risk_level": "high", "end_user.government_linked": True}, INTERIOR_MINISTRY, False,
         {"HRDD-PUB-001": "safeguards_required"}, "proceed_with_safeguards"),
        # critical risk needs one whoever the end user is
        ({"transaction.risk_level": "critical", "end_user.government_linked": False}, PORT_OPERATOR, False,
         {"HRDD-PUB-001": "safeguards_required"}, "proceed_with_safeguards"),
        # an unknown risk level counts as needing one for a government-linked end user
        ({"transaction.risk_level": None, "end_user.government_linked": True}, INTERIOR_MINISTRY, False,
         {"HRDD-PUB-001": "safeguards_required"}, "proceed_with_safeguards"),
        # ... and when the government link is unknown too
        ({"transaction.risk_level": None, "end_user.government_linked": None}, INTERIOR_MINISTRY, False,
         {"HRDD-PUB-001": "safeguards_required"}, "proceed_with_safeguards"),
        # a risk level outside the contract is no better than an unknown one
        ({"transaction.risk_level": "severe", "end_user.government_linked": True}, INTERIOR_MINISTRY, False,
         {"HRDD-PUB-001": "safeguards_required"}, "proceed_with_safeguards"),
        # a government link that is not a boolean is unknown: counted as government-linked
        ({"transaction.risk_level": "high", "end_user.government_linked": ["yes"]}, INTERIOR_MINISTRY, False,
         {"HRDD-PUB-001": "safeguards_required"}, "proceed_with_safeguards"),
        # medium risk, government-linked: recommended, not required
        ({"transaction.risk_level": "medium", "end_user.government_linked": True}, INTERIOR_MINISTRY, False,
         {"HRDD-PUB-002": "info"}, "proceed"),
        # high risk, government-linked, committed: in place
        ({"transaction.risk_level": "high", "end_user.government_linked": True}, INTERIOR_MINISTRY, True,
         {"HRDD-PUB-003": "pass"}, "proceed"),
        # high risk but a private end user unrelated to any government: not needed
        ({"transaction.risk_level": "high", "end_user.government_linked": False}, PORT_OPERATOR, False,
         {}, "proceed"),
        # unknown risk, private end user known not to be government-linked: not needed
        ({"transaction.risk_level": None, "end_user.government_linked": False}, PORT_OPERATOR, False,
         {}, "proceed"),
        # low risk: nothing but the entry
        ({"transaction.risk_level": "low", "end_user.government_linked": True}, INTERIOR_MINISTRY, False,
         {"HRDD-PUB-002": "info"}, "proceed"),
    ],
)  # fmt: skip
def test_when_a_public_reporting_commitment_is_needed(
    facts: dict[str, Any],
    end_user: dict[str, Any],
    committed: bool,
    expected: dict[str, str],
    decision: str,
    assess: Assess,
    transaction: Callable[..., dict[str, Any]],
) -> None:
    clauses = ["export_compliance", "public_reporting"] if committed else ["export_compliance"]
    _, assessment = assess(transaction(end_user, clauses=clauses), facts=facts)
    got = rules(assessment)
    assert got == {**expected, "HRDD-PUB-004": "info"}
    assert assessment.decision.value == decision


def test_a_missing_commitment_names_the_end_user_the_country_and_why(
    assess: Assess, transaction: Callable[..., dict[str, Any]]
) -> None:
    _, assessment = assess(
        transaction(), facts={"transaction.risk_level": None, "end_user.government_linked": True}
    )
    finding = ours(assessment, "HRDD-PUB-001")[0]
    assert "Ministry of Interior, Directorate of Public Security (Egypt)" in finding.message
    assert "risk level unknown" in finding.message
    assert "public-reporting clause" in (finding.remediation or "")
    assert finding.guidance == ("draft-2019:consideration-8", "draft-2019:dd-4")
    found = evidence(finding)
    assert found["transaction.risk_level"] is None and found["need"] == "required"
    assert found["end_user.government_linked.source"] == "test-standin-facts"


def test_required_levels_are_configurable(assess: Assess, transaction: Callable[..., dict[str, Any]]) -> None:
    facts = {"transaction.risk_level": "medium", "end_user.government_linked": True}
    _, stricter = assess(transaction(), facts=facts, config={"required_at": ["medium", "high", "critical"]})
    assert "HRDD-PUB-001" in rules(stricter)


def test_an_invalid_config_is_refused_at_load(write_policy: Callable[..., Path]) -> None:
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(write_policy(config={"region_level": "country"}))
    assert "region_level" in str(raised.value)


def test_the_real_risk_level_publisher_feeds_the_check(
    assess: Assess, transaction: Callable[..., dict[str, Any]]
) -> None:
    """With hrdd-contract-safeguards enabled and nobody publishing its inputs, the risk level
    it publishes is critical (every unknown counted): a commitment is required."""
    _, assessment = assess(transaction(PORT_OPERATOR), plugins=("hrdd-contract-safeguards",))
    finding = ours(assessment, "HRDD-PUB-001")[0]
    found = evidence(finding)
    assert found["transaction.risk_level"] == "critical"
    assert found["transaction.risk_level.source"] == "hrdd-contract-safeguards"


# --------------------------------------------------------------------------------------
# The entry and the contribution
# --------------------------------------------------------------------------------------


def test_the_entry_holds_only_the_redacted_fields(
    assess: Assess, transaction: Callable[..., dict[str, Any]]
) -> None:
    document = transaction(
        items=[
            {"name": "FaceFind SDK", "categories": ["facial_recognition"]},
            {"name": "Dome camera", "categories": ["remote_recording_device", "facial_recognition"]},
        ],
        clauses=["public_reporting", "audit_rights", "export_compliance"],
        post_export=["usage_reporting", "monitoring"],
    )
    engine, assessment = assess(
        document, facts={"transaction.risk_level": "high", "end_user.government_linked": True}
    )
    entry = engine.report_contributions(assessment)[PLUGIN]
    assert entry == {
        "decision": assessment.decision.value,
        "destination_region": "Africa",
        "item_categories": ["facial_recognition", "remote_recording_device"],
        "end_user_sector": "public_security",
        "end_user_type": "government_agency",
        "safeguards_applied": {
            "contract_clauses": ["export_compliance", "audit_rights", "public_reporting"],
            "post_export": ["monitoring", "usage_reporting"],
        },
        "year": 2026,
        "quarter": "Q2",
    }
    # The stored report carries the same entry (an aggregate report can be built from reports).
    assert assessment.to_dict()["contributions"][PLUGIN] == entry


def test_the_region_can_be_the_m49_sub_region(
    assess: Assess, transaction: Callable[..., dict[str, Any]]
) -> None:
    engine, assessment = assess(transaction(PORT_OPERATOR), facts={}, config={"region_level": "sub_region"})
    assert engine.report_contributions(assessment)[PLUGIN]["destination_region"] == "Western Europe"


@pytest.mark.parametrize(
    ("date", "year", "quarter"),
    [
        ("2026-01-01", 2026, "Q1"),
        ("2026-03-31", 2026, "Q1"),
        ("2026-04-01", 2026, "Q2"),
        ("2026-09-30", 2026, "Q3"),
        ("2026-10-01", 2026, "Q4"),
        ("2025-12-31", 2025, "Q4"),
        (None, None, None),
    ],
)
def test_year_and_quarter_come_from_the_transaction_date(
    date: str | None,
    year: int | None,
    quarter: str | None,
    assess: Assess,
    transaction: Callable[..., dict[str, Any]],
) -> None:
    engine, assessment = assess(transaction(date=date), facts={})
    entry = engine.report_contributions(assessment)[PLUGIN]
    assert (entry["year"], entry["quarter"]) == (year, quarter)


def test_an_assessment_without_the_entry_is_not_silently_left_out(
    write_policy: Callable[..., Path], transaction: Callable[..., dict[str, Any]]
) -> None:
    policy = write_policy()
    policy.write_text(
        policy.read_text().replace(f"[plugins.{PLUGIN}]", "#").replace(f"[plugins.{PLUGIN}.config]", "")
    )
    assessment = hrdd.Engine.from_policy(policy).assess(transaction())
    with pytest.raises(reporting.MissingEntryError, match="HRDD-PUB-004"):
        reporting.hrdd_report_contribution(assessment)


# --------------------------------------------------------------------------------------
# Failing closed, and the data's age
# --------------------------------------------------------------------------------------


class FakeContext:
    def __init__(self, state: Any, facts: dict[str, Any], as_of: _dt.date | None = None) -> None:
        self.state = state
        self._facts = facts
        self.as_of = as_of or _dt.date.today()

    def fact(self, name: str) -> Any:
        return self._facts.get(name)

    def fact_source(self, name: str) -> str | None:
        return "test" if name in self._facts else None

    reference = hrdd.CheckContext.reference  # reads only as_of


def _configured(**config: Any) -> Any:
    defaults = {
        "data": None,
        "required_at": ["high", "critical"],
        "required_for_every_end_user_at": ["critical"],
        "region_level": "region",
        "max_age_days": 400,
    }
    return reporting.hrdd_configure(config={**defaults, **config}, policy_dir=Path.cwd()).state


def test_a_country_the_data_does_not_know_is_an_error(transaction: Callable[..., dict[str, Any]]) -> None:
    """The schema only admits ISO codes the shipped data covers; a team's platform that
    builds transactions itself may still send another (Kosovo's XK): fail closed."""
    document = transaction({**INTERIOR_MINISTRY, "country": "XK"})
    tx = hrdd.Transaction.from_dict(document)
    findings = reporting.hrdd_check_contract(
        tx, FakeContext(_configured(), {"transaction.risk_level": "low"})
    )
    errors = [f for f in findings if f.rule_id == "HRDD-PUB-005"]
    assert len(errors) == 1 and errors[0].outcome is hrdd.Outcome.ERROR
    assert "'XK'" in errors[0].message
    entry = next(f for f in findings if f.rule_id == "HRDD-PUB-004")
    assert evidence(entry)["public_report.destination_region"] is None


@pytest.mark.parametrize(
    ("days_after", "max_age", "expected"), [(401, 400, True), (400, 400, False), (40, 30, True)]
)
def test_old_country_data_is_reported_against_the_transaction_date(
    days_after: int, max_age: int, expected: bool, transaction: Callable[..., dict[str, Any]]
) -> None:
    state = _configured(max_age_days=max_age)
    date = state.regions.as_of + _dt.timedelta(days=days_after)
    tx = hrdd.Transaction.from_dict(transaction(date=date.isoformat()))
    found = [
        f for f in reporting.hrdd_check_contract(tx, FakeContext(state, {})) if f.rule_id == "HRDD-PUB-006"
    ]
    assert bool(found) is expected
    if expected:
        assert found[0].message.startswith(f"Country data is {days_after} days old")
        assert found[0].outcome is hrdd.Outcome.INFO


def test_undated_transactions_measure_the_age_against_the_assessment_date(
    transaction: Callable[..., dict[str, Any]],
) -> None:
    state = _configured(max_age_days=1)
    tx = hrdd.Transaction.from_dict(transaction(date=None))
    as_of = state.regions.as_of + _dt.timedelta(days=30)
    found = [
        f
        for f in reporting.hrdd_check_contract(tx, FakeContext(state, {}, as_of))
        if f.rule_id == "HRDD-PUB-006"
    ]
    assert len(found) == 1
    assert evidence(found[0])["reference_date"] == as_of.isoformat()
    # the same assessment as of the data's own date: not old
    same_day = reporting.hrdd_check_contract(tx, FakeContext(state, {}, state.regions.as_of))
    assert not [f for f in same_day if f.rule_id == "HRDD-PUB-006"]


# --------------------------------------------------------------------------------------
# Deals alike (a customer's deals under its framework contract)
# --------------------------------------------------------------------------------------


def test_deals_alike_get_the_same_answer_and_a_deal_that_differs_its_own(
    transaction: Callable[..., dict[str, Any]],
) -> None:
    """The answer for deals with the same inputs is built once and returned again (the very
    same tuple, which the engine reports without looking at it again); a deal that differs in
    one thing the findings read gets its own findings, whatever came before with the same
    plugin state (one per engine), in either order."""
    state = _configured(max_age_days=30)  # the data is older than that: every deal has PUB-006
    day = state.regions.as_of + _dt.timedelta(days=100)
    high = {"transaction.risk_level": "high", "end_user.government_linked": True}
    thermal, face = THERMAL_CAMERA, {"name": "FaceFind SDK", "categories": ["facial_recognition"]}
    both = [thermal, face]
    deals: dict[str, tuple[dict[str, Any], dict[str, Any], _dt.date]] = {
        "high risk": (transaction(date=day.isoformat()), high, day),
        "the same, another id": (transaction(date=day.isoformat(), id="TX-2"), high, day),
        "medium risk": (transaction(date=day.isoformat()), {**high, "transaction.risk_level": "medium"}, day),
        "committed": (transaction(date=day.isoformat(), clauses=["public_reporting"]), high, day),
        "risk level unknown": (transaction(date=day.isoformat()), {"end_user.government_linked": True}, day),
        # published as None: the same value, but the evidence names a source
        "risk level published as None": (
            transaction(date=day.isoformat()),
            {"transaction.risk_level": None, "end_user.government_linked": True},
            day,
        ),
        "another end user": (
            transaction({**INTERIOR_MINISTRY, "name": "Ministry of Justice"}, date=day.isoformat()),
            high,
            day,
        ),
        # the same name in another country (of the same region: the entry is alike)
        "another country": (
            transaction({**INTERIOR_MINISTRY, "country": "DZ"}, date=day.isoformat()),
            high,
            day,
        ),
        "another category": (transaction(date=day.isoformat(), items=[face]), high, day),
        "two items": (transaction(date=day.isoformat(), items=both), high, day),
        "two items, other order": (transaction(date=day.isoformat(), items=both[::-1]), high, day),
        "next quarter": (transaction(date=(day + _dt.timedelta(days=92)).isoformat()), high, day),
        "undated, the same day": (transaction(date=None), high, day),
        "undated, a day later": (transaction(date=None), high, day + _dt.timedelta(days=1)),
    }
    parsed = {
        name: (hrdd.Transaction.from_dict(document), facts, as_of)
        for name, (document, facts, as_of) in deals.items()
    }

    def check(name: str, state: Any) -> Any:
        tx, facts, as_of = parsed[name]
        return reporting.hrdd_check_contract(tx, FakeContext(state, facts, as_of))

    alone = {name: list(check(name, _configured(max_age_days=30))) for name in deals}
    assert [f.rule_id for f in alone["high risk"]] == ["HRDD-PUB-006", "HRDD-PUB-001", "HRDD-PUB-004"]
    assert "today" in alone["undated, the same day"][0].message
    assert "the transaction date" in alone["high risk"][0].message
    for order in (list(deals), list(reversed(deals))):
        state = _configured(max_age_days=30)
        for _ in range(3):  # a key is remembered the second time it comes: the third is from memory
            for name in order:
                assert list(check(name, state)) == alone[name], name
        first, again = check("high risk", state), check("the same, another id", state)
        assert type(first) is tuple and first is again
        assert check("medium risk", state) is not first


def test_the_entry_is_shared_by_the_countries_of_a_region_and_no_further(
    transaction: Callable[..., dict[str, Any]],
) -> None:
    """The entry names the destination's region (or sub-region), never its country: deals to
    two countries of one region share the entry, and a deal to another region (or, when the
    sub-region is published, to another sub-region of the same region) gets its own."""
    for level, alike, other in (("region", "KE", "FR"), ("sub_region", "DZ", "KE")):
        state = _configured(region_level=level)

        def entry(country: str, state: Any = state) -> hrdd.Finding:
            tx = hrdd.Transaction.from_dict(transaction({**INTERIOR_MINISTRY, "country": country}))
            found = reporting.hrdd_check_contract(tx, FakeContext(state, {}))
            return next(f for f in found if f.rule_id == reporting.ENTRY_RULE)

        first = entry("EG")  # Africa, Northern Africa
        assert entry("EG") == first
        assert entry("EG") is entry(alike)  # remembered from the second time
        distinct = entry(other)
        assert distinct != first
        place = "public_report.destination_region"
        assert evidence(distinct)[place] != evidence(first)[place]
        assert entry(other) is entry(other) is not first


def test_every_memory_is_bounded() -> None:
    """What the check remembers grows with an order book (its customers, contracts and product
    mixes): every memory has a bound."""
    from hrdd.memory import Memory

    state = _configured()
    memories = [field.name for field in attrs.fields(type(state)) if str(field.type).startswith("Memory[")]
    assert {"commitments", "entries", "answers"} <= set(memories)
    for name in memories:
        memory = getattr(state, name)
        assert isinstance(memory, Memory) and memory.size <= reporting.MEMORY_SIZE, name


def test_the_contribution_reads_a_waived_entry() -> None:
    """A waived entry (a waiver on HRDD-PUB-004) still reaches the transparency report."""
    entry = hrdd.Finding(
        "HRDD-PUB-004",
        "info",
        "none",
        "entry",
        evidence={"public_report.destination_region": "Europe", "public_report.year": 2026, "other": 1},
    )
    assessment = SimpleNamespace(findings=(), waived=(entry,), decision=hrdd.Decision.PROCEED)
    assert reporting.hrdd_report_contribution(assessment) == {  # type: ignore[arg-type]
        "decision": "proceed",
        "destination_region": "Europe",
        "year": 2026,
    }


def test_each_assessment_gets_its_own_contribution_of_a_shared_entry() -> None:
    """The same entry finding in two assessments (as the engine hands it out again) gives each
    its own decision, in a mapping of its own."""
    entry = hrdd.Finding(
        "HRDD-PUB-004", "info", "none", "entry", evidence={"public_report.destination_region": "Europe"}
    )
    answers = []
    for decision in (hrdd.Decision.PROCEED, hrdd.Decision.ESCALATE) * 3:
        assessment = SimpleNamespace(findings=(entry,), waived=(), decision=decision)
        answer = reporting.hrdd_report_contribution(assessment)  # type: ignore[arg-type]
        assert answer == {"decision": decision.value, "destination_region": "Europe"}
        assert all(answer is not other for other in answers)
        answers.append(answer)
