"""hrdd-contract-safeguards on realistic transactions: the decision, the rule ids and why.

Each case runs under a policy with hrdd-item-capability, this plugin and a stand-in for the
facts hrdd-human-rights-record, hrdd-legal-framework and hrdd-stakeholders publish (derived
from the transaction as their contract defines them; illustrative country values). The
decision is the whole policy's; the rules listed are this plugin's, with their outcome.
Record-based refusals (consideration 3) belong to hrdd-human-rights-record, which this
policy does not enable: where a case's final decision under the baseline will be graver,
the rationale says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import pytest

import hrdd

from .conftest import ALL_CLAUSES, ALL_POST_EXPORT, PLUGIN

# ---- End users ---------------------------------------------------------------------------
MUNICIPAL_POLICE_NL = {
    "name": "Politie Gemeente Zuidhaven",
    "country": "NL",
    "type": "government_agency",
    "sector": "municipal",
    "government_relationship": "none",
    "stated_end_use": "Body cameras for patrol officers under the national body-camera policy",
}
NATIONAL_POLICE_KE = {
    "name": "National Police Service",
    "country": "KE",
    "type": "government_agency",
    "sector": "law_enforcement",
    "stated_end_use": "Evidence capture during traffic stops",
}
PORT_OPERATOR_NL = {
    "name": "Rotterdam Container Terminal BV",
    "country": "NL",
    "type": "private",
    "sector": "commercial",
    "government_relationship": "none",
    "stated_end_use": "Perimeter security of the container yard",
}
BANK_DE = {
    "name": "Hanseatic Savings Bank AG",
    "country": "DE",
    "type": "private",
    "sector": "financial",
    "government_relationship": "none",
    "stated_end_use": "Monitoring brand mentions and customer complaints",
}
INTELLIGENCE_EG = {
    "name": "General Intelligence Service",
    "country": "EG",
    "type": "government_agency",
    "sector": "intelligence",
    "stated_end_use": "Lawful interception for national security investigations",
    "misuse_reports": [
        {
            "summary": "Intercepted communications of human-rights lawyers used in their prosecution",
            "source": "UN Special Rapporteur communication",
            "date": "2025-03-02",
            "credible": True,
        }
    ],
}
BORDER_GUARD_JO = {
    "name": "Border Security Directorate",
    "country": "JO",
    "type": "government_agency",
    "sector": "border_control",
    "stated_end_use": "Aerial observation of the desert border",
}
SECURITY_MINISTRY_VE = {
    "name": "Ministry of Interior, Public Security Directorate",
    "country": "VE",
    "type": "government_agency",
    "sector": "public_security",
    "stated_end_use": "Crowd management at public events",
}
CITY_BR = {
    "name": "Prefeitura de Campinas",
    "country": "BR",
    "type": "government_agency",
    "sector": "municipal",
    "stated_end_use": "Traffic management at city entrances",
}

# ---- Items -------------------------------------------------------------------------------
BODY_CAMERA = {
    "name": "Sentinel BWC-400 body-worn camera",
    "description": "Body-worn camera recording video and audio; no live streaming, no face recognition",
    "categories": ["body_worn_camera"],
    "capabilities": ["audio_video_recording"],
    "design_safeguards": ["tamper_evident_logs", "role_based_access"],
}
# The same camera as sold to most customers, with no design safeguards credited.
PLAIN_BODY_CAMERA = {**BODY_CAMERA, "name": "Sentinel BWC-200 body-worn camera", "design_safeguards": []}
THERMAL_CAMERA = {
    "name": "PerimeterTherm 640",
    "description": "Fixed thermal camera for perimeter intrusion detection",
    "categories": ["thermal_imaging"],
    "capabilities": ["audio_video_recording"],
}
DRONE = {
    "name": "Falcon VTOL observation drone",
    "description": "Fixed-wing drone with daylight and thermal camera for border observation",
    "categories": ["drone"],
    "capabilities": ["audio_video_recording"],
    "design_safeguards": ["geofencing", "audit_logging"],
}
SOCIAL_LISTENING = {
    "name": "Pulse Social Listening",
    "description": "Social media listening dashboard for brand monitoring",
    "categories": ["social_media_analytics"],
}
DPI = {
    "name": "DeepSight carrier-grade DPI",
    "description": "Deep packet inspection platform for carrier networks with lawful-interception interface",
    "categories": ["deep_packet_inspection"],
    "design_safeguards": ["audit_logging", "warrant_enforcement"],
}
CROWD_FACE_MATCHING = {
    "name": "CrowdFace add-on",
    "description": "Face recognition add-on matching faces in crowds against watchlists",
    "categories": ["facial_recognition"],
    "capabilities": ["biometric_identification"],
}
ALPR = {
    "name": "PlateScan ALPR",
    "description": "Automatic licence plate reader for city entrances",
    "categories": ["license_plate_reader"],
    "design_safeguards": ["audit_logging", "data_minimisation", "role_based_access", "geofencing"],
}

MEDIUM_CLAUSES = [
    "export_compliance",
    "no_reexport",
    "end_use_certificate",
    "use_limitation",
    "data_handling",
    "suspend_and_terminate",
    "grievance_mechanism",
]
MEDIUM_POST_EXPORT = ["monitoring", "grievance_channel"]


class Case(NamedTuple):
    id: str
    why: str  # the one-line rationale a compliance officer would give
    items: list[Mapping[str, Any]]
    end_user: Mapping[str, Any]
    decision: str
    rules: Mapping[str, str]  # this plugin's rule id -> its outcome
    level: str  # the transaction.risk_level the findings report
    clauses: list[str] = []
    post_export: list[str] = []
    absent: tuple[str, ...] = ()  # this plugin's rule ids that must not be raised
    top: Mapping[str, Any] = {}  # other top-level fields (kind, context, parties...)


CASES = [
    Case(
        "bodycams-municipal-police-strong-record-full-safeguards-proceed",
        "Body cameras for a municipal police force in a country with a strong record, every safeguard agreed",
        [BODY_CAMERA],
        MUNICIPAL_POLICE_NL,
        "proceed",
        {"HRDD-CON-005": "pass"},
        "low",
        ALL_CLAUSES,
        ALL_POST_EXPORT,
        ("HRDD-CON-001", "HRDD-CON-002", "HRDD-CON-004"),
    ),
    Case(
        "thermal-cameras-private-port-basic-clauses-proceed",
        "Thermal perimeter cameras for a private port operator: low risk, basic export clauses are enough",
        [THERMAL_CAMERA],
        PORT_OPERATOR_NL,
        "proceed",
        {"HRDD-CON-005": "pass"},
        "low",
        ["export_compliance", "no_reexport"],
        absent=("HRDD-CON-001", "HRDD-CON-002"),
    ),
    Case(
        "thermal-cameras-private-port-no-contract-terms",
        "Even a low-risk sale needs an export-compliance and no-re-export clause",
        [THERMAL_CAMERA],
        PORT_OPERATOR_NL,
        "proceed_with_safeguards",
        {"HRDD-CON-001": "safeguards_required"},
        "low",
        absent=("HRDD-CON-002", "HRDD-CON-005"),
    ),
    Case(
        "bodycams-national-police-moderate-record-medium-set-proceed",
        "Body cameras for a national police force in a moderate-risk country, medium-risk safeguards agreed",
        [PLAIN_BODY_CAMERA],
        NATIONAL_POLICE_KE,
        "proceed",
        {"HRDD-CON-005": "pass"},
        "medium",
        MEDIUM_CLAUSES,
        MEDIUM_POST_EXPORT,
    ),
    Case(
        "bodycams-national-police-lacking-data-handling-and-grievance",
        "Acceptable with safeguards but lacking data handling, a grievance mechanism and monitoring: name them",
        [PLAIN_BODY_CAMERA],
        NATIONAL_POLICE_KE,
        "proceed_with_safeguards",
        {"HRDD-CON-001": "safeguards_required", "HRDD-CON-002": "safeguards_required"},
        "medium",
        [
            "export_compliance",
            "no_reexport",
            "end_use_certificate",
            "use_limitation",
            "suspend_and_terminate",
        ],
        ["grievance_channel"],
        ("HRDD-CON-004", "HRDD-CON-005"),
    ),
    Case(
        "social-listening-private-bank-needs-data-handling",
        "Social media analytics (bulk collection and relationship mapping) for a private bank: medium risk, "
        "the contract must limit use and govern the data",
        [SOCIAL_LISTENING],
        BANK_DE,
        "proceed_with_safeguards",
        {"HRDD-CON-001": "safeguards_required", "HRDD-CON-002": "safeguards_required"},
        "medium",
        ["export_compliance", "no_reexport"],
    ),
    Case(
        "drone-border-guard-high-risk-country-full-high-set",
        "An observation drone for a border guard in a high-risk country: high risk; the high-risk set is agreed, "
        "so the safeguards check passes",
        [DRONE],
        BORDER_GUARD_JO,
        "proceed",
        {"HRDD-CON-005": "pass"},
        "high",
        [c for c in ALL_CLAUSES if c != "staged_delivery"],
        ALL_POST_EXPORT,
        ("HRDD-CON-004",),
    ),
    Case(
        "drone-border-guard-high-risk-without-audit-rights",
        "The same drone deal without audit rights, technical limitations, training or periodic audits",
        [DRONE],
        BORDER_GUARD_JO,
        "proceed_with_safeguards",
        {"HRDD-CON-001": "safeguards_required", "HRDD-CON-002": "safeguards_required"},
        "high",
        MEDIUM_CLAUSES,
        MEDIUM_POST_EXPORT,
    ),
    Case(
        "bodycams-during-election-period-raise-the-level",
        "Body cameras for a national police force bought during an election period: the timing raises the "
        "risk to high, so the medium set no longer suffices",
        [PLAIN_BODY_CAMERA],
        NATIONAL_POLICE_KE,
        "proceed_with_safeguards",
        {"HRDD-CON-001": "safeguards_required", "HRDD-CON-002": "safeguards_required"},
        "high",
        MEDIUM_CLAUSES,
        MEDIUM_POST_EXPORT,
        top={"context": {"events": ["election_period"]}},
    ),
    Case(
        "alpr-city-through-broker-opacity-raises-level",
        "Licence plate readers with strong design safeguards for a city, sold through a broker and an invoicing "
        "party: opaque intermediaries push the risk to high, which requires audit rights, technical "
        "limitations and training",
        [ALPR],
        CITY_BR,
        "proceed_with_safeguards",
        {"HRDD-CON-001": "safeguards_required"},
        "high",
        MEDIUM_CLAUSES,
        ALL_POST_EXPORT,
        top={
            "parties": [
                {"role": "broker", "name": "Atlantic Trade Brokers Ltd", "country": "PA"},
                {"role": "invoicing_party", "name": "Caribe Invoicing SA", "country": "PA"},
            ]
        },
    ),
    Case(
        "crowd-face-matching-security-ministry-critical-even-with-all-safeguards",
        "Face matching against watchlists for a security ministry in a very-high-risk country: critical risk; "
        "safeguards cannot clear it (under the baseline the record plugin refuses it outright)",
        [CROWD_FACE_MATCHING],
        SECURITY_MINISTRY_VE,
        "escalate",
        {"HRDD-CON-004": "escalate", "HRDD-CON-005": "pass"},
        "critical",
        ALL_CLAUSES,
        ALL_POST_EXPORT,
        ("HRDD-CON-001", "HRDD-CON-002"),
    ),
    Case(
        "interception-intelligence-credible-misuse-new-sale-critical",
        "DPI with interception for an intelligence service with credible misuse reports: critical, escalate "
        "at least (the record plugin refuses it under the baseline); missing safeguards named",
        [DPI],
        INTELLIGENCE_EG,
        "escalate",
        {"HRDD-CON-004": "escalate", "HRDD-CON-001": "safeguards_required"},
        "critical",
        ["export_compliance", "end_use_certificate"],
        absent=("HRDD-CON-003",),
    ),
    Case(
        "support-renewal-intelligence-credible-misuse-suspend",
        "A support renewal for an intelligence service with credible misuse reports: suspend it under the "
        "contract's termination and audit rights",
        [DPI],
        INTELLIGENCE_EG,
        "do_not_proceed",
        {"HRDD-CON-003": "do_not_proceed", "HRDD-CON-004": "escalate"},
        "critical",
        ALL_CLAUSES,
        ALL_POST_EXPORT,
        top={"kind": "support"},
    ),
    Case(
        "update-intelligence-credible-misuse-no-termination-right",
        "A software update for the same service under a contract without a termination right: still do not "
        "deliver; the exporter has no contractual lever",
        [DPI],
        INTELLIGENCE_EG,
        "do_not_proceed",
        {"HRDD-CON-003": "do_not_proceed"},
        "critical",
        ["export_compliance", "no_reexport", "use_limitation"],
        top={"kind": "update"},
    ),
    Case(
        "renewal-bodycams-municipal-police-clean-record-proceeds",
        "A renewal for a municipal police force with no misuse reports and every safeguard: nothing to suspend",
        [BODY_CAMERA],
        MUNICIPAL_POLICE_NL,
        "proceed",
        {"HRDD-CON-005": "pass"},
        "low",
        ALL_CLAUSES,
        ALL_POST_EXPORT,
        ("HRDD-CON-003", "HRDD-CON-006"),
        top={"kind": "renewal"},
    ),
    Case(
        "service-renewal-unassessed-misuse-report-escalates",
        "A service renewal for a national police force with a misuse report nobody assessed: not clear, escalate",
        [PLAIN_BODY_CAMERA],
        {
            **NATIONAL_POLICE_KE,
            "misuse_reports": [
                {
                    "summary": "Footage allegedly used to identify protest organisers",
                    "source": "Local newspaper",
                }
            ],
        },
        "escalate",
        {"HRDD-CON-006": "escalate"},
        "medium",
        MEDIUM_CLAUSES,
        MEDIUM_POST_EXPORT,
        ("HRDD-CON-003",),
        top={"kind": "service"},
    ),
    Case(
        "demo-for-intelligence-credible-misuse-is-not-after-export",
        "A demonstration is not continued supply after export: consideration 7 does not apply (the record "
        "plugin weighs the misuse under the baseline)",
        [DPI],
        INTELLIGENCE_EG,
        "escalate",
        {"HRDD-CON-004": "escalate"},
        "critical",
        ALL_CLAUSES,
        ALL_POST_EXPORT,
        ("HRDD-CON-003",),
        top={"kind": "demo"},
    ),
]


def _check(
    case: Case, assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    document = transaction(
        case.items, case.end_user, clauses=case.clauses, post_export=case.post_export, **case.top
    )
    assessment = assess(document)
    ours = [f for f in assessment.findings if f.plugin == PLUGIN]
    got = {f.rule_id: f.decisive_outcome.value for f in ours}
    summary = f"{case.why} -- got {assessment.decision.value} with {got}"
    assert not assessment.errors, [f.message for f in assessment.errors]
    assert assessment.decision.value == case.decision, summary
    for rule_id, outcome in case.rules.items():
        assert outcome in {f.decisive_outcome.value for f in ours if f.rule_id == rule_id}, summary
    assert not set(got) & set(case.absent), summary
    levels = {e.value for f in ours for e in f.evidence if e.path == "transaction.risk_level"}
    assert levels == {case.level}, summary


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_realistic_transaction(
    case: Case, assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    _check(case, assess, transaction)
