"""hrdd-legal-framework on realistic transactions: the decision, the rule ids and what they say.

Each case builds its transaction here and runs it through an engine whose policy enables
hrdd-item-capability (which grades the items' misuse potential) and this plugin. The one-line
docstring says why a compliance officer would expect that result. Transactions are dated
2025-06-01 (within ``max_age_days`` of the shipped data) unless the case is about the date.
"""

from __future__ import annotations

import datetime
import datetime as _dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

import hrdd
from hrdd_legal_framework import plugin
from hrdd_legal_framework.datasets import default_data_path, legal_data_for

PLUGIN = "hrdd-legal-framework"
DATE = "2025-06-01"

# --------------------------------------------------------------------------------------
# Items (misuse potential as hrdd-item-capability grades them) and end users
# --------------------------------------------------------------------------------------

BODY_CAMERA = {  # potential 2
    "name": "PatrolCam BW-3",
    "description": "Body-worn camera for patrol officers with 12-hour battery",
    "categories": ["body_worn_camera"],
    "capabilities": ["audio_video_recording"],
}
SPYWARE = {  # potential 5
    "name": "Phantom Implant",
    "description": "Remote device implant for mobile handsets",
    "categories": ["spyware"],
}
FACE_SDK = {  # potential 4
    "name": "FaceFind SDK",
    "description": "Face recognition SDK: matches faces in video against an enrolled gallery",
    "categories": ["facial_recognition"],
    "capabilities": ["biometric_identification"],
}
ALPR = {  # potential 4
    "name": "PlateScan ALPR",
    "description": "Automatic licence plate reader for city entrances",
    "categories": ["license_plate_reader"],
}
CASE_SEARCH = {  # potential 3
    "name": "CaseSearch",
    "description": "Search across case files and documents",
    "categories": ["data_analytics"],
}
DPI = {  # potential 5
    "name": "NetProbe",
    "description": "Carrier-grade deep packet inspection",
    "categories": ["deep_packet_inspection"],
}
SHOPPER_ANALYTICS = {  # potential 3, holds personal data
    "name": "ShopperInsight",
    "description": "Customer analytics platform over loyalty-card purchase records",
    "categories": ["data_analytics"],
    "capabilities": ["indexing_and_search", "data_retention"],
}
PRINTER = {
    "name": "LaserJet 400",
    "description": "Office laser printer",
    "categories": ["other"],
}  # potential 0

MUNICIPAL_POLICE_NL = {
    "name": "Politie Gemeente Utrecht",
    "country": "NL",
    "type": "government_agency",
    "sector": "municipal",
    "government_relationship": "none",
}
SAUDI_INTELLIGENCE = {
    "name": "General Intelligence Presidency",
    "country": "SA",
    "type": "government_agency",
    "sector": "intelligence",
}
SAUDI_POLICE = {
    "name": "Riyadh Police",
    "country": "SA",
    "type": "government_agency",
    "sector": "law_enforcement",
}
CHINA_PSB = {
    "name": "Municipal Public Security Bureau",
    "country": "CN",
    "type": "government_agency",
    "sector": "public_security",
}
INDIA_STATE_POLICE = {
    "name": "State Police Department",
    "country": "IN",
    "type": "government_agency",
    "sector": "law_enforcement",
}
SAUDI_RETAILER = {
    "name": "Al Noor Hypermarkets",
    "country": "SA",
    "type": "private",
    "sector": "commercial",
    "government_relationship": "none",
}
RUSSIAN_RETAILER = {
    "name": "Magnit Retail Chain",
    "country": "RU",
    "type": "private",
    "sector": "commercial",
    "government_relationship": "none",
}
GERMAN_RETAILER = {
    "name": "Acme Retail GmbH",
    "country": "DE",
    "type": "private",
    "sector": "commercial",
    "government_relationship": "none",
}

STATUS_CLAUSES = ["use_limitation", "audit_rights", "suspend_and_terminate"]


