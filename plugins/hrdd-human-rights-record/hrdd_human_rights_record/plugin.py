"""hrdd-human-rights-record: the human-rights record of the destination and of the end user.

Covers the Draft Guidance's consideration 3 (review the human rights record of the
government agency end user and of the country intended to receive the export) and its
first characteristic of due diligence (dd-1: assess and address risk commensurate with its
severity and likelihood): the destination's record (Freedom House status and the
project's risk tier), credible reports that the end user misused surveillance tools, the
end user's function, and timing (elections, protests, shutdowns, emergencies, conflict),
each weighed against what the items can do (their misuse potential).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from hrdd import (
    CONTEXT_EVENTS,
    CheckContext,
    DataSet,
    Finding,
    Outcome,
    PluginInfo,
    PluginSetup,
    PolicyError,
    Problem,
    Reference,
    RuleInfo,
    Severity,
    Transaction,
    hookimpl,
    load_data_file,
)
from hrdd.memory import Memory
from hrdd_human_rights_record.countries import (
    TIER_RANK,
    CountryData,
    CountryRecord,
    countries_for,
    default_data_path,
)

RECORD = "draft-2019:consideration-3"
COMMENSURATE = "draft-2019:dd-1"
CLAUSES = (RECORD, COMMENSURATE)
SANCTIONS = "draft-2019:trend-sanctions"

RULES = (
    RuleInfo("HRDD-HR-001", "Credible reports that the end user misused surveillance tools", CLAUSES),
    RuleInfo(
        "HRDD-HR-002", "A misuse report about the end user has not been assessed for credibility", CLAUSES
    ),
    RuleInfo(
        "HRDD-HR-003",
        "Government-linked end user in a very-high-risk destination (documented surveillance abuses)",
        CLAUSES,
    ),
    RuleInfo("HRDD-HR-004", "Government-linked end user in a high-risk destination", CLAUSES),
    RuleInfo(
        "HRDD-HR-005",
        "Government-linked end user with a sensitive function in a moderate-risk destination",
        CLAUSES,
    ),
    RuleInfo("HRDD-HR-006", "Non-government end user in a high or very-high-risk destination", CLAUSES),
    RuleInfo(
        "HRDD-HR-007",
        "Sale to a government-linked end user around elections, protests, shutdowns, emergencies or armed conflict",
        CLAUSES,
    ),
    RuleInfo(
        "HRDD-HR-008",
        "Another end user is in a destination with a worse record than the stated end user's",
        CLAUSES,
    ),
    RuleInfo("HRDD-HR-009", "The end user's function (sector) is not stated", CLAUSES),
    RuleInfo("HRDD-HR-010", "Human-rights record reviewed (negative assurance)", CLAUSES),
    RuleInfo("HRDD-HR-011", "The country data is older than the policy's max_age_days", (RECORD,)),
    RuleInfo("HRDD-HR-012", "A country the country data does not know (fail closed)", (RECORD,)),
    RuleInfo(
        "HRDD-HR-013",
        "Destination exposed to secondary sanctions (a country programme or high-risk region the guidance names)",
        (SANCTIONS, RECORD),
    ),
)

CONFIG_SCHEMA: dict[str, Any] = {
    "data": {"type": "string", "nullable": True, "default": None, "empty": False, "meta": {"path": True}},
    "sanctions_exposure": {
        "type": "string",
        "nullable": True,
        "default": None,
        "empty": False,
        "meta": {"path": True},
    },
    "max_age_days": {"type": "integer", "min": 1, "default": 400},
    "block_credible_misuse_at": {"type": "integer", "min": 1, "max": 5, "default": 4},
    "block_very_high_at": {"type": "integer", "min": 1, "max": 5, "default": 5},
    "block_very_high_security_at": {"type": "integer", "min": 1, "max": 5, "default": 4},
    "escalate_very_high_at": {"type": "integer", "min": 1, "max": 5, "default": 3},
    "escalate_timing_at": {"type": "integer", "min": 1, "max": 5, "default": 3},
}

PUBLISHES = (
    "destination.risk_tier",
    "destination.freedom_status",
    "end_user.credible_misuse",
    "end_user.sensitive_function",
    "context.sensitive_events",
)

GOVERNMENT_TYPES = frozenset({"government_agency", "state_owned_enterprise", "private_close_to_government"})
CLOSE_RELATIONSHIPS = frozenset({"contractor", "partially_owned", "state_controlled"})
# Functions whose misuse of surveillance weighs most: they hold coercive power over people.
SENSITIVE_SECTORS = frozenset(
    {"intelligence", "public_security", "law_enforcement", "prisons", "border_control", "military"}
)
# The agencies that in most documented abuse cases do the surveilling of journalists,
# defenders, opposition and minorities.
SECURITY_SECTORS = frozenset({"intelligence", "public_security"})
RISK_EVENTS = frozenset(CONTEXT_EVENTS)
EVENT_LABELS = {
    "election_period": "an election period",
    "mass_protests": "mass protests",
    "state_of_emergency": "a state of emergency",
    "internet_shutdown": "an internet shutdown",
    "armed_conflict": "armed conflict",
}
TARGET_WORDS = (
    ("journalists", r"journalist|reporter|media worker|blogger"),
    ("human-rights defenders", r"human[- ]rights defender|activist"),
    ("lawyers", r"lawyer|attorney|advocate"),
    ("opposition", r"opposition|dissident|critic"),
    ("minorities", r"minorit|ethnic|religious|uyghur|uighur|kurd|rohingya"),
    ("protesters", r"protest"),
)
_TARGETS = tuple((label, re.compile(pattern)) for label, pattern in TARGET_WORDS)
ACTION = frozenset({Outcome.SAFEGUARDS_REQUIRED, Outcome.ESCALATE, Outcome.DO_NOT_PROCEED, Outcome.ERROR})

CONTRACT_SAFEGUARDS = (
    "an end-use certificate, a use limitation excluding surveillance of journalists, human-rights "
    "defenders, lawyers, opposition, minorities and peaceful protest, audit rights, and the right to "
    "suspend and terminate on evidence of misuse, with post-export monitoring"
)


@hookimpl
def hrdd_plugin_info() -> PluginInfo:
    return PluginInfo(
        clauses=(*CLAUSES, SANCTIONS),
        rules=RULES,
        config_schema=CONFIG_SCHEMA,
        description="Weighs the destination's human-rights record (Freedom House status and a risk tier), "
        "credible misuse reports against the end user, its function and the timing of the sale against "
        "the items' misuse potential.",
        publishes=PUBLISHES,
    )


# How many values each memory of an engine holds (see hrdd_check_end_user): safety bounds,
# sized for an order book of 1,500 customers buying a hundred product models in 49
# destinations over a year: 30,000 such deals make 17,500 distinct reviews (one per customer
# and highest-potential model, mostly), 8,300 destination-days with data past its age and 700
# exposed customers' notices. A memory that fills forgets its older half (see hrdd.memory).
# Holding the whole working set (32,768 reviews, 16,384 ages) took about 140 MiB more than
# 1,024 each after 30,000 deals; these sizes keep the recent and recurring part of it.
REVIEWS_SIZE = 8192
AGES_SIZE = 4096
EXPOSURES_SIZE = 1024


@hookimpl
@attrs.frozen
class State:
    """What the checks read: the country records and the sanctions-exposed destinations, and
    the findings already made (per engine: see hrdd_check_end_user), each remembered by what
    it reads: ``reviews`` the end user's review, ``exposures`` its HRDD-HR-013 (which does
    not name the item), ``ages`` the destination data's HRDD-HR-011 per destination and
    reference day. One per engine, made by hrdd_configure from the engine's config: the config
    is no part of any key."""

    countries: CountryData
    exposure: Mapping[str, str]
    reviews: Memory[tuple[Any, ...], tuple[Finding, ...]] = attrs.field(
        factory=lambda: Memory(REVIEWS_SIZE), eq=False, repr=False
    )
    exposures: Memory[tuple[Any, ...], Finding] = attrs.field(
        factory=lambda: Memory(EXPOSURES_SIZE), eq=False, repr=False
    )
    ages: Memory[tuple[str, Reference], Finding] = attrs.field(
        factory=lambda: Memory(AGES_SIZE), eq=False, repr=False
    )


def load_exposure(path: Path) -> tuple[dict[str, str], DataSet]:
    """The destinations exposed to secondary sanctions, each with why (validated codes)."""
    import pycountry

    data, dataset = load_data_file(path)
    rows = data.get("countries")
    if not isinstance(rows, dict):
        raise PolicyError.single(str(path), "$.countries", "missing table of country codes and reasons")
    known = {c.alpha_2 for c in pycountry.countries}
    problems = [
        Problem(str(path), f"$.countries.{code}", "not an ISO 3166-1 alpha-2 code, or the reason is not text")
        for code, reason in rows.items()
        if code not in known or not isinstance(reason, str) or not reason.strip()
    ]
    if problems:
        raise PolicyError(problems)
    return dict(rows), dataset


def default_exposure_path() -> Path:
    return default_data_path().with_name("sanctions_exposure.toml")


@hookimpl
def hrdd_configure(config: Mapping[str, Any]) -> PluginSetup:
    path = default_data_path() if config["data"] is None else Path(config["data"])
    data = countries_for(path)
    exposure_path = (
        default_exposure_path()
        if config["sanctions_exposure"] is None
        else Path(config["sanctions_exposure"])
    )
    exposure, exposure_set = load_exposure(exposure_path)
    return PluginSetup(data=(data.dataset, exposure_set), state=State(data, exposure))


# --------------------------------------------------------------------------------------
# Facts for other plugins
# --------------------------------------------------------------------------------------


def sensitive_function(sector: str | None) -> bool:
    """Whether the end user's function weighs more; an unstated function counts (fail closed)."""
    return sector is None or sector in SENSITIVE_SECTORS


