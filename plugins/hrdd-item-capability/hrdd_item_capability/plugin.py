"""hrdd-item-capability: what each item can do, what it could be misused for, and its design.

Covers the Draft Guidance's scope (intended *and unintended* surveillance capabilities),
consideration 1 (tailor the item to minimise misuse), consideration 2 (review capabilities
for misuse by government end users and private end users close to a government) and the
trend towards scrutiny of item design.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hrdd import (
    CapabilityProfile,
    CheckContext,
    DetectedCapability,
    Finding,
    Item,
    Outcome,
    PluginInfo,
    PluginSetup,
    RuleInfo,
    Severity,
    Transaction,
    hookimpl,
)
from hrdd.memory import Memory
from hrdd_item_capability.taxonomy import Match, Taxonomy, default_data_path, taxonomy_for

SCOPE = "draft-2019:scope"
TAILOR = "draft-2019:consideration-1"
MISUSE = "draft-2019:consideration-2"
DESIGN = "draft-2019:trend-design"
COMMENSURATE = "draft-2019:dd-1"
RED_FLAG_CLOSE = "draft-2019:red-flag-1"

RULES = (
    RuleInfo(
        "HRDD-CAP-001", "Item has surveillance capabilities (in scope of the guidance)", (SCOPE, MISUSE)
    ),
    RuleInfo(
        "HRDD-CAP-002",
        "Undeclared (unintended) capability found in the item's description",
        (SCOPE, MISUSE, DESIGN),
    ),
    RuleInfo(
        "HRDD-CAP-003",
        "Item infers or is customised to infer protected attributes",
        (TAILOR, MISUSE, COMMENSURATE),
    ),
    RuleInfo("HRDD-CAP-004", "Customisation request removes or weakens a safeguard", (TAILOR, DESIGN)),
    RuleInfo(
        "HRDD-CAP-005",
        "Design safeguards the item's misuse potential calls for are missing",
        (TAILOR, DESIGN),
    ),
    RuleInfo(
        "HRDD-CAP-006",
        "Custom development of a high-misuse item for a government-linked end user",
        (DESIGN, TAILOR),
    ),
    RuleInfo("HRDD-CAP-007", "Item presented for covert or mass-scale use", (MISUSE, DESIGN)),
    RuleInfo("HRDD-CAP-008", "Item's capabilities cannot be determined from the transaction", (SCOPE,)),
    RuleInfo(
        "HRDD-CAP-009",
        "High misuse potential for a government-linked end user",
        (MISUSE, COMMENSURATE, RED_FLAG_CLOSE),
    ),
    RuleInfo(
        "HRDD-CAP-010", "Item or stated end use aimed at people exercising their rights", (MISUSE, TAILOR)
    ),
)

CONFIG_SCHEMA: dict[str, Any] = {
    "data": {"type": "string", "nullable": True, "default": None, "empty": False, "meta": {"path": True}},
    "escalate_at": {"type": "integer", "min": 1, "max": 5, "default": 4},
    "safeguards_at": {"type": "integer", "min": 1, "max": 5, "default": 3},
    "unknown_end_user_is_government": {"type": "boolean", "default": True},
}

GOVERNMENT_TYPES = frozenset({"government_agency", "state_owned_enterprise", "private_close_to_government"})
CLOSE_RELATIONSHIPS = frozenset({"contractor", "partially_owned", "state_controlled"})
LEVELS = ("none", "low", "low", "medium", "high", "critical")
SEVERITY_FOR_POTENTIAL = {
    0: Severity.NONE,
    1: Severity.LOW,
    2: Severity.LOW,
    3: Severity.MEDIUM,
    4: Severity.HIGH,
    5: Severity.CRITICAL,
}


@hookimpl
def hrdd_plugin_info() -> PluginInfo:
    return PluginInfo(
        clauses=(SCOPE, TAILOR, MISUSE, DESIGN, COMMENSURATE, RED_FLAG_CLOSE),
        rules=RULES,
        config_schema=CONFIG_SCHEMA,
        description="Classifies each item's intended and unintended surveillance capabilities, "
        "grades misuse potential, credits design safeguards and flags harmful customisation.",
    )


@hookimpl
def hrdd_configure(config: Mapping[str, Any], policy_dir: Path) -> PluginSetup:
    path = default_data_path() if config["data"] is None else policy_dir / config["data"]
    taxonomy = taxonomy_for(path)
    return PluginSetup(data=(taxonomy.dataset,), state=State(taxonomy))


# How many values each of an engine's memories holds (see State): a safety bound. A catalogue
# of a dozen products, each in three positions, a few configurations and customisation
# requests, sold to a handful of kinds of end user, makes a few thousand item answers.
MEMORY_SIZE = 4096
# How many findings (one by one, and the texts' groups) are kept: an order book's hundred
# product models, each at one of a few positions, with its safeguards as sold (the standard
# ones or one struck or added) and each kind of government link, make some ten thousand of
# each kind (a year's order book: 4,000 in-scope findings, 2,000 to 7,000 of each rule weighing
# the end user's link, 6,500 texts' groups); a memory that fills forgets its older half, and
# the best-selling models' findings come back among the newer.
FINDINGS_SIZE = MEMORY_SIZE
# How many answers hrdd_check_item keeps, for all configurations together: one per
# configuration, model name and kind of government link (13,000 in a year's order book).
ANSWERS_SIZE = 2 * MEMORY_SIZE


class State:
    """One engine's view: the taxonomy (shared by the engines that read the same file) and what
    the hooks worked out with it, each memory keyed by everything its builder reads. Findings
    are immutable: returned again, they are enforced, ranked and written once. The config is
    the engine's own, so it is no part of any key."""

    __slots__ = (
        "answers",
        "bases",
        "configurations",
        "end_uses",
        "findings",
        "recent",
        "recommended",
        "removed",
        "taxonomy",
        "texts",
    )

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        # Item configurations (each with its profile), hrdd_check_item's answers by the
        # configuration (its identity) and the rest of what they read, and what profiles derive
        # from an item's texts, categories and capabilities (its design safeguards aside).
        self.configurations: Memory[tuple[Any, ...], Configuration] = Memory(MEMORY_SIZE)
        self.answers: Memory[tuple[Any, ...], tuple[Finding, ...]] = Memory(ANSWERS_SIZE)
        self.bases: Memory[tuple[Any, ...], Basis] = Memory(MEMORY_SIZE)
        # The configuration the profile hook found for the deal's item at each position, with
        # the item: hrdd_check_item, called with the very same item, takes it from here instead
        # of looking it up again.
        self.recent: dict[int, tuple[Item, Configuration]] = {}
        # Design safeguards: those a set of capabilities calls for, and those a customisation
        # request takes away (keyed by the request's text).
        self.recommended: Memory[frozenset[str], tuple[str, ...]] = Memory(MEMORY_SIZE)
        self.removed: Memory[str, frozenset[str]] = Memory(MEMORY_SIZE)
        # hrdd_check_item's findings one by one (keys start with the rule id), and those the
        # item's texts reveal, as a group.
        self.findings: Memory[tuple[Any, ...], Any] = Memory(FINDINGS_SIZE)  # Finding | None
        self.texts: Memory[tuple[Any, ...], tuple[Finding, ...]] = Memory(FINDINGS_SIZE)
        # hrdd_check_end_user's answers.
        self.end_uses: Memory[tuple[Any, ...], tuple[Finding, ...]] = Memory(MEMORY_SIZE)


