"""hrdd-item-capability on realistic transactions: the decision and the rule ids behind it.

Every case builds its transaction here (no fixtures on disk) and says in one line why a
compliance officer would expect that decision. Cases the plugin gets wrong by the guidance's
standard are kept, marked ``xfail(strict=True)`` with a ``CALIBRATION:`` reason, so that the
day the taxonomy is fixed they turn into passing tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import hrdd

# the baseline's settings for this plugin alone (the baseline also enables the other plugins)
CAPABILITY_ONLY = Path(__file__).with_name("capability-only.toml")

PLUGIN = "hrdd-item-capability"
DROP = object()  # a field value meaning "leave this field out of the document"

# --------------------------------------------------------------------------------------
# A small factory for valid transaction documents
# --------------------------------------------------------------------------------------


def make_item(**fields: Any) -> dict[str, Any]:
    """A minimal valid item; ``fields`` override it (``DROP`` removes a field)."""
    item: dict[str, Any] = {
        "id": "item-1",
        "name": "Item",
        "description": "",
        "categories": [],
        "capabilities": [],
        "design_safeguards": [],
        "customization": "none",
        "customization_request": "",
    }
    item.update(fields)
    return {key: value for key, value in item.items() if value is not DROP}


def make_end_user(**fields: Any) -> dict[str, Any]:
    """A minimal valid end user (a private company by default)."""
    end_user: dict[str, Any] = {
        "name": "Acme Retail GmbH",
        "country": "DE",
        "type": "private",
        "sector": "commercial",
        "government_relationship": "none",
        "stated_end_use": "",
    }
    end_user.update(fields)
    return {key: value for key, value in end_user.items() if value is not DROP}


def make_transaction(
    item: Mapping[str, Any] | None = None, end_user: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "id": "TX-2026-0001",
        "items": [make_item(**dict(item or {}))],
        "end_user": make_end_user(**dict(end_user or {})),
    }


# End users the cases reuse.
MUNICIPAL_POLICE = {
    "name": "Politie Gemeente Utrecht",
    "country": "NL",
    "type": "government_agency",
    "sector": "law_enforcement",
    "stated_end_use": "Evidence capture during patrols",
}
NATIONAL_POLICE = {
    "name": "National Police Directorate",
    "country": "KE",
    "type": "government_agency",
    "sector": "law_enforcement",
    "stated_end_use": "Criminal investigations",
}
INTELLIGENCE = {
    "name": "General Intelligence Directorate",
    "country": "JO",
    "type": "government_agency",
    "sector": "intelligence",
    "stated_end_use": "Counter-terrorism investigations",
}
PUBLIC_SECURITY = {
    "name": "Public Security Bureau",
    "country": "VN",
    "type": "government_agency",
    "sector": "public_security",
    "stated_end_use": "Public order",
}
CITY_COUNCIL = {
    "name": "City of Porto",
    "country": "PT",
    "type": "government_agency",
    "sector": "municipal",
    "stated_end_use": "Citizen services",
}
STATE_TELCO = {
    "name": "National Telecom Company",
    "country": "EG",
    "type": "state_owned_enterprise",
    "sector": "telecom_operator",
    "stated_end_use": "Customer care",
}
RETAILER = {
    "name": "Acme Retail GmbH",
    "country": "DE",
    "type": "private",
    "sector": "commercial",
    "government_relationship": "none",
    "stated_end_use": "Loss prevention in our stores",
}
PORT_OPERATOR = {
    "name": "Rotterdam Container Terminal BV",
    "country": "NL",
    "type": "private",
    "sector": "commercial",
    "government_relationship": "none",
    "stated_end_use": "Perimeter security of the container yard",
}

FACE_SDK = {
    "name": "FaceFind SDK",
    "description": "Face recognition SDK: matches faces in video against an enrolled gallery",
    "categories": ["facial_recognition"],
    "capabilities": ["biometric_identification"],
}
BODY_CAMERA = {
    "name": "PatrolCam BW-3",
    "description": "Body-worn camera for patrol officers with 12-hour battery",
    "categories": ["body_worn_camera"],
    "capabilities": ["audio_video_recording"],
}
SPYWARE = {
    "name": "Phantom Implant",
    "description": "Remote device implant for mobile handsets",
    "categories": ["spyware"],
}
ALPR = {
    "name": "PlateScan ALPR",
    "description": "Automatic licence plate reader for city entrances",
    "categories": ["license_plate_reader"],
}
SOCIAL_LISTENING = {
    "name": "Pulse Social Listening",
    "description": "Social media listening dashboard",
    "categories": ["social_media_analytics"],
}
STRONG_SAFEGUARDS = ["audit_logging", "tamper_evident_logs", "role_based_access", "data_minimisation"]


@pytest.fixture(scope="module")
def baseline() -> hrdd.Engine:
    return hrdd.Engine.from_policy(CAPABILITY_ONLY)


def write_policy(directory: Path, **config: Any) -> Path:
    """A policy that enables only this plugin, with ``config`` as its config table."""
    lines = ["[policy]", 'name = "t"', 'version = "1"', f"[plugins.{PLUGIN}]", f"[plugins.{PLUGIN}.config]"]
    lines += [
        f"{key} = {json.dumps(value)}" for key, value in config.items()
    ]  # JSON scalars are TOML scalars
    path = directory / "policy.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rule_ids(assessment: hrdd.Assessment) -> set[str]:
    return {f.rule_id for f in assessment.findings if f.plugin == PLUGIN}


def outcomes_of(assessment: hrdd.Assessment, rule_id: str) -> set[str]:
    return {f.effective_outcome.value for f in assessment.findings if f.rule_id == rule_id}


def the_finding(assessment: hrdd.Assessment, rule_id: str) -> hrdd.Finding:
    found = [f for f in assessment.findings if f.rule_id == rule_id]
    assert len(found) == 1, f"expected one {rule_id}, got {[f.rule_id for f in assessment.findings]}"
    return found[0]


def evidence(finding: hrdd.Finding) -> dict[str, Any]:
    return {e.path: e.value for e in finding.evidence}


def misuse_potential(assessment: hrdd.Assessment) -> int:
    """The misuse potential the plugin reports for the (single) item (0 when not in scope)."""
    found = [f for f in assessment.findings if f.rule_id == "HRDD-CAP-001"]
    return evidence(found[0])["misuse_potential"] if found else 0


# --------------------------------------------------------------------------------------
# The table of realistic situations
# --------------------------------------------------------------------------------------


class Case(NamedTuple):
    id: str
    why: str  # the one-line rationale a compliance officer would give
    item: Mapping[str, Any]
    end_user: Mapping[str, Any]
    decision: str | set[str]  # the decision, or the decisions acceptable
    rules: Mapping[str, str | None] = {}  # rule id -> its outcome (None: any outcome)
    absent: tuple[str, ...] = ()  # rule ids that must not be raised


def check(case: Case, engine: hrdd.Engine) -> hrdd.Assessment:
    assessment = engine.assess(make_transaction(case.item, case.end_user))
    got = rule_ids(assessment)
    summary = f"{case.why} -- got {assessment.decision.value} with {sorted(got)}"
    acceptable = {case.decision} if isinstance(case.decision, str) else case.decision
    assert assessment.decision.value in acceptable, summary
    for rule_id, outcome in case.rules.items():
        assert rule_id in got, summary
        if outcome is not None:
            assert outcome in outcomes_of(assessment, rule_id), summary
    assert not got & set(case.absent), summary
    assert not assessment.errors, [f.message for f in assessment.errors]
    return assessment


CASES = [
    # ---- CAP-001: in scope, capabilities listed ---------------------------------------
    Case(
        "cap001-face-sdk-to-retailer-in-scope-but-proceeds",
        "A face recognition SDK is in scope; a private retailer is not government-linked, so it proceeds",
        FACE_SDK,
        RETAILER,
        "proceed",
        {"HRDD-CAP-001": "info"},
        ("HRDD-CAP-009", "HRDD-CAP-005"),
    ),
    # ---- CAP-002: undeclared capabilities --------------------------------------------
    Case(
        "cap002-traffic-camera-face-matching-for-police-escalates",
        "A 'traffic camera' that matches drivers' faces has an undeclared biometric capability: escalate for the police",
        {
            "name": "RoadWatch traffic camera",
            "categories": ["other"],
            "capabilities": ["audio_video_recording"],
            "description": "Traffic enforcement camera that also performs face matching of drivers against the ID photo register",
        },
        NATIONAL_POLICE,
        "escalate",
        {"HRDD-CAP-002": "escalate", "HRDD-CAP-009": "escalate"},
    ),
    Case(
        "cap002-brand-monitoring-unmasking-account-owners-for-state-telco-escalates",
        "Brand monitoring that identifies the people behind accounts is relationship mapping: escalate for a state-owned telco",
        {
            "name": "BrandSense",
            "categories": ["data_analytics"],
            "description": "Brand monitoring dashboard that identifies the account owners behind negative posts",
        },
        STATE_TELCO,
        "escalate",
        {"HRDD-CAP-002": "escalate"},
    ),
    Case(
        "cap002-brand-monitoring-unmasking-for-private-retailer-is-info",
        "The same unintended capability sold to a private retailer is reported, not escalated",
        {
            "name": "BrandSense",
            "categories": ["data_analytics"],
            "description": "Brand monitoring dashboard that identifies the account owners behind negative posts",
        },
        RETAILER,
        "proceed",
        {"HRDD-CAP-002": "info"},
        ("HRDD-CAP-009",),
    ),
    Case(
        "cap002-feedback-portal-sentiment-for-city-requires-safeguards",
        "An undeclared low-weight capability (sentiment analysis) for a city council asks for safeguards, not review",
        {
            "name": "CityVoice portal",
            "categories": ["other"],
            "description": "Citizen feedback portal with sentiment dashboards per district",
        },
        CITY_COUNCIL,
        "proceed_with_safeguards",
        {"HRDD-CAP-002": "safeguards_required"},
        ("HRDD-CAP-009",),
    ),
    # ---- CAP-003: protected attributes ------------------------------------------------
    Case(
        "cap003-tag-people-by-ethnicity-for-government-do-not-proceed",
        "Customising video analytics to tag people by ethnicity and religion for a security bureau is refused",
        {
            "name": "VisionGrid analytics",
            "categories": ["facial_recognition"],
            "customization": "custom_development",
            "description": "Video analytics platform for CCTV control rooms",
            "customization_request": "Add a module that tags people in the footage by ethnicity and religion",
        },
        PUBLIC_SECURITY,
        "do_not_proceed",
        {"HRDD-CAP-003": "do_not_proceed"},
    ),
    Case(
        "cap003-tag-shoppers-by-ethnicity-for-private-company-escalates",
        "The same customisation for a private retailer is escalated: it exists to single out groups",
        {
            "name": "FootfallIQ",
            "categories": ["data_analytics"],
            "customization": "configuration",
            "description": "Footfall analytics for stores",
            "customization_request": "Tag shoppers by ethnicity in the weekly footfall report",
        },
        RETAILER,
        "escalate",
        {"HRDD-CAP-003": "escalate"},
    ),
    # ---- CAP-004: safeguard removal ---------------------------------------------------
    Case(
        "cap004-disable-audit-logs-escalates",
        "A customer asking to disable audit logs wants misuse to go unseen: escalate even for a private buyer",
        {
            **ALPR,
            "design_safeguards": ["audit_logging", "geofencing"],
            "customization": "configuration",
            "customization_request": "Please disable the audit logs for our investigators",
        },
        RETAILER,
        "escalate",
        {"HRDD-CAP-004": "escalate"},
    ),
    Case(
        "cap004-remove-geofencing-escalates",
        "Removing geofencing so trackers work nationwide weakens a designed-in limit: escalate",
        {
            "name": "TrackPoint",
            "categories": ["location_tracking"],
            "description": "GPS tracker for vehicles",
            "design_safeguards": ["geofencing", "audit_logging"],
            "customization": "configuration",
            "customization_request": "Remove the geofencing so the trackers work nationwide",
        },
        NATIONAL_POLICE,
        "escalate",
        {"HRDD-CAP-004": "escalate"},
    ),
    Case(
        "cap004-lifting-query-limit-to-unlimited-escalates",
        "Raising a designed-in query limit to unlimited weakens a safeguard as much as removing it",
        {
            **ALPR,
            "design_safeguards": ["audit_logging", "volume_limits"],
            "customization": "configuration",
            "customization_request": "Raise the daily query limit from 100 to unlimited",
        },
        RETAILER,
        "escalate",
        {"HRDD-CAP-004": "escalate"},
    ),
    Case(
        "cap004-harmless-customisation-is-not-a-safeguard-removal",
        "Translating the user interface removes nothing",
        {
            **ALPR,
            "design_safeguards": ["audit_logging", "geofencing"],
            "customization": "configuration",
            "customization_request": "Translate the operator console into Portuguese",
        },
        RETAILER,
        "proceed",
        {},
        ("HRDD-CAP-004",),
    ),
    # ---- CAP-005: missing design safeguards ------------------------------------------
    Case(
        "cap005-alpr-for-police-without-audit-logging-requires-safeguards",
        "ALPR for the police with geofencing but no audit logging: build the missing safeguards in first",
        {**ALPR, "design_safeguards": ["geofencing", "role_based_access"]},
        NATIONAL_POLICE,
        "proceed_with_safeguards",
        {"HRDD-CAP-005": "safeguards_required"},
        ("HRDD-CAP-009",),
    ),
    Case(
        "cap005-alpr-for-police-with-audit-and-geofencing-proceeds",
        "ALPR with audit logging and geofencing has the safeguards its potential calls for",
        {**ALPR, "design_safeguards": ["audit_logging", "geofencing"]},
        NATIONAL_POLICE,
        "proceed",
        {"HRDD-CAP-001": "info"},
        ("HRDD-CAP-005", "HRDD-CAP-009"),
    ),
    Case(
        "cap005-spyware-with-full-safeguards-still-reviewed-but-not-short-of-safeguards",
        "Spyware with every safeguard it can take is not short of safeguards, yet its floor keeps it under review",
        {
            **SPYWARE,
            "design_safeguards": [
                "audit_logging",
                "tamper_evident_logs",
                "warrant_enforcement",
                "geofencing",
                "role_based_access",
            ],
        },
        INTELLIGENCE,
        "escalate",
        {"HRDD-CAP-009": "escalate"},
        ("HRDD-CAP-005",),
    ),
    # ---- CAP-006: custom development ----------------------------------------------------
    Case(
        "cap006-custom-interception-probe-for-intelligence-escalates",
        "Custom development of an interception probe for an intelligence service: the design itself is reviewed",
        {
            "name": "LI Probe",
            "categories": ["network_protocol_surveillance"],
            "customization": "custom_development",
            "description": "Lawful interception mediation platform",
            "customization_request": "Build a custom interception probe for the national internet gateway",
        },
        INTELLIGENCE,
        "escalate",
        {"HRDD-CAP-006": "escalate", "HRDD-CAP-009": "escalate"},
    ),
    Case(
        "cap006-custom-housing-for-thermal-camera-is-not-design-review",
        "A ruggedised housing for thermal cameras is custom work on a low-potential item: no design review",
        {
            "name": "ThermoEye T2",
            "categories": ["thermal_imaging"],
            "customization": "custom_development",
            "description": "Thermal imaging camera for perimeter intrusion detection",
            "customization_request": "Ruggedised housing rated for desert heat",
        },
        {**NATIONAL_POLICE, "sector": "border_control"},
        "proceed",
        {},
        ("HRDD-CAP-006", "HRDD-CAP-009"),
    ),
    Case(
        "cap006-custom-face-sdk-for-private-retailer-is-not-design-review",
        "Custom development for a private retailer is outside CAP-006 (government-linked end users only)",
        {
            **FACE_SDK,
            "customization": "custom_development",
            "customization_request": "Integrate with our POS system",
        },
        RETAILER,
        "proceed",
        {},
        ("HRDD-CAP-006",),
    ),
    # ---- CAP-007: covert or mass-scale use ----------------------------------------------
    Case(
        "cap007-covert-undetectable-recorder-for-police-escalates",
        "A recorder marketed as covert and undetectable by the subject is presented for covert use",
        {
            "name": "SilentEar",
            "categories": ["remote_recording_device"],
            "description": "Covert audio recorder, undetectable by the subject, with remote listening",
        },
        NATIONAL_POLICE,
        "escalate",
        {"HRDD-CAP-007": "escalate"},
    ),
    Case(
        "cap007-drone-for-mass-surveillance-for-government-escalates",
        "A drone marketed for mass surveillance of city centres, sold to a security bureau, is escalated",
        {
            "name": "SkyWatch",
            "categories": ["drone"],
            "description": "Long-endurance drone designed for mass surveillance of city centres",
        },
        PUBLIC_SECURITY,
        "escalate",
        {"HRDD-CAP-007": "escalate"},
    ),
    Case(
        "cap007-mass-surveillance-marketing-to-private-buyer-is-info",
        "The same marketing to a private buyer is reported as information only",
        {
            "name": "SkyWatch",
            "categories": ["drone"],
            "description": "Long-endurance drone designed for mass surveillance of city centres",
        },
        PORT_OPERATOR,
        "proceed",
        {"HRDD-CAP-007": "info"},
    ),
    # ---- CAP-008: cannot be classified --------------------------------------------------
    Case(
        "cap008-nothing-declared-escalates-even-for-private-buyer",
        "No category, capability or description: the item cannot be cleared, whoever buys it",
        {"name": "Unit X"},
        RETAILER,
        "escalate",
        {"HRDD-CAP-008": "escalate"},
    ),
    Case(
        "cap008-only-other-and-blank-description-escalates",
        "Category 'other' and a blank description say nothing either: fail closed",
        {"name": "Unit X", "categories": ["other"], "description": "   "},
        RETAILER,
        "escalate",
        {"HRDD-CAP-008": "escalate"},
    ),
    Case(
        "cap008-not-raised-when-description-says-what-it-is",
        "A described non-surveillance accessory is classified (nothing found) and proceeds",
        {
            "name": "Spare battery",
            "categories": ["other"],
            "description": "Spare lithium battery pack, 5000 mAh",
        },
        MUNICIPAL_POLICE,
        "proceed",
        {},
        ("HRDD-CAP-008",),
    ),
    # ---- CAP-009: high misuse potential, government-linked ----------------------------
    Case(
        "cap009-face-sdk-for-police-escalates",
        "Face recognition without safeguards for a police force: potential 4 for a government end user",
        FACE_SDK,
        NATIONAL_POLICE,
        "escalate",
        {"HRDD-CAP-009": "escalate"},
    ),
    # ---- CAP-010: aimed at people exercising their rights -----------------------------
    Case(
        "cap010-stated-end-use-protest-organisers-and-journalists-government-do-not-proceed",
        "A stated end use of identifying protest organisers and monitoring journalists is the misuse itself",
        SOCIAL_LISTENING,
        {
            **PUBLIC_SECURITY,
            "stated_end_use": "Identify protest organisers and monitor journalists critical of the government",
        },
        "do_not_proceed",
        {"HRDD-CAP-010": "do_not_proceed"},
    ),
    Case(
        "cap010-stated-end-use-aimed-at-journalists-private-escalates",
        "The same stated end use from a private buyer is escalated",
        SOCIAL_LISTENING,
        {
            **RETAILER,
            "stated_end_use": "Identify protest organisers and monitor journalists critical of the government",
        },
        "escalate",
        {"HRDD-CAP-010": "escalate"},
    ),
    Case(
        "cap010-item-text-tracks-opposition-activists-government-do-not-proceed",
        "An item described as tracking opposition activists is aimed at them, whatever the stated end use",
        {**SOCIAL_LISTENING, "description": "Toolkit to track opposition activists across social networks"},
        PUBLIC_SECURITY,
        "do_not_proceed",
        {"HRDD-CAP-010": "do_not_proceed"},
    ),
    # ---- negation: mentions that deny a capability do not detect it -------------------
    Case(
        "negation-no-face-recognition",
        "'no face recognition' denies the capability: nothing undeclared",
        {
            "name": "RoadWatch",
            "categories": ["other"],
            "capabilities": ["audio_video_recording"],
            "description": "Traffic camera with no face recognition, reading only vehicle speed",
        },
        NATIONAL_POLICE,
        "proceed",
        {},
        ("HRDD-CAP-002", "HRDD-CAP-009"),
    ),
    Case(
        "negation-face-matching-disabled",
        "'face matching disabled' denies the capability",
        {
            "name": "LobbyCam",
            "categories": ["other"],
            "capabilities": ["audio_video_recording"],
            "description": "Lobby camera; face matching disabled for this customer",
        },
        CITY_COUNCIL,
        "proceed",
        {},
        ("HRDD-CAP-002", "HRDD-CAP-009"),
    ),
    Case(
        "negation-without-remote-access",
        "'without remote access' denies the capability",
        {
            "name": "NVR-8",
            "categories": ["other"],
            "capabilities": ["audio_video_recording"],
            "description": "Network video recorder without remote access, for on-site viewing only",
        },
        CITY_COUNCIL,
        "proceed",
        {},
        ("HRDD-CAP-002", "HRDD-CAP-009"),
    ),
    # ---- who counts as government-linked ---------------------------------------------
    Case(
        "govlink-state-owned-enterprise",
        "A state-owned enterprise is government-linked (the guidance's SOE trend)",
        FACE_SDK,
        {**STATE_TELCO, "sector": "commercial"},
        "escalate",
        {"HRDD-CAP-009": "escalate"},
    ),
    Case(
        "govlink-private-close-to-government",
        "A private end user close to a government is red flag 1",
        FACE_SDK,
        {**RETAILER, "type": "private_close_to_government"},
        "escalate",
        {"HRDD-CAP-009": "escalate"},
    ),
    *[
        Case(
            f"govlink-private-{relationship}",
            f"A private company that is a government {relationship} is government-linked",
            FACE_SDK,
            {**RETAILER, "government_relationship": relationship},
            "escalate",
            {"HRDD-CAP-009": "escalate"},
        )
        for relationship in ("contractor", "partially_owned", "state_controlled")
    ],
    Case(
        "govlink-unknown-type-treated-as-government",
        "An end user whose type is 'unknown' is treated as government-linked until established",
        FACE_SDK,
        {**RETAILER, "type": "unknown"},
        "escalate",
        {"HRDD-CAP-009": "escalate"},
    ),
    Case(
        "govlink-missing-type-treated-as-government",
        "An end user whose type is left out is treated as government-linked until established",
        FACE_SDK,
        {**RETAILER, "type": DROP, "government_relationship": DROP},
        "escalate",
        {"HRDD-CAP-009": "escalate"},
    ),
    Case(
        "govlink-ngo-is-not-government",
        "An NGO with no government relationship is not government-linked",
        FACE_SDK,
        {**RETAILER, "type": "ngo", "sector": "civil_society"},
        "proceed",
        {},
        ("HRDD-CAP-009",),
    ),
    # ---- commensurate outcomes ---------------------------------------------------------
    Case(
        "commensurate-body-cams-with-safeguards-to-municipal-police-proceed",
        "Body-worn cameras with audit, tamper-evident logs, access control and minimisation for a municipal police force",
        {**BODY_CAMERA, "design_safeguards": STRONG_SAFEGUARDS},
        MUNICIPAL_POLICE,
        "proceed",
        {"HRDD-CAP-001": "info"},
    ),
    Case(
        "commensurate-body-cams-without-safeguards-at-most-safeguards",
        "The same cameras without safeguards are low-potential recorders: at most proceed with safeguards",
        BODY_CAMERA,
        MUNICIPAL_POLICE,
        {"proceed", "proceed_with_safeguards"},
        {"HRDD-CAP-001": "info"},
        ("HRDD-CAP-009",),
    ),
    Case(
        "commensurate-thermal-cameras-for-private-port-proceed",
        "Thermal cameras guarding a private container terminal are in scope but low risk",
        {
            "name": "ThermoEye T2",
            "categories": ["thermal_imaging"],
            "description": "Thermal imaging camera for perimeter intrusion detection",
        },
        PORT_OPERATOR,
        "proceed",
        {"HRDD-CAP-001": "info"},
    ),
    Case(
        "commensurate-spyware-to-intelligence-agency-escalates-or-worse",
        "Spyware for an intelligence agency is the gravest item for the most sensitive end user",
        SPYWARE,
        INTELLIGENCE,
        {"escalate", "do_not_proceed"},
        {"HRDD-CAP-009": "escalate"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_realistic_transaction(case: Case, baseline: hrdd.Engine) -> None:
    check(case, baseline)


# --------------------------------------------------------------------------------------
# What the findings say (evidence a reviewer reads)
# --------------------------------------------------------------------------------------


def test_cap001_lists_every_capability_and_the_potential(baseline: hrdd.Engine) -> None:
    """CAP-001 names what the item can do, including what its category implies."""
    assessment = baseline.assess(make_transaction(FACE_SDK, RETAILER))
    finding = the_finding(assessment, "HRDD-CAP-001")
    assert "biometric_identification" in finding.message
    assert "indexing_and_search" in finding.message  # implied by the facial_recognition category
    assert evidence(finding)["misuse_potential"] == 4
    assert finding.subject == "items[0]"
    assert "draft-2019:scope" in finding.guidance


def test_cap002_evidence_quotes_the_revealing_phrase(baseline: hrdd.Engine) -> None:
    """The reviewer sees where the undeclared capability was read: the description's words."""
    item = {
        "name": "RoadWatch",
        "categories": ["other"],
        "capabilities": ["audio_video_recording"],
        "description": "Traffic camera that also performs face matching of drivers",
    }
    finding = the_finding(baseline.assess(make_transaction(item, NATIONAL_POLICE)), "HRDD-CAP-002")
    assert "face matching" in evidence(finding)["items[0].description"]
    assert "biometric_identification" in finding.message