@hookimpl
def hrdd_transaction_facts(transaction: Transaction, context: CheckContext) -> dict[str, Any]:
    data: CountryData = context.state.countries
    end_user = transaction.end_user
    reports, sector, events = end_user.misuse_reports, end_user.sector, transaction.events
    # Most deals have neither reports nor events: no generator or set is made for them.
    facts: dict[str, Any] = {
        "end_user.credible_misuse": bool(reports) and any(report.credible is True for report in reports),
        "end_user.sensitive_function": sensitive_function(sector),
        "context.sensitive_events": sorted(RISK_EVENTS.intersection(events)) if events else [],
    }
    record = data.get(end_user.country)
    if record is not None:  # an unknown destination publishes nothing: readers treat it as the worst
        facts["destination.risk_tier"] = record.tier
        facts["destination.freedom_status"] = record.freedom_status
    return facts


# --------------------------------------------------------------------------------------
# What the check weighs
# --------------------------------------------------------------------------------------


def government_link(transaction: Transaction, context: CheckContext) -> tuple[bool, str]:
    """Whether the end user is a government or close to one, and why (for evidence). A type
    not established counts as government-linked until it is (fail closed)."""
    end_user = transaction.end_user
    link = _stated_link(end_user.type, end_user.government_relationship)
    if link[0] or context.fact("end_user.government_linked") is not True:
        return link
    return (
        True,
        f"end_user.government_linked = true ({context.fact_source('end_user.government_linked')})",
    )


