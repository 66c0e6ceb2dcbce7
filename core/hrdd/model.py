"""The value types hrdd passes around: the transaction (schema version 1) and what checks say about it.

Every class is an ``attrs`` frozen value with tuples for collections. Transactions are
built from documents already validated against ``schemas/transaction.schema.json`` through
:meth:`Transaction.from_dict`; validation belongs to the edges (:mod:`hrdd.documents`), not here.
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
import re
from collections.abc import Iterable, Mapping
from itertools import repeat
from typing import Any, NamedTuple

import attrs

from hrdd.memory import Memory

SCHEMA_VERSION = 1

# --------------------------------------------------------------------------------------
# Enumerations of the transaction document (closed; "other" where a value may fall outside)
# --------------------------------------------------------------------------------------

TRANSACTION_KINDS = ("new_sale", "renewal", "support", "update", "service", "demo")
ITEM_CATEGORIES = (
    "spyware", "crypto_analysis", "penetration_testing", "deep_packet_inspection",
    "computer_vision_chip", "location_tracking", "cell_site_simulator", "license_plate_reader",
    "body_worn_camera", "drone", "facial_recognition", "thermal_imaging", "rapid_dna",
    "biometric_system", "social_media_analytics", "gait_analysis",
    "network_protocol_surveillance", "remote_recording_device", "data_analytics", "other",
)  # fmt: skip
CAPABILITIES = (
    "content_interception", "metadata_collection", "location_tracking",
    "biometric_identification", "audio_video_recording", "remote_access", "covert_operation",
    "bulk_collection", "indexing_and_search", "relationship_mapping",
    "protected_attribute_inference", "content_blocking", "traffic_injection", "decryption",
    "device_exploitation", "data_retention", "sentiment_analysis", "other",
)  # fmt: skip
DESIGN_SAFEGUARDS = (
    "audit_logging", "tamper_evident_logs", "role_based_access", "geofencing", "volume_limits",
    "feature_disabled", "data_minimisation", "warrant_enforcement", "other",
)  # fmt: skip
CUSTOMIZATIONS = ("none", "configuration", "custom_development")
END_USER_TYPES = (
    "government_agency", "state_owned_enterprise", "private_close_to_government", "private",
    "ngo", "academic", "individual", "unknown",
)  # fmt: skip
SECTORS = (
    "law_enforcement", "intelligence", "military", "prisons", "border_control",
    "public_security", "regulator", "telecom_operator", "health", "justice",
    "civil_administration", "municipal", "financial", "commercial", "research",
    "civil_society", "other",
)  # fmt: skip
GOVERNMENT_RELATIONSHIPS = ("none", "contractor", "partially_owned", "state_controlled")
PARTY_ROLES = (
    "distributor", "reseller", "integrator", "prime_contractor", "consignee",
    "intermediate_consignee", "freight_forwarder", "broker", "financier", "invoicing_party",
    "other",
)  # fmt: skip
RELATIONSHIPS = ("director_overlap", "ownership", "successor", "other")
CONTRACT_CLAUSES = (
    "export_compliance", "end_use_certificate", "no_reexport", "use_limitation",
    "data_handling", "audit_rights", "suspend_and_terminate", "technical_limitations",
    "human_rights_training", "grievance_mechanism", "public_reporting", "staged_delivery",
)  # fmt: skip
POST_EXPORT_MEASURES = ("monitoring", "periodic_audit", "grievance_channel", "usage_reporting")
CONTEXT_EVENTS = (
    "election_period", "mass_protests", "state_of_emergency", "internet_shutdown",
    "armed_conflict",
)  # fmt: skip
KYC_QUESTIONS = (
    "similar_to_listed_party", "reluctant_end_use_information",
    "capabilities_mismatch_business", "incompatible_with_destination",
    "cash_for_expensive_item", "little_business_background", "unfamiliar_with_product",
    "declines_installation_training_maintenance", "vague_delivery_or_destination",
    "freight_forwarder_final_destination", "abnormal_shipping_route", "packaging_inconsistent",
    "evasive_about_reexport", "management_overlap_with_listed_party",
    "assumes_listed_party_operations", "owned_by_listed_party",
)  # fmt: skip


def _date(value: str | _dt.date | None) -> _dt.date | None:
    if value is None or isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(value)


def _strings(values: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(values) if values else ()


# --------------------------------------------------------------------------------------
# The transaction
# --------------------------------------------------------------------------------------


@attrs.frozen
class Money:
    """An amount in an ISO 4217 currency."""

    amount: float
    currency: str


@attrs.frozen(cache_hash=True)  # plugins key remembered work by parties: hashed once
class RelatedParty:
    """A party related to an end user or intermediary (shared directors, owners, successors)."""

    name: str
    relationship: str | None = None
    country: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RelatedParty:
        return cls(data["name"], data.get("relationship"), data.get("country"))


def _related(rows: Iterable[Mapping[str, Any]] | None) -> tuple[RelatedParty, ...]:
    return tuple(RelatedParty.from_dict(row) for row in rows) if rows else ()


@attrs.frozen(cache_hash=True)  # plugins key remembered work by parties: hashed once
class Party:
    """An intermediary or other stakeholder in the deal (distributor, reseller, forwarder...)."""

    role: str
    name: str
    country: str | None = None
    related_parties: tuple[RelatedParty, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Party:
        """The party of these fields: the very one built before when a deal names it again
        (a value, so sharing it changes nothing), so that the keys plugins remember work by
        find it by identity instead of comparing it field by field."""
        related = data.get("related_parties")
        fields = (data["role"], data["name"], data.get("country"))
        if related:
            return cls(*fields, _related(related))
        parties = _party_memory()
        party = parties.get(fields)
        if party is None:
            party = parties.keep(fields, cls(*fields))
        return party


# The parties without related parties built so far, by their fields (see Party.from_dict): a
# bound, not a working set (an exporter's distributors and forwarders are few). Made on first
# use, not on import: its size reads HRDD_MEMORY_SCALE, which a command checks (and
# ``hrdd batch --memory-scale`` sets) before anything is built, and importing hrdd must not
# fail on it.
_PARTIES_SIZE = 1024


@functools.cache
def _party_memory() -> Memory[tuple[str, str, str | None], Party]:
    return Memory(_PARTIES_SIZE)


@attrs.frozen
class OtherEndUser:
    """Somebody besides the stated end user who will use the item or receive its output."""

    name: str
    country: str | None = None
    type: str | None = None
    sector: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OtherEndUser:
        return cls(data["name"], data.get("country"), data.get("type"), data.get("sector"))


@attrs.frozen
class MisuseReport:
    """A report that the end user misused surveillance tools; ``credible`` None = not assessed."""

    summary: str
    source: str | None = None
    date: _dt.date | None = None
    credible: bool | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MisuseReport:
        return cls(data["summary"], data.get("source"), _date(data.get("date")), data.get("credible"))


@attrs.frozen
class EndUser:
    """The stated end user. ``sole_end_user`` None means it has not been established."""

    name: str
    country: str
    type: str | None = None
    sector: str | None = None
    government_relationship: str | None = None
    stated_end_use: str | None = None
    other_end_users: tuple[OtherEndUser, ...] = ()
    sole_end_user: bool | None = None
    misuse_reports: tuple[MisuseReport, ...] = ()
    related_parties: tuple[RelatedParty, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EndUser:
        others = data.get("other_end_users")
        reports = data.get("misuse_reports")
        # Positional, in field order (name, country, type, sector, government_relationship,
        # stated_end_use, other_end_users, sole_end_user, misuse_reports, related_parties).
        return cls(
            data["name"],
            data["country"],
            data.get("type"),
            data.get("sector"),
            data.get("government_relationship"),
            data.get("stated_end_use"),
            tuple(OtherEndUser.from_dict(row) for row in others) if others else (),
            data.get("sole_end_user"),
            tuple(MisuseReport.from_dict(row) for row in reports) if reports else (),
            _related(data.get("related_parties")),
        )


@attrs.frozen
class Item:
    """One item of the deal: hardware, software, technology or a service."""

    id: str
    name: str
    description: str = ""
    eccn: str | None = None
    categories: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    design_safeguards: tuple[str, ...] = ()
    customization: str | None = None
    customization_request: str = ""
    quantity: int | None = None
    value: Money | None = None
    index: int = 0  # position in the document, so findings can point at ``items[index]``
    path: str = attrs.field(init=False, eq=False, repr=False)  # "items[index]", for evidence

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "path", f"items[{self.index}]")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], index: int = 0) -> Item:
        value = data.get("value")
        # Positional, in field order (id, name, description, eccn, categories, capabilities,
        # design_safeguards, customization, customization_request, quantity, value, index):
        # every assessment builds its items here.
        return cls(
            data["id"],
            data["name"],
            data.get("description") or "",
            data.get("eccn"),
            _strings(data.get("categories")),
            _strings(data.get("capabilities")),
            _strings(data.get("design_safeguards")),
            data.get("customization"),
            data.get("customization_request") or "",
            data.get("quantity"),
            Money(value["amount"], value["currency"]) if value else None,
            index,
        )


@attrs.frozen
class Contract:
    """The safeguards agreed in the contract, before and after export."""

    clauses: tuple[str, ...] = ()
    post_export: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Contract:
        if not data:
            return cls()
        return cls(_strings(data.get("clauses")), _strings(data.get("post_export")))


@attrs.frozen
class Kyc:
    """BIS Know Your Customer red flags as answered questions.

    ``True`` = flag observed, ``False`` = checked and clear, absent = unknown (never clear).
    """

    answers: tuple[tuple[str, bool], ...] = ()

    def answer(self, question: str) -> bool | None:
        for asked, answer in self.answers:
            if asked == question:
                return answer
        return None

    @property
    def flagged(self) -> tuple[str, ...]:
        return tuple(question for question, answer in self.answers if answer)

    @property
    def unanswered(self) -> tuple[str, ...]:
        asked = {question for question, _ in self.answers}
        return tuple(question for question in KYC_QUESTIONS if question not in asked)

    @classmethod
    def from_dict(cls, data: Mapping[str, bool] | None) -> Kyc:
        return cls(tuple(data.items())) if data else cls()


@attrs.frozen
class Exporter:
    """Who sells."""

    name: str | None = None
    country: str | None = None


@attrs.frozen
class Transaction:
    """An export transaction, as described by the transaction document (schema version 1)."""

    id: str
    items: tuple[Item, ...]
    end_user: EndUser
    date: _dt.date | None = None
    kind: str | None = None
    exporter: Exporter | None = None
    parties: tuple[Party, ...] = ()
    contract: Contract = Contract()
    events: tuple[str, ...] = ()
    kyc: Kyc = Kyc()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transaction:
        """Build from a document already valid against the transaction schema."""
        exporter = data.get("exporter")
        context = data.get("context")
        parties = data.get("parties")
        # Positional, in field order (id, items, end_user, date, kind, exporter, parties,
        # contract, events, kyc).
        return cls(
            data["id"],
            tuple(Item.from_dict(row, index) for index, row in enumerate(data["items"])),
            EndUser.from_dict(data["end_user"]),
            _date(data.get("date")),
            data.get("kind"),
            Exporter(exporter.get("name"), exporter.get("country")) if exporter else None,
            tuple(Party.from_dict(row) for row in parties) if parties else (),
            Contract.from_dict(data.get("contract")),
            _strings(context.get("events")) if context else (),
            Kyc.from_dict(data.get("kyc")),
        )


# --------------------------------------------------------------------------------------
# What checks say
# --------------------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    """A finding's outcome. Ordered by :data:`OUTCOME_RANK`; ``error`` means a check could
    not run and is treated as at least ``escalate`` (fail closed)."""

    PASS = "pass"
    INFO = "info"
    SAFEGUARDS_REQUIRED = "safeguards_required"
    ESCALATE = "escalate"
    DO_NOT_PROCEED = "do_not_proceed"
    ERROR = "error"


OUTCOME_RANK: dict[str, int] = {
    "pass": 0,
    "info": 1,
    "safeguards_required": 2,
    "escalate": 3,
    "do_not_proceed": 4,
    "error": 3,  # ranked as escalate unless the policy raises it (``on-error``)
}


class Severity(enum.StrEnum):
    """How grave the risk a finding describes is, independent of what the policy does with it."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