def make_transaction(
    items: Mapping[str, Any] | list[Mapping[str, Any]],
    end_user: Mapping[str, Any],
    clauses: list[str] | None = None,
    date: str | None = DATE,
    **fields: Any,
) -> dict[str, Any]:
    rows = [items] if isinstance(items, Mapping) else items
    document: dict[str, Any] = {
        "id": "TX-2025-0042",
        "items": [{"id": f"item-{i + 1}", **row} for i, row in enumerate(rows)],
        "end_user": dict(end_user),
        "contract": {"clauses": list(clauses or [])},
        **fields,
    }
    if date is not None:
        document["date"] = date
    return document


def write_policy(directory: Path, capability: bool = True, **config: Any) -> Path:
    lines = ["[policy]", 'name = "legal-framework-test"', 'version = "1"']
    if capability:
        lines.append("[plugins.hrdd-item-capability]")
    lines += [f"[plugins.{PLUGIN}]", f"[plugins.{PLUGIN}.config]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    path = directory / "policy.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> hrdd.Engine:
    return hrdd.Engine.from_policy(write_policy(tmp_path_factory.mktemp("policy")))


def ours(assessment: hrdd.Assessment) -> list[hrdd.Finding]:
    return [f for f in assessment.findings if f.plugin == PLUGIN]


def rules(assessment: hrdd.Assessment) -> dict[str, str]:
    """Rule id -> effective outcome of this plugin's findings about the stated end user."""
    return {f.rule_id: f.decisive_outcome.value for f in ours(assessment) if f.subject in ("end_user", None)}


def the(assessment: hrdd.Assessment, rule_id: str, subject: str = "end_user") -> hrdd.Finding:
    found = [f for f in ours(assessment) if f.rule_id == rule_id and f.subject == subject]
    assert len(found) == 1, [(f.rule_id, f.subject) for f in ours(assessment)]
    return found[0]


def evidence(finding: hrdd.Finding) -> dict[str, Any]:
    return {e.path: e.value for e in finding.evidence}


# --------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------


def test_body_cameras_for_dutch_municipal_police_proceed_with_negative_assurance(engine: hrdd.Engine) -> None:
    """A party whose only documented concern (intelligence bulk powers) does not bear on body cameras."""
    assessment = engine.assess(make_transaction(BODY_CAMERA, MUNICIPAL_POLICE_NL, STATUS_CLAUSES))
    assert assessment.decision == "proceed"
    assert rules(assessment) == {"HRDD-LAW-001": "info"}
    finding = the(assessment, "HRDD-LAW-001")
    assert finding.severity == "none"
    assert "Netherlands (NL) is a party to the ICCPR since 1978" in finding.message
    assert (
        "bulk_powers is about the intelligence, military, telecom_operator sectors, not municipal"
        in finding.message
    )
    assert finding.guidance == ("draft-2019:consideration-4", "draft-2019:dd-5")


def test_party_without_documented_concern_says_absence_is_not_a_clean_bill(engine: hrdd.Engine) -> None:
    """Negative assurance names what was reviewed and does not overclaim."""
    assessment = engine.assess(make_transaction(BODY_CAMERA, GERMAN_RETAILER | {"country": "CA"}))
    finding = the(assessment, "HRDD-LAW-001")
    assert "Canada (CA) is a party to the ICCPR since 1976" in finding.message
    assert "not a clean bill" in finding.message
    assert evidence(finding)["destination.surveillance_law_concerns"] == []


def test_spyware_for_saudi_intelligence_escalates_on_status_and_laws(engine: hrdd.Engine) -> None:
    """No ICCPR action, a government end user and an intrusion tool: review by hand, twice over."""
    assessment = engine.assess(make_transaction(SPYWARE, SAUDI_INTELLIGENCE, STATUS_CLAUSES))
    assert assessment.decision == "escalate"
    assert rules(assessment) == {"HRDD-LAW-002": "escalate", "HRDD-LAW-004": "escalate"}
    status = the(assessment, "HRDD-LAW-002")
    assert status.severity == "critical"
    assert "Saudi Arabia (SA) is neither a signatory nor a party to the ICCPR" in status.message
    assert "General Intelligence Presidency" in status.message and "5/5" in status.message
    laws = the(assessment, "HRDD-LAW-004")
    assert "targeted_surveillance_practice" in evidence(laws)["bearing_on_items"]["items[0]"]
    assert "draft-2019:dd-1" in laws.guidance


def test_body_cameras_for_saudi_police_without_safeguards_name_the_missing_ones(engine: hrdd.Engine) -> None:
    """Acceptable with safeguards but lacking them: proceed_with_safeguards, naming what to add."""
    assessment = engine.assess(make_transaction(BODY_CAMERA, SAUDI_POLICE))
    assert assessment.decision == "proceed_with_safeguards"
    assert rules(assessment) == {"HRDD-LAW-002": "safeguards_required", "HRDD-LAW-004": "safeguards_required"}
    assert (
        "missing: use_limitation, audit_rights, suspend_and_terminate"
        in the(assessment, "HRDD-LAW-002").message
    )
    laws = the(assessment, "HRDD-LAW-004")
    for safeguard in ("use_limitation", "suspend_and_terminate", "audit_logging", "tamper_evident_logs"):
        assert safeguard in laws.message and safeguard in (laws.remediation or "")


def test_body_cameras_for_saudi_police_with_the_safeguards_in_place_proceed(engine: hrdd.Engine) -> None:
    """Once the contract and design supply what the law does not, the findings stay as info."""
    camera = BODY_CAMERA | {"design_safeguards": ["audit_logging", "tamper_evident_logs"]}
    assessment = engine.assess(make_transaction(camera, SAUDI_POLICE, STATUS_CLAUSES))
    assert rules(assessment) == {"HRDD-LAW-002": "info", "HRDD-LAW-004": "info"}
    assert assessment.decision == "proceed"
    assert "provide the safeguards the law does not" in the(assessment, "HRDD-LAW-002").message


def test_face_recognition_for_chinese_public_security_escalates(engine: hrdd.Engine) -> None:
    """Signatory only, potential 4, a security bureau and documented biometric mass surveillance."""
    assessment = engine.assess(make_transaction(FACE_SDK, CHINA_PSB, STATUS_CLAUSES))
    assert assessment.decision == "escalate"
    assert rules(assessment) == {"HRDD-LAW-003": "escalate", "HRDD-LAW-004": "escalate"}
    status = the(assessment, "HRDD-LAW-003")
    assert "China (CN) is a signatory of the ICCPR since 1998, not a party" in status.message
    assert (
        "biometric_mass_surveillance"
        in evidence(the(assessment, "HRDD-LAW-004"))["bearing_on_items"]["items[0]"]
    )


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param(BODY_CAMERA, "safeguards_required", id="potential-2"),
        pytest.param(CASE_SEARCH, "safeguards_required", id="potential-3"),
        pytest.param(ALPR, "escalate", id="potential-4"),
        pytest.param(PRINTER, "info", id="potential-0"),
    ],
)
def test_signatory_only_escalates_from_potential_4(
    engine: hrdd.Engine, item: dict[str, Any], expected: str
) -> None:
    """Saint Lucia has signed, not ratified, and has no documented concern: the item decides."""
    police = {"name": "Royal Saint Lucia Police Force", "country": "LC", "type": "government_agency"}
    assessment = engine.assess(make_transaction(item, police))
    assert rules(assessment) == {"HRDD-LAW-003": expected}


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param(BODY_CAMERA, "safeguards_required", id="potential-2"),
        pytest.param(CASE_SEARCH, "escalate", id="potential-3"),
    ],
)
def test_no_action_escalates_from_potential_3(
    engine: hrdd.Engine, item: dict[str, Any], expected: str
) -> None:
    """Tonga has taken no action on the ICCPR and has no documented concern: the threshold is 3."""
    ministry = {
        "name": "Ministry of Police",
        "country": "TO",
        "type": "government_agency",
        "sector": "law_enforcement",
    }
    assert rules(engine.assess(make_transaction(item, ministry))) == {"HRDD-LAW-002": expected}