# --------------------------------------------------------------------------------------
# The end user, as far as this plugin needs it
# --------------------------------------------------------------------------------------


def government_link(transaction: Transaction, config: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether the end user is a government or close to one, and why (for evidence)."""
    end_user = transaction.end_user
    if end_user.type in GOVERNMENT_TYPES:
        return True, f"end_user.type = {end_user.type}"
    if end_user.government_relationship in CLOSE_RELATIONSHIPS:
        return True, f"end_user.government_relationship = {end_user.government_relationship}"
    if end_user.type in (None, "unknown") and config["unknown_end_user_is_government"]:
        return True, "end_user.type not established (treated as government-linked until it is)"
    return False, f"end_user.type = {end_user.type}"


# --------------------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------------------


def _texts(item: Item) -> tuple[tuple[str, str], ...]:
    return (
        (f"{item.path}.description", item.description),
        (f"{item.path}.customization_request", item.customization_request),
    )


def _grading(taxonomy: Taxonomy, capabilities: set[str] | frozenset[str]) -> tuple[int, int, frozenset[str]]:
    """The misuse potential of (non-empty) capabilities before any credit, its floor, and the
    design safeguards that earn credit (those mitigating a capability, and feature_disabled)."""
    specs = [taxonomy.capabilities[c] for c in capabilities]
    raw = max(spec.weight for spec in specs)
    grave = sum(1 for spec in specs if spec.weight >= 4)
    identifying = capabilities & {
        "biometric_identification",
        "relationship_mapping",
        "metadata_collection",
        "location_tracking",
    }
    # Combinations graver than their parts: three grave capabilities, bulk collection that
    # identifies people, and identifying people where they are (face recognition with location
    # alerts is tracking of individuals).
    locating_faces = {"biometric_identification", "location_tracking"} <= capabilities
    if grave >= 3 or ("bulk_collection" in capabilities and identifying) or locating_faces:
        raw = min(5, raw + 1)
    relevant = {m for spec in specs for m in spec.mitigated_by}
    floor = max(spec.floor for spec in specs)
    return raw, floor, frozenset(relevant | {"feature_disabled"})


def _credit(
    raw: int, floor: int, creditable: frozenset[str], safeguards: Iterable[str]
) -> tuple[int, tuple[str, ...]]:
    credited = tuple(sorted(creditable.intersection(safeguards)))
    credit = 0 if len(credited) < 2 else 1 if len(credited) < 4 else 2
    return max(floor, raw - credit), credited


def _potential(
    taxonomy: Taxonomy, capabilities: set[str], safeguards: tuple[str, ...]
) -> tuple[int, tuple[str, ...]]:
    """Misuse potential 0-5 after crediting design safeguards, and the safeguards credited."""
    if not capabilities:
        return 0, ()
    return _credit(*_grading(taxonomy, capabilities), safeguards)


class Basis:
    """What an item's profile derives from everything but its design safeguards (its texts,
    categories, declared capabilities and position), worked out once per distinct basis:
    product descriptions and customisation requests repeat across a catalogue's deals."""

    __slots__ = ("capabilities", "creditable", "declared", "detected", "floor", "raw", "removed")

    def __init__(self, item: Item, state: State) -> None:
        taxonomy = state.taxonomy
        declared = set(item.capabilities)
        implied = {c for category in item.categories for c in taxonomy.categories[category]}
        self.detected = tuple(
            DetectedCapability(match.kind, field, match.snippet)
            for field, text in _texts(item)
            for match in taxonomy.scan(text)
        )
        capabilities = declared | implied | {d.capability for d in self.detected}
        self.capabilities = tuple(sorted(capabilities))
        self.declared = tuple(sorted(declared | implied))
        self.removed = removed_safeguards(state, item)
        self.raw, self.floor, self.creditable = (
            _grading(taxonomy, capabilities) if capabilities else (0, 0, frozenset())
        )

    def profile(self, item: Item) -> CapabilityProfile:
        if self.capabilities:
            kept = [s for s in item.design_safeguards if s not in self.removed]
            potential, credited = _credit(self.raw, self.floor, self.creditable, kept)
        else:
            potential, credited = 0, ()
        return CapabilityProfile(
            item_id=item.id,
            capabilities=self.capabilities,
            declared=self.declared,
            detected=self.detected,
            misuse_potential=potential,
            credited_safeguards=credited,
        )