SEVERITY_RANK: dict[str, int] = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class Decision(enum.StrEnum):
    """The assessment's decision: the worst effective outcome."""

    PROCEED = "proceed"
    PROCEED_WITH_SAFEGUARDS = "proceed_with_safeguards"
    ESCALATE = "escalate"
    DO_NOT_PROCEED = "do_not_proceed"


DECISION_RANK: dict[str, int] = {
    "proceed": 0,
    "proceed_with_safeguards": 2,
    "escalate": 3,
    "do_not_proceed": 4,
}
DECISION_FOR_RANK: dict[int, Decision] = {
    0: Decision.PROCEED,
    1: Decision.PROCEED,
    2: Decision.PROCEED_WITH_SAFEGUARDS,
    3: Decision.ESCALATE,
    4: Decision.DO_NOT_PROCEED,
}


class Enforcement(enum.StrEnum):
    """What the policy lets a finding do to the decision."""

    ADVISORY = "advisory"  # reported, never changes the decision
    MANDATORY = "mandatory"  # changes the decision, can be waived
    HARD = "hard"  # changes the decision, cannot be waived


def _plain(value: Any) -> Any:
    """A copy of an evidence value's containers (lists, tuples, dicts); scalars as they are."""
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


RULE_ID_PATTERN = r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+"  # e.g. HRDD-CAP-004, ACME-RESELLER-1


