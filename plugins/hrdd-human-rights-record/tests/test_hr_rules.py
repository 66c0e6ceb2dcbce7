"""hrdd-human-rights-record on realistic transactions: the decision and the rule ids behind it.

Every case builds its transaction here and says in one line why a compliance officer would
expect that decision. The policy enables hrdd-item-capability (which profiles the items'
misuse potential) and this plugin, as the baseline does.
"""

from __future__ import annotations

import datetime as _dt
import json
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hrdd
from hrdd.context import SharedFacts
from hrdd_human_rights_record import countries as countries_module
from hrdd_human_rights_record import plugin as hr_plugin
from hrdd_human_rights_record.countries import countries_for, default_data_path

PLUGIN = "hrdd-human-rights-record"
CLAUSES = {"draft-2019:consideration-3", "draft-2019:dd-1", "draft-2019:trend-sanctions"}
RECENT = "2025-06-01"  # 95 days after the data's as_of: no freshness finding

# --------------------------------------------------------------------------------------
# Transactions
# --------------------------------------------------------------------------------------

SPYWARE = {
    "name": "Phantom Implant",
    "description": "Remote device implant for mobile handsets",
    "categories": ["spyware"],
}
DPI = {
    "name": "DeepNet 9000",
    "description": "Carrier-grade deep packet inspection appliance",
    "categories": ["deep_packet_inspection"],
}
FACE_SDK = {
    "name": "FaceFind SDK",
    "description": "Face recognition SDK: matches faces in video against an enrolled gallery",
    "categories": ["facial_recognition"],
    "capabilities": ["biometric_identification"],
}
PROTEST_FACE = {
    "name": "CrowdMatch add-on",
    "description": "Facial recognition add-on that matches faces in crowd video against protest watchlists",
    "categories": ["facial_recognition"],
    "capabilities": ["biometric_identification"],
}
ALPR = {
    "name": "PlateScan ALPR",
    "description": "Automatic licence plate reader",
    "categories": ["license_plate_reader"],
}
BODY_CAMERA = {
    "name": "PatrolCam BW-3",
    "description": "Body-worn camera for patrol officers with 12-hour battery",
    "categories": ["body_worn_camera"],
    "capabilities": ["audio_video_recording"],
}
HOSPITAL_ANALYTICS = {
    "name": "WardView",
    "description": "Hospital bed occupancy analytics",
    "categories": ["data_analytics"],
}
OFFICE = {"name": "OfficeWrite", "description": "Word processor and spreadsheets", "categories": ["other"]}
FULL_CONTRACT = {
    "clauses": [
        "export_compliance",
        "end_use_certificate",
        "no_reexport",
        "use_limitation",
        "audit_rights",
        "suspend_and_terminate",
    ],
    "post_export": ["monitoring"],
}


def government(country: str, sector: str, name: str = "Agency", **fields: Any) -> dict[str, Any]:
    return {"name": name, "country": country, "type": "government_agency", "sector": sector, **fields}


def private(country: str, name: str = "Acme Retail", **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "country": country,
        "type": "private",
        "sector": "commercial",
        "government_relationship": "none",
        **fields,
    }


def report(summary: str, credible: bool | None, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"summary": summary, "source": "Citizen Lab", "date": "2022-04-05", **fields}
    if credible is not None:
        row["credible"] = credible
    return row