def test_cap002_reads_the_customisation_request_too(baseline: hrdd.Engine) -> None:
    """An unintended capability asked for in the customisation request is as undeclared as one in the description."""
    item = {
        **BODY_CAMERA,
        "customization": "configuration",
        "customization_request": "Add live face recognition against our wanted-persons list",
    }
    assessment = baseline.assess(make_transaction(item, NATIONAL_POLICE))
    assert assessment.decision == "escalate"
    finding = next(f for f in assessment.findings if f.rule_id == "HRDD-CAP-002" and f.outcome == "escalate")
    assert "items[0].customization_request" in evidence(finding)


def test_cap003_declared_protected_attribute_inference_is_refused_for_government(
    baseline: hrdd.Engine,
) -> None:
    """Declaring the capability outright is no better than asking for it."""
    item = {
        "name": "DemoGraph",
        "categories": ["data_analytics"],
        "capabilities": ["protected_attribute_inference"],
        "description": "Demographic analytics",
        "design_safeguards": STRONG_SAFEGUARDS,
    }
    assessment = baseline.assess(make_transaction(item, PUBLIC_SECURITY))
    assert assessment.decision == "do_not_proceed"
    assert outcomes_of(assessment, "HRDD-CAP-003") == {"do_not_proceed"}
    assert misuse_potential(assessment) == 5  # no safeguard lowers protected-attribute inference


