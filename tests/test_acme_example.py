"""The worked example, policies/examples/acme/: ACME's policy passes its own cases, every
company rule is exercised by a case and changes the decision as ACME means it to, the
waiver applies while in force and never clears a legal gate, and the policy still covers
every clause of the guidance.

The company plugin acme-legal-reviews must be installed (requirements-test.txt installs it
editable from policies/examples/acme/plugins/acme-legal-reviews).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import shutil
import tomllib
from pathlib import Path

import pytest

import hrdd
from hrdd import cases
from hrdd.cli import main
from hrdd.testing import assert_decision

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "examples" / "acme"
POLICY = ACME / "acme-policy.toml"
PORT = ACME / "transactions" / "port-thermal-cameras.json"
MINISTRY = ACME / "transactions" / "ministry-face-access.json"
CASES = 13
# ACME's own rules: declarative (policy-rules), the path extension, the installed plugin.
COMPANY_RULES = {
    "ACME-FR-001": "policy-rules",
    "ACME-CUS-001": "policy-rules",
    "ACME-FTZ-001": "policy-rules",
    "ACME-RSL-001": "acme-resellers",
    "ACME-LGL-001": "acme-legal-reviews",
    "ACME-LGL-002": "acme-legal-reviews",
    "ACME-LGL-003": "acme-legal-reviews",
}
IN_FORCE = dt.date(2026, 12, 1)  # W-2026-014: granted 2026-11-20, expires 2027-02-28


@pytest.fixture(scope="module")
def engine() -> hrdd.Engine:
    return hrdd.Engine.from_policy(POLICY, lock=False)


def transaction(path: Path, **changes: object) -> dict:
    document = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            document[section][field] = value
        else:
            document[section] = value
    return document


def test_the_company_plugin_is_installed():
    assert importlib.metadata.version("acme-legal-reviews") == "0.1.0", (
        "install it as requirements-test.txt does: "
        "pip install -e ./policies/examples/acme/plugins/acme-legal-reviews"
    )


def test_hrdd_test_passes_every_case_of_the_example(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = main(
        ["test", "policies/examples/acme/tests", "--policy", "policies/examples/acme/acme-policy.toml"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"collected {CASES} cases from policies/examples/acme/tests\n" in out
    assert out.count(" PASSED\n") == CASES
    assert f" {CASES} passed in " in out.splitlines()[-1]


def test_every_company_rule_is_declared_and_produced_by_some_case():
    run = cases.run([ACME / "tests"], POLICY)
    assert run.failed == 0
    company = {
        rule: plugin for rule, (plugin, _) in run.coverage.declared.items() if rule.startswith("ACME-")
    }
    assert company == COMPANY_RULES
    assert not [rule for rule in run.coverage.uncovered if rule.startswith("ACME-")]


@pytest.mark.parametrize(
    ("rule", "document", "decision"),
    [
        # Each company rule alone moves a deal that otherwise proceeds: no other finding weighs.
        (
            "ACME-FR-001",
            transaction(MINISTRY, id="ACME-2026-0117", end_user__name="Câmara Municipal do Porto"),
            "escalate",
        ),
        (
            "ACME-FTZ-001",
            transaction(
                PORT,
                parties=[{"role": "reseller", "name": "Gulf Vision Trading FZE", "country": "AE"}],
                contract={"clauses": ["export_compliance", "no_reexport", "use_limitation"]},
            ),
            "proceed_with_safeguards",
        ),
        (
            "ACME-RSL-001",
            transaction(PORT, parties=[{"role": "distributor", "name": "Harbourline B.V.", "country": "NL"}]),
            "escalate",
        ),
        ("ACME-LGL-001", transaction(PORT, end_user__country="IS"), "escalate"),
    ],
)
def test_each_company_rule_alone_decides(engine, rule, document, decision):
    assessment = engine.assess(document)
    assert_decision(assessment, decision, rules=[rule])
    weighing = {f.rule_id for f in cases.weighing_findings(assessment)}
    assert weighing == {rule}
    (finding,) = [f for f in assessment.findings if f.rule_id == rule]
    assert finding.plugin == COMPANY_RULES[rule]


def test_the_deals_proceed_without_the_company_rules_triggers(engine):
    assert_decision(engine.assess(transaction(PORT)), "proceed", rules=[])
    ministry = engine.assess(transaction(MINISTRY), as_of=IN_FORCE)
    assert_decision(ministry, "proceed", rules=[], waived=["ACME-FR-001"])


def test_a_customisation_targeting_people_is_refused_hard(engine):
    document = transaction(MINISTRY)
    document["items"][0]["customization_request"] = "Flag every journalist who enters."
    assessment = engine.assess(document, as_of=IN_FORCE)
    assert_decision(assessment, "do_not_proceed", rules=["ACME-CUS-001"])
    (finding,) = [f for f in assessment.findings if f.rule_id == "ACME-CUS-001"]
    assert (finding.enforcement, finding.subject) == ("hard", "items[0]")


def test_legal_review_conclusions(engine):
    conditions = engine.assess(transaction(PORT, end_user__country="AE"))
    assert "ACME-LGL-002" in {f.rule_id for f in cases.weighing_findings(conditions)}
    assert conditions.decision == "proceed_with_safeguards"
    refused = engine.assess(transaction(PORT, end_user__country="BY"))
    (finding,) = [f for f in refused.findings if f.rule_id == "ACME-LGL-003"]
    assert (finding.effective_outcome, refused.decision) == ("do_not_proceed", "do_not_proceed")


def test_a_lapsed_vetting_is_no_vetting(engine):
    # Iberia Seguridad was vetted until 2026-05-31; the port deal is dated 2026-10-06.
    document = transaction(
        PORT, parties=[{"role": "reseller", "name": "IBERIA SEGURIDAD DISTRIBUCION S.L.", "country": "ES"}]
    )
    document["parties"][0]["name"] = "Iberia Seguridad Distribución S.L."
    assessment = engine.assess(document)
    assert_decision(assessment, "escalate", rules=["ACME-RSL-001"])
    (finding,) = [f for f in assessment.findings if f.rule_id == "ACME-RSL-001"]
    assert "was vetted until 2026-05-31 (CP-2024-011), before this deal's date" in finding.message
    assert finding.subject == "parties[0]"
    earlier = engine.assess({**document, "date": "2026-05-31"})
    assert_decision(earlier, "proceed", rules=[], absent=["ACME-RSL-001"])


def test_the_data_files_are_named_in_the_provenance(engine):
    provenance = engine.assess(transaction(PORT)).provenance
    data = {d.name: d.version for d in provenance.data}
    assert data["acme-rules"] == "2026.11.0"
    assert data["acme-reseller-register"] == "2026.11.1"
    assert data["acme-legal-reviews"] == "2026.11.0"
    assert "csl-fixture.csv" in data
    plugins = {p.name: (p.version, p.source) for p in provenance.plugins}
    assert plugins["acme-resellers"] == ("2026.11.0", "path:extensions/acme_resellers.py")
    assert plugins["acme-legal-reviews"] == ("0.1.0", "entry-point")


@pytest.mark.parametrize(
    ("as_of", "waived"),
    [
        (dt.date(2026, 11, 19), False),  # the day before it was granted
        (dt.date(2026, 11, 20), True),
        (dt.date(2027, 2, 28), True),  # its last day
        (dt.date(2027, 3, 1), False),
    ],
)
def test_the_waiver_applies_while_in_force_and_then_expires(engine, as_of, waived):
    assessment = engine.assess(transaction(MINISTRY), as_of=as_of)
    if waived:
        assert_decision(assessment, "proceed", rules=[], waived=["ACME-FR-001"])
        (finding,) = assessment.waived
        assert finding.waiver is not None
        assert (finding.waiver["id"], finding.waiver["approver"]) == (
            "W-2026-014",
            "M. Okafor, General Counsel",
        )
    else:
        assert_decision(assessment, "escalate", rules=["ACME-FR-001"], reported=["HRDD-CORE-005"])
        assert not assessment.waived


@pytest.fixture
def acme_copy(tmp_path: Path) -> Path:
    target = tmp_path / "acme"
    shutil.copytree(ACME, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "plugins"))
    return target


def test_no_waiver_clears_a_legal_gate_or_a_hard_company_rule(acme_copy):
    listed = transaction(MINISTRY)
    listed["parties"].append(
        {"role": "freight_forwarder", "name": "Aurora Signals Trading FZE", "country": "AE"}
    )
    listed["items"][0]["customization_request"] = "Flag every activist who enters."
    waivers = acme_copy / "waivers" / "2026.toml"
    for rule in ("HRDD-SCR-001", "ACME-CUS-001"):
        waivers.write_text(
            waivers.read_text(encoding="utf-8")
            + f'\n[[waivers]]\nid = "W-TEST-{rule}"\nrule = "{rule}"\nscope = {{ transaction = "ACME-2026-0102" }}\n'
            'justification = "An attempt to waive a hard rule."\napprover = "Nobody"\n'
            "granted = 2026-11-20\nexpires = 2027-02-28\n",
            encoding="utf-8",
        )
    engine = hrdd.Engine.from_policy(acme_copy / "acme-policy.toml", lock=False)
    assessment = engine.assess(listed, as_of=IN_FORCE)
    assert_decision(
        assessment,
        "do_not_proceed",
        rules=["HRDD-SCR-001", "ACME-CUS-001"],
        waived=["ACME-FR-001"],
        reported=["HRDD-CORE-006"],
    )
    refused = [f for f in assessment.findings if f.rule_id == "HRDD-CORE-006"]
    assert len(refused) == 2


def test_the_lock_pins_the_example_and_a_changed_rules_file_is_refused(acme_copy, capsys):
    # The example ships no lock: an installed plugin's sha256 covers its installed files,
    # which differ between an editable install and a wheel. A copy locks and verifies.
    assert not list(ACME.glob("*.lock"))
    policy = str(acme_copy / "acme-policy.toml")
    assert main(["lock", "--policy", policy]) == 0
    lock = tomllib.loads((acme_copy / "acme-policy.lock").read_text(encoding="utf-8"))
    plugins = {p["name"]: (p["version"], p["source"]) for p in lock["plugins"]}
    assert plugins["acme-resellers"] == ("2026.11.0", "path:extensions/acme_resellers.py")
    assert plugins["acme-legal-reviews"] == ("0.1.0", "entry-point")
    locked_files = {d.get("path") for d in lock["data"]}
    assert {"rules/acme.toml", "waivers/2026.toml"} <= locked_files
    assert main(["verify", "--policy", policy]) == 0
    capsys.readouterr()
    rules = acme_copy / "rules" / "acme.toml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace('severity = "high"', 'severity = "low"'), encoding="utf-8"
    )
    assert main(["verify", "--policy", policy]) == 2
    assert "rules/acme.toml (policy-rules) sha256 differs" in capsys.readouterr().err


def test_the_policy_still_covers_every_clause(capsys):
    assert main(["coverage", "--policy", str(POLICY), "--fail-uncovered"]) == 0
    assert capsys.readouterr().out.endswith("20 of 20 clauses covered.\n")


def test_every_baseline_plugin_is_pinned_and_the_list_is_the_screening_fixture():
    acme = tomllib.loads(POLICY.read_text(encoding="utf-8"))
    baseline = tomllib.loads((ROOT / "policies" / "baseline.toml").read_text(encoding="utf-8"))
    assert set(baseline["plugins"]) <= set(acme["plugins"])
    assert {name: acme["plugins"][name].get("version") for name in baseline["plugins"]} == dict.fromkeys(
        baseline["plugins"], ">=0.1,<0.2"
    )
    fixture = ROOT / "plugins" / "hrdd-screening" / "tests" / "fixtures" / "csl-fixture.csv"
    assert (ACME / "lists" / "csl-fixture.csv").read_bytes() == fixture.read_bytes()
    assert acme["plugins"]["hrdd-screening"]["config"]["lists"] == ["lists/csl-fixture.csv"]
    assert "NOT A REAL LIST" in POLICY.read_text(encoding="utf-8")
