"""Properties of hrdd-stakeholders over generated transactions: it never fails to run, its
facts keep their contract, a red flag always escalates, and more intermediaries never make a
deal look less opaque."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stakeholders_kit import (
    ALPR,
    BODY_CAMERA,
    FACE_GATE,
    PLUGIN,
    ROUTER,
    SPYWARE,
    facts_seen,
    forget_extensions,
    write_policy,
)

import hrdd
from hrdd_stakeholders.plugin import CLAUSES

COUNTRIES = st.sampled_from(["NL", "DE", "US", "AE", "PA", "KZ"])
MAYBE = object()
LEVELS = {"low": 0, "medium": 1, "high": 2}
RANK = {"pass": 0, "info": 1, "safeguards_required": 2, "escalate": 3, "do_not_proceed": 4, "error": 3}


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(MAYBE), strategy)


def without_missing(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if value is not MAYBE}


related = st.builds(
    lambda name, relationship, country: without_missing(
        {"name": name, "relationship": relationship, "country": country}
    ),
    st.sampled_from(["Holding A", "Director B Ltd", "Old Co"]),
    optional(st.sampled_from(hrdd.RELATIONSHIPS)),
    optional(COUNTRIES),
)
party = st.builds(
    lambda role, name, country, relatives: without_missing(
        {"role": role, "name": name, "country": country, "related_parties": relatives}
    ),
    st.sampled_from(hrdd.PARTY_ROLES),
    st.sampled_from(["Meridian", "Gulfway FZE", "Istmo S.A.", "Lowlands B.V."]),
    optional(COUNTRIES),
    optional(st.lists(related, max_size=2)),
)
other_end_user = st.builds(
    lambda name, country, kind, sector: without_missing(
        {"name": name, "country": country, "type": kind, "sector": sector}
    ),
    st.sampled_from(["Second User", "State Security Service"]),
    optional(COUNTRIES),
    optional(st.sampled_from(hrdd.END_USER_TYPES)),
    optional(st.sampled_from(hrdd.SECTORS)),
)
end_user = st.builds(
    lambda country, kind, sector, relationship, sole, others, relatives: without_missing(
        {
            "name": "Generated End User",
            "country": country,
            "type": kind,
            "sector": sector,
            "government_relationship": relationship,
            "sole_end_user": sole,
            "other_end_users": others,
            "related_parties": relatives,
        }
    ),
    COUNTRIES,
    optional(st.sampled_from(hrdd.END_USER_TYPES)),
    optional(st.sampled_from(hrdd.SECTORS)),
    optional(st.sampled_from(hrdd.GOVERNMENT_RELATIONSHIPS)),
    optional(st.sampled_from([True, False, None])),
    optional(st.lists(other_end_user, max_size=2)),
    optional(st.lists(related, max_size=2)),
)
kyc = optional(st.dictionaries(st.sampled_from(hrdd.KYC_QUESTIONS), st.booleans()))
transactions = st.builds(
    lambda items, user, answers, parties, exporter, clauses: without_missing(
        {
            "id": "TX-GEN",
            "items": items,
            "end_user": user,
            "kyc": answers,
            "parties": parties,
            "exporter": exporter,
            "contract": {"clauses": clauses},
        }
    ),
    st.lists(
        st.sampled_from([BODY_CAMERA, ALPR, FACE_GATE, SPYWARE, ROUTER]),
        min_size=1,
        max_size=2,
        unique_by=lambda i: i["id"],
    ),
    end_user,
    kyc,
    optional(st.lists(party, max_size=4)),
    optional(st.builds(lambda c: {"name": "Exporter", "country": c}, COUNTRIES)),
    st.lists(st.sampled_from(hrdd.CONTRACT_CLAUSES), unique=True, max_size=6),
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[hrdd.Engine]:
    directory = tmp_path_factory.mktemp("properties")
    try:
        yield hrdd.Engine.from_policy(write_policy(directory, probe=True))
    finally:
        forget_extensions(directory.resolve())


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(document=transactions)
def test_the_check_always_runs_and_its_findings_are_well_formed(engine, document):
    assessment = engine.assess(document)
    assert not assessment.errors, [f.message for f in assessment.errors]
    [check] = [c for c in assessment.checks if c.plugin == PLUGIN and c.hook == "hrdd_check_end_user"]
    assert check.outcome != "not_applicable"
    for finding in assessment.findings:
        if finding.plugin != PLUGIN:
            continue
        assert finding.message and finding.evidence
        assert finding.guidance and set(finding.guidance) <= set(CLAUSES)
        if RANK[finding.effective_outcome.value] >= RANK["safeguards_required"]:
            assert finding.remediation
    json.dumps(assessment.to_dict())  # evidence is JSON-ready


@PROPERTY_SETTINGS
@given(document=transactions)
def test_facts_keep_their_contract(engine, document):
    assessment = engine.assess(document)
    facts = facts_seen(assessment)
    answers = document.get("kyc", {})
    flagged = {q for q, answer in answers.items() if answer}
    assert isinstance(facts["end_user.government_linked"], bool)
    if document["end_user"].get("type") in (None, "unknown"):
        assert facts["end_user.government_linked"] is True
    red_flags = facts["stakeholders.red_flags"]
    assert red_flags == sorted(set(red_flags)) and flagged <= set(red_flags)
    assert set(red_flags) - flagged <= {
        "not_sole_end_user",
        "related_party_listed_overlap",
        "opaque_intermediary",
    }
    assert facts["stakeholders.unanswered_kyc"] == sorted(set(hrdd.KYC_QUESTIONS) - set(answers))
    assert facts["stakeholders.opacity"] in LEVELS


@PROPERTY_SETTINGS
@given(document=transactions)
def test_an_observed_red_flag_always_escalates(engine, document):
    if not any(document.get("kyc", {}).values()):
        return
    assessment = engine.assess(document)
    assert RANK[assessment.decision.value] >= RANK["escalate"]
    assert {f.rule_id for f in assessment.findings} & {"HRDD-STK-001", "HRDD-STK-002"}


@PROPERTY_SETTINGS
@given(document=transactions, extra=party)
def test_another_intermediary_never_lowers_opacity(engine, document, extra):
    before = facts_seen(engine.assess(document))["stakeholders.opacity"]
    more = {**document, "parties": [*document.get("parties", []), extra]}
    after = facts_seen(engine.assess(more))["stakeholders.opacity"]
    assert LEVELS[after] >= LEVELS[before]