def test_cap005_names_the_missing_safeguards(baseline: hrdd.Engine) -> None:
    """The finding tells the exporter which design safeguards to build in, audit logging first."""
    item = {**ALPR, "design_safeguards": ["geofencing", "role_based_access"]}
    finding = the_finding(baseline.assess(make_transaction(item, NATIONAL_POLICE)), "HRDD-CAP-005")
    assert "audit_logging" in finding.message
    assert "audit_logging" in (finding.remediation or "")
    assert "audit_logging" not in evidence(finding)["items[0].design_safeguards"]


def test_cap008_is_about_the_item_and_fails_closed(baseline: hrdd.Engine) -> None:
    """An unclassifiable item never proceeds, and no other capability rule pretends to know it."""
    assessment = baseline.assess(make_transaction({"name": "Unit X"}, MUNICIPAL_POLICE))
    assert assessment.decision == "escalate"
    assert rule_ids(assessment) == {"HRDD-CAP-008"}
    assert the_finding(assessment, "HRDD-CAP-008").subject == "items[0]"


def test_cap008_only_the_unclassifiable_item_of_several(baseline: hrdd.Engine) -> None:
    """In a two-item deal CAP-008 points at the item that says nothing, not at the described one."""
    document = make_transaction(BODY_CAMERA, MUNICIPAL_POLICE)
    document["items"].append(make_item(id="item-2", name="Unit X"))
    assessment = baseline.assess(document)
    assert assessment.decision == "escalate"
    assert the_finding(assessment, "HRDD-CAP-008").subject == "items[1]"


