"""Tests for schemas/transaction.schema.json (transaction document, schema version 1).

The enumerations below are copied from DESIGN.md ("Input: the transaction document"): they
are the contract other systems code against, so the schema must match them exactly.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).parents[1]
SCHEMA_PATH = ROOT / "schemas" / "transaction.schema.json"
EXAMPLES_DIR = ROOT / "policies" / "examples" / "transactions"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.json"))

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)

# --- DESIGN.md enumerations (closed) ------------------------------------------------------

KIND = {"new_sale", "renewal", "support", "update", "service", "demo"}
CATEGORIES = {
    "spyware",
    "crypto_analysis",
    "penetration_testing",
    "deep_packet_inspection",
    "computer_vision_chip",
    "location_tracking",
    "cell_site_simulator",
    "license_plate_reader",
    "body_worn_camera",
    "drone",
    "facial_recognition",
    "thermal_imaging",
    "rapid_dna",
    "biometric_system",
    "social_media_analytics",
    "gait_analysis",
    "network_protocol_surveillance",
    "remote_recording_device",
    "data_analytics",
    "other",
}
CAPABILITIES = {
    "content_interception",
    "metadata_collection",
    "location_tracking",
    "biometric_identification",
    "audio_video_recording",
    "remote_access",
    "covert_operation",
    "bulk_collection",
    "indexing_and_search",
    "relationship_mapping",
    "protected_attribute_inference",
    "content_blocking",
    "traffic_injection",
    "decryption",
    "device_exploitation",
    "data_retention",
    "sentiment_analysis",
    "other",
}
DESIGN_SAFEGUARDS = {
    "audit_logging",
    "tamper_evident_logs",
    "role_based_access",
    "geofencing",
    "volume_limits",
    "feature_disabled",
    "data_minimisation",
    "warrant_enforcement",
    "other",
}
CUSTOMIZATION = {"none", "configuration", "custom_development"}
END_USER_TYPE = {
    "government_agency",
    "state_owned_enterprise",
    "private_close_to_government",
    "private",
    "ngo",
    "academic",
    "individual",
    "unknown",
}
SECTOR = {
    "law_enforcement",
    "intelligence",
    "military",
    "prisons",
    "border_control",
    "public_security",
    "regulator",
    "telecom_operator",
    "health",
    "justice",
    "civil_administration",
    "municipal",
    "financial",
    "commercial",
    "research",
    "civil_society",
    "other",
}
GOVERNMENT_RELATIONSHIP = {"none", "contractor", "partially_owned", "state_controlled"}
ROLE = {
    "distributor",
    "reseller",
    "integrator",
    "prime_contractor",
    "consignee",
    "intermediate_consignee",
    "freight_forwarder",
    "broker",
    "financier",
    "invoicing_party",
    "other",
}
RELATIONSHIP = {"director_overlap", "ownership", "successor", "other"}
CLAUSES = {
    "export_compliance",
    "end_use_certificate",
    "no_reexport",
    "use_limitation",
    "data_handling",
    "audit_rights",
    "suspend_and_terminate",
    "technical_limitations",
    "human_rights_training",
    "grievance_mechanism",
    "public_reporting",
    "staged_delivery",
}
POST_EXPORT = {"monitoring", "periodic_audit", "grievance_channel", "usage_reporting"}
EVENTS = {
    "election_period",
    "mass_protests",
    "state_of_emergency",
    "internet_shutdown",
    "armed_conflict",
}
KYC_QUESTIONS = {
    "similar_to_listed_party",
    "reluctant_end_use_information",
    "capabilities_mismatch_business",
    "incompatible_with_destination",
    "cash_for_expensive_item",
    "little_business_background",
    "unfamiliar_with_product",
    "declines_installation_training_maintenance",
    "vague_delivery_or_destination",
    "freight_forwarder_final_destination",
    "abnormal_shipping_route",
    "packaging_inconsistent",
    "evasive_about_reexport",
    "management_overlap_with_listed_party",
    "assumes_listed_party_operations",
    "owned_by_listed_party",
}


# --- helpers ----------------------------------------------------------------------------


def minimal() -> dict:
    """The smallest valid transaction."""
    return {
        "id": "TX-TEST-0001",
        "items": [{"id": "I-1", "name": "Widget"}],
        "end_user": {"name": "Example End User", "country": "NL"},
    }


def full() -> dict:
    """A transaction using every field, with valid values."""
    return {
        "schema_version": 1,
        "id": "TX-TEST-0002",
        "date": "2026-01-15",
        "kind": "new_sale",
        "exporter": {"name": "Exporter Inc.", "country": "US"},
        "items": [
            {
                "id": "I-1",
                "name": "Camera",
                "description": "A camera.",
                "eccn": "EAR99",
                "categories": ["body_worn_camera"],
                "capabilities": ["audio_video_recording"],
                "design_safeguards": ["audit_logging"],
                "customization": "none",
                "customization_request": "",
                "quantity": 2,
                "value": {"amount": 100.5, "currency": "USD"},
            }
        ],
        "end_user": {
            "name": "Police",
            "country": "NL",
            "type": "government_agency",
            "sector": "law_enforcement",
            "government_relationship": "none",
            "stated_end_use": "Patrol.",
            "other_end_users": [
                {"name": "Other", "country": "BE", "type": "private", "sector": "commercial"}
            ],
            "sole_end_user": None,
            "misuse_reports": [
                {"summary": "A report.", "source": "NGO", "date": "2025-12-31", "credible": False}
            ],
            "related_parties": [{"name": "Parent", "relationship": "ownership", "country": "NL"}],
        },
        "parties": [
            {
                "role": "reseller",
                "name": "Reseller BV",
                "country": "NL",
                "related_parties": [
                    {"name": "Director Co", "relationship": "director_overlap", "country": "DE"}
                ],
            }
        ],
        "contract": {"clauses": ["export_compliance"], "post_export": ["monitoring"]},
        "context": {"events": ["election_period"]},
        "kyc": {question: False for question in KYC_QUESTIONS},
    }


def set_path(doc: dict, path: tuple, value) -> dict:
    """Return a deep copy of doc with the value at path replaced."""
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def del_path(doc: dict, path: tuple) -> dict:
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return doc


def is_valid(doc) -> bool:
    return not list(VALIDATOR.iter_errors(doc))


def resolve(node: dict) -> dict:
    """Follow a local $ref (one level is all this schema uses)."""
    ref = node.get("$ref")
    if ref is None:
        return node
    assert ref.startswith("#/$defs/"), ref
    return SCHEMA["$defs"][ref.removeprefix("#/$defs/")]


def enum_at(*keys: str) -> set:
    """The enum of the schema node reached through properties/items along keys."""
    node = SCHEMA
    for key in keys:
        node = resolve(node)
        node = node["items"] if key == "[]" else node["properties"][key]
    node = resolve(node)
    if node.get("type") == "array":
        node = resolve(node["items"])
    return set(node["enum"])


# --- the schema itself ------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"] == "https://hrdd.dev/schemas/transaction.schema.json"
    Draft202012Validator.check_schema(SCHEMA)


def test_schema_compiles_with_jsonschema_rs():
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    validator = jsonschema_rs.validator_for(SCHEMA, validate_formats=True)
    assert validator.is_valid(minimal())
    assert not validator.is_valid(set_path(minimal(), ("end_user", "country"), "XX"))


def _objects(node, where="#"):
    """Yield every object-typed subschema with its location."""
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            yield where, node
        for key, value in node.items():
            yield from _objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects(value, f"{where}/{i}")


def test_every_object_is_closed_and_every_property_described():
    objects = list(_objects(SCHEMA))
    assert len(objects) > 10
    for where, node in objects:
        assert node.get("additionalProperties") is False, where
        for name, prop in node.get("properties", {}).items():
            assert prop.get("description"), f"{where}/properties/{name} has no description"


def test_country_enum_equals_pycountry_alpha2():
    import pycountry  # the declared source of ISO 3166 codes: a test dependency

    expected = sorted(c.alpha_2 for c in pycountry.countries)
    assert SCHEMA["$defs"]["country"]["enum"] == expected


def test_design_enumerations_match_schema_exactly():
    assert enum_at("kind") == KIND
    assert enum_at("items", "[]", "categories") == CATEGORIES
    assert enum_at("items", "[]", "capabilities") == CAPABILITIES
    assert enum_at("items", "[]", "design_safeguards") == DESIGN_SAFEGUARDS
    assert enum_at("items", "[]", "customization") == CUSTOMIZATION
    assert enum_at("end_user", "type") == END_USER_TYPE
    assert enum_at("end_user", "sector") == SECTOR
    assert enum_at("end_user", "government_relationship") == GOVERNMENT_RELATIONSHIP
    assert enum_at("end_user", "other_end_users", "[]", "type") == END_USER_TYPE
    assert enum_at("end_user", "other_end_users", "[]", "sector") == SECTOR
    assert enum_at("parties", "[]", "role") == ROLE
    assert enum_at("parties", "[]", "related_parties", "[]", "relationship") == RELATIONSHIP
    assert enum_at("end_user", "related_parties", "[]", "relationship") == RELATIONSHIP
    assert enum_at("contract", "clauses") == CLAUSES
    assert enum_at("contract", "post_export") == POST_EXPORT
    assert enum_at("context", "events") == EVENTS
    assert set(SCHEMA["properties"]["kyc"]["properties"]) == KYC_QUESTIONS


# --- examples ---------------------------------------------------------------------------


def test_examples_exist():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    errors = [f"{e.json_path}: {e.message}" for e in VALIDATOR.iter_errors(doc)]
    assert errors == []


def test_example_ids_are_unique():
    ids = [json.loads(p.read_text(encoding="utf-8"))["id"] for p in EXAMPLES]
    assert len(ids) == len(set(ids))


def test_minimal_and_full_documents_are_valid():
    assert is_valid(minimal())
    assert is_valid(full())


# --- closed enumerations ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ("kind",),
        ("items", 0, "categories", 0),
        ("items", 0, "capabilities", 0),
        ("items", 0, "design_safeguards", 0),
        ("items", 0, "customization"),
        ("end_user", "type"),
        ("end_user", "sector"),
        ("end_user", "government_relationship"),
        ("end_user", "other_end_users", 0, "type"),
        ("end_user", "other_end_users", 0, "sector"),
        ("end_user", "related_parties", 0, "relationship"),
        ("parties", 0, "role"),
        ("parties", 0, "related_parties", 0, "relationship"),
        ("contract", "clauses", 0),
        ("contract", "post_export", 0),
        ("context", "events", 0),
    ],
    ids=lambda p: ".".join(str(k) for k in p),
)
def test_unknown_enum_value_is_rejected(path):
    assert not is_valid(set_path(full(), path, "not_a_listed_value"))


def test_unknown_kyc_question_is_rejected():
    assert not is_valid(set_path(full(), ("kyc", "customer_seems_shady"), True))


def test_kyc_answers_must_be_boolean():
    assert not is_valid(set_path(full(), ("kyc", "owned_by_listed_party"), "yes"))
    assert not is_valid(set_path(full(), ("kyc", "owned_by_listed_party"), None))


def test_kyc_questions_may_be_left_out():
    assert is_valid(set_path(minimal(), ("kyc",), {}))


def test_duplicate_enum_entries_are_rejected():
    doc = set_path(full(), ("items", 0, "categories"), ["drone", "drone"])
    assert not is_valid(doc)


# --- required fields and structure ------------------------------------------------------


def test_missing_id_is_rejected():
    assert not is_valid(del_path(minimal(), ("id",)))


def test_empty_id_is_rejected():
    assert not is_valid(set_path(minimal(), ("id",), ""))


def test_empty_items_is_rejected():
    assert not is_valid(set_path(minimal(), ("items",), []))


def test_missing_items_or_end_user_is_rejected():
    assert not is_valid(del_path(minimal(), ("items",)))
    assert not is_valid(del_path(minimal(), ("end_user",)))


@pytest.mark.parametrize(
    "path",
    [
        ("items", 0, "id"),
        ("items", 0, "name"),
        ("end_user", "name"),
        ("end_user", "country"),
        ("parties", 0, "role"),
        ("parties", 0, "name"),
        ("end_user", "related_parties", 0, "name"),
        ("end_user", "other_end_users", 0, "name"),
        ("end_user", "misuse_reports", 0, "summary"),
        ("items", 0, "value", "amount"),
        ("items", 0, "value", "currency"),
    ],
    ids=lambda p: ".".join(str(k) for k in p),
)
def test_missing_required_nested_field_is_rejected(path):
    assert not is_valid(del_path(full(), path))


@pytest.mark.parametrize(
    "path",
    [
        ("exporter", "country"),
        ("end_user", "country"),
        ("end_user", "other_end_users", 0, "country"),
        ("parties", 0, "country"),
        ("parties", 0, "related_parties", 0, "country"),
        ("end_user", "related_parties", 0, "country"),
    ],
    ids=lambda p: ".".join(str(k) for k in p),
)
@pytest.mark.parametrize("bad", ["XX", "us", "USA", "", "nl"])
def test_bad_country_is_rejected(path, bad):
    assert not is_valid(set_path(full(), path, bad))


def test_unknown_top_level_key_is_rejected():
    assert not is_valid(set_path(minimal(), ("end_users",), {"name": "x", "country": "NL"}))


@pytest.mark.parametrize(
    "path",
    [
        ("end_user", "misuse_reports", 0),
        ("items", 0),
        ("parties", 0),
        ("contract",),
        ("context",),
        ("exporter",),
        ("items", 0, "value"),
        ("end_user",),
    ],
    ids=lambda p: ".".join(str(k) for k in p),
)
def test_unknown_nested_key_is_rejected(path):
    doc = full()
    target = doc
    for key in path:
        target = target[key]
    target["unexpected_field"] = "x"
    assert not is_valid(doc)


@pytest.mark.parametrize(
    "bad", ["2026-13-01", "2026-02-30", "15/01/2026", "2026-1-5", "2026-01-15T10:00:00Z", "yesterday"]
)
def test_malformed_date_is_rejected(bad):
    assert not is_valid(set_path(full(), ("date",), bad))
    assert not is_valid(set_path(full(), ("end_user", "misuse_reports", 0, "date"), bad))


def test_schema_version_must_be_1():
    assert is_valid(set_path(minimal(), ("schema_version",), 1))
    assert not is_valid(set_path(minimal(), ("schema_version",), 2))


def test_sole_end_user_is_boolean_or_null():
    for value in (True, False, None):
        assert is_valid(set_path(full(), ("end_user", "sole_end_user"), value))
    assert not is_valid(set_path(full(), ("end_user", "sole_end_user"), "unknown"))


@pytest.mark.parametrize("value", [0, -1, 1.5, "3"])
def test_quantity_must_be_positive_integer(value):
    assert not is_valid(set_path(full(), ("items", 0, "quantity"), value))


@pytest.mark.parametrize(
    "value",
    [
        {"amount": -1, "currency": "USD"},
        {"amount": 10, "currency": "usd"},
        {"amount": 10, "currency": "US"},
        {"amount": "10", "currency": "USD"},
    ],
)
def test_bad_money_is_rejected(value):
    assert not is_valid(set_path(full(), ("items", 0, "value"), value))


@pytest.mark.parametrize(
    "eccn", ["EAR99", "5A001.j", "5A001.f.1", "4A005", "5D002.c.1", "0Y521", "5A992.c", "6A993.a"]
)
def test_valid_eccn_is_accepted(eccn):
    assert is_valid(set_path(full(), ("items", 0, "eccn"), eccn))


@pytest.mark.parametrize("eccn", ["ear99", "5a001.j", "5A01", "5F001", "5A001.J", "5A001.", "", "EAR 99"])
def test_bad_eccn_is_rejected(eccn):
    assert not is_valid(set_path(full(), ("items", 0, "eccn"), eccn))
