"""hrdd-public-reporting: a public-reporting commitment where the risk calls for one, and the
transaction's redacted entry for the exporter's public transparency report.

Covers the Draft Guidance's consideration 8 (publicly report on the export transaction, e.g.
in annual reports or on websites) and the fourth characteristic of due diligence (dd-4:
public communication of the exporter's commitment and of the steps it takes).

The entry reaches aggregate reports in two steps, so that no personal data ever has to be
removed later: the check builds it from closed vocabularies only (region, categories,
sector, type, safeguard names, year and quarter) and records it as the evidence of an
``info`` finding (HRDD-PUB-004); ``hrdd_report_contribution`` reads that finding back and
adds the decision, which is only known once every check has run.
"""

from __future__ import annotations

import datetime as _dt
import functools
import itertools
import operator
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from hrdd import (
    CONTRACT_CLAUSES,
    POST_EXPORT_MEASURES,
    Assessment,
    CheckContext,
    Finding,
    Outcome,
    PluginInfo,
    PluginSetup,
    Reference,
    RuleInfo,
    Severity,
    Transaction,
    hookimpl,
)
from hrdd.memory import Memory
from hrdd.model import Contract, EndUser
from hrdd_public_reporting.regions import RegionTable, default_data_path, regions_for

REPORT = "draft-2019:consideration-8"
COMMUNICATION = "draft-2019:dd-4"
COMMENSURATE = "draft-2019:dd-1"

RULES = (
    RuleInfo(
        "HRDD-PUB-001",
        "No public-reporting commitment for a transaction that needs one",
        (REPORT, COMMUNICATION),
    ),
    RuleInfo(
        "HRDD-PUB-002", "Public-reporting commitment recommended (not required at this risk level)", (REPORT,)
    ),
    RuleInfo(
        "HRDD-PUB-003", "Public-reporting commitment in place where one is needed", (REPORT, COMMUNICATION)
    ),
    RuleInfo(
        "HRDD-PUB-004", "The transaction's redacted entry for the public transparency report", (REPORT,)
    ),
    RuleInfo("HRDD-PUB-005", "Destination country not in the region data", (REPORT,)),
    RuleInfo("HRDD-PUB-006", "Region data is older than the configured maximum age", (REPORT,)),
)
ENTRY_RULE = "HRDD-PUB-004"
ENTRY_PREFIX = "public_report."
_PREFIX_LENGTH = len(ENTRY_PREFIX)

RISK_LEVELS = ("low", "medium", "high", "critical")
CONFIG_SCHEMA: dict[str, Any] = {
    "data": {"type": "string", "nullable": True, "default": None, "empty": False, "meta": {"path": True}},
    # Risk levels at which a government-linked end user (or one not known not to be) needs a
    # public-reporting commitment; an unknown risk level always counts as needing one.
    "required_at": {
        "type": "list",
        "schema": {"type": "string", "allowed": list(RISK_LEVELS)},
        "default": ["high", "critical"],
    },
    # Risk levels at which every end user, government-linked or not, needs one.
    "required_for_every_end_user_at": {
        "type": "list",
        "schema": {"type": "string", "allowed": list(RISK_LEVELS)},
        "default": ["critical"],
    },
    # How precisely the public entry names the destination: the M49 region ("Asia") or its
    # sub-region ("Western Asia"). Some sub-regions have few countries: region is the default.
    "region_level": {"type": "string", "allowed": ["region", "sub_region"], "default": "region"},
    "max_age_days": {"type": "integer", "min": 1, "default": 400},
}
CLAUSE = "public_reporting"
RISK_LEVEL = "transaction.risk_level"
GOVERNMENT_LINKED = "end_user.government_linked"

