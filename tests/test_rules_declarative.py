"""Declarative rules (hrdd.rules): company rules written as data, run as the built-in plugin
``policy-rules``; their findings behave exactly like plugin findings, and every problem of
every rules file stops the policy from loading (exit 2) with the file, rule id and field."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hrdd
from hrdd import documents
from hrdd.cli import main
from hrdd.errors import PolicyError, Problem
from hrdd.model import Transaction
from hrdd.rules import PLUGIN_NAME, RulesError
from hrdd.rules.conditions import OPERATORS
from hrdd.rules.loader import check_rule
from hrdd.rules.regex import MATCH_LIMIT
from hrdd.rules.ruleset import RuleSet

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "policies" / "examples"
TRAFFIC = EXAMPLES / "transactions" / "traffic-cameras-face-matching.json"

META = """\
[meta]
name = "acme-rules"
version = "2026.12.0"
owner = "ACME Export Compliance"
date = 2026-12-01
"""


# --------------------------------------------------------------------------------------
# Writing rules and policies
# --------------------------------------------------------------------------------------


def toml(value: Any) -> str:
    """A TOML value (inline tables for dicts) for JSON-like Python values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def rule(
    condition: Any,
    *,
    id: str = "ACME-T-001",
    family: str = "end_user",
    outcome: str = "escalate",
    severity: str = "high",
    guidance: tuple[str, ...] = ("draft-2019:consideration-3",),
    message: str = "Rule fired for {end_user.name}",
    remediation: str = "Review the deal.",
    **extra: Any,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": id,
        "title": f"Test rule {id}",
        "family": family,
        "condition": condition,
        "outcome": outcome,
        "severity": severity,
        "guidance": list(guidance),
        "message": message,
        "remediation": remediation,
    }
    fields.update(extra)
    return fields


def rules_toml(*rules: Mapping[str, Any], meta: str = META) -> str:
    chunks = [meta]
    for row in rules:
        chunks.append("[[rules]]\n" + "".join(f"{json.dumps(k)} = {toml(v)}\n" for k, v in row.items()))
    return "\n".join(chunks)


def write_policy(
    tmp_path: Path,
    *rules: Mapping[str, Any],
    extends: str | Path | None = None,
    rules_file: str = "rules/acme.toml",
    extra: str = "",
) -> Path:
    """A policy naming one rules file holding ``rules`` (no plugins unless it extends)."""
    path = tmp_path / rules_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(rules_toml(*rules), encoding="utf-8")
    policy = tmp_path / "policy.toml"
    head = ["[policy]", 'name = "acme"', 'version = "2026.12.0"']
    if extends is not None:
        head.append(f"extends = {json.dumps(str(extends))}")
    head.append(f"rules = [{json.dumps(rules_file)}]")
    policy.write_text("\n".join(head) + "\n" + extra, encoding="utf-8")
    return policy


def engine_for(tmp_path: Path, *rules: Mapping[str, Any], **kwargs: Any) -> hrdd.Engine:
    return hrdd.Engine.from_policy(write_policy(tmp_path, *rules, **kwargs), lock=False)


def transaction(**changes: Any) -> dict[str, Any]:
    """A transaction with something in every part: two items, an end user with a record,
    a distributor (with related parties) and a broker, a contract, events, KYC answers.
    ``changes`` maps dotted paths to new values (``None`` removes the field)."""
    document: dict[str, Any] = {
        "id": "TX-RULES-0001",
        "date": "2026-03-01",
        "kind": "new_sale",
        "exporter": {"name": "ACME Vision Inc", "country": "US"},
        "items": [
            {
                "id": "I-1",
                "name": "FaceFind SDK",
                "description": "Face matching SDK for access control at building entrances.",
                "eccn": "5D992.c",
                "categories": ["facial_recognition"],
                "capabilities": ["biometric_identification"],
                "design_safeguards": ["audit_logging"],
                "customization": "none",
                "quantity": 5,
                "value": {"amount": 250000.0, "currency": "USD"},
            },
            {
                "id": "I-2",
                "name": "Thermal camera T-640",
                "categories": ["thermal_imaging"],
                "capabilities": ["audio_video_recording"],
                "quantity": 40,
                "value": {"amount": 1200000.0, "currency": "USD"},
            },
        ],
        "end_user": {
            "name": "Ministry of Interior",
            "country": "EG",
            "type": "government_agency",
            "sector": "public_security",
            "stated_end_use": "Access control at ministry buildings.",
            "sole_end_user": False,
            "misuse_reports": [
                {"summary": "Cameras used to track protesters.", "date": "2025-05-01", "credible": True}
            ],
        },
        "parties": [
            {
                "role": "distributor",
                "name": "Nile Distribution",
                "country": "EG",
                "related_parties": [
                    {"name": "Delta Holdings", "relationship": "ownership"},
                    {"name": "Cairo Secure", "relationship": "director_overlap"},
                ],
            },
            {"role": "broker", "name": "Gulf Brokers", "country": "AE"},
        ],
        "contract": {"clauses": ["export_compliance", "audit_rights"], "post_export": ["monitoring"]},
        "context": {"events": ["mass_protests"]},
        "kyc": {"reluctant_end_use_information": True, "evasive_about_reexport": False},
    }
    for dotted, value in changes.items():
        keys = [int(k) if k.isdigit() else k for k in dotted.split(".")]
        target: Any = document
        for key in keys[:-1]:
            target = target[key]
        if value is None:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return document


def rule_findings(assessment: hrdd.Assessment) -> list[hrdd.Finding]:
    return [f for f in (*assessment.findings, *assessment.waived) if f.plugin == PLUGIN_NAME]


def evidence_of(finding: hrdd.Finding) -> list[tuple[str, Any]]:
    return [(e.path, json.loads(json.dumps(e.value))) for e in finding.evidence]


def fires(tmp_path: Path, condition: Any, document: dict[str, Any], family: str = "end_user") -> bool:
    engine = engine_for(tmp_path, rule(condition, family=family))
    return bool(rule_findings(engine.assess(document)))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------------------
# Every operator, true and false
# --------------------------------------------------------------------------------------