def test_cap010_from_stated_end_use_quotes_it(baseline: hrdd.Engine) -> None:
    end_user = {**PUBLIC_SECURITY, "stated_end_use": "Monitor journalists who report on corruption"}
    finding = the_finding(baseline.assess(make_transaction(SOCIAL_LISTENING, end_user)), "HRDD-CAP-010")
    assert "journalists" in evidence(finding)["end_user.stated_end_use"]


def test_cap010_ordinary_stated_end_use_is_checked_and_passes(baseline: hrdd.Engine) -> None:
    """Negative assurance: the stated end use was read, and nothing was found in it."""
    assessment = baseline.assess(make_transaction(BODY_CAMERA, MUNICIPAL_POLICE))
    checks = [c for c in assessment.checks if c.plugin == PLUGIN and c.hook == "hrdd_check_end_user"]
    assert [c.outcome for c in checks] == ["pass"]
    assert "HRDD-CAP-010" not in rule_ids(assessment)


# --------------------------------------------------------------------------------------
# Commensurate risk: design safeguards lower the misuse potential
# --------------------------------------------------------------------------------------


def test_safeguards_lower_the_reported_misuse_potential(baseline: hrdd.Engine) -> None:
    """The same face recognition SDK with four mitigating safeguards is graded lower than with none."""
    bare = baseline.assess(make_transaction(FACE_SDK, NATIONAL_POLICE))
    guarded = baseline.assess(
        make_transaction({**FACE_SDK, "design_safeguards": STRONG_SAFEGUARDS}, NATIONAL_POLICE)
    )
    assert misuse_potential(guarded) < misuse_potential(bare)
    assert (misuse_potential(bare), misuse_potential(guarded)) == (4, 2)
    assert bare.decision == "escalate"
    assert guarded.decision == "proceed"  # 4 relevant safeguards take it below safeguards_at
    assert set(evidence(the_finding(guarded, "HRDD-CAP-001"))["items[0].design_safeguards"]) == set(
        STRONG_SAFEGUARDS
    )


