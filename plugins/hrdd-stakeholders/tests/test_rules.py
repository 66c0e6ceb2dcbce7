"""hrdd-stakeholders on realistic transactions: the decision, the rule ids behind it, and why.

Every case builds its transaction here and says in its docstring (or its first line) why a
compliance officer would expect that outcome. The items' misuse potentials come from
hrdd-item-capability, which every policy here enables: body-worn cameras 1, an ALPR with
audit logging and geofencing 3, a face-verification turnstile with three safeguards 3,
spyware 5, an office router 0.
"""

from __future__ import annotations

import tomllib

import pytest
from stakeholders_kit import (
    ALPR,
    BODY_CAMERA,
    CLEAR_KYC,
    DROP,
    FACE_GATE,
    RETAILER,
    ROUTER,
    SPYWARE,
    STATE_TELCO,
    end_user_check,
    evidence,
    facts_seen,
    findings,
    kyc_with,
    make_transaction,
    rule_ids,
    stk,
    the_finding,
)

import hrdd
from hrdd_stakeholders.plugin import CLAUSES, RULES
from hrdd_stakeholders.rules import default_data_path

ESCALATE, SAFEGUARDS, INFO = "escalate", "safeguards_required", "info"
SHIPPED = tomllib.loads(default_data_path().read_text(encoding="utf-8"))
LISTED = sorted(q for q, row in SHIPPED["kyc"].items() if row["listed_party"])
ORDINARY = sorted(q for q in hrdd.KYC_QUESTIONS if q not in LISTED)
SOE_CLAUSES_ONLY = {"clauses": ["export_compliance"]}
GUIDANCE_OF = {rule.id: rule.guidance for rule in RULES}


def outcome(finding: hrdd.Finding) -> str:
    return finding.effective_outcome.value


# --------------------------------------------------------------------------------------
# A clean deal
# --------------------------------------------------------------------------------------


def test_clean_deal_passes_the_stakeholder_check(assess):
    """Body cameras for a municipal police force, every KYC question answered clear, the
    police the sole end user, a domestic distributor: nothing to report, and the report shows
    the check ran and passed (negative assurance)."""
    document = make_transaction(
        parties=[{"role": "distributor", "name": "Lowlands Supply B.V.", "country": "NL"}]
    )
    assessment = assess(document, probe=True)
    assert assessment.decision.value == "proceed"
    assert rule_ids(assessment) == set()
    check = end_user_check(assessment)
    assert (check.outcome, check.findings) == ("pass", 0)
    assert facts_seen(assessment) == {
        "end_user.government_linked": True,
        "stakeholders.red_flags": [],
        "stakeholders.unanswered_kyc": [],
        "stakeholders.opacity": "low",
    }


# --------------------------------------------------------------------------------------
# BIS Know Your Customer red flags (consideration 5)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ORDINARY)
def test_every_kyc_red_flag_answered_true_escalates_naming_its_question(assess, question):
    """A flag observed is an unresolved red flag: inquire, do not self-blind; a human decides."""
    assessment = assess(make_transaction(kyc=kyc_with(**{question: True})))
    assert assessment.decision.value == ESCALATE
    expected = {"HRDD-STK-001"} | (
        {"HRDD-STK-010"} if question == "freight_forwarder_final_destination" else set()
    )
    assert rule_ids(assessment) == expected
    flag = the_finding(assessment, "HRDD-STK-001")
    assert outcome(flag) == ESCALATE
    assert flag.subject == f"kyc.{question}"
    assert f"kyc.{question} = true" in flag.message
    assert "Politie Gemeente Zuidhaven" in flag.message
    assert evidence(flag)[f"kyc.{question}"] is True
    assert flag.remediation == SHIPPED["kyc"][question]["inquiry"]
    assert flag.guidance == ("draft-2019:consideration-5",)


@pytest.mark.parametrize("question", LISTED)
def test_listed_party_red_flags_escalate_as_critical(assess, question):
    """Flags about restricted-party listings weigh more than other red flags."""
    assessment = assess(make_transaction(kyc=kyc_with(**{question: True})))
    assert assessment.decision.value == ESCALATE
    assert rule_ids(assessment) == {"HRDD-STK-002"}
    flag = the_finding(assessment, "HRDD-STK-002")
    assert flag.severity == hrdd.Severity.CRITICAL
    assert flag.subject == f"kyc.{question}"
    assert f"kyc.{question} = true" in flag.message