def test_party_with_documented_concerns_weighs_by_potential(engine: hrdd.Engine) -> None:
    """India: tracking without judicial authorisation escalates an ALPR; case search needs safeguards."""
    alpr = engine.assess(make_transaction(ALPR, INDIA_STATE_POLICE))
    assert rules(alpr) == {"HRDD-LAW-004": "escalate"}
    bearing = evidence(the(alpr, "HRDD-LAW-004"))["bearing_on_items"]["items[0]"]
    assert {"no_judicial_authorisation", "targeted_surveillance_practice"} <= set(bearing)

    search = engine.assess(make_transaction(CASE_SEARCH, INDIA_STATE_POLICE))
    assert rules(search) == {"HRDD-LAW-004": "safeguards_required"}
    bearing = evidence(the(search, "HRDD-LAW-004"))["bearing_on_items"]["items[0]"]
    assert set(bearing) == {"broad_security_exemptions", "no_independent_oversight"}


def test_private_end_user_in_a_no_action_state_is_recorded_not_escalated(engine: hrdd.Engine) -> None:
    """The guidance's review of laws targets government end users: a retailer gets info only."""
    assessment = engine.assess(make_transaction(BODY_CAMERA, SAUDI_RETAILER))
    findings = ours(assessment)
    assert {f.rule_id for f in findings} == {"HRDD-LAW-002", "HRDD-LAW-004"}
    assert all(f.outcome == "info" for f in findings)
    assert (
        "neither a government end user nor known to be close to one"
        in the(assessment, "HRDD-LAW-002").message
    )


