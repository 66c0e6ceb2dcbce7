"""hrdd-stakeholders: who is really on the other side of the deal.

Covers consideration 5 of the Draft Guidance (review the stakeholders of the transaction,
the end user and intermediaries such as distributors and resellers, with BIS's "Know Your
Customer" guidance), its two red flags (an end user that is not a government but is close
to one with a reputation for abuses; a stated end user that is likely not the only end
user) and the trend towards greater scrutiny of state-operated enterprises.

Screening names against restricted-party lists is not done here: that needs the lists and
belongs to a screening plugin. This plugin weighs what the transaction says about its
stakeholders, and treats every question it leaves open as unknown, never as clear.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from hrdd import (
    KYC_QUESTIONS,
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
from hrdd.memory import Memory, Sightings
from hrdd_stakeholders.rules import StakeholderRules, default_data_path, rules_for

STAKEHOLDERS = "draft-2019:consideration-5"
RED_FLAG_CLOSE = "draft-2019:red-flag-1"
RED_FLAG_OTHERS = "draft-2019:red-flag-2"
SOE_TREND = "draft-2019:trend-soe"
CLAUSES = (STAKEHOLDERS, RED_FLAG_CLOSE, RED_FLAG_OTHERS, SOE_TREND)

RULES = (
    RuleInfo("HRDD-STK-001", "BIS Know Your Customer red flag observed and not resolved", (STAKEHOLDERS,)),
    RuleInfo(
        "HRDD-STK-002",
        "BIS red flag pointing at a restricted-party listing (similar name, shared management, "
        "successor, owner)",
        (STAKEHOLDERS,),
    ),
    RuleInfo("HRDD-STK-003", "BIS Know Your Customer questions left unanswered", (STAKEHOLDERS,)),
    RuleInfo(
        "HRDD-STK-004",
        "End user is not a government but is close to one; weighed with the destination's record",
        (RED_FLAG_CLOSE, STAKEHOLDERS),
    ),
    RuleInfo(
        "HRDD-STK-005",
        "State-owned enterprise buying items with surveillance capabilities",
        (SOE_TREND, RED_FLAG_CLOSE),
    ),
    RuleInfo(
        "HRDD-STK-006",
        "End user's type or relationship to a government not established",
        (STAKEHOLDERS, RED_FLAG_CLOSE),
    ),
    RuleInfo(
        "HRDD-STK-007",
        "Stated end user is likely not the only end user; names the others",
        (RED_FLAG_OTHERS, STAKEHOLDERS),
    ),
    RuleInfo(
        "HRDD-STK-008",
        "Whether the stated end user is the only end user is not established",
        (RED_FLAG_OTHERS, STAKEHOLDERS),
    ),
    RuleInfo(
        "HRDD-STK-009",
        "Related party (shared directors, owner, predecessor) whose listed-party question is open",
        (STAKEHOLDERS,),
    ),
    RuleInfo("HRDD-STK-010", "Intermediary whose role makes the chain of custody opaque", (STAKEHOLDERS,)),
    RuleInfo(
        "HRDD-STK-011",
        "Party in a country other than the end user's and the exporter's without an evident reason",
        (STAKEHOLDERS,),
    ),
    RuleInfo("HRDD-STK-012", "Parties whose country is not given", (STAKEHOLDERS,)),
)

CONFIG_SCHEMA: dict[str, Any] = {
    "data": {"type": "string", "nullable": True, "default": None, "empty": False, "meta": {"path": True}},
    "unanswered_kyc": {
        "type": "string",
        "allowed": ["info", "safeguards_required", "escalate"],
        "default": "info",
    },
    "sensitive_at": {"type": "integer", "min": 1, "max": 5, "default": 3},
    "high_potential_at": {"type": "integer", "min": 1, "max": 5, "default": 5},
    "max_parties_without_country": {"type": "integer", "min": 0, "default": 0},
}

FACTS = (
    "end_user.government_linked",
    "stakeholders.red_flags",
    "stakeholders.unanswered_kyc",
    "stakeholders.opacity",
)
RISK_TIER = "destination.risk_tier"
RISK_TIERS = ("low", "moderate", "high", "very_high")

GOVERNMENT_TYPES = frozenset({"government_agency", "state_owned_enterprise", "private_close_to_government"})
CLOSE_RELATIONSHIPS = {
    "contractor": "a contractor to the government",
    "partially_owned": "partly owned by the state",
    "state_controlled": "controlled by the state",
}
STATE_OWNERSHIP = frozenset({"partially_owned", "state_controlled"})
UNESTABLISHED_TYPES = (None, "unknown")
NON_GOVERNMENT_TYPES = frozenset({"private", "ngo", "academic", "individual"})
LISTED_FLAG_FOR_RELATIONSHIP = {
    "director_overlap": "management_overlap_with_listed_party",
    "ownership": "owned_by_listed_party",
    "successor": "assumes_listed_party_operations",
}
RELATIONSHIP_WORDS = {
    "director_overlap": "shares directors or officers with",
    "ownership": "is linked by ownership to",
    "successor": "has taken over the operations of, or been taken over by,",
    "other": "is related to",
    None: "is related to",
}
FORWARDER_FLAG = "freight_forwarder_final_destination"
UNCLASSIFIED_POTENTIAL = 5  # an item nobody classified counts as the gravest (fail closed)

_SEVERITY_FOR_OUTCOME = {
    Outcome.INFO: Severity.LOW,
    Outcome.SAFEGUARDS_REQUIRED: Severity.MEDIUM,
    Outcome.ESCALATE: Severity.HIGH,
}
_OUTCOME_ORDER = (Outcome.INFO, Outcome.SAFEGUARDS_REQUIRED, Outcome.ESCALATE)


@hookimpl
def hrdd_plugin_info() -> PluginInfo:
    return PluginInfo(
        clauses=CLAUSES,
        rules=RULES,
        config_schema=CONFIG_SCHEMA,
        description="Reviews the end user, the other end users, every party, intermediary and related "
        "party, and the BIS Know Your Customer red flags (an unanswered question is missing diligence).",
        publishes=FACTS,
    )


@hookimpl
def hrdd_configure(config: Mapping[str, Any], policy_dir: Path) -> PluginSetup:
    path = default_data_path() if config["data"] is None else policy_dir / config["data"]
    rules = rules_for(path)
    return PluginSetup(data=(rules.dataset,), state=Stakeholders(rules))


@attrs.frozen
class Stakeholders:
    """The plugin's state in one engine: the rules, and what the checks worked out with them,
    each remembered by exactly what it reads. One per engine (engines that load the same file
    share the rules, not these memories), so no key needs one of the engine's config values or
    data.

    Each part of hrdd_check_end_user's answer is remembered on its own, by what its builder
    reads and nothing more: an order book's deals repeat a customer's KYC answers, a
    distributor's place in the chain or a framework contract far more often than they repeat
    all of them together (with the items, the parties and the contract of one deal), which a
    memory of whole answers alone would need (it is kept besides, for a small exporter's deals,
    which do repeat it: see hrdd_check_end_user). Those that name the customer have its name
    in their key; those that do not (the intermediaries') are shared by every customer in the
    same country buying at the same stakes."""

    rules: StakeholderRules
    # Small values that many findings share, kept at once.
    stakes: Memory[tuple[Any, ...], Stakes] = attrs.field(factory=lambda: Memory(STAKES_SIZE), repr=False)
    opacities: Memory[tuple[Any, ...], Opacity] = attrs.field(
        factory=lambda: Memory(OPACITIES_SIZE), repr=False
    )
    facts: Memory[tuple[Any, ...], dict[str, Any]] = attrs.field(factory=Memory, repr=False)
    # The parts whose key holds no more of the deal than the customer and its answers (not its
    # items, parties or contract), kept at once: a customer's next deal finds them.
    kyc_flags: Memory[tuple[Any, ...], tuple[Finding, ...]] = attrs.field(factory=Memory, repr=False)
    end_user_types: Memory[tuple[Any, ...], tuple[Finding, ...]] = attrs.field(
        factory=lambda: Memory(FINDINGS_SIZE), repr=False
    )
    other_end_users: Memory[tuple[Any, ...], Finding] = attrs.field(factory=Memory, repr=False)
    related: Memory[tuple[Any, ...], tuple[Finding, ...]] = attrs.field(factory=Memory, repr=False)
    # The parts whose key holds the stakes' weight (which follows a deal's items) or the
    # contract's clauses (for a contract seen before, see hrdd_check_end_user), kept once their
    # key recurs (hrdd.memory.Memory.keep_recurring): on an order book, two keys in three
    # come once (a customer's rare combination of items, an amended contract), and keeping
    # those would hold some 25,000 findings (over 200 MiB) in 30,000 deals for nothing.
    unanswered_kyc: Memory[tuple[Any, ...], tuple[Finding, ...]] = attrs.field(
        factory=lambda: Memory(FINDINGS_SIZE), repr=False
    )
    intermediaries: Memory[tuple[Any, ...], tuple[Finding, ...]] = attrs.field(
        factory=lambda: Memory(FINDINGS_SIZE), repr=False
    )
    close_to_government: Memory[tuple[Any, ...], Finding] = attrs.field(
        factory=lambda: Memory(FINDINGS_SIZE), repr=False
    )
    state_owned: Memory[tuple[Any, ...], Finding] = attrs.field(
        factory=lambda: Memory(FINDINGS_SIZE), repr=False
    )
    sole_end_user_unknown: Memory[tuple[Any, ...], Finding] = attrs.field(
        factory=lambda: Memory(FINDINGS_SIZE), repr=False
    )
    # hrdd_check_end_user's whole answers, by everything their parts read, kept once their
    # key recurs; and the contracts seen, by their clauses (see hrdd_check_end_user).
    answers: Memory[tuple[Any, ...], tuple[Finding, ...]] = attrs.field(
        factory=lambda: Memory(ANSWERS_SIZE), repr=False
    )
    contracts: Sightings = attrs.field(factory=lambda: Sightings(CONTRACTS_NOTED), repr=False)
    # The last transaction's opacity, with the transaction (one slot of a list, replaced whole):
    # the facts hook and the end-user check both ask for it.
    last_opacity: list[tuple[Any, Opacity | None]] = attrs.field(factory=lambda: [(None, None)], repr=False)


# The memories' bounds (see hrdd.memory.Memory). Stakes and opacities are small values: an
# order book's items and end users give some 1,400 stakes, its distributors and destinations
# some 1,800 opacities in 30,000 deals. The findings' memories see up to some 3,700 recurring
# keys each in 30,000 deals; at about 9 KiB a finding (with the engine's enforced copy and the
# report's JSON of it) they keep the 2,048 built most recently (see hrdd.memory), some 18 MiB
# each however long the batch. The whole answers hold findings the parts' memories hold too,
# but for those forgotten since.
STAKES_SIZE = 4096
OPACITIES_SIZE = 4096
FINDINGS_SIZE = 2048
ANSWERS_SIZE = 2048
# The contracts the end-user check notes (forgotten all at once when full).
CONTRACTS_NOTED = 4096


# --------------------------------------------------------------------------------------
# Reading the transaction
# --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def country_name(code: str | None) -> str:
    """'Venezuela (VE)': a country as a message names it."""
    if code is None:
        return "an unknown country"
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return f"{getattr(country, 'common_name', None) or country.name} ({code})"


def government_link(transaction: Transaction) -> tuple[bool, str]:
    """Whether the end user is a government or close to one (the ``end_user.government_linked``
    fact), and why. An end user whose type is not established counts as government-linked."""
    end_user = transaction.end_user
    if end_user.type in GOVERNMENT_TYPES:
        return True, f"end_user.type = {end_user.type}"
    if end_user.government_relationship in CLOSE_RELATIONSHIPS:
        return True, f"end_user.government_relationship = {end_user.government_relationship}"
    if end_user.type in UNESTABLISHED_TYPES:
        return True, "end_user.type not established (treated as government-linked until it is)"
    return False, f"end_user.type = {end_user.type}"


def closeness(transaction: Transaction) -> str | None:
    """How an end user that is not itself a government is close to one (red flag 1), or None."""
    end_user = transaction.end_user
    if end_user.type == "state_owned_enterprise":
        return "a state-owned enterprise"
    if end_user.type == "private_close_to_government":
        return "a private company close to the government"
    if end_user.type in NON_GOVERNMENT_TYPES and end_user.government_relationship in CLOSE_RELATIONSHIPS:
        return CLOSE_RELATIONSHIPS[end_user.government_relationship]
    return None


def is_state_owned(transaction: Transaction) -> bool:
    end_user = transaction.end_user
    if end_user.type == "state_owned_enterprise":
        return True
    return (
        end_user.type not in (*UNESTABLISHED_TYPES, "government_agency")
        and end_user.government_relationship in STATE_OWNERSHIP
    )


@attrs.frozen(cache_hash=True)  # remembered and used in keys: hashed once
class Stakes:
    """How much rides on the stakeholder review: the items' misuse potential and the end
    user's link to a government, read once per check."""

    potential: int
    top_item: str
    unclassified: tuple[str, ...]
    linked: bool
    link_reason: str
    facilitates: bool  # potential at or above ``sensitive_at``: the item could serve abuses
    sensitive: bool
    sensitive_reason: str
    # What a finding that gives the stakes' evidence and weighs them by sensitivity and
    # capability reads of them: (potential, linked, unclassified, sensitive). In the keys of
    # the findings that name no item, so that deals whose top item differs share them.
    weight: tuple[int, bool, tuple[str, ...], bool]

    def evidence(self) -> dict[str, Any]:
        evidence: dict[str, Any] = {
            "misuse_potential": self.potential,
            "end_user.government_linked": self.linked,
        }
        if self.unclassified:
            evidence["unclassified_items"] = list(self.unclassified)
        return evidence

    @property
    def capable(self) -> bool:
        """At least one item has a surveillance capability (or could not be classified)."""
        return self.potential >= 1


def stakes_of(transaction: Transaction, context: CheckContext) -> Stakes:
    """How much rides on the review: the highest misuse potential (an item nobody classified
    counts as 5), the first item that has it, the items not classified, and the end user's
    link to a government, weighed with the thresholds. Worked out once per distinct key."""
    profiles = context.profiles
    potential, top_item, unclassified = -1, "", []
    for item in transaction.items:
        profile = profiles.get(item.id)
        if profile is None:
            unclassified.append(item.id)
            item_potential = UNCLASSIFIED_POTENTIAL
        else:
            item_potential = profile.misuse_potential
        if item_potential > potential:
            potential, top_item = item_potential, item.name
    end_user = transaction.end_user
    key = (potential, top_item, tuple(unclassified), end_user.type, end_user.government_relationship)
    memory = context.state.stakes
    found: Stakes | None = memory.get(key)
    if found is None:
        found = memory.keep(key, _stakes(key, government_link(transaction), context.config))
    return found


def _stakes(key: tuple[Any, ...], link: tuple[bool, str], config: Mapping[str, Any]) -> Stakes:
    potential, top_item, unclassified, _type, _relationship = key
    sensitive_at, high_potential_at = config["sensitive_at"], config["high_potential_at"]
    linked, link_reason = link
    if linked and potential >= sensitive_at:
        sensitive, why = (
            True,
            f"{top_item!r} (misuse potential {potential}/5) for a government-linked end user",
        )
    elif potential >= high_potential_at:
        sensitive, why = True, f"{top_item!r} (misuse potential {potential}/5)"
    else:
        end_user = "a government-linked" if linked else "a non-government"
        sensitive, why = False, f"misuse potential {potential}/5 for {end_user} end user"
    if unclassified:
        why += f"; items {', '.join(unclassified)} were not classified and count as misuse potential 5"
    facilitates = potential >= sensitive_at
    weight = (potential, linked, unclassified, sensitive)
    return Stakes(potential, top_item, unclassified, linked, link_reason, facilitates, sensitive, why, weight)


@attrs.frozen
class PartyView:
    """One party as the opacity review sees it."""

    index: int
    party: Any  # the transaction's Party (not part of hrdd's public names)
    points: int
    third_country: bool  # established in a country other than the end user's and the exporter's
    role_opaque: bool  # its role (not only its location) obscures who receives the items
    reasons: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"parties[{self.index}]"


@attrs.frozen(cache_hash=True)  # remembered and used in keys: hashed once
class Opacity:
    parties: tuple[PartyView, ...]
    points: int
    level: str
    home: tuple[str, ...]  # the countries a party may sit in without needing a reason
    unnamed_forwarder: bool  # the KYC answers name a forwarder as final destination, parties do not
    opaque: bool  # the opaque_intermediary red flag: what the facts read of the opacity besides its level


def opacity_of(transaction: Transaction, state: Stakeholders) -> Opacity:
    """Opacity points of every party and the level they add up to (the data's role weights),
    worked out once per distinct key: the parties, the end user's and exporter's countries
    and whether the KYC answers name a forwarder as the final destination. The facts hook
    and the end-user check ask for the same transaction's: the second gets the first's."""
    last = state.last_opacity[0]
    if last[0] is transaction and last[1] is not None:
        return last[1]
    key = (
        transaction.parties,
        transaction.end_user.country,
        transaction.exporter.country if transaction.exporter else None,
        transaction.kyc.answer(FORWARDER_FLAG) is True,
    )
    found: Opacity | None = state.opacities.get(key)
    if found is None:
        found = state.opacities.keep(key, _opacity_of(transaction, state.rules))
    state.last_opacity[0] = (transaction, found)
    return found


def _opacity_of(transaction: Transaction, rules: StakeholderRules) -> Opacity:
    exporter_country = transaction.exporter.country if transaction.exporter else None
    home = tuple(sorted({transaction.end_user.country} | ({exporter_country} if exporter_country else set())))
    forwarder_final = transaction.kyc.answer(FORWARDER_FLAG) is True
    views = []
    total = 0
    for index, party in enumerate(transaction.parties):
        weight = rules.roles[party.role]
        role = party.role.replace("_", " ")
        points = weight.present
        reasons = [weight.note] if weight.present else []
        third = party.country is not None and party.country not in home
        role_opaque = weight.present > 0
        if party.country is None:
            points += max(weight.third_country, 1)
            reasons.append("its country is not given")
        elif third and weight.third_country:
            points += weight.third_country
            reasons.append(
                f"{role} in {country_name(party.country)}, outside the end user's and exporter's countries"
            )
            role_opaque = role_opaque or weight.third_country >= 2
            if weight.third_country >= 2:
                reasons.append(weight.note)
        if party.role == "freight_forwarder" and forwarder_final:
            points += rules.forwarder_final_points
            role_opaque = True
            reasons.append("the KYC answers name a freight forwarder as the final destination")
        total += points
        views.append(PartyView(index, party, points, third, role_opaque, tuple(reasons)))
    unnamed_forwarder = forwarder_final and not any(
        p.role == "freight_forwarder" for p in transaction.parties
    )
    if unnamed_forwarder:
        total += rules.forwarder_final_points
    opaque = unnamed_forwarder or any(view.role_opaque and view.points >= 2 for view in views)
    return Opacity(tuple(views), total, rules.opacity_level(total), home, unnamed_forwarder, opaque)


def other_end_users_flagged(transaction: Transaction) -> bool:
    end_user = transaction.end_user
    return end_user.sole_end_user is False or bool(end_user.other_end_users)


def related_parties(transaction: Transaction) -> Iterable[tuple[str, str, Any]]:
    """(path, owner name, related party) for the end user's and every party's related parties."""
    for index, related in enumerate(transaction.end_user.related_parties):
        yield f"end_user.related_parties[{index}]", transaction.end_user.name, related
    for p_index, party in enumerate(transaction.parties):
        for index, related in enumerate(party.related_parties):
            yield f"parties[{p_index}].related_parties[{index}]", party.name, related


def _parties_related(transaction: Transaction) -> bool:
    """Whether a party names a related party (in most deals none does)."""
    return any(party.related_parties for party in transaction.parties)


def party_links(transaction: Transaction) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """What related_parties reads of the parties: each party's name and related parties, by
    position, or () when no party names a related party (as in most deals)."""
    if not _parties_related(transaction):
        return ()
    return tuple((party.name, party.related_parties) for party in transaction.parties)


def listed_link(transaction: Transaction) -> bool:
    """Whether a related party's relationship is one a listed-party question asks about and
    the KYC answers say yes (the related_party_listed_overlap red flag)."""
    if not transaction.end_user.related_parties and not _parties_related(transaction):
        return False
    for _path, _owner, related in related_parties(transaction):
        question = LISTED_FLAG_FOR_RELATIONSHIP.get(related.relationship)
        if question is not None and transaction.kyc.answer(question) is True:
            return True
    return False


def red_flags(transaction: Transaction, opacity: Opacity) -> list[str]:
    """KYC questions answered true plus the flags derived from the transaction."""
    flags = set(transaction.kyc.flagged)
    if other_end_users_flagged(transaction):
        flags.add("not_sole_end_user")
    if listed_link(transaction):
        flags.add("related_party_listed_overlap")
    if opacity.opaque:
        flags.add("opaque_intermediary")
    return sorted(flags)


# --------------------------------------------------------------------------------------
# Facts for other plugins
# --------------------------------------------------------------------------------------


@hookimpl
def hrdd_transaction_facts(transaction: Transaction, context: CheckContext) -> Mapping[str, Any]:
    """The facts, worked out once per distinct key: everything they read (the end user's type
    and relationship, whether others use the items, the KYC answers, whether a related party's
    link to a listing is confirmed, and of the opacity, its level and whether it raises the
    red flag). Not the parties or the countries: the opacity, which reads them, is remembered
    on its own (and read back by the end-user check)."""
    state: Stakeholders = context.state
    end_user = transaction.end_user
    opacity = opacity_of(transaction, state)
    key = (
        end_user.type,
        end_user.government_relationship,
        other_end_users_flagged(transaction),
        transaction.kyc.answers,
        listed_link(transaction),
        opacity.level,
        opacity.opaque,
    )
    found = state.facts.get(key)
    if found is None:
        found = state.facts.keep(key, _facts(transaction, opacity))
    return dict(found)


def _facts(transaction: Transaction, opacity: Opacity) -> dict[str, Any]:
    return {
        "end_user.government_linked": government_link(transaction)[0],
        "stakeholders.red_flags": red_flags(transaction, opacity),
        "stakeholders.unanswered_kyc": sorted(transaction.kyc.unanswered),
        "stakeholders.opacity": opacity.level,
    }


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------


def _finding(
    rule_id: str,
    outcome: Outcome,
    message: str,
    evidence: Mapping[str, Any],
    guidance: tuple[str, ...],
    remediation: str | None,
    subject: str,
    severity: Severity | None = None,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        outcome=outcome,
        severity=severity or _SEVERITY_FOR_OUTCOME[outcome],
        message=message,
        evidence=dict(evidence),
        guidance=guidance,
        remediation=remediation,
        subject=subject,
    )


def _listing(names: Iterable[str]) -> str:
    return ", ".join(names)


@hookimpl
def hrdd_check_end_user(transaction: Transaction, context: CheckContext) -> Sequence[Finding]:
    """Every check, in order, each remembered on its own by what it reads (see Stakeholders):
    a deal gets the very findings of the deals before it that share those inputs, whatever
    else differs. The whole answer (one tuple, which the engine reuses whole when it comes
    back) is remembered too, by everything its parts read, once that recurs: a small
    exporter's deals repeat it; an order book's hardly ever do, and then each part is looked
    up on its own. A deal with a risk tier no plugin of hrdd publishes goes without the whole
    answer's memory.

    Whatever reads the contract is looked up and kept only for a contract seen before (by
    its clauses, with any customer): a company's framework contracts come back deal after
    deal, but where every deal lists clauses of its own, no such key ever recurs: the lookups
    would only add to every deal's cost, and the findings kept would only be copied by the
    engine (a finding a plugin keeps cannot be filled in place) and gone through by the
    collector. The first deal with a contract builds those parts afresh and notes the
    contract; from the next one on, each is kept once it comes twice."""
    state: Stakeholders = context.state
    stakes = stakes_of(transaction, context)
    opacity = opacity_of(transaction, state)
    clauses = transaction.contract.clauses
    if state.contracts.first(clauses):  # the first deal with this contract: noted only
        return _answer(transaction, context, stakes, opacity, remember=False)
    tier = context.fact(RISK_TIER)
    if tier is not None and type(tier) is not str:
        return _answer(transaction, context, stakes, opacity)
    end_user = transaction.end_user
    # The opacity holds the parties (related parties included) as its views hold them, and
    # both countries; the stakes, all the checks read of the items and the end user's link.
    key = (
        stakes,
        opacity,
        end_user.name,
        end_user.type,
        end_user.government_relationship,
        end_user.country,
        end_user.related_parties,
        end_user.sole_end_user,
        end_user.other_end_users,
        transaction.kyc.answers,
        clauses,
        tier,
        context.fact_source(RISK_TIER),
    )
    answer = state.answers.get(key)
    if answer is None:
        answer = state.answers.keep_recurring(key, tuple(_answer(transaction, context, stakes, opacity)))
    return answer


def _answer(
    transaction: Transaction, context: CheckContext, stakes: Stakes, opacity: Opacity, remember: bool = True
) -> list[Finding]:
    """The end-user check's answer, part by part (what reads the contract is remembered unless
    ``remember`` is false)."""
    state: Stakeholders = context.state
    findings: list[Finding] = []
    if transaction.kyc.flagged:
        findings += check_kyc_flags(transaction, state, stakes)
    findings += check_unanswered_kyc(transaction, context, stakes)
    findings += check_end_user_type(transaction, state, stakes)
    findings += check_close_to_government(transaction, context, stakes, remember)
    findings += check_state_owned(transaction, state, stakes, remember)
    findings += check_other_end_users(transaction, state, stakes, remember)
    findings += check_related_parties(transaction, state, stakes)
    findings += check_intermediaries(transaction, context, opacity, stakes)
    return findings


# ---- BIS Know Your Customer -----------------------------------------------------------


def check_kyc_flags(transaction: Transaction, state: Stakeholders, stakes: Stakes) -> tuple[Finding, ...]:
    """Every flag answered true is an unresolved red flag: inquire, do not self-blind, refrain
    or ask BIS if it cannot be resolved. That is a human's decision: escalate. Remembered by
    what it reads: the end user's name, the KYC answers, the related parties (a listed-party
    flag names them, with their owners) and the stakes' weight."""
    key = (
        transaction.end_user.name,
        transaction.kyc.answers,
        transaction.end_user.related_parties,
        party_links(transaction),
        stakes.weight,
    )
    found = state.kyc_flags.get(key)
    if found is None:
        found = state.kyc_flags.keep(key, tuple(_kyc_flags(transaction, state.rules, stakes)))
    return found


def _kyc_flags(transaction: Transaction, rules: StakeholderRules, stakes: Stakes) -> list[Finding]:
    name = transaction.end_user.name
    findings = []
    flagged = set(transaction.kyc.flagged)
    for question in KYC_QUESTIONS:
        if question not in flagged:
            continue
        flag = rules.kyc[question]
        severity = flag.severity
        if stakes.sensitive and severity is Severity.MEDIUM:
            severity = Severity.HIGH
        evidence: dict[str, Any] = {f"kyc.{question}": True, "end_user.name": name}
        if flag.listed_party:
            related = [
                (path, owner, rel)
                for path, owner, rel in related_parties(transaction)
                if flag.relationship is not None and rel.relationship == flag.relationship
            ]
            named = ""
            if related:
                named = " The transaction names " + "; ".join(
                    f"{rel.name} ({RELATIONSHIP_WORDS[rel.relationship]} {owner})"
                    for _p, owner, rel in related
                )
                named += ", the likely link to the listing."
                for path, _owner, rel in related:
                    evidence[path] = rel.name
            message = (
                f"BIS red flag about a restricted-party listing for {name}: {flag.label} "
                f"(kyc.{question} = true).{named} A listing can carry licence requirements that "
                "contractual safeguards do not lift; the match has to be resolved before the deal goes further."
            )
            rule_id = "HRDD-STK-002"
        else:
            message = (
                f"BIS red flag observed for the deal with {name}: {flag.label} (kyc.{question} = true). "
                "Under the Know Your Customer guidance a red flag must be inquired into and resolved, "
                "not set aside; until it is, the deal cannot be cleared."
            )
            rule_id = "HRDD-STK-001"
        evidence.update(stakes.evidence())
        findings.append(
            _finding(
                rule_id,
                Outcome.ESCALATE,
                message,
                evidence,
                (STAKEHOLDERS,),
                flag.inquiry,
                f"kyc.{question}",
                severity,
            )
        )
    return findings


def check_unanswered_kyc(
    transaction: Transaction, context: CheckContext, stakes: Stakes
) -> tuple[Finding, ...]:
    """An unanswered question is missing diligence, not a clear answer. It escalates for a
    sensitive deal; otherwise the policy's ``unanswered_kyc`` outcome applies. Remembered by
    what it reads: the end user's name, the KYC answers, the stakes' weight and the reason
    they are (or are not) sensitive, which names the top item only when it weighs."""
    key = (transaction.end_user.name, transaction.kyc.answers, stakes.weight, stakes.sensitive_reason)
    memory: Memory[tuple[Any, ...], tuple[Finding, ...]] = context.state.unanswered_kyc
    found = memory.get(key)
    if found is None:
        found = memory.keep_recurring(key, tuple(_unanswered_kyc(transaction, context, stakes)))
    return found


def _unanswered_kyc(transaction: Transaction, context: CheckContext, stakes: Stakes) -> list[Finding]:
    unanswered = sorted(transaction.kyc.unanswered)
    if not unanswered:
        return []
    name = transaction.end_user.name
    if stakes.sensitive:
        outcome = Outcome.ESCALATE
        why = f"For {stakes.sensitive_reason}, the review cannot be cleared with questions open."
    else:
        outcome = Outcome(context.config["unanswered_kyc"])
        why = (
            f"At this deal's stakes ({stakes.sensitive_reason}) the policy records it as "
            f"{outcome.value}; the answers are still owed."
        )
    if len(unanswered) == len(KYC_QUESTIONS):
        what = f"No BIS Know Your Customer question is answered for the deal with {name}"
    else:
        what = (
            f"{len(unanswered)} of the {len(KYC_QUESTIONS)} BIS Know Your Customer questions are not "
            f"answered for the deal with {name} ({_listing(unanswered)})"
        )
    return [
        _finding(
            "HRDD-STK-003",
            outcome,
            f"{what}: an unanswered question is a check not made, not a clear answer. {why}",
            {
                "kyc": dict(transaction.kyc.answers),
                "stakeholders.unanswered_kyc": unanswered,
                **stakes.evidence(),
            },
            (STAKEHOLDERS,),
            "Answer every Know Your Customer question (true = red flag observed, false = checked and "
            f"clear) and assess again: {_listing(unanswered)}.",
            "kyc",
        )
    ]


# ---- The end user ----------------------------------------------------------------------


def check_end_user_type(transaction: Transaction, state: Stakeholders, stakes: Stakes) -> tuple[Finding, ...]:
    """An end user whose type, or (for a private one buying capable items) whose relationship
    to a government, is not established. Remembered by what it reads: the end user's name and
    type, the stakes' weight and, when the type is not established (the message names it),
    the top item."""
    end_user = transaction.end_user
    unestablished = end_user.type in UNESTABLISHED_TYPES
    if not unestablished and not (
        end_user.type in NON_GOVERNMENT_TYPES and end_user.government_relationship is None and stakes.capable
    ):
        return ()
    key = (end_user.name, end_user.type, stakes.weight, stakes.top_item if unestablished else None)
    found = state.end_user_types.get(key)
    if found is None:
        found = state.end_user_types.keep(key, tuple(_end_user_type(transaction, stakes)))
    return found


def _end_user_type(transaction: Transaction, stakes: Stakes) -> list[Finding]:
    end_user = transaction.end_user
    if end_user.type in UNESTABLISHED_TYPES:
        if stakes.sensitive:
            outcome = Outcome.ESCALATE
        elif stakes.capable:
            outcome = Outcome.SAFEGUARDS_REQUIRED
        else:
            outcome = Outcome.INFO
        return [
            _finding(
                "HRDD-STK-006",
                outcome,
                f"What kind of entity {end_user.name} is (government agency, state-owned enterprise, "
                "private company...) is not established, so it is treated as government-linked until "
                f"it is; the deal includes {stakes.top_item!r} (misuse potential {stakes.potential}/5).",
                {"end_user.type": end_user.type, **stakes.evidence()},
                (STAKEHOLDERS, RED_FLAG_CLOSE),
                f"Establish and record what {end_user.name} is, who owns and controls it, and its relationship "
                "to the government, then assess again.",
                "end_user",
            )
        ]
    if end_user.type in NON_GOVERNMENT_TYPES and end_user.government_relationship is None and stakes.capable:
        outcome = Outcome.SAFEGUARDS_REQUIRED if stakes.sensitive else Outcome.INFO
        return [
            _finding(
                "HRDD-STK-006",
                outcome,
                f"{end_user.name} is a {end_user.type.replace('_', ' ')} end user whose relationship to a "
                "government is not stated: whether it is a private end user close to a government, which "
                "the guidance reviews like a government, is not established.",
                {
                    "end_user.type": end_user.type,
                    "end_user.government_relationship": None,
                    **stakes.evidence(),
                },
                (STAKEHOLDERS, RED_FLAG_CLOSE),
                f"Record {end_user.name}'s relationship to the government (none, contractor, partially owned, "
                "state controlled) from its ownership and customer records.",
                "end_user",
            )
        ]
    return []


TIER_WORDS = {
    "very_high": "a very poor human-rights record (risk tier very_high)",
    "high": "a poor human-rights record (risk tier high)",
    "moderate": "a mixed human-rights record (risk tier moderate)",
    "low": "a strong human-rights record (risk tier low)",
}


def check_close_to_government(
    transaction: Transaction, context: CheckContext, stakes: Stakes, remember: bool = True
) -> list[Finding]:
    """Red flag 1: not a government but close to one with a reputation for abuses, especially
    of the kind the item could facilitate. Weighed with the destination's risk tier (unknown
    counts as poor) and the items' misuse potential; agreed use limits and audit and
    termination rights lower what does not escalate. Remembered by everything it reads: of
    the stakes, the item that tops the potential only when it could facilitate abuse (the
    message names it then). Not looked up for a contract seen for the first time
    (``remember`` false, see hrdd_check_end_user)."""
    how = closeness(transaction)
    if how is None:
        return []
    end_user = transaction.end_user
    tier = context.fact(RISK_TIER)
    if not remember or (tier is not None and type(tier) is not str):
        # A tier no plugin of hrdd publishes (it may be unhashable, or 1 where another deal had
        # True) is weighed and reported as it is, without the memory.
        return [_close_to_government(transaction, context, stakes, how, tier)]
    memory: Memory[tuple[Any, ...], Finding] = context.state.close_to_government
    key = (
        end_user.name,
        end_user.type,
        end_user.government_relationship,
        end_user.country,
        transaction.contract.clauses,
        tier,
        context.fact_source(RISK_TIER),
        stakes.potential,
        stakes.linked,
        stakes.unclassified,
        stakes.top_item if stakes.facilitates else None,
    )
    found = memory.get(key)
    if found is None:
        found = memory.keep_recurring(key, _close_to_government(transaction, context, stakes, how, tier))
    return [found]


def _close_to_government(
    transaction: Transaction, context: CheckContext, stakes: Stakes, how: str, tier: Any
) -> Finding:
    rules: StakeholderRules = context.state.rules
    end_user = transaction.end_user
    config = context.config
    known = tier in RISK_TIERS
    poor = not known or tier in ("high", "very_high")
    facilitates = stakes.facilitates
    missing = [c for c in rules.red_flag_1_safeguards if c not in transaction.contract.clauses]
    severity = None
    if poor and facilitates:
        outcome = Outcome.ESCALATE
        if tier == "very_high" and stakes.potential > config["sensitive_at"]:
            severity = Severity.CRITICAL
    elif (poor and stakes.capable) or (tier == "moderate" and facilitates):
        outcome = Outcome.SAFEGUARDS_REQUIRED if missing else Outcome.INFO
    else:
        outcome = Outcome.INFO
    country = country_name(end_user.country)
    if known:
        record = f"the government of {country} has {TIER_WORDS[tier]}"
    elif tier is None:
        record = f"the human-rights record of {country} is not established (no {RISK_TIER} fact), so it counts as poor"
    else:
        record = f"the destination's risk tier {tier!r} is not one hrdd knows, so the record counts as poor"
    item = (
        f"{stakes.top_item!r} (misuse potential {stakes.potential}/5) could facilitate the kind of abuse at issue"
        if facilitates
        else f"the items' misuse potential is {stakes.potential}/5"
    )
    red_flag = (
        "This is red flag 1 of the Draft Guidance"
        if poor
        else "Red flag 1 of the Draft Guidance is not raised"
    )
    message = f"{end_user.name} is not a government but is {how}; {record}, and {item}. {red_flag}."
    if outcome is Outcome.ESCALATE:
        remediation = (
            f"Establish how far the government of {country} directs {end_user.name} and could use the items, "
            "and weigh the deal as a sale to that government"
            + (f"; agree {_listing(missing)} before any approval." if missing else ".")
        )
    elif missing and outcome is Outcome.SAFEGUARDS_REQUIRED:
        remediation = f"Agree {_listing(missing)} with {end_user.name} before delivery."
    else:
        remediation = None
    evidence = {
        "end_user.type": end_user.type,
        "end_user.government_relationship": end_user.government_relationship,
        RISK_TIER: tier,
        "contract.clauses": list(transaction.contract.clauses),
        **stakes.evidence(),
    }
    source = context.fact_source(RISK_TIER)
    if source:
        evidence["fact_source"] = source
    return _finding(
        "HRDD-STK-004",
        outcome,
        message,
        evidence,
        (RED_FLAG_CLOSE, STAKEHOLDERS),
        remediation,
        "end_user",
        severity,
    )


def check_state_owned(
    transaction: Transaction, state: Stakeholders, stakes: Stakes, remember: bool = True
) -> list[Finding]:
    """The SOE trend: a state-owned enterprise buying items with surveillance capabilities is
    always reported; with an item of sensitive potential it needs the clauses that keep the
    items with the enterprise. Remembered by everything it reads (not looked up for a contract
    seen for the first time: ``remember`` false, see hrdd_check_end_user)."""
    if not is_state_owned(transaction) or not stakes.capable:
        return []
    if not remember:
        return [_state_owned(transaction, state.rules, stakes)]
    end_user = transaction.end_user
    key = (
        end_user.name,
        end_user.type,
        end_user.government_relationship,
        end_user.country,
        transaction.contract.clauses,
        stakes,
    )
    found = state.state_owned.get(key)
    if found is None:
        found = state.state_owned.keep_recurring(key, _state_owned(transaction, state.rules, stakes))
    return [found]


def _state_owned(transaction: Transaction, rules: StakeholderRules, stakes: Stakes) -> Finding:
    end_user = transaction.end_user
    missing = [c for c in rules.soe_safeguards if c not in transaction.contract.clauses]
    sensitive = stakes.sensitive and bool(missing)
    outcome = Outcome.SAFEGUARDS_REQUIRED if sensitive else Outcome.INFO
    message = (
        f"{end_user.name} is a state-owned enterprise in {country_name(end_user.country)} buying items with "
        f"surveillance capabilities ({stakes.top_item!r}, misuse potential {stakes.potential}/5): the Draft "
        "Guidance signals greater scrutiny of state-operated enterprises, whose equipment the state can direct "
        "to its own uses."
    )
    if missing:
        remediation = (
            f"Bind {end_user.name} to the stated end use and keep the items out of other state bodies' hands: "
            f"{_listing(missing)}."
        )
    else:
        remediation = None
    return _finding(
        "HRDD-STK-005",
        outcome,
        message,
        {
            "end_user.type": end_user.type,
            "end_user.government_relationship": end_user.government_relationship,
            "contract.clauses": list(transaction.contract.clauses),
            **stakes.evidence(),
        },
        (SOE_TREND, RED_FLAG_CLOSE),
        remediation,
        "end_user",
        Severity.MEDIUM if stakes.sensitive else Severity.LOW,
    )


# ---- Other end users (red flag 2) ------------------------------------------------------


def _raise(outcome: Outcome) -> Outcome:
    index = _OUTCOME_ORDER.index(outcome)
    return _OUTCOME_ORDER[min(index + 1, len(_OUTCOME_ORDER) - 1)]


def _worst(outcomes: Iterable[Outcome]) -> Outcome:
    return max(outcomes, key=_OUTCOME_ORDER.index)


def check_other_end_users(
    transaction: Transaction, state: Stakeholders, stakes: Stakes, remember: bool = True
) -> list[Finding]:
    end_user = transaction.end_user
    others = end_user.other_end_users
    if not other_end_users_flagged(transaction):
        if end_user.sole_end_user is None:
            if not remember:  # a contract seen for the first time (see hrdd_check_end_user)
                return [_sole_end_user_unknown(transaction, stakes)]
            # Remembered by everything it reads: of the stakes, not which item tops the
            # potential, so deals that differ only in that share it.
            key: tuple[Any, ...] = (end_user.name, transaction.contract.clauses, stakes.weight)
            found = state.sole_end_user_unknown.get(key)
            if found is None:
                found = state.sole_end_user_unknown.keep_recurring(
                    key, _sole_end_user_unknown(transaction, stakes)
                )
            return [found]
        return []
    # Red flag 2 reads neither the contract nor the risk tier: a customer's deals repeat its key.
    # Of the stakes, it reads their weight (facilitates follows the potential), not the top item.
    key = (end_user.name, end_user.country, end_user.sole_end_user, others, stakes.weight)
    found = state.other_end_users.get(key)
    if found is None:
        found = state.other_end_users.keep(key, _other_end_users(transaction, state.rules, stakes))
    return [found]


def _other_end_users(transaction: Transaction, rules: StakeholderRules, stakes: Stakes) -> Finding:
    end_user = transaction.end_user
    others = end_user.other_end_users
    if end_user.sole_end_user is False and not others:
        if not stakes.capable:
            outcome = Outcome.INFO  # red flag 2 is about items with surveillance capabilities
        elif stakes.sensitive or stakes.linked:
            outcome = Outcome.ESCALATE
        else:
            outcome = Outcome.SAFEGUARDS_REQUIRED
        return _finding(
            "HRDD-STK-007",
            outcome,
            f"{end_user.name} is not the only end user (sole_end_user = false), and who the other end users "
            "are is not stated: items whose users are unknown cannot be reviewed.",
            {"end_user.sole_end_user": False, "end_user.other_end_users": [], **stakes.evidence()},
            (RED_FLAG_OTHERS, STAKEHOLDERS),
            "Name every other end user (name, country, type, sector) and review each as the stated end user "
            "is reviewed; name them all in the end-use certificate.",
            "end_user",
        )
    described = []
    outcomes = []
    grave = []
    for other in others:
        government = other.type in GOVERNMENT_TYPES or other.type in UNESTABLISHED_TYPES
        security = other.sector in rules.sensitive_sectors
        if other.sector == "intelligence" or (government and (security or other.sector is None)):
            outcome = Outcome.ESCALATE
            grave.append(other.name)
        elif government:
            outcome = (
                Outcome.ESCALATE if stakes.facilitates or stakes.sensitive else Outcome.SAFEGUARDS_REQUIRED
            )
        else:
            outcome = Outcome.SAFEGUARDS_REQUIRED if stakes.sensitive else Outcome.INFO
        if other.country != end_user.country:  # used abroad (a re-export), or nobody said where
            outcome = _raise(outcome)
        if not stakes.capable:
            outcome = Outcome.INFO  # red flag 2 is about items with surveillance capabilities
        outcomes.append(outcome)
        details = ", ".join(
            part
            for part in (
                (other.type or "type not stated").replace("_", " "),
                (other.sector or "sector not stated").replace("_", " "),
                country_name(other.country) if other.country else "country not stated",
            )
        )
        described.append(f"{other.name} ({details})")
    outcome = _worst(outcomes)
    if end_user.sole_end_user is True:
        why = "sole_end_user = true, yet other end users are named"
    elif end_user.sole_end_user is False:
        why = "sole_end_user = false"
    else:
        why = "other end users are named"
    message = f"{end_user.name} is likely not the only end user ({why}): {'; '.join(described)}."
    if grave:
        message += (
            f" Government security or intelligence bodies among them ({_listing(grave)}) weigh most: the deal "
            "must be reviewed as a sale to them too."
        )
    if any(o.country is not None and o.country != end_user.country for o in others):
        message += " Use outside the end user's country amounts to a re-export."
    severity = None
    if outcome is Outcome.ESCALATE and grave and stakes.potential >= 4:
        severity = Severity.CRITICAL
    return _finding(
        "HRDD-STK-007",
        outcome,
        message,
        {
            "end_user.sole_end_user": end_user.sole_end_user,
            "end_user.other_end_users": [
                {"name": o.name, "country": o.country, "type": o.type, "sector": o.sector} for o in others
            ],
            **stakes.evidence(),
        },
        (RED_FLAG_OTHERS, STAKEHOLDERS),
        "Review every other end user as the stated end user is reviewed (record, function, misuse reports, "
        "laws) and name each in the end-use certificate with the uses allowed to it; refuse access to any "
        "the review cannot clear.",
        "end_user.other_end_users",
        severity,
    )


def _sole_end_user_unknown(transaction: Transaction, stakes: Stakes) -> Finding:
    end_user = transaction.end_user
    certificate = "end_use_certificate" in transaction.contract.clauses
    # Not a red flag but a question not asked: the end-use certificate naming every end user
    # is what settles it, so it is asked for as a safeguard (kept even with a certificate
    # clause when the deal is sensitive: the certificate must then say so explicitly).
    if stakes.sensitive:
        outcome = Outcome.SAFEGUARDS_REQUIRED
    elif stakes.linked and stakes.capable:
        outcome = Outcome.INFO if certificate else Outcome.SAFEGUARDS_REQUIRED
    else:
        outcome = Outcome.INFO
    return _finding(
        "HRDD-STK-008",
        outcome,
        f"Whether {end_user.name} is the only end user is not established (sole_end_user not answered) and no "
        "other end user is named: red flag 2 of the Draft Guidance can be neither raised nor ruled out.",
        {
            "end_user.sole_end_user": None,
            "contract.clauses": list(transaction.contract.clauses),
            **stakes.evidence(),
        },
        (RED_FLAG_OTHERS, STAKEHOLDERS),
        f"Establish whether anyone besides {end_user.name} will use the items or receive their output, and "
        "obtain an end-use certificate naming every end user before shipment.",
        "end_user",
    )


# ---- Related parties -------------------------------------------------------------------


def check_related_parties(
    transaction: Transaction, state: Stakeholders, stakes: Stakes
) -> tuple[Finding, ...]:
    """A related party by shared directors, ownership or succession is what the BIS
    listed-party questions are about: when that question is open, the relationship is an open
    question too. (A question answered true is reported by HRDD-STK-002, naming the party.)
    Remembered by what it reads: the related parties with their owners' names, the KYC
    answers and the stakes' weight."""
    end_user = transaction.end_user
    links = party_links(transaction)
    if not end_user.related_parties and not links:
        return ()
    key = (end_user.name, end_user.related_parties, links, transaction.kyc.answers, stakes.weight)
    found = state.related.get(key)
    if found is None:
        found = state.related.keep(key, tuple(_related_parties(transaction, stakes)))
    return found


def _related_parties(transaction: Transaction, stakes: Stakes) -> list[Finding]:
    findings = []
    answers = dict(transaction.kyc.answers)
    for path, owner, related in related_parties(transaction):
        question = LISTED_FLAG_FOR_RELATIONSHIP.get(related.relationship)
        answer = answers.get(question) if question else None
        if question is not None and answer is not None:
            continue  # answered false: checked and clear; answered true: HRDD-STK-002
        where = f" in {country_name(related.country)}" if related.country else ""
        if question is None:
            outcome = Outcome.INFO
            message = (
                f"{related.name}{where} {RELATIONSHIP_WORDS[related.relationship]} {owner}: no BIS question covers "
                "this relationship, so screen it together with the party."
            )
            remediation = None
        else:
            outcome = Outcome.ESCALATE if stakes.sensitive else Outcome.SAFEGUARDS_REQUIRED
            message = (
                f"{related.name}{where} {RELATIONSHIP_WORDS[related.relationship]} {owner}, and whether that link "
                f"reaches a listed party is not answered (kyc.{question} missing)."
            )
            remediation = (
                f"Screen {related.name} against the restricted-party lists and answer kyc.{question} "
                "before going further."
            )
        findings.append(
            _finding(
                "HRDD-STK-009",
                outcome,
                message,
                {
                    f"{path}.name": related.name,
                    f"{path}.relationship": related.relationship,
                    f"{path}.country": related.country,
                    **({f"kyc.{question}": None} if question else {}),
                    **stakes.evidence(),
                },
                (STAKEHOLDERS,),
                remediation,
                path,
            )
        )
    return findings


# ---- Intermediaries ------------------------------------------------------------------------


def check_intermediaries(
    transaction: Transaction, context: CheckContext, opacity: Opacity, stakes: Stakes
) -> tuple[Finding, ...]:
    """The intermediaries that obscure who receives the items, and the parties without a
    country. Remembered by what they read: the opacity (the parties, as its views hold them),
    the end user's country, the stakes' weight, and the end user's name only when a party has
    no country (that message alone names it). Not the customer otherwise: every customer in
    one country that buys through one distributor at the same stakes gets the same findings."""
    if not opacity.parties and not opacity.unnamed_forwarder:
        return ()
    end_user = transaction.end_user
    unlocated = any(view.party.country is None for view in opacity.parties)
    key = (opacity, end_user.country, stakes.weight, end_user.name if unlocated else None)
    memory: Memory[tuple[Any, ...], tuple[Finding, ...]] = context.state.intermediaries
    found = memory.get(key)
    if found is None:
        found = memory.keep_recurring(key, tuple(_intermediaries(transaction, context, opacity, stakes)))
    return found


def _intermediaries(
    transaction: Transaction, context: CheckContext, opacity: Opacity, stakes: Stakes
) -> list[Finding]:
    findings = []
    end_user = transaction.end_user
    common = {"stakeholders.opacity": opacity.level, "opacity_points": opacity.points, **stakes.evidence()}
    for view in opacity.parties:
        party = view.party
        located = party.country is not None
        if not (view.role_opaque or (view.third_country and view.points >= 1)):
            continue
        if view.points >= 2 and view.role_opaque:
            outcome = Outcome.ESCALATE if stakes.sensitive else Outcome.SAFEGUARDS_REQUIRED
        elif stakes.sensitive and opacity.level == "high":
            outcome = Outcome.ESCALATE
        elif stakes.sensitive:
            outcome = Outcome.SAFEGUARDS_REQUIRED
        else:
            outcome = Outcome.INFO
        role = party.role.replace("_", " ")
        place = country_name(party.country) if located else "a country not given"
        evidence = {f"{view.path}.role": party.role, f"{view.path}.country": party.country, **common}
        if view.role_opaque:
            rule = "HRDD-STK-010"
            message = (
                f"{party.name} ({role}, {place}) makes it harder to see who really receives the items: "
                f"{'; '.join(view.reasons)}. The deal's intermediaries add up to {opacity.level} opacity."
            )
        else:
            rule = "HRDD-STK-011"
            message = (
                f"{party.name} ({role}) is established in {place}, neither the end user's country "
                f"({country_name(end_user.country)}) nor the exporter's, and the transaction gives no reason; "
                f"the deal's intermediaries add up to {opacity.level} opacity."
            )
        findings.append(
            _finding(
                rule,
                outcome,
                message,
                evidence,
                (STAKEHOLDERS,),
                f"Document why {party.name} is in the chain and what it does; ship directly to the end user where "
                "possible, and obtain an end-use certificate and a no-re-export undertaking naming the end user "
                "and the country of use.",
                view.path,
            )
        )
    if opacity.unnamed_forwarder:
        findings.append(
            _finding(
                "HRDD-STK-010",
                Outcome.ESCALATE if stakes.sensitive else Outcome.SAFEGUARDS_REQUIRED,
                "The KYC answers name a freight forwarder as the final destination, but no freight forwarder is "
                "among the parties: the party that will receive the items is not identified.",
                {f"kyc.{FORWARDER_FLAG}": True, **common},
                (STAKEHOLDERS,),
                "Name the forwarder and the real final consignee among the parties and assess again.",
                "parties",
            )
        )
    unlocated = [view for view in opacity.parties if view.party.country is None]
    if unlocated:
        allowed = context.config["max_parties_without_country"]
        if len(unlocated) > allowed:
            outcome = Outcome.ESCALATE if stakes.sensitive else Outcome.SAFEGUARDS_REQUIRED
        else:
            outcome = Outcome.INFO
        names = [f"{v.party.name} ({v.party.role.replace('_', ' ')})" for v in unlocated]
        findings.append(
            _finding(
                "HRDD-STK-012",
                outcome,
                f"{len(unlocated)} part{'y' if len(unlocated) == 1 else 'ies'} of the deal with {end_user.name} "
                f"{'has' if len(unlocated) == 1 else 'have'} no country ({_listing(names)}): where an "
                "intermediary sits decides whether it is a diversion route, so an unknown country is not a safe one"
                + (f" (the policy tolerates {allowed})." if allowed else "."),
                {
                    **{f"{v.path}.country": None for v in unlocated},
                    "max_parties_without_country": allowed,
                    **common,
                },
                (STAKEHOLDERS,),
                f"Record the country of establishment of {_listing(v.party.name for v in unlocated)} and assess again.",
                "parties",
            )
        )
    return findings