def test_listed_owner_flag_names_the_related_owner_and_derives_the_overlap_flag(assess):
    """'Owned by listed parties' and a reseller owned by a named holding: the holding is the
    likely link to the listing, and the finding says so."""
    document = make_transaction(
        kyc=kyc_with(owned_by_listed_party=True),
        parties=[
            {
                "role": "reseller",
                "name": "Istmo Secure Solutions S.A.",
                "country": "NL",
                "related_parties": [
                    {"name": "Grupo Centinela Holdings Ltd.", "relationship": "ownership", "country": "VG"}
                ],
            }
        ],
    )
    assessment = assess(document, probe=True)
    assert assessment.decision.value == ESCALATE
    assert rule_ids(assessment) == {"HRDD-STK-002"}  # the related party is not reported twice
    flag = the_finding(assessment, "HRDD-STK-002")
    assert "Grupo Centinela Holdings Ltd." in flag.message
    assert evidence(flag)["parties[0].related_parties[0]"] == "Grupo Centinela Holdings Ltd."
    assert facts_seen(assessment)["stakeholders.red_flags"] == [
        "owned_by_listed_party",
        "related_party_listed_overlap",
    ]


def test_a_minor_red_flag_weighs_more_on_a_sensitive_deal(assess):
    """Commensurate: cash for an expensive item is a medium flag on body cameras, a high one
    on spyware for a police force."""
    kyc = kyc_with(cash_for_expensive_item=True)
    cameras = the_finding(assess(make_transaction(kyc=kyc)), "HRDD-STK-001")
    spyware = the_finding(assess(make_transaction(kyc=kyc, items=[SPYWARE])), "HRDD-STK-001")
    assert (cameras.severity, spyware.severity) == (hrdd.Severity.MEDIUM, hrdd.Severity.HIGH)
    assert outcome(cameras) == outcome(spyware) == ESCALATE


# --------------------------------------------------------------------------------------
# Unanswered questions: missing diligence, not a clear answer
# --------------------------------------------------------------------------------------


def test_no_kyc_at_all_for_a_government_surveillance_deal_escalates(assess):
    """A plate reader for a police force with no KYC answers: the review was not done."""
    assessment = assess(make_transaction(items=[ALPR], kyc=DROP), probe=True)
    assert assessment.decision.value == ESCALATE
    assert rule_ids(assessment) == {"HRDD-STK-003"}
    finding = the_finding(assessment, "HRDD-STK-003")
    assert outcome(finding) == ESCALATE
    assert finding.message.startswith("No BIS Know Your Customer question is answered")
    assert evidence(finding)["stakeholders.unanswered_kyc"] == sorted(hrdd.KYC_QUESTIONS)
    assert facts_seen(assessment)["stakeholders.unanswered_kyc"] == sorted(hrdd.KYC_QUESTIONS)


def test_partly_answered_kyc_names_the_open_questions(assess):
    document = make_transaction(
        items=[ALPR], kyc=kyc_with(cash_for_expensive_item=DROP, packaging_inconsistent=DROP)
    )
    finding = the_finding(assess(document), "HRDD-STK-003")
    assert outcome(finding) == ESCALATE
    assert "2 of the 16" in finding.message
    assert "cash_for_expensive_item, packaging_inconsistent" in finding.message
    assert "cash_for_expensive_item" in finding.remediation


def test_unanswered_kyc_on_a_low_stakes_deal_is_recorded_not_escalated(assess):
    """Body cameras (misuse potential 1) for a municipal police force: the open questions are
    recorded (info, by default), and nothing else stands in the way."""
    document = make_transaction(kyc=kyc_with(cash_for_expensive_item=DROP, packaging_inconsistent=DROP))
    assessment = assess(document)
    assert assessment.decision.value == "proceed"
    assert outcome(the_finding(assessment, "HRDD-STK-003")) == INFO


def test_policy_can_require_the_answers_before_shipment_on_low_stakes_deals(assess):
    document = make_transaction(kyc=kyc_with(packaging_inconsistent=DROP))
    assessment = assess(document, unanswered_kyc="safeguards_required")
    assert assessment.decision.value == "proceed_with_safeguards"
    finding = the_finding(assessment, "HRDD-STK-003")
    assert outcome(finding) == SAFEGUARDS
    assert any("packaging_inconsistent" in s.safeguard for s in assessment.required_safeguards)