class Evidence(NamedTuple):
    """A fact that triggered a finding: a path into the transaction (or a fact's name) and the
    value found there. A named tuple: findings carry several, on every assessment's path."""

    path: str
    value: Any = None


_make_evidence = Evidence._make
_new_tuple = tuple.__new__
_EVIDENCE_ONLY = frozenset({Evidence})


def _evidence(values: Iterable[Evidence | tuple[str, Any]] | Mapping[str, Any]) -> tuple[Evidence, ...]:
    # The usual forms first, each tested without a Python-level loop or an ABC check.
    if type(values) is dict:
        # A dict's items are pairs: each becomes an Evidence through tuple.__new__ directly.
        return tuple(map(_new_tuple, repeat(Evidence, len(values)), values.items()))
    if type(values) is tuple and set(map(type, values)) <= _EVIDENCE_ONLY:
        return values  # already converted (an immutable tuple of Evidence): kept as it is
    if isinstance(values, Mapping):
        return tuple(map(_make_evidence, values.items()))
    return tuple(v if type(v) is Evidence else _make_evidence(v) for v in values)


@attrs.frozen(init=False)
class Finding:
    """What one rule of one check found about the transaction.

    Plugins set everything up to ``remediation``; the engine fills ``plugin``,
    ``enforcement`` and ``effective_outcome`` (and, once waivers exist, ``waiver``).

    ``outcome`` and ``severity`` may be given as their string values; ``evidence`` as a
    mapping of paths to values or an iterable of ``(path, value)`` pairs; ``guidance`` as any
    iterable of strings: the constructor converts them.

    A finding is an immutable value (its evidence values included, by convention): a check may
    return the very same Finding objects again for the same inputs (memoised), and the engine
    then enforces, copies and ranks each of them once.
    """

    rule_id: str  # one the plugin declared (RuleInfo, format-checked there; the engine checks)
    outcome: Outcome
    severity: Severity
    message: str
    evidence: tuple[Evidence, ...] = ()
    guidance: tuple[str, ...] = ()
    remediation: str | None = None
    subject: str | None = None  # what the finding is about: "items[0]", "end_user", ...
    plugin: str = ""
    enforcement: Enforcement = Enforcement.MANDATORY
    effective_outcome: Outcome | None = None
    waiver: Mapping[str, Any] | None = None
    # The finding as a report writes it (JSON, compact and as nested in an indented report),
    # kept by hrdd.reportjson on first use: a finding is immutable, and the same finding
    # objects recur report after report. Not part of the value (no init, eq, hash or repr).
    _json: bytes | None = attrs.field(default=None, init=False, eq=False, repr=False)
    _json_indented: bytes | None = attrs.field(default=None, init=False, eq=False, repr=False)

    def __init__(
        self,
        rule_id: str,
        outcome: Outcome | str,
        severity: Severity | str,
        message: str,
        evidence: Iterable[Evidence | tuple[str, Any]] | Mapping[str, Any] = (),
        guidance: Iterable[str] = (),
        remediation: str | None = None,
        subject: str | None = None,
        plugin: str = "",
        enforcement: Enforcement = Enforcement.MANDATORY,
        effective_outcome: Outcome | None = None,
        waiver: Mapping[str, Any] | None = None,
    ) -> None:
        # Written out rather than generated with attrs converters: every finding of every
        # assessment is built here, and a converter is a function call per field even when
        # the value already has the right type (the common case, tested inline).
        _init_finding(
            self,
            rule_id,
            outcome if type(outcome) is Outcome else Outcome(outcome),
            severity if type(severity) is Severity else Severity(severity),
            message,
            _evidence(evidence),
            guidance if type(guidance) is tuple else tuple(guidance),
            remediation,
            subject,
            plugin,
            enforcement,
            effective_outcome,
            waiver,
        )

    def enforced(
        self, plugin: str, enforcement: Enforcement, effective_outcome: Outcome, subject: str | None
    ) -> Finding:
        """A copy with the fields the engine sets (``attrs.evolve`` without converting again
        fields that are already converted: this is on every assessment's path)."""
        copy: Finding = _copy_enforced(self, plugin, enforcement, effective_outcome, subject)
        return copy

    @property
    def decisive_outcome(self) -> Outcome:
        """The outcome after enforcement (what the decision sees)."""
        return self.effective_outcome if self.effective_outcome is not None else self.outcome

    def to_dict(self, *, copy_values: bool = True) -> dict[str, Any]:
        # Enum values through ``_value_`` (a plain attribute) rather than the ``value``
        # property, which costs ten times more: every finding of every report comes here.
        outcome, effective = self.outcome, self.effective_outcome
        return {
            "rule_id": self.rule_id,
            "plugin": self.plugin,
            "outcome": outcome._value_,
            "effective_outcome": (outcome if effective is None else effective)._value_,
            "enforcement": self.enforcement._value_,
            "severity": self.severity._value_,
            "message": self.message,
            "subject": self.subject,
            # values copied: findings (and their evidence) may be shared between assessments,
            # and a report is the caller's to change (a renderer that only reads skips the copy)
            "evidence": [{"path": path, "value": _plain(value)} for path, value in self.evidence]
            if copy_values
            else [{"path": path, "value": value} for path, value in self.evidence],
            "guidance": list(self.guidance),
            "remediation": self.remediation,
            "waiver": dict(self.waiver) if self.waiver is not None else None,
        }


