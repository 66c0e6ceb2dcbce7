"""hrdd-contract-safeguards: the safeguards a transaction's risk requires, before and after export.

Covers the Draft Guidance's consideration 6 (mitigate risks through contractual and
procedural safeguards and strong grievance mechanisms), consideration 7 (the same after
export) and the second characteristic of due diligence (dd-2: ongoing monitoring and
evaluation). Publishes ``transaction.risk_level`` (dd-1, commensurate risk) for the other
plugins.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from hrdd import (
    TRANSACTION_KINDS,
    CheckContext,
    Evidence,
    Finding,
    Outcome,
    PluginInfo,
    PluginSetup,
    RuleInfo,
    Severity,
    Transaction,
    hookimpl,
)
from hrdd.memory import Memory
from hrdd.model import Contract
from hrdd_contract_safeguards.risk import EVENTS, READS, Risk, assess_risk
from hrdd_contract_safeguards.table import SafeguardTable, default_data_path, table_for

BEFORE = "draft-2019:consideration-6"
AFTER = "draft-2019:consideration-7"
MONITORING = "draft-2019:dd-2"
COMMENSURATE = "draft-2019:dd-1"

RULES = (
    RuleInfo("HRDD-CON-001", "A contract clause the transaction's risk level requires is missing", (BEFORE,)),
    RuleInfo(
        "HRDD-CON-002",
        "A post-export measure the transaction's risk level requires is missing",
        (AFTER, MONITORING),
    ),
    RuleInfo(
        "HRDD-CON-003",
        "Continued supply (renewal, support, update, service) to an end user with credible misuse reports",
        (AFTER, MONITORING),
    ),
    RuleInfo(
        "HRDD-CON-004",
        "Critical risk: contractual safeguards cannot bring it to an acceptable level alone",
        (COMMENSURATE, BEFORE),
    ),
    RuleInfo(
        "HRDD-CON-005",
        "Every safeguard the transaction's risk level requires is in the contract",
        (BEFORE, AFTER),
    ),
    RuleInfo(
        "HRDD-CON-006",
        "Continued supply to an end user whose misuse reports were never assessed",
        (AFTER, MONITORING),
    ),
    RuleInfo(
        "HRDD-CON-007",
        "A fact the risk level weighs has a value outside the facts contract",
        (COMMENSURATE,),
    ),
)

AFTER_EXPORT_KINDS = ["renewal", "support", "update", "service"]
CONFIG_SCHEMA: dict[str, Any] = {
    "data": {"type": "string", "nullable": True, "default": None, "empty": False, "meta": {"path": True}},
    "after_export_kinds": {
        "type": "list",
        "schema": {"type": "string", "allowed": list(TRANSACTION_KINDS)},
        "default": AFTER_EXPORT_KINDS,
    },
}
RISK_LEVEL = "transaction.risk_level"
SEVERITY_FOR_LEVEL = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.HIGH,
}


# Fact values a remembered risk may be keyed by: for these types, equal values of the same
# type are weighed, shown and quoted alike. A fact of any other type (a publisher's mistake)
# is weighed afresh each time. The sensitive events may also be a list or tuple of them.
_KEY_TYPES = frozenset({type(None), bool, int, str})
_SCALAR_FACTS = tuple(fact for fact in READS if fact != EVENTS)
_READS = frozenset(READS)


@attrs.frozen(eq=False)
class Assessed:
    """A risk with the evidence every finding of the check carries and its summary for
    messages (built once per distinct risk; compared and hashed by identity)."""

    risk: Risk
    evidence: tuple[Evidence, ...]
    summary: str


# How many findings (or answers) keyed by the end user an engine remembers. Every finding of
# the check names the end user, so its keys hold the end user and the risk, and an order book
# of a realistic size (some 1,500 customers, each with a few risks as their deals' items and
# dates vary) has some 7,000 of them over 30,000 deals, the few large customers' recurring
# most. Holding them all took about 100 MiB more over a batch of 100,000 such deals (a
# remembered finding costs some 7 KiB with the engine's enforced copy and JSON), so these
# memories hold a quarter of that and keep the most recently built (see hrdd.memory). The
# risks themselves are few (some 400 on such an order book).
PER_END_USER_SIZE = 2048


@attrs.frozen
class State:
    """What the checks read back as ``context.state``: the table and country names, and (per
    engine) the risks already assessed and evidence that never changes."""

    table: SafeguardTable
    country_names: Mapping[str, str]
    after_export_kinds: frozenset[str]
    risks: Memory[tuple[Any, ...], Assessed] = attrs.field(factory=Memory, eq=False, repr=False)
    # (Assessed, who, complete) -> the critical-risk finding.
    criticals: Memory[tuple[Any, ...], Finding] = attrs.field(
        factory=lambda: Memory(PER_END_USER_SIZE), eq=False, repr=False
    )
    # (post-export measures, Assessed, who) -> the findings on the missing measures.
    measures: Memory[tuple[Any, ...], tuple[Finding, ...]] = attrs.field(
        factory=lambda: Memory(PER_END_USER_SIZE), eq=False, repr=False
    )
    # (clauses, post-export measures, Assessed, who) -> the check's answer but for the
    # after-export and invalid-facts findings (see hrdd_check_contract).
    answers: Memory[tuple[Any, ...], tuple[tuple[Finding, ...], ...]] = attrs.field(
        factory=lambda: Memory(PER_END_USER_SIZE), eq=False, repr=False
    )
    # ("clauses" or "post_export", risk level) -> Evidence of what the level requires, and
    # safeguard name -> Evidence("missing", name): the same values on every finding.
    required: Mapping[tuple[str, str], Evidence] = attrs.field(init=False, eq=False, repr=False)
    missing: Mapping[str, Evidence] = attrs.field(init=False, eq=False, repr=False)
    # The last transaction's risk, with the transaction, its facts and how many there were
    # (one slot of a list: the state is frozen, this is not): the facts hook assesses it, the
    # check reads it back (see assessed_risk).
    last: list[tuple[Any, Any, int, Assessed | None]] = attrs.field(
        factory=lambda: [(None, None, 0, None)], eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        required = {
            (field, level): Evidence(f"required_{field}", list(getattr(requirement, field)))
            for level, requirement in self.table.levels.items()
            for field in ("clauses", "post_export")
        }
        object.__setattr__(self, "required", required)
        object.__setattr__(
            self, "missing", {name: Evidence("missing", name) for name in self.table.safeguards}
        )


@hookimpl
def hrdd_plugin_info() -> PluginInfo:
    return PluginInfo(
        clauses=(BEFORE, AFTER, MONITORING, COMMENSURATE),
        rules=RULES,
        config_schema=CONFIG_SCHEMA,
        description="Computes the transaction's commensurate risk level and checks that the contract has "
        "the clauses and post-export measures it requires; stops continued supply to an end user with "
        "credible misuse reports.",
        publishes=(RISK_LEVEL,),
        reads=READS,
    )


@hookimpl
def hrdd_configure(config: Mapping[str, Any], policy_dir: Path) -> PluginSetup:
    import pycountry

    path = default_data_path() if config["data"] is None else policy_dir / config["data"]
    table = table_for(path)
    names = {c.alpha_2: getattr(c, "common_name", c.name) for c in pycountry.countries}
    state = State(table, names, frozenset(config["after_export_kinds"]))
    return PluginSetup(data=(table.dataset,), state=state)


@hookimpl
def hrdd_transaction_facts(transaction: Transaction, context: CheckContext) -> Mapping[str, Any]:
    return {RISK_LEVEL: assessed_risk(transaction, context).risk.level}


def _risk_key(transaction: Transaction, context: CheckContext) -> tuple[Any, ...] | None:
    """Everything :func:`assess_risk` weighs: the highest misuse potential of the profiled
    items and whether every item was profiled, and each fact's value with its type (so that
    ``True`` and ``1`` stay apart; for the sensitive events, the list's or tuple's type and
    each value's). None when a fact's value is not of a plain type.

    The usual facts (plain values, and a list of event names) take no Python-level loop."""
    profiles = context.profiles
    items = transaction.items
    potentials = [profiles[item.id].misuse_potential for item in items if item.id in profiles]
    facts = context.facts
    values = tuple(map(facts.get, _SCALAR_FACTS))
    kinds = tuple(map(type, values))
    if not _KEY_TYPES.issuperset(kinds):
        return None
    events: Any = facts.get(EVENTS)
    kind = type(events)
    if kind is list or kind is tuple:
        events = tuple(events)
        inner = tuple(map(type, events))
        if not _KEY_TYPES.issuperset(inner):
            return None
        events_key: tuple[Any, ...] = (kind, inner, events)
    elif kind in _KEY_TYPES:
        events_key = (kind, events)
    else:
        return None
    return (max(potentials) if potentials else None, len(potentials) < len(items), kinds, values, events_key)


def assessed_risk(transaction: Transaction, context: CheckContext) -> Assessed:
    """The transaction's risk (:func:`assess_risk`), assessed once per distinct key per engine:
    a customer's deals weigh the same facts.

    The facts hook asks first and the check asks again for the same transaction in the same
    assessment: the check gets the very answer the facts hook published the risk level of,
    unless a fact the risk reads was published in between (the engine only ever adds facts,
    never replaces one: the ones added since are the last in the mapping). ``reads`` orders the facts hooks so that
    none is, but that is checked, not assumed."""
    state: State = context.state
    facts = context.facts
    transaction_seen, facts_seen, count, found = state.last[0]
    if (
        found is not None
        and transaction_seen is transaction
        and facts_seen is facts
        and (count == len(facts) or _READS.isdisjoint(itertools.islice(facts, count, None)))
    ):
        return found
    key = _risk_key(transaction, context)
    found = None if key is None else state.risks.get(key)
    if found is None:
        risk = assess_risk(transaction, context, state.table)
        found = Assessed(risk, risk.evidence(), risk.summary())
        if key is not None:
            state.risks.keep(key, found)
    state.last[0] = (transaction, facts, len(facts), found)
    return found


# --------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------


def _who(transaction: Transaction, state: State) -> str:
    end_user = transaction.end_user
    country = state.country_names.get(end_user.country, end_user.country)
    return f"{end_user.name} ({country})"


@hookimpl
def hrdd_check_contract(
    transaction: Transaction, context: CheckContext
) -> tuple[Finding, ...] | list[Finding]:
    state: State = context.state
    # The same computation as the published fact, from the same (frozen) facts: the findings
    # can show how the level was reached, which the fact alone cannot.
    assessed = assessed_risk(transaction, context)
    risk = assessed.risk
    who = _who(transaction, state)
    contract = transaction.contract
    after = (
        _after_export(transaction, context, risk.level, who)
        if transaction.kind in state.after_export_kinds
        else None
    )
    if risk.invalid:
        # A fact outside the facts contract (a publisher's mistake): the error finding names
        # the facts' sources, which the key below does not hold. Built afresh; rare.
        head, tail = _safeguards(contract, assessed, who, state)
        return [_invalid_facts(risk, context), *head, *((after,) if after is not None else ()), *tail]

    # Everything the safeguard findings read: the contract's safeguards (in the order given:
    # the evidence quotes them so), the risk (Assessed, by identity: one per distinct risk) and
    # the end user's name and country. A customer's deals under its framework contract give
    # the same key, and the whole answer is returned again (a tuple: the engine reuses it).
    # Remembered from the second time the key comes (keep_recurring): deals whose contracts
    # never repeat (clauses listed in any order) then cost what they did before.
    key = (contract.clauses, contract.post_export, assessed, who)
    answer = state.answers.get(key)
    if answer is None:
        head, tail = _safeguards(contract, assessed, who, state)
        answer = state.answers.keep_recurring(key, (head + tail, head, tail))
    whole, head, tail = answer
    if after is None:
        return whole  # the usual case
    return [*head, after, *tail]  # the after-export finding comes before the pass (CON-005)


def _safeguards(
    contract: Contract, assessed: Assessed, who: str, state: State
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """The findings on the safeguards the risk requires: those on missing clauses and
    measures and on a critical risk, then (apart, as the after-export finding comes between)
    the pass when nothing is missing."""
    risk, shared, summary = assessed.risk, assessed.evidence, assessed.summary
    requirement = state.table.levels[risk.level]
    missing_clauses = [c for c in requirement.clauses if c not in contract.clauses]
    missing_measures = [m for m in requirement.post_export if m not in contract.post_export]
    severity = SEVERITY_FOR_LEVEL[risk.level]
    head: list[Finding] = []
    # One finding per missing safeguard: each is its own line in the report's required
    # safeguards (its remediation), to be ticked off on its own.
    if missing_clauses:
        head += _missing(
            "HRDD-CON-001", "clauses", contract.clauses, missing_clauses, state, assessed, who, severity
        )
    if missing_measures:
        # Post-export measures are few and a company's contracts repeat them, so these findings
        # recur even where the clauses do not (and the whole answer is not returned again):
        # they are built once per (measures agreed, risk, end user) and returned again.
        key = (contract.post_export, assessed, who)
        measures = state.measures.get(key)
        if measures is None:
            measures = state.measures.keep(
                key,
                _missing(
                    "HRDD-CON-002",
                    "post_export",
                    contract.post_export,
                    missing_measures,
                    state,
                    assessed,
                    who,
                    severity,
                ),
            )
        head += measures

    if risk.level == "critical":
        complete = not (missing_clauses or missing_measures)
        reads = (assessed, who, complete)  # everything _critical reads (assessed: by identity)
        critical = state.criticals.get(reads)
        if critical is None:
            critical = state.criticals.keep(reads, _critical(risk, shared, summary, who, complete))
        head.append(critical)

    if missing_clauses or missing_measures:
        return tuple(head), ()
    passed = Finding(
        rule_id="HRDD-CON-005",
        outcome=Outcome.PASS,
        severity=Severity.NONE,
        message=f"The contract with {who} has all {len(requirement.clauses)} clauses"
        + (f" and {len(requirement.post_export)} post-export measures" if requirement.post_export else "")
        + f" a {risk.level}-risk transaction requires ({summary}).",
        evidence=(
            Evidence("contract.clauses", list(contract.clauses)),
            Evidence("contract.post_export", list(contract.post_export)),
            Evidence("required_clauses", list(requirement.clauses)),
            Evidence("required_post_export", list(requirement.post_export)),
            *shared,
        ),
        guidance=(BEFORE, AFTER),
        subject="contract",
    )
    return tuple(head), (passed,)


def _missing(
    rule_id: str,
    field: str,
    present: tuple[str, ...],
    missing: list[str],
    state: State,
    assessed: Assessed,
    who: str,
    severity: Severity,
) -> tuple[Finding, ...]:
    """One finding per missing safeguard: each is its own line in the report's required
    safeguards (its remediation), to be ticked off on its own."""
    level, summary, shared = assessed.risk.level, assessed.summary, assessed.evidence
    # Evidence built once for these findings (they are immutable values).
    present_evidence = Evidence(f"contract.{field}", list(present))
    required_evidence = state.required[field, level]
    guidance = (BEFORE,) if field == "clauses" else (AFTER, MONITORING)
    findings = []
    for name in missing:
        safeguard = state.table.safeguards[name]
        message = (
            f"The contract with {who} has no {safeguard.label} ({name}), which a {level}-risk "
            f"transaction requires ({summary})."
            if field == "clauses"
            else f"No {safeguard.label} ({name}) is agreed for after delivery to {who}; a "
            f"{level}-risk transaction requires it ({summary})."
        )
        findings.append(
            Finding(
                rule_id=rule_id,
                outcome=Outcome.SAFEGUARDS_REQUIRED,
                severity=severity,
                message=message,
                evidence=(present_evidence, state.missing[name], required_evidence, *shared),
                guidance=guidance,
                remediation=safeguard.remediation,
                subject=f"contract.{field}",
            )
        )
    return tuple(findings)


def _critical(risk: Risk, shared: tuple[Evidence, ...], summary: str, who: str, complete: bool) -> Finding:
    unknown = (
        f" Unknown facts counted toward it: {', '.join(risk.unknown)}; establishing them may lower it."
        if risk.unknown
        else ""
    )
    return Finding(
        rule_id="HRDD-CON-004",
        outcome=Outcome.ESCALATE,
        severity=Severity.CRITICAL,
        message=f"The risk of this transaction with {who} is critical ({summary}): "
        + (
            "even with every safeguard of the table in the contract, "
            if complete
            else "beyond the safeguards still missing, "
        )
        + "contractual and procedural safeguards cannot bring a risk this grave to an acceptable level "
        "on their own; the deal needs review by senior management before export." + unknown,
        evidence=shared,
        guidance=(COMMENSURATE, BEFORE),
        remediation="Have senior management review the deal against the end user's record, the destination's "
        "laws and the item's capabilities; reduce the risk itself (a less capable configuration, a different "
        "end user or end use) rather than adding clauses.",
        subject="transaction",
    )


def _credible_reports(transaction: Transaction) -> dict[str, Any]:
    return {
        f"end_user.misuse_reports[{index}]": {
            "summary": report.summary,
            "source": report.source,
            "date": report.date.isoformat() if report.date else None,
            "credible": report.credible,
        }
        for index, report in enumerate(transaction.end_user.misuse_reports)
        if report.credible is True
    }


def _after_export(transaction: Transaction, context: CheckContext, level: str, who: str) -> Finding | None:
    """Consideration 7: supply that continues an export (renewal, support, update, service)
    to an end user credibly reported to misuse surveillance tools is to be suspended."""
    kind = transaction.kind
    fact = context.fact("end_user.credible_misuse")
    misuse_reports = transaction.end_user.misuse_reports
    if fact is not True and (not misuse_reports or all(r.credible is False for r in misuse_reports)):
        return None  # nothing credible and nothing unassessed: no finding (the usual case)
    reports = _credible_reports(transaction)
    if not (fact is True or reports) and all(r.credible is not None for r in misuse_reports):
        return None  # the same, for credibility values the schema does not allow (built in code)
    clauses = transaction.contract.clauses
    evidence: dict[str, Any] = {
        "kind": kind,
        "end_user.credible_misuse": fact,
        "end_user.credible_misuse.source": context.fact_source("end_user.credible_misuse"),
        "contract.clauses": list(clauses),
        **reports,
        "transaction.risk_level": level,
    }
    if fact is True or reports:
        basis = (
            f"{len(reports)} report(s) in the transaction marked credible"
            if reports
            else f"end_user.credible_misuse from {context.fact_source('end_user.credible_misuse')}"
        )
        if "suspend_and_terminate" in clauses:
            audit = (
                "exercise the audit rights to establish how the item has been used"
                if "audit_rights" in clauses
                else "the contract has no audit rights, so make access to the item's logs a condition of "
                "any resumption"
            )
            remediation = (
                f"Do not deliver this {kind}. Invoke the suspend-and-terminate clause now: cut off access, updates, "
                f"training and services; {audit}; terminate if misuse is confirmed."
            )
        else:
            remediation = (
                f"Do not deliver this {kind}. The contract gives the exporter no contractual lever to suspend or "
                "terminate: escalate the relationship to senior management, stop all voluntary support, and make "
                "suspension and termination rights a condition of any further dealing."
            )
        return Finding(
            rule_id="HRDD-CON-003",
            outcome=Outcome.DO_NOT_PROCEED,
            severity=Severity.CRITICAL,
            message=f"This {kind} continues supplying {who}, an end user with credible reports of misusing "
            f"surveillance tools ({basis}). After export the guidance asks exporters to mitigate through their "
            "contractual and procedural safeguards: renewals, support, updates and services for this end user "
            "are to be suspended, using the contract's audit and termination rights.",
            evidence=evidence,
            guidance=(AFTER, MONITORING),
            remediation=remediation,
            subject="end_user",
        )
    unassessed = [
        index for index, report in enumerate(transaction.end_user.misuse_reports) if report.credible is None
    ]
    if unassessed:
        evidence.update({f"end_user.misuse_reports[{index}].credible": None for index in unassessed})
        return Finding(
            rule_id="HRDD-CON-006",
            outcome=Outcome.ESCALATE,
            severity=Severity.HIGH,
            message=f"This {kind} continues supplying {who}, and {len(unassessed)} misuse report(s) about the end "
            "user have not been assessed for credibility: after export, supply to an end user credibly reported "
            "to misuse surveillance tools is to be suspended, so an unassessed report cannot be read as clear.",
            evidence=evidence,
            guidance=(AFTER, MONITORING),
            remediation="Assess each report's credibility (source, corroboration, the end user's answer) before "
            f"delivering this {kind}; if any is credible, suspend under the contract's termination rights.",
            subject="end_user",
        )
    return None


def _invalid_facts(risk: Risk, context: CheckContext) -> Finding:
    published = ", ".join(
        f"{fact} = {value!r} (from {context.fact_source(fact)})" for fact, value in risk.invalid.items()
    )
    return Finding(
        rule_id="HRDD-CON-007",
        outcome=Outcome.ERROR,
        severity=Severity.HIGH,
        message=f"Facts the risk level weighs have values outside the facts contract: {published}. They were "
        "weighed as unknown, so the risk level and the safeguards it requires cannot be trusted.",
        evidence=risk.evidence(),
        guidance=(COMMENSURATE,),
        remediation="Fix the plugin that publishes the fact (see docs/hooks.md for the allowed values) and "
        "assess again.",
        subject="transaction",
    )