class Configuration:
    """An item as its profile reads it (id, position, categories, capabilities, texts and
    design safeguards), with its profile. Compared and hashed by identity: hrdd_check_item's
    answers for it are remembered by it (State.answers), and a key holding it keeps it alive.
    Only a configuration that recurs is remembered, and only its answers are (``remembered``
    is False for one seen once: no later deal would find them)."""

    __slots__ = ("profile", "remembered")

    def __init__(self, profile: CapabilityProfile) -> None:
        self.profile = profile
        self.remembered = False


def configuration(item: Item, state: State) -> Configuration:
    """The item's configuration, the same one for the same item fields: everything a profile
    reads (its id, position, categories, capabilities, texts and design safeguards)."""
    key = (
        item.id,
        item.index,
        item.categories,
        item.capabilities,
        item.description,
        item.customization_request,
        item.design_safeguards,
    )
    found = state.configurations.get(key)
    if found is None:
        # All but the id and the design safeguards: what a Basis reads.
        basis_key = (
            item.index,
            item.categories,
            item.capabilities,
            item.description,
            item.customization_request,
        )
        basis = state.bases.get(basis_key)
        if basis is None:
            basis = state.bases.keep(basis_key, Basis(item, state))
        found = state.configurations.keep_recurring(key, Configuration(basis.profile(item)))
        found.remembered = key in state.configurations  # then its answers may be asked for again
    return found