def test_unanswered_kyc_for_a_private_buyer_depends_on_the_item(assess):
    """Face verification (3) for a private retailer: recorded; spyware (5) for the same
    retailer: the gravest items are sensitive whoever buys them, so it escalates."""
    faces = assess(make_transaction(items=[FACE_GATE], end_user=RETAILER, kyc=DROP))
    assert faces.decision.value == "proceed"
    assert outcome(the_finding(faces, "HRDD-STK-003")) == INFO
    spyware = assess(make_transaction(items=[SPYWARE], end_user=RETAILER, kyc=DROP))
    assert spyware.decision.value == ESCALATE
    assert outcome(the_finding(spyware, "HRDD-STK-003")) == ESCALATE


def test_items_nobody_classified_count_as_the_gravest(assess):
    """Fail closed: without hrdd-item-capability no item has a misuse potential anybody vouched
    for, so an open question on a police deal escalates."""
    document = make_transaction(kyc=kyc_with(packaging_inconsistent=DROP))
    assessment = assess(document, capability=False)
    finding = the_finding(assessment, "HRDD-STK-003")
    assert outcome(finding) == ESCALATE
    assert evidence(finding)["unclassified_items"] == ["bwc-1"]
    assert "not classified" in finding.message


# --------------------------------------------------------------------------------------
# The end user: type, closeness to a government (red flag 1), state-owned enterprises
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("end_user_type", ["unknown", DROP])
def test_end_user_of_unknown_type_is_government_linked_until_established(assess, end_user_type):
    document = make_transaction(items=[ALPR], type=end_user_type)
    assessment = assess(document, probe=True)
    assert assessment.decision.value == ESCALATE
    finding = the_finding(assessment, "HRDD-STK-006")
    assert outcome(finding) == ESCALATE
    assert "treated as government-linked" in finding.message
    assert facts_seen(assessment)["end_user.government_linked"] is True


def test_private_end_user_without_a_stated_government_relationship(assess):
    """Whether a private buyer is close to a government is what red flag 1 turns on: for
    spyware it must be established first; for face verification it is noted."""
    spyware = assess(make_transaction(items=[SPYWARE], end_user=RETAILER, government_relationship=DROP))
    assert outcome(the_finding(spyware, "HRDD-STK-006")) == SAFEGUARDS
    faces = assess(make_transaction(items=[FACE_GATE], end_user=RETAILER, government_relationship=DROP))
    assert faces.decision.value == "proceed"
    assert outcome(the_finding(faces, "HRDD-STK-006")) == INFO


def test_state_owned_enterprise_in_a_very_poor_record_country_escalates_red_flag_1(assess):
    """A state-owned telco close to a government with a very poor record, buying face
    verification: red flag 1, and the SOE trend says so too."""
    assessment = assess(make_transaction(items=[FACE_GATE], end_user=STATE_TELCO), tier="very_high")
    assert assessment.decision.value == ESCALATE
    assert rule_ids(assessment) == {"HRDD-STK-004", "HRDD-STK-005"}
    red_flag = the_finding(assessment, "HRDD-STK-004")
    assert outcome(red_flag) == ESCALATE
    assert red_flag.severity == hrdd.Severity.HIGH
    assert "red flag 1" in red_flag.message and "Kazakhstan (KZ)" in red_flag.message
    assert red_flag.guidance[0] == "draft-2019:red-flag-1"
    assert evidence(red_flag)["destination.risk_tier"] == "very_high"
    assert evidence(red_flag)["fact_source"] == "tier-standin"
    soe = the_finding(assessment, "HRDD-STK-005")
    assert soe.guidance[0] == "draft-2019:trend-soe"


def test_red_flag_1_is_critical_when_the_item_could_facilitate_grave_abuse(assess):
    face_sdk = {
        "id": "sdk-1",
        "name": "FaceFind SDK",
        "description": "Face recognition SDK: matches faces in video against an enrolled gallery",
        "categories": ["facial_recognition"],
        "capabilities": ["biometric_identification"],
    }
    assessment = assess(make_transaction(items=[face_sdk], end_user=STATE_TELCO), tier="very_high")
    assert the_finding(assessment, "HRDD-STK-004").severity == hrdd.Severity.CRITICAL