_ENGINE_FIELDS = ("plugin", "enforcement", "effective_outcome", "subject")
_FIELDS = tuple(f.name for f in attrs.fields(Finding) if f.init)
_FINDING_FIELDS = tuple(name for name in _FIELDS if name not in _ENGINE_FIELDS)
_CACHE_FIELDS = tuple(f.name for f in attrs.fields(Finding) if not f.init)  # empty in a new finding


def _compile(name: str, parameters: str, body: list[str]) -> Any:
    """Compile a function that fills a Finding's slots field by field, generated from the
    class's fields (so it follows them). Each slot is set through its own descriptor, bound
    as a default argument (``set_<field>``): a frozen class refuses ``setattr``, and
    ``object.__setattr__`` would look the name up on every call. These functions build every
    finding of every assessment."""
    every = _FIELDS + _CACHE_FIELDS
    setters = ", ".join(f"set_{field}=setters[{index}]" for index, field in enumerate(every))
    namespace: dict[str, Any] = {
        "Finding": Finding,
        "new_finding": object.__new__,
        "setters": tuple(Finding.__dict__[field].__set__ for field in every),
    }
    exec("\n".join([f"def {name}({parameters}, {setters}):", *body]), namespace)
    return namespace[name]


def _compile_init() -> Any:
    """``init(self, *every field's value, in field order)``, the values already converted
    (Finding.__init__ passes them all: a field added to the class without it fails loudly)."""
    return _compile(
        "init",
        f"self, {', '.join(_FIELDS)}",
        [
            *(f"    set_{field}(self, {field})" for field in _FIELDS),
            *(f"    set_{field}(self, None)" for field in _CACHE_FIELDS),
        ],
    )


