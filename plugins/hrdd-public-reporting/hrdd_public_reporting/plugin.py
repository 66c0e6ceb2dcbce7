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
from collections.abc import Mapping
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
    RuleInfo,
    Severity,
    Transaction,
    hookimpl,
)
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


@attrs.frozen
class State:
    regions: RegionTable
    required_at: frozenset[str]
    required_for_every_end_user_at: frozenset[str]
    region_level: str
    max_age_days: int
    country_names: Mapping[str, str]
    # (risk level, government link) -> what _need says of them, for fact values of plain types.
    needs: dict[tuple[Any, Any], tuple[str, str]] = attrs.field(
        init=False, factory=dict, eq=False, repr=False
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
        reads=("transaction.risk_level", "end_user.government_linked"),
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
            if len(state.needs) >= 64:  # a handful in practice; bounded against odd publishers
                state.needs.clear()
            found = state.needs[risk, linked] = _needed(risk, linked, state)
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


def _quarter(date: _dt.date | None) -> tuple[int | None, str | None]:
    if date is None:
        return None, None
    return date.year, f"Q{(date.month - 1) // 3 + 1}"


def _entry(transaction: Transaction, state: State, region: Any) -> dict[str, Any]:
    """The redacted entry: closed vocabularies only (no name, id, free text, amount)."""
    year, quarter = _quarter(transaction.date)
    contract = transaction.contract
    categories = {category for item in transaction.items for category in item.categories}
    return {
        "destination_region": getattr(region, state.region_level) if region is not None else None,
        "item_categories": sorted(categories),
        "end_user_sector": transaction.end_user.sector,
        "end_user_type": transaction.end_user.type or "unknown",
        "safeguards_applied": {
            "contract_clauses": [c for c in CONTRACT_CLAUSES if c in contract.clauses],
            "post_export": [m for m in POST_EXPORT_MEASURES if m in contract.post_export],
        },
        "year": year,
        "quarter": quarter,
    }


@hookimpl
def hrdd_check_contract(transaction: Transaction, context: CheckContext) -> list[Finding]:
    state: State = context.state
    end_user = transaction.end_user
    findings: list[Finding] = []
    region = state.regions.countries.get(end_user.country)
    if region is None:
        findings.append(
            Finding(
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
        )

    reference = transaction.date or context.as_of
    age = (reference - state.regions.as_of).days
    if age > state.max_age_days:
        findings.append(
            Finding(
                rule_id="HRDD-PUB-006",
                outcome=Outcome.INFO,
                severity=Severity.LOW,
                message=f"Country data is {age} days old: the region table {state.regions.dataset.name} reflects "
                f"{state.regions.as_of.isoformat()}, more than {state.max_age_days} days before "
                f"{'the transaction date' if transaction.date else 'today'}.",
                evidence={
                    "data": state.regions.dataset.name,
                    "data.as_of": state.regions.as_of.isoformat(),
                    "reference_date": reference.isoformat(),
                    "age_days": age,
                    "max_age_days": state.max_age_days,
                },
                guidance=(REPORT,),
                remediation="Check the region table against the current M49 standard and update its as_of date.",
            )
        )

    risk = context.fact("transaction.risk_level")
    linked = context.fact("end_user.government_linked")
    need, why = _need(risk, linked, state)
    committed = CLAUSE in transaction.contract.clauses
    evidence = {
        "contract.clauses": list(transaction.contract.clauses),
        "transaction.risk_level": risk,
        "transaction.risk_level.source": context.fact_source("transaction.risk_level"),
        "end_user.government_linked": linked,
        "end_user.government_linked.source": context.fact_source("end_user.government_linked"),
        "need": need,
    }
    who = f"{end_user.name} ({state.country_names.get(end_user.country, end_user.country)})"
    if need == "required" and not committed:
        findings.append(
            Finding(
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
        )
    elif need == "recommended" and not committed:
        findings.append(
            Finding(
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
        )
    elif need == "required":
        findings.append(
            Finding(
                rule_id="HRDD-PUB-003",
                outcome=Outcome.PASS,
                severity=Severity.NONE,
                message=f"The contract with {who} commits to public reporting, which this transaction needs ({why}).",
                evidence=evidence,
                guidance=(REPORT, COMMUNICATION),
                subject="contract.clauses",
            )
        )

    entry = _entry(transaction, state, region)
    findings.append(
        Finding(
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
    )
    return findings


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
    for finding in (*assessment.findings, *assessment.waived):
        if finding.rule_id == ENTRY_RULE:
            entry = {
                e.path.removeprefix(ENTRY_PREFIX): e.value
                for e in finding.evidence
                if e.path.startswith(ENTRY_PREFIX)
            }
            return {"decision": assessment.decision.value, **entry}
    raise MissingEntryError(
        f"the assessment has no {ENTRY_RULE} finding: the public-reporting check did not run or failed, so "
        "the transaction's public report entry is missing"
    )