OPERATOR_CASES = [
    # (path, operator, value, changes to the transaction, expected)
    ("end_user.country", "eq", "EG", {}, True),
    ("end_user.country", "eq", "CN", {}, False),
    ("items[*].quantity", "eq", 40, {}, True),
    ("items[*].quantity", "eq", 41, {}, False),
    ("end_user.sole_end_user", "eq", False, {}, True),
    ("end_user.sole_end_user", "eq", True, {}, False),
    ("end_user.sector", "ne", "commercial", {}, True),
    ("end_user.sector", "ne", "public_security", {}, False),
    ("end_user.type", "in", ["government_agency", "state_owned_enterprise"], {}, True),
    ("end_user.type", "in", ["private", "ngo"], {}, False),
    ("end_user.country", "not_in", ["NL", "DE"], {}, True),
    ("end_user.country", "not_in", ["EG", "DE"], {}, False),
    ("contract.clauses", "contains", "audit_rights", {}, True),
    ("contract.clauses", "contains", "no_reexport", {}, False),
    ("context.events", "contains_any", ["election_period", "mass_protests"], {}, True),
    ("context.events", "contains_any", ["election_period", "armed_conflict"], {}, False),
    ("contract.clauses", "contains_all", ["export_compliance", "audit_rights"], {}, True),
    ("contract.clauses", "contains_all", ["export_compliance", "no_reexport"], {}, False),
    ("items[*].value.amount", "gt", 1000000, {}, True),
    ("items[*].value.amount", "gt", 1200000, {}, False),
    ("items[*].value.amount", "ge", 1200000, {}, True),
    ("items[*].value.amount", "ge", 1200000.5, {}, False),
    ("items[*].quantity", "lt", 6, {}, True),
    ("items[*].quantity", "lt", 5, {}, False),
    ("items[*].quantity", "le", 5, {}, True),
    ("items[*].quantity", "le", 4, {}, False),
    ("date", "ge", "2026-03-01", {}, True),
    ("date", "gt", "2026-03-01", {}, False),
    ("end_user.misuse_reports[*].date", "lt", "2025-06-01", {}, True),
    ("end_user.misuse_reports[*].date", "le", "2025-04-30", {}, False),
    ("end_user.stated_end_use", "exists", True, {}, True),
    ("end_user.stated_end_use", "exists", False, {}, False),
    ("exporter", "exists", True, {}, True),
    ("exporter", "exists", True, {"exporter": None}, False),
    ("kyc.cash_for_expensive_item", "exists", False, {}, True),
    ("kyc.reluctant_end_use_information", "eq", True, {}, True),
    ("kyc.evasive_about_reexport", "eq", True, {}, False),
    ("items[*].description", "matches", "(?i)FACE MATCHING", {}, True),
    ("items[*].description", "matches", "^matching", {}, False),
    ("end_user.name", "matches", "^Ministry of", {}, True),
    ("end_user.name", "matches", "Interior$", {}, True),
    ("end_user.name", "matches", "^Interior", {}, False),
    ("schema_version", "eq", 1, {}, True),
    ("parties[*].related_parties[*].relationship", "eq", "director_overlap", {}, True),
    ("end_user.other_end_users[*].sector", "in", ["intelligence"], {}, False),
]


@pytest.mark.parametrize(
    ("path", "operator", "value", "changes", "expected"),
    OPERATOR_CASES,
    ids=[f"{c[1]}-{c[0]}-{c[2]}-{c[4]}" for c in OPERATOR_CASES],
)
def test_every_operator_true_and_false(tmp_path, path, operator, value, changes, expected):
    assert {c[1] for c in OPERATOR_CASES} == set(OPERATORS)  # every operator is exercised
    assert fires(tmp_path, {"path": path, operator: value}, transaction(**changes)) is expected


def test_matches_reads_the_first_characters_of_a_text_only(tmp_path):
    long_text = "x" * MATCH_LIMIT + " ethnicity"
    document = transaction(**{"items.0.customization_request": long_text})
    condition = {"path": "items[*].customization_request", "matches": "ethnicity"}
    assert not fires(tmp_path, condition, document)
    document = transaction(**{"items.0.customization_request": long_text[-(MATCH_LIMIT - 1) :]})
    assert fires(tmp_path / "short", condition, document)


# --------------------------------------------------------------------------------------
# Absent values
# --------------------------------------------------------------------------------------

# end_user.government_relationship is not given in the transaction; stated_end_use is an
# empty text; other_end_users and post_export are not given (an empty list).
ABSENT_CASES = [
    ("end_user.government_relationship", "eq", "none", False),
    ("end_user.government_relationship", "ne", "none", False),
    ("end_user.government_relationship", "in", ["none", "contractor"], False),
    ("end_user.government_relationship", "not_in", ["none"], False),
    ("end_user.government_relationship", "exists", True, False),
    ("end_user.government_relationship", "exists", False, True),
    ("end_user.government_relationship", "matches", ".", False),
    ("end_user.stated_end_use", "exists", False, True),
    ("end_user.stated_end_use", "ne", "Surveillance", False),
    ("end_user.stated_end_use", "matches", "^$", False),
    ("contract.post_export", "contains", "monitoring", False),
    ("contract.post_export", "contains_any", ["monitoring"], False),
    ("contract.post_export", "contains_all", ["monitoring"], False),
    ("contract.post_export", "exists", False, True),
    ("end_user.other_end_users[*].sector", "ne", "health", False),
    ("end_user.other_end_users[*].sector", "not_in", ["health"], False),
    ("end_user.other_end_users[*].name", "exists", False, False),  # no element to be absent
    ("items[*].eccn", "exists", False, True),  # the second item has none
    ("date", "ge", "2000-01-01", False),
    ("date", "le", "2100-01-01", False),
    ("end_user.sole_end_user", "eq", False, False),  # null: not established
    ("items[*].quantity", "gt", 0, False),
    ("items[*].quantity", "lt", 1000, False),
]


@pytest.mark.parametrize(
    ("path", "operator", "value", "expected"),
    ABSENT_CASES,
    ids=[f"{c[1]}-{c[0]}-{c[2]}" for c in ABSENT_CASES],
)
def test_absent_values_truth_table(tmp_path, path, operator, value, expected):
    document = transaction(
        **{
            "end_user.stated_end_use": "",
            "contract.post_export": None,
            "date": None,
            "end_user.sole_end_user": None,
            "items.0.quantity": None,
            "items.1.quantity": None,
        }
    )
    assert fires(tmp_path, {"path": path, operator: value}, document) is expected


def test_the_absent_value_idiom_fails_closed_when_asked(tmp_path):
    # "the sector is not commercial, or nobody said": not_in alone is false on an absent
    # value; the documented idiom adds exists = false under any
    condition = {
        "any": [
            {"path": "end_user.sector", "not_in": ["commercial"]},
            {"path": "end_user.sector", "exists": False},
        ]
    }
    engine = engine_for(tmp_path, rule(condition))
    [finding] = rule_findings(engine.assess(transaction(**{"end_user.sector": None})))
    assert evidence_of(finding) == [("end_user.sector", None)]
    assert rule_findings(engine.assess(transaction(**{"end_user.sector": "commercial"}))) == []


# --------------------------------------------------------------------------------------
# all, any, not; wildcards and evidence
# --------------------------------------------------------------------------------------

A_TRUE = {"path": "end_user.country", "eq": "EG"}
B_TRUE = {"path": "end_user.sector", "in": ["public_security", "intelligence"]}
C_FALSE = {"path": "end_user.type", "eq": "private"}


@pytest.mark.parametrize(
    ("condition", "evidence"),
    [
        ({"all": [A_TRUE, B_TRUE]}, [("end_user.country", "EG"), ("end_user.sector", "public_security")]),
        ({"all": [A_TRUE, C_FALSE]}, None),
        ({"any": [C_FALSE, B_TRUE]}, [("end_user.sector", "public_security")]),
        ({"any": [A_TRUE, B_TRUE]}, [("end_user.country", "EG"), ("end_user.sector", "public_security")]),
        ({"any": [C_FALSE, {"not": A_TRUE}]}, None),
        ({"not": C_FALSE}, [("end_user.type", "government_agency")]),
        ({"not": A_TRUE}, None),
        ({"not": {"not": A_TRUE}}, [("end_user.country", "EG")]),
        (
            {
                "all": [
                    A_TRUE,
                    {"not": {"any": [C_FALSE, {"path": "kyc.evasive_about_reexport", "eq": True}]}},
                ]
            },
            [
                ("end_user.country", "EG"),
                ("end_user.type", "government_agency"),
                ("kyc.evasive_about_reexport", False),
            ],
        ),
        (
            {"all": [A_TRUE, {"any": [{"all": [B_TRUE, {"not": C_FALSE}]}, C_FALSE]}]},
            [
                ("end_user.country", "EG"),
                ("end_user.sector", "public_security"),
                ("end_user.type", "government_agency"),
            ],
        ),
    ],
)
def test_all_any_not_and_the_evidence_that_made_them_true(tmp_path, condition, evidence):
    findings = rule_findings(engine_for(tmp_path, rule(condition)).assess(transaction()))
    if evidence is None:
        assert findings == []
    else:
        [finding] = findings
        assert evidence_of(finding) == evidence