@functools.lru_cache(maxsize=256)
def _stated_link(kind: str | None, relationship: str | None) -> tuple[bool, str]:
    """The government link the end user's type and relationship state, and why: the same
    (immutable) answer for the same two, so a review's key hashes a string hashed before."""
    if kind in GOVERNMENT_TYPES:
        return True, f"end_user.type = {kind}"
    if relationship in CLOSE_RELATIONSHIPS:
        return True, f"end_user.government_relationship = {relationship}"
    if kind in (None, "unknown"):
        return True, "end_user.type not established (treated as government-linked until it is)"
    return False, f"end_user.type = {kind}, government_relationship = {relationship or 'not stated'}"


class Potential:
    """The highest misuse potential among the items (0-5), or unknown when an item was not
    profiled (hrdd-item-capability not enabled): unknown is never read as low."""

    __slots__ = ("item", "value")

    def __init__(self, transaction: Transaction, context: CheckContext) -> None:
        profiles = context.profiles
        self.value: int | None = None
        self.item: str | None = None
        value, name = -1, None
        for item in transaction.items:  # the first item of the highest potential
            profile = profiles.get(item.id)
            if profile is None:
                return
            if profile.misuse_potential > value:
                value, name = profile.misuse_potential, item.name
        if name is not None:
            self.value, self.item = value, name

    def at_least(self, threshold: int) -> bool:
        """True when known and at least ``threshold``, or unknown (fail closed)."""
        return self.value is None or self.value >= threshold

    @property
    def known_zero(self) -> bool:
        return self.value == 0

    def describe(self) -> str:
        if self.value is None:
            return "the items' misuse potential is unknown (no capability profile for every item)"
        return f"{self.item!r} has misuse potential {self.value}/5"