@hookimpl
def hrdd_item_profile(item: Item, transaction: Transaction, context: CheckContext) -> CapabilityProfile:
    """The item's profile, the same (immutable) one for the same item fields (see
    configuration), whose configuration hrdd_check_item then takes for the same item."""
    state: State = context.state
    found = configuration(item, state)
    state.recent[item.index] = (item, found)
    return found.profile


# --------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------


def _label(taxonomy: Taxonomy, capability: str) -> str:
    return taxonomy.capabilities[capability].label


def _intents(taxonomy: Taxonomy, item: Item) -> dict[str, tuple[str, Match]]:
    """Intentions in the item's texts, keyed by kind, with the field path each came from."""
    found: dict[str, tuple[str, Match]] = {}
    for path, text in _texts(item):
        for match in taxonomy.scan_intents(text, path.rsplit(".", 1)[1]):
            found.setdefault(match.kind, (path, match))
    return found


# Words of a removal request and the design safeguard they take away.
REMOVAL_WORDS = (
    ("audit", "audit_logging"),
    ("log", "audit_logging"),
    ("tamper", "tamper_evident_logs"),
    ("geofenc", "geofencing"),
    ("geo-fenc", "geofencing"),
    ("limit", "volume_limits"),
    ("cap", "volume_limits"),
    ("warrant", "warrant_enforcement"),
    ("access control", "role_based_access"),
    ("role", "role_based_access"),
    ("anonymi", "data_minimisation"),
    ("pseudonymi", "data_minimisation"),
    ("blur", "data_minimisation"),
    ("mask", "data_minimisation"),
)


def removed_safeguards(state: State, item: Item) -> frozenset[str]:
    """Design safeguards the customisation request asks to take away: never credited (worked
    out once per request text)."""
    found = state.removed.get(item.customization_request)
    if found is None:
        found = state.removed.keep(item.customization_request, _removed(state.taxonomy, item))
    return found


def _removed(taxonomy: Taxonomy, item: Item) -> frozenset[str]:
    removed: set[str] = set()
    for match in taxonomy.scan_intents(item.customization_request, "customization_request"):
        if match.kind == "safeguard_removal":
            words = match.matched
            removed.update(safeguard for word, safeguard in REMOVAL_WORDS if word in words)
    return frozenset(removed)