def test_irrelevant_safeguards_are_not_credited(baseline: hrdd.Engine) -> None:
    """Geofencing does not mitigate face recognition: claiming it changes nothing."""
    bare = baseline.assess(make_transaction(FACE_SDK, NATIONAL_POLICE))
    beside_the_point = baseline.assess(
        make_transaction({**FACE_SDK, "design_safeguards": ["geofencing", "other"]}, NATIONAL_POLICE)
    )
    assert misuse_potential(beside_the_point) == misuse_potential(bare) == 4
    assert "HRDD-CAP-009" in rule_ids(beside_the_point)


def test_protected_attribute_floor_and_spyware_floor_hold(baseline: hrdd.Engine) -> None:
    """However many safeguards, spyware never drops below its floor of 4."""
    guarded = {
        **SPYWARE,
        "design_safeguards": [
            "audit_logging",
            "tamper_evident_logs",
            "warrant_enforcement",
            "geofencing",
            "role_based_access",
            "feature_disabled",
        ],
    }
    assert misuse_potential(baseline.assess(make_transaction(guarded, INTELLIGENCE))) == 4


# --------------------------------------------------------------------------------------
# Configuration: thresholds and the unknown end user
# --------------------------------------------------------------------------------------


def test_escalate_at_5_removes_cap009_for_potential_4_items(tmp_path: Path, baseline: hrdd.Engine) -> None:
    engine = hrdd.Engine.from_policy(write_policy(tmp_path, escalate_at=5))
    default = baseline.assess(make_transaction(FACE_SDK, NATIONAL_POLICE))
    relaxed = engine.assess(make_transaction(FACE_SDK, NATIONAL_POLICE))
    assert "HRDD-CAP-009" in rule_ids(default)
    assert "HRDD-CAP-009" not in rule_ids(relaxed)
    assert relaxed.decision == "proceed_with_safeguards"  # CAP-005 still asks for safeguards
    # ... while a potential-5 item still escalates
    assert "HRDD-CAP-009" in rule_ids(engine.assess(make_transaction(SPYWARE, INTELLIGENCE)))