def test_wildcards_are_true_for_some_element_and_name_its_index(tmp_path):
    engine = engine_for(
        tmp_path,
        rule({"path": "items[*].categories", "contains": "thermal_imaging"}, id="ACME-W-001"),
        rule({"path": "parties[*].role", "in": ["broker", "freight_forwarder"]}, id="ACME-W-002"),
        rule(
            {"path": "parties[*].related_parties[*].relationship", "eq": "director_overlap"}, id="ACME-W-003"
        ),
        rule({"path": "items[*].value.amount", "ge": 200000}, id="ACME-W-004"),
    )
    found = {f.rule_id: evidence_of(f) for f in rule_findings(engine.assess(transaction()))}
    assert found == {
        "ACME-W-001": [("items[1].categories", ["thermal_imaging"])],
        "ACME-W-002": [("parties[1].role", "broker")],
        "ACME-W-003": [("parties[0].related_parties[1].relationship", "director_overlap")],
        "ACME-W-004": [("items[0].value.amount", 250000.0), ("items[1].value.amount", 1200000.0)],
    }


def test_a_wildcard_over_an_empty_list_is_false_and_its_negation_says_so(tmp_path):
    engine = engine_for(
        tmp_path,
        rule({"path": "parties[*].role", "eq": "broker"}, id="ACME-W-001"),
        rule({"not": {"path": "parties[*].role", "eq": "broker"}}, id="ACME-W-002"),
    )
    [finding] = rule_findings(engine.assess(transaction(parties=[])))
    assert finding.rule_id == "ACME-W-002"
    assert evidence_of(finding) == [("parties[*].role", [])]
    # every element is checked: "no party is a broker" fails on the second party
    [finding] = rule_findings(engine.assess(transaction()))
    assert finding.rule_id == "ACME-W-001"


def test_an_empty_list_of_the_item_under_check_is_named_by_its_item(tmp_path):
    engine = engine_for(
        tmp_path, rule({"not": {"path": "item.categories[*]", "eq": "drone"}}, family="item", id="ACME-W-003")
    )
    findings = rule_findings(engine.assess(transaction(**{"items.1.categories": []})))
    assert [(f.subject, evidence_of(f)) for f in findings] == [
        ("items[0]", [("items[0].categories[0]", "facial_recognition")]),
        ("items[1]", [("items[1].categories[*]", [])]),
    ]


# --------------------------------------------------------------------------------------
# Item rules, messages, subjects, checks
# --------------------------------------------------------------------------------------


def test_item_rules_run_once_per_item_and_report_about_that_item(tmp_path):
    engine = engine_for(
        tmp_path,
        rule(
            {"all": [{"path": "item.quantity", "ge": 5}, {"path": "end_user.country", "eq": "EG"}]},
            id="ACME-I-001",
            family="item",
            message="{item.name} ({item.quantity} units, categories {item.categories}) for {end_user.name}",
            remediation="Limit {item.name} to the quantity approved.",
        ),
        rule({"path": "item.categories", "contains": "facial_recognition"}, id="ACME-I-002", family="item"),
    )
    assessment = engine.assess(transaction())
    found = [(f.rule_id, f.subject, f.message, evidence_of(f)) for f in rule_findings(assessment)]
    assert sorted(found) == [
        (
            "ACME-I-001",
            "items[0]",
            "FaceFind SDK (5 units, categories facial_recognition) for Ministry of Interior",
            [("items[0].quantity", 5), ("end_user.country", "EG")],
        ),
        (
            "ACME-I-001",
            "items[1]",
            "Thermal camera T-640 (40 units, categories thermal_imaging) for Ministry of Interior",
            [("items[1].quantity", 40), ("end_user.country", "EG")],
        ),
        (
            "ACME-I-002",
            "items[0]",
            "Rule fired for Ministry of Interior",
            [("items[0].categories", ["facial_recognition"])],
        ),
    ]
    remediations = {s.safeguard for s in assessment.required_safeguards}
    assert {
        "Limit FaceFind SDK to the quantity approved.",
        "Limit Thermal camera T-640 to the quantity approved.",
    } <= remediations
    checks = [
        (c.hook, c.subject, c.outcome, c.findings) for c in assessment.checks if c.plugin == PLUGIN_NAME
    ]
    assert checks == [
        ("hrdd_check_item", "items[0]", "escalate", 2),
        ("hrdd_check_item", "items[1]", "escalate", 1),
    ]


def test_end_user_and_contract_rules_report_about_the_end_user_and_the_contract(tmp_path):
    engine = engine_for(
        tmp_path,
        rule({"path": "end_user.country", "eq": "EG"}, id="ACME-E-001"),
        rule(
            {"not": {"path": "contract.clauses", "contains": "no_reexport"}},
            id="ACME-C-001",
            family="contract",
        ),
    )
    assessment = engine.assess(transaction())
    assert {(f.rule_id, f.subject) for f in rule_findings(assessment)} == {
        ("ACME-E-001", "end_user"),
        ("ACME-C-001", "contract"),
    }
    assert {(c.hook, c.outcome) for c in assessment.checks if c.plugin == PLUGIN_NAME} == {
        ("hrdd_check_end_user", "escalate"),
        ("hrdd_check_contract", "escalate"),
    }
    # a check that found nothing is recorded as pass (negative assurance)
    passed = engine.assess(transaction(**{"end_user.country": "NL", "contract.clauses": ["no_reexport"]}))
    assert rule_findings(passed) == []
    assert {(c.hook, c.outcome) for c in passed.checks if c.plugin == PLUGIN_NAME} == {
        ("hrdd_check_end_user", "pass"),
        ("hrdd_check_contract", "pass"),
    }
    assert passed.decision == "proceed"


def test_templates_render_lists_absent_values_wildcards_and_braces(tmp_path):
    engine = engine_for(
        tmp_path,
        rule(
            A_TRUE,
            message="{{{end_user.name}}}: parties {parties[*].name}; relationship {end_user.government_relationship}; "
            "clauses {contract.clauses}; amounts {items[*].value.amount}; sole {end_user.sole_end_user}",
        ),
    )
    [finding] = rule_findings(engine.assess(transaction()))
    assert finding.message == (
        "{Ministry of Interior}: parties Nile Distribution, Gulf Brokers; relationship (not given); "
        "clauses export_compliance, audit_rights; amounts 250000, 1200000; sole false"
    )