@hookimpl
def hrdd_check_item(item: Item, transaction: Transaction, context: CheckContext) -> tuple[Finding, ...]:
    """The item's findings, in order, as one (immutable) answer, returned again for the same
    key (everything they read: the item's configuration, which is remembered once it recurs,
    and the rest). Products, their standard configurations and customisation requests repeat
    across a catalogue's deals, and so do the kinds of end user."""
    state: State = context.state
    # The item's configuration: the profile hook found it for this very item (taken out, so
    # the item is freed with its deal), unless it did not run for it.
    recent = state.recent.pop(item.index, None)
    found = recent[1] if recent is not None and recent[0] is item else configuration(item, state)
    # The merged profile (this plugin's view and any other plugin's): the configuration's own
    # (None in the key: the configuration holds it) unless another plugin profiled the item too.
    profile = context.profiles.get(item.id) or found.profile
    # All the findings read of the end user: whether it is government-linked, and why (end
    # users of different types or relationships may have the same link, and the same answers).
    linked, link_reason = government_link(transaction, context.config)
    # The rest of what the findings read: the configuration holds the item's other fields.
    key = (
        found,
        None if profile is found.profile else profile,
        item.name,
        item.customization,
        linked,
        link_reason,
    )
    answer = state.answers.get(key) if found.remembered else None
    if answer is None:
        answer = _item_findings(item, profile, state, context.config, linked, link_reason)
        if found.remembered:
            state.answers.keep(key, answer)
    return answer


def _item_findings(
    item: Item,
    profile: CapabilityProfile,
    state: State,
    config: Mapping[str, Any],
    linked: bool,
    link_reason: str,
) -> tuple[Finding, ...]:
    """The item's findings (see hrdd_check_item). Each is remembered on its own too, keyed by
    what its builder reads: a deal whose answer is new (another position, configuration or end
    user) still gets the findings it shares with earlier deals. Keys start with the rule id."""
    taxonomy = state.taxonomy
    potential = profile.misuse_potential
    key: tuple[Any, ...]
    if not profile.capabilities and not item.description.strip() and set(item.categories) <= {"other"}:
        key = ("HRDD-CAP-008", item.name, item.index, item.categories, item.description)
        return (state.findings.recall(key, lambda: _undetermined(item), recurring=True),)
    findings: list[Finding] = []
    if profile.capabilities:
        key = (
            "HRDD-CAP-001",
            item.name,
            item.index,
            item.categories,
            item.capabilities,
            item.design_safeguards,
            profile.capabilities,
            potential,
            profile.credited_safeguards,
        )
        findings.append(state.findings.recall(key, lambda: _in_scope(item, profile), recurring=True))
    # Everything _text_checks reads (the declared capabilities of the profile only when the
    # item lists none of its own; of its capabilities, only whether one infers protected
    # attributes): the same product and texts give the same findings.
    key = (
        profile.detected,
        None if item.capabilities else profile.declared,
        "protected_attribute_inference" in profile.capabilities,
        item.name,
        item.index,
        item.capabilities,
        item.description,
        item.customization_request,
        linked,
        link_reason,
    )
    texts = state.texts.get(key)
    if texts is None:
        texts = state.texts.keep(key, _text_checks(item, profile, taxonomy, linked, link_reason))
    findings += texts
    if linked and potential >= config["escalate_at"]:
        # The position is no part of the message or the evidence, but is of the key: the
        # engine remembers a finding's enforced copy for one subject (the item's path).
        key = (
            "HRDD-CAP-009",
            item.name,
            item.index,
            potential,
            profile.capabilities,
            profile.credited_safeguards,
            link_reason,
        )
        findings.append(
            state.findings.recall(key, lambda: _high_potential(item, profile, link_reason), recurring=True)
        )
    if linked and potential >= config["safeguards_at"]:
        removed = removed_safeguards(state, item)
        key = (
            "HRDD-CAP-005",
            item.name,
            item.index,
            item.design_safeguards,
            removed,
            profile.capabilities,
            potential,
        )
        finding = state.findings.recall(
            key,
            lambda: _missing_design_safeguards(state, item, profile.capabilities, removed, potential),
            recurring=True,
        )
        if finding is not None:
            findings.append(finding)
    if linked and item.customization == "custom_development" and potential >= 4:
        key = (
            "HRDD-CAP-006",
            item.name,
            item.index,
            item.customization,
            item.customization_request,
            potential,
            link_reason,
        )
        findings.append(
            state.findings.recall(
                key, lambda: _custom_development(item, potential, link_reason), recurring=True
            )
        )
    return tuple(findings)