def test_private_data_holder_is_told_about_compelled_access(engine: hrdd.Engine) -> None:
    """Russian law lets the authorities reach what a retailer's analytics platform holds: say so."""
    finding = the(engine.assess(make_transaction(SHOPPER_ANALYTICS, RUSSIAN_RETAILER)), "HRDD-LAW-004")
    assert finding.outcome == "info"
    assert finding.severity == "medium"
    assert "data_localisation_access" in finding.message
    assert "security services" in finding.message
    assert "data_handling" in (finding.remediation or "")


def test_government_agency_is_not_weighed_on_compelled_access_to_company_data(engine: hrdd.Engine) -> None:
    """A ministry holds its own data: laws compelling companies do not bear on its analytics."""
    ministry = {
        "name": "Ministry of Trade",
        "country": "GB",
        "type": "government_agency",
        "sector": "civil_administration",
    }
    assert rules(engine.assess(make_transaction(SHOPPER_ANALYTICS, ministry))) == {"HRDD-LAW-001": "info"}
    operator = {"name": "Retail Data Ltd", "country": "GB", "type": "private", "sector": "commercial"}
    finding = the(engine.assess(make_transaction(SHOPPER_ANALYTICS, operator)), "HRDD-LAW-004")
    assert "mandatory_data_retention" in evidence(finding)["bearing_on_items"]["items[0]"]


@pytest.mark.parametrize(
    "end_user",
    [
        pytest.param({"type": "unknown"}, id="type-unknown"),
        pytest.param({}, id="type-missing"),
        pytest.param({"type": "state_owned_enterprise"}, id="soe"),
        pytest.param({"type": "private_close_to_government"}, id="close-to-government"),
        pytest.param({"type": "private", "government_relationship": "contractor"}, id="contractor"),
    ],
)
def test_unknown_or_close_to_government_counts_as_government_linked(
    engine: hrdd.Engine, end_user: dict[str, Any]
) -> None:
    """Fail closed: until the end user is shown not to be close to a government, it is treated as such."""
    customer = {"name": "Gulf Analytics LLC", "country": "AE", "sector": "commercial", **end_user}
    assessment = engine.assess(make_transaction(CASE_SEARCH, customer))
    assert the(assessment, "HRDD-LAW-002").outcome == "escalate"
    assert "government-linked" in the(assessment, "HRDD-LAW-002").message


@pytest.mark.parametrize(
    ("sector", "expected"),
    [
        pytest.param("law_enforcement", {"HRDD-LAW-001": "info"}, id="police"),
        pytest.param("intelligence", {"HRDD-LAW-004": "escalate"}, id="intelligence"),
        pytest.param(None, {"HRDD-LAW-004": "escalate"}, id="sector-not-given"),
    ],
)
def test_sector_scope_of_a_concern(engine: hrdd.Engine, sector: str | None, expected: dict[str, str]) -> None:
    """Swedish bulk powers are the intelligence services': they bear on DPI for FRA, not the police."""
    agency = {"name": "Swedish agency", "country": "SE", "type": "government_agency"}
    if sector:
        agency["sector"] = sector
    assert rules(engine.assess(make_transaction(DPI, agency))) == expected