def test_state_owned_enterprise_in_a_strong_record_country_with_safeguards_is_noted(assess):
    """The same SOE deal where the record is strong and the contract binds the use: no red
    flag, but the SOE trend still gets a finding (trend-soe)."""
    assessment = assess(make_transaction(items=[FACE_GATE], end_user=STATE_TELCO), tier="low")
    assert assessment.decision.value == "proceed"
    assert rule_ids(assessment) == {"HRDD-STK-004", "HRDD-STK-005"}
    assert outcome(the_finding(assessment, "HRDD-STK-004")) == INFO
    assert "not raised" in the_finding(assessment, "HRDD-STK-004").message
    soe = the_finding(assessment, "HRDD-STK-005")
    assert outcome(soe) == INFO
    assert "state-owned enterprise" in soe.message and "greater scrutiny" in soe.message


def test_red_flag_1_without_a_destination_record_counts_the_record_as_poor(assess):
    """No hrdd-human-rights-record fact: unknown is never favourable."""
    assessment = assess(make_transaction(items=[FACE_GATE], end_user=STATE_TELCO))
    assert assessment.decision.value == ESCALATE
    red_flag = the_finding(assessment, "HRDD-STK-004")
    assert outcome(red_flag) == ESCALATE
    assert "not established" in red_flag.message
    assert evidence(red_flag)["destination.risk_tier"] is None


def test_mixed_record_asks_for_the_missing_clauses_and_credits_agreed_ones(assess):
    """A moderate record and an item that could facilitate abuse: safeguards, naming the
    missing clauses; with the clauses agreed it is only noted."""
    bare = assess(
        make_transaction(items=[FACE_GATE], end_user=STATE_TELCO, contract=SOE_CLAUSES_ONLY), tier="moderate"
    )
    assert bare.decision.value == "proceed_with_safeguards"
    red_flag = the_finding(bare, "HRDD-STK-004")
    assert outcome(red_flag) == SAFEGUARDS
    assert (
        red_flag.remediation
        == "Agree use_limitation, audit_rights, suspend_and_terminate with Orion Telecom JSC before delivery."
    )
    soe = the_finding(bare, "HRDD-STK-005")
    assert outcome(soe) == SAFEGUARDS
    assert "end_use_certificate, no_reexport, use_limitation" in soe.remediation
    agreed = assess(make_transaction(items=[FACE_GATE], end_user=STATE_TELCO), tier="moderate")
    assert agreed.decision.value == "proceed"
    assert {outcome(f) for f in stk(agreed)} == {INFO}


def test_private_company_close_to_a_poor_record_government_buying_cameras(assess):
    """Red flag 1 with an item of low misuse potential: safeguards, not escalation."""
    document = make_transaction(
        end_user={
            **RETAILER,
            "type": "private_close_to_government",
            "name": "Gulf Vision Security LLC",
            "country": "AE",
        },
        contract=SOE_CLAUSES_ONLY,
    )
    assessment = assess(document, tier="high")
    assert assessment.decision.value == "proceed_with_safeguards"
    assert rule_ids(assessment) == {"HRDD-STK-004"}  # not state-owned: no SOE finding
    assert outcome(the_finding(assessment, "HRDD-STK-004")) == SAFEGUARDS


def test_government_contractor_buying_spyware_in_a_poor_record_country_escalates(assess):
    document = make_transaction(
        items=[SPYWARE], end_user={**RETAILER, "government_relationship": "contractor"}
    )
    red_flag = the_finding(assess(document, tier="high"), "HRDD-STK-004")
    assert outcome(red_flag) == ESCALATE
    assert "a contractor to the government" in red_flag.message


def test_a_government_agency_is_not_red_flag_1(assess):
    """Red flag 1 is about end users that are *not* a government; an agency's own record is
    consideration 3's business."""
    assessment = assess(make_transaction(items=[ALPR]), tier="very_high")
    assert "HRDD-STK-004" not in rule_ids(assessment)


def test_state_owned_enterprise_buying_nothing_surveillance_capable(assess):
    assessment = assess(make_transaction(items=[ROUTER], end_user=STATE_TELCO), tier="very_high")
    assert assessment.decision.value == "proceed"
    assert "HRDD-STK-005" not in rule_ids(assessment)
    assert outcome(the_finding(assessment, "HRDD-STK-004")) == INFO