def _undetermined(item: Item) -> Finding:
    where = item.path
    return Finding(
        rule_id="HRDD-CAP-008",
        outcome=Outcome.ESCALATE,
        severity=Severity.MEDIUM,
        message=f"Item {item.name!r} declares no category, no capability and no description: "
        "whether it has surveillance capabilities cannot be determined, so it cannot be cleared.",
        evidence={
            f"{where}.categories": list(item.categories),
            f"{where}.capabilities": [],
            f"{where}.description": item.description,
        },
        guidance=(SCOPE,),
        remediation="Describe the item and declare its categories and capabilities (including unintended ones).",
    )


def _in_scope(item: Item, profile: CapabilityProfile) -> Finding:
    where = item.path
    potential = profile.misuse_potential
    capabilities = set(profile.capabilities)
    return Finding(
        rule_id="HRDD-CAP-001",
        outcome=Outcome.INFO,
        severity=SEVERITY_FOR_POTENTIAL[potential],
        message=f"Item {item.name!r} has surveillance capabilities ({', '.join(sorted(capabilities))}); "
        f"misuse potential {potential}/5 ({LEVELS[potential]}) after crediting "
        f"{', '.join(profile.credited_safeguards) or 'no design safeguards'}.",
        evidence={
            f"{where}.categories": list(item.categories),
            f"{where}.capabilities": list(item.capabilities),
            f"{where}.design_safeguards": list(item.design_safeguards),
            "misuse_potential": potential,
        },
        guidance=(SCOPE, MISUSE),
    )


def _text_checks(
    item: Item, profile: CapabilityProfile, taxonomy: Taxonomy, linked: bool, link_reason: str
) -> tuple[Finding, ...]:
    """What the item's texts and the profile's detected capabilities reveal: undeclared
    capabilities (HRDD-CAP-002), protected-attribute inference (HRDD-CAP-003) and the
    intentions of HRDD-CAP-004, HRDD-CAP-007 and HRDD-CAP-010."""
    capabilities = set(profile.capabilities)
    where = item.path
    findings: list[Finding] = []

    # What the exporter vouched for: its own capability list when it gave one (a list that
    # omits what the text reveals is an incomplete declaration), else the categories' implications.
    vouched = set(item.capabilities) if item.capabilities else set(profile.declared)
    undeclared = [d for d in profile.detected if d.capability not in vouched]
    seen: set[str] = set()
    for detected in undeclared:
        if detected.capability in seen or detected.capability == "protected_attribute_inference":
            continue  # protected attributes have their own, graver rule
        seen.add(detected.capability)
        weight = taxonomy.capabilities[detected.capability].weight
        if linked and weight >= 4:
            outcome, severity = Outcome.ESCALATE, Severity.HIGH
        elif linked:
            outcome, severity = Outcome.SAFEGUARDS_REQUIRED, Severity.MEDIUM
        else:
            outcome, severity = Outcome.INFO, Severity.LOW
        findings.append(
            Finding(
                rule_id="HRDD-CAP-002",
                outcome=outcome,
                severity=severity,
                message=f"Item {item.name!r} is not declared to have the capability {detected.capability} "
                f"({_label(taxonomy, detected.capability)}) but its text says so: an unintended "
                "surveillance capability is in scope of the guidance too.",
                evidence={
                    detected.field: detected.phrase,
                    f"{where}.capabilities": list(item.capabilities),
                    "end_user": link_reason,
                },
                guidance=(SCOPE, MISUSE, DESIGN),
                remediation=f"Declare {detected.capability} for this item and either disable it for this customer "
                "(feature_disabled) or assess and mitigate it like an intended capability.",
            )
        )

    if "protected_attribute_inference" in capabilities:
        source = next((d for d in profile.detected if d.capability == "protected_attribute_inference"), None)
        evidence: dict[str, Any] = {"end_user": link_reason}
        if source is not None:
            evidence[source.field] = source.phrase
        else:
            evidence[f"{where}.capabilities"] = list(item.capabilities)
        findings.append(
            Finding(
                rule_id="HRDD-CAP-003",
                outcome=Outcome.DO_NOT_PROCEED if linked else Outcome.ESCALATE,
                severity=Severity.CRITICAL if linked else Severity.HIGH,
                message=f"Item {item.name!r} would infer protected attributes (ethnicity, religion, political "
                "opinion or similar): the guidance asks exporters to tailor items to minimise misuse, and this "
                "capability exists to single out groups.",
                evidence=evidence,
                guidance=(TAILOR, MISUSE, COMMENSURATE),
                remediation="Refuse the customisation and remove any protected-attribute inference from the deliverable.",
            )
        )

    intents = _intents(taxonomy, item)
    if "safeguard_removal" in intents and item.customization_request:
        field, match = intents["safeguard_removal"]
        findings.append(
            Finding(
                rule_id="HRDD-CAP-004",
                outcome=Outcome.ESCALATE,
                severity=Severity.HIGH if linked else Severity.MEDIUM,
                message=f"The customer asks to remove or weaken a safeguard of {item.name!r} ({match.snippet!r}): "
                "a request to make misuse harder to detect is a red flag the guidance's design trend names.",
                evidence={field: match.snippet, "end_user": link_reason},
                guidance=(TAILOR, DESIGN),
                remediation="Decline the change, keep audit logging and limits on, and ask why the customer needs it.",
            )
        )

    if "covert_or_mass" in intents:
        field, match = intents["covert_or_mass"]
        findings.append(
            Finding(
                rule_id="HRDD-CAP-007",
                outcome=Outcome.ESCALATE if linked else Outcome.INFO,
                severity=Severity.HIGH if linked else Severity.LOW,
                message=f"Item {item.name!r} is presented for covert or mass-scale use ({match.snippet!r}).",
                evidence={field: match.snippet, "end_user": link_reason},
                guidance=(MISUSE, DESIGN),
                remediation="Limit the deliverable to targeted, authorised use (volume limits, warrant enforcement, "
                "audit logging) and review the end user's legal framework before going ahead.",
            )
        )

    if "targets_rights" in intents:
        field, match = intents["targets_rights"]
        findings.append(_targets_rights_finding(item.name, field, match, linked, link_reason))
    return tuple(findings)