def test_hong_kong_is_covered_through_china_but_its_laws_weigh(engine: hrdd.Engine) -> None:
    """Hong Kong is bound by the ICCPR although China only signed; the NSL's interception powers still count."""
    police = {
        "name": "Hong Kong Police Force",
        "country": "HK",
        "type": "government_agency",
        "sector": "law_enforcement",
    }
    assessment = engine.assess(make_transaction(ALPR, police))
    assert rules(assessment) == {"HRDD-LAW-004": "escalate"}
    finding = the(assessment, "HRDD-LAW-004")
    assert evidence(finding)["destination.iccpr_status"] == "party"
    assert evidence(finding)["iccpr.applies_via"] == "CN"


def test_taiwan_is_weighed_like_a_party_on_its_domestic_incorporation(engine: hrdd.Engine) -> None:
    """Taiwan cannot deposit a ratification but made the Covenant domestic law in 2009."""
    police = {
        "name": "National Police Agency",
        "country": "TW",
        "type": "government_agency",
        "sector": "law_enforcement",
    }
    finding = the(engine.assess(make_transaction(BODY_CAMERA, police)), "HRDD-LAW-001")
    assert "incorporated it" in finding.message and "2009" in finding.message


@pytest.mark.parametrize("country", ["AQ", "IO"])
def test_places_no_ratification_covers_are_weighed_like_signatories(
    engine: hrdd.Engine, country: str
) -> None:
    """Antarctica and the British Indian Ocean Territory: the framework is reviewed by hand."""
    base = {"name": "Station operator", "country": country, "type": "government_agency", "sector": "military"}
    assert rules(engine.assess(make_transaction(BODY_CAMERA, base))) == {
        "HRDD-LAW-005": "safeguards_required"
    }
    assert rules(engine.assess(make_transaction(ALPR, base))) == {"HRDD-LAW-005": "escalate"}


def test_another_end_user_in_another_country_is_reviewed_too(engine: hrdd.Engine) -> None:
    """Red flag 2: the stated German buyer shares output with an Emirati security agency."""
    buyer = GERMAN_RETAILER | {
        "other_end_users": [
            {"name": "Acme Retail Berlin", "country": "DE", "type": "private", "sector": "commercial"},
            {
                "name": "State Security Department",
                "country": "AE",
                "type": "government_agency",
                "sector": "intelligence",
            },
        ]
    }
    assessment = engine.assess(make_transaction(CASE_SEARCH, buyer))
    assert rules(assessment) == {"HRDD-LAW-001": "info"}
    other = the(assessment, "HRDD-LAW-002", subject="end_user.other_end_users[1]")
    assert other.outcome == "escalate"
    assert "State Security Department" in other.message and "United Arab Emirates" in other.message
    assert not [
        f for f in ours(assessment) if f.subject == "end_user.other_end_users[0]"
    ]  # same as the buyer
    assert assessment.decision == "escalate"


def test_the_worst_item_decides_and_is_named(engine: hrdd.Engine) -> None:
    """A mixed order to Indian police: the ALPR, not the printer, carries the finding."""
    assessment = engine.assess(make_transaction([PRINTER, ALPR], INDIA_STATE_POLICE))
    finding = the(assessment, "HRDD-LAW-004")
    assert finding.outcome == "escalate"
    assert "'PlateScan ALPR'" in finding.message
    assert list(evidence(finding)["bearing_on_items"]) == ["items[1]"]


def test_unprofiled_items_are_weighed_as_the_worst(tmp_path: Path) -> None:
    """Without hrdd-item-capability nobody graded the item: its potential is unknown, never low."""
    engine = hrdd.Engine.from_policy(write_policy(tmp_path, capability=False))
    assessment = engine.assess(make_transaction(BODY_CAMERA, SAUDI_POLICE))
    assert rules(assessment) == {"HRDD-LAW-002": "escalate", "HRDD-LAW-004": "escalate"}
    assert "not profiled" in str(evidence(the(assessment, "HRDD-LAW-002"))["items[0].misuse_potential"])