# --------------------------------------------------------------------------------------
# Other end users (red flag 2)
# --------------------------------------------------------------------------------------


def test_not_the_sole_end_user_and_the_others_unnamed_escalates_for_a_government(assess):
    assessment = assess(make_transaction(items=[ALPR], sole_end_user=False), probe=True)
    assert assessment.decision.value == ESCALATE
    finding = the_finding(assessment, "HRDD-STK-007")
    assert outcome(finding) == ESCALATE
    assert "not stated" in finding.message
    assert finding.guidance[0] == "draft-2019:red-flag-2"
    assert facts_seen(assessment)["stakeholders.red_flags"] == ["not_sole_end_user"]


def test_not_the_sole_end_user_for_a_private_buyer_of_cameras_asks_for_the_names(assess):
    assessment = assess(make_transaction(end_user=RETAILER, sole_end_user=False))
    assert assessment.decision.value == "proceed_with_safeguards"
    assert outcome(the_finding(assessment, "HRDD-STK-007")) == SAFEGUARDS


def test_an_intelligence_agency_among_the_end_users_escalates_and_is_named(assess):
    others = [
        {
            "name": "State Security Service",
            "country": "NL",
            "type": "government_agency",
            "sector": "intelligence",
        }
    ]
    plates = assess(make_transaction(items=[ALPR], sole_end_user=False, other_end_users=others))
    assert plates.decision.value == ESCALATE
    finding = the_finding(plates, "HRDD-STK-007")
    assert outcome(finding) == ESCALATE and finding.severity == hrdd.Severity.HIGH
    assert "State Security Service (government agency, intelligence, Netherlands (NL))" in finding.message
    assert "weigh most" in finding.message
    spyware = assess(make_transaction(items=[SPYWARE], sole_end_user=False, other_end_users=others))
    assert the_finding(spyware, "HRDD-STK-007").severity == hrdd.Severity.CRITICAL


def test_a_private_co_user_in_the_same_country_is_noted(assess):
    """A retailer's logistics subsidiary sharing the cameras: named, reviewed, not a concern."""
    others = [{"name": "Acme Logistics GmbH", "country": "DE", "type": "private", "sector": "commercial"}]
    assessment = assess(make_transaction(end_user=RETAILER, sole_end_user=False, other_end_users=others))
    assert assessment.decision.value == "proceed"
    finding = the_finding(assessment, "HRDD-STK-007")
    assert outcome(finding) == INFO
    assert "Acme Logistics GmbH" in finding.message


def test_a_co_user_abroad_is_a_re_export(assess):
    others = [{"name": "Acme Polska Sp. z o.o.", "country": "PL", "type": "private", "sector": "commercial"}]
    assessment = assess(make_transaction(end_user=RETAILER, sole_end_user=False, other_end_users=others))
    assert assessment.decision.value == "proceed_with_safeguards"
    finding = the_finding(assessment, "HRDD-STK-007")
    assert outcome(finding) == SAFEGUARDS
    assert "re-export" in finding.message


def test_a_civilian_government_co_user_of_cameras_needs_safeguards(assess):
    others = [
        {"name": "Zuidhaven City Hall", "country": "NL", "type": "government_agency", "sector": "municipal"}
    ]
    finding = the_finding(
        assess(make_transaction(other_end_users=others, sole_end_user=False)), "HRDD-STK-007"
    )
    assert outcome(finding) == SAFEGUARDS


def test_other_end_users_of_an_item_without_surveillance_capabilities_are_only_noted(assess):
    """Red flag 2 is about items with surveillance capabilities; an office router shared with
    an intelligence service is noted, not escalated."""
    others = [
        {
            "name": "State Security Service",
            "country": "NL",
            "type": "government_agency",
            "sector": "intelligence",
        }
    ]
    assessment = assess(make_transaction(items=[ROUTER], sole_end_user=False, other_end_users=others))
    assert assessment.decision.value == "proceed"
    assert outcome(the_finding(assessment, "HRDD-STK-007")) == INFO


def test_sole_end_user_claimed_yet_others_named(assess):
    others = [
        {
            "name": "Regional Police Unit North",
            "country": "NL",
            "type": "government_agency",
            "sector": "law_enforcement",
        }
    ]
    finding = the_finding(
        assess(make_transaction(other_end_users=others, sole_end_user=True)), "HRDD-STK-007"
    )
    assert "sole_end_user = true, yet other end users are named" in finding.message
    assert outcome(finding) == ESCALATE  # a police unit is a government security body