# How many findings and answers an engine remembers. An entry differs by region, product
# mix, end-user sector and type, contract and quarter, and a commitment finding by end user,
# contract and facts: an order book of a realistic size (some 1,500 customers with contracts
# of their own, a hundred product models, deals over most of a year) has some 3,600 entries
# and 2,000 commitments that recur over 30,000 deals (and three or four times as many that
# never do, which keep_recurring leaves out), the few large customers' most often. The
# memories hold about half of that, the most recently built (see hrdd.memory): holding all of
# it cost more memory over a batch of 100,000 deals than it saved time.
MEMORY_SIZE = 2048


@attrs.frozen
class State:
    regions: RegionTable
    required_at: frozenset[str]
    required_for_every_end_user_at: frozenset[str]
    region_level: str
    max_age_days: int
    country_names: Mapping[str, str]
    # (risk level, government link) -> what _need says of them, for fact values of plain
    # types: a handful in practice (the bound is against odd publishers).
    needs: Memory[tuple[Any, Any], tuple[str, str]] = attrs.field(
        init=False, factory=lambda: Memory(64), eq=False, repr=False
    )
    # The findings, each keyed by everything its builder reads (see hrdd_check_contract), and
    # the whole answers made of remembered findings, keyed by the findings' ids.
    unknown_countries: Memory[tuple[str, str], Finding] = attrs.field(
        init=False, factory=Memory, eq=False, repr=False
    )
    stale_data: Memory[Reference, Finding] = attrs.field(init=False, factory=Memory, eq=False, repr=False)
    commitments: Memory[tuple[Any, ...], Finding] = attrs.field(
        init=False, factory=lambda: Memory(MEMORY_SIZE), eq=False, repr=False
    )
    entries: Memory[tuple[Any, ...], Finding] = attrs.field(
        init=False, factory=lambda: Memory(MEMORY_SIZE), eq=False, repr=False
    )
    answers: Memory[tuple[int, ...], tuple[Finding, ...]] = attrs.field(
        init=False, factory=lambda: Memory(MEMORY_SIZE), eq=False, repr=False
    )


@hookimpl
def hrdd_plugin_info() -> PluginInfo:
    return PluginInfo(
        clauses=(REPORT, COMMUNICATION),
        rules=RULES,
        config_schema=CONFIG_SCHEMA,
        description="Asks for a public-reporting commitment where the transaction's risk calls for one and "
        "contributes the transaction's redacted entry to the public transparency report.",
        # Read by the check (not by a facts hook): listed so the dependency is documented.
        reads=(RISK_LEVEL, GOVERNMENT_LINKED),
    )


@hookimpl
def hrdd_configure(config: Mapping[str, Any], policy_dir: Path) -> PluginSetup:
    import pycountry

    path = default_data_path() if config["data"] is None else policy_dir / config["data"]
    regions = regions_for(path)
    state = State(
        regions,
        frozenset(config["required_at"]),
        frozenset(config["required_for_every_end_user_at"]),
        config["region_level"],
        config["max_age_days"],
        {c.alpha_2: getattr(c, "common_name", c.name) for c in pycountry.countries},
    )
    return PluginSetup(data=(regions.dataset,), state=state)


# --------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------


def _need(risk: Any, linked: Any, state: State) -> tuple[str, str]:
    """Whether the transaction needs a public-reporting commitment ("required",
    "recommended" or "not_needed") and why, in words for the message. Worked out once per
    engine for each pair of plain values (a level or None, a bool or None: the usual facts)."""
    if type(risk) in _PLAIN_RISK and type(linked) in _PLAIN_LINK:
        found = state.needs.get((risk, linked))
        if found is None:
            found = state.needs.keep((risk, linked), _needed(risk, linked, state))
        return found
    return _needed(risk, linked, state)


_PLAIN_RISK = frozenset({str, type(None)})
_PLAIN_LINK = frozenset({bool, type(None)})