def test_escalate_at_3_escalates_alpr(tmp_path: Path, baseline: hrdd.Engine) -> None:
    """A stricter policy escalates a potential-3 ALPR deal the baseline lets through."""
    item = {**ALPR, "design_safeguards": ["audit_logging", "geofencing"]}
    assert baseline.assess(make_transaction(item, NATIONAL_POLICE)).decision == "proceed"
    strict = hrdd.Engine.from_policy(write_policy(tmp_path, escalate_at=3)).assess(
        make_transaction(item, NATIONAL_POLICE)
    )
    assert strict.decision == "escalate"
    assert "HRDD-CAP-009" in rule_ids(strict)


def test_safeguards_at_controls_cap005(tmp_path: Path) -> None:
    """safeguards_at = 5 stops asking for design safeguards on a potential-3 ALPR."""
    item = {**ALPR, "design_safeguards": ["geofencing", "role_based_access"]}
    assessment = hrdd.Engine.from_policy(write_policy(tmp_path, safeguards_at=5)).assess(
        make_transaction(item, NATIONAL_POLICE)
    )
    assert "HRDD-CAP-005" not in rule_ids(assessment)
    assert assessment.decision == "proceed"


@pytest.mark.parametrize("end_user_type", ["unknown", DROP], ids=["type-unknown", "type-missing"])
def test_unknown_end_user_can_be_treated_as_private(tmp_path: Path, end_user_type: Any) -> None:
    """With unknown_end_user_is_government = false an unestablished end user is not government-linked."""
    engine = hrdd.Engine.from_policy(write_policy(tmp_path, unknown_end_user_is_government=False))
    end_user = {**RETAILER, "type": end_user_type, "government_relationship": DROP}
    assessment = engine.assess(make_transaction(FACE_SDK, end_user))
    assert assessment.decision == "proceed"
    assert "HRDD-CAP-009" not in rule_ids(assessment)


def test_unknown_end_user_config_does_not_clear_a_known_relationship(tmp_path: Path) -> None:
    """The switch is about unknown types only: a state-controlled company of unknown type stays linked."""
    engine = hrdd.Engine.from_policy(write_policy(tmp_path, unknown_end_user_is_government=False))
    end_user = {**RETAILER, "type": "unknown", "government_relationship": "state_controlled"}
    assert "HRDD-CAP-009" in rule_ids(engine.assess(make_transaction(FACE_SDK, end_user)))


@pytest.mark.parametrize(
    "config",
    [
        {"escalate_at": 0},
        {"escalate_at": 6},
        {"safeguards_at": "high"},
        {"unknown_end_user_is_government": "yes"},
        {"threshold": 3},
    ],
    ids=["escalate_at-0", "escalate_at-6", "safeguards_at-string", "unknown-not-bool", "unknown-key"],
)
def test_invalid_config_is_refused_at_load(tmp_path: Path, config: dict[str, Any]) -> None:
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(write_policy(tmp_path, **config))
    key = next(iter(config))
    assert any(key in f"{p.path} {p.message}" for p in raised.value.problems), raised.value


# --------------------------------------------------------------------------------------
# CALIBRATION: behaviour that is wrong by the guidance's standard (see the module docstring)
# --------------------------------------------------------------------------------------


def calibration(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"CALIBRATION: {reason}")


def xcase(case: Case, reason: str) -> Any:
    """A case the plugin once got wrong, kept with the reason it failed (a regression test)."""
    return pytest.param(case, id=case.id)