@pytest.mark.parametrize(
    ("items", "end_user", "contract", "expected"),
    [
        pytest.param([ALPR], None, None, SAFEGUARDS, id="plates-for-police"),
        pytest.param([BODY_CAMERA], None, None, INFO, id="cameras-for-police-with-certificate"),
        pytest.param(
            [BODY_CAMERA], None, SOE_CLAUSES_ONLY, SAFEGUARDS, id="cameras-for-police-no-certificate"
        ),
        pytest.param([FACE_GATE], RETAILER, None, INFO, id="faces-for-retailer"),
    ],
)
def test_sole_end_user_not_established(assess, items, end_user, contract, expected):
    """Not a red flag, a question not asked: the end-use certificate settles it."""
    document = make_transaction(items=items, end_user=end_user, contract=contract, sole_end_user=DROP)
    finding = the_finding(assess(document), "HRDD-STK-008")
    assert outcome(finding) == expected
    assert "end-use certificate" in finding.remediation


# --------------------------------------------------------------------------------------
# Related parties
# --------------------------------------------------------------------------------------

OVERLAPPING_RESELLER = {
    "role": "reseller",
    "name": "Lowlands Public Safety Supply B.V.",
    "country": "NL",
    "related_parties": [
        {"name": "Centinela Tecnologia C.A.", "relationship": "director_overlap", "country": "VE"}
    ],
}


def test_shared_directors_with_the_listed_party_question_open_escalates_on_a_sensitive_deal(assess):
    document = make_transaction(
        items=[ALPR], parties=[OVERLAPPING_RESELLER], kyc=kyc_with(management_overlap_with_listed_party=DROP)
    )
    assessment = assess(document)
    finding = the_finding(assessment, "HRDD-STK-009")
    assert outcome(finding) == ESCALATE
    assert finding.subject == "parties[0].related_parties[0]"
    assert "Centinela Tecnologia C.A. in Venezuela (VE) shares directors" in finding.message
    assert "kyc.management_overlap_with_listed_party" in finding.remediation


def test_shared_directors_with_the_question_open_on_a_low_stakes_deal_needs_screening(assess):
    document = make_transaction(
        end_user=RETAILER,
        parties=[{**OVERLAPPING_RESELLER, "country": "DE"}],
        kyc=kyc_with(management_overlap_with_listed_party=DROP),
    )
    assessment = assess(document)
    assert assessment.decision.value == "proceed_with_safeguards"
    assert outcome(the_finding(assessment, "HRDD-STK-009")) == SAFEGUARDS


def test_related_party_checked_clear_is_not_reported(assess):
    assessment = assess(make_transaction(items=[ALPR], parties=[OVERLAPPING_RESELLER]))
    assert "HRDD-STK-009" not in rule_ids(assessment)
    assert assessment.decision.value == "proceed"


def test_related_parties_of_the_end_user_are_reviewed_too(assess):
    document = make_transaction(
        items=[ALPR],
        related_parties=[{"name": "Zuidhaven Holding N.V.", "relationship": "successor"}],
        kyc=kyc_with(assumes_listed_party_operations=DROP),
    )
    finding = the_finding(assess(document), "HRDD-STK-009")
    assert finding.subject == "end_user.related_parties[0]"
    assert "assumes_listed_party_operations" in finding.message


def test_a_related_party_of_another_kind_is_noted_for_screening(assess):
    reseller = {
        **OVERLAPPING_RESELLER,
        "related_parties": [{"name": "Lowlands Group", "relationship": "other"}],
    }
    assessment = assess(make_transaction(parties=[reseller]))
    assert assessment.decision.value == "proceed"
    assert outcome(the_finding(assessment, "HRDD-STK-009")) == INFO


# --------------------------------------------------------------------------------------
# Intermediaries and opacity
# --------------------------------------------------------------------------------------


def test_a_broker_makes_a_government_surveillance_deal_opaque(assess):
    broker = {"role": "broker", "name": "Meridian Trade Brokers B.V.", "country": "NL"}
    assessment = assess(make_transaction(items=[ALPR], parties=[broker]), probe=True)
    assert assessment.decision.value == ESCALATE
    assert rule_ids(assessment) == {"HRDD-STK-010"}
    finding = the_finding(assessment, "HRDD-STK-010")
    assert finding.subject == "parties[0]"
    assert "Meridian Trade Brokers B.V. (broker, Netherlands (NL))" in finding.message
    facts = facts_seen(assessment)
    assert facts["stakeholders.opacity"] == "medium"
    assert facts["stakeholders.red_flags"] == ["opaque_intermediary"]