def _needed(risk: Any, linked: Any, state: State) -> tuple[str, str]:
    level = risk if risk in RISK_LEVELS else None
    linked = linked if isinstance(linked, bool) else None  # a value outside the contract is unknown
    if level is not None:
        risk_words = f"risk level {level}"
    elif risk is None:
        risk_words = "risk level unknown"
    else:
        risk_words = f"risk level invalid ({risk!r}), counted as unknown"
    linked_words = {
        True: "government-linked end user",
        False: "end user not linked to a government",
    }.get(linked, "end user's government link unknown")
    why = f"{risk_words}; {linked_words}"
    if level in state.required_for_every_end_user_at:
        return "required", why
    if linked is False:
        return "not_needed", why
    if level is None or level in state.required_at:
        return "required", why
    return "recommended", why


@functools.lru_cache(maxsize=256)  # a pure function of the date: deals share a few dates
def _quarter(date: _dt.date | None) -> tuple[int | None, str | None]:
    if date is None:
        return None, None
    return date.year, f"Q{(date.month - 1) // 3 + 1}"


# What a public report entry is made of (and remembered by): the destination's region (or
# sub-region, as configured; None for a country not in the region data), the items'
# categories, the end user's sector and type, the contract's clauses and post-export
# measures, and the year and quarter.
EntryInputs = tuple[
    str | None,
    frozenset[str],
    str | None,
    str | None,
    frozenset[str],
    frozenset[str],
    tuple[int | None, str | None],
]


def _entry_inputs(transaction: Transaction, place: str | None) -> EntryInputs:
    """Everything the entry reads, as sets where the entry does not keep the order (it sorts
    the categories and lists safeguards in the vocabularies' order; the sets also make its
    lists quicker to build). The destination is its region, not its country: the entry never
    names the country, and the deals to the countries of one region share their entries (an
    order book's dozens of destinations are a handful of regions)."""
    end_user, contract = transaction.end_user, transaction.contract
    return (
        place,
        frozenset(_chain(map(_CATEGORIES, transaction.items))),
        end_user.sector,
        end_user.type,
        frozenset(contract.clauses),
        frozenset(contract.post_export),
        _quarter(transaction.date),
    )


_CATEGORIES = operator.attrgetter("categories")
_chain = itertools.chain.from_iterable


def _entry(inputs: EntryInputs) -> dict[str, Any]:
    """The redacted entry: closed vocabularies only (no name, id, free text, amount)."""
    place, categories, sector, end_user_type, clauses, measures, (year, quarter) = inputs
    return {
        "destination_region": place,
        "item_categories": sorted(categories),
        "end_user_sector": sector,
        "end_user_type": end_user_type or "unknown",
        "safeguards_applied": {
            "contract_clauses": [c for c in CONTRACT_CLAUSES if c in clauses],
            "post_export": [m for m in POST_EXPORT_MEASURES if m in measures],
        },
        "year": year,
        "quarter": quarter,
    }


def _recall(
    memory: Memory[Any, Finding], key: Any, build: Callable[..., Finding], *args: Any
) -> tuple[Finding, bool]:
    """The finding ``build(*args)`` makes, remembered under ``key`` (which holds everything
    the builder reads) from the second time the key comes (keep_recurring: deals whose
    findings never recur, every product mix, contract and customer new, then cost what they
    did before), and whether it was remembered before this deal."""
    found = memory.get(key)
    if found is not None:
        return found, True
    return memory.keep_recurring(key, build(*args)), False