def test_values_from_a_rules_file_are_data_never_code(tmp_path):
    sneaky = 'x") or True or ("'
    engine = engine_for(
        tmp_path,
        rule({"path": "end_user.name", "eq": sneaky}, id="ACME-X-001"),
        rule({"path": "end_user.name", "in": [sneaky, "__import__('os')"]}, id="ACME-X-002"),
        rule({"path": "end_user.name", "matches": "\\)\\s{0,3}or True"}, id="ACME-X-003"),
    )
    assert rule_findings(engine.assess(transaction())) == []
    found = rule_findings(engine.assess(transaction(**{"end_user.name": sneaky})))
    assert {f.rule_id for f in found} == {"ACME-X-001", "ACME-X-002", "ACME-X-003"}
    assert {f.message for f in found} == {f"Rule fired for {sneaky}"}


# --------------------------------------------------------------------------------------
# Findings behave like plugin findings: enforcement, waivers, coverage, provenance, lock
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enforcement", "effective", "decision"),
    [
        ("advisory", "info", "proceed"),
        ("mandatory", "escalate", "escalate"),
        ("hard", "escalate", "escalate"),
    ],
)
def test_enforcement_levels(tmp_path, enforcement, effective, decision):
    engine = engine_for(tmp_path, rule(A_TRUE, enforcement=enforcement))
    assessment = engine.assess(transaction())
    [finding] = rule_findings(assessment)
    assert (finding.enforcement, finding.effective_outcome, assessment.decision) == (
        enforcement,
        effective,
        decision,
    )


def test_default_enforcement_is_mandatory_and_outcomes_rank_like_plugin_findings(tmp_path):
    engine = engine_for(
        tmp_path,
        rule(A_TRUE, id="ACME-E-001", outcome="safeguards_required", severity="medium"),
        rule(B_TRUE, id="ACME-E-002", outcome="do_not_proceed", severity="critical"),
    )
    assessment = engine.assess(transaction())
    assert [f.rule_id for f in assessment.findings] == ["ACME-E-002", "ACME-E-001"]
    assert all(f.enforcement == "mandatory" for f in assessment.findings)
    assert assessment.decision == "do_not_proceed"
    assert assessment.reason.startswith(f"ACME-E-002 ({PLUGIN_NAME}): Rule fired for Ministry of Interior")


WAIVER = """\
[[waivers]]
id = "W-RULES-1"
rule = "ACME-T-001"
scope = {{ transaction = "TX-RULES-0001" }}
justification = "Reviewed by the Human Rights Committee, minutes 2026/12."
approver = "A. Jansen, Head of Export Compliance"
granted = 2026-01-01
expires = {expires}
"""


def with_waivers(policy: Path) -> Path:
    """The policy, naming waivers.toml beside it (under [policy])."""
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("rules = [", 'waivers = ["waivers.toml"]\nrules = [', 1), encoding="utf-8")
    return policy


@pytest.mark.parametrize("enforcement", ["mandatory", "hard"])
def test_a_waiver_sets_aside_a_rule_finding_unless_the_rule_is_hard(tmp_path, enforcement):
    (tmp_path / "waivers.toml").write_text(WAIVER.format(expires="2027-01-01"), encoding="utf-8")
    engine = hrdd.Engine.from_policy(
        with_waivers(write_policy(tmp_path, rule(A_TRUE, enforcement=enforcement)))
    )
    assessment = engine.assess(transaction(), as_of=dt.date(2026, 6, 1))
    if enforcement == "mandatory":
        assert assessment.decision == "proceed"
        [waived] = assessment.waived
        assert (waived.rule_id, waived.plugin, waived.waiver["id"]) == (
            "ACME-T-001",
            PLUGIN_NAME,
            "W-RULES-1",
        )
    else:
        assert assessment.decision == "escalate" and assessment.waived == ()
        assert "HRDD-CORE-006" in assessment.rule_ids


def test_a_waiver_for_an_unknown_rule_id_is_still_refused(tmp_path):
    (tmp_path / "waivers.toml").write_text(WAIVER.format(expires="2027-01-01"), encoding="utf-8")
    policy = with_waivers(write_policy(tmp_path, rule(A_TRUE, id="ACME-OTHER-001")))
    with pytest.raises(PolicyError, match="ACME-T-001 is not a rule of any plugin this policy enables"):
        hrdd.Engine.from_policy(policy, lock=False)


def test_coverage_counts_the_rules_clauses(tmp_path, capsys):
    policy = write_policy(
        tmp_path,
        rule(A_TRUE, id="ACME-COV-001", guidance=("draft-2019:consideration-8", "draft-2019:dd-4")),
    )
    code, out, _ = run(capsys, "coverage", "--policy", str(policy), "--json")
    assert code == 0
    clauses = {c["id"]: c for c in json.loads(out)["clauses"]}
    assert clauses["draft-2019:consideration-8"]["rules"] == ["ACME-COV-001"]
    assert clauses["draft-2019:consideration-8"]["plugins"] == [PLUGIN_NAME]
    assert clauses["draft-2019:dd-4"]["rules"] == ["ACME-COV-001"]
    assert clauses["draft-2019:scope"]["rules"] == []  # a rules-only policy covers what its rules cite
    code, out, _ = run(capsys, "coverage", "--policy", str(policy))
    assert re.search(r"draft-2019:consideration-8\s+ACME-COV-001\n\s+by policy-rules", out)


def test_provenance_names_the_rules_and_the_report_is_valid(tmp_path, report_validator):
    engine = engine_for(tmp_path, rule(A_TRUE))
    report = engine.assess(transaction()).to_dict()
    report_validator.validate(report)
    [plugin] = [p for p in report["provenance"]["plugins"] if p["name"] == PLUGIN_NAME]
    assert plugin["source"] == "builtin" and plugin["version"] == hrdd.plugins.core_version()
    [data] = report["provenance"]["data"]
    rules_file = tmp_path / "rules" / "acme.toml"
    assert data == {
        "name": "acme-rules",
        "version": "2026.12.0",
        "sha256": hashlib.sha256(rules_file.read_bytes()).hexdigest(),
        "source": "ACME Export Compliance",
        "licence": "not stated",
        "date": "2026-12-01",
        "path": "rules/acme.toml",
    }


def test_lock_pins_rules_files_and_a_changed_rules_file_fails_verify(tmp_path, capsys):
    policy = write_policy(tmp_path, rule(A_TRUE))
    code, out, err = run(capsys, "lock", "--policy", str(policy))
    assert (code, err) == (0, "") and "1 data file(s) locked" in out
    lock = documents.parse_toml(policy.with_suffix(".lock").read_text(), "lock")
    rules_file = tmp_path / "rules" / "acme.toml"
    assert [{k: row[k] for k in ("plugin", "name", "version", "path", "sha256")} for row in lock["data"]] == [
        {
            "plugin": PLUGIN_NAME,
            "name": "acme-rules",
            "version": "2026.12.0",
            "path": "rules/acme.toml",
            "sha256": hashlib.sha256(rules_file.read_bytes()).hexdigest(),
        }
    ]
    assert [p["name"] for p in lock["plugins"]] == [PLUGIN_NAME]
    assert run(capsys, "verify", "--policy", str(policy))[0] == 0
    rules_file.write_text(rules_file.read_text().replace('"Review the deal."', '"Review the deal twice."'))
    code, out, err = run(capsys, "verify", "--policy", str(policy))
    assert code == 2 and out == ""
    assert "rules/acme.toml (policy-rules) sha256 differs" in err
    code, _, err = run(capsys, "assess", str(TRAFFIC), "--policy", str(policy))
    assert code == 2 and "rules/acme.toml (policy-rules) sha256 differs" in err