def test_a_broker_on_a_low_stakes_deal_asks_for_documentation(assess):
    broker = {"role": "broker", "name": "Meridian Trade Brokers GmbH", "country": "DE"}
    assessment = assess(make_transaction(end_user=RETAILER, parties=[broker]))
    assert assessment.decision.value == "proceed_with_safeguards"
    assert outcome(the_finding(assessment, "HRDD-STK-010")) == SAFEGUARDS


@pytest.mark.parametrize("role", ["invoicing_party", "consignee"])
def test_invoicing_or_consigning_through_a_third_country_is_opaque(assess, role):
    party = {"role": role, "name": "Gulfway Trading FZE", "country": "AE"}
    assessment = assess(make_transaction(items=[ALPR], parties=[party]))
    assert assessment.decision.value == ESCALATE
    finding = the_finding(assessment, "HRDD-STK-010")
    assert "United Arab Emirates (AE)" in finding.message


def test_invoicing_from_the_exporters_country_is_not_opaque(assess):
    party = {"role": "invoicing_party", "name": "Northwind Sales LLC", "country": "US"}
    assessment = assess(make_transaction(items=[ALPR], parties=[party]), probe=True)
    assert assessment.decision.value == "proceed"
    assert rule_ids(assessment) == set()
    assert facts_seen(assessment)["stakeholders.opacity"] == "low"


def test_a_distributor_in_a_third_country_needs_a_reason(assess):
    distributor = {"role": "distributor", "name": "Gulf Security Distribution FZE", "country": "AE"}
    cameras = assess(make_transaction(end_user=RETAILER, parties=[distributor]))
    assert cameras.decision.value == "proceed"
    assert outcome(the_finding(cameras, "HRDD-STK-011")) == INFO
    plates = assess(make_transaction(items=[ALPR], parties=[distributor]))
    assert plates.decision.value == "proceed_with_safeguards"
    finding = the_finding(plates, "HRDD-STK-011")
    assert outcome(finding) == SAFEGUARDS
    assert "neither the end user's country (Netherlands (NL)) nor the exporter's" in finding.message


def test_a_reseller_and_a_forwarder_as_final_destination_make_the_chain_highly_opaque(assess):
    """The interception pattern: a reseller in Panama and a forwarder in the UAE named as the
    final destination. Every link escalates."""
    parties = [
        {"role": "reseller", "name": "Istmo Secure Solutions S.A.", "country": "PA"},
        {"role": "freight_forwarder", "name": "Gulfway Freight Forwarding FZE", "country": "AE"},
        {"role": "financier", "name": "Banco Caribe Comercial", "country": "PA"},
    ]
    document = make_transaction(
        items=[ALPR], parties=parties, kyc=kyc_with(freight_forwarder_final_destination=True)
    )
    assessment = assess(document, probe=True)
    assert assessment.decision.value == ESCALATE
    assert facts_seen(assessment)["stakeholders.opacity"] == "high"
    assert outcome(the_finding(assessment, "HRDD-STK-011")) == ESCALATE  # the reseller
    forwarder = the_finding(assessment, "HRDD-STK-010")
    assert forwarder.subject == "parties[1]" and outcome(forwarder) == ESCALATE
    assert "final destination" in forwarder.message
    assert not [f for f in stk(assessment) if f.subject == "parties[2]"]  # trade finance is normal
    assert facts_seen(assessment)["stakeholders.red_flags"] == [
        "freight_forwarder_final_destination",
        "opaque_intermediary",
    ]


def test_a_forwarder_as_final_destination_that_is_not_among_the_parties(assess):
    assessment = assess(make_transaction(kyc=kyc_with(freight_forwarder_final_destination=True)))
    finding = the_finding(assessment, "HRDD-STK-010")
    assert finding.subject == "parties"
    assert "no freight forwarder is among the parties" in finding.message