def _high_potential(item: Item, profile: CapabilityProfile, link_reason: str) -> Finding:
    potential = profile.misuse_potential
    return Finding(
        rule_id="HRDD-CAP-009",
        outcome=Outcome.ESCALATE,
        severity=SEVERITY_FOR_POTENTIAL[potential],
        message=f"Item {item.name!r} has misuse potential {potential}/5 ({LEVELS[potential]}) and the end user "
        f"is government-linked ({link_reason}): the guidance asks for review of its potential for misuse "
        "by such end users before export.",
        evidence={
            "misuse_potential": potential,
            "capabilities": sorted(profile.capabilities),
            "credited_safeguards": list(profile.credited_safeguards),
            "end_user": link_reason,
        },
        guidance=(MISUSE, COMMENSURATE, RED_FLAG_CLOSE),
        remediation="Have the deal reviewed against the end user's record and legal framework; limit the "
        "item's capabilities to what the stated end use needs.",
    )


def _custom_development(item: Item, potential: int, link_reason: str) -> Finding:
    where = item.path
    return Finding(
        rule_id="HRDD-CAP-006",
        outcome=Outcome.ESCALATE,
        severity=Severity.HIGH,
        message=f"Item {item.name!r} is custom-developed for a government-linked end user and has misuse "
        f"potential {potential}/5: the design itself must be reviewed.",
        evidence={
            f"{where}.customization": item.customization,
            f"{where}.customization_request": item.customization_request,
            "end_user": link_reason,
        },
        guidance=(DESIGN, TAILOR),
        remediation="Review the specification with compliance before development; build in audit logging, "
        "warrant enforcement and volume limits.",
    )


# How many of the recommended design safeguards an item of a given misuse potential needs.
SAFEGUARDS_NEEDED = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4}