def test_replay_reproduces_a_decision_taken_with_rules(tmp_path, capsys):
    policy = write_policy(
        tmp_path, rule(A_TRUE), rule({"path": "item.quantity", "ge": 5}, id="ACME-I-001", family="item")
    )
    (tmp_path / "tx.json").write_text(json.dumps(transaction()), encoding="utf-8")
    report = tmp_path / "report.json"
    code, _, _ = run(capsys, "assess", str(tmp_path / "tx.json"), "--policy", str(policy), "-o", str(report))
    assert code == 0
    code, out, _ = run(capsys, "replay", str(report), str(tmp_path / "tx.json"))
    assert code == 0 and "the same" in out
    rules_file = tmp_path / "rules" / "acme.toml"
    rules_file.write_text(rules_file.read_text().replace('"ge" = 5', '"ge" = 50'), encoding="utf-8")
    code, out, _ = run(capsys, "replay", str(report), str(tmp_path / "tx.json"))
    assert code == 1
    assert "data acme-rules 2026.12.0: sha256" in out


# --------------------------------------------------------------------------------------
# Where rules come from: files, inline tables, extends
# --------------------------------------------------------------------------------------


def test_inline_rules_and_files_add_up_along_the_extends_chain(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "rules").mkdir()
    (shared / "rules" / "group.toml").write_text(
        rules_toml(rule(A_TRUE, id="GROUP-R-001")).replace('"acme-rules"', '"group-rules"'), encoding="utf-8"
    )
    (shared / "base.toml").write_text(
        '[policy]\nname = "group"\nrules = ["rules/group.toml"]\n\n'
        "[[rules]]\n"
        + "".join(f"{json.dumps(k)} = {toml(v)}\n" for k, v in rule(B_TRUE, id="GROUP-R-002").items()),
        encoding="utf-8",
    )
    team = tmp_path / "team"
    team.mkdir()
    policy = write_policy(team, rule(C_FALSE, id="TEAM-R-001"), extends="../shared/base.toml")
    policy.write_text(
        policy.read_text()
        + "\n[[rules]]\n"
        + "".join(
            f"{json.dumps(k)} = {toml(v)}\n" for k, v in rule({"not": C_FALSE}, id="TEAM-R-002").items()
        ),
        encoding="utf-8",
    )
    engine = hrdd.Engine.from_policy(policy, lock=False)
    plugin = engine.plugins.by_name[PLUGIN_NAME]
    assert [r.id for r in plugin.info.rules] == ["GROUP-R-001", "TEAM-R-001", "GROUP-R-002", "TEAM-R-002"]
    assert [d.path for d in plugin.data] == ["../shared/rules/group.toml", "rules/acme.toml"]
    assert {f.rule_id for f in rule_findings(engine.assess(transaction()))} == {
        "GROUP-R-001",
        "GROUP-R-002",
        "TEAM-R-002",
    }


def test_python_api_exposes_the_rules_as_a_plugin(tmp_path):
    engine = engine_for(tmp_path, rule(A_TRUE, guidance=("draft-2019:consideration-3", "draft-2019:dd-1")))
    plugin = engine.plugins.by_name[PLUGIN_NAME]
    assert [(r.id, r.title, r.guidance) for r in plugin.info.rules] == [
        ("ACME-T-001", "Test rule ACME-T-001", ("draft-2019:consideration-3", "draft-2019:dd-1"))
    ]
    assert plugin.info.clauses == ("draft-2019:consideration-3", "draft-2019:dd-1")
    assert plugin.settings.rule_enforcement == {"ACME-T-001": "mandatory"}


def test_a_policy_without_rules_has_no_rules_plugin():
    engine = hrdd.Engine.from_policy("baseline", lock=False)
    assert PLUGIN_NAME not in engine.plugins.by_name


def test_the_shipped_example(capsys):
    policy = EXAMPLES / "acme" / "acme-policy.toml"
    engine = hrdd.Engine.from_policy(policy, lock=False)
    assessment = engine.assess(json.loads(TRAFFIC.read_text(encoding="utf-8")))
    found = {f.rule_id: f for f in rule_findings(assessment)}
    assert set(found) == {"ACME-CUS-001"}
    custom = found["ACME-CUS-001"]
    assert (custom.subject, custom.enforcement, custom.effective_outcome) == (
        "items[0]",
        "hard",
        "do_not_proceed",
    )
    assert custom.evidence[0].path == "items[0].customization_request"
    assert assessment.decision == "do_not_proceed"
    assert documents.validator("rules").is_valid(
        documents.toml_plain(
            documents.parse_toml((EXAMPLES / "acme" / "rules" / "acme.toml").read_text(), "x")
        )
    )


def test_the_schemas_are_published(capsys):
    code, out, _ = run(capsys, "schema", "rules")
    assert code == 0
    assert json.loads(out) == json.loads((ROOT / "schemas" / "rules.schema.json").read_text(encoding="utf-8"))
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(json.loads(out))
    policy_schema = documents.load_schema("policy")
    assert (
        "rules" in policy_schema["properties"]
        and "rules" in policy_schema["properties"]["policy"]["properties"]
    )
    described = set(policy_schema["$defs"]["inline_rule"]["properties"])
    assert described == set(json.loads(out)["$defs"]["rule"]["properties"])


# --------------------------------------------------------------------------------------
# Bad input: exit 2, with the file, the rule id and the field, every problem at once
# --------------------------------------------------------------------------------------