def _describe_record(record: CountryRecord) -> str:
    """A noun phrase: "Egypt (EG), rated Not Free by Freedom House, risk tier very_high, ..."."""
    text = f"{record.name} ({record.code}), {record.rating}, risk tier {record.tier}"
    if record.surveillance_abuses:
        text += ", where government surveillance of journalists, defenders, opposition or minorities is documented"
    return text


def _record_evidence(record: CountryRecord | None, country: str) -> dict[str, Any]:
    evidence: dict[str, Any] = {"end_user.country": country}
    if record is not None:
        evidence["destination.freedom_status"] = record.freedom_status
        evidence["destination.risk_tier"] = record.tier
        evidence["destination.as_of"] = record.as_of.isoformat()
        if record.surveillance_abuses is not None:
            evidence["destination.surveillance_abuses"] = record.surveillance_abuses
        if record.rated_as:
            evidence["destination.rated_as"] = record.rated_as
    return evidence


def _report_evidence(transaction: Transaction, indexes: list[int]) -> dict[str, Any]:
    reports = transaction.end_user.misuse_reports
    evidence: dict[str, Any] = {}
    for i in indexes:
        report = reports[i]
        evidence[f"end_user.misuse_reports[{i}]"] = {
            "summary": report.summary,
            "source": report.source,
            "date": report.date.isoformat() if report.date else None,
            "credible": report.credible,
        }
    return evidence


def _targets(summaries: list[str]) -> list[str]:
    text = " ".join(summaries).lower()
    return [label for label, pattern in _TARGETS if pattern.search(text)]


def _quote(transaction: Transaction, index: int) -> str:
    report = transaction.end_user.misuse_reports[index]
    where = ", ".join(
        part for part in (report.source, report.date.isoformat() if report.date else None) if part
    )
    return f"{report.summary!r}" + (f" ({where})" if where else "")


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


def _misuse_reports(
    transaction: Transaction, potential: Potential, config: Mapping[str, Any], base: dict[str, Any]
) -> list[Finding]:
    end_user = transaction.end_user
    reports = end_user.misuse_reports
    findings = []
    credible = [i for i, report in enumerate(reports) if report.credible is True]
    if credible:
        targets = _targets([reports[i].summary for i in credible])
        against = f" against {', '.join(targets)}" if targets else ""
        quoted = "; ".join(_quote(transaction, i) for i in credible[:3])
        head = (
            f"{end_user.name} is the subject of {len(credible)} misuse report(s) assessed as credible"
            f"{against}: {quoted}. {potential.describe()}."
        )
        evidence = {**base, **_report_evidence(transaction, credible)}
        if potential.value is not None and potential.value >= config["block_credible_misuse_at"]:
            findings.append(
                Finding(
                    rule_id="HRDD-HR-001",
                    outcome=Outcome.DO_NOT_PROCEED,
                    severity=Severity.CRITICAL,
                    message=head + " An item this capable in the hands of an end user with a credible record "
                    "of misusing surveillance tools is the risk the guidance's record review exists to catch; "
                    "contract terms cannot make it acceptable.",
                    evidence=evidence,
                    guidance=CLAUSES,
                    remediation="Do not supply this item to this end user. Reconsider only on independent "
                    "evidence that the misuse has ended and been remedied, not on the end user's assurance.",
                )
            )
        elif potential.known_zero:
            findings.append(
                Finding(
                    rule_id="HRDD-HR-001",
                    outcome=Outcome.INFO,
                    severity=Severity.LOW,
                    message=head
                    + " The items have no surveillance capability to misuse; the record is noted "
                    "for any later sale.",
                    evidence=evidence,
                    guidance=CLAUSES,
                )
            )
        else:
            findings.append(
                Finding(
                    rule_id="HRDD-HR-001",
                    outcome=Outcome.ESCALATE,
                    severity=Severity.HIGH,
                    message=head + " The item could extend the misuse reported: senior review is needed "
                    "before any commitment.",
                    evidence=evidence,
                    guidance=CLAUSES,
                    remediation="Have the reports reviewed against what the item can do; if the deal goes "
                    f"ahead, limit the item's capabilities and require {CONTRACT_SAFEGUARDS}.",
                )
            )
    unassessed = [i for i, report in enumerate(reports) if report.credible is None]
    if unassessed:
        quoted = "; ".join(_quote(transaction, i) for i in unassessed[:3])
        message = (
            f"{len(unassessed)} misuse report(s) about {end_user.name} have not been assessed for "
            f"credibility: {quoted}. An unassessed report is missing diligence, not a clear record."
        )
        evidence = {**base, **_report_evidence(transaction, unassessed)}
        if potential.known_zero:
            findings.append(
                Finding(
                    rule_id="HRDD-HR-002",
                    outcome=Outcome.INFO,
                    severity=Severity.LOW,
                    message=message + " The items have no surveillance capability, so the deal does not wait "
                    "on it.",
                    evidence=evidence,
                    guidance=CLAUSES,
                    remediation="Assess the report(s) and record the result in end_user.misuse_reports[].credible.",
                )
            )
        else:
            findings.append(
                Finding(
                    rule_id="HRDD-HR-002",
                    outcome=Outcome.ESCALATE,
                    severity=Severity.HIGH if potential.at_least(4) else Severity.MEDIUM,
                    message=message + f" {potential.describe()}.",
                    evidence=evidence,
                    guidance=CLAUSES,
                    remediation="Assess each report's credibility (its source, corroboration, the end user's "
                    "response), record the result in end_user.misuse_reports[].credible and assess the "
                    "transaction again.",
                )
            )
    return findings


