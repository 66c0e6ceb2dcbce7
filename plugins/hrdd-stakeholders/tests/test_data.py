"""The stakeholder-rules data file: its provenance, a policy's own copy, and the errors a bad
copy gets (the engine is not built; the file and every place in it are named, together)."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from stakeholders_kit import BODY_CAMERA, kyc_with, make_transaction, the_finding, write_policy

import hrdd
from hrdd_stakeholders.plugin import CONFIG_SCHEMA, FACTS, RULES
from hrdd_stakeholders.rules import default_data_path, load_rules

README = Path(__file__).resolve().parents[1] / "README.md"
SHIPPED = default_data_path()


def shipped() -> dict[str, Any]:
    return tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return json.dumps(value)  # JSON strings and integers are TOML ones
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(value)


def dump(document: dict[str, Any]) -> str:
    """TOML for a rules-shaped document (tables of scalars and tables of tables)."""
    lines: list[str] = []
    for name, table in document.items():
        if not isinstance(table, dict):
            lines.insert(0, f"{name} = {_value(table)}")
            continue
        lines.append(f"[{name}]")
        lines += [f"{k} = {_value(v)}" for k, v in table.items() if not isinstance(v, dict)]
        for sub, row in table.items():
            if isinstance(row, dict):
                lines.append(f"[{name}.{sub}]")
                lines += [f"{k} = {_value(v)}" for k, v in row.items()]
    return "\n".join(lines) + "\n"


def problems_of(tmp_path: Path, document: dict[str, Any]) -> list[hrdd.Problem]:
    """Build an engine on a policy pointing at ``document``; return the problems it raises."""
    (tmp_path / "own.toml").write_text(dump(document), encoding="utf-8")
    policy = write_policy(tmp_path, data="own.toml")
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(policy)
    return list(raised.value.problems)


def paths(problems: list[hrdd.Problem]) -> set[str]:
    return {problem.path for problem in problems}


def test_shipped_rules_load_and_cover_every_question_and_role():
    rules = load_rules(SHIPPED)
    assert set(rules.kyc) == set(hrdd.KYC_QUESTIONS)
    assert set(rules.roles) == set(hrdd.PARTY_ROLES)
    listed = {q for q, flag in rules.kyc.items() if flag.listed_party}
    assert listed == {
        "similar_to_listed_party",
        "management_overlap_with_listed_party",
        "assumes_listed_party_operations",
        "owned_by_listed_party",
    }
    assert all(rules.kyc[q].severity == hrdd.Severity.CRITICAL for q in listed)
    assert rules.dataset.name == "hrdd-stakeholders-rules"
    assert "15 CFR Part 732" in rules.dataset.source


def test_the_report_names_the_rules_file_in_its_provenance(tmp_path):
    assessment = hrdd.Engine.from_policy(write_policy(tmp_path)).assess(make_transaction())
    [dataset] = [d for d in assessment.provenance.data if d.name == "hrdd-stakeholders-rules"]
    assert dataset.version == shipped()["meta"]["version"]
    assert dataset.licence == "Apache-2.0"
    assert len(dataset.sha256) == 64


def test_a_policy_can_use_its_own_rules(tmp_path):
    """A team that treats cash payment as critical: its copy is validated and used."""
    document = shipped()
    document["kyc"]["cash_for_expensive_item"]["severity"] = "critical"
    document["meta"]["name"] = "acme-stakeholder-rules"
    (tmp_path / "own.toml").write_text(dump(document), encoding="utf-8")
    engine = hrdd.Engine.from_policy(write_policy(tmp_path, data="own.toml"))
    assessment = engine.assess(
        make_transaction(items=[BODY_CAMERA], kyc=kyc_with(cash_for_expensive_item=True))
    )
    assert the_finding(assessment, "HRDD-STK-001").severity == hrdd.Severity.CRITICAL
    assert "acme-stakeholder-rules" in {d.name for d in assessment.provenance.data}


def test_a_missing_rules_file_is_a_policy_error_naming_it(tmp_path):
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(write_policy(tmp_path, data="nowhere.toml"))
    assert "nowhere.toml" in str(raised.value)


def test_a_rules_file_that_is_not_toml_is_a_policy_error(tmp_path):
    (tmp_path / "own.toml").write_text("[kyc\nbroken", encoding="utf-8")
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(write_policy(tmp_path, data="own.toml"))
    assert "own.toml" in str(raised.value)


def test_every_problem_of_a_bad_file_is_reported_together_with_its_place(tmp_path):
    document = shipped()
    del document["meta"]["licence"]
    del document["kyc"]["owned_by_listed_party"]
    document["kyc"]["cash_for_expensive_item"]["severity"] = "urgent"
    document["kyc"]["packaging_inconsistent"]["relationship"] = "ownership"
    document["kyc"]["bribery"] = copy.deepcopy(document["kyc"]["little_business_background"])
    document["roles"]["broker"]["present"] = 7
    del document["roles"]["financier"]
    document["roles"]["smuggler"] = {"present": 3, "third_country": 3, "note": "x"}
    document["opacity"]["high_at"] = 0
    document["red_flag_1"]["safeguards"] = ["use_limitation", "kill_switch"]
    document["other_end_users"]["sensitive_sectors"] = "intelligence"
    problems = problems_of(tmp_path, document)
    assert all(problem.source.endswith("own.toml") for problem in problems)
    assert paths(problems) >= {
        "$.meta.licence",
        "$.kyc.owned_by_listed_party",
        "$.kyc.cash_for_expensive_item.severity",
        "$.kyc.packaging_inconsistent.relationship",
        "$.kyc.bribery",
        "$.roles.broker.present",
        "$.roles.financier",
        "$.roles.smuggler",
        "$.opacity.high_at",
        "$.red_flag_1.safeguards[1]",
        "$.other_end_users.sensitive_sectors",
    }


@pytest.mark.parametrize("table", ["kyc", "roles", "opacity", "other_end_users", "red_flag_1", "soe"])
def test_a_missing_table_is_named(tmp_path, table):
    document = shipped()
    del document[table]
    assert f"$.{table}" in paths(problems_of(tmp_path, document))


def test_an_empty_kyc_table_names_every_question(tmp_path):
    document = shipped()
    document["kyc"] = {}
    found = paths(problems_of(tmp_path, document))
    assert {f"$.kyc.{q}" for q in hrdd.KYC_QUESTIONS} <= found


def test_opacity_thresholds_must_be_ordered(tmp_path):
    document = shipped()
    document["opacity"]["medium_at"] = 4
    document["opacity"]["high_at"] = 2
    [problem] = problems_of(tmp_path, document)
    assert problem.path == "$.opacity.high_at"


@pytest.mark.parametrize(
    ("key", "value"),
    [("unanswered_kyc", "do_not_proceed"), ("sensitive_at", 0), ("max_parties_without_country", -1)],
)
def test_invalid_config_is_a_policy_error(tmp_path, key, value):
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(write_policy(tmp_path, **{key: value}))
    assert key in str(raised.value)


def test_readme_documents_every_rule_config_key_and_fact():
    text = README.read_text(encoding="utf-8")
    for rule in RULES:
        assert re.search(rf"`{rule.id}`", text), rule.id
    for key in CONFIG_SCHEMA:
        assert f"{key} =" in text, key
    for fact in FACTS:
        assert f"`{fact}`" in text, fact
    assert "destination.risk_tier" in text