def _bad_rules_policy(tmp_path: Path, capability_only_policy: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "a.toml").write_text(
        rules_toml(
            rule({"path": "end_user.country", "gte": "CN"}, id="ACME-A-001"),
            rule({"path": "items[*].quantity", "gt": "many"}, id="ACME-A-002"),
            rule({"path": "end_user.sector", "eq": "polise"}, id="ACME-A-003"),
            rule({"path": "end_user.name", "contains": "Ministry"}, id="ACME-A-004"),
            rule({"path": "end_user.name", "matches": "(unclosed"}, id="ACME-A-005"),
            rule({"path": "end_user.name", "matches": "(a+)+$"}, id="ACME-A-006"),
            rule({"path": "end_user.name", "matches": "(a|ab)*c"}, id="ACME-A-007"),
            rule({"path": "end_user.name", "matches": "a.*b.*c"}, id="ACME-A-008"),
            rule({"path": "end_user.contry", "eq": "CN"}, id="ACME-A-009"),
            rule({"path": "items.categories", "contains": "drone"}, id="ACME-A-010"),
            rule({"path": "item.categories", "contains": "drone"}, id="ACME-A-011"),
            rule(A_TRUE, id="ACME-A-012", guidance=("draft-2019:considerations-3",)),
            rule(A_TRUE, id="ACME-A-013", message="Sold to {end_user.nme}"),
            rule(A_TRUE, id="ACME-A-014"),
            rule(A_TRUE, id="HRDD-CAP-001"),
        ),
        encoding="utf-8",
    )
    (tmp_path / "rules" / "b.toml").write_text(rules_toml(rule(A_TRUE, id="ACME-A-014")), encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text(
        f'[policy]\nname = "bad"\nextends = {json.dumps(str(capability_only_policy))}\n'
        'rules = ["rules/a.toml", "rules/b.toml", "rules/missing.toml"]\n\n'
        "[[rules]]\n"
        + "".join(f"{json.dumps(k)} = {toml(v)}\n" for k, v in rule(A_TRUE, id="ACME-A-001").items()),
        encoding="utf-8",
    )
    return policy


EXPECTED_PROBLEMS = [
    # (file, JSON path, message fragments)
    (
        "a.toml",
        "$.rules[0].condition.gte",
        ["rule ACME-A-001", "unknown operator 'gte'", "did you mean 'ge'"],
    ),
    (
        "a.toml",
        "$.rules[1].condition.gt",
        ["rule ACME-A-002", "items[*].quantity is a whole number: expected a number", "'many'"],
    ),
    (
        "a.toml",
        "$.rules[2].condition.eq",
        ["rule ACME-A-003", "'polise' is not allowed in end_user.sector; allowed: law_enforcement,"],
    ),
    (
        "a.toml",
        "$.rules[3].condition.contains",
        ["rule ACME-A-004", "contains needs a path to a list", "use matches"],
    ),
    ("a.toml", "$.rules[4].condition.matches", ["rule ACME-A-005", "not a valid regular expression"]),
    (
        "a.toml",
        "$.rules[5].condition.matches",
        ["rule ACME-A-006", "nested quantifier", "conservative static check"],
    ),
    ("a.toml", "$.rules[6].condition.matches", ["rule ACME-A-007", "repeats an alternation", "conservative"]),
    (
        "a.toml",
        "$.rules[7].condition.matches",
        ["rule ACME-A-008", "2 unbounded repetitions", "conservative"],
    ),
    (
        "a.toml",
        "$.rules[8].condition.path",
        [
            "rule ACME-A-009",
            "end_user has no field 'contry'",
            "did you mean 'country'",
            "its fields: country,",
        ],
    ),
    (
        "a.toml",
        "$.rules[9].condition.path",
        ["rule ACME-A-010", "items is a list; write items[*].categories"],
    ),
    ("a.toml", "$.rules[10].condition.path", ["rule ACME-A-011", "exists only in rules of family 'item'"]),
    (
        "a.toml",
        "$.rules[11].guidance[0]",
        ["rule ACME-A-012", "not a clause of the guidance catalogue", "consideration-3"],
    ),
    (
        "a.toml",
        "$.rules[12].message",
        ["rule ACME-A-013", "placeholder {end_user.nme}", "did you mean 'name'"],
    ),
    ("b.toml", "$.rules[0].id", ["rule ACME-A-014: duplicate id (first defined in", "a.toml at $.rules[13]"]),
    (
        "policy.toml",
        "$.rules[0].id",
        ["rule ACME-A-001: duplicate id (first defined in", "a.toml at $.rules[0]"],
    ),
    ("a.toml", "$.rules[14].id", ["rule HRDD-CAP-001", "already declared by plugin hrdd-item-capability"]),
    ("missing.toml", "$", ["no such rules file"]),
]


def test_every_bad_input_is_exit_2_with_file_rule_and_field_all_at_once(
    tmp_path, capsys, capability_only_policy
):
    policy = _bad_rules_policy(tmp_path, capability_only_policy)
    code, out, err = run(capsys, "assess", str(TRAFFIC), "--policy", str(policy))
    assert code == 2 and out == "" and "Traceback" not in err
    lines = err.splitlines()
    for file, where, fragments in EXPECTED_PROBLEMS:
        matching = [line for line in lines if f"{file}: {where}: " in line]
        assert len(matching) == 1, f"{file} {where}: {matching or lines}"
        for fragment in fragments:
            assert fragment in matching[0], (fragment, matching[0])
    assert len(lines) == len(EXPECTED_PROBLEMS)  # all at once, and nothing else


def test_a_rule_id_of_an_enabled_plugin_is_refused(tmp_path, capsys, capability_only_policy):
    policy = write_policy(tmp_path, rule(A_TRUE, id="HRDD-CAP-001"), extends=capability_only_policy)
    code, _, err = run(capsys, "assess", str(TRAFFIC), "--policy", str(policy))
    assert code == 2
    assert err.strip() == (
        f"hrdd: {tmp_path / 'rules' / 'acme.toml'}: $.rules[0].id: rule HRDD-CAP-001: the id is already declared "
        "by plugin hrdd-item-capability, which this policy enables; give company rules ids of their own (ACME-...)"
    )


@pytest.mark.parametrize(
    ("table_or_text", "where", "fragment"),
    [
        (
            {**rule(A_TRUE), "conditon": A_TRUE},
            "$.rules[0].conditon",
            "unknown field 'conditon' (did you mean 'condition'?)",
        ),
        (
            {k: v for k, v in rule(A_TRUE).items() if k != "remediation"},
            "$.rules[0].remediation",
            "remediation is required",
        ),
        (
            rule(A_TRUE, family="items"),
            "$.rules[0].family",
            "'items' is not a valid family (did you mean 'item'?)",
        ),
        (rule(A_TRUE, outcome="pass"), "$.rules[0].outcome", "'pass' is not a valid outcome"),
        (rule(A_TRUE, id="acme-1"), "$.rules[0].id", "is not a rule id"),
        (rule(A_TRUE, id="HRDD-CORE-009"), "$.rules[0].id", "HRDD-CORE- are hrdd's own"),
        (rule(A_TRUE, enforcement="strict"), "$.rules[0].enforcement", "'strict' is not a valid enforcement"),
        (
            rule({"path": "end_user.country", "eq": "CN", "ne": "NL"}),
            "$.rules[0].condition",
            "one operator per test",
        ),
        (rule({"path": "end_user.country"}), "$.rules[0].condition", "has no operator"),
        (rule({"all": []}), "$.rules[0].condition.all", "non-empty list of conditions"),
        (rule({"all": [A_TRUE], "any": [A_TRUE]}), "$.rules[0].condition", "exactly one of all, any, not"),
        (
            rule({"path": "end_user[*]", "exists": True}),
            "$.rules[0].condition.path",
            "not a list; [*] goes only after a list",
        ),
        (
            rule({"path": "items[0].name", "exists": True}),
            "$.rules[0].condition.path",
            "cannot name one element by its position",
        ),
        (
            rule({"path": "end_user.country.code", "exists": True}),
            "$.rules[0].condition.path",
            "has no fields",
        ),
        (rule({"path": "end_user", "eq": "x"}), "$.rules[0].condition.eq", "end_user is an object"),
        (rule({"path": "end_user.country", "in": "CN"}), "$.rules[0].condition.in", "takes a non-empty list"),
        (
            rule({"path": "end_user.country", "eq": ""}),
            "$.rules[0].condition.eq",
            "an empty string never matches",
        ),
        (
            rule({"path": "end_user.sole_end_user", "eq": "no"}),
            "$.rules[0].condition.eq",
            "expected true or false",
        ),
        (
            rule({"path": "date", "gt": "yesterday"}),
            "$.rules[0].condition.gt",
            "expected a date such as 2026-12-01",
        ),
        (
            rule({"path": "end_user.name", "gt": 3}),
            "$.rules[0].condition.gt",
            "needs a path to a number or a date",
        ),
        (
            rule({"path": "end_user.country", "exists": "yes"}),
            "$.rules[0].condition.exists",
            "exists takes true",
        ),
        (rule({"path": "items[*].categories", "eq": "drone"}), "$.rules[0].condition.eq", "use contains"),
        (rule({"path": "parties", "contains": "broker"}), "$.rules[0].condition.contains", "list of objects"),
        (
            rule({"path": "end_user.name", "matches": "x" * 501}),
            "$.rules[0].condition.matches",
            "at most 500",
        ),
        (
            rule({"path": "end_user.name", "matches": "(a)\\1"}),
            "$.rules[0].condition.matches",
            "backreference",
        ),
        (rule(A_TRUE, message="{end_user}"), "$.rules[0].message", "names an object"),
        (rule(A_TRUE, message="{item.name}"), "$.rules[0].message", "exists only in rules of family 'item'"),
        (rule(A_TRUE, remediation="Ask {end_user.name"), "$.rules[0].remediation", "unpaired '{'"),
        (rule(A_TRUE, guidance=()), "$.rules[0].guidance", "non-empty list of clause ids"),
        (
            rule({"not": {"not": {"not": {"path": "end_user.country", "eq": 3}}}}),
            "$.rules[0].condition.not.not.not.eq",
            "expected a string",
        ),
    ],
)
def test_each_bad_rule_names_its_field(tmp_path, table_or_text, where, fragment):
    policy = write_policy(tmp_path, table_or_text)
    with pytest.raises(RulesError) as raised:
        hrdd.Engine.from_policy(policy, lock=False)
    problems = [p for p in raised.value.problems if p.path == where]
    assert problems, raised.value.problems
    assert fragment in problems[0].message
    assert problems[0].source == str(tmp_path / "rules" / "acme.toml")
    assert problems[0].message.startswith("rule ")


@pytest.mark.parametrize(
    ("text", "where", "fragment"),
    [
        ("[meta]\nname = 'x'\n", "$.meta.version", "is required"),
        (META + "rules = []\n", "$.meta.rules", "the rules belong in [[rules]] tables"),
        ("rules = []\n", "$.meta", "missing [meta] table"),
        (META, "$.rules", "is required"),
        ("rules = 3\n" + META, "$.rules", "expected [[rules]] tables"),
        (META + "[[rules]\n", "$", "invalid TOML"),
        ("rules = []\n" + META.replace("2026-12-01", '"yesterday"'), "$.meta.date", "is not a date"),
        ("colour = 'red'\nrules = []\n" + META, "$.colour", "unknown field 'colour'"),
        ("rules = [3]\n" + META, "$.rules[0]", "a rule is a table"),
    ],
)
def test_bad_rules_files(tmp_path, text, where, fragment):
    (tmp_path / "rules.toml").write_text(text, encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text('[policy]\nname = "x"\nrules = ["rules.toml"]\n', encoding="utf-8")
    with pytest.raises(PolicyError) as raised:
        hrdd.Engine.from_policy(policy, lock=False)
    assert [p for p in raised.value.problems if p.path == where and fragment in p.message], (
        raised.value.problems
    )


def test_the_rules_plugin_name_is_reserved(tmp_path):
    policy = write_policy(tmp_path, rule(A_TRUE), extra=f"\n[plugins.{PLUGIN_NAME}]\nenforcement = 'hard'\n")
    with pytest.raises(PolicyError) as raised:
        hrdd.Engine.from_policy(policy, lock=False)
    assert any("is the name of the policy's declarative rules" in p.message for p in raised.value.problems)


def test_rules_problems_are_reported_with_plugin_problems(tmp_path):
    policy = write_policy(tmp_path, rule({"path": "end_user.contry", "eq": "CN"}))
    policy.write_text(policy.read_text() + "\n[plugins.no-such-plugin]\n", encoding="utf-8")
    with pytest.raises(PolicyError) as raised:
        hrdd.Engine.from_policy(policy, lock=False)
    messages = [p.message for p in raised.value.problems]
    assert any("unknown plugin 'no-such-plugin'" in m for m in messages)
    assert any("end_user has no field 'contry'" in m for m in messages)


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------

# Leaf tests that are valid in every family (paths from every part of the transaction).
TRANSACTION_LEAVES = [
    {"path": "end_user.country", "in": ["EG", "CN", "RU"]},
    {"path": "end_user.sector", "ne": "commercial"},
    {"path": "end_user.type", "eq": "government_agency"},
    {"path": "end_user.government_relationship", "not_in": ["none"]},
    {"path": "end_user.stated_end_use", "matches": "(?i)access|protest"},
    {"path": "end_user.sole_end_user", "exists": False},
    {"path": "end_user.misuse_reports[*].credible", "eq": True},
    {"path": "end_user.misuse_reports[*].date", "ge": "2025-01-01"},
    {"path": "items[*].categories", "contains": "facial_recognition"},
    {"path": "items[*].categories", "contains_any": ["thermal_imaging", "drone"]},
    {"path": "items[*].capabilities", "contains_all": ["biometric_identification"]},
    {"path": "items[*].value.amount", "gt": 300000},
    {"path": "items[*].quantity", "le": 10},
    {"path": "items[*].eccn", "exists": False},
    {"path": "items[*].categories[*]", "in": ["spyware", "thermal_imaging"]},
    {"path": "parties[*].role", "eq": "broker"},
    {"path": "parties[*].country", "not_in": ["US", "DE"]},
    {"path": "parties[*].related_parties[*].relationship", "in": ["ownership"]},
    {"path": "parties", "exists": True},
    {"path": "contract.clauses", "contains": "audit_rights"},
    {"path": "contract.post_export", "exists": True},
    {"path": "context.events", "contains_any": ["mass_protests", "election_period"]},
    {"path": "kyc.reluctant_end_use_information", "eq": True},
    {"path": "kyc.cash_for_expensive_item", "exists": False},
    {"path": "exporter", "exists": True},
    {"path": "exporter.country", "eq": "US"},
    {"path": "date", "lt": "2026-06-01"},
    {"path": "kind", "in": ["new_sale", "renewal"]},
]
ITEM_LEAVES = [
    {"path": "item.categories", "contains": "facial_recognition"},
    {"path": "item.design_safeguards", "contains_any": ["audit_logging", "geofencing"]},
    {"path": "item.customization", "eq": "none"},
    {"path": "item.description", "matches": "(?i)face"},
    {"path": "item.value.amount", "ge": 1000000},
    {"path": "item.value", "exists": False},
    {"path": "item.quantity", "gt": 10},
    {"path": "item.categories[*]", "ne": "thermal_imaging"},
]


def conditions(leaves: list[dict[str, Any]]) -> st.SearchStrategy[Any]:
    leaf = st.sampled_from(leaves)
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda c: {"all": c}),
            st.lists(inner, min_size=1, max_size=3).map(lambda c: {"any": c}),
            inner.map(lambda c: {"not": c}),
        ),
        max_leaves=8,
    )