def _compile_copy() -> Any:
    """An unrolled field-by-field copy of a Finding with the engine's fields set."""
    return _compile(
        "copy",
        "finding, plugin, enforcement, effective_outcome, subject, Finding=Finding, new_finding=new_finding",
        [
            "    new = new_finding(Finding)",
            *(f"    set_{field}(new, finding.{field})" for field in _FINDING_FIELDS),
            "    set_plugin(new, plugin)",
            "    set_enforcement(new, enforcement)",
            "    set_effective_outcome(new, effective_outcome)",
            "    set_subject(new, finding.subject if finding.subject is not None else subject)",
            *(f"    set_{field}(new, None)" for field in _CACHE_FIELDS),  # another finding's JSON
            "    return new",
        ],
    )


def _compile_fill() -> Any:
    """Set the engine's fields on a finding nobody else holds (see Engine._check): what
    _copy_enforced gives, without the copy."""
    return _compile(
        "fill",
        "finding, plugin, enforcement, effective_outcome, subject",
        [
            "    set_plugin(finding, plugin)",
            "    set_enforcement(finding, enforcement)",
            "    set_effective_outcome(finding, effective_outcome)",
            "    if finding.subject is None:",
            "        set_subject(finding, subject)",
            "    return finding",
        ],
    )


_init_finding = _compile_init()
_copy_enforced = _compile_copy()
_fill_enforced = _compile_fill()