def test_thresholds_and_status_safeguards_come_from_the_policy(tmp_path: Path) -> None:
    """A stricter team escalates a no-action destination from potential 2 and requires a grievance channel."""
    engine = hrdd.Engine.from_policy(
        write_policy(tmp_path, no_action_escalate_at=2, status_safeguards=["grievance_mechanism"])
    )
    ministry = {"name": "Ministry of Police", "country": "TO", "type": "government_agency"}
    assert rules(engine.assess(make_transaction(BODY_CAMERA, ministry))) == {"HRDD-LAW-002": "escalate"}
    lenient = hrdd.Engine.from_policy(write_policy(tmp_path, status_safeguards=["grievance_mechanism"]))
    finding = the(lenient.assess(make_transaction(BODY_CAMERA, ministry)), "HRDD-LAW-002")
    assert finding.outcome == "safeguards_required" and "missing: grievance_mechanism" in finding.message


def test_invalid_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(write_policy(tmp_path, max_age_days=0, status_safeguards=["prayer"]))
    paths = " ".join(p.path for p in raised.value.problems)
    assert "max_age_days" in paths and "status_safeguards" in paths


# --------------------------------------------------------------------------------------
# Data age
# --------------------------------------------------------------------------------------


def test_old_country_data_gets_an_info_finding_measured_against_the_transaction_date(
    engine: hrdd.Engine,
) -> None:
    assessment = engine.assess(make_transaction(BODY_CAMERA, MUNICIPAL_POLICE_NL, date="2027-03-01"))
    finding = the(assessment, "HRDD-LAW-007", subject=None)
    assert finding.outcome == "info"
    assert finding.message.startswith("Country data is 790 days old against the transaction date")
    assert evidence(finding)["iccpr.as_of"] == "2024-12-31"
    assert assessment.decision == "proceed"
    fresh = engine.assess(make_transaction(BODY_CAMERA, MUNICIPAL_POLICE_NL, date="2025-06-01"))
    assert "HRDD-LAW-007" not in rules(fresh)


def test_undated_transactions_measure_data_age_against_today(engine: hrdd.Engine) -> None:
    assessment = engine.assess(make_transaction(BODY_CAMERA, MUNICIPAL_POLICE_NL, date=None))
    days = (_dt.date.today() - _dt.date(2024, 12, 31)).days
    if days > 400:
        assert the(assessment, "HRDD-LAW-007", subject=None).message.startswith(
            f"Country data is {days} days old against today"
        )
    else:
        assert "HRDD-LAW-007" not in rules(assessment)


def test_max_age_days_is_configurable(tmp_path: Path) -> None:
    engine = hrdd.Engine.from_policy(write_policy(tmp_path, max_age_days=30))
    assessment = engine.assess(make_transaction(BODY_CAMERA, MUNICIPAL_POLICE_NL, date="2025-03-01"))
    assert "limit 30 days" in the(assessment, "HRDD-LAW-007", subject=None).message


# --------------------------------------------------------------------------------------
# Facts, as another plugin sees them
# --------------------------------------------------------------------------------------

FACT_READER = '''
"""A stand-in for a plugin that weighs the legal-framework facts (hrdd-contract-safeguards)."""
from hrdd import Finding, PluginInfo, RuleInfo, hookimpl

NAMES = ("destination.iccpr_status", "destination.surveillance_law_concerns", "destination.legal_risk")


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(rules=(RuleInfo("TEST-FACTS-1", "facts seen"),))


@hookimpl
def hrdd_check_contract(transaction, context):
    return [
        Finding(
            rule_id="TEST-FACTS-1",
            outcome="info",
            severity="none",
            message="facts",
            evidence={name: context.fact(name, "<unpublished>") for name in NAMES}
            | {"source": context.fact_source("destination.legal_risk")},
        )
    ]
'''