def documents_strategy() -> st.SearchStrategy[dict[str, Any]]:
    """Transactions varied where the leaves look: values, absences, empty lists."""
    changes = st.fixed_dictionaries(
        {},
        optional={
            "end_user.country": st.sampled_from(["EG", "NL", "CN"]),
            "end_user.sector": st.sampled_from(["commercial", "intelligence"]),
            "end_user.stated_end_use": st.sampled_from(["", "Watch protests.", "x" * 50]),
            "end_user.government_relationship": st.sampled_from(["none", "contractor"]),
            "end_user.sole_end_user": st.sampled_from([True, False]),
            "end_user.misuse_reports": st.sampled_from([[], [{"summary": "s", "credible": False}]]),
            "items.0.categories": st.sampled_from([[], ["drone", "thermal_imaging"], ["spyware"]]),
            "items.0.value": st.sampled_from([{"amount": 5.0, "currency": "EUR"}]),
            "items.1.quantity": st.integers(min_value=1, max_value=100),
            "parties": st.sampled_from([[], [{"role": "broker", "name": "B", "country": "US"}]]),
            "contract": st.sampled_from([{}, {"clauses": ["audit_rights"]}]),
            "context": st.sampled_from([{}, {"events": ["election_period"]}]),
            "kyc": st.sampled_from([{}, {"cash_for_expensive_item": True}]),
            "exporter": st.sampled_from([{"name": "E"}]),
            "kind": st.sampled_from(["demo", "renewal"]),
            "date": st.sampled_from(["2026-12-01", "2025-01-01"]),
        },
    )
    optional_removed = st.lists(
        st.sampled_from(
            ["exporter", "date", "kind", "kyc", "context", "contract", "items.1.value", "end_user.type"]
        ),
        unique=True,
        max_size=4,
    )

    def build(change: dict[str, Any], removed: list[str]) -> dict[str, Any]:
        document = transaction(**change)
        for dotted in removed:
            keys = [int(k) if k.isdigit() else k for k in dotted.split(".")]
            target: Any = document
            for key in keys[:-1]:
                target = target[key]
            target.pop(keys[-1], None)
        return document

    return st.builds(build, changes, optional_removed)