@attrs.frozen(cache_hash=True)  # part of the keys plugins remember work by: hashed once
class DetectedCapability:
    """A capability read from free text: which phrase in which field suggested it."""

    capability: str
    field: str
    phrase: str


@attrs.frozen(cache_hash=True)  # part of the keys plugins remember work by: hashed once
class CapabilityProfile:
    """What an item can do, as later checks need to know it (derived once per item).

    ``misuse_potential`` runs 0 (none) to 5 (extreme) after crediting design safeguards.
    """

    item_id: str
    capabilities: tuple[str, ...] = ()
    declared: tuple[str, ...] = ()
    detected: tuple[DetectedCapability, ...] = ()
    misuse_potential: int = 0
    credited_safeguards: tuple[str, ...] = ()

    def merge(self, other: CapabilityProfile) -> CapabilityProfile:
        """Combine two plugins' views of one item: union of capabilities, the higher potential."""
        return CapabilityProfile(
            item_id=self.item_id,
            capabilities=tuple(sorted(set(self.capabilities) | set(other.capabilities))),
            declared=tuple(sorted(set(self.declared) | set(other.declared))),
            detected=self.detected + other.detected,
            misuse_potential=max(self.misuse_potential, other.misuse_potential),
            credited_safeguards=tuple(sorted(set(self.credited_safeguards) & set(other.credited_safeguards))),
        )


_RULE_ID = re.compile(RULE_ID_PATTERN)