CALIBRATION_CASES = [
    # ---- missed detections: a negation word that negates nothing ------------------------
    xcase(
        Case(
            "non-cooperative-location-tracking-is-detected",
            "The guidance's own term 'non-cooperative location tracking' is location tracking",
            {
                "name": "HandsetLocator",
                "categories": ["other"],
                "description": "Non-cooperative location tracking of mobile handsets",
            },
            NATIONAL_POLICE,
            "escalate",
            {"HRDD-CAP-002": "escalate"},
        ),
        "'non' in 'Non-cooperative' is read as a negation of the whole clause; the item gets "
        "no finding at all and the deal proceeds",
    ),
    xcase(
        Case(
            "non-intrusive-face-recognition-is-detected",
            "'Non-intrusive face recognition' is face recognition",
            {
                "name": "GateCam",
                "categories": ["other"],
                "capabilities": ["audio_video_recording"],
                "description": "Non-intrusive face recognition at airport gates",
            },
            {**NATIONAL_POLICE, "sector": "border_control"},
            "escalate",
            {"HRDD-CAP-002": "escalate"},
        ),
        "'Non-intrusive' negates the face recognition; border-control deal proceeds at potential 2",
    ),
    xcase(
        Case(
            "never-miss-a-suspect-face-matching-is-detected",
            "Marketing that says 'never miss a suspect with real-time face matching' sells face matching",
            {
                "name": "WatchCam",
                "categories": ["other"],
                "capabilities": ["audio_video_recording"],
                "description": "Never miss a suspect with real-time face matching on every camera",
            },
            NATIONAL_POLICE,
            "escalate",
            {"HRDD-CAP-002": "escalate"},
        ),
        "'Never' earlier in the clause negates 'face matching'; deal proceeds",
    ),
    xcase(
        Case(
            "works-without-internet-face-matching-is-detected",
            "'works without internet and matches faces offline' still matches faces",
            {
                "name": "EdgeCam",
                "categories": ["other"],
                "capabilities": ["audio_video_recording"],
                "description": "Edge camera that works without internet and matches faces offline",
            },
            NATIONAL_POLICE,
            "escalate",
            {"HRDD-CAP-002": "escalate"},
        ),
        "'without' (internet) negates the later 'matches faces'; deal proceeds",
    ),
    # ---- false detections: a negation that does not reach a listed item -----------------
    xcase(
        Case(
            "negated-list-remote-access-not-detected",
            "'without face recognition, remote access or audio recording' denies all three",
            {
                "name": "NVR-8",
                "categories": ["other"],
                "capabilities": ["audio_video_recording"],
                "description": "Network video recorder without face recognition, remote access or audio recording",
            },
            CITY_COUNCIL,
            "proceed",
            {},
            ("HRDD-CAP-002", "HRDD-CAP-009"),
        ),
        "negation stops at the comma: 'remote access' is detected as undeclared and the "
        "deal escalates (CAP-002, CAP-009)",
    ),
    xcase(
        Case(
            "negated-list-tracking-not-detected",
            "'cannot identify faces, track people or record audio' denies tracking",
            {
                "name": "CountCam",
                "categories": ["other"],
                "capabilities": ["audio_video_recording"],
                "description": "People-counting camera; the system cannot identify faces, track people or record audio",
            },
            CITY_COUNCIL,
            "proceed",
            {},
            ("HRDD-CAP-002", "HRDD-CAP-009"),
        ),
        "negation stops at the comma: 'track people' is detected as location tracking and the deal escalates",
    ),
    # ---- false detections in ordinary product text ---------------------------------------
    xcase(
        Case(
            "document-scanner-dpi-is-not-deep-packet-inspection",
            "'600 dpi' on a document scanner is a resolution, not deep packet inspection",
            {
                "name": "DocScan 600",
                "categories": ["other"],
                "description": "High-speed duplex document scanner, 600 dpi, 80 pages per minute",
            },
            {**CITY_COUNCIL, "sector": "civil_administration"},
            "proceed",
            {},
            ("HRDD-CAP-002", "HRDD-CAP-009"),
        ),
        "'dpi' is read as content_interception (weight 5): a scanner for a ministry escalates "
        "with CAP-002/CAP-009 at potential 5",
    ),
    xcase(
        Case(
            "antivirus-blocking-exploits-is-not-device-exploitation",
            "Endpoint protection that blocks exploits defends devices; it does not break into them",
            {
                "name": "ShieldEPP",
                "categories": ["other"],
                "description": "Endpoint protection that blocks exploits and ransomware on ministry laptops",
            },
            {**CITY_COUNCIL, "sector": "civil_administration"},
            "proceed",
            {},
            ("HRDD-CAP-002", "HRDD-CAP-009"),
        ),
        "'exploits' is read as device_exploitation (weight 5): antivirus for a ministry escalates",
    ),
    xcase(
        Case(
            "cochlear-implant-is-not-device-exploitation",
            "A clinic system mentioning cochlear implants has nothing to do with spyware implants",
            {
                "name": "AudioClinic",
                "categories": ["other"],
                "description": "Patient records for audiology clinics, including cochlear implant fitting schedules",
            },
            {**CITY_COUNCIL, "sector": "health"},
            "proceed",
            {},
            ("HRDD-CAP-002", "HRDD-CAP-009"),
        ),
        "'implant' is read as device_exploitation (weight 5): a health ministry's clinic software escalates",
    ),
    xcase(
        Case(
            "telecom-billing-all-subscribers-is-not-mass-surveillance",
            "A billing system that invoices all subscribers is not bulk collection or mass-surveillance marketing",
            {
                "name": "ConvergeBSS",
                "categories": ["other"],
                "description": "Convergent billing system that issues monthly invoices to all subscribers",
            },
            STATE_TELCO,
            "proceed",
            {},
            ("HRDD-CAP-002", "HRDD-CAP-007", "HRDD-CAP-009"),
        ),
        "'all subscribers' is read as bulk_collection and as covert/mass marketing: a "
        "state telco's billing system escalates with CAP-002, CAP-007, CAP-009",
    ),
    xcase(
        Case(
            "single-sign-on-for-all-users-is-not-bulk-collection",
            "Single sign-on 'for all users of the ministry' collects nothing about a population",
            {
                "name": "OneLogin Gov",
                "categories": ["other"],
                "description": "Single sign-on for all users of the ministry",
            },
            {**CITY_COUNCIL, "sector": "civil_administration"},
            "proceed",
            {},
            ("HRDD-CAP-002", "HRDD-CAP-009"),
        ),
        "'all users' is read as bulk_collection (weight 4): an SSO product escalates",
    ),
    xcase(
        Case(
            "counter-surveillance-sweep-is-not-covert-operation",
            "A sweep kit that detects covert listening devices protects against covert surveillance",
            {
                "name": "SweepPro TSCM",
                "categories": ["other"],
                "description": "Counter-surveillance sweep kit that detects covert listening devices and hidden cameras",
            },
            {**CITY_COUNCIL, "sector": "civil_administration"},
            "proceed",
            {},
            ("HRDD-CAP-002", "HRDD-CAP-007", "HRDD-CAP-009"),
        ),
        "'covert' anywhere is read as covert_operation and covert marketing: a bug-sweeping "
        "kit escalates with CAP-002, CAP-007, CAP-009",
    ),
    xcase(
        Case(
            "document-metadata-is-not-communications-metadata",
            "Metadata tags on documents are not communications metadata",
            {
                "name": "DocuVault",
                "categories": ["other"],
                "description": "Document management with metadata tagging and full-text search",
            },
            {**CITY_COUNCIL, "sector": "civil_administration"},
            "proceed",
            {},
            ("HRDD-CAP-002",),
        ),
        "'metadata' is read as metadata_collection: a document management system for a "
        "ministry gets proceed_with_safeguards (CAP-002, CAP-005)",
    ),
    xcase(
        Case(
            "it-asset-inventory-is-not-location-tracking",
            "An inventory that 'tracks devices, licences and warranties' does not locate people",
            {
                "name": "AssetBook ITAM",
                "categories": ["other"],
                "description": "IT asset management that tracks devices, licences and warranties",
            },
            {**CITY_COUNCIL, "sector": "civil_administration"},
            "proceed",
            {},
            ("HRDD-CAP-002", "HRDD-CAP-009"),
        ),
        "'tracks devices' is read as location_tracking (weight 4): IT inventory escalates",
    ),
    xcase(
        Case(
            "court-e-filing-deadlines-for-lawyers-is-not-targeting-lawyers",
            "A court clerk tracking filing deadlines for lawyers serves lawyers; it does not surveil them",
            {
                "name": "CourtFile",
                "categories": ["other"],
                "description": "Court e-filing and case management portal",
            },
            {
                **CITY_COUNCIL,
                "sector": "justice",
                "stated_end_use": "Let court clerks track filing deadlines for lawyers and litigants",
            },
            "proceed",
            {},
            ("HRDD-CAP-010",),
        ),
        "'track ... lawyers' is read as aimed at people exercising their rights: a justice "
        "ministry's e-filing portal gets do_not_proceed (CAP-010)",
    ),
    xcase(
        Case(
            "privacy-feature-no-logs-kept-is-not-a-removal-request",
            "A description boasting that no logs are kept is not the customer asking to remove a safeguard",
            {
                "name": "CountSense",
                "categories": ["other"],
                "customization": "configuration",
                "description": "People-counting sensor. Privacy by design: no logs are kept on the device.",
                "customization_request": "Translate the dashboard into Spanish",
            },
            CITY_COUNCIL,
            "proceed",
            {},
            ("HRDD-CAP-004",),
        ),
        "CAP-004 reads the *description* for removal wording whenever any customisation "
        "request exists: 'no logs are kept' escalates a harmless translation request",
    ),
    # ---- missed detections of obvious intentions ----------------------------------------
    *[
        xcase(
            Case(
                f"protected-attribute-request-{slug}",
                "A request to search or group faces by ethnicity or to add ethnic-group face models singles out groups",
                {
                    "name": "VisionGrid analytics",
                    "categories": ["facial_recognition"],
                    "customization": "custom_development",
                    "description": "Video analytics platform for CCTV control rooms",
                    "customization_request": request,
                },
                PUBLIC_SECURITY,
                "do_not_proceed",
                {"HRDD-CAP-003": "do_not_proceed"},
            ),
            f"customisation request {request!r} is not recognised as protected-attribute "
            "inference (deal escalates on CAP-009/CAP-006 only)",
        )
        for slug, request in [
            ("search-faces-by-ethnicity", "Let operators search faces by ethnicity"),
            ("ethnicity-filter", "Add an ethnicity filter to the face search"),
            ("uyghur-tibetan-face-models", "Add Uyghur and Tibetan face models"),
            ("group-faces-by-race", "Group faces by race in the daily report"),
        ]
    ],
    *[
        xcase(
            Case(
                f"targets-rights-{slug}",
                "A stated end use aimed at protest organisers, critics or rights organisations is the misuse itself",
                SOCIAL_LISTENING,
                {**PUBLIC_SECURITY, "stated_end_use": stated},
                "do_not_proceed",
                {"HRDD-CAP-010": "do_not_proceed"},
            ),
            f"stated end use {stated!r} is not recognised as aimed at people exercising "
            "their rights (deal only escalates on CAP-009)",
        )
        for slug, stated in [
            ("find-protest-organisers", "Find the organisers of last week's protests"),
            ("unauthorised-rallies", "Identify participants of unauthorised rallies"),
            ("bloggers-critical", "Track bloggers critical of the government"),
            ("rights-organisations", "Monitor human rights organisations"),
        ]
    ],
    *[
        xcase(
            Case(
                f"safeguard-removal-{slug}",
                "Asking for audit logging or geofencing to be switched off or limits lifted weakens a safeguard",
                {
                    **ALPR,
                    "design_safeguards": ["audit_logging", "geofencing"],
                    "customization": "configuration",
                    "customization_request": request,
                },
                RETAILER,
                "escalate",
                {"HRDD-CAP-004": "escalate"},
            ),
            f"customisation request {request!r} is not recognised as removing a safeguard (deal proceeds)",
        )
        for slug, request in [
            ("passive-disabled", "The audit logs should be disabled for the special unit"),
            ("turn-logging-off", "Turn audit logging off for the special unit"),
            ("lift-geofence", "Lift the geofence restriction so the readers work nationwide"),
        ]
    ],
]


@pytest.mark.parametrize("case", CALIBRATION_CASES)
def test_calibration(case: Case, baseline: hrdd.Engine) -> None:
    check(case, baseline)


def test_safeguard_asked_to_be_removed_is_not_credited(baseline: hrdd.Engine) -> None:
    item = {
        **ALPR,
        "design_safeguards": ["geofencing", "audit_logging"],
        "customization": "configuration",
        "customization_request": "Remove the geofencing so the readers work nationwide",
    }
    assessment = baseline.assess(make_transaction(item, NATIONAL_POLICE))
    assert assessment.decision == "escalate"
    assert misuse_potential(assessment) == 4
    assert "HRDD-CAP-009" in rule_ids(assessment)


def test_tracking_without_their_knowledge_is_covert(baseline: hrdd.Engine) -> None:
    item = {
        "name": "ShadowTrace",
        "categories": ["other"],
        "capabilities": ["location_tracking"],
        "description": "Ongoing tracking of individuals' phones without their knowledge and consent",
    }
    assessment = baseline.assess(make_transaction(item, NATIONAL_POLICE))
    assert "HRDD-CAP-007" in rule_ids(assessment)
    assert outcomes_of(assessment, "HRDD-CAP-007") == {"escalate"}