@hookimpl
def hrdd_check_contract(
    transaction: Transaction, context: CheckContext
) -> tuple[Finding, ...] | list[Finding]:
    state: State = context.state
    end_user = transaction.end_user
    contract = transaction.contract
    findings: list[Finding] = []
    kept = True  # whether every finding was remembered before (then the answer can be too)
    region = state.regions.countries.get(end_user.country)
    if region is None:
        finding, remembered = _recall(
            state.unknown_countries, (end_user.name, end_user.country), _unknown_country, end_user, state
        )
        findings.append(finding)
        kept = kept and remembered

    reference = context.reference(transaction)
    age = reference.days_since(state.regions.as_of)
    if age > state.max_age_days:
        # Measured against the transaction's date, or (undated) the assessment's: the message
        # says which.
        finding, remembered = _recall(state.stale_data, reference, _stale_data, reference, age, state)
        findings.append(finding)
        kept = kept and remembered

    risk = context.fact(RISK_LEVEL)
    linked = context.fact(GOVERNMENT_LINKED)
    need, why = _need(risk, linked, state)
    committed = CLAUSE in contract.clauses
    if need == "required" or (need == "recommended" and not committed):
        sources = (context.fact_source(RISK_LEVEL), context.fact_source(GOVERNMENT_LINKED))
        arguments = (contract, risk, linked, sources, need, why, committed, end_user, state)
        if type(risk) in _PLAIN_RISK and type(linked) in _PLAIN_LINK:
            # Plain values: equal ones are quoted alike in the evidence (need and why follow
            # from them and the configuration).
            reads = (contract.clauses, risk, linked, sources, end_user.name, end_user.country)
            finding, remembered = _recall(state.commitments, reads, _commitment, *arguments)
        else:
            finding, remembered = _commitment(*arguments), False
        findings.append(finding)
        kept = kept and remembered

    # The entry is remembered by everything it reads.
    inputs = _entry_inputs(transaction, getattr(region, state.region_level) if region is not None else None)
    finding, remembered = _recall(state.entries, inputs, _entry_finding, inputs)
    findings.append(finding)
    if not (kept and remembered):
        return findings
    # Every finding is one a memory kept, so the same findings in the same order make the same
    # answer: remembered as a tuple, which the engine reuses whole. Keyed by the findings' ids:
    # the answer holds its findings, so while it is remembered no other object has their ids.
    ids = tuple(map(id, findings))
    answer = state.answers.get(ids)
    if answer is None:
        answer = state.answers.keep(ids, tuple(findings))
    return answer


def _unknown_country(end_user: EndUser, state: State) -> Finding:
    return Finding(
        rule_id="HRDD-PUB-005",
        outcome=Outcome.ERROR,
        severity=Severity.MEDIUM,
        message=f"The destination country {end_user.country!r} of {end_user.name} is not in the region data "
        f"({state.regions.dataset.name} {state.regions.dataset.version}): the transaction's public report "
        "entry cannot say where it went.",
        evidence={"end_user.country": end_user.country, "data": state.regions.dataset.name},
        guidance=(REPORT,),
        remediation="Add the country to the region data (or correct the transaction's country code) and "
        "assess again.",
        subject="end_user.country",
    )


def _stale_data(reference: Reference, age: int, state: State) -> Finding:
    return Finding(
        rule_id="HRDD-PUB-006",
        outcome=Outcome.INFO,
        severity=Severity.LOW,
        message=f"Country data is {age} days old: the region table {state.regions.dataset.name} reflects "
        f"{state.regions.as_of.isoformat()}, more than {state.max_age_days} days before "
        f"{reference.against(with_date=False)}.",
        evidence={
            "data": state.regions.dataset.name,
            "data.as_of": state.regions.as_of.isoformat(),
            "reference_date": reference.date.isoformat(),
            "age_days": age,
            "max_age_days": state.max_age_days,
        },
        guidance=(REPORT,),
        remediation="Check the region table against the current M49 standard and update its as_of date.",
    )