def _check_rule_id(value: object) -> None:
    if not isinstance(value, str) or not _RULE_ID.fullmatch(value):
        raise ValueError(
            f"rule id {value!r} must be capital letters and digits in hyphen-separated parts, "
            "like HRDD-CAP-004 or ACME-RESELLER-1"
        )


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    """A converter with a type: ``converter=tuple`` leaves attrs' generated ``__init__``
    typed as ``Iterable[_T_co]`` for a type checker, so a plugin checked with ``mypy --strict``
    could not call it."""
    return tuple(values)


def _datasets(values: Iterable[DataSet]) -> tuple[DataSet, ...]:
    return tuple(values)


def _rules(values: Iterable[RuleInfo]) -> tuple[RuleInfo, ...]:
    return tuple(values)


@attrs.frozen
class RuleInfo:
    """A rule a plugin can report: its stable id, what it checks, the clauses it cites."""

    id: str = attrs.field(validator=lambda _, __, value: _check_rule_id(value))
    title: str
    guidance: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)


@attrs.frozen
class DataSet:
    """A data file a plugin loaded, with its provenance (named in every report)."""

    name: str
    version: str
    sha256: str
    source: str
    licence: str
    date: str
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # Written out (not attrs.asdict, which inspects the class each time): every report's
        # provenance lists every data set.
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "source": self.source,
            "licence": self.licence,
            "date": self.date,
            "path": self.path,
        }


@attrs.frozen
class PluginSetup:
    """What a plugin's ``hrdd_configure`` returns: the data sets it loaded (for provenance)
    and any state its checks need (compiled patterns, loaded tables), which the engine hands
    back to each check as ``context.state``. State belongs to one engine: two engines built
    with different configurations never share it."""

    data: tuple[DataSet, ...] = attrs.field(default=(), converter=_datasets)
    state: Any = None


@attrs.frozen
class PluginInfo:
    """What a plugin says about itself through ``hrdd_plugin_info``: the clauses it covers,
    the rules it may report, its config schema, and the transaction facts it publishes and
    reads.

    ``name`` and ``version`` are filled by the plugin manager from the distribution's metadata
    (a plugin never keeps its own version string).
    """

    clauses: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    rules: tuple[RuleInfo, ...] = attrs.field(default=(), converter=_rules)
    config_schema: Mapping[str, Any] = attrs.field(factory=dict)
    description: str = ""
    # Transaction facts (hrdd_transaction_facts) the plugin publishes, and those its own facts
    # hook reads: the engine runs publishers before their readers.
    publishes: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    reads: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    name: str = ""
    version: str = ""


@attrs.frozen
class CheckRecord:
    """One check that ran: which plugin, which hook, on what, and its worst outcome
    (an outcome name, or ``not_applicable`` when the check said it does not apply)."""

    plugin: str
    hook: str
    subject: str | None
    outcome: str
    findings: int
    # As a report writes it (see Finding._json): the engine hands out the same records again.
    _json: bytes | None = attrs.field(default=None, init=False, eq=False, repr=False)
    _json_indented: bytes | None = attrs.field(default=None, init=False, eq=False, repr=False)
    # Where the record stands in a report's checks (by hook, plugin and subject): computed once,
    # as the engine hands out the same records again.
    order: tuple[str, str, str] = attrs.field(init=False, eq=False, repr=False)

    @order.default
    def _order(self) -> tuple[str, str, str]:
        return (self.hook, self.plugin, self.subject or "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "plugin": self.plugin,
            "hook": self.hook,
            "subject": self.subject,
            "outcome": self.outcome,
            "findings": self.findings,
        }


@attrs.frozen
class PluginRef:
    """A plugin as the provenance names it."""

    name: str
    version: str
    sha256: str
    source: str  # "entry-point", "path:<relative path>" or "builtin" (the declarative rules)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "sha256": self.sha256, "source": self.source}


@attrs.frozen
class PolicyRef:
    """The policy as the provenance names it, with every file of its ``extends`` chain."""

    name: str
    version: str
    sha256: str
    source: str
    chain: tuple[tuple[str, str], ...] = ()  # (source, sha256) from the policy up to the base

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "source": self.source,
            "chain": [{"source": source, "sha256": sha} for source, sha in self.chain],
        }