def _destination(
    transaction: Transaction,
    record: CountryRecord,
    potential: Potential,
    linked: bool,
    link_reason: str,
    config: Mapping[str, Any],
    base: dict[str, Any],
) -> Finding | None:
    """The destination's record weighed against the end user's function and the items."""
    end_user = transaction.end_user
    sector = end_user.sector
    sensitive = sensitive_function(sector)
    security = sector in SECURITY_SECTORS
    function = f"function {sector}" if sector else "function not stated"
    who = f"{end_user.name} ({'government-linked' if linked else 'not government-linked'}, {function})"
    situation = f"Destination {_describe_record(record)}; end user {who}; {potential.describe()}."
    evidence = {
        **base,
        "end_user.sector": sector,
        "end_user": link_reason,
        "misuse_potential": potential.value,
    }
    value = potential.value

    def finding(rule: str, outcome: Outcome, severity: Severity, verdict: str, remedy: str | None) -> Finding:
        return Finding(
            rule_id=rule,
            outcome=outcome,
            severity=severity,
            message=f"{situation} {verdict}",
            evidence=evidence,
            guidance=CLAUSES,
            remediation=remedy,
        )

    review = (
        "Escalate to senior compliance review with the destination's record, the end user's role in it and "
        f"the item's capabilities; if it goes ahead, limit the capabilities and require {CONTRACT_SAFEGUARDS}."
    )
    safeguards = f"Require {CONTRACT_SAFEGUARDS}."
    if not linked:
        if (record.tier == "very_high" and potential.at_least(4)) or (
            record.tier == "high" and potential.at_least(5)
        ):
            return finding(
                "HRDD-HR-006",
                Outcome.SAFEGUARDS_REQUIRED,
                Severity.MEDIUM,
                "A government with this record can compel access to, or take over, a private operator's "
                "surveillance capability: the contract must bar transfer and government use.",
                "Require a no-re-export and no-transfer clause covering government agencies, a use limitation, "
                "audit rights and the right to suspend and terminate on evidence of government use.",
            )
        return None
    if record.tier == "very_high":
        if value is None:
            return finding(
                "HRDD-HR-003",
                Outcome.ESCALATE,
                Severity.HIGH,
                "The record cannot be weighed without it.",
                review,
            )
        if value >= config["block_very_high_at"] or (
            security and value >= config["block_very_high_security_at"]
        ):
            return finding(
                "HRDD-HR-003",
                Outcome.DO_NOT_PROCEED,
                Severity.CRITICAL,
                "A government with a documented record of surveilling its critics, buying an item this capable"
                + (" for its security or intelligence apparatus" if security else "")
                + ", is the case the guidance's record review warns against: contract terms cannot mitigate it.",
                "Do not supply. Reconsider only for a materially less capable item or a different end user, "
                "with a fresh assessment.",
            )
        if value >= config["escalate_very_high_at"]:
            return finding(
                "HRDD-HR-003",
                Outcome.ESCALATE,
                Severity.HIGH,
                "The item could facilitate the abuses documented in the destination.",
                review,
            )
        if value >= 1 and sensitive:
            return finding(
                "HRDD-HR-003",
                Outcome.SAFEGUARDS_REQUIRED,
                Severity.MEDIUM,
                "Even a low-potential item needs contractual limits for a coercive agency in this destination.",
                safeguards,
            )
        return None
    if record.tier == "high":
        if value is None:
            return finding(
                "HRDD-HR-004",
                Outcome.ESCALATE,
                Severity.HIGH,
                "The record cannot be weighed without it.",
                review,
            )
        if value >= 5 or (sensitive and value >= 4):
            return finding(
                "HRDD-HR-004",
                Outcome.ESCALATE,
                Severity.HIGH,
                "A capable item for this function in a destination with this record needs senior review.",
                review,
            )
        if value >= 3 or (sensitive and value >= 2):
            return finding(
                "HRDD-HR-004",
                Outcome.SAFEGUARDS_REQUIRED,
                Severity.MEDIUM,
                "The record calls for contractual limits on how the item is used.",
                safeguards,
            )
        return None
    if record.tier == "moderate" and potential.at_least(4) and (sensitive or potential.at_least(5)):
        return finding(
            "HRDD-HR-005",
            Outcome.SAFEGUARDS_REQUIRED,
            Severity.MEDIUM,
            "A capable item for this function calls for contractual limits even in a moderate-risk destination.",
            safeguards,
        )
    return None