@pytest.fixture(scope="module")
def fact_engine(tmp_path_factory: pytest.TempPathFactory) -> hrdd.Engine:
    directory = tmp_path_factory.mktemp("facts")
    (directory / "reader.py").write_text(FACT_READER, encoding="utf-8")
    policy = write_policy(directory)
    policy.write_text(policy.read_text() + '[plugins.fact-reader]\npath = "reader.py"\n', encoding="utf-8")
    return hrdd.Engine.from_policy(policy)


def facts_seen(engine: hrdd.Engine, country: str) -> dict[str, Any]:
    assessment = engine.assess(make_transaction(BODY_CAMERA, {"name": "Agency", "country": country}))
    [finding] = [f for f in assessment.findings if f.rule_id == "TEST-FACTS-1"]
    return evidence(finding)


@pytest.mark.parametrize(
    ("country", "status", "risk"),
    [
        ("NL", "party", "low"),
        ("SA", "no_action", "very_high"),
        ("CN", "signatory", "very_high"),
        ("LC", "signatory", "moderate"),
        ("TO", "no_action", "moderate"),
        ("HK", "party", "high"),
        ("GB", "party", "moderate"),
        ("IN", "party", "high"),
        ("TW", "<unpublished>", "low"),
    ],
)
def test_published_facts(fact_engine: hrdd.Engine, country: str, status: str, risk: str) -> None:
    seen = facts_seen(fact_engine, country)
    assert seen["destination.iccpr_status"] == status
    assert seen["destination.legal_risk"] == risk
    concerns = seen["destination.surveillance_law_concerns"]
    assert concerns == sorted(concerns)
    assert seen["source"] == PLUGIN


def test_published_concerns_are_the_rows_concern_ids(fact_engine: hrdd.Engine) -> None:
    assert facts_seen(fact_engine, "SE")["destination.surveillance_law_concerns"] == ["bulk_powers"]
    assert facts_seen(fact_engine, "CA")["destination.surveillance_law_concerns"] == []


def test_facts_hook_reads_no_other_plugins_facts() -> None:
    info = plugin.hrdd_plugin_info()
    assert info.reads == ()
    assert set(info.publishes) == {
        "destination.iccpr_status",
        "destination.surveillance_law_concerns",
        "destination.legal_risk",
    }


# --------------------------------------------------------------------------------------
# A destination the data does not know: fail closed
# --------------------------------------------------------------------------------------


class _Context:
    """Just enough of a CheckContext for calling the hooks directly."""

    def __init__(self, state: Any, config: Mapping[str, Any]) -> None:
        self.state = state
        self.config = config
        self.profiles: dict[str, Any] = {}
        self.as_of = datetime.date.today()

    reference = hrdd.CheckContext.reference  # reads only as_of


def test_a_country_missing_from_the_data_is_an_error_not_a_pass() -> None:
    data = legal_data_for(default_data_path("iccpr.toml"), default_data_path("surveillance_laws.toml"))
    without_nl = attrs.evolve(data, iccpr={k: v for k, v in data.iccpr.items() if k != "NL"})
    config = {
        "max_age_days": 100_000,
        "no_action_escalate_at": 3,
        "signatory_escalate_at": 4,
        "concerns_escalate_at": 4,
        "status_safeguards": STATUS_CLAUSES,
    }
    context = _Context(plugin.LegalFramework(without_nl), config)
    transaction = hrdd.Transaction.from_dict(make_transaction(BODY_CAMERA, MUNICIPAL_POLICE_NL))
    assert plugin.hrdd_transaction_facts(transaction, context) is None  # type: ignore[arg-type]
    [finding] = plugin.hrdd_check_end_user(transaction, context)  # type: ignore[arg-type]
    assert (finding.rule_id, finding.outcome) == ("HRDD-LAW-006", "error")
    assert "'NL'" in finding.message


def test_every_rule_a_finding_uses_is_declared() -> None:
    declared = {rule.id for rule in plugin.hrdd_plugin_info().rules}
    assert declared == {f"HRDD-LAW-00{n}" for n in range(1, 8)}
    clauses = set(plugin.hrdd_plugin_info().clauses)
    assert {"draft-2019:consideration-4", "draft-2019:dd-5"} <= clauses
    for rule in plugin.hrdd_plugin_info().rules:
        assert set(rule.guidance) <= clauses