def _missing_design_safeguards(
    state: State, item: Item, capabilities: Iterable[str], removed: frozenset[str], potential: int
) -> Finding | None:
    """Commensurate design safeguards: the graver the potential, the more of the safeguards
    that mitigate the item's serious capabilities (weight 3+) must be built in; audit logging
    always, since without it no misuse can be detected afterwards. ``removed``: the
    safeguards the customisation request takes away (removed_safeguards)."""
    recommended = _recommended(state, frozenset(capabilities))
    if not recommended:
        return None
    kept = set(item.design_safeguards) - removed
    present = [s for s in recommended if s in kept]
    missing = [s for s in recommended if s not in kept]
    needed = min(SAFEGUARDS_NEEDED[potential], len(recommended))
    audit_missing = "audit_logging" in missing
    if len(present) >= needed and not audit_missing:
        return None
    return Finding(
        rule_id="HRDD-CAP-005",
        outcome=Outcome.SAFEGUARDS_REQUIRED,
        severity=SEVERITY_FOR_POTENTIAL[min(potential, 4)],
        message=f"Item {item.name!r} (misuse potential {potential}/5) has {len(present)} of the "
        f"{needed} design safeguards its capabilities call for"
        + (" and no audit logging" if audit_missing else "")
        + f"; missing: {', '.join(missing)}.",
        evidence={
            f"{item.path}.design_safeguards": list(item.design_safeguards),
            "recommended": list(recommended),
            "needed": needed,
        },
        guidance=(TAILOR, DESIGN),
        remediation=f"Build into {item.name!r} before delivery: "
        + ", ".join(
            (["audit_logging"] if audit_missing else [])
            + [s for s in missing if s != "audit_logging"][: max(0, needed - len(present))]
        )
        + ".",
    )


def _recommended(state: State, capabilities: frozenset[str]) -> tuple[str, ...]:
    """The design safeguards that mitigate the serious capabilities (weight 3+; all of them
    when none is serious), sorted: worked out once per set of capabilities."""
    found = state.recommended.get(capabilities)
    if found is None:
        specs = state.taxonomy.capabilities
        serious = [c for c in capabilities if specs[c].weight >= 3] or list(capabilities)
        found = state.recommended.keep(
            capabilities, tuple(sorted({m for c in serious for m in specs[c].mitigated_by}))
        )
    return found


def _targets_rights_finding(name: str, field: str, match: Match, linked: bool, link_reason: str) -> Finding:
    return Finding(
        rule_id="HRDD-CAP-010",
        outcome=Outcome.DO_NOT_PROCEED if linked else Outcome.ESCALATE,
        severity=Severity.CRITICAL if linked else Severity.HIGH,
        message=f"{name} is aimed at people exercising their rights ({match.snippet!r}): surveillance of "
        "protesters, journalists, opposition, defenders or minorities is the misuse the guidance exists to prevent.",
        evidence={field: match.snippet, "end_user": link_reason},
        guidance=(MISUSE, TAILOR),
        remediation="Do not supply for this use; if the text was a mistake, correct the transaction and assess again.",
    )


@hookimpl
def hrdd_check_end_user(transaction: Transaction, context: CheckContext) -> tuple[Finding, ...] | None:
    """The stated end use, read once per transaction for uses aimed at people's rights: the
    same answer for the same stated end use and kind of end user."""
    end_user = transaction.end_user
    stated = end_user.stated_end_use
    if not stated:
        return None
    state: State = context.state
    linked, link_reason = government_link(transaction, context.config)
    key = (stated, linked, link_reason)  # all the answer reads
    answer = state.end_uses.get(key)
    if answer is None:
        answer = state.end_uses.keep(key, _end_use_findings(stated, state, linked, link_reason))
    return answer


def _end_use_findings(stated: str, state: State, linked: bool, link_reason: str) -> tuple[Finding, ...]:
    for match in state.taxonomy.scan_intents(stated):
        if match.kind == "targets_rights":
            return (
                _targets_rights_finding(
                    "The stated end use", "end_user.stated_end_use", match, linked, link_reason
                ),
            )
    return ()