def _timing(
    transaction: Transaction,
    record: CountryRecord | None,
    potential: Potential,
    linked: bool,
    link_reason: str,
    config: Mapping[str, Any],
    base: dict[str, Any],
) -> Finding | None:
    events = sorted(set(transaction.events) & RISK_EVENTS)
    if not events or not linked or potential.known_zero:
        return None
    labels = ", ".join(EVENT_LABELS[event] for event in events)
    where = record.name if record is not None else transaction.end_user.country
    evidence = {
        **base,
        "context.events": events,
        "end_user": link_reason,
        "misuse_potential": potential.value,
    }
    head = (
        f"The sale to {transaction.end_user.name} falls during {labels} in {where}; {potential.describe()}."
    )
    routine = events == ["election_period"] and record is not None and record.tier == "low"
    if routine:
        return Finding(
            rule_id="HRDD-HR-007",
            outcome=Outcome.INFO,
            severity=Severity.LOW,
            message=head + " An election in a low-risk destination is noted, not weighed.",
            evidence=evidence,
            guidance=CLAUSES,
        )
    if potential.at_least(config["escalate_timing_at"]):
        return Finding(
            rule_id="HRDD-HR-007",
            outcome=Outcome.ESCALATE,
            severity=Severity.HIGH,
            message=head + " Surveillance capability delivered to a government at such a time is most "
            "likely to be turned on protesters, journalists, candidates and opposition.",
            evidence=evidence,
            guidance=CLAUSES,
            remediation="Escalate; consider deferring delivery until the event has passed (staged delivery) and "
            f"require {CONTRACT_SAFEGUARDS}.",
        )
    return Finding(
        rule_id="HRDD-HR-007",
        outcome=Outcome.SAFEGUARDS_REQUIRED,
        severity=Severity.MEDIUM,
        message=head + " The timing calls for contractual limits on use during the event.",
        evidence=evidence,
        guidance=CLAUSES,
        remediation="Require staged delivery after the event and a use limitation excluding the policing of "
        "peaceful protest and surveillance of candidates, journalists and opposition.",
    )


def _unknown_country(path: str, country: str, whose: str, data: CountryData) -> Finding:
    return Finding(
        rule_id="HRDD-HR-012",
        outcome=Outcome.ERROR,
        severity=Severity.HIGH,
        message=f"The country data ({data.dataset.name} {data.dataset.version}) has no record for {country!r} "
        f"({whose}): its human-rights record cannot be weighed, so the transaction cannot be cleared.",
        evidence={path: country, "data": data.path.name},
        guidance=(RECORD,),
        remediation="Correct the country code, or add the country to the policy's country data file.",
    )