def _commitment(
    contract: Contract,
    risk: Any,
    linked: Any,
    sources: tuple[str | None, str | None],
    need: str,
    why: str,
    committed: bool,
    end_user: EndUser,
    state: State,
) -> Finding:
    """HRDD-PUB-001, 002 or 003: a commitment missing where one is required or recommended,
    or in place where one is required."""
    who = f"{end_user.name} ({state.country_names.get(end_user.country, end_user.country)})"
    evidence = {
        "contract.clauses": list(contract.clauses),
        "transaction.risk_level": risk,
        "transaction.risk_level.source": sources[0],
        "end_user.government_linked": linked,
        "end_user.government_linked.source": sources[1],
        "need": need,
    }
    if need == "required" and not committed:
        return Finding(
            rule_id="HRDD-PUB-001",
            outcome=Outcome.SAFEGUARDS_REQUIRED,
            severity=Severity.HIGH if risk == "critical" else Severity.MEDIUM,
            message=f"The contract with {who} has no public-reporting commitment, and this transaction needs "
            f"one ({why}): the guidance asks exporters to report publicly on their export transactions, and a "
            "commitment in the contract lets the exporter do so.",
            evidence=evidence,
            guidance=(REPORT, COMMUNICATION),
            remediation="Add a public-reporting clause: the customer accepts that the exporter publishes the "
            "transaction in its transparency report (region, item categories, end-user sector and type, "
            "safeguards applied, quarter), without the customer's name.",
            subject="contract.clauses",
        )
    if need == "recommended":  # and not committed (see the caller)
        return Finding(
            rule_id="HRDD-PUB-002",
            outcome=Outcome.INFO,
            severity=Severity.LOW,
            message=f"A public-reporting commitment is recommended for the contract with {who} ({why}), "
            "though not required at this risk level.",
            evidence=evidence,
            guidance=(REPORT,),
            remediation="Consider adding a public-reporting clause, so the transaction can appear in the "
            "transparency report without renegotiation.",
            subject="contract.clauses",
        )
    return Finding(
        rule_id="HRDD-PUB-003",
        outcome=Outcome.PASS,
        severity=Severity.NONE,
        message=f"The contract with {who} commits to public reporting, which this transaction needs ({why}).",
        evidence=evidence,
        guidance=(REPORT, COMMUNICATION),
        subject="contract.clauses",
    )


def _entry_finding(inputs: EntryInputs) -> Finding:
    entry = _entry(inputs)
    return Finding(
        rule_id=ENTRY_RULE,
        outcome=Outcome.INFO,
        severity=Severity.NONE,
        message="Public report entry (redacted: region, item categories, end-user sector and type, safeguards "
        "applied, year and quarter; no names, ids, free text or amounts): "
        f"{entry['destination_region'] or 'unknown region'}, {', '.join(entry['item_categories']) or 'no category'}, "
        f"{entry['end_user_sector'] or 'sector not stated'} {entry['end_user_type']}, "
        f"{entry['quarter'] or 'undated'} {entry['year'] or ''}".rstrip(),
        evidence={ENTRY_PREFIX + key: value for key, value in entry.items()},
        guidance=(REPORT,),
        subject="transaction",
    )


# --------------------------------------------------------------------------------------
# The contribution to the public transparency report
# --------------------------------------------------------------------------------------


class MissingEntryError(LookupError):
    """The assessment has no public report entry (the check did not run or failed)."""


@hookimpl
def hrdd_report_contribution(assessment: Assessment) -> Mapping[str, Any]:
    """The transaction's entry: the redacted fields the check recorded, and the decision.

    :raises MissingEntryError: the assessment carries no entry; the aggregate report then
        names this plugin among its errors rather than silently leaving the transaction out.
    """
    # Called for every assessment: a plain scan, the reported findings then the waived ones,
    # each from the end. An assessment has one entry at most (the check runs once per deal),
    # and the ranking puts an info finding of no severity among the last reported, behind
    # some thirty others in a typical deal.
    for findings in (assessment.findings, assessment.waived):
        for finding in reversed(findings):
            if finding.rule_id == ENTRY_RULE:
                contribution = {"decision": assessment.decision.value}
                for path, value in finding.evidence:
                    if path.startswith(ENTRY_PREFIX):
                        contribution[path[_PREFIX_LENGTH:]] = value
                return contribution
    raise MissingEntryError(
        f"the assessment has no {ENTRY_RULE} finding: the public-reporting check did not run or failed, so "
        "the transaction's public report entry is missing"
    )
