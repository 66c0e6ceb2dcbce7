"""hrdd-program on transactions: the programme summary, and gaps weighed at the deal's risk.

Each test writes a policy (the programme's config tables plus the risk stand-in, see
conftest.py), assesses the benign body-camera deal and asserts the decision and the rule
ids. The deal itself raises nothing that needs action, so the decision shows what the
programme does to it.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hrdd

PLUGIN = "hrdd-program"
GAP_RULES = {f"HRDD-PRG-{n:03d}" for n in range(2, 8)}
ELEMENT_RULE = {
    "commitment": "HRDD-PRG-002",
    "training": "HRDD-PRG-003",
    "documentation": "HRDD-PRG-004",
    "stakeholder_engagement": "HRDD-PRG-005",
    "grievance_channel": "HRDD-PRG-006",
    "public_commitment": "HRDD-PRG-007",
}
ROOT = Path(__file__).resolve().parents[3]

Engine = Callable[..., hrdd.Engine]
Tx = Callable[..., dict[str, Any]]


def program_findings(assessment: hrdd.Assessment) -> dict[str, hrdd.Finding]:
    found = [f for f in assessment.findings if f.plugin == PLUGIN]
    by_rule = {f.rule_id: f for f in found}
    assert len(by_rule) == len(found), "one finding per rule"
    return by_rule


def outcomes(assessment: hrdd.Assessment) -> dict[str, str]:
    return {rule: f.decisive_outcome.value for rule, f in program_findings(assessment).items()}


def evidence(finding: hrdd.Finding) -> dict[str, Any]:
    return {e.path: e.value for e in finding.evidence}


def without(programme: str, element: str) -> str:
    """The programme's config text without one element's table."""
    kept, skipping = [], False
    for line in programme.splitlines():
        if line.startswith("[plugins.hrdd-program.config."):
            skipping = line == f"[plugins.hrdd-program.config.{element}]"
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


def replaced(programme: str, old: str, new: str) -> str:
    assert old in programme, old
    return programme.replace(old, new)


# --------------------------------------------------------------------------------------
# A policy that states nothing: escalates high-risk deals only
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("risk", ["low", "medium"])
def test_nothing_stated_never_holds_a_lower_risk_deal(engine_for: Engine, transaction: Tx, risk: str) -> None:
    """A baseline that says nothing about the programme must not stop routine low-risk sales."""
    assessment = engine_for("", risk=risk).assess(transaction())
    assert assessment.decision == "proceed"
    assert outcomes(assessment) == {"HRDD-PRG-001": "info", **dict.fromkeys(GAP_RULES, "info")}
    gaps = [f for f in program_findings(assessment).values() if f.rule_id in GAP_RULES]
    expected = hrdd.Severity.LOW if risk == "low" else hrdd.Severity.MEDIUM
    assert {f.severity for f in gaps} == {expected}
    assert all("recorded without holding the deal" in f.message for f in gaps)


@pytest.mark.parametrize(("risk", "severity"), [("high", "medium"), ("critical", "high")])
def test_nothing_stated_escalates_a_high_risk_deal_naming_each_element_and_clause(
    engine_for: Engine, transaction: Tx, risk: str, severity: str
) -> None:
    assessment = engine_for("", risk=risk).assess(transaction())
    assert assessment.decision == "escalate"
    assert outcomes(assessment) == {"HRDD-PRG-001": "info", **dict.fromkeys(GAP_RULES, "escalate")}
    findings = program_findings(assessment)
    named = {
        "HRDD-PRG-002": ("Commitment from the highest levels", "draft-2019:dd-program"),
        "HRDD-PRG-003": ("Human-rights training", "draft-2019:dd-program"),
        "HRDD-PRG-004": ("Due-diligence records", "draft-2019:dd-program"),
        "HRDD-PRG-005": ("Stakeholder engagement", "draft-2019:dd-3"),
        "HRDD-PRG-006": ("Grievance channel", "draft-2019:dd-3"),
        "HRDD-PRG-007": ("Public commitment and steps taken", "draft-2019:dd-program"),
    }
    for rule, (element, clause) in named.items():
        finding = findings[rule]
        assert finding.message.startswith(f"{element}: not stated in the policy"), finding.message
        assert clause in finding.message and clause in finding.guidance
        assert finding.severity == severity
        assert finding.remediation and "[plugins.hrdd-program.config." in finding.remediation
        assert evidence(finding)["transaction.risk_level"] == risk
        assert finding.subject == "exporter"
    # the escalation's remediation reaches the report's checklist
    listed = {rule for s in assessment.required_safeguards for rule in s.rules}
    assert listed >= GAP_RULES


def test_an_unknown_risk_level_counts_as_high(engine_for: Engine, transaction: Tx) -> None:
    """Nobody published transaction.risk_level (hrdd-contract-safeguards not enabled): fail closed."""
    assessment = engine_for("", risk=None).assess(transaction())
    assert assessment.decision == "escalate"
    assert set(outcomes(assessment).values()) == {"info", "escalate"}
    finding = program_findings(assessment)["HRDD-PRG-004"]
    assert evidence(finding)["transaction.risk_level"] is None
    assert evidence(finding)["transaction.risk_level.weighed_as"] == "high"
    assert "unknown (no enabled plugin published transaction.risk_level)" in finding.message


def test_an_unrecognised_risk_level_counts_as_high_and_is_quoted(engine_for: Engine, transaction: Tx) -> None:
    assessment = engine_for("", risk="severe").assess(transaction())
    assert assessment.decision == "escalate"
    finding = program_findings(assessment)["HRDD-PRG-002"]
    assert "'severe', which is not one of low, medium, high, critical" in finding.message
    assert evidence(finding)["transaction.risk_level.source"] == "risk-stub"


# --------------------------------------------------------------------------------------
# A full programme: negative assurance only
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("risk", ["low", "high", "critical"])
def test_a_full_programme_lets_any_deal_through_with_its_summary(
    engine_for: Engine, transaction: Tx, full_programme: str, risk: str
) -> None:
    assessment = engine_for(full_programme, risk=risk).assess(transaction())
    assert assessment.decision == "proceed"
    assert outcomes(assessment) == {"HRDD-PRG-001": "info"}
    summary = program_findings(assessment)["HRDD-PRG-001"]
    for shown in (
        "commitment approved by the board on 2023-03-14",
        "human-rights training on 2025-01-20, 96% of trade-compliance staff",
        "due-diligence records kept for 7 years",
        "stakeholder engagement on 2025-02-11",
        "grievance channel (https://acme.example/human-rights/grievances)",
        "public commitment at https://acme.example/human-rights",
        "on the transaction's date (2025-06-01)",
    ):
        assert shown in summary.message, shown
    assert summary.message.endswith("Missing or short of what the guidance expects: nothing.")
    assert evidence(summary)["config.training"].startswith("human-rights training on 2025-01-20")


def test_the_summary_is_reported_on_every_transaction_and_the_check_is_recorded(
    engine_for: Engine, transaction: Tx, full_programme: str
) -> None:
    engine = engine_for(without(full_programme, "training"), risk="low")
    for date in ("2025-03-01", "2025-06-01", None):
        assessment = engine.assess(transaction(date=date))
        summary = program_findings(assessment)["HRDD-PRG-001"]
        assert "In place: commitment approved by the board" in summary.message
        assert "Missing or short of what the guidance expects: human-rights training" in summary.message
        [check] = [c for c in assessment.checks if c.plugin == PLUGIN]
        assert (check.hook, check.outcome) == ("hrdd_check_contract", "info")
        assert check.findings == len(program_findings(assessment))


# --------------------------------------------------------------------------------------
# Dates: measured against the transaction's date, else today
# --------------------------------------------------------------------------------------


def test_training_older_than_a_year_before_the_deal_is_stale(
    engine_for: Engine, transaction: Tx, full_programme: str
) -> None:
    programme = replaced(full_programme, "date = 2025-01-20", "date = 2024-01-10")
    engine = engine_for(programme, risk="high")
    stale = engine.assess(transaction(date="2025-06-01"))
    assert stale.decision == "escalate"
    assert outcomes(stale) == {"HRDD-PRG-001": "info", "HRDD-PRG-003": "escalate"}
    finding = program_findings(stale)["HRDD-PRG-003"]
    assert "508 days before 2025-06-01, older than the 365 days the policy allows" in finding.message
    assert evidence(finding)["age_days"] == 508
    assert evidence(finding)["date"] == "2025-06-01"
    # the same programme, for a deal five months after the training: the training is in place
    # (the engagement of 2025-02-11 is not, yet: it postdates that deal)
    fresh = engine.assess(transaction(date="2024-06-01"))
    assert "HRDD-PRG-003" not in outcomes(fresh)
    assert "human-rights training on 2024-01-10" in program_findings(fresh)["HRDD-PRG-001"].message


def test_an_element_dated_after_the_deal_was_not_in_place_for_it(
    engine_for: Engine, transaction: Tx, full_programme: str
) -> None:
    """Replaying a 2022 deal: the 2023 commitment and everything after it did not exist yet."""
    assessment = engine_for(full_programme, risk="high").assess(transaction(date="2022-11-15"))
    assert assessment.decision == "escalate"
    assert outcomes(assessment) == {
        "HRDD-PRG-001": "info",
        "HRDD-PRG-002": "escalate",
        "HRDD-PRG-003": "escalate",
        "HRDD-PRG-005": "escalate",
        "HRDD-PRG-007": "escalate",
    }
    message = program_findings(assessment)["HRDD-PRG-002"].message
    assert "dated 2023-03-14, after 2022-11-15, so it was not in place on the transaction's date" in message


def test_without_a_transaction_date_ages_are_measured_today(engine_for: Engine, transaction: Tx) -> None:
    today = _dt.date.today()

    def training(days_ago: int) -> str:
        day = (today - _dt.timedelta(days=days_ago)).isoformat()
        return f"[plugins.hrdd-program.config.training]\ndate = {day}\nshare_trained = 1.0\n"

    stale = engine_for(training(400), risk="high").assess(transaction(date=None))
    finding = program_findings(stale)["HRDD-PRG-003"]
    assert finding.decisive_outcome == "escalate"
    assert f"400 days before {today.isoformat()}" in finding.message
    assert evidence(finding)["date"] is None
    assert evidence(finding)["assessed_on"] == today.isoformat()
    fresh = engine_for(training(30), risk="high").assess(transaction(date=None))
    assert "HRDD-PRG-003" not in program_findings(fresh)
    assert "today (" in program_findings(fresh)["HRDD-PRG-001"].message


def test_stakeholder_engagement_two_years_ago_is_not_ongoing(
    engine_for: Engine, transaction: Tx, full_programme: str
) -> None:
    programme = replaced(full_programme, "date = 2025-02-11", "date = 2023-05-30")
    assessment = engine_for(programme, risk="high").assess(transaction())
    assert outcomes(assessment) == {"HRDD-PRG-001": "info", "HRDD-PRG-005": "escalate"}
    assert "draft-2019:dd-3" in program_findings(assessment)["HRDD-PRG-005"].guidance


def test_max_age_days_is_the_policys_to_set(engine_for: Engine, transaction: Tx, full_programme: str) -> None:
    programme = replaced(full_programme, "date = 2025-01-20", "date = 2024-01-10")
    biennial = programme + "\n[plugins.hrdd-program.config.max_age_days]\ntraining = 730\ncommitment = 365\n"
    assessment = engine_for(biennial, risk="high").assess(transaction())
    # training 508 days old passes a two-year rule; the 2023-03-14 commitment now needs renewal
    assert outcomes(assessment) == {"HRDD-PRG-001": "info", "HRDD-PRG-002": "escalate"}
    assert "older than the 365 days" in program_findings(assessment)["HRDD-PRG-002"].message


# --------------------------------------------------------------------------------------
# Elements stated, but short of what the guidance expects
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("approved_by", "in_place"),
    [
        ("board", True),
        ("chief_executive", True),
        ("executive_committee", True),
        ("senior_management", False),
        ("compliance_function", False),
        ("other", False),
    ],
)
def test_a_commitment_counts_only_from_the_highest_levels(
    engine_for: Engine, transaction: Tx, full_programme: str, approved_by: str, in_place: bool
) -> None:
    programme = replaced(full_programme, 'approved_by = "board"', f'approved_by = "{approved_by}"')
    assessment = engine_for(programme, risk="high").assess(transaction())
    assert ("HRDD-PRG-002" not in outcomes(assessment)) is in_place
    assert assessment.decision == ("proceed" if in_place else "escalate")
    if not in_place:
        finding = program_findings(assessment)["HRDD-PRG-002"]
        assert "not at the highest level (board, chief executive, executive committee)" in finding.message
        assert evidence(finding)["config.commitment.approved_by"] == approved_by


@pytest.mark.parametrize(
    ("share", "says"),
    [
        ("0.6", "60% of trade-compliance staff were trained, fewer than the 90% the policy expects"),
        (None, "the share of trade-compliance staff trained is not stated"),
    ],
)
def test_training_must_reach_the_staff(
    engine_for: Engine, transaction: Tx, full_programme: str, share: str | None, says: str
) -> None:
    line = "share_trained = 0.96\n"
    programme = replaced(full_programme, line, "" if share is None else f"share_trained = {share}\n")
    assessment = engine_for(programme, risk="critical").assess(transaction())
    assert outcomes(assessment) == {"HRDD-PRG-001": "info", "HRDD-PRG-003": "escalate"}
    assert says in program_findings(assessment)["HRDD-PRG-003"].message
    # a policy content with partial coverage says so
    lenient = programme + "\n[plugins.hrdd-program.config]\nmin_share_trained = 0.5\n"
    assert ("HRDD-PRG-003" in outcomes(engine_for(lenient, risk="critical").assess(transaction()))) is (
        share is None
    )


@pytest.mark.parametrize(
    ("table", "says"),
    [
        (
            "records_kept = false\nretention_years = 7\n",
            "the policy states that due-diligence records are not kept",
        ),
        (
            "records_kept = true\nretention_years = 3\n",
            "kept for 3 years, less than the 5 the policy expects",
        ),
        ("records_kept = true\n", "how long the records are kept is not stated"),
    ],
)
def test_records_must_be_kept_long_enough(
    engine_for: Engine, transaction: Tx, full_programme: str, table: str, says: str
) -> None:
    programme = replaced(full_programme, "records_kept = true\nretention_years = 7\n", table)
    assessment = engine_for(programme, risk="high").assess(transaction())
    assert outcomes(assessment) == {"HRDD-PRG-001": "info", "HRDD-PRG-004": "escalate"}
    assert says in program_findings(assessment)["HRDD-PRG-004"].message


def test_a_public_commitment_must_come_with_the_steps_taken(
    engine_for: Engine, transaction: Tx, full_programme: str
) -> None:
    programme = replaced(
        full_programme, 'steps_report_url = "https://acme.example/reports/2024-human-rights"\n', ""
    )
    assessment = engine_for(programme, risk="high").assess(transaction())
    assert outcomes(assessment) == {"HRDD-PRG-001": "info", "HRDD-PRG-007": "escalate"}
    finding = program_findings(assessment)["HRDD-PRG-007"]
    assert "the steps taken are not published" in finding.message
    assert set(finding.guidance) == {"draft-2019:dd-program", "draft-2019:dd-4"}


def test_a_described_grievance_channel_is_in_place(
    engine_for: Engine, transaction: Tx, full_programme: str
) -> None:
    programme = replaced(
        full_programme,
        'url = "https://acme.example/human-rights/grievances"',
        'description = "Independent ethics hotline, +1 800 555 0100, open to anyone"',
    )
    assessment = engine_for(programme, risk="critical").assess(transaction())
    assert outcomes(assessment) == {"HRDD-PRG-001": "info"}
    assert (
        "grievance channel (Independent ethics hotline"
        in program_findings(assessment)["HRDD-PRG-001"].message
    )


@pytest.mark.parametrize("element", sorted(ELEMENT_RULE))
def test_each_missing_element_is_its_own_finding(
    engine_for: Engine, transaction: Tx, full_programme: str, element: str
) -> None:
    assessment = engine_for(without(full_programme, element), risk="high").assess(transaction())
    assert assessment.decision == "escalate"
    assert outcomes(assessment) == {"HRDD-PRG-001": "info", ELEMENT_RULE[element]: "escalate"}
    assert evidence(program_findings(assessment)[ELEMENT_RULE[element]])[f"config.{element}"] is None


# --------------------------------------------------------------------------------------
# What the policy decides
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("escalate_at", "risk", "outcome"),
    [
        ("medium", "medium", "escalate"),
        ("medium", "low", "info"),
        ("critical", "high", "info"),
        ("critical", "critical", "escalate"),
        ("critical", None, "info"),  # unknown counts as high, which this policy does not escalate
        ("low", "low", "escalate"),
    ],
)
def test_escalate_at_sets_the_risk_level_from_which_gaps_escalate(
    engine_for: Engine, transaction: Tx, escalate_at: str, risk: str | None, outcome: str
) -> None:
    config = f'[plugins.hrdd-program.config]\nescalate_at = "{escalate_at}"\n'
    assessment = engine_for(config, risk=risk).assess(transaction())
    assert {outcomes(assessment)[rule] for rule in GAP_RULES} == {outcome}
    assert assessment.decision == ("escalate" if outcome == "escalate" else "proceed")


def test_rule_enforcement_can_make_one_element_advisory(
    engine_for: Engine, transaction: Tx, full_programme: str
) -> None:
    """A company that publishes no statement yet can say so, and still see the gap."""
    advisory = '[plugins.hrdd-program.rule-enforcement]\n"HRDD-PRG-007" = "advisory"\n'
    assessment = engine_for(without(full_programme, "public_commitment"), risk="high", extra=advisory).assess(
        transaction()
    )
    assert assessment.decision == "proceed"
    finding = program_findings(assessment)["HRDD-PRG-007"]
    assert (finding.outcome, finding.decisive_outcome, finding.enforcement) == (
        "escalate",
        "info",
        "advisory",
    )


# --------------------------------------------------------------------------------------
# Once per engine; reports
# --------------------------------------------------------------------------------------


def test_the_programme_is_evaluated_once_per_engine(
    engine_for: Engine, transaction: Tx, full_programme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hrdd_program import plugin

    calls: list[int] = []
    evaluate = plugin.evaluate
    monkeypatch.setattr(plugin, "evaluate", lambda config: calls.append(1) or evaluate(config))
    engine = engine_for(full_programme, risk="high")
    assert calls == [1]
    for index, date in enumerate(("2024-03-01", "2025-06-01", "2025-06-01", None)):
        engine.assess(transaction(id=f"TX-{index}", date=date))
    assert calls == [1]
    assert isinstance(engine.plugins.by_name[PLUGIN].state, plugin.Programme)


def test_deals_of_one_day_and_risk_get_the_very_same_findings(
    engine_for: Engine, transaction: Tx, full_programme: str
) -> None:
    """The programme's findings depend on the day and the risk level only: a batch of deals on
    one day gets the very same (immutable) findings, a deal of another day its own."""
    engine = engine_for(full_programme, risk="high")
    first, second, other = (
        [f for f in engine.assess(transaction(id=f"TX-{n}", date=date)).findings if f.plugin == PLUGIN]
        for n, date in enumerate(("2025-06-01", "2025-06-01", "2024-03-01"))
    )
    assert first and all(a is b for a, b in zip(first, second, strict=True))
    assert "2025-06-01" in first[0].message and "2024-03-01" in other[0].message


def test_two_engines_keep_their_own_programme(
    engine_for: Engine, transaction: Tx, full_programme: str
) -> None:
    full, empty = engine_for(full_programme, risk="high"), engine_for("", risk="high")
    assert full.assess(transaction()).decision == "proceed"
    assert empty.assess(transaction()).decision == "escalate"
    assert full.assess(transaction()).decision == "proceed"


def test_the_report_is_valid_and_names_the_plugin(engine_for: Engine, transaction: Tx) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    assessment = engine_for("", risk=None).assess(transaction(date=None))
    report = json.loads(engine_for("", risk=None).render(assessment, "json"))
    Draft202012Validator(schema).validate(report)
    assert PLUGIN in {p["name"] for p in report["provenance"]["plugins"]}
    assert report["decision"] == "escalate"
    assert {f["rule_id"] for f in report["findings"] if f["plugin"] == PLUGIN} == {"HRDD-PRG-001", *GAP_RULES}


def test_the_plugin_declares_its_clauses_and_rules() -> None:
    from hrdd_program import plugin

    info = plugin.hrdd_plugin_info()
    declared = {rule.id for rule in info.rules}
    assert declared == {"HRDD-PRG-001", *GAP_RULES}
    assert {"draft-2019:dd-3", "draft-2019:dd-program"} <= set(info.clauses)
    assert {clause for rule in info.rules for clause in rule.guidance} == set(info.clauses)
    assert info.reads == () and info.publishes == ()