def _compiled(tables: list[tuple[str, dict[str, Any]]]) -> RuleSet:
    problems: list[Problem] = []
    checked = [check_rule(table, "<test>", f"$.rules[{i}]", problems) for i, (_, table) in enumerate(tables)]
    assert not problems, problems
    return RuleSet([r for r in checked if r is not None])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    end_user=st.lists(conditions(TRANSACTION_LEAVES), min_size=1, max_size=4),
    items=st.lists(conditions(ITEM_LEAVES + TRANSACTION_LEAVES), min_size=1, max_size=4),
    documents=st.lists(documents_strategy(), min_size=1, max_size=3),
)
def test_random_condition_trees_compile_and_the_test_agrees_with_the_evidence(end_user, items, documents):
    """The compiled test fires exactly when the model-walking explanation finds evidence,
    and the finding's evidence (read from the vector) is that explanation's."""
    from hrdd.rules.conditions import evidence_records, explain

    tables = [("end_user", rule(c, id=f"ACME-E-{i:03d}")) for i, c in enumerate(end_user)]
    tables += [("item", rule(c, id=f"ACME-I-{i:03d}", family="item")) for i, c in enumerate(items)]
    ruleset = _compiled(tables)
    for document in documents:
        model = Transaction.from_dict(document)
        fired = {f.rule_id: f for f in ruleset.check("end_user", model)}
        for compiled in ruleset.family("end_user"):
            evidence = explain(compiled.condition, model, None)
            assert (compiled.id in fired) is (evidence is not None), compiled.id
            if evidence is not None:
                assert fired[compiled.id].evidence == evidence_records(evidence), compiled.id
        for item in model.items:
            fired = {f.rule_id: f for f in ruleset.check_item(item, model)}
            for compiled in ruleset.family("item"):
                evidence = explain(compiled.condition, model, item)
                assert (compiled.id in fired) is (evidence is not None), compiled.id
                if evidence is not None:
                    finding = fired[compiled.id]
                    assert finding.evidence == evidence_records(evidence), compiled.id
                    assert finding.subject == item.path
                    assert all("[*]" not in e.path or e.value == () for e in finding.evidence)
                    assert all(not e.path.startswith("item.") for e in finding.evidence)
                    json.dumps([e.value for e in finding.evidence])  # evidence is JSON


JSON_LEAF = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        [
            "end_user.country",
            "items[*].categories",
            "item.name",
            "(a+)+",
            "CN",
            "draft-2019:dd-1",
            "ACME-X-001",
        ]
    ),
)
KEYS = st.one_of(
    st.sampled_from(
        [
            "id",
            "title",
            "family",
            "condition",
            "outcome",
            "severity",
            "guidance",
            "message",
            "remediation",
            "enforcement",
            "all",
            "any",
            "not",
            "path",
            *OPERATORS,
        ]
    ),
    st.text(min_size=1, max_size=8),
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=25,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    meta=st.one_of(st.just({"name": "n", "version": "1", "owner": "o", "date": "2026-01-01"}), JSON_VALUE),
    rows=st.lists(st.one_of(JSON_VALUE, st.builds(lambda c: rule(c), JSON_VALUE)), max_size=4),
)
def test_garbage_rule_documents_give_policy_errors_only(tmp_path_factory, meta, rows):
    directory = tmp_path_factory.mktemp("garbage")
    text = f"meta = {toml(meta)}\nrules = {toml(rows)}\n"
    (directory / "rules.toml").write_text(text, encoding="utf-8")
    (directory / "policy.toml").write_text('[policy]\nname = "x"\nrules = ["rules.toml"]\n', encoding="utf-8")
    try:
        engine = hrdd.Engine.from_policy(directory / "policy.toml", lock=False)
    except PolicyError as error:
        assert error.problems and all(isinstance(p, Problem) for p in error.problems)
        return
    engine.assess(transaction())  # accepted: it must run


def _near_valid() -> st.SearchStrategy[dict[str, Any]]:
    """A valid rule with one field replaced by something else."""
    base = rule({"all": [A_TRUE, {"not": {"path": "items[*].value.amount", "gt": 10}}]}, family="end_user")
    field = st.sampled_from(sorted(base))
    return st.builds(lambda key, value: {**base, key: value}, field, JSON_VALUE)


@settings(max_examples=200, deadline=None)
@given(table=_near_valid())
def test_whatever_the_schema_refuses_the_checks_refuse_naming_the_rule(table):
    """The checks are at least as strict as the published schema, and say which rule."""
    validator = documents.validator("rules")
    document = {"meta": {"name": "n", "version": "1", "owner": "o", "date": "2026-01-01"}, "rules": [table]}
    problems: list[Problem] = []
    compiled = check_rule(table, "<test>", "$.rules[0]", problems)
    if not validator.is_valid(document):
        assert compiled is None and problems
        assert all(p.message.startswith("rule ") for p in problems)


# --------------------------------------------------------------------------------------
# The benchmark's generator stays valid
# --------------------------------------------------------------------------------------


def test_benchmark_rules_compile():
    spec = importlib.util.spec_from_file_location("bench_rules", ROOT / "benchmarks" / "rules.py")
    assert spec is not None and spec.loader is not None
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        data = documents.toml_plain(documents.parse_toml(module.rules_file(60), "bench"))
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert documents.validator("rules").is_valid(data)
    ruleset = _compiled([(r["family"], r) for r in data["rules"]])
    assert len(ruleset.rules) == 60