def make_transaction(
    items: Mapping[str, Any] | list[Mapping[str, Any]],
    end_user: Mapping[str, Any],
    events: tuple[str, ...] = (),
    date: str | None = RECENT,
    contract: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    rows = [items] if isinstance(items, Mapping) else items
    document: dict[str, Any] = {
        "id": "TX-HR-1",
        "items": [{"id": f"item-{i}", **row} for i, row in enumerate(rows)],
        "end_user": dict(end_user),
    }
    if date is not None:
        document["date"] = date
    if events:
        document["context"] = {"events": list(events)}
    if contract is not None:
        document["contract"] = dict(contract)
    return document


# --------------------------------------------------------------------------------------
# Policies and reading results
# --------------------------------------------------------------------------------------


def write_policy(directory: Path, *, capability: bool = True, extra: str = "", **config: Any) -> Path:
    lines = ["[policy]", 'name = "hr-test"', 'version = "1"']
    if capability:
        lines.append("[plugins.hrdd-item-capability]")
    lines += [f"[plugins.{PLUGIN}]", f"[plugins.{PLUGIN}.config]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    path = directory / "policy.toml"
    path.write_text("\n".join(lines) + "\n" + textwrap.dedent(extra), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> hrdd.Engine:
    return hrdd.Engine.from_policy(write_policy(tmp_path_factory.mktemp("policy")))


def hr_rules(assessment: hrdd.Assessment) -> set[str]:
    return {f.rule_id for f in assessment.findings if f.plugin == PLUGIN}


def outcomes_of(assessment: hrdd.Assessment, rule_id: str) -> set[str]:
    return {f.effective_outcome.value for f in assessment.findings if f.rule_id == rule_id}


def the_finding(assessment: hrdd.Assessment, rule_id: str) -> hrdd.Finding:
    found = [f for f in assessment.findings if f.rule_id == rule_id]
    assert len(found) == 1, f"expected one {rule_id}, got {[f.rule_id for f in assessment.findings]}"
    return found[0]


def evidence(finding: hrdd.Finding) -> dict[str, Any]:
    return {e.path: e.value for e in finding.evidence}


# --------------------------------------------------------------------------------------
# The table of realistic situations
# --------------------------------------------------------------------------------------


class Case(NamedTuple):
    id: str
    why: str
    transaction: dict[str, Any]
    decision: str
    rules: Mapping[str, str | None]  # rule id -> its outcome (None: any)
    absent: tuple[str, ...] = ()


CASES = [
    Case(
        "bodycams-municipal-police-strong-record-proceed",
        "Body-worn cameras for a Dutch municipal police force with full safeguards: the record is clean",
        make_transaction(
            BODY_CAMERA, government("NL", "law_enforcement", "Politie Utrecht"), contract=FULL_CONTRACT
        ),
        "proceed",
        {"HRDD-HR-010": "info"},
        ("HRDD-HR-003", "HRDD-HR-004", "HRDD-HR-005", "HRDD-HR-011"),
    ),
    Case(
        "spyware-intelligence-credible-misuse-dnp",
        "Intrusion tools for an intelligence agency credibly reported to have hacked activists' phones",
        make_transaction(
            SPYWARE,
            government(
                "JO",
                "intelligence",
                "General Intelligence Directorate",
                misuse_reports=[report("Pegasus infections of activists and journalists", True)],
            ),
        ),
        "do_not_proceed",
        {"HRDD-HR-001": "do_not_proceed"},
    ),
    Case(
        "interception-credible-misuse-in-partly-free-dnp",
        "Interception for an army unit credibly reported to have spied on journalists and lawyers",
        make_transaction(
            DPI,
            government(
                "MX",
                "military",
                "Military Intelligence Centre",
                misuse_reports=[report("Spyware used against journalists and human-rights lawyers", True)],
            ),
        ),
        "do_not_proceed",
        {"HRDD-HR-001": "do_not_proceed", "HRDD-HR-004": "escalate"},
    ),
    Case(
        "face-recognition-public-security-china-dnp",
        "Face identification for a public security bureau of a government that surveils minorities",
        make_transaction(FACE_SDK, government("CN", "public_security", "Municipal Public Security Bureau")),
        "do_not_proceed",
        {"HRDD-HR-003": "do_not_proceed"},
    ),
    Case(
        "protest-watchlist-face-matching-security-ministry-dnp",
        "A face add-on matched against protest watchlists for an interior ministry that represses protest",
        make_transaction(PROTEST_FACE, government("BY", "public_security", "Ministry of Internal Affairs")),
        "do_not_proceed",
        {"HRDD-HR-003": "do_not_proceed", "HRDD-CAP-010": "do_not_proceed"},
    ),
    Case(
        "dpi-state-telco-iran-dnp",
        "Deep packet inspection for a state telecom operator of a government that monitors protesters",
        make_transaction(
            DPI,
            {
                "name": "Telecommunication Company of Iran",
                "country": "IR",
                "type": "state_owned_enterprise",
                "sector": "telecom_operator",
            },
        ),
        "do_not_proceed",
        {"HRDD-HR-003": "do_not_proceed"},
    ),
    Case(
        "dpi-private-close-to-government-uae-dnp",
        "Interception for a contractor close to a government that hacks defenders' phones",
        make_transaction(
            DPI,
            {
                "name": "Gulf Cyber Solutions",
                "country": "AE",
                "type": "private_close_to_government",
                "sector": "commercial",
            },
        ),
        "do_not_proceed",
        {"HRDD-HR-003": "do_not_proceed"},
    ),
    Case(
        "alpr-traffic-police-vietnam-escalates",
        "Plate readers for police in a very-high-risk destination: capable, but not an intrusion tool",
        make_transaction(ALPR, government("VN", "law_enforcement", "Traffic Police Department")),
        "escalate",
        {"HRDD-HR-003": "escalate"},
    ),
    Case(
        "analytics-health-ministry-saudi-escalates",
        "Even a health ministry's analytics (potential 3) in a very-high-risk destination needs review",
        make_transaction(HOSPITAL_ANALYTICS, government("SA", "health", "Ministry of Health")),
        "escalate",
        {"HRDD-HR-003": "escalate"},
    ),
    Case(
        "bodycams-police-egypt-safeguards",
        "Body cameras for police where surveillance of critics is documented: acceptable only with limits",
        make_transaction(BODY_CAMERA, government("EG", "law_enforcement", "Cairo Security Directorate")),
        "proceed_with_safeguards",
        {"HRDD-HR-003": "safeguards_required"},
    ),
    Case(
        "bodycams-hospital-security-egypt-proceeds",
        "Body cameras for hospital staff: a non-coercive function with a low-potential item",
        make_transaction(BODY_CAMERA, government("EG", "health", "Ministry of Health and Population")),
        "proceed",
        {"HRDD-HR-010": "info"},
        ("HRDD-HR-003",),
    ),
    Case(
        "face-recognition-police-kenya-escalates",
        "Face identification for police in a high-risk destination (surveillance of protesters reported)",
        make_transaction(FACE_SDK, government("KE", "law_enforcement", "National Police Service")),
        "escalate",
        {"HRDD-HR-004": "escalate"},
    ),
    Case(
        "bodycams-police-kenya-safeguards",
        "Low-potential cameras for police in a high-risk destination need contractual limits",
        make_transaction(BODY_CAMERA, government("KE", "law_enforcement", "National Police Service")),
        "proceed_with_safeguards",
        {"HRDD-HR-004": "safeguards_required"},
    ),
    Case(
        "analytics-health-kenya-safeguards",
        "Medium-potential analytics for a health ministry in a high-risk destination: limits, not review",
        make_transaction(HOSPITAL_ANALYTICS, government("KE", "health", "Ministry of Health")),
        "proceed_with_safeguards",
        {"HRDD-HR-004": "safeguards_required"},
    ),
    Case(
        "face-recognition-police-nepal-moderate",
        "Face identification for police in a moderate-risk destination needs limits from the record",
        make_transaction(FACE_SDK, government("NP", "law_enforcement", "Nepal Police")),
        "escalate",  # hrdd-item-capability escalates any government-linked potential-4 item
        {"HRDD-HR-005": "safeguards_required", "HRDD-CAP-009": "escalate"},
    ),
    Case(
        "bodycams-police-nepal-proceeds",
        "Body cameras for police in a moderate-risk destination: nothing in the record calls for more",
        make_transaction(BODY_CAMERA, government("NP", "law_enforcement", "Nepal Police")),
        "proceed",
        {"HRDD-HR-010": "info"},
    ),
    Case(
        "credible-misuse-low-potential-escalates",
        "A credible misuse record with a low-potential item: not refused, but a human must decide",
        make_transaction(
            BODY_CAMERA,
            government(
                "NL",
                "law_enforcement",
                misuse_reports=[report("Covert filming of protest organisers' meetings", True)],
            ),
        ),
        "escalate",
        {"HRDD-HR-001": "escalate"},
    ),
    Case(
        "credible-misuse-no-surveillance-capability-proceeds",
        "Office software has nothing to misuse for surveillance: the record is only noted",
        make_transaction(
            OFFICE,
            government(
                "NL", "law_enforcement", misuse_reports=[report("Phone hacking of journalists", True)]
            ),
        ),
        "proceed",
        {"HRDD-HR-001": "info"},
    ),
    Case(
        "unassessed-misuse-report-escalates",
        "A misuse report nobody assessed is missing diligence, not a clear record",
        make_transaction(
            BODY_CAMERA,
            government(
                "NL", "law_enforcement", misuse_reports=[report("Alleged tracking of activists", None)]
            ),
        ),
        "escalate",
        {"HRDD-HR-002": "escalate"},
    ),
    Case(
        "reports-assessed-not-credible-proceed",
        "Reports reviewed and found not credible do not stand in the way; the review is recorded",
        make_transaction(
            BODY_CAMERA,
            government("NL", "law_enforcement", misuse_reports=[report("Anonymous forum claim", False)]),
        ),
        "proceed",
        {"HRDD-HR-010": "info"},
        ("HRDD-HR-001", "HRDD-HR-002"),
    ),
    Case(
        "alpr-during-mass-protests-georgia-escalates",
        "Plate readers for a city government during mass protests: most likely turned on protesters",
        make_transaction(ALPR, government("GE", "municipal", "Tbilisi City Hall"), events=("mass_protests",)),
        "escalate",
        {"HRDD-HR-007": "escalate", "HRDD-HR-004": "safeguards_required"},
    ),
    Case(
        "bodycams-during-shutdown-india-safeguards",
        "Low-potential cameras for police during an internet shutdown: staged delivery and use limits",
        make_transaction(
            BODY_CAMERA, government("IN", "law_enforcement", "State Police"), events=("internet_shutdown",)
        ),
        "proceed_with_safeguards",
        {"HRDD-HR-007": "safeguards_required", "HRDD-HR-004": "safeguards_required"},
    ),
    Case(
        "bodycams-election-in-strong-record-country-proceeds",
        "An election in a low-risk destination is routine: noted, not weighed",
        make_transaction(
            BODY_CAMERA, government("NL", "law_enforcement", "Politie Utrecht"), events=("election_period",)
        ),
        "proceed",
        {"HRDD-HR-007": "info", "HRDD-HR-010": "info"},
    ),
    Case(
        "face-sdk-private-retailer-china-safeguards",
        "A private retailer in a very-high-risk destination: the contract must bar government access",
        make_transaction(FACE_SDK, private("CN", "Shanghai Retail Co")),
        "proceed_with_safeguards",
        {"HRDD-HR-006": "safeguards_required"},
    ),
    Case(
        "face-sdk-private-retailer-germany-proceeds",
        "A private retailer in a low-risk destination: the record adds nothing",
        make_transaction(FACE_SDK, private("DE")),
        "proceed",
        {"HRDD-HR-010": "info"},
        ("HRDD-HR-006",),
    ),
    Case(
        "other-end-user-in-russia-escalates",
        "Output shared with an interior ministry in a very-high-risk destination is weighed by its record",
        make_transaction(
            HOSPITAL_ANALYTICS,
            government(
                "NL",
                "health",
                "Ministry of Health",
                other_end_users=[
                    {"name": "Ministry of Internal Affairs", "country": "RU", "type": "government_agency"}
                ],
            ),
        ),
        "escalate",
        {"HRDD-HR-008": "escalate"},
    ),
    Case(
        "function-not-stated-escalates",
        "A government buyer of plate readers whose function is not stated cannot be weighed",
        make_transaction(ALPR, {"name": "Agency", "country": "NL", "type": "government_agency"}),
        "escalate",
        {"HRDD-HR-009": "escalate"},
    ),
    Case(
        "unknown-type-in-thailand-is-government-linked",
        "An end user of unknown type counts as government-linked until established",
        make_transaction(
            FACE_SDK,
            {"name": "Bangkok Solutions", "country": "TH", "type": "unknown", "sector": "commercial"},
        ),
        "escalate",
        {"HRDD-HR-003": "escalate"},
        ("HRDD-HR-006",),
    ),
    Case(
        "face-sdk-hong-kong-police-escalates",
        "Hong Kong is rated separately (Partly Free) and its tier is high: face ID for police escalates",
        make_transaction(FACE_SDK, government("HK", "law_enforcement", "Hong Kong Police Force")),
        "escalate",
        {"HRDD-HR-004": "escalate"},
    ),
    Case(
        "bodycams-puerto-rico-police-proceeds",
        "Puerto Rico takes the United States' record (rated_as US): low tier",
        make_transaction(BODY_CAMERA, government("PR", "law_enforcement", "Negociado de la Policía")),
        "proceed",
        {"HRDD-HR-010": "info"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_realistic_transaction(case: Case, engine: hrdd.Engine) -> None:
    assessment = engine.assess(case.transaction)
    got = hr_rules(assessment) | {f.rule_id for f in assessment.findings}
    summary = f"{case.why} -- got {assessment.decision.value} with {sorted(got)}"
    assert assessment.decision.value == case.decision, summary
    for rule_id, outcome in case.rules.items():
        assert rule_id in got, summary
        if outcome is not None:
            assert outcome in outcomes_of(assessment, rule_id), summary
    assert not got & set(case.absent), summary
    assert not assessment.errors, [f.message for f in assessment.errors]


def test_there_are_at_least_25_scenarios() -> None:
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


# --------------------------------------------------------------------------------------
# What the findings say
# --------------------------------------------------------------------------------------


def test_every_finding_cites_the_clauses_and_carries_evidence(engine: hrdd.Engine) -> None:
    for case in CASES:
        for finding in engine.assess(case.transaction).findings:
            if finding.plugin != PLUGIN:
                continue
            assert set(finding.guidance) <= CLAUSES and finding.guidance, finding.rule_id
            assert finding.evidence, finding.rule_id
            if finding.outcome.value in ("safeguards_required", "escalate", "do_not_proceed"):
                assert finding.remediation, finding.rule_id


def test_credible_misuse_finding_names_the_end_user_the_report_and_the_targets(engine: hrdd.Engine) -> None:
    transaction = CASES[1].transaction
    finding = the_finding(engine.assess(transaction), "HRDD-HR-001")
    assert "General Intelligence Directorate" in finding.message
    assert "Pegasus infections" in finding.message and "Citizen Lab" in finding.message
    assert "journalists" in finding.message and "5/5" in finding.message
    assert evidence(finding)["end_user.misuse_reports[0]"]["credible"] is True


def test_destination_finding_names_country_status_tier_and_function(engine: hrdd.Engine) -> None:
    finding = the_finding(engine.assess(CASES[3].transaction), "HRDD-HR-003")
    assert "China (CN)" in finding.message and "Not Free" in finding.message
    assert "very_high" in finding.message and "public_security" in finding.message
    found = evidence(finding)
    assert found["destination.risk_tier"] == "very_high"
    assert found["destination.freedom_status"] == "not_free"
    assert found["misuse_potential"] == 4


def test_negative_assurance_lists_reports_judged_not_credible(engine: hrdd.Engine) -> None:
    case = next(c for c in CASES if c.id == "reports-assessed-not-credible-proceed")
    finding = the_finding(engine.assess(case.transaction), "HRDD-HR-010")
    assert "1 misuse report(s) reviewed and assessed as not credible" in finding.message
    assert evidence(finding)["end_user.misuse_reports[0]"]["credible"] is False


def test_only_the_unassessed_report_is_escalated(engine: hrdd.Engine) -> None:
    end_user = government(
        "NL",
        "law_enforcement",
        misuse_reports=[report("Reviewed claim", False), report("New claim about tracking lawyers", None)],
    )
    finding = the_finding(engine.assess(make_transaction(BODY_CAMERA, end_user)), "HRDD-HR-002")
    assert "New claim about tracking lawyers" in finding.message
    assert "Reviewed claim" not in finding.message
    assert list(k for k in evidence(finding) if k.startswith("end_user.misuse_reports")) == [
        "end_user.misuse_reports[1]"
    ]


def test_misuse_potential_is_the_highest_item(engine: hrdd.Engine) -> None:
    """A harmless item in the same deal does not dilute a capable one."""
    end_user = government("CN", "public_security")
    assessment = engine.assess(make_transaction([OFFICE, FACE_SDK], end_user))
    assert outcomes_of(assessment, "HRDD-HR-003") == {"do_not_proceed"}
    assert "FaceFind SDK" in the_finding(assessment, "HRDD-HR-003").message


# --------------------------------------------------------------------------------------
# Facts published, and a fact read
# --------------------------------------------------------------------------------------

PROBE = """
from hrdd import Finding, PluginInfo, RuleInfo, hookimpl

FACTS = ("destination.risk_tier", "destination.freedom_status", "end_user.credible_misuse",
         "end_user.sensitive_function", "context.sensitive_events")


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(rules=(RuleInfo("TEST-PROBE-001", "echo the facts"),),
                      publishes=("end_user.government_linked",))


@hookimpl
def hrdd_transaction_facts(transaction):
    if transaction.end_user.name.startswith("Linked"):
        return {"end_user.government_linked": True}
    return None


@hookimpl
def hrdd_check_end_user(transaction, context):
    return [Finding(rule_id="TEST-PROBE-001", outcome="info", severity="none", message="facts",
                    evidence={name: context.fact(name, "<unpublished>") for name in FACTS})]
"""


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> hrdd.Engine:
    directory = tmp_path_factory.mktemp("probe")
    (directory / "probe.py").write_text(PROBE, encoding="utf-8")
    policy = write_policy(directory, extra='\n[plugins.facts-probe]\npath = "probe.py"\n')
    return hrdd.Engine.from_policy(policy)


def probe_facts(assessment: hrdd.Assessment) -> dict[str, Any]:
    return evidence(the_finding(assessment, "TEST-PROBE-001"))


def test_facts_published_for_a_very_high_destination(probed: hrdd.Engine) -> None:
    end_user = government(
        "EG",
        "intelligence",
        misuse_reports=[report("unassessed", None), report("hacked activists", True)],
    )
    events = ("state_of_emergency", "election_period")
    facts = probe_facts(probed.assess(make_transaction(BODY_CAMERA, end_user, events=events)))
    assert facts == {
        "destination.risk_tier": "very_high",
        "destination.freedom_status": "not_free",
        "end_user.credible_misuse": True,
        "end_user.sensitive_function": True,
        "context.sensitive_events": ["election_period", "state_of_emergency"],
    }


def test_facts_published_for_a_low_destination_and_an_unrated_one(probed: hrdd.Engine) -> None:
    facts = probe_facts(probed.assess(make_transaction(BODY_CAMERA, government("NO", "health"))))
    assert facts == {
        "destination.risk_tier": "low",
        "destination.freedom_status": "free",
        "end_user.credible_misuse": False,
        "end_user.sensitive_function": False,
        "context.sensitive_events": [],
    }
    unrated = probe_facts(probed.assess(make_transaction(BODY_CAMERA, government("VA", "law_enforcement"))))
    assert unrated["destination.freedom_status"] is None  # Freedom House does not rate the Holy See
    assert unrated["destination.risk_tier"] == "moderate"


def test_unassessed_report_is_not_credible_misuse_but_missing_sector_is_sensitive(
    probed: hrdd.Engine,
) -> None:
    end_user = {
        "name": "Agency",
        "country": "NL",
        "type": "government_agency",
        "misuse_reports": [report("x", None)],
    }
    facts = probe_facts(probed.assess(make_transaction(BODY_CAMERA, end_user)))
    assert facts["end_user.credible_misuse"] is False
    assert facts["end_user.sensitive_function"] is True  # unknown function: fail closed


def test_a_published_government_link_is_weighed(probed: hrdd.Engine) -> None:
    """A 'private' end user another plugin found to be government-linked is weighed as one."""
    plain = probed.assess(make_transaction(HOSPITAL_ANALYTICS, private("SA", "Riyadh Data Co")))
    linked = probed.assess(make_transaction(HOSPITAL_ANALYTICS, private("SA", "Linked Data Co")))
    assert "HRDD-HR-003" not in hr_rules(plain)
    assert outcomes_of(linked, "HRDD-HR-003") == {"escalate"}
    assert "facts-probe" in evidence(the_finding(linked, "HRDD-HR-003"))["end_user"]


# --------------------------------------------------------------------------------------
# Unknown misuse potential, configuration, data age
# --------------------------------------------------------------------------------------


def test_unknown_misuse_potential_is_never_read_as_low(tmp_path: Path) -> None:
    """Without hrdd-item-capability nobody profiles the items: the record still escalates."""
    engine = hrdd.Engine.from_policy(write_policy(tmp_path, capability=False))
    high = engine.assess(make_transaction(BODY_CAMERA, government("KE", "law_enforcement")))
    assert high.decision == "escalate"
    finding = the_finding(high, "HRDD-HR-004")
    assert evidence(finding)["misuse_potential"] is None
    assert "unknown" in finding.message
    low = engine.assess(make_transaction(BODY_CAMERA, government("NL", "health")))
    assert low.decision == "proceed"
    assert hr_rules(low) == {"HRDD-HR-010"}


def test_thresholds_are_configurable(tmp_path: Path) -> None:
    credible = government(
        "NL", "law_enforcement", misuse_reports=[report("Hacked journalists' phones", True)]
    )
    strict = hrdd.Engine.from_policy(write_policy(tmp_path, block_credible_misuse_at=2))
    assert outcomes_of(strict.assess(make_transaction(BODY_CAMERA, credible)), "HRDD-HR-001") == {
        "do_not_proceed"
    }

    lenient = hrdd.Engine.from_policy(write_policy(tmp_path, block_very_high_security_at=5))
    china = lenient.assess(make_transaction(FACE_SDK, government("CN", "public_security")))
    assert outcomes_of(china, "HRDD-HR-003") == {"escalate"}

    timing = hrdd.Engine.from_policy(write_policy(tmp_path, escalate_timing_at=5))
    georgia = timing.assess(make_transaction(ALPR, government("GE", "municipal"), events=("mass_protests",)))
    assert outcomes_of(georgia, "HRDD-HR-007") == {"safeguards_required"}


@pytest.mark.parametrize(
    "config",
    [{"max_age_days": 0}, {"block_very_high_at": 6}, {"escalate_timing_at": "high"}, {"tier_override": 1}],
)
def test_invalid_config_is_refused_at_load(tmp_path: Path, config: dict[str, Any]) -> None:
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(write_policy(tmp_path, **config))
    assert any(next(iter(config)) in p.path for p in raised.value.problems), str(raised.value)


def test_country_data_age_is_measured_against_the_transaction_date(engine: hrdd.Engine) -> None:
    recent = engine.assess(make_transaction(BODY_CAMERA, government("NL", "health"), date="2026-03-31"))
    assert "HRDD-HR-011" not in hr_rules(recent)  # 398 days: within 400
    old = engine.assess(make_transaction(BODY_CAMERA, government("NL", "health"), date="2026-04-03"))
    finding = the_finding(old, "HRDD-HR-011")
    assert finding.outcome == "info"
    assert "country data is 401 days old" in finding.message.lower()
    assert evidence(finding)["age_days"] == 401
    assert old.decision == "proceed"  # stale data is reported, it does not decide


def test_country_data_age_without_a_date_is_measured_against_today(engine: hrdd.Engine) -> None:
    assessment = engine.assess(make_transaction(BODY_CAMERA, government("NL", "health"), date=None))
    age = (_dt.date.today() - _dt.date(2025, 2, 26)).days
    if age > 400:
        assert f"country data is {age} days old" in the_finding(assessment, "HRDD-HR-011").message.lower()
    else:  # pragma: no cover - only before 2026-04-02
        assert "HRDD-HR-011" not in hr_rules(assessment)


def test_max_age_days_is_configurable(tmp_path: Path) -> None:
    engine = hrdd.Engine.from_policy(write_policy(tmp_path, max_age_days=30))
    assessment = engine.assess(make_transaction(BODY_CAMERA, government("NL", "health"), date="2025-04-01"))
    assert "country data is 34 days old" in the_finding(assessment, "HRDD-HR-011").message.lower()


# --------------------------------------------------------------------------------------
# A country the data does not know: fail closed
# --------------------------------------------------------------------------------------


def _context_without(code: str, config: dict[str, Any] | None = None) -> hrdd.CheckContext:
    data = countries_for(default_data_path())
    records = {k: v for k, v in data.records.items() if k != code}
    from hrdd_human_rights_record.plugin import State, default_exposure_path, load_exposure

    state = State(attrs.evolve(data, records=records), load_exposure(default_exposure_path())[0])
    defaults = {
        "data": None,
        "sanctions_exposure": None,
        "max_age_days": 400,
        "block_credible_misuse_at": 4,
        "block_very_high_at": 5,
        "block_very_high_security_at": 4,
        "escalate_very_high_at": 3,
        "escalate_timing_at": 3,
    }
    return hrdd.CheckContext(PLUGIN, {**defaults, **(config or {})}, Path("."), SharedFacts(), state)


def test_unknown_destination_is_an_error_finding_not_a_pass() -> None:
    """If the schema's country list ever gains a code the data lacks, the check fails closed."""
    transaction = hrdd.Transaction.from_dict(
        make_transaction(BODY_CAMERA, government("XK", "law_enforcement"))
    )
    context = _context_without("XK")
    findings = hr_plugin.hrdd_check_end_user(transaction, context)
    errors = [f for f in findings if f.rule_id == "HRDD-HR-012"]
    assert len(errors) == 1 and errors[0].outcome == hrdd.Outcome.ERROR
    assert "'XK'" in errors[0].message
    assert "HRDD-HR-010" not in {f.rule_id for f in findings}  # nothing is assured about it
    facts = hr_plugin.hrdd_transaction_facts(transaction, context)
    assert "destination.risk_tier" not in facts and "destination.freedom_status" not in facts


def test_unknown_other_end_user_country_is_an_error_finding() -> None:
    end_user = government("NL", "health", other_end_users=[{"name": "Elsewhere", "country": "DE"}])
    transaction = hrdd.Transaction.from_dict(make_transaction(BODY_CAMERA, end_user))
    findings = hr_plugin.hrdd_check_end_user(transaction, _context_without("DE"))
    [error] = [f for f in findings if f.rule_id == "HRDD-HR-012"]
    assert evidence(error) == {"end_user.other_end_users[0].country": "DE", "data": "countries.toml"}


def test_unknown_country_makes_the_engine_refuse_to_clear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the engine, as when pycountry lags the transaction schema's country list: a team
    file without Nepal loads, and a Nepalese end user gets an error finding, not a pass."""
    shipped = default_data_path().read_text(encoding="utf-8")
    start = shipped.index("[countries.NP]")
    end = shipped.index("[countries.NR]")
    (tmp_path / "countries.toml").write_text(shipped[:start] + shipped[end:], encoding="utf-8")
    real = countries_module.iso_codes()
    monkeypatch.setattr(countries_module, "iso_codes", lambda: real - {"NP"})
    engine = hrdd.Engine.from_policy(write_policy(tmp_path, data="countries.toml"))
    assessment = engine.assess(make_transaction(BODY_CAMERA, government("NP", "health")))
    assert assessment.decision == "escalate"
    assert [f.rule_id for f in assessment.errors] == ["HRDD-HR-012"]
    assert "HRDD-HR-010" not in hr_rules(assessment)


# --------------------------------------------------------------------------------------
# Properties over many transactions
# --------------------------------------------------------------------------------------

RANK = {"pass": 0, "info": 1, "safeguards_required": 2, "escalate": 3, "do_not_proceed": 4, "error": 3}
COUNTRIES = ["NL", "US", "NP", "KE", "IN", "HK", "CN", "EG", "RU", "PR", "VA", "AQ", "SN", "TH"]
SECTORS = [
    None,
    "intelligence",
    "public_security",
    "law_enforcement",
    "health",
    "justice",
    "municipal",
    "commercial",
]
TYPES = ["government_agency", "state_owned_enterprise", "private", "ngo", "unknown", None]
ITEMS = [OFFICE, BODY_CAMERA, HOSPITAL_ANALYTICS, ALPR, FACE_SDK, DPI, SPYWARE]
EVENTS = ["election_period", "mass_protests", "state_of_emergency", "internet_shutdown", "armed_conflict"]


@st.composite
def transactions(draw: st.DrawFn) -> dict[str, Any]:
    end_user: dict[str, Any] = {"name": "Drawn End User", "country": draw(st.sampled_from(COUNTRIES))}
    for key, values in (("type", TYPES), ("sector", SECTORS)):
        value = draw(st.sampled_from(values))
        if value is not None:
            end_user[key] = value
    end_user["misuse_reports"] = [
        report("drawn report", credible)
        for credible in draw(st.lists(st.sampled_from([True, False, None]), max_size=2))
    ]
    events = tuple(draw(st.lists(st.sampled_from(EVENTS), max_size=2, unique=True)))
    items = draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=2))
    return make_transaction(items, end_user, events=events)


def worst_hr(assessment: hrdd.Assessment) -> int:
    return max((RANK[f.outcome.value] for f in assessment.findings if f.plugin == PLUGIN), default=0)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(transaction=transactions())
def test_properties_hold_for_any_transaction(engine: hrdd.Engine, transaction: dict[str, Any]) -> None:
    assessment = engine.assess(transaction)
    assert not assessment.errors, [f.message for f in assessment.errors]
    assert hr_rules(assessment), "the check always reports (at least negative assurance)"
    for finding in assessment.findings:
        if finding.plugin == PLUGIN:
            assert set(finding.guidance) <= CLAUSES
    # A credible report never makes the record look better; an assessed, dismissed one never worse.
    with_credible = json.loads(json.dumps(transaction))
    with_credible["end_user"]["misuse_reports"].append(report("added credible report", True))
    assert worst_hr(engine.assess(with_credible)) >= worst_hr(assessment)
    # Events never make the record look better.
    with_events = json.loads(json.dumps(transaction))
    with_events["context"] = {"events": EVENTS}
    assert worst_hr(engine.assess(with_events)) >= worst_hr(assessment)
    # Unknown (and unassessed) is never better than known and clear.
    if (
        transaction["end_user"].get("sector") is None
        and transaction["end_user"].get("type") == "government_agency"
    ):
        stated = json.loads(json.dumps(transaction))
        stated["end_user"]["sector"] = "health"
        assert worst_hr(engine.assess(stated)) <= worst_hr(assessment)


def hr_report(assessment: hrdd.Assessment) -> list[dict[str, Any]]:
    return [f.to_dict() for f in assessment.findings if f.plugin == PLUGIN]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(transaction=transactions())
def test_remembered_reviews_are_those_a_fresh_engine_makes(
    engine: hrdd.Engine, tmp_path_factory: pytest.TempPathFactory, transaction: dict[str, Any]
) -> None:
    """The shared engine has remembered many reviews by now (this module's deals, and these):
    what it reports is what an engine seeing the deal first reports, dated or not, assessed on
    a day that is the date of the dated deal or not (the data's age is measured against the
    transaction's date, or the day it is assessed on, and the message says which)."""
    for date in (None, "2026-06-01", "2026-07-01"):
        if date is None:
            transaction.pop("date", None)
        else:
            transaction["date"] = date
        for as_of in (_dt.date(2026, 6, 1), _dt.date(2026, 7, 1)):
            fresh = hrdd.Engine.from_policy(write_policy(tmp_path_factory.mktemp("fresh")))
            expected = hr_report(fresh.assess(transaction, as_of=as_of))
            assert hr_report(engine.assess(transaction, as_of=as_of)) == expected


def test_a_repeated_review_gets_the_very_same_findings(engine: hrdd.Engine) -> None:
    document = make_transaction(FACE_SDK, government("EG", "public_security"), events=("mass_protests",))
    first, second = (engine.assess({**document, "id": f"TX-{n}"}) for n in (1, 2))
    found = [f for f in first.findings if f.plugin == PLUGIN]
    assert found and all(
        a is b for a, b in zip(found, [f for f in second.findings if f.plugin == PLUGIN], strict=True)
    )


# --------------------------------------------------------------------------------------
# What is remembered, by what
# --------------------------------------------------------------------------------------

OLD = "2026-04-03"  # 401 days after the data's as_of: HRDD-HR-011 for every destination
RENAMED_OFFICE = {**OFFICE, "name": "OfficeWrite Pro"}
PAIRS = {
    "date": (
        make_transaction(BODY_CAMERA, government("NL", "health"), date=OLD),
        make_transaction(BODY_CAMERA, government("NL", "health"), date="2026-04-04"),
    ),
    # Measured against the same day (the test assesses on 2026-07-01), said apart.
    "dated or not": (
        make_transaction(BODY_CAMERA, government("NL", "health"), date="2026-07-01"),
        make_transaction(BODY_CAMERA, government("NL", "health"), date=None),
    ),
    "end_user.country": (
        make_transaction(OFFICE, private("NL"), date=OLD),
        make_transaction(OFFICE, private("DE"), date=OLD),
    ),
    "end_user.name": (
        make_transaction(OFFICE, private("IL", name="First Buyer"), date=OLD),
        make_transaction(OFFICE, private("IL", name="Second Buyer"), date=OLD),
    ),
    "misuse potential": (
        make_transaction(OFFICE, private("IL"), date=OLD),
        make_transaction(FACE_SDK, private("IL"), date=OLD),
    ),
    "the item of the highest potential": (
        make_transaction(OFFICE, private("IL"), date=OLD),
        make_transaction(RENAMED_OFFICE, private("IL"), date=OLD),
    ),
    "government link": (
        make_transaction(OFFICE, private("IL"), date=OLD),
        make_transaction(OFFICE, private("IL", government_relationship="contractor"), date=OLD),
    ),
}


@pytest.mark.parametrize("changed", list(PAIRS))
def test_deals_differing_in_one_input_get_their_own_findings(
    tmp_path_factory: pytest.TempPathFactory, changed: str
) -> None:
    """Two deals that differ only in one input a finding reads, assessed by turns on one engine
    in either order, each get what an engine seeing it first reports."""
    deals = PAIRS[changed]
    day = _dt.date(2026, 7, 1)

    def fresh_engine() -> hrdd.Engine:
        return hrdd.Engine.from_policy(write_policy(tmp_path_factory.mktemp("engine")))

    fresh = [hr_report(fresh_engine().assess(deal, as_of=day)) for deal in deals]
    assert fresh[0] != fresh[1], "the two deals must differ in what the plugin reports"
    for order in ((0, 1), (1, 0)):
        engine = fresh_engine()
        for _ in range(2):
            for n in order:
                assert hr_report(engine.assess(deals[n], as_of=day)) == fresh[n]


def test_findings_are_shared_by_deals_that_differ_in_nothing_they_read(engine: hrdd.Engine) -> None:
    """The review does not read the day, nor the data's age the customer: a customer's deals on
    other days share its review, customers in one destination on one day share the age, and
    HRDD-HR-013 (which does not name the item) is shared by items of the same potential."""

    def found(document: dict[str, Any]) -> dict[str, hrdd.Finding]:
        return {f.rule_id: f for f in engine.assess(document).findings if f.plugin == PLUGIN}

    monday = found(make_transaction(OFFICE, private("IL", name="Shared Buyer"), date=OLD))
    tuesday = found(make_transaction(OFFICE, private("IL", name="Shared Buyer"), date="2026-04-04"))
    other = found(make_transaction(OFFICE, private("IL", name="Other Buyer"), date=OLD))
    renamed = found(make_transaction(RENAMED_OFFICE, private("IL", name="Shared Buyer"), date=OLD))
    assert set(monday) == {"HRDD-HR-010", "HRDD-HR-011", "HRDD-HR-013"}
    assert monday["HRDD-HR-010"] is tuesday["HRDD-HR-010"] and monday["HRDD-HR-013"] is tuesday["HRDD-HR-013"]
    assert monday["HRDD-HR-011"] is not tuesday["HRDD-HR-011"]
    assert monday["HRDD-HR-011"] is other["HRDD-HR-011"] and monday["HRDD-HR-013"] is not other["HRDD-HR-013"]
    assert (
        monday["HRDD-HR-013"] is renamed["HRDD-HR-013"]
        and monday["HRDD-HR-010"] is not renamed["HRDD-HR-010"]
    )


def test_the_memories_are_bounded() -> None:
    """Every memory of the state has a bound (a memory that fills forgets and fills again)."""
    state = hr_plugin.State(countries_for(default_data_path()), {})
    for memory in (state.reviews, state.exposures, state.ages):
        assert 0 < memory.size <= 32768
