"""The engine: decisions on the example transactions, fail-closed behaviour, enforcement
levels, negative assurance, provenance and determinism.

Company extensions are throwaway modules written next to a throwaway policy (the
``write_policy`` and ``acme_policy`` fixtures); each test builds its own engine, so its own
plugin manager.

The examples are judged by the baseline with a screening list (``screened_engine``: the
baseline names none, and without one it escalates every deal with HRDD-SCR-005, which a test
here shows), with every guidance plugin it enables. Tests of the engine's own semantics (fail-closed, enforcement, configure, render, negative assurance)
extend the capability-only policy (conftest), so a change to what the baseline enables does
not change what they test. Provenance and determinism are checked on the full baseline.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
import types
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import hrdd
from hrdd.errors import TransactionError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "policies" / "examples" / "transactions"
EXAMPLES = sorted(p for p in EXAMPLES_DIR.iterdir() if p.suffix in (".json", ".toml"))
CAP = "hrdd-item-capability"
# The plugins policies/baseline.toml enables, sorted by name, and the data sets they load.
BASELINE_PLUGINS = (
    "hrdd-contract-safeguards",
    "hrdd-export-controls",
    "hrdd-human-rights-record",
    "hrdd-item-capability",
    "hrdd-legal-framework",
    "hrdd-program",
    "hrdd-public-reporting",
    "hrdd-sanctions-programs",
    "hrdd-screening",
    "hrdd-stakeholders",
)
BASELINE_DATA = {  # data set name -> its file in the repository
    "hrdd-contract-safeguards-table": "plugins/hrdd-contract-safeguards/data/safeguards.toml",
    "hrdd-human-rights-record-countries": "plugins/hrdd-human-rights-record/data/countries.toml",
    "hrdd-secondary-sanctions-exposure": "plugins/hrdd-human-rights-record/data/sanctions_exposure.toml",
    "hrdd-item-capability-taxonomy": "plugins/hrdd-item-capability/data/capabilities.toml",
    "hrdd-iccpr-status": "plugins/hrdd-legal-framework/data/iccpr.toml",
    "hrdd-surveillance-law-concerns": "plugins/hrdd-legal-framework/data/surveillance_laws.toml",
    "hrdd-public-reporting-m49-regions": "plugins/hrdd-public-reporting/data/regions.toml",
    "hrdd-stakeholders-rules": "plugins/hrdd-stakeholders/data/stakeholders.toml",
    "hrdd-sanctions-programmes": "plugins/hrdd-sanctions-programs/data/programmes.toml",
    "hrdd-export-controls ECCNs": "plugins/hrdd-export-controls/data/eccns.toml",
    "hrdd-export-controls country chart": "plugins/hrdd-export-controls/data/country_chart.toml",
}
SHA256 = re.compile(r"^[0-9a-f]{64}$")

PROCEED = hrdd.Decision.PROCEED
SAFEGUARDS = hrdd.Decision.PROCEED_WITH_SAFEGUARDS
ESCALATE = hrdd.Decision.ESCALATE
DO_NOT_PROCEED = hrdd.Decision.DO_NOT_PROCEED

DECISION_RANK = {"proceed": 1, "proceed_with_safeguards": 2, "escalate": 3, "do_not_proceed": 4}
OUTCOME_RANK = {
    "pass": 0,
    "info": 1,
    "safeguards_required": 2,
    "escalate": 3,
    "do_not_proceed": 4,
    "error": 3,  # a check that could not run: escalate under the baseline's on-error
}

# --------------------------------------------------------------------------------------
# Throwaway extensions
# --------------------------------------------------------------------------------------

PLUGIN_INFO = """
from hrdd import Finding, PluginInfo, RuleInfo, hookimpl

__version__ = "1.2.3"


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(rules=[RuleInfo("ACME-001", "first"), RuleInfo("ACME-002", "second")])
"""

RAISES = (
    PLUGIN_INFO
    + """

@hookimpl
def hrdd_check_end_user(transaction, context):
    raise RuntimeError("screening service unreachable")
"""
)

RAISES_ON_ITEMS = (
    PLUGIN_INFO
    + """

@hookimpl
def hrdd_check_item(item, transaction, context):
    raise KeyError(item.id)
"""
)

RAISES_IN_PROFILE = (
    PLUGIN_INFO
    + """

@hookimpl
def hrdd_item_profile(item, transaction, context):
    raise ValueError("taxonomy service down")

@hookimpl
def hrdd_check_contract(transaction, context):
    return []
"""
)

FLAGS = (
    PLUGIN_INFO
    + """

@hookimpl
def hrdd_check_end_user(transaction, context):
    return [
        Finding(rule_id="ACME-001", outcome="escalate", severity="high",
                message="End user appears in Acme's internal watchlist.",
                evidence={"end_user.name": transaction.end_user.name},
                remediation="Ask Acme compliance to clear the watchlist hit."),
        Finding(rule_id="ACME-002", outcome="safeguards_required", severity="medium",
                message="Acme requires its own end-use certificate.",
                remediation="Obtain an Acme end-use certificate."),
    ]
"""
)

ERROR_FINDING = (
    PLUGIN_INFO
    + """

@hookimpl
def hrdd_check_end_user(transaction, context):
    return [Finding(rule_id="ACME-001", outcome="error", severity="high",
                    message="Watchlist could not be read.")]
"""
)

CLEAN = (
    PLUGIN_INFO
    + """

@hookimpl
def hrdd_check_item(item, transaction, context):
    return None  # not applicable to items

@hookimpl
def hrdd_check_end_user(transaction, context):
    return []

@hookimpl
def hrdd_check_contract(transaction, context):
    return []
"""
)

NO_CHECKS = PLUGIN_INFO  # describes itself, checks nothing

GARBAGE_RESULTS = {
    "a string": '"all clear"',
    "a list of dicts": '[{"rule_id": "ACME-001", "outcome": "escalate"}]',
    "a dict": '{"ACME-001": "escalate"}',
    "a number": "0",
    "a list mixing findings and strings": (
        '[Finding(rule_id="ACME-001", outcome="info", severity="low", message="ok"), "oops"]'
    ),
}


def garbage(expression: str) -> str:
    return (
        PLUGIN_INFO
        + f"""

@hookimpl
def hrdd_check_end_user(transaction, context):
    return {expression}