def _other_end_users(
    transaction: Transaction,
    record: CountryRecord | None,
    potential: Potential,
    data: CountryData,
) -> list[Finding]:
    findings = []
    floor = TIER_RANK[record.tier] if record is not None else TIER_RANK["very_high"]
    for index, other in enumerate(transaction.end_user.other_end_users):
        path = f"end_user.other_end_users[{index}]"
        if not other.country or other.country == transaction.end_user.country:
            continue
        theirs = data.get(other.country)
        if theirs is None:
            findings.append(
                _unknown_country(f"{path}.country", other.country, f"other end user {other.name}", data)
            )
            continue
        if (
            TIER_RANK[theirs.tier] <= floor
            or TIER_RANK[theirs.tier] < TIER_RANK["high"]
            or potential.known_zero
        ):
            continue
        government = other.type in GOVERNMENT_TYPES or other.type in (None, "unknown")
        escalate = government and potential.at_least(3)
        findings.append(
            Finding(
                rule_id="HRDD-HR-008",
                outcome=Outcome.ESCALATE if escalate else Outcome.SAFEGUARDS_REQUIRED,
                severity=Severity.HIGH if escalate else Severity.MEDIUM,
                message=f"{other.name} ({other.type or 'type not stated'}, {other.sector or 'function not stated'}) "
                f"will also use the items or their output in {_describe_record(theirs)}: a worse record than "
                f"the stated destination's; {potential.describe()}.",
                evidence={
                    f"{path}.name": other.name,
                    f"{path}.country": other.country,
                    f"{path}.type": other.type,
                    "other.risk_tier": theirs.tier,
                    "destination.risk_tier": record.tier if record is not None else None,
                    "misuse_potential": potential.value,
                },
                guidance=CLAUSES,
                remediation=f"Review {other.name}'s own record as for a stated end user; bar transfer of the items "
                "and their output to it in the contract, or escalate.",
            )
        )
    return findings


def _function_not_stated(
    transaction: Transaction, potential: Potential, linked: bool, link_reason: str, base: dict[str, Any]
) -> Finding | None:
    if transaction.end_user.sector is not None:
        return None
    escalate = linked and potential.at_least(3)
    return Finding(
        rule_id="HRDD-HR-009",
        outcome=Outcome.ESCALATE if escalate else Outcome.INFO,
        severity=Severity.MEDIUM if escalate else Severity.LOW,
        message=f"The function (sector) of {transaction.end_user.name} is not stated: an intelligence or "
        "security agency weighs more than a health service or a court, so it is weighed as sensitive until "
        f"established. {potential.describe()}.",
        evidence={**base, "end_user.sector": None, "end_user": link_reason},
        guidance=CLAUSES,
        remediation="Establish and record the end user's sector (end_user.sector) and assess again.",
    )


def _data_age(record: CountryRecord, config: Mapping[str, Any], reference: Reference) -> Finding:
    """HRDD-HR-011, for a reference day beyond the policy's max_age_days (the caller checks)."""
    age = reference.days_since(record.as_of)
    return Finding(
        rule_id="HRDD-HR-011",
        outcome=Outcome.INFO,
        severity=Severity.LOW,
        message=f"Country data is {age} days old: the record for {record.name} ({record.code}) is as of "
        f"{record.as_of.isoformat()}, measured against {reference.against()}, beyond the policy's max_age_days "
        f"({config['max_age_days']}). Check for a newer edition of the sources.",
        evidence={
            "destination.as_of": record.as_of.isoformat(),
            "reference_date": reference.date.isoformat(),
            "age_days": age,
            "max_age_days": config["max_age_days"],
        },
        guidance=(RECORD,),
        remediation="Update the country data from the latest Freedom in the World edition and State Department "
        "Country Reports (or the team's licensed index).",
    )


def _reviewed(
    transaction: Transaction,
    record: CountryRecord,
    potential: Potential,
    link_reason: str,
    base: dict[str, Any],
) -> Finding:
    end_user = transaction.end_user
    reports = end_user.misuse_reports
    if not reports:
        record_text = "no misuse reports about the end user"
    else:
        dismissed = [i for i, r in enumerate(reports) if r.credible is False]
        record_text = f"{len(dismissed)} misuse report(s) reviewed and assessed as not credible"
    events = sorted(set(transaction.events) & RISK_EVENTS)
    return Finding(
        rule_id="HRDD-HR-010",
        outcome=Outcome.INFO,
        severity=Severity.NONE,
        message=f"Human-rights record reviewed for {end_user.name}: destination {_describe_record(record)}; function "
        f"{end_user.sector or 'not stated'}; {record_text}; "
        + (f"context: {', '.join(EVENT_LABELS[e] for e in events)}; " if events else "no sensitive events; ")
        + f"{potential.describe()}. Nothing in the record calls for safeguards or review.",
        evidence={
            **base,
            **_report_evidence(transaction, list(range(len(reports)))),
            "end_user.sector": end_user.sector,
            "end_user": link_reason,
            "misuse_potential": potential.value,
        },
        guidance=CLAUSES,
    )