def test_parties_without_a_country(assess):
    party = {"role": "integrator", "name": "Systems Integration Partner"}
    cameras = assess(make_transaction(end_user=RETAILER, parties=[party]))
    assert cameras.decision.value == "proceed_with_safeguards"
    finding = the_finding(cameras, "HRDD-STK-012")
    assert outcome(finding) == SAFEGUARDS
    assert "Systems Integration Partner (integrator)" in finding.message
    tolerated = assess(make_transaction(end_user=RETAILER, parties=[party]), max_parties_without_country=1)
    assert tolerated.decision.value == "proceed"
    assert outcome(the_finding(tolerated, "HRDD-STK-012")) == INFO
    plates = assess(make_transaction(items=[ALPR], parties=[party]))
    assert outcome(the_finding(plates, "HRDD-STK-012")) == ESCALATE


def test_without_the_exporters_country_only_the_end_users_country_is_home(assess):
    """Fail closed: an exporter of unknown country cannot explain a party abroad."""
    distributor = {"role": "distributor", "name": "Northwind Distribution Inc.", "country": "US"}
    with_exporter = assess(make_transaction(end_user=RETAILER, parties=[distributor]))
    assert "HRDD-STK-011" not in rule_ids(with_exporter)
    without = assess(make_transaction(end_user=RETAILER, parties=[distributor], exporter_country=None))
    assert "HRDD-STK-011" in rule_ids(without)


# --------------------------------------------------------------------------------------
# The facts this plugin publishes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end_user_type", "relationship", "linked"),
    [
        ("government_agency", "none", True),
        ("state_owned_enterprise", "state_controlled", True),
        ("private_close_to_government", "none", True),
        ("private", "contractor", True),
        ("academic", "partially_owned", True),
        ("unknown", "none", True),
        (DROP, DROP, True),
        ("private", "none", False),
        ("ngo", "none", False),
        ("private", DROP, False),
    ],
)
def test_government_linked_fact(assess, end_user_type, relationship, linked):
    document = make_transaction(end_user=RETAILER, type=end_user_type, government_relationship=relationship)
    assert facts_seen(assess(document, probe=True))["end_user.government_linked"] is linked


def test_facts_are_sorted_and_combine_answers_with_derived_flags(assess):
    document = make_transaction(
        kyc={
            "reluctant_end_use_information": True,
            "abnormal_shipping_route": True,
            "similar_to_listed_party": False,
        },
        sole_end_user=False,
    )
    facts = facts_seen(assess(document, probe=True))
    assert facts["stakeholders.red_flags"] == [
        "abnormal_shipping_route",
        "not_sole_end_user",
        "reluctant_end_use_information",
    ]
    assert facts["stakeholders.unanswered_kyc"] == sorted(
        set(hrdd.KYC_QUESTIONS)
        - {"reluctant_end_use_information", "abnormal_shipping_route", "similar_to_listed_party"}
    )
    assert set(CLEAR_KYC) == set(hrdd.KYC_QUESTIONS)


def test_every_finding_cites_declared_clauses_and_carries_evidence(assess):
    """The worst deal this file builds: every finding cites the plugin's clauses, carries
    evidence and, when it asks for action, a remediation."""
    others = [{"name": "Military Intelligence", "type": "government_agency", "sector": "intelligence"}]
    document = make_transaction(
        items=[SPYWARE],
        end_user=STATE_TELCO,
        kyc={"similar_to_listed_party": True, "reluctant_end_use_information": True},
        sole_end_user=False,
        other_end_users=others,
        related_parties=[{"name": "Orion Holding", "relationship": "ownership"}],
        parties=[
            {"role": "broker", "name": "Anon Brokers"},
            {"role": "distributor", "name": "D", "country": "AE"},
        ],
        contract=SOE_CLAUSES_ONLY,
    )
    assessment = assess(document, tier="very_high")
    assert assessment.decision.value == ESCALATE
    assert rule_ids(assessment) == {f"HRDD-STK-{n:03d}" for n in (1, 2, 3, 4, 5, 7, 9, 10, 11, 12)}
    for finding in stk(assessment):
        assert finding.guidance and set(finding.guidance) <= set(CLAUSES)
        assert finding.guidance == GUIDANCE_OF[finding.rule_id], finding.rule_id
        assert finding.evidence
        if finding.effective_outcome.value in (SAFEGUARDS, ESCALATE):
            assert finding.remediation
    assert len(findings(assessment, "HRDD-STK-001")) == 1