@attrs.frozen
class Provenance:
    """Everything an auditor needs to pin how a decision was reached."""

    core_version: str
    policy: PolicyRef
    plugins: tuple[PluginRef, ...]
    data: tuple[DataSet, ...]
    input_sha256: str
    assessed_at: str
    as_of: str = ""  # ISO date the checks compared dates with (assessed_at's day, or a replay's)
    lock: Mapping[str, Any] | None = None  # how the policy's lock was checked (see hrdd.lock)

    def to_dict(self) -> dict[str, Any]:
        return {
            "core": {"name": "hrdd", "version": self.core_version},
            "policy": self.policy.to_dict(),
            "plugins": [plugin.to_dict() for plugin in self.plugins],
            "data": [data.to_dict() for data in self.data],
            "input_sha256": self.input_sha256,
            "assessed_at": self.assessed_at,
            "as_of": self.as_of or self.assessed_at[:10],
            "lock": dict(self.lock) if self.lock is not None else None,
        }


@attrs.frozen
class Risk:
    """A 0-100 score and its level, derived from the effective findings."""

    score: int
    level: str


@attrs.frozen
class RequiredSafeguard:
    """A safeguard the decision depends on, and the rules that asked for it."""

    safeguard: str
    rules: tuple[str, ...]
    # As a report writes it (see Finding._json): the engine hands out the same ones again.
    _json: bytes | None = attrs.field(default=None, init=False, eq=False, repr=False)
    _json_indented: bytes | None = attrs.field(default=None, init=False, eq=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"safeguard": self.safeguard, "rules": list(self.rules)}


@attrs.frozen
class Assessment:
    """The result of assessing one transaction under one policy."""

    transaction_id: str
    decision: Decision
    reason: str
    risk: Risk
    findings: tuple[Finding, ...]
    checks: tuple[CheckRecord, ...]
    required_safeguards: tuple[RequiredSafeguard, ...]
    provenance: Provenance
    waived: tuple[Finding, ...] = ()
    contributions: Mapping[str, Any] = attrs.field(factory=dict)  # hrdd_report_contribution answers
    # The transaction facts the plugins published and weighed: name -> (value, publisher).
    facts: Mapping[str, tuple[Any, str]] = attrs.field(factory=dict)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """Findings that say a check could not run (fail-closed evidence)."""
        return tuple(f for f in self.findings if f.outcome is Outcome.ERROR)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(f.rule_id for f in self.findings)

    def to_json(self, *, indent: bool = False) -> bytes:
        """The report document as UTF-8 JSON ending in a newline: ``orjson.dumps(self.to_dict())``
        (with ``OPT_INDENT_2`` when ``indent``) byte for byte, joined from the JSON each
        finding, check and safeguard keeps once written (:mod:`hrdd.reportjson`)."""
        from hrdd.reportjson import report_json

        return report_json(self, indent=indent)

    def to_dict(self, *, copy_values: bool = True) -> dict[str, Any]:
        """The report document (``schemas/report.schema.json``, schema version 1)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "transaction_id": self.transaction_id,
            "decision": self.decision._value_,
            "reason": self.reason,
            "risk": {"score": self.risk.score, "level": self.risk.level},
            "findings": [finding.to_dict(copy_values=copy_values) for finding in self.findings],
            "required_safeguards": [safeguard.to_dict() for safeguard in self.required_safeguards],
            "checks": [check.to_dict() for check in self.checks],
            "waived": [finding.to_dict(copy_values=copy_values) for finding in self.waived],
            "provenance": self.provenance.to_dict(),
            "errors": [{"plugin": f.plugin, "rule_id": f.rule_id, "message": f.message} for f in self.errors],
            "contributions": dict(self.contributions),
            "facts": {
                name: {"value": _plain(value) if copy_values else value, "source": source}
                for name, (value, source) in sorted(self.facts.items())
            },
        }