def _sanctions_exposure(
    transaction: Transaction, state: State, potential: Potential, linked: bool, link_reason: str
) -> Finding | None:
    """trend-sanctions: a destination the guidance names as exposed to secondary sanctions.
    Sanctions screening of the end user and every party is then part of the diligence; for a
    government-linked end user and a surveillance-capable item it is required before export.
    Remembered by what it reads: the end user's name and country, the government link and the
    items' highest potential (not which item has it), so a customer's deals share it."""
    end_user = transaction.end_user
    country = end_user.country
    reason = state.exposure.get(country)
    if reason is None:
        return None
    key = (country, end_user.name, linked, link_reason, potential.value)
    found = state.exposures.get(key)
    if found is not None:
        return found
    serious = linked and (potential.value is None or potential.value >= 3)
    return state.exposures.keep(
        key,
        Finding(
            rule_id="HRDD-HR-013",
            outcome=Outcome.SAFEGUARDS_REQUIRED if serious else Outcome.INFO,
            severity=Severity.MEDIUM if serious else Severity.LOW,
            message=f"The destination {country} is exposed to secondary sanctions ({reason}): screen the end "
            f"user {end_user.name!r}, every other end user and every party against the OFAC SDN list "
            "(including Global Magnitsky designations) and the country programme before export.",
            evidence={
                "end_user.country": country,
                "exposure": reason,
                "end_user": link_reason,
                "misuse_potential": potential.value,
            },
            guidance=(SANCTIONS, RECORD),
            remediation="Screen every party against the sanctions lists (hrdd-screening when enabled) and "
            "record the result before export.",
        ),
    )


@hookimpl
def hrdd_check_end_user(transaction: Transaction, context: CheckContext) -> tuple[Finding, ...]:
    """The review of the end user and its destination. Its findings depend on nothing but the
    key below: the end user as the rules read it (not its stated end use or related parties;
    its type and government relationship only through the government link), the events, the
    items' potential (the highest, and which item has it) and the government link (with the
    fact it may rest on); the thresholds are the engine's config, which the state belongs to.
    A customer's deals repeat these, so each distinct review is made once per engine and the
    same (immutable) answer is returned again for the same key. The data's age (HRDD-HR-011)
    is the one finding that reads the day: it is remembered apart, per destination and day,
    so that a customer's deals on other days share the review."""
    state: State = context.state
    config = context.config
    end_user = transaction.end_user
    potential = Potential(transaction, context)
    linked, link_reason = government_link(transaction, context)
    key = (
        end_user.name,
        end_user.country,
        end_user.sector,
        end_user.misuse_reports,
        end_user.other_end_users,
        transaction.events,
        potential.value,
        potential.item,
        linked,
        link_reason,
    )
    findings = state.reviews.get(key)
    if findings is None:
        findings = state.reviews.keep(
            key, tuple(_review(transaction, state, config, potential, linked, link_reason))
        )
    record = state.countries.get(end_user.country)
    if record is not None:
        reference = context.reference(transaction)
        if reference.days_since(record.as_of) > config["max_age_days"]:
            when = (end_user.country, reference)
            age = state.ages.get(when)
            if age is None:
                age = state.ages.keep(when, _data_age(record, config, reference))
            # The review stays whole for a deal whose data is recent enough: the engine then
            # reuses the answer itself.
            findings = (*findings, age)
    return findings


def _review(
    transaction: Transaction,
    state: State,
    config: Mapping[str, Any],
    potential: Potential,
    linked: bool,
    link_reason: str,
) -> list[Finding]:
    """Every finding but the data's age (see hrdd_check_end_user)."""
    data = state.countries
    end_user = transaction.end_user
    record = data.get(end_user.country)
    base = _record_evidence(record, end_user.country)
    findings: list[Finding] = []
    if record is None:
        findings.append(
            _unknown_country("end_user.country", end_user.country, f"end user {end_user.name}", data)
        )
    findings += _misuse_reports(transaction, potential, config, base)
    if record is not None:
        destination = _destination(transaction, record, potential, linked, link_reason, config, base)
        if destination is not None:
            findings.append(destination)
    timing = _timing(transaction, record, potential, linked, link_reason, config, base)
    if timing is not None:
        findings.append(timing)
    findings += _other_end_users(transaction, record, potential, data)
    function = _function_not_stated(transaction, potential, linked, link_reason, base)
    if function is not None:
        findings.append(function)
    exposure = _sanctions_exposure(transaction, state, potential, linked, link_reason)
    if exposure is not None:
        findings.append(exposure)
    if record is not None and not any(f.outcome in ACTION for f in findings):
        findings.append(_reviewed(transaction, record, potential, link_reason, base))
    return findings
