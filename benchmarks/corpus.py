"""A generator of realistic transaction documents for benchmarks (deterministic by seed).

The mix follows what an exporter of surveillance-capable products sees: mostly commercial
and municipal deals with few capabilities, some government deals with serious ones, a few
with red flags in the customisation request. ``unique_text=True`` appends a serial to every
free text so no per-text cache can help (the cold case).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

PRODUCTS: list[dict[str, Any]] = [
    {
        "name": "Fixed dome camera 4MP",
        "categories": ["other"],
        "capabilities": ["audio_video_recording"],
        "description": "Indoor dome camera with 4 MP sensor, infrared night mode and on-board recording to SD card.",
    },
    {
        "name": "Body-worn camera kit",
        "categories": ["body_worn_camera"],
        "capabilities": ["audio_video_recording", "data_retention"],
        "description": "Body-worn camera with 12-hour battery, pre-event buffer and encrypted storage; docking station included.",
    },
    {
        "name": "Thermal perimeter camera",
        "categories": ["thermal_imaging"],
        "capabilities": ["audio_video_recording"],
        "description": "Fixed thermal camera for perimeter intrusion detection at industrial sites, 640x512 sensor.",
    },
    {
        "name": "Traffic enforcement camera",
        "categories": ["license_plate_reader"],
        "capabilities": ["location_tracking", "data_retention"],
        "description": "Automatic number plate recognition camera for speed and red-light enforcement at intersections.",
    },
    {
        "name": "Video management platform",
        "categories": ["data_analytics"],
        "capabilities": ["indexing_and_search", "data_retention"],
        "description": "Central video management software that records streams and lets operators search footage by time and camera.",
    },
    {
        "name": "Face recognition SDK",
        "categories": ["facial_recognition"],
        "capabilities": ["biometric_identification"],
        "description": "Software development kit for face matching against enrolled galleries, for access control integrators.",
    },
    {
        "name": "Social listening suite",
        "categories": ["social_media_analytics"],
        "capabilities": ["indexing_and_search", "sentiment_analysis"],
        "description": "Brand monitoring dashboard tracking mentions, sentiment and reach of public posts about the customer's products.",
    },
    {
        "name": "Network performance probe",
        "categories": ["other"],
        "capabilities": ["metadata_collection"],
        "description": "Passive probe measuring latency, jitter and throughput per service class for network operations teams.",
    },
    {
        "name": "Lawful interception mediation",
        "categories": ["network_protocol_surveillance"],
        "capabilities": ["content_interception", "metadata_collection"],
        "description": "Mediation device delivering intercepted communications of warranted targets to the authority's monitoring centre.",
    },
    {
        "name": "Mobile forensic kit",
        "categories": ["penetration_testing"],
        "capabilities": ["device_exploitation", "decryption"],
        "description": "Forensic extraction kit that bypasses screen lock on seized phones and decrypts stored messages.",
    },
    {
        "name": "Survey drone",
        "categories": ["drone"],
        "capabilities": ["audio_video_recording"],
        "description": "Quadcopter with 20 MP mapping camera for infrastructure inspection and land survey.",
    },
    {
        "name": "Rapid DNA analyser",
        "categories": ["rapid_dna"],
        "capabilities": ["biometric_identification", "data_retention"],
        "description": "Bench-top rapid DNA instrument producing profiles in 90 minutes for booking stations.",
    },
    {
        "name": "Server hardware",
        "categories": [],
        "capabilities": [],
        "description": "Rack-mounted servers with 2 CPUs, 512 GB memory and 24 drive bays.",
    },
]
REQUESTS = [
    "",
    "",
    "",
    "",
    "",
    "Localise the user interface into the customer's language.",
    "Integrate with the customer's existing directory for single sign-on.",
    "Raise retention to 5 years and switch off audit logging on searches.",
    "Add an analytics module that tags detected persons by ethnicity.",
    "Add a watchlist of protest organisers and alert when they are seen.",
]
END_USERS: list[dict[str, Any]] = [
    {
        "name": "Harbour Logistics BV",
        "country": "NL",
        "type": "private",
        "sector": "commercial",
        "government_relationship": "none",
    },
    {
        "name": "City of Springfield Police",
        "country": "US",
        "type": "government_agency",
        "sector": "municipal",
    },
    {
        "name": "National Telecom JSC",
        "country": "KZ",
        "type": "state_owned_enterprise",
        "sector": "telecom_operator",
        "government_relationship": "state_controlled",
    },
    {
        "name": "Ministry of Interior, Public Security Directorate",
        "country": "EG",
        "type": "government_agency",
        "sector": "public_security",
    },
    {"name": "University Hospital Lab", "country": "DE", "type": "academic", "sector": "health"},
    {
        "name": "Integrated Security Services LLC",
        "country": "AE",
        "type": "private_close_to_government",
        "sector": "public_security",
        "government_relationship": "contractor",
    },
    {
        "name": "Regional Border Guard",
        "country": "PL",
        "type": "government_agency",
        "sector": "border_control",
    },
]
SAFEGUARDS = [
    "audit_logging",
    "tamper_evident_logs",
    "role_based_access",
    "geofencing",
    "volume_limits",
    "data_minimisation",
    "warrant_enforcement",
]
CLAUSES = [
    "export_compliance",
    "end_use_certificate",
    "no_reexport",
    "use_limitation",
    "data_handling",
    "audit_rights",
    "suspend_and_terminate",
    "human_rights_training",
    "grievance_mechanism",
]


def transaction(rng: random.Random, serial: int, unique_text: bool = False) -> dict[str, Any]:
    """One transaction document (schema version 1)."""
    suffix = f" (ref {serial})" if unique_text else ""
    items = []
    for index in range(rng.choice((1, 1, 1, 2, 2, 3))):
        product = rng.choice(PRODUCTS)
        request = rng.choice(REQUESTS)
        items.append(
            {
                "id": f"I{index + 1}",
                "name": product["name"],
                "description": product["description"] + suffix,
                "eccn": rng.choice(["EAR99", "5A992.c", "5D992.c"]),
                "categories": product["categories"],
                "capabilities": product["capabilities"],
                "design_safeguards": rng.sample(SAFEGUARDS, rng.randint(0, 5)),
                "customization": "configuration" if request else rng.choice(["none", "configuration"]),
                **({"customization_request": request + suffix} if request else {}),
                "quantity": rng.randint(1, 500),
                "value": {"amount": float(rng.randint(1_000, 2_000_000)), "currency": "USD"},
            }
        )
    end_user = dict(rng.choice(END_USERS))
    end_user["stated_end_use"] = (
        rng.choice(
            [
                "Site security and safety of staff.",
                "Traffic safety enforcement.",
                "Criminal investigations under judicial warrant.",
                "Network quality assurance.",
            ]
        )
        + suffix
    )
    return {
        "schema_version": 1,
        "id": f"TX-{serial:07d}",
        "date": "2026-11-02",
        "kind": rng.choice(["new_sale", "new_sale", "renewal", "support"]),
        "exporter": {"name": "Example Exports Inc", "country": "US"},
        "items": items,
        "end_user": end_user,
        "parties": [{"role": "distributor", "name": "Regional Distribution GmbH", "country": "DE"}],
        "contract": {
            "clauses": rng.sample(CLAUSES, rng.randint(2, len(CLAUSES))),
            "post_export": ["monitoring"],
        },
        "kyc": {"reluctant_end_use_information": False, "evasive_about_reexport": False},
    }


def transactions(count: int, seed: int = 2026, unique_text: bool = False) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for serial in range(count):
        yield transaction(rng, serial, unique_text)
