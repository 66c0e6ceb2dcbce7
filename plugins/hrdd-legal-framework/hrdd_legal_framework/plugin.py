"""hrdd-legal-framework: is the end user's legal framework for surveillance consistent with the ICCPR?

Covers consideration 4 of the Draft Guidance (review whether the government end user's laws,
regulations and practices on surveillance are consistent with the ICCPR) and the alignment
of due diligence with the ICCPR (dd-5), weighed commensurately (dd-1): the destination's
treaty status and its documented surveillance-law concerns count for more the greater the
items' misuse potential and when the end user is a government or close to one.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from hrdd import (
    CONTRACT_CLAUSES,
    CheckContext,
    Evidence,
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
from hrdd_legal_framework.datasets import (
    ICCPR_FILE,
    SURVEILLANCE_FILE,
    Concern,
    IccprStatus,
    LegalData,
    default_data_path,
    legal_data_for,
)

CONSIDERATION_4 = "draft-2019:consideration-4"
ALIGNMENT = "draft-2019:dd-5"
COMMENSURATE = "draft-2019:dd-1"

REVIEWED = "HRDD-LAW-001"
NO_ACTION = "HRDD-LAW-002"
SIGNATORY = "HRDD-LAW-003"
CONCERNS = "HRDD-LAW-004"
NOT_APPLICABLE = "HRDD-LAW-005"
UNKNOWN_COUNTRY = "HRDD-LAW-006"
DATA_AGE = "HRDD-LAW-007"

RULES = (
    RuleInfo(
        REVIEWED,
        "Destination's ICCPR status and surveillance laws reviewed: nothing bears on the items",
        (CONSIDERATION_4, ALIGNMENT),
    ),
    RuleInfo(
        NO_ACTION,
        "Destination has neither signed nor ratified the ICCPR",
        (CONSIDERATION_4, ALIGNMENT, COMMENSURATE),
    ),
    RuleInfo(
        SIGNATORY,
        "Destination has signed but not ratified the ICCPR",
        (CONSIDERATION_4, ALIGNMENT, COMMENSURATE),
    ),
    RuleInfo(
        CONCERNS,
        "Documented concerns about the destination's surveillance laws or practices under ICCPR articles "
        "17, 19, 21 or 22 bear on the items",
        (CONSIDERATION_4, ALIGNMENT, COMMENSURATE),
    ),
    RuleInfo(
        NOT_APPLICABLE,
        "No state's ICCPR ratification covers the destination",
        (CONSIDERATION_4, ALIGNMENT, COMMENSURATE),
    ),
    RuleInfo(
        UNKNOWN_COUNTRY, "Destination unknown to the legal-framework data (fail closed)", (CONSIDERATION_4,)
    ),
    RuleInfo(DATA_AGE, "Legal-framework data older than max_age_days", (CONSIDERATION_4,)),
)

PUBLISHES = ("destination.iccpr_status", "destination.surveillance_law_concerns", "destination.legal_risk")
PUBLISHED_STATUSES = frozenset({"party", "signatory", "no_action"})

DEFAULT_STATUS_SAFEGUARDS = ["use_limitation", "audit_rights", "suspend_and_terminate"]
CONFIG_SCHEMA: dict[str, Any] = {
    "iccpr_data": {
        "type": "string",
        "nullable": True,
        "default": None,
        "empty": False,
        "meta": {"path": True},
    },
    "surveillance_data": {
        "type": "string",
        "nullable": True,
        "default": None,
        "empty": False,
        "meta": {"path": True},
    },
    "max_age_days": {"type": "integer", "min": 1, "default": 400},
    "no_action_escalate_at": {"type": "integer", "min": 1, "max": 5, "default": 3},
    "signatory_escalate_at": {"type": "integer", "min": 1, "max": 5, "default": 4},
    "concerns_escalate_at": {"type": "integer", "min": 1, "max": 5, "default": 4},
    "status_safeguards": {
        "type": "list",
        "schema": {"type": "string", "allowed": list(CONTRACT_CLAUSES)},
        "default": DEFAULT_STATUS_SAFEGUARDS,
    },
}

GOVERNMENT_TYPES = frozenset({"government_agency", "state_owned_enterprise", "private_close_to_government"})
CLOSE_RELATIONSHIPS = frozenset({"contractor", "partially_owned", "state_controlled"})
# An item no plugin profiled has an unknown misuse potential: weighed as the highest.
UNPROFILED_POTENTIAL = 5
ARTICLES = {
    2: "2 (remedy)",
    17: "17 (privacy)",
    19: "19 (expression)",
    21: "21 (assembly)",
    22: "22 (association)",
}


@hookimpl
def hrdd_plugin_info() -> PluginInfo:
    return PluginInfo(
        clauses=(CONSIDERATION_4, ALIGNMENT, COMMENSURATE),
        rules=RULES,
        config_schema=CONFIG_SCHEMA,
        description="Reviews the destination's ICCPR status and whether its surveillance laws and practices "
        "are consistent with ICCPR articles 17, 19, 21 and 22, weighed by the items' misuse potential and "
        "the end user's closeness to the government.",
        publishes=PUBLISHES,
    )


@hookimpl
def hrdd_configure(config: Mapping[str, Any], policy_dir: Path) -> PluginSetup:
    iccpr = (
        default_data_path(ICCPR_FILE) if config["iccpr_data"] is None else policy_dir / config["iccpr_data"]
    )
    surveillance = (
        default_data_path(SURVEILLANCE_FILE)
        if config["surveillance_data"] is None
        else policy_dir / config["surveillance_data"]
    )
    data = legal_data_for(iccpr, surveillance)
    return PluginSetup(data=data.datasets, state=LegalFramework(data))


# How many values the check's memories hold (see LegalFramework). An order book (1,500
# customers, a hundred product models, deals over a year) needs four times these to hold its
# whole working set, which cost more memory than it saved time over a batch of 100,000 deals;
# a memory that fills forgets its older half (see hrdd.memory), and a batch of deals that list
# their own clauses (a bearing per subset) or name ever new end users stays bounded. The findings about named end
# users keep recurring keys only (most of an order book's combinations of customer and items
# come once: keeping each would hold some 40 MiB more after 30,000 deals to save a build in
# twenty deals); their memories note the keys seen once for as many deals as they keep.
BEARINGS_SIZE = 4096
BASES_SIZE = 2048
FRAMINGS_SIZE = 1024
FINDINGS_SIZE = 2048
# One data-age finding (or None) per day measured on: eleven years of transaction dates.
AGES_SIZE = 4096


@attrs.frozen
class LegalFramework:
    """The plugin's state in one engine: the legal data, and what the check worked out with it,
    each remembered by what its builder reads. One per engine (engines that load the same
    files share the data, not these memories), so no key needs one of the engine's config
    values or the data."""

    data: LegalData
    # The items as the check sees them, with their capabilities, by item (see item_views).
    views: Memory[tuple[Any, ...], tuple[ItemView, Capabilities]] = attrs.field(
        factory=lambda: Memory(4096), repr=False
    )
    # The concerns that bear on an item with some capabilities for an end user of a destination,
    # sector and kind (agency or data holder), whoever the end user and whatever the item's name
    # (see _basis); then the one bearing made of each basis for an item's view, the end user's
    # government link and what is missing of the clauses and design safeguards that mitigate it
    # (see _bearings); then what every concerns finding about an end user reviewed starts and
    # ends with (see _framing). Deals that list their clauses afresh make many bearings of one
    # basis (every subset of its clauses and safeguards): one bound holds them all.
    bases: Memory[tuple[Any, ...], Concerns] = attrs.field(factory=lambda: Memory(BASES_SIZE), repr=False)
    bearings: Memory[tuple[Any, ...], Bearing] = attrs.field(
        factory=lambda: Memory(BEARINGS_SIZE), repr=False
    )
    framings: Memory[Reviewed, Framing] = attrs.field(factory=lambda: Memory(FRAMINGS_SIZE), repr=False)
    # The findings about the end users reviewed (see _review; each keeps recurring keys only).
    # Each names the end user: a customer's deals share them, and an order book's customers,
    # with their combinations of items, make more keys than a catalogue's batch.
    statuses: Memory[tuple[Any, ...], Finding] = attrs.field(factory=lambda: Memory(4096), repr=False)
    concerns: Memory[tuple[Any, ...], Finding] = attrs.field(
        factory=lambda: Memory(FINDINGS_SIZE), repr=False
    )
    reviews: Memory[tuple[Any, ...], Finding] = attrs.field(factory=lambda: Memory(FINDINGS_SIZE), repr=False)
    # The data-age finding (or None) by the day measured on (see _data_age): one per day.
    ages: Memory[Reference, Finding | None] = attrs.field(factory=lambda: Memory(AGES_SIZE), repr=False)


# --------------------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------------------


@hookimpl
def hrdd_transaction_facts(transaction: Transaction, context: CheckContext) -> Mapping[str, Any] | None:
    data = context.state.data
    code = transaction.end_user.country
    status = data.iccpr.get(code)
    if status is None:
        return None  # unknown: the check reports it (HRDD-LAW-006)
    facts: dict[str, Any] = {
        "destination.surveillance_law_concerns": sorted(c.id for c in data.concerns_of(code)),
        "destination.legal_risk": data.legal_risk[code],
    }
    if status.status in PUBLISHED_STATUSES:
        facts["destination.iccpr_status"] = status.status
    return facts


# --------------------------------------------------------------------------------------
# Who is reviewed, and what the items could do
# --------------------------------------------------------------------------------------


@attrs.frozen(cache_hash=True)  # part of the keys the check remembers findings by: hashed once
class Reviewed:
    """One end user whose legal framework is reviewed: the stated end user, or another end
    user of the items (in another country, or with a different link to the government)."""

    path: str  # "end_user" or "end_user.other_end_users[i]"
    name: str
    country: str
    linked: bool  # a government, or close to one (unknown type counts)
    link_reason: str
    agency: bool  # a government agency itself (not a company that holds data)
    sector: str | None = None
    country_assumed: bool = False


def government_link(type_: str | None, relationship: str | None) -> tuple[bool, str]:
    """Whether an end user is a government or close to one, and why (for evidence). An end
    user whose type is missing or unknown counts as government-linked until established."""
    if type_ in GOVERNMENT_TYPES:
        return True, f"type = {type_}"
    if relationship in CLOSE_RELATIONSHIPS:
        return True, f"government_relationship = {relationship}"
    if type_ in (None, "unknown"):
        return True, "type not established (treated as government-linked until it is)"
    return False, f"type = {type_}"


def reviewed_end_users(transaction: Transaction) -> tuple[Reviewed, ...]:
    end_user = transaction.end_user
    return _reviewed_end_users(
        end_user.name,
        end_user.country,
        end_user.type,
        end_user.government_relationship,
        end_user.sector,
        end_user.other_end_users,
    )


@functools.lru_cache(maxsize=4096)  # an order book's customers (1,500), with room
def _reviewed_end_users(
    name: str,
    country: str,
    type_: str | None,
    relationship: str | None,
    sector: str | None,
    others: tuple[Any, ...],  # the end user's OtherEndUser values
) -> tuple[Reviewed, ...]:
    """The end users reviewed, from the fields of the end user that decide them (worked out
    once per distinct end user: a customer's deals repeat them)."""
    linked, reason = government_link(type_, relationship)
    reviewed = [Reviewed("end_user", name, country, linked, reason, type_ == "government_agency", sector)]
    # Another end user is reviewed when anything that weighs differs from those already reviewed.
    seen = {(country, linked, type_ == "government_agency", sector)}
    for index, other in enumerate(others):
        linked, reason = government_link(other.type, None)
        where = other.country or country
        key = (where, linked, other.type == "government_agency", other.sector)
        if key in seen:
            continue
        seen.add(key)
        reviewed.append(
            Reviewed(
                f"end_user.other_end_users[{index}]",
                other.name,
                where,
                linked,
                reason,
                other.type == "government_agency",
                other.sector,
                country_assumed=other.country is None,
            )
        )
    return tuple(reviewed)


@attrs.frozen(cache_hash=True)  # part of the keys the check remembers findings by: hashed once
class ItemView:
    """One item as the findings quote it: not its design safeguards (read from the item where
    they count), nor its capabilities (they decide which concerns bear on it, see _basis, and
    no finding quotes them), so that a view is shared by the deals that configure the same
    product differently."""

    path: str
    name: str
    potential: int
    profiled: bool
    # The misuse potential as the findings quote it (derived from the fields above).
    quoted: Evidence = attrs.field(
        default=attrs.Factory(lambda view: Evidence(*_quoted_potential(view)), takes_self=True)
    )


def _quoted_potential(view: ItemView) -> tuple[str, Any]:
    value = view.potential if view.profiled else f"unknown (not profiled: weighed as {view.potential})"
    return f"{view.path}.misuse_potential", value


# The capabilities of an item no plugin profiled: unknown, so every concern bears on it.
UNPROFILED: frozenset[str] | None = None
Capabilities = frozenset[str] | None


def item_views(
    transaction: Transaction, context: CheckContext
) -> tuple[tuple[ItemView, ...], tuple[Capabilities, ...]]:
    """The items' views, and their capabilities as the concerns are matched against them
    (each the same objects for the same item fields and profile)."""
    memory: Memory[tuple[Any, ...], tuple[ItemView, Capabilities]] = context.state.views
    profiles = context.profiles
    views = []
    capabilities = []
    for item in transaction.items:
        profile = profiles.get(item.id)
        if profile is None:
            key: tuple[Any, ...] = (item.index, item.name)
        else:
            key = (item.index, item.name, profile.misuse_potential, profile.capabilities)
        seen = memory.get(key)
        if seen is None:
            if profile is None:
                seen = (ItemView(item.path, item.name, UNPROFILED_POTENTIAL, False), UNPROFILED)
            else:
                view = ItemView(item.path, item.name, profile.misuse_potential, True)
                seen = (view, frozenset(profile.capabilities))
            memory.keep(key, seen)
        views.append(seen[0])
        capabilities.append(seen[1])
    return tuple(views), tuple(capabilities)


def _quoted(views: Sequence[ItemView]) -> tuple[Evidence, ...]:
    """What a finding that names no item reads of the items: their potentials, as quoted."""
    return tuple(v.quoted for v in views)


def _potential_evidence(views: Sequence[ItemView]) -> dict[str, Any]:
    return dict(v.quoted for v in views)


# --------------------------------------------------------------------------------------
# Outcomes (commensurate: dd-1)
# --------------------------------------------------------------------------------------


def status_outcome(potential: int, linked: bool, escalate_at: int, unmitigated: bool) -> Outcome:
    """The outcome of a destination the Covenant does not bind (no action, signature only, or
    not applicable): the guidance's review of laws is about government end users and those
    close to one; for them, an item at or above ``escalate_at`` goes to review, and anything
    with a surveillance capability needs the contractual safeguards the law does not give."""
    if not linked or potential < 1:
        return Outcome.INFO
    if potential >= escalate_at:
        return Outcome.ESCALATE
    return Outcome.SAFEGUARDS_REQUIRED if unmitigated else Outcome.INFO


def concern_outcome(
    potential: int, weight: int, linked: bool, escalate_at: int, unmitigated: bool
) -> Outcome:
    """The outcome of documented surveillance-law concerns that bear on an item: ``weight`` is
    the sum of their weights. Grave concerns (weight 2+) escalate an item at or above
    ``escalate_at``; an accumulation (weight 4+) escalates one a step below; otherwise the
    contract and design must supply what the law does not."""
    if weight <= 0:
        return Outcome.PASS
    if not linked:
        return Outcome.INFO
    if (potential >= escalate_at and weight >= 2) or (potential >= escalate_at - 1 and weight >= 4):
        return Outcome.ESCALATE
    if potential >= 1 and unmitigated:
        return Outcome.SAFEGUARDS_REQUIRED
    return Outcome.INFO


# --------------------------------------------------------------------------------------
# Check
# --------------------------------------------------------------------------------------


def _severity_for(outcome: Outcome, potential: int) -> Severity:
    if outcome is Outcome.ESCALATE:
        return Severity.CRITICAL if potential >= 5 else Severity.HIGH
    if outcome is Outcome.SAFEGUARDS_REQUIRED:
        return Severity.MEDIUM
    return Severity.LOW


def _articles(articles: Sequence[int]) -> str:
    return ", ".join(ARTICLES.get(a, str(a)) for a in articles)


def _country(status: IccprStatus) -> str:
    return f"{status.name} ({status.code})"


def _item_names(views: Sequence[ItemView]) -> str:
    return ", ".join(repr(v.name) for v in views)


@functools.lru_cache(maxsize=1024)
def _status_text(status: IccprStatus, data: LegalData) -> str:
    if status.status == "party":
        via = data.iccpr.get(status.applies_via or "")
        if via is None:
            return f"a party to the ICCPR since {status.year}"
        return f"covered by the ICCPR through {via.name} (since {status.year})"
    if status.status == "signatory":
        return f"a signatory of the ICCPR since {status.year}, not a party"
    if status.status == "no_action":
        return "neither a signatory nor a party to the ICCPR"
    if status.domestic_incorporation:
        return f"unable to become a party to the ICCPR, but has incorporated it ({status.domestic_incorporation})"
    return "not covered by any state's ratification of the ICCPR"


# What the memory of data-age findings gives for a day not measured yet (None: not too old).
NOT_MEASURED: Any = object()


@hookimpl
def hrdd_check_end_user(transaction: Transaction, context: CheckContext) -> list[Finding]:
    """The review of every end user reviewed (each finding remembered by everything it reads,
    see _review), then the data's age."""
    state: LegalFramework = context.state
    config = context.config
    views, capabilities = item_views(transaction, context)
    findings: list[Finding] = []
    for reviewed in reviewed_end_users(transaction):
        findings += _review(reviewed, views, capabilities, transaction, state, config)
    # The data-age finding reads the data, max_age_days and the day measured on, no more.
    reference = context.reference(transaction)
    age = state.ages.get(reference, NOT_MEASURED)
    if age is NOT_MEASURED:
        age = state.ages.keep(reference, _data_age(state.data, config, reference))
    if age is not None:
        findings.append(age)
    return findings


def _review(
    reviewed: Reviewed,
    views: tuple[ItemView, ...],
    capabilities: tuple[Capabilities, ...],
    transaction: Transaction,
    state: LegalFramework,
    config: Mapping[str, Any],
) -> list[Finding]:
    """The findings about one end user reviewed: its destination's status (when the Covenant
    does not bind it), then the documented concerns that bear on the items or, for a party
    without any, what was reviewed. Each is remembered by everything it reads."""
    data = state.data
    status = data.iccpr.get(reviewed.country)
    if status is None:
        where = reviewed.path
        return [
            Finding(
                rule_id=UNKNOWN_COUNTRY,
                outcome=Outcome.ERROR,
                severity=Severity.HIGH,
                message=f"The legal-framework data has no row for {reviewed.country!r} ({reviewed.name}): the "
                "ICCPR status and surveillance laws of the destination cannot be reviewed, so the deal cannot be cleared.",
                evidence={f"{where}.country": reviewed.country, "iccpr_data": data.iccpr_dataset.path},
                guidance=(CONSIDERATION_4,),
                remediation="Add the country to the team's ICCPR and surveillance-law data files and assess again.",
                subject=where,
            )
        ]
    clauses = transaction.contract.clauses
    findings: list[Finding] = []
    if not status.weighed_as_party:
        # Only about a government-linked end user does it name an item (the one to review, or
        # those without a surveillance capability); else it quotes their potentials alone.
        key: tuple[Any, ...] = (reviewed, views if reviewed.linked else _quoted(views), clauses)
        found = state.statuses.get(key)
        if found is None:
            found = state.statuses.keep_recurring(
                key, _status_finding(reviewed, status, views, clauses, data, config)
            )
        findings.append(found)
    concern_finding = None
    concerned = bool(data.concerns_of(reviewed.country))
    if concerned:
        bearings = _bearings(reviewed, views, capabilities, transaction, state, config)
        worst = max(bearings, key=_WORST)  # the first of the worst, in the items' order
        if worst.outcome is not Outcome.PASS:
            # The finding reads the reviewed end user, the worst bearing, and of every bearing
            # the item's potential as quoted and the concerns (not the other items' names, nor
            # what is missing to mitigate what bears on them).
            key = (reviewed, worst, tuple([b.shown for b in bearings]))
            concern_finding = state.concerns.get(key)
            if concern_finding is None:
                concern_finding = state.concerns.keep_recurring(
                    key, _concerns_finding(reviewed, status, worst, bearings, state)
                )
    if concern_finding is not None:
        findings.append(concern_finding)
    elif status.weighed_as_party:
        # It reads neither the contract nor the items' safeguards; where no concern is on record,
        # it names no item either: it quotes their misuse potentials alone, so deals of other
        # items with the same potentials share it.
        key = (reviewed, views if concerned else _quoted(views))
        found = state.reviews.get(key)
        if found is None:
            found = state.reviews.keep_recurring(key, _reviewed_finding(reviewed, status, views, data))
        findings.append(found)
    return findings


def _base_evidence(reviewed: Reviewed, status: IccprStatus) -> dict[str, Any]:
    """The evidence every finding about a reviewed end user starts with."""
    where = reviewed.path
    base: dict[str, Any] = {f"{where}.country": reviewed.country}
    if reviewed.country_assumed:
        base[f"{where}.country"] = f"not given: assumed to be the destination, {reviewed.country}"
    base[f"{where}.type"] = reviewed.link_reason
    base["destination.iccpr_status"] = status.status
    if status.year is not None:
        base["iccpr.year"] = status.year
    if status.applies_via:
        base["iccpr.applies_via"] = status.applies_via
    if status.note:
        base["iccpr.note"] = status.note
    return base


def _status_finding(
    reviewed: Reviewed,
    status: IccprStatus,
    views: Sequence[ItemView],
    clauses: tuple[str, ...],
    data: LegalData,
    config: Mapping[str, Any],
) -> Finding:
    rule = {"no_action": NO_ACTION, "signatory": SIGNATORY}.get(status.status, NOT_APPLICABLE)
    escalate_at = (
        config["no_action_escalate_at"] if status.status == "no_action" else config["signatory_escalate_at"]
    )
    top = max(views, key=lambda v: v.potential)
    potential = top.potential
    required = list(config["status_safeguards"])
    present = [c for c in required if c in clauses]
    missing = [c for c in required if c not in clauses]
    country = _country(status)
    evidence = {
        **_base_evidence(reviewed, status),
        **_potential_evidence(views),
        "contract.clauses": list(clauses),
    }
    if status.note and "iccpr.note" not in evidence:
        evidence["iccpr.note"] = status.note
    situation = f"{country} is {_status_text(status, data)}"
    bound = (
        "no obligation under the Covenant's articles 17, 19, 21 and 22 governs its surveillance laws and practices"
        if status.status != "signatory"
        else "it has not accepted the obligations of the Covenant's articles 17, 19, 21 and 22 for its "
        "surveillance laws and practices (a signature commits it only not to defeat the treaty's object and purpose)"
    )
    remediation: str | None = (
        f"Before export, document the legal basis, independent authorisation, oversight and remedies that govern "
        f"{reviewed.name}'s use of the items, and contract for use consistent with ICCPR articles 17, 19, 21 and 22"
        + (f" ({', '.join(missing)})" if missing else "")
        + "."
    )
    outcome = status_outcome(potential, reviewed.linked, escalate_at, unmitigated=bool(missing))
    if not reviewed.linked:
        message = (
            f"{situation}. {reviewed.name} is neither a government end user nor known to be close to one "
            f"({reviewed.link_reason}), which the guidance's review of laws targets; recorded for the file."
        )
        remediation = None
    elif outcome is Outcome.ESCALATE:
        message = (
            f"{situation}, and {reviewed.name} is government-linked ({reviewed.link_reason}): {bound}. "
            f"{top.name!r} has misuse potential {potential}/5, at or above {escalate_at}: the framework "
            "its use would fall under must be reviewed by hand before export."
        )
    elif potential >= 1 and not required:
        message = (
            f"{situation}, and {reviewed.name} is government-linked ({reviewed.link_reason}); with misuse "
            f"potential {potential}/5 the policy asks for no contractual safeguards for this (status_safeguards "
            "is empty)."
        )
        remediation = None
    elif outcome is Outcome.SAFEGUARDS_REQUIRED:
        message = (
            f"{situation}, and {reviewed.name} is government-linked ({reviewed.link_reason}): {bound}. "
            f"With misuse potential {potential}/5 the deal needs contractual safeguards the law does not give; "
            f"missing: {', '.join(missing)}."
        )
    elif potential >= 1:
        message = (
            f"{situation}, and {reviewed.name} is government-linked ({reviewed.link_reason}); with misuse "
            f"potential {potential}/5 the contract's {', '.join(present)} provide the safeguards the law does not."
        )
        remediation = None
    else:
        message = f"{situation}; the items ({_item_names(views)}) have no surveillance capability, so this weighs little."
        remediation = None
    return Finding(
        rule_id=rule,
        outcome=outcome,
        severity=_severity_for(outcome, potential),
        message=message,
        evidence=evidence,
        guidance=(CONSIDERATION_4, ALIGNMENT, COMMENSURATE),
        remediation=remediation,
        subject=reviewed.path,
    )


@attrs.frozen(cache_hash=True)  # part of the keys the concerns findings are remembered by
class Bearing:
    """The documented concerns that bear on one item for one end user reviewed, what is
    missing to mitigate them, and the outcome they make. The check makes one object per
    distinct bearing (see _bearings); compared by value, so that one built again after the
    memory forgot still finds the concerns finding remembered for its equal."""

    view: ItemView
    basis: Concerns  # the concerns, with what a finding says of them
    missing_clauses: tuple[str, ...]
    missing_design: tuple[str, ...]
    outcome: Outcome  # for the end user's government link, by concerns_escalate_at
    # The outcome's rank, the potential and the concerns' weight: the worst item ranks highest.
    rank: tuple[int, int, int]
    # What a concerns finding reads of a bearing that is not the worst: the item's potential as
    # quoted (with its place in the deal) and the concerns (see _review).
    shown: tuple[Evidence, Concerns]


@attrs.frozen(cache_hash=True)  # part of the keys bearings are remembered by: hashed once
class Concerns:
    """What the concerns bearing on an item ask for, worked out once per distinct set of
    concerns (see _basis): the clauses and design safeguards that mitigate them (sorted), their
    summed weight, those about compelled access, and what a finding says of them (the ICCPR
    articles they engage, their labels and their mitigations, in words)."""

    concerns: tuple[Concern, ...]
    clauses: tuple[str, ...]
    design: tuple[str, ...]
    weight: int
    compelled: tuple[Concern, ...]
    articles: str
    described: str
    remedy: str
    ids: tuple[str, ...]  # the concerns' ids, as the findings list them


@functools.lru_cache(maxsize=1024)  # a few hundred distinct sets of concerns in the data
def _concerns(relevant: tuple[Concern, ...]) -> Concerns:
    """What ``relevant`` asks for and says (one object per set, whichever destinations and
    items it bears for)."""
    return Concerns(
        relevant,
        tuple(sorted({c for concern in relevant for c in concern.clauses})),
        tuple(sorted({d for concern in relevant for d in concern.design})),
        sum(c.weight for c in relevant),
        tuple(c for c in relevant if c.compelled_access),
        _articles(sorted({a for c in relevant for a in c.articles})),
        "; ".join(c.label for c in relevant),
        "; ".join(dict.fromkeys(c.mitigation for c in relevant)),
        tuple(c.id for c in relevant),
    )


def _basis(
    state: LegalFramework, country: str, sector: str | None, agency: bool, capabilities: Capabilities
) -> Concerns:
    """The concerns that bear on an item of these capabilities for an end user of this
    destination, sector and kind: all the basis reads (not the end user's name or government
    link, nor the item's name or place in the deal). The destinations and sectors that make
    the same concerns bear share one object (a bearing's key holds it)."""
    key = (country, sector, agency, capabilities)
    basis = state.bases.get(key)
    if basis is None:
        basis = state.bases.keep(
            key, _concerns(state.data.bearing(country, sector, not agency, capabilities))
        )
    return basis


def _bearings(
    reviewed: Reviewed,
    views: Sequence[ItemView],
    capabilities: Sequence[Capabilities],
    transaction: Transaction,
    state: LegalFramework,
    config: Mapping[str, Any],
) -> tuple[Bearing, ...]:
    """What bears on each item (the views are in the items' order): one object per distinct
    bearing, remembered by all it reads: the item's view, the concerns that bear on it (see
    _basis), the end user's government link, and what is missing of the contract's clauses
    and the item's design safeguards that mitigate them."""
    clauses = transaction.contract.clauses
    made = state.bearings
    country, sector, agency, linked = reviewed.country, reviewed.sector, reviewed.agency, reviewed.linked
    bearings = []
    for view, held, item in zip(views, capabilities, transaction.items, strict=True):
        basis = _basis(state, country, sector, agency, held)
        key = (
            view,
            basis,
            linked,
            tuple(_filterfalse(clauses.__contains__, basis.clauses)) if basis.clauses else (),
            tuple(_filterfalse(item.design_safeguards.__contains__, basis.design)) if basis.design else (),
        )
        bearing = made.get(key)
        if bearing is None:
            bearing = made.keep(key, _bearing(*key, config["concerns_escalate_at"]))
        bearings.append(bearing)
    return tuple(bearings)


def _bearing(
    view: ItemView,
    found: Concerns,
    linked: bool,
    missing_clauses: tuple[str, ...],
    missing_design: tuple[str, ...],
    escalate_at: int,
) -> Bearing:
    outcome = concern_outcome(
        view.potential,
        found.weight,
        linked,
        escalate_at,
        unmitigated=bool(missing_clauses or missing_design),
    )
    return Bearing(
        view,
        found,
        missing_clauses,
        missing_design,
        outcome,
        (_RANK[outcome], view.potential, found.weight),
        (view.quoted, found),
    )


_RANK = {Outcome.PASS: 0, Outcome.INFO: 1, Outcome.SAFEGUARDS_REQUIRED: 2, Outcome.ESCALATE: 3}
_WORST = operator.attrgetter("rank")
_filterfalse = itertools.filterfalse  # what is missing, without a generator per item


@attrs.frozen
class Framing:
    """What every concerns finding about one end user reviewed says whatever the items: the
    destination as named in messages, the evidence before the items' and after it."""

    country: str
    opening: tuple[Evidence, ...]
    closing: tuple[Evidence, ...]


def _framing(reviewed: Reviewed, status: IccprStatus, state: LegalFramework) -> Framing:
    """The framing of the concerns findings about ``reviewed``, remembered by it (the status
    follows from its country)."""
    framing = state.framings.get(reviewed)
    if framing is None:
        data = state.data
        row = data.countries[reviewed.country]
        opening = {
            **_base_evidence(reviewed, status),
            "destination.surveillance_law_concerns": [c.id for c in data.concerns_of(reviewed.country)],
        }
        closing = {"surveillance_laws.basis": row.basis, "surveillance_laws.as_of": row.as_of.isoformat()}
        if row.note:
            closing["surveillance_laws.note"] = row.note
        framing = state.framings.keep(
            reviewed,
            Framing(
                _country(status),
                tuple(Evidence(*pair) for pair in opening.items()),
                tuple(Evidence(*pair) for pair in closing.items()),
            ),
        )
    return framing


def _concerns_finding(
    reviewed: Reviewed,
    status: IccprStatus,
    worst: Bearing,
    bearings: Sequence[Bearing],
    state: LegalFramework,
) -> Finding:
    """The finding about the concerns that bear on the items (``worst`` the first of the worst
    bearings, which does not pass)."""
    outcome = worst.outcome
    framing = _framing(reviewed, status, state)
    potential = worst.view.potential
    evidence = (
        *framing.opening,
        Evidence("bearing_on_items", {b.view.path: list(b.basis.ids) for b in bearings if b.basis.concerns}),
        *[b.view.quoted for b in bearings],
        *framing.closing,
    )
    intro = (
        f"The surveillance laws and practices of {framing.country} raise documented concerns under ICCPR articles "
        f"{worst.basis.articles} that bear on {worst.view.name!r} (misuse potential {potential}/5): "
        f"{worst.basis.described}"
    )
    missing = [*worst.missing_clauses, *worst.missing_design]
    remedy = worst.basis.remedy
    remediation: str | None = f"Before export: {remedy}" + (
        f" (missing: {', '.join(missing)})." if missing else "."
    )
    severity = _severity_for(outcome, potential)
    if not reviewed.linked:
        compelled = [c for b in bearings for c in b.basis.compelled]
        if compelled and any(b.basis.compelled and b.view.potential >= 3 for b in bearings):
            severity = Severity.MEDIUM
        if compelled:
            ids = ", ".join(sorted({c.id for c in compelled}))
            message = (
                f"{intro}. {reviewed.name} is neither a government end user nor known to be close to one "
                f"({reviewed.link_reason}), but the law lets the authorities reach data that companies hold "
                f"({ids}): what the items collect could end up with the security services."
            )
            remediation = (
                "Agree how the data the items collect is stored, protected and disclosed (data_handling), keep as "
                "little as the use needs (data_minimisation), and ask the customer how it answers demands for access."
            )
        else:
            message = (
                f"{intro}. {reviewed.name} is neither a government end user nor known to be close to one "
                f"({reviewed.link_reason}), which the guidance's review of laws targets; recorded for the file."
            )
            remediation = None
    elif outcome is Outcome.ESCALATE:
        message = (
            f"{intro}. {reviewed.name} is government-linked ({reviewed.link_reason}): before export, review how "
            "its use of the item would be authorised, overseen and open to remedy, since the law does not "
            "assure it."
        )
    elif outcome is Outcome.SAFEGUARDS_REQUIRED:
        message = (
            f"{intro}. {reviewed.name} is government-linked ({reviewed.link_reason}): the contract and design "
            f"must supply what the law does not; missing: {', '.join(missing)}."
        )
    else:
        message = (
            f"{intro}. {reviewed.name} is government-linked ({reviewed.link_reason}); the contract and design "
            "already provide the safeguards these concerns call for."
        )
        remediation = None
    return Finding(
        rule_id=CONCERNS,
        outcome=outcome,
        severity=severity,
        message=message,
        evidence=evidence,
        guidance=(CONSIDERATION_4, ALIGNMENT, COMMENSURATE),
        remediation=remediation,
        subject=reviewed.path,
    )


@functools.lru_cache(maxsize=1024)
def _set_aside(data: LegalData, code: str, sector: str | None) -> str:
    """Why each concern on record for a country was set aside (none bears on the items)."""
    row = data.countries[code]
    reasons = []
    for concern in data.concerns_of(code):
        scope = row.sector_scope.get(concern.id)
        if scope is not None and not row.applies_to(concern.id, sector):
            reasons.append(f"{concern.id} is about the {', '.join(sorted(scope))} sectors, not {sector}")
        else:
            reasons.append(f"{concern.id} is not about these items' capabilities")
    return "; ".join(reasons)


def _reviewed_finding(
    reviewed: Reviewed, status: IccprStatus, views: Sequence[ItemView], data: LegalData
) -> Finding:
    """Negative assurance: what was reviewed, and why nothing bears on the items."""
    concerns = data.concerns_of(reviewed.country)
    country = _country(status)
    if concerns:
        row = data.countries[reviewed.country]
        found = (
            f"the surveillance-law concerns on record for it (as of {row.as_of}) do not bear on "
            f"{_item_names(views)}: {_set_aside(data, reviewed.country, reviewed.sector)}"
        )
    else:
        found = (
            "the surveillance-law data documents no concern for it (absence from the data is not a clean bill: "
            "it covers what the named public sources document)"
        )
    return Finding(
        rule_id=REVIEWED,
        outcome=Outcome.INFO,
        severity=Severity.NONE,
        message=f"Reviewed the legal framework for {reviewed.name}: {country} is {_status_text(status, data)}, and {found}.",
        evidence={
            **_base_evidence(reviewed, status),
            "destination.surveillance_law_concerns": [c.id for c in concerns],
            **_potential_evidence(views),
        },
        guidance=(CONSIDERATION_4, ALIGNMENT),
        subject=reviewed.path,
    )


def _data_age(data: LegalData, config: Mapping[str, Any], reference: Reference) -> Finding | None:
    """Each file's facts hold as of its ``[meta] as_of`` (else its ``date``): older than
    ``max_age_days`` before the transaction date (or today) is worth a look."""
    limit = config["max_age_days"]
    dated = (
        (data.iccpr_dataset, "iccpr.as_of", data.iccpr_as_of),
        (data.surveillance_dataset, "surveillance_laws.as_of", data.surveillance_as_of),
    )
    old = [(dataset, path, as_of, reference.days_since(as_of)) for dataset, path, as_of in dated]
    old = [entry for entry in old if entry[3] > limit]
    if not old:
        return None
    oldest = max(days for *_, days in old)
    return Finding(
        rule_id=DATA_AGE,
        outcome=Outcome.INFO,
        severity=Severity.LOW,
        message=f"Country data is {oldest} days old against {reference.against(with_date=False)} (limit {limit} days): "
        + "; ".join(
            f"{d.name} {d.version} ({d.path}) holds as of {as_of}, {days} days" for d, _, as_of, days in old
        )
        + ". Check its sources for changes before relying on it.",
        evidence={
            "transaction.date": reference.date.isoformat() if reference.dated else None,
            **{path: as_of.isoformat() for _, path, as_of, _ in old},
            "max_age_days": limit,
        },
        guidance=(CONSIDERATION_4,),
        remediation="Refresh the ICCPR status and surveillance-law data from their sources, or point the policy at "
        "the team's current files.",
    )
