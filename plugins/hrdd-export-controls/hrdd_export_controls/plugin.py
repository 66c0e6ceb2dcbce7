"""hrdd-export-controls: a licence determination under the EAR for each item of a deal.

From each item's ECCN (``items[].eccn``) and the destination (the end user's country): the
ECCN's reasons for control (data/eccns.toml) against the Commerce Country Chart, the Country
Groups and the Part 746 destinations (data/country_chart.toml). What it determines is stated
with the table it came from; License Exceptions ACE and ENC are only ever said to *appear*
available, to be confirmed by the licensing officer. An item without an ECCN, or declared
EAR99, is never classified here: its capability profile only says what classification a
person should check.

Cites the Draft Guidance's consideration 5 (BIS Know Your Customer guidance: the export
compliance gate), its sanctions trend and, for classification review, its scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hrdd import (
    CapabilityProfile,
    CheckContext,
    Finding,
    Item,
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
from hrdd_export_controls.tables import Country, Eccn, Tables, default_path, load_tables

SCOPE = "draft-2019:scope"
KYC = "draft-2019:consideration-5"
SANCTIONS = "draft-2019:trend-sanctions"
CONFIRM = "to be confirmed by the licensing officer"

RULES = (
    RuleInfo("HRDD-EXP-001", "Licence required for the item's ECCN to the destination", (KYC, SANCTIONS)),
    RuleInfo("HRDD-EXP-002", "No licence required (NLR) for the item's ECCN to the destination", (KYC,)),
    RuleInfo("HRDD-EXP-003", "License Exception ACE (740.22) appears available", (KYC,)),
    RuleInfo("HRDD-EXP-004", "License Exception ENC (740.17) appears available", (KYC,)),
    RuleInfo(
        "HRDD-EXP-005",
        "The item's ECCN is not in the data: determine the licence requirement manually",
        (KYC,),
    ),
    RuleInfo(
        "HRDD-EXP-006", "The item has no ECCN: classify it before a licence determination", (KYC, SCOPE)
    ),
    RuleInfo(
        "HRDD-EXP-007",
        "EAR99 or mass-market item with surveillance capabilities: classification review",
        (SCOPE, KYC),
    ),
    RuleInfo(
        "HRDD-EXP-008", "Embargoed or specially controlled destination (15 CFR Part 746)", (SANCTIONS, KYC)
    ),
    RuleInfo("HRDD-EXP-009", "The destination has no Country Chart row in the data", (KYC,)),
    RuleInfo("HRDD-EXP-010", "The export-control data is older than the policy's max_age_days", (KYC,)),
)

CONFIG_SCHEMA: dict[str, Any] = {
    "eccns": {"type": "string", "nullable": True, "default": None, "empty": False, "meta": {"path": True}},
    "country_chart": {
        "type": "string",
        "nullable": True,
        "default": None,
        "empty": False,
        "meta": {"path": True},
    },
    "max_age_days": {"type": "integer", "min": 1, "default": 400},
    # misuse potential from which an EAR99 / mass-market / unclassified item gets a classification review
    "review_at": {"type": "integer", "min": 1, "max": 5, "default": 3},
}

GOVERNMENT_TYPES = frozenset({"government_agency", "state_owned_enterprise", "private_close_to_government"})
CLOSE_RELATIONSHIPS = frozenset({"contractor", "partially_owned", "state_controlled"})
# "Favourable treatment cybersecurity end users" (15 CFR 772.1, for ACE) by sector: providers of
# banking, financial services, insurance, and civil health and medical services.
FAVOURABLE_SECTORS = frozenset({"financial", "health"})
D_GROUPS = frozenset({"D:1", "D:2", "D:3", "D:4", "D:5"})
E_GROUPS = frozenset({"E:1", "E:2"})
SEVERITY_FOR_POTENTIAL = (
    Severity.LOW,
    Severity.LOW,
    Severity.LOW,
    Severity.MEDIUM,
    Severity.HIGH,
    Severity.CRITICAL,
)

# How many values each of an engine's memories holds (see State): bounds on memory. An order
# book (a hundred product models, each at one of a few positions of a deal, sold to fifty
# destinations) makes some ten thousand determinations a year, and an answer for each misuse
# potential the models' safeguards give them; the memories keep the most recently built
# (see hrdd.memory), the best sellers' among them.
MEMORY_SIZE = 4096
ANSWERS_SIZE = 2 * MEMORY_SIZE
# How many routes (destination and ECCN as given) and reference days are remembered.
ROUTES_SIZE = 1024
AGES_SIZE = 1024


class Route:
    """How items of one ECCN (as given) are determined for one destination: the rows the
    determination rests on, and what else of the deal it reads besides the item's name, ECCN
    and position. The same for every item and end user: worked out once per (destination, ECCN)."""

    __slots__ = (
        "clear",
        "code",
        "country",
        "entry",
        "kind",
        "reads_end_user",
        "reads_profile",
        "required",
    )

    def __init__(self, tables: Tables, code: str, eccn: str | None) -> None:
        self.code = code
        declared = (eccn or "").strip()
        self.country = country = tables.countries.get(code)
        self.entry: Eccn | None = None
        self.required: list[tuple[str, str]] = []
        self.clear: list[str] = []
        # kind: "no row", "domestic", "not chart", "unclassified", "EAR99", "not in data",
        # "denied" (an embargo whose policy is denial), or "chart" (the Country Chart decides).
        if country is None:
            self.kind = "no row"
        elif country.domestic:
            self.kind = "domestic"
        elif not country.chart:
            self.kind = "not chart"
        elif not declared:
            self.kind = "unclassified"
        elif declared == "EAR99":
            self.kind = "EAR99"
        else:
            self.entry = entry = tables.eccn(declared)
            if entry is None:
                self.kind = "not in data"
            elif country.embargo is not None and country.embargo.policy == "denial":
                self.kind = "denied"
            else:
                self.kind = "chart"
                self.required, self.clear = _licence_reasons(entry, country)
        # A licence requirement weighs the licence exceptions, which read the end user (its
        # name, type, relationship to the government and sector); nothing else does. The item's
        # profile is read to suggest a classification (no ECCN) or for a classification review
        # (EAR99 and mass-market items).
        self.reads_end_user = bool(self.required)
        self.reads_profile = self.kind in ("unclassified", "EAR99") or (
            self.kind == "chart" and self.entry is not None and self.entry.enc == "mass_market"
        )


class State:
    """One engine's tables, and what its checks built from them. The same products go to the
    same destinations deal after deal: findings are immutable, so each is built once per key
    (everything its builder reads besides the tables and the engine's config) and returned
    again, and the engine enforces and reports it once."""

    __slots__ = ("ages", "answers", "findings", "routes", "tables")

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        # Routes by (destination, ECCN as given); hrdd_check_item's whole answers (see there);
        # hrdd_check_end_user's by reference day; and findings one by one: keys start with what
        # the finding is ("NLR", "EAR99", "embargo", "domestic", ...: a Finding; "review": a
        # Finding or None).
        self.routes: Memory[tuple[str, str | None], Route] = Memory(ROUTES_SIZE)
        self.answers: Memory[tuple[Any, ...], tuple[Finding, ...]] = Memory(ANSWERS_SIZE)
        self.ages: Memory[Reference, tuple[Finding, ...]] = Memory(AGES_SIZE)
        self.findings: Memory[tuple[Any, ...], Any] = Memory(MEMORY_SIZE)


@hookimpl
def hrdd_plugin_info() -> PluginInfo:
    return PluginInfo(
        clauses=(KYC, SANCTIONS, SCOPE),
        rules=RULES,
        config_schema=CONFIG_SCHEMA,
        description="Licence determination under the EAR from each item's ECCN, the Commerce Country Chart, "
        "the Country Groups and Part 746; License Exceptions ACE and ENC where they appear available; "
        "classification review for unclassified and EAR99 items with surveillance capabilities.",
    )


@hookimpl
def hrdd_configure(config: Mapping[str, Any], policy_dir: Path) -> PluginSetup:
    eccns = default_path("eccns.toml") if config["eccns"] is None else policy_dir / config["eccns"]
    chart = (
        default_path("country_chart.toml")
        if config["country_chart"] is None
        else policy_dir / config["country_chart"]
    )
    tables = load_tables(eccns, chart)
    return PluginSetup(data=tables.datasets, state=State(tables))


# --------------------------------------------------------------------------------------
# The end user, as ACE sees it
# --------------------------------------------------------------------------------------


def government_end_user(transaction: Transaction) -> tuple[bool, str]:
    """Whether the end user counts as a government end user for the licence exceptions, and
    why; an end user whose type is not established counts as one (fail closed)."""
    end_user = transaction.end_user
    if end_user.type in GOVERNMENT_TYPES:
        return True, f"end_user.type = {end_user.type}"
    if end_user.government_relationship in CLOSE_RELATIONSHIPS:
        return True, f"end_user.government_relationship = {end_user.government_relationship}"
    if end_user.type in (None, "unknown"):
        return True, "end_user.type not established (treated as a government end user until it is)"
    return False, f"end_user.type = {end_user.type}"


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------


@hookimpl
def hrdd_check_item(item: Item, transaction: Transaction, context: CheckContext) -> tuple[Finding, ...]:
    """The item's licence determination, as one (immutable) answer, the same for the same key:
    everything it reads. Its route (destination and ECCN) says what that is besides the item's
    name, ECCN and position: the item's profile only for a classification suggestion or review,
    the end user only where a licence is required (the licence exceptions weigh it). An order
    book's models go to the same destinations for customer after customer: a key holding the
    customer where nothing reads it would hardly ever come back."""
    state: State = context.state
    end_user = transaction.end_user
    code = end_user.country
    route = state.routes.get((code, item.eccn))
    if route is None:
        route = state.routes.keep((code, item.eccn), Route(state.tables, code, item.eccn))
    key: tuple[Any, ...] = (code, item.eccn, item.name, item.index)
    profile = None
    if route.reads_profile:
        profile = context.profile(item)
        potential = profile.misuse_potential
        if route.kind == "unclassified" or potential >= context.config["review_at"]:
            key += (item.categories, profile.capabilities, potential)
        else:
            key += (None,)  # below the review's threshold: no review, whatever the profile
    if route.reads_end_user:
        key += (end_user.name, end_user.type, end_user.government_relationship, end_user.sector)
    answer = state.answers.get(key)
    if answer is None:
        answer = state.answers.keep(
            key, tuple(_check_item(item, transaction, context, state, route, profile))
        )
    return answer


def _check_item(
    item: Item,
    transaction: Transaction,
    context: CheckContext,
    state: State,
    route: Route,
    profile: CapabilityProfile | None,
) -> list[Finding]:
    """The item's findings (see hrdd_check_item; ``profile`` is given when the route reads it).
    Those that read neither the end user nor (but for the classification review) the item's
    profile are remembered on their own too: an answer that is new (another misuse potential,
    another end user) still gets them again."""
    code, kind, country = route.code, route.kind, route.country
    # The item as the findings below name it (evidence and messages): with the destination,
    # all that most of them read.
    named = (item.name, item.eccn, item.path, code)
    if country is None:
        return [
            state.findings.recall(
                ("no row", *named),
                lambda: _no_row(item, code, "is not in the Country Chart data", Outcome.ERROR),
            )
        ]
    if kind == "domestic":
        return [state.findings.recall(("domestic", *named), lambda: _domestic(item, country))]
    if kind == "not chart":
        what = f"({country.name}) is not a Country Chart destination"
        return [
            state.findings.recall(
                ("not chart", *named),
                lambda: _no_row(item, code, what, Outcome.ESCALATE, country),
            )
        ]
    findings: list[Finding] = []
    if kind == "unclassified":
        assert profile is not None
        return [_unclassified(item, state.tables, profile)]
    if kind == "EAR99":
        assert profile is not None
        if country.embargo is not None:
            findings.append(state.findings.recall(("embargo", *named), lambda: _embargo(item, country, None)))
        if country.embargo is None or country.embargo.ear99 == "none":
            findings.append(state.findings.recall(("EAR99", *named), lambda: _ear99_nlr(item, country)))
        review = _review(item, state, context, profile, "EAR99")
        return findings + ([review] if review else [])

    entry = route.entry
    if entry is None:
        return [state.findings.recall(("not in data", *named), lambda: _not_in_data(item, country))]
    if country.embargo is not None:
        key = ("embargo", *named, entry.key)
        findings.append(state.findings.recall(key, lambda: _embargo(item, country, entry)))
        if kind == "denied":
            return findings
    findings += _determine(item, transaction, state, route, country, entry)
    if profile is not None:  # a mass-market item: its classification is reviewed
        review = _review(item, state, context, profile, entry.key)
        if review:
            findings.append(review)
    return findings


def _evidence(item: Item, country: Country, **more: Any) -> dict[str, Any]:
    evidence: dict[str, Any] = {f"{item.path}.eccn": item.eccn, "end_user.country": country.code}
    if country.follows:
        evidence["country_chart.follows"] = country.follows
    if country.note:
        evidence["country_chart.note"] = country.note
    evidence.update(more)
    return evidence


def _row_note(country: Country) -> str:
    """The data's note on the destination's row (what was checked, what is uncertain), for a
    determination that rests on that row."""
    return f" Country Chart data note for {country.code}: {country.note}" if country.note else ""


def _where(country: Country) -> str:
    follows = f", whose row follows {country.follows}" if country.follows else ""
    return f"{country.name} ({country.code}{follows})"


def _licence_reasons(entry: Eccn, country: Country) -> tuple[list[tuple[str, str]], list[str]]:
    """The reasons for control that require a licence to the country, each with its basis, and
    those that do not."""
    required: list[tuple[str, str]] = []
    clear: list[str] = []
    for reason in entry.reasons:
        if reason == "SL":
            required.append((reason, "742.13: licence for all destinations, Canada included"))
        elif reason == "EI":
            if country.code == "CA":
                clear.append(reason)
            else:
                required.append((reason, "742.15: licence for all destinations except Canada"))
        elif reason in country.columns:
            required.append((reason, f"Country Chart column {reason} has an X"))
        else:
            clear.append(reason)
    return required, clear


def _chart_note(country: Country) -> dict[str, Any]:
    return {"country_chart.columns": sorted(country.columns), "country_groups": sorted(country.groups)}


def _determine(
    item: Item, transaction: Transaction, state: State, route: Route, country: Country, entry: Eccn
) -> list[Finding]:
    """The Country Chart's determination for the route's reasons for control (see Route)."""
    required = route.required
    if not required:
        key = ("NLR", item.name, item.eccn, item.path, country.code, entry.key)
        return [state.findings.recall(key, lambda: _nlr(item, country, entry, route.clear))]
    chart_note = _chart_note(country)
    findings: list[Finding] = []
    government, why = government_end_user(transaction)
    ace = _ace(item, transaction, country, entry, government, why) if entry.ace else None
    enc = _enc(item, country, entry, government, why) if entry.enc in ("b1", "b2") else None
    exception = ace if ace is not None and ace[0] else enc if enc is not None and enc[0] else None
    reasons = "; ".join(f"{reason} ({basis})" for reason, basis in required)
    excluded = [result[1] for result in (ace, enc) if result is not None and not result[0]]
    message = (
        f"Licence required for {item.name!r} (ECCN {item.eccn}, entry {entry.key}: {entry.title}) to "
        f"{transaction.end_user.name} in {_where(country)}, determined from the ECCN's reasons for control and "
        f"the Commerce Country Chart: {reasons}. "
    )
    if exception is not None:
        message += f"{exception[1]} Otherwise a licence must be obtained before export; {CONFIRM}."
    else:
        message += (
            " ".join(excluded) + " " if excluded else ""
        ) + f"A licence must be obtained before export; {CONFIRM}."
    if entry.note:
        message += f" Data note: {entry.note}"
    findings.append(
        Finding(
            rule_id="HRDD-EXP-001",
            outcome=Outcome.ESCALATE,
            severity=Severity.MEDIUM if exception is not None else Severity.HIGH,
            message=message,
            evidence=_evidence(
                item,
                country,
                eccn_entry=entry.key,
                reasons=list(entry.reasons),
                licence_required_for=[reason for reason, _ in required],
                **chart_note,
            ),
            guidance=(KYC, SANCTIONS),
            remediation="Have the licensing officer confirm the classification and either apply for a BIS licence "
            "or document the licence exception's conditions before shipping.",
        )
    )
    if ace is not None and ace[0]:
        findings.append(_exception_finding("HRDD-EXP-003", item, country, entry, ace[1], government, why))
    if enc is not None and enc[0]:
        findings.append(_exception_finding("HRDD-EXP-004", item, country, entry, enc[1], government, why))
    return findings


def _nlr(item: Item, country: Country, entry: Eccn, clear: list[str]) -> Finding:
    return Finding(
        rule_id="HRDD-EXP-002",
        outcome=Outcome.PASS,
        severity=Severity.NONE,
        message=f"No licence required (NLR) determined for {item.name!r} (ECCN {item.eccn}, entry "
        f"{entry.key}: reasons for control {', '.join(entry.reasons)}) to {_where(country)}: the "
        f"Commerce Country Chart has no X in {', '.join(clear)} for that destination. Part 744 end-user and "
        f"end-use controls (screening, military end use) still apply; the classification is {CONFIRM}."
        + _row_note(country),
        evidence=_evidence(
            item, country, eccn_entry=entry.key, reasons=list(entry.reasons), **_chart_note(country)
        ),
        guidance=(KYC,),
    )


def _ace(
    item: Item, transaction: Transaction, country: Country, entry: Eccn, government: bool, why: str
) -> tuple[bool, str]:
    """Whether License Exception ACE appears available, and the sentence saying why (not)."""
    groups = country.groups
    named = ", ".join(sorted(groups)) or "no restricted group"
    if groups & E_GROUPS:
        return (
            False,
            f"License Exception ACE does not appear available: {country.name} is in Country Group {named}.",
        )
    if government and groups & D_GROUPS:
        if "A:6" in groups and entry.ace_a6_government:
            return True, (
                f"License Exception ACE (740.22) appears available for this government end user ({why}) in "
                f"{country.name} (Country Groups {named}; A:6 destinations may receive {entry.key}), {CONFIRM}."
            )
        return False, (
            f"License Exception ACE does not appear available: the end user counts as a government end user ({why}) "
            f"in Country Group {named}."
        )
    if entry.intrusion and groups & {"D:1", "D:5"} and "A:6" not in groups:
        sector = transaction.end_user.sector
        if sector in FAVOURABLE_SECTORS:
            return True, (
                f"License Exception ACE (740.22) appears available: {transaction.end_user.name} is a non-government "
                f"end user in the {sector} sector (a favourable-treatment cybersecurity end user) in {country.name} "
                f"(Country Groups {named}), {CONFIRM}."
            )
        return False, (
            f"License Exception ACE does not appear available for intrusion-software items to a non-government "
            f"end user outside the favourable-treatment sectors in Country Group {named} (end_user.sector = {sector})."
        )
    return True, (
        f"License Exception ACE (740.22) appears available to {transaction.end_user.name} in {country.name} "
        f"(Country Groups {named}; {why}), {CONFIRM}; ACE's conditions (no knowledge of unauthorised use, "
        "recordkeeping) must also be met."
    )


def _enc(item: Item, country: Country, entry: Eccn, government: bool, why: str) -> tuple[bool, str]:
    groups = country.groups
    if groups & E_GROUPS:
        return (
            False,
            f"License Exception ENC does not appear available: {country.name} is in Country Group E.",
        )
    if entry.enc == "b2" and government and not country.enc_supp3:
        return False, (
            f"License Exception ENC does not appear available: {entry.key} is a 740.17(b)(2) item and the end user "
            f"counts as a government end user ({why}) in {country.name}, which is not in Supplement No. 3 to Part 740."
        )
    paragraph = "(b)(1)" if entry.enc == "b1" else "(b)(2)"
    return True, (
        f"License Exception ENC (740.17{paragraph}) appears available to {country.name}, {CONFIRM}, after the "
        "classification or self-classification report the paragraph requires."
    )


def _exception_finding(
    rule: str, item: Item, country: Country, entry: Eccn, sentence: str, government: bool, why: str
) -> Finding:
    return Finding(
        rule_id=rule,
        outcome=Outcome.INFO,
        severity=Severity.LOW,
        message=f"For {item.name!r} (ECCN {item.eccn}): {sentence} This is not a final determination.",
        evidence=_evidence(
            item,
            country,
            eccn_entry=entry.key,
            country_groups=sorted(country.groups),
            government_end_user=government,
            end_user=why,
        ),
        guidance=(KYC,),
        remediation="The licensing officer confirms the exception's conditions and records its use.",
    )


def _embargo(item: Item, country: Country, entry: Eccn | None) -> Finding:
    embargo = country.embargo
    assert embargo is not None
    denial = embargo.policy == "denial"
    covers = entry is not None or embargo.ear99 == "all"
    if denial and covers:
        outcome, severity = Outcome.DO_NOT_PROCEED, Severity.CRITICAL
        verdict = "a licence is required and the stated licence review policy is denial"
    elif entry is None and embargo.ear99 == "none":
        outcome, severity = Outcome.INFO, Severity.LOW
        verdict = "the Part 746 controls do not reach EAR99 items as transcribed"
    else:
        outcome, severity = Outcome.ESCALATE, Severity.HIGH
        verdict = (
            "a licence may be required (EAR99 items are covered only in part: check the Part 746 supplements)"
            if entry is None
            else "additional licence requirements apply, reviewed case by case"
        )
    classified = f"ECCN {item.eccn}" if item.eccn else "no ECCN"
    return Finding(
        rule_id="HRDD-EXP-008",
        outcome=outcome,
        severity=severity,
        message=f"{country.name} is subject to 15 CFR {embargo.part} (Part 746): for {item.name!r} ({classified}) "
        f"{verdict}. {embargo.note} {CONFIRM.capitalize()}.",
        evidence=_evidence(
            item, country, part_746=embargo.part, licence_policy=embargo.policy, ear99_scope=embargo.ear99
        ),
        guidance=(SANCTIONS, KYC),
        remediation=None
        if outcome is Outcome.INFO
        else "Do not ship without the licensing officer's written determination.",
    )


def _ear99_nlr(item: Item, country: Country) -> Finding:
    return Finding(
        rule_id="HRDD-EXP-002",
        outcome=Outcome.PASS,
        severity=Severity.NONE,
        message=f"{item.name!r} is declared EAR99: no licence required (NLR) to {_where(country)} under the "
        "Country Chart, which does not apply to EAR99 items. Part 744 end-user and end-use controls still apply; "
        f"the EAR99 classification itself is {CONFIRM}.",
        evidence=_evidence(item, country),
        guidance=(KYC,),
    )


def _domestic(item: Item, country: Country) -> Finding:
    return Finding(
        rule_id="HRDD-EXP-002",
        outcome=Outcome.INFO,
        severity=Severity.NONE,
        message=f"The destination of {item.name!r} is {country.name}: not an export destination on the Country "
        f"Chart, so no licence determination is made here; whether a re-export or deemed export is involved is {CONFIRM}.",
        evidence=_evidence(item, country),
        guidance=(KYC,),
    )


def _no_row(item: Item, code: str, what: str, outcome: Outcome, country: Country | None = None) -> Finding:
    return Finding(
        rule_id="HRDD-EXP-009",
        outcome=outcome,
        severity=Severity.HIGH,
        message=f"The destination {code} {what}: no licence determination could be made for {item.name!r} "
        f"(ECCN {item.eccn or 'not given'}); determine it manually.",
        evidence={
            f"{item.path}.eccn": item.eccn,
            "end_user.country": code,
            "note": country.note if country else None,
        },
        guidance=(KYC,),
        remediation="Have the licensing officer determine the licence requirement for this destination.",
    )


def _not_in_data(item: Item, country: Country) -> Finding:
    return Finding(
        rule_id="HRDD-EXP-005",
        outcome=Outcome.ESCALATE,
        severity=Severity.HIGH,
        message=f"ECCN {item.eccn} of {item.name!r} is not in the export-control data (no entry or prefix of it "
        f"is listed): classification not in the data; determine the licence requirement to {_where(country)} "
        "manually. It is not treated as NLR.",
        evidence=_evidence(item, country),
        guidance=(KYC,),
        remediation="Have the licensing officer determine the licence requirement from the CCL; add the ECCN to the "
        "team's eccns.toml if it recurs.",
    )


def _candidates(item: Item, tables: Tables, profile: CapabilityProfile) -> tuple[list[str], list[str], bool]:
    """The ECCNs the item's capabilities and categories suggest checking, the capabilities and
    categories that suggest them, and whether any is a likely controlled entry."""
    candidates: list[str] = []
    basis: list[str] = []
    likely = False
    sources = [(f"capability {c}", tables.capability_review.get(c)) for c in profile.capabilities]
    sources += [(f"category {c}", tables.category_review.get(c)) for c in item.categories]
    for name, review in sources:
        if review is None:
            continue
        basis.append(name)
        likely = likely or review.outcome == "escalate"
        candidates += [c for c in review.candidates if c not in candidates]
    return candidates, basis, likely


def _review(
    item: Item, state: State, context: CheckContext, profile: CapabilityProfile, declared: str
) -> Finding | None:
    potential = profile.misuse_potential
    if potential < context.config["review_at"]:
        return None
    capabilities = profile.capabilities
    key = ("review", item.name, item.eccn, item.path, item.categories, capabilities, potential, declared)
    return state.findings.recall(key, lambda: _reviewed(item, state.tables, profile, declared))


def _reviewed(item: Item, tables: Tables, profile: CapabilityProfile, declared: str) -> Finding | None:
    candidates, basis, likely = _candidates(item, tables, profile)
    if not candidates:
        return None
    potential = profile.misuse_potential
    return Finding(
        rule_id="HRDD-EXP-007",
        outcome=Outcome.ESCALATE if likely else Outcome.INFO,
        severity=SEVERITY_FOR_POTENTIAL[potential],
        message=f"{item.name!r} is declared {declared} but has surveillance capabilities with misuse potential "
        f"{potential}/5 ({', '.join(basis)}): a person should review the classification against "
        f"{', '.join(candidates)}. The capabilities do not determine the classification"
        + ("; at least one points to a controlled entry." if likely else "; EAR99 remains plausible."),
        evidence={
            f"{item.path}.eccn": item.eccn,
            f"{item.path}.categories": list(item.categories),
            "capabilities": list(profile.capabilities),
            "misuse_potential": potential,
            "candidates": candidates,
        },
        guidance=(SCOPE, KYC),
        remediation="Have the product's classification reviewed (or request a BIS classification) and record it.",
    )


def _unclassified(item: Item, tables: Tables, profile: CapabilityProfile) -> Finding:
    potential = profile.misuse_potential
    candidates, basis, likely = _candidates(item, tables, profile)
    suggestion = (
        f" Its capabilities ({', '.join(basis)}, misuse potential {potential}/5) suggest checking "
        f"{', '.join(candidates)}" + (", at least one a controlled entry." if likely else ".")
        if candidates
        else f" Its profile (misuse potential {potential}/5) suggests no particular entry; EAR99 or 5A992/5D992 "
        "are to be confirmed."
    )
    return Finding(
        rule_id="HRDD-EXP-006",
        outcome=Outcome.ESCALATE,
        severity=Severity.HIGH if likely or potential >= 4 else Severity.MEDIUM,
        message=f"{item.name!r} has no ECCN: without a classification no licence determination can be made, "
        f"so it cannot be cleared.{suggestion}",
        evidence={
            f"{item.path}.eccn": None,
            f"{item.path}.categories": list(item.categories),
            "misuse_potential": potential,
            "candidates": candidates,
        },
        guidance=(KYC, SCOPE),
        remediation="Classify the item (ECCN or EAR99) and record it in the transaction, then assess again.",
    )


@hookimpl
def hrdd_check_end_user(transaction: Transaction, context: CheckContext) -> tuple[Finding, ...]:
    """The age of the export-control data, measured once per reference day: the transaction's
    date, or the assessment's day for an undated deal (see CheckContext.reference)."""
    state: State = context.state
    reference = context.reference(transaction)
    answer = state.ages.get(reference)
    if answer is None:
        answer = state.ages.keep(reference, _data_age_findings(state.tables, reference, context))
    return answer


def _data_age_findings(tables: Tables, reference: Reference, context: CheckContext) -> tuple[Finding, ...]:
    age = reference.days_since(tables.as_of)
    limit = context.config["max_age_days"]
    return (_data_age(tables, reference, age, limit),) if age > limit else ()


def _data_age(tables: Tables, reference: Reference, age: int, limit: int) -> Finding:
    return Finding(
        rule_id="HRDD-EXP-010",
        outcome=Outcome.INFO,
        severity=Severity.LOW,
        message=f"Export-control data is {age} days old: the ECCN and Country Chart tables are as of "
        f"{tables.as_of.isoformat()}, measured against {reference.against()}, beyond the policy's max_age_days ({limit}). "
        "Check the eCFR for amendments to Parts 738, 740, 742, 746 and 774.",
        evidence={
            "export_controls.as_of": tables.as_of.isoformat(),
            "reference_date": reference.date.isoformat(),
            "age_days": age,
            "max_age_days": limit,
        },
        guidance=(KYC,),
        remediation="Update data/eccns.toml and data/country_chart.toml (or the team's files) from the eCFR.",
    )
