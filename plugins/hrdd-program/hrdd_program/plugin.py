"""hrdd-program: does the exporter's due-diligence programme hold what the guidance expects?

Covers the Draft Guidance's call to integrate human-rights due diligence into the export
compliance programme (``dd-program``: support from the highest levels, training,
documentation, communication of commitment and steps taken) and its stakeholder
engagement characteristic (``dd-3``). The programme is a fact about the exporter, not the
deal: it is read from the policy and evaluated once per engine. What it means for a deal
depends on that deal's risk (``dd-1``, commensurate): every transaction gets the programme
summary (negative assurance); a gap escalates a transaction whose ``transaction.risk_level``
is at or above ``escalate_at`` (default ``high``; an unknown level counts as ``high``) and is
recorded as ``info`` on the others.
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Mapping
from typing import Any

from hrdd import (
    CheckContext,
    Finding,
    Outcome,
    PluginInfo,
    PluginSetup,
    RuleInfo,
    Severity,
    Transaction,
    hookimpl,
)
from hrdd.memory import scaled
from hrdd_program.programme import (
    CONFIG_SCHEMA,
    GRIEVANCE_AFTER,
    GRIEVANCE_BEFORE,
    PROGRAMME,
    PUBLIC_COMMUNICATION,
    RISK_LEVELS,
    STAKEHOLDERS,
    Element,
    evaluate,
)

RISK_FACT = "transaction.risk_level"
RISK_RANK = {level: rank for rank, level in enumerate(RISK_LEVELS)}
UNKNOWN_RISK_COUNTS_AS = "high"
SUBJECT = "exporter"

RULES = (
    RuleInfo(
        "HRDD-PRG-001",
        "The exporter's human-rights due-diligence programme as the policy states it (negative assurance)",
        (PROGRAMME, STAKEHOLDERS),
    ),
    RuleInfo("HRDD-PRG-002", "No human-rights commitment from the exporter's highest levels", (PROGRAMME,)),
    RuleInfo(
        "HRDD-PRG-003",
        "Human-rights training of trade-compliance staff missing, stale or partial",
        (PROGRAMME,),
    ),
    RuleInfo("HRDD-PRG-004", "Due-diligence records not kept, or not kept long enough", (PROGRAMME,)),
    RuleInfo(
        "HRDD-PRG-005", "No recent engagement with affected stakeholders or civil society", (STAKEHOLDERS,)
    ),
    RuleInfo(
        "HRDD-PRG-006",
        "No published grievance channel for misuse of the exporter's items",
        (STAKEHOLDERS, GRIEVANCE_BEFORE, GRIEVANCE_AFTER),
    ),
    RuleInfo(
        "HRDD-PRG-007",
        "Commitment or steps taken not communicated publicly",
        (PROGRAMME, PUBLIC_COMMUNICATION),
    ),
)

# Gaps in the programme weigh with the deal's risk: the severity a gap carries on a
# transaction of each risk level.
SEVERITY_FOR_RISK = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.MEDIUM,
    "critical": Severity.HIGH,
}


@hookimpl
def hrdd_plugin_info() -> PluginInfo:
    return PluginInfo(
        clauses=(PROGRAMME, STAKEHOLDERS, PUBLIC_COMMUNICATION, GRIEVANCE_BEFORE, GRIEVANCE_AFTER),
        rules=RULES,
        config_schema=CONFIG_SCHEMA,
        description="Checks the exporter's human-rights due-diligence programme stated in the policy "
        "(highest-level commitment, training, records, stakeholder engagement, grievance channel, "
        "public commitment) and escalates high-risk transactions when it falls short.",
    )


@hookimpl
def hrdd_configure(config: Mapping[str, Any]) -> PluginSetup:
    return PluginSetup(state=Programme(evaluate(config), config["escalate_at"]))


# --------------------------------------------------------------------------------------
# The programme, per engine
# --------------------------------------------------------------------------------------


# How many (date, risk level, ...) answers a programme keeps: two years of dates at four
# levels (an order book re-assessed over a year needed 1,320; at 512 most were built again).
FINDINGS_SIZE = 4096


class Programme:
    """The programme's elements, evaluated once per engine, and the findings they give.

    Findings depend only on the day they are measured on and on the transaction's risk
    level, so they are built once per (date, risk level) and reused: a batch of deals on
    the same day costs one evaluation. The most recently used ``FINDINGS_SIZE`` are kept: a
    batch of a year's deals has about 365 dates at four risk levels each.
    """

    __slots__ = ("_findings", "elements", "escalate_at")

    def __init__(self, elements: tuple[Element, ...], escalate_at: str) -> None:
        self.elements = elements
        self.escalate_at = escalate_at
        self._findings = functools.lru_cache(maxsize=scaled(FINDINGS_SIZE))(self._build)

    def findings(
        self, transaction_date: _dt.date | None, today: _dt.date, risk: Any, risk_source: str | None
    ) -> tuple[Finding, ...]:
        """The findings for a transaction of ``transaction_date`` (None: measured on
        ``today``) whose published risk level is ``risk`` (None: nobody published it): the
        same tuple for the same inputs, so the engine reuses its whole processed answer."""
        if not (risk is None or isinstance(risk, str)):
            risk = repr(risk)  # a malformed fact: reported as given, weighed as unknown
        return self._findings(
            transaction_date, today if transaction_date is None else None, risk, risk_source
        )

    def _build(
        self,
        transaction_date: _dt.date | None,
        today: _dt.date | None,
        risk: str | None,
        risk_source: str | None,
    ) -> tuple[Finding, ...]:
        day = transaction_date if transaction_date is not None else today
        assert day is not None
        if transaction_date is not None:
            basis = f"on the transaction's date ({day.isoformat()})"
            when: tuple[tuple[str, Any], ...] = (("date", day.isoformat()),)
        else:
            basis = f"today ({day.isoformat()}; the transaction has no date)"
            when = (("date", None), ("assessed_on", day.isoformat()))
        level, described = _risk_level(risk)
        risk_evidence: tuple[tuple[str, Any], ...] = ((RISK_FACT, risk),)
        if risk_source is not None:
            risk_evidence += ((f"{RISK_FACT}.source", risk_source),)
        if level != risk:
            risk_evidence += ((f"{RISK_FACT}.weighed_as", level),)

        gaps = {element.key: element.gaps_on(day) for element in self.elements}
        findings = [self._summary(basis, when, risk_evidence, gaps)]
        escalate = RISK_RANK[level] >= RISK_RANK[self.escalate_at]
        for element in self.elements:
            if gaps[element.key]:
                findings.append(
                    _gap_finding(element, gaps[element.key], escalate, level, described, when, risk_evidence)
                )
        return tuple(findings)

    def _summary(
        self,
        basis: str,
        when: tuple[tuple[str, Any], ...],
        risk_evidence: tuple[tuple[str, Any], ...],
        gaps: Mapping[str, tuple[Any, ...]],
    ) -> Finding:
        in_place = [element.summary for element in self.elements if not gaps[element.key] and element.summary]
        lacking = [element for element in self.elements if gaps[element.key]]
        status = tuple(
            (
                element.path,
                element.summary
                if not gaps[element.key]
                else "not in place: " + "; ".join(gap.reason for gap in gaps[element.key]),
            )
            for element in self.elements
        )
        return Finding(
            rule_id="HRDD-PRG-001",
            outcome=Outcome.INFO,
            severity=Severity.NONE,
            message=f"The exporter's human-rights due-diligence programme as the policy states it, {basis}. "
            f"In place: {'; '.join(in_place) if in_place else 'nothing'}. "
            f"Missing or short of what the guidance expects: "
            f"{', '.join(e.title.lower() for e in lacking) if lacking else 'nothing'}.",
            evidence=status + when + risk_evidence,
            guidance=(PROGRAMME, STAKEHOLDERS),
            subject=SUBJECT,
        )


def _risk_level(risk: str | None) -> tuple[str, str]:
    """The risk level a programme gap is weighed at, and how the message describes it."""
    if risk in RISK_RANK:
        return risk, risk
    if risk is None:
        return (
            UNKNOWN_RISK_COUNTS_AS,
            f"unknown (no enabled plugin published {RISK_FACT}), so it is weighed as {UNKNOWN_RISK_COUNTS_AS}",
        )
    return (
        UNKNOWN_RISK_COUNTS_AS,
        f"{risk!r}, which is not one of {', '.join(RISK_LEVELS)}, so it is weighed as {UNKNOWN_RISK_COUNTS_AS}",
    )


def _gap_finding(
    element: Element,
    gaps: tuple[Any, ...],
    escalate: bool,
    level: str,
    described: str,
    when: tuple[tuple[str, Any], ...],
    risk_evidence: tuple[tuple[str, Any], ...],
) -> Finding:
    if escalate:
        consequence = "so the gap is escalated for review before the deal proceeds"
    else:
        consequence = "below the level at which the policy escalates programme gaps, so the gap is recorded without holding the deal"
    evidence: dict[str, Any] = {}
    for gap in gaps:
        evidence.update(gap.evidence)
    return Finding(
        rule_id=element.rule_id,
        outcome=Outcome.ESCALATE if escalate else Outcome.INFO,
        severity=SEVERITY_FOR_RISK[level],
        message=f"{element.title}: {'; '.join(gap.reason for gap in gaps)}. The guidance "
        f"({', '.join(element.clauses)}) expects {element.expectation}. The transaction's risk level is "
        f"{described}, {consequence}.",
        evidence=tuple(evidence.items()) + when + risk_evidence,
        guidance=element.clauses,
        remediation=element.remediation,
        subject=SUBJECT,
    )


# --------------------------------------------------------------------------------------
# Check
# --------------------------------------------------------------------------------------


@hookimpl
def hrdd_check_contract(transaction: Transaction, context: CheckContext) -> tuple[Finding, ...]:
    """The programme summary for every transaction, and its gaps weighed at the deal's risk.

    ``transaction.risk_level`` is read here only (not by a facts hook), so nothing is declared
    in ``reads``; it is unknown when hrdd-contract-safeguards is not enabled.
    """
    programme: Programme = context.state
    return programme.findings(
        transaction.date, context.as_of, context.fact(RISK_FACT), context.fact_source(RISK_FACT)
    )