"""
    )


def extension_policy(
    write_policy,
    source: str,
    *,
    plugin_table: str = "",
    policy_table: str = "",
    extends: str | Path | None,
) -> Path:
    """A policy (extending ``extends``: a built-in name or a path) that also enables the
    extension ``acme``."""
    extends_line = f"extends = {json.dumps(str(extends))}" if extends else ""
    toml = "\n".join(
        [
            "[policy]",
            'name = "acme-export-policy"',
            'version = "2026.11.0"',
            extends_line,
            policy_table,
            "",
            "[plugins.acme]",
            'path = "acme_ext.py"',
            plugin_table,
            "",
        ]
    )
    return write_policy(toml, extensions={"acme_ext.py": source})


@pytest.fixture
def acme_policy(write_policy, capability_only_policy) -> Callable[..., Path]:
    """``acme_policy(source, plugin_table=..., policy_table=..., extends=...)``: the extension
    ``acme`` on top of the capability-only policy (or of ``extends``, ``None`` for nothing)."""

    def make(
        source: str,
        *,
        plugin_table: str = "",
        policy_table: str = "",
        extends: str | Path | None = capability_only_policy,
    ) -> Path:
        return extension_policy(
            write_policy, source, plugin_table=plugin_table, policy_table=policy_table, extends=extends
        )

    return make


def assess_with(policy: Path | str, document: dict[str, Any]) -> hrdd.Assessment:
    return hrdd.Engine.from_policy(policy).assess(document)


def schema_errors(validator, assessment: hrdd.Assessment) -> list[str]:
    report = json.loads(json.dumps(assessment.to_dict()))  # what a consumer actually reads
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(report)]


def decisive_rule_ids(assessment: hrdd.Assessment) -> set[str]:
    """The rules whose effective outcome is as grave as the decision."""
    rank = DECISION_RANK[assessment.decision.value]
    return {
        f.rule_id
        for f in assessment.findings
        if OUTCOME_RANK.get(f.decisive_outcome.value, 3) >= rank and rank > 1
    }


def without_time(report: dict[str, Any]) -> dict[str, Any]:
    report = copy.deepcopy(report)
    del report["provenance"]["assessed_at"]
    return report


# --------------------------------------------------------------------------------------
# The examples
# --------------------------------------------------------------------------------------


def test_every_shipped_example_is_covered():
    assert {p.stem for p in EXAMPLES} >= set(EXPECTED)
    assert {p.stem for p in EXAMPLES} == set(EXPECTED), "a new example needs its expected decision"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_gives_a_schema_valid_report(path, engine, report_validator):
    assessment = engine.assess_file(path)
    assert schema_errors(report_validator, assessment) == []
    report = assessment.to_dict()
    assert report["decision"] == assessment.decision.value
    assert report["checks"], "negative assurance: the report lists the checks that ran"


# What the baseline decides on each shipped example once a company has named its screening
# list (the scenario policy's fixture list: no party of the examples is on it), and why.
# name -> (decision, decisive rule ids, further rule ids that must be among the findings).
# The decisive rules are those whose effective outcome is as grave as the decision. The
# baseline states no compliance programme, so hrdd-program's gaps (HRDD-PRG-002 to 007)
# escalate every high-risk deal until a company policy describes its programme.
PROGRAMME_GAPS = {f"HRDD-PRG-00{n}" for n in range(2, 8)}
EXPECTED: dict[str, tuple[hrdd.Decision, set[str], set[str]]] = {
    # Dutch municipal police, body cameras and EU-hosted evidence storage: low misuse
    # potential, a free country party to the ICCPR, the contract a low-risk deal needs.
    "bodycams-municipal-police": (
        PROCEED,
        set(),
        {"HRDD-CAP-001", "HRDD-HR-010", "HRDD-LAW-001", "HRDD-CON-005", "HRDD-PUB-004", "HRDD-PRG-001"},
    ),
    # A state-controlled telecom operator in a Not Free country buying identity resolution
    # and network mapping of social-media users, keywords including "the government":
    # red flag 1, a state-owned enterprise, surveillance-law concerns, a KYC red flag.
    "brand-monitoring-analytics": (
        ESCALATE,
        {
            "HRDD-CAP-002",
            "HRDD-CAP-009",
            "HRDD-HR-003",
            "HRDD-LAW-004",
            "HRDD-STK-001",
            "HRDD-STK-003",
            "HRDD-STK-004",
            *PROGRAMME_GAPS,
        },
        {
            "HRDD-CAP-001",
            "HRDD-CAP-005",
            "HRDD-CON-001",
            "HRDD-CON-002",
            "HRDD-PUB-001",
            "HRDD-STK-005",
            "HRDD-STK-008",
        },
    ),
    # Thermal drones for an EU border guard: misuse potential 4 for a government end user;
    # the record and the law of the destination raise nothing; most KYC questions open; a
    # drone with a thermal payload declared EAR99 gets a classification review (6A003?).
    "drone-border-guard": (
        ESCALATE,
        {"HRDD-CAP-009", "HRDD-STK-003", "HRDD-EXP-007", *PROGRAMME_GAPS},
        {
            "HRDD-CAP-001",
            "HRDD-CAP-005",
            "HRDD-CON-001",
            "HRDD-CON-002",
            "HRDD-PUB-001",
            "HRDD-STK-008",
            "HRDD-HR-010",
            "HRDD-LAW-001",
        },
    ),
    # On-device face verification at a private bank's turnstiles in Portugal.
    "face-access-control-bank": (
        PROCEED,
        set(),
        {"HRDD-CAP-001", "HRDD-HR-010", "HRDD-LAW-001", "HRDD-CON-005", "HRDD-STK-003"},
    ),
    # Interception and DPI for an intelligence agency with credible reports of spying on
    # journalists and opposition, sold during an election period through a reseller and a
    # freight forwarder: refused on the end user's and the country's record.
    "interception-intelligence-agency": (
        DO_NOT_PROCEED,
        # credible misuse by a not-free destination's intelligence agency, and the Government of
        # Venezuela is blocked (E.O. 13884): a legal gate besides the human-rights record
        {"HRDD-HR-001", "HRDD-HR-003", "HRDD-SAN-001"},
        {
            "HRDD-CAP-004",
            "HRDD-CAP-005",
            "HRDD-CAP-006",
            "HRDD-CAP-009",
            "HRDD-CON-004",
            "HRDD-HR-007",
            "HRDD-HR-013",
            "HRDD-LAW-004",
            "HRDD-PUB-001",
            "HRDD-STK-001",
            "HRDD-STK-007",
            "HRDD-STK-009",
            "HRDD-STK-010",
            "HRDD-STK-011",
            *PROGRAMME_GAPS,
        },
    ),
    # Fixed thermal cameras (6A993.a, anti-terrorism controls only) for a private port
    # operator in Belgium: no licence required, nobody on the list.
    "thermal-cameras-private-port": (
        PROCEED,
        set(),
        {"HRDD-CAP-001", "HRDD-HR-010", "HRDD-LAW-001", "HRDD-CON-005", "HRDD-EXP-002", "HRDD-SCR-004"},
    ),
    # Traffic cameras customised to flag an ethnic group, for a public security bureau with
    # a credible misuse report against minorities: refused on the item and on the record.
    "traffic-cameras-face-matching": (
        DO_NOT_PROCEED,
        {"HRDD-CAP-003", "HRDD-HR-001", "HRDD-HR-003"},
        {
            "HRDD-CAP-002",
            "HRDD-CAP-004",
            "HRDD-CAP-005",
            "HRDD-CAP-006",
            "HRDD-CAP-009",
            "HRDD-CON-004",
            "HRDD-LAW-003",
            "HRDD-LAW-004",
            "HRDD-STK-001",
            "HRDD-STK-007",
            "HRDD-STK-009",
            "HRDD-STK-011",
            *PROGRAMME_GAPS,
        },
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_decisions_and_rule_ids(name, screened_engine):
    decision, decisive, present = EXPECTED[name]
    [path] = [p for p in EXAMPLES if p.stem == name]
    assessment = screened_engine.assess_file(path)
    assert assessment.decision == decision
    assert decisive_rule_ids(assessment) == decisive
    assert present <= set(assessment.rule_ids)
    # every plugin of the baseline ran (negative assurance), and no other
    assert {c.plugin for c in assessment.checks} == set(BASELINE_PLUGINS)
    assert {f.plugin for f in assessment.findings} <= set(BASELINE_PLUGINS)
    assert assessment.errors == ()
    if decision is PROCEED:
        assert all(f.decisive_outcome.value in ("pass", "info") for f in assessment.findings)
        assert assessment.required_safeguards == ()
    else:
        top = assessment.findings[0]
        assert top.rule_id in decisive
        assert assessment.reason.startswith(top.rule_id)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_baseline_without_a_screening_list_escalates_every_example(name, engine, screened_engine):
    """hrdd ships no screening list: under the plain baseline nobody is screened, and a deal
    nobody screened must not proceed (HRDD-SCR-005, an error, fails closed)."""
    [path] = [p for p in EXAMPLES if p.stem == name]
    assessment = engine.assess_file(path)
    [unscreened] = [f for f in assessment.findings if f.rule_id == "HRDD-SCR-005"]
    assert unscreened.plugin == "hrdd-screening"
    assert unscreened.outcome == hrdd.Outcome.ERROR
    assert "[plugins.hrdd-screening.config] lists" in unscreened.message
    assert assessment.errors == (unscreened,)
    listed = screened_engine.assess_file(path).decision
    assert DECISION_RANK[assessment.decision.value] == max(
        DECISION_RANK[listed.value], DECISION_RANK["escalate"]
    )
    if listed is PROCEED:
        assert assessment.decision == ESCALATE
        assert decisive_rule_ids(assessment) == {"HRDD-SCR-005"}
        assert assessment.reason.startswith("HRDD-SCR-005")
    text = engine.render(assessment, "text")
    assert "Checks that could not run" in text and "[plugins.hrdd-screening.config] lists" in text


def test_traffic_cameras_face_matching_is_refused_for_protected_attribute_inference(
    engine, example_transaction
):
    assessment = engine.assess(example_transaction("traffic-cameras-face-matching"))
    assert assessment.decision == DO_NOT_PROCEED
    [refusal] = [f for f in assessment.findings if f.rule_id == "HRDD-CAP-003"]
    assert refusal.effective_outcome == hrdd.Outcome.DO_NOT_PROCEED
    assert refusal.subject == "items[0]"
    assert refusal.severity == hrdd.Severity.CRITICAL
    assert refusal.evidence, "a refusal must show the facts that triggered it"
    assert refusal.remediation


def test_findings_are_gravest_first(engine, example_transaction):
    findings = engine.assess(example_transaction("traffic-cameras-face-matching")).findings
    ranks = [OUTCOME_RANK[f.decisive_outcome.value] for f in findings]
    assert ranks == sorted(ranks, reverse=True)


def test_required_safeguards_name_the_rules_that_ask_for_them(engine, example_transaction):
    assessment = engine.assess(example_transaction("drone-border-guard"))
    asked = {rule for safeguard in assessment.required_safeguards for rule in safeguard.rules}
    assert "HRDD-CAP-005" in asked
    assert asked <= set(assessment.rule_ids)


# --------------------------------------------------------------------------------------
# Fail closed
# --------------------------------------------------------------------------------------


def test_a_check_that_raises_becomes_an_error_finding_and_escalates(
    acme_policy, capability_engine, example_transaction, report_validator
):
    document = example_transaction("thermal-cameras-private-port")
    assert capability_engine.assess(document).decision == PROCEED
    assessment = assess_with(acme_policy(RAISES), document)

    assert assessment.decision == ESCALATE
    [error] = [f for f in assessment.findings if f.rule_id == "HRDD-CORE-001"]
    assert error.plugin == "acme"
    assert error.outcome == hrdd.Outcome.ERROR
    assert "acme" in error.message
    assert "screening service unreachable" in error.message
    assert assessment.findings[0] is error  # the error decided
    # the other plugin's findings are still there
    assert "HRDD-CAP-001" in assessment.rule_ids
    report = assessment.to_dict()
    assert [(e["plugin"], e["rule_id"]) for e in report["errors"]] == [("acme", "HRDD-CORE-001")]
    assert {
        "plugin": "acme",
        "hook": "hrdd_check_end_user",
        "subject": None,
        "outcome": "error",
        "findings": 1,
    } in report["checks"]
    assert schema_errors(report_validator, assessment) == []


def test_on_error_do_not_proceed_refuses_when_a_check_raises(acme_policy, example_transaction):
    policy = acme_policy(RAISES, policy_table='on-error = "do_not_proceed"')
    assessment = assess_with(policy, example_transaction("thermal-cameras-private-port"))
    assert assessment.decision == DO_NOT_PROCEED
    assert assessment.findings[0].rule_id == "HRDD-CORE-001"
    assert "HRDD-CAP-001" in assessment.rule_ids


def test_a_check_item_that_raises_gives_one_error_per_item(acme_policy, example_transaction):
    document = example_transaction("bodycams-municipal-police")
    assessment = assess_with(acme_policy(RAISES_ON_ITEMS), document)
    errors = [f for f in assessment.findings if f.rule_id == "HRDD-CORE-001"]
    assert sorted(f.subject for f in errors) == ["items[0]", "items[1]"]
    assert all(f.plugin == "acme" and "KeyError" in f.message for f in errors)
    assert assessment.decision == ESCALATE


def test_a_profile_hook_that_raises_is_an_error_too(acme_policy, example_transaction):
    document = example_transaction("thermal-cameras-private-port")
    assessment = assess_with(acme_policy(RAISES_IN_PROFILE), document)
    assert assessment.decision == ESCALATE
    [error] = [f for f in assessment.findings if f.rule_id == "HRDD-CORE-001"]
    assert error.plugin == "acme"
    assert "hrdd_item_profile" in error.message


@pytest.mark.parametrize("kind", sorted(GARBAGE_RESULTS))
def test_a_check_that_returns_garbage_is_an_error(kind, acme_policy, example_transaction, report_validator):
    policy = acme_policy(garbage(GARBAGE_RESULTS[kind]))
    assessment = assess_with(policy, example_transaction("thermal-cameras-private-port"))
    assert assessment.decision == ESCALATE
    [error] = [f for f in assessment.findings if f.rule_id == "HRDD-CORE-002"]
    assert error.plugin == "acme"
    assert error.outcome == hrdd.Outcome.ERROR
    assert "acme" in error.message and "hrdd_check_end_user" in error.message
    assert "HRDD-CAP-001" in assessment.rule_ids
    assert schema_errors(report_validator, assessment) == []


@pytest.mark.parametrize("enforcement", ["advisory", "mandatory", "hard"])
def test_a_policy_whose_plugins_check_nothing_never_proceeds(
    enforcement, acme_policy, minimal_transaction, report_validator
):
    policy = acme_policy(NO_CHECKS, extends=None, plugin_table=f'enforcement = "{enforcement}"')
    engine = hrdd.Engine.from_policy(policy)
    assert [p.name for p in engine.plugins.plugins] == ["acme"]
    assessment = engine.assess(minimal_transaction())
    assert assessment.rule_ids == ("HRDD-CORE-003",)
    assert assessment.decision == ESCALATE
    assert assessment.findings[0].outcome == hrdd.Outcome.ERROR
    assert "acme-export-policy" in assessment.findings[0].message
    assert schema_errors(report_validator, assessment) == []


def test_nothing_checked_under_on_error_do_not_proceed_refuses(acme_policy, minimal_transaction):
    policy = acme_policy(NO_CHECKS, extends=None, policy_table='on-error = "do_not_proceed"')
    assessment = assess_with(policy, minimal_transaction())
    assert assessment.decision == DO_NOT_PROCEED
    assert "HRDD-CORE-003" in assessment.rule_ids


def test_when_every_check_fails_nothing_was_checked(acme_policy, minimal_transaction):
    policy = acme_policy(RAISES, extends=None)
    assessment = assess_with(policy, minimal_transaction())
    assert {"HRDD-CORE-001", "HRDD-CORE-003"} <= set(assessment.rule_ids)
    assert assessment.decision == ESCALATE


# --------------------------------------------------------------------------------------
# Enforcement levels
# --------------------------------------------------------------------------------------


def effective(assessment: hrdd.Assessment, rule_id: str) -> tuple[str, str]:
    [finding] = [f for f in assessment.findings if f.rule_id == rule_id]
    return finding.decisive_outcome.value, finding.enforcement.value


def test_advisory_findings_are_reported_but_never_change_the_decision(
    acme_policy, capability_engine, example_transaction, report_validator
):
    document = example_transaction("thermal-cameras-private-port")
    alone = capability_engine.assess(document)
    policy = acme_policy(FLAGS, plugin_table='enforcement = "advisory"')
    assessment = assess_with(policy, document)

    assert assessment.decision == alone.decision == PROCEED
    assert effective(assessment, "ACME-001") == ("info", "advisory")
    assert effective(assessment, "ACME-002") == ("info", "advisory")
    [finding] = [f for f in assessment.findings if f.rule_id == "ACME-001"]
    assert finding.outcome == hrdd.Outcome.ESCALATE  # what the check said stays visible
    assert assessment.risk == alone.risk
    assert assessment.required_safeguards == alone.required_safeguards
    assert schema_errors(report_validator, assessment) == []


@pytest.mark.parametrize("enforcement", ["mandatory", "hard"])
def test_mandatory_and_hard_findings_decide(enforcement, acme_policy, example_transaction):
    policy = acme_policy(FLAGS, plugin_table=f'enforcement = "{enforcement}"')
    assessment = assess_with(policy, example_transaction("thermal-cameras-private-port"))
    assert assessment.decision == ESCALATE
    assert effective(assessment, "ACME-001") == ("escalate", enforcement)
    assert effective(assessment, "ACME-002") == ("safeguards_required", enforcement)
    assert assessment.reason.startswith("ACME-001")
    safeguards = {s.safeguard: s.rules for s in assessment.required_safeguards}
    assert safeguards["Obtain an Acme end-use certificate."] == ("ACME-002",)


def test_rule_enforcement_makes_one_rule_of_an_advisory_plugin_count(acme_policy, example_transaction):
    policy = acme_policy(
        FLAGS,
        plugin_table='enforcement = "advisory"\n[plugins.acme.rule-enforcement]\nACME-002 = "hard"',
    )
    assessment = assess_with(policy, example_transaction("thermal-cameras-private-port"))
    assert effective(assessment, "ACME-001") == ("info", "advisory")
    assert effective(assessment, "ACME-002") == ("safeguards_required", "hard")
    assert assessment.decision == SAFEGUARDS


def test_rule_enforcement_makes_one_rule_of_a_mandatory_plugin_advisory(acme_policy, example_transaction):
    policy = acme_policy(FLAGS, plugin_table='[plugins.acme.rule-enforcement]\nACME-001 = "advisory"')
    assessment = assess_with(policy, example_transaction("thermal-cameras-private-port"))
    assert effective(assessment, "ACME-001") == ("info", "advisory")
    assert effective(assessment, "ACME-002") == ("safeguards_required", "mandatory")
    assert assessment.decision == SAFEGUARDS


def test_enforcement_applies_to_installed_plugins_too(
    write_policy, capability_only_policy, capability_engine, example_transaction
):
    document = example_transaction("traffic-cameras-face-matching")
    assert capability_engine.assess(document).decision == DO_NOT_PROCEED
    advisory = write_policy(
        f"""
        [policy]
        name = "advisory-capabilities"
        extends = {json.dumps(str(capability_only_policy))}

        [plugins.hrdd-item-capability]
        enforcement = "advisory"
        """,
        name="advisory.toml",
    )
    refusing = write_policy(
        """
        [policy]
        name = "advisory-except-protected-attributes"
        extends = "advisory.toml"

        [plugins.hrdd-item-capability.rule-enforcement]
        HRDD-CAP-003 = "hard"
        """
    )
    assert assess_with(advisory, document).decision == PROCEED
    assessment = assess_with(refusing, document)
    assert assessment.decision == DO_NOT_PROCEED
    assert effective(assessment, "HRDD-CAP-003") == ("do_not_proceed", "hard")
    assert {f.decisive_outcome.value for f in assessment.findings if f.rule_id != "HRDD-CAP-003"} <= {
        "info",
        "pass",
    }


@pytest.mark.parametrize(
    "source",
    [RAISES, ERROR_FINDING, garbage('"nonsense"')],
    ids=["raises", "returns-error-finding", "returns-garbage"],
)
def test_errors_of_an_advisory_plugin_still_count(source, acme_policy, example_transaction):
    policy = acme_policy(source, plugin_table='enforcement = "advisory"')
    assessment = assess_with(policy, example_transaction("thermal-cameras-private-port"))
    assert assessment.decision == ESCALATE
    [error] = [f for f in assessment.findings if f.plugin == "acme"]
    assert error.decisive_outcome == hrdd.Outcome.ERROR
    assert error.enforcement == hrdd.Enforcement.HARD


# --------------------------------------------------------------------------------------
# Plugins that configure themselves, load data and render
# --------------------------------------------------------------------------------------

WATCHLIST_EXTENSION = (
    PLUGIN_INFO.replace(
        "return PluginInfo(",
        """return PluginInfo(config_schema={
        "watchlist": {"type": "string", "required": True},
        "extra": {"type": "list", "schema": {"type": "string"}, "default": []},
    },
    """,
    )
    + """

from hrdd import PluginSetup, load_data_file


@hookimpl
def hrdd_configure(config, policy_dir):
    data, dataset = load_data_file(policy_dir / config["watchlist"])
    names = data["names"]
    names.extend(config["extra"])  # the policy's own additions to the shipped list
    return PluginSetup(data=[dataset], state=names)


@hookimpl
def hrdd_check_end_user(transaction, context):
    listed = transaction.end_user.name in context.state
    return [Finding(rule_id="ACME-001", outcome="escalate" if listed else "pass",
                    severity="high" if listed else "none",
                    message="watchlist: " + ", ".join(context.state))]
"""
)

WATCHLIST = """\
names = ["Globex Surveillance Ltd"]

[meta]
name = "acme-watchlist"
version = "2026.11"
source = "Acme compliance team"
date = 2026-11-01
licence = "proprietary"
"""


def watchlist_policy(write_policy, tmp_path, base: Path, config: str, name: str = "policy.toml") -> Path:
    """The watchlist extension configured by ``config``, on top of the policy ``base``."""
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "watchlist.toml").write_text(WATCHLIST, encoding="utf-8")
    return write_policy(
        f'[policy]\nname = "acme"\nextends = {json.dumps(str(base))}\n'
        '[plugins.acme]\npath = "acme_ext.py"\n'
        f"[plugins.acme.config]\n{config}\n",
        extensions={"acme_ext.py": WATCHLIST_EXTENSION},
        name=name,
    )


def test_hrdd_configure_loads_data_that_checks_use_and_provenance_names(
    write_policy, tmp_path, capability_only_policy, example_transaction
):
    policy = watchlist_policy(
        write_policy, tmp_path, capability_only_policy, 'watchlist = "data/watchlist.toml"'
    )
    document = example_transaction("thermal-cameras-private-port")
    document["end_user"]["name"] = "Globex Surveillance Ltd"
    assessment = assess_with(policy, document)
    assert assessment.decision == ESCALATE
    assert effective(assessment, "ACME-001") == ("escalate", "mandatory")
    data = {d["name"]: d for d in assessment.to_dict()["provenance"]["data"]}
    assert data["acme-watchlist"] == {
        "name": "acme-watchlist",
        "version": "2026.11",
        "sha256": sha256_file(tmp_path / "data" / "watchlist.toml"),
        "source": "Acme compliance team",
        "licence": "proprietary",
        "date": "2026-11-01",
        "path": "watchlist.toml",
    }
    assert "hrdd-item-capability-taxonomy" in data


def test_missing_data_file_is_a_policy_error_naming_it(write_policy, tmp_path, capability_only_policy):
    policy = watchlist_policy(
        write_policy, tmp_path, capability_only_policy, 'watchlist = "data/missing.toml"'
    )
    with pytest.raises(hrdd.PolicyError) as excinfo:
        hrdd.Engine.from_policy(policy)
    [problem] = excinfo.value.problems
    assert problem.source.endswith("missing.toml")
    assert "not found" in problem.message


def test_data_file_without_provenance_is_refused(write_policy, tmp_path, capability_only_policy):
    policy = watchlist_policy(
        write_policy, tmp_path, capability_only_policy, 'watchlist = "data/watchlist.toml"'
    )
    (tmp_path / "data" / "watchlist.toml").write_text(
        WATCHLIST.replace('licence = "proprietary"', "").replace('version = "2026.11"', ""),
        encoding="utf-8",
    )
    with pytest.raises(hrdd.PolicyError) as excinfo:
        hrdd.Engine.from_policy(policy)
    assert sorted(p.path for p in excinfo.value.problems) == ["$.meta.licence", "$.meta.version"]


def test_required_plugin_config_is_enforced(write_policy, tmp_path, capability_only_policy):
    policy = watchlist_policy(write_policy, tmp_path, capability_only_policy, "")
    with pytest.raises(hrdd.PolicyError) as excinfo:
        hrdd.Engine.from_policy(policy)
    [problem] = excinfo.value.problems
    assert problem.path == "$.plugins['acme'].config.watchlist"


@pytest.mark.parametrize(
    ("body", "expected"),
    [("raise OSError('licence server down')", "licence server down"), ("return {'data': []}", "PluginSetup")],
    ids=["raises", "returns-garbage"],
)
def test_hrdd_configure_failures_refuse_the_policy(acme_policy, body, expected):
    source = (
        PLUGIN_INFO
        + f"""

@hookimpl
def hrdd_configure(config, policy_dir):
    {body}
"""
    )
    with pytest.raises(hrdd.PluginLoadError) as excinfo:
        hrdd.Engine.from_policy(acme_policy(source))
    [problem] = excinfo.value.problems
    assert problem.path == "$.plugins['acme']"
    assert "acme" in problem.message and "hrdd_configure" in problem.message
    assert expected in problem.message


def test_engines_do_not_share_data_a_plugin_loaded(
    write_policy, tmp_path, capability_only_policy, minimal_transaction
):
    extended = watchlist_policy(
        write_policy,
        tmp_path,
        capability_only_policy,
        'watchlist = "data/watchlist.toml"\nextra = ["Initech Intercept"]',
        name="extended.toml",
    )
    plain = watchlist_policy(
        write_policy, tmp_path, capability_only_policy, 'watchlist = "data/watchlist.toml"'
    )
    document = minimal_transaction()
    document["end_user"]["name"] = "Initech Intercept"

    def watchlist(assessment: hrdd.Assessment) -> str:
        [finding] = [f for f in assessment.findings if f.rule_id == "ACME-001"]
        return finding.message

    assert effective(assess_with(extended, document), "ACME-001")[0] == "escalate"
    assert watchlist(assess_with(extended, document)).count("Initech") == 1  # not twice
    plain_assessment = assess_with(plain, document)
    assert "Initech" not in watchlist(plain_assessment)
    assert effective(plain_assessment, "ACME-001")[0] == "pass"


SUMMARY_RENDERER = (
    PLUGIN_INFO
    + """

@hookimpl
def hrdd_render_formats():
    return ["acme-summary"]


@hookimpl
def hrdd_render(assessment, format):
    if format != "acme-summary":
        return None
    return f"# {assessment.transaction_id}: {assessment.decision.value}\\n"


@hookimpl
def hrdd_report_contribution(assessment):
    return {"decision": assessment.decision.value}
"""
)


def test_a_plugin_can_add_a_report_format(acme_policy, example_transaction):
    engine = hrdd.Engine.from_policy(acme_policy(SUMMARY_RENDERER))
    assert engine.formats == ("acme-summary", "html", "json", "markdown", "text")
    assessment = engine.assess(example_transaction("drone-border-guard"))
    assert engine.render(assessment, "acme-summary") == "# TX-2026-0006: escalate\n"
    assert json.loads(engine.render(assessment, "json"))["decision"] == "escalate"
    assert engine.render(assessment, "text").startswith("TX-2026-0006: ESCALATE")
    with pytest.raises(hrdd.InputError) as excinfo:
        engine.render(assessment, "pdf")
    assert "acme-summary, html, json, markdown, text" in str(excinfo.value)


def test_a_report_contribution_hook_is_accepted_and_answers(acme_policy, example_transaction):
    engine = hrdd.Engine.from_policy(acme_policy(SUMMARY_RENDERER))
    assessment = engine.assess(example_transaction("thermal-cameras-private-port"))
    assert assessment.contributions == {"acme": {"decision": "proceed"}}
    assert assessment.to_dict()["contributions"] == {"acme": {"decision": "proceed"}}


def test_the_baseline_renders_the_built_in_formats(engine):
    assert engine.formats == ("html", "json", "markdown", "text")


# --------------------------------------------------------------------------------------
# Negative assurance
# --------------------------------------------------------------------------------------


def test_checks_list_every_check_that_ran_including_passes(acme_policy, example_transaction):
    document = example_transaction("bodycams-municipal-police")
    assessment = assess_with(acme_policy(CLEAN), document)
    checks = {(c.plugin, c.hook, c.subject): (c.outcome, c.findings) for c in assessment.checks}
    assert checks[("acme", "hrdd_check_end_user", None)] == ("pass", 0)
    assert checks[("acme", "hrdd_check_contract", None)] == ("pass", 0)
    assert checks[("acme", "hrdd_check_item", "items[0]")] == ("not_applicable", 0)
    assert checks[("acme", "hrdd_check_item", "items[1]")] == ("not_applicable", 0)
    for index in range(len(document["items"])):
        _, count = checks[(CAP, "hrdd_check_item", f"items[{index}]")]
        assert count == sum(1 for f in assessment.findings if f.subject == f"items[{index}]")
    assert (CAP, "hrdd_check_end_user", None) in checks
    assert assessment.decision == PROCEED
    assert len(assessment.to_dict()["checks"]) == len(assessment.checks)


def test_a_check_outcome_is_its_worst_finding(engine, example_transaction):
    assessment = engine.assess(example_transaction("traffic-cameras-face-matching"))
    for check in assessment.checks:
        findings = [
            f
            for f in assessment.findings
            if f.plugin == check.plugin and f.subject == check.subject and check.hook == "hrdd_check_item"
        ]
        if findings:
            worst = max(OUTCOME_RANK[f.outcome.value] for f in findings)
            assert OUTCOME_RANK[check.outcome] == worst


# --------------------------------------------------------------------------------------
# Provenance
# --------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_provenance_names_core_policy_chain_plugins_data_and_input(
    write_policy, example_transaction, tmp_path
):
    policy = extension_policy(write_policy, CLEAN, extends="baseline")
    document = example_transaction("thermal-cameras-private-port")
    provenance = assess_with(policy, document).to_dict()["provenance"]

    assert provenance["core"] == {"name": "hrdd", "version": metadata.version("hrdd")}

    baseline = ROOT / "policies" / "baseline.toml"
    assert provenance["policy"]["name"] == "acme-export-policy"
    assert provenance["policy"]["version"] == "2026.11.0"
    assert provenance["policy"]["sha256"] == sha256_file(policy)
    assert provenance["policy"]["chain"] == [
        {"source": str(policy), "sha256": sha256_file(policy)},
        {"source": "builtin:baseline", "sha256": sha256_file(baseline)},
    ]

    # the extension and every plugin the baseline enables, each once
    assert sorted(p["name"] for p in provenance["plugins"]) == sorted(["acme", *BASELINE_PLUGINS])
    plugins = {p["name"]: p for p in provenance["plugins"]}
    assert plugins["acme"] == {
        "name": "acme",
        "version": "1.2.3",
        "sha256": sha256_file(tmp_path / "acme_ext.py"),
        "source": "path:acme_ext.py",
    }
    for name in BASELINE_PLUGINS:
        assert plugins[name]["version"] == metadata.version(name), name
        assert plugins[name]["source"] == "entry-point", name
        assert SHA256.match(plugins[name]["sha256"]), name
    assert len({plugins[name]["sha256"] for name in BASELINE_PLUGINS}) == len(BASELINE_PLUGINS)

    # every data set the baseline's plugins loaded, each once, hashed as shipped
    assert sorted(d["name"] for d in provenance["data"]) == sorted(BASELINE_DATA)
    for data in provenance["data"]:
        shipped = ROOT / BASELINE_DATA[data["name"]]
        for key in ("version", "source", "licence", "date"):
            assert data[key], (data["name"], key)
        assert data["path"] == shipped.name
        assert data["sha256"] == sha256_file(shipped), data["name"]

    assert SHA256.match(provenance["input_sha256"])
    assessed_at = dt.datetime.fromisoformat(provenance["assessed_at"])
    assert assessed_at.tzinfo is not None
    assert abs(dt.datetime.now(dt.UTC) - assessed_at) < dt.timedelta(minutes=5)


def test_changing_the_extension_changes_its_sha256(acme_policy, example_transaction):
    document = example_transaction("thermal-cameras-private-port")
    before = assess_with(acme_policy(CLEAN), document)
    after = assess_with(acme_policy(CLEAN + "\n# edited\n"), document)
    old, new = ({p.name: p.sha256 for p in a.provenance.plugins} for a in (before, after))
    assert old["acme"] != new["acme"]
    assert old[CAP] == new[CAP]


def test_plugin_sha256_covers_every_module_of_its_package(tmp_path):
    from hrdd.plugins import distribution_sha256

    package = tmp_path / "acme_plugin"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text("from acme_plugin.rules import RULES\n")
    (package / "rules.py").write_text("RULES = ('ACME-001',)\n")
    entry_module = types.ModuleType("acme_plugin.plugin")
    entry_module.__file__ = str(package / "plugin.py")
    distribution = types.SimpleNamespace(files=[])

    before = distribution_sha256(distribution, [entry_module])  # type: ignore[arg-type]
    (package / "rules.py").write_text("RULES = ()\n")  # the plugin's behaviour changed
    assert distribution_sha256(distribution, [entry_module]) != before  # type: ignore[arg-type]


def reorder(value: Any) -> Any:
    """The same document with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {key: reorder(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reorder(item) for item in value]
    return value


def test_input_sha256_ignores_key_order_but_not_content(engine, example_transaction):
    document = example_transaction("traffic-cameras-face-matching")
    shuffled = reorder(document)
    assert list(shuffled) != list(document)
    digest = engine.assess(document).provenance.input_sha256
    assert engine.assess(shuffled).provenance.input_sha256 == digest
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert digest == hashlib.sha256(canonical.encode()).hexdigest()
    document["items"][0]["quantity"] += 1
    assert engine.assess(document).provenance.input_sha256 != digest


# --------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_same_transaction_gives_the_same_report(path, engine):
    first = engine.assess_file(path).to_dict()
    second = engine.assess_file(path).to_dict()
    third = hrdd.Engine.from_policy("baseline").assess_file(path).to_dict()
    assert without_time(first) == without_time(second) == without_time(third)


def test_assessing_other_transactions_in_between_changes_nothing(engine, example_transaction):
    names = [p.stem for p in EXAMPLES if p.suffix == ".json"]
    documents = {name: example_transaction(name) for name in names}
    alone = {
        n: without_time(hrdd.Engine.from_policy("baseline").assess(d).to_dict()) for n, d in documents.items()
    }
    for name in [*documents, *reversed(documents)]:
        assert without_time(engine.assess(documents[name]).to_dict()) == alone[name], name


TWIN = (
    PLUGIN_INFO
    + """

@hookimpl
def hrdd_check_item(item, transaction, context):
    return [Finding(rule_id="ACME-001", outcome="escalate", severity="high",
                    message="Acme needs to review every item.")]

@hookimpl
def hrdd_check_end_user(transaction, context):
    return [Finding(rule_id="ACME-002", outcome="escalate", severity="high",
                    message="Acme needs to review every end user.")]
"""
)


def twin_policy(write_policy, first: str, second: str, name: str) -> Path:
    tables = "\n".join(f'[plugins.{ext}]\npath = "{ext}.py"\n' for ext in (first, second))
    return write_policy(
        f'[policy]\nname = "twins"\nextends = "baseline"\n\n{tables}',
        extensions={"a-ext.py": TWIN, "z-ext.py": TWIN},
        name=name,
    )


def test_findings_order_does_not_depend_on_plugin_order(write_policy, example_transaction):
    document = example_transaction("bodycams-municipal-police")
    forward = assess_with(twin_policy(write_policy, "a-ext", "z-ext", "forward.toml"), document)
    backward = assess_with(twin_policy(write_policy, "z-ext", "a-ext", "backward.toml"), document)

    def order(assessment: hrdd.Assessment) -> list[tuple[str | None, ...]]:
        return [(f.rule_id, f.plugin, f.subject) for f in assessment.findings]

    assert order(forward) == order(backward)
    assert [c.to_dict() for c in forward.checks] == [c.to_dict() for c in backward.checks]
    # ties are broken by a documented key, not by who registered first
    acme = [(rule, plugin) for rule, plugin, _ in order(forward) if rule.startswith("ACME")]
    assert acme[:2] == [("ACME-001", "a-ext"), ("ACME-001", "z-ext")]
    assert forward.reason == backward.reason


# --------------------------------------------------------------------------------------
# Input formats and invalid input
# --------------------------------------------------------------------------------------


def to_toml(document: dict[str, Any]) -> str:
    """A TOML twin of a JSON transaction: tables inline, ``date`` fields as TOML dates."""

    def value(key: str, item: Any) -> str:
        if isinstance(item, dict):
            return (
                "{"
                + ", ".join(f"{json.dumps(k)} = {value(k, v)}" for k, v in item.items() if v is not None)
                + "}"
            )
        if isinstance(item, list):
            return "[" + ", ".join(value(key, v) for v in item) + "]"
        if isinstance(item, bool):
            return "true" if item else "false"
        if key == "date" and isinstance(item, str):
            return item  # a TOML local date
        return json.dumps(item, ensure_ascii=False)

    return "\n".join(f"{json.dumps(k)} = {value(k, v)}" for k, v in document.items() if v is not None) + "\n"


@pytest.mark.parametrize(
    "name", ["traffic-cameras-face-matching", "thermal-cameras-private-port", "brand-monitoring-analytics"]
)
def test_a_toml_transaction_means_what_its_json_twin_means(name, engine, tmp_path):
    json_path = EXAMPLES_DIR / f"{name}.json"
    document = json.loads(json_path.read_text(encoding="utf-8"))
    if "sole_end_user" in document["end_user"] and document["end_user"]["sole_end_user"] is None:
        del document["end_user"]["sole_end_user"]  # TOML has no null; absent means the same
        json_path = tmp_path / f"{name}.json"
        json_path.write_text(json.dumps(document), encoding="utf-8")
    toml_path = tmp_path / f"{name}.toml"
    toml_path.write_text(to_toml(document), encoding="utf-8")

    from_json = engine.assess_file(json_path)
    from_toml = engine.assess_file(toml_path)
    assert from_toml.decision == from_json.decision
    assert from_toml.rule_ids == from_json.rule_ids
    assert without_time(from_toml.to_dict()) == without_time(from_json.to_dict())


def test_an_invalid_transaction_reports_every_problem_together(engine, minimal_transaction):
    document = minimal_transaction(kind="sale")
    del document["id"]
    document["items"][0]["quantity"] = "ten"
    document["end_user"]["country"] = "XX"
    with pytest.raises(TransactionError) as excinfo:
        engine.assess(document)
    problems = {p.path: p.message for p in excinfo.value.problems}
    assert {p.source for p in excinfo.value.problems} == {"<input>"}
    assert set(problems) == {"$", "$.kind", "$.items[0].quantity", "$.end_user.country"}
    assert "'id'" in problems["$"]
    assert '"sale"' in problems["$.kind"] and "new_sale" in problems["$.kind"]
    assert '"ten"' in problems["$.items[0].quantity"] and "integer" in problems["$.items[0].quantity"]
    assert '"XX"' in problems["$.end_user.country"]


def test_an_invalid_transaction_file_names_the_file(engine, minimal_transaction, tmp_path):
    path = tmp_path / "tx.json"
    path.write_text(json.dumps(minimal_transaction(kind="sale")), encoding="utf-8")
    with pytest.raises(TransactionError) as excinfo:
        engine.assess_file(path)
    [problem] = excinfo.value.problems
    assert (problem.source, problem.path) == (str(path), "$.kind")


PROFILE_PROBE = (
    PLUGIN_INFO
    + """

@hookimpl
def hrdd_check_item(item, transaction, context):
    return [Finding(rule_id="ACME-001", outcome="info", severity="none",
                    message=f"profile of {item.name}",
                    evidence={"capabilities": sorted(context.profile(item).capabilities)})]
"""
)


def test_items_sharing_an_id_do_not_share_capabilities(acme_policy, minimal_transaction):
    document = minimal_transaction(
        items=[
            {"id": "X", "name": "Thermal camera", "categories": ["thermal_imaging"]},
            {
                "id": "X",
                "name": "Phone implant",
                "categories": ["spyware"],
                "capabilities": ["device_exploitation", "content_interception"],
            },
        ]
    )
    engine = hrdd.Engine.from_policy(acme_policy(PROFILE_PROBE))
    try:
        assessment = engine.assess(document)
    except TransactionError as refusal:  # refusing duplicate ids is a correct answer too
        assert any(p.path.startswith("$.items[1]") for p in refusal.problems)
        return
    profiles = {
        f.subject: dict((e.path, e.value) for e in f.evidence)["capabilities"]
        for f in assessment.findings
        if f.rule_id == "ACME-001"
    }
    assert "device_exploitation" in profiles["items[1]"]
    assert "device_exploitation" not in profiles["items[0]"]


@pytest.mark.parametrize("document", [[], None, "TX-1", 42, {}], ids=repr)
def test_a_document_that_is_not_a_transaction_is_refused(engine, document):
    with pytest.raises(TransactionError) as excinfo:
        engine.assess(document)  # type: ignore[arg-type]
    assert excinfo.value.problems
    assert all(p.path.startswith("$") for p in excinfo.value.problems)


def test_an_integer_beyond_64_bits_is_an_input_error_with_its_path(engine, minimal_transaction):
    document = minimal_transaction()
    document["items"][0]["quantity"] = 2**70
    with pytest.raises(TransactionError) as excinfo:
        engine.assess(document)
    assert [p.path for p in excinfo.value.problems] == ["$.items[0].quantity"]


def test_a_string_that_is_not_unicode_is_an_input_error_with_its_path(engine, minimal_transaction):
    document = minimal_transaction()
    document["end_user"]["name"] = json.loads('"Ministry \\ud800"')
    with pytest.raises(TransactionError) as excinfo:
        engine.assess(document)
    assert [p.path for p in excinfo.value.problems] == ["$.end_user.name"]


def test_changing_a_report_does_not_change_later_reports(engine, example_transaction):
    """Findings may be shared between assessments; the report a caller gets is its own."""
    document = example_transaction("brand-monitoring-analytics")
    first = engine.assess(document).to_dict()
    for finding in first["findings"]:
        for evidence in finding["evidence"]:
            if isinstance(evidence["value"], list):
                evidence["value"].append("tampered")
            if isinstance(evidence["value"], dict):
                evidence["value"]["tampered"] = True
    second = engine.assess(document).to_dict()
    assert "tampered" not in json.dumps(second)
