"""What the core demands of a plugin, and what a plugin author sees when a plugin breaks it."""

from __future__ import annotations

from typing import Any

import pytest

import hrdd

POLICY = """
[policy]
name = "contract"
version = "1"

[plugins.ext]
path = "ext.py"
"""

HEADER = """
from hrdd import Finding, PluginInfo, RuleInfo, hookimpl

RULES = (RuleInfo("EXT-001", "an example rule", ("draft-2019:consideration-5",)),)

@hookimpl
def hrdd_plugin_info():
    return PluginInfo(clauses=("draft-2019:consideration-5",), rules=RULES)
"""


def finding(rule_id: str = "EXT-001", outcome: str = "escalate") -> str:
    return f'Finding(rule_id="{rule_id}", outcome="{outcome}", severity="high", message="m")'


def engine_with(write_policy: Any, body: str, policy: str = POLICY) -> hrdd.Engine:
    return hrdd.Engine.from_policy(write_policy(policy, {"ext.py": HEADER + body}))


def rule_ids(assessment: hrdd.Assessment) -> set[str]:
    return {f.rule_id for f in assessment.findings}


def test_a_hook_argument_with_a_default_is_refused_at_load(write_policy: Any) -> None:
    body = f"""
@hookimpl
def hrdd_check_end_user(transaction, context=None):
    return [{finding()}]
"""
    with pytest.raises(hrdd.PolicyError) as raised:
        engine_with(write_policy, body)
    message = str(raised.value)
    assert "hrdd_check_end_user" in message and "context" in message and "default" in message


def test_a_wrapper_on_a_check_hook_is_refused_at_load(write_policy: Any) -> None:
    body = """
@hookimpl(wrapper=True)
def hrdd_check_end_user(transaction, context):
    return (yield)
"""
    with pytest.raises(hrdd.PolicyError, match="wrapper"):
        engine_with(write_policy, body)


def test_a_finding_with_an_undeclared_rule_id_is_an_error_not_a_finding(
    write_policy: Any, minimal_transaction: Any
) -> None:
    body = f"""
@hookimpl
def hrdd_check_end_user(transaction, context):
    return [{finding("EXT-999")}]
"""
    assessment = engine_with(write_policy, body).assess(minimal_transaction())
    # the only check failed, so nothing was examined either
    assert rule_ids(assessment) == {"HRDD-CORE-002", "HRDD-CORE-003"}
    [error] = [f for f in assessment.findings if f.rule_id == "HRDD-CORE-002"]
    assert "EXT-999" in error.message and error.plugin == "ext"
    assert assessment.decision == "escalate"


def test_a_malformed_rule_id_fails_the_check_closed(write_policy: Any, minimal_transaction: Any) -> None:
    body = f"""
@hookimpl
def hrdd_check_end_user(transaction, context):
    return [{finding("lower-case")}]
"""
    assessment = engine_with(write_policy, body).assess(minimal_transaction())
    assert rule_ids(assessment) == {"HRDD-CORE-002", "HRDD-CORE-003"}
    assert assessment.decision == "escalate"


def test_a_malformed_rule_id_in_the_declaration_is_refused_at_load(write_policy: Any) -> None:
    body = """
@hookimpl
def hrdd_check_end_user(transaction, context):
    return []
"""
    policy = write_policy(POLICY, {"ext.py": HEADER.replace('RuleInfo("EXT-001"', 'RuleInfo("ext 1"') + body})
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(policy)
    [problem] = raised.value.problems
    assert problem.source.endswith("ext.py")
    assert "rule id 'ext 1' must be capital letters and digits" in problem.message


def test_nothing_examined_when_every_check_says_not_applicable(
    write_policy: Any, minimal_transaction: Any
) -> None:
    body = """
@hookimpl
def hrdd_check_end_user(transaction, context):
    return None

@hookimpl
def hrdd_check_contract(transaction, context):
    return None
"""
    assessment = engine_with(write_policy, body).assess(minimal_transaction())
    assert "HRDD-CORE-003" in rule_ids(assessment)
    assert assessment.decision != "proceed"
    assert {c.outcome for c in assessment.checks} == {"not_applicable"}


def test_an_advisory_check_is_listed_with_its_effective_outcome(
    write_policy: Any, minimal_transaction: Any
) -> None:
    body = f"""
@hookimpl
def hrdd_check_end_user(transaction, context):
    return [{finding()}]
"""
    policy = POLICY + 'enforcement = "advisory"\n'
    assessment = engine_with(write_policy, body, policy).assess(minimal_transaction())
    assert assessment.decision == "proceed"
    [check] = [c for c in assessment.checks if c.plugin == "ext"]
    assert check.outcome == "info"
    # reported, scored as no more than a low-severity finding
    assert assessment.findings[0].outcome == "escalate"
    assert assessment.risk.score <= 15 and assessment.risk.level == "low"


def test_configure_may_take_only_the_arguments_it_needs(write_policy: Any, minimal_transaction: Any) -> None:
    body = f"""
from hrdd import PluginSetup

@hookimpl
def hrdd_configure(policy_dir):
    return PluginSetup(state=str(policy_dir))

@hookimpl
def hrdd_check_end_user(transaction, context):
    assert context.state == str(context.policy_dir)
    return [{finding(outcome="info")}]
"""
    assessment = engine_with(write_policy, body).assess(minimal_transaction())
    assert rule_ids(assessment) == {"EXT-001"}


def test_report_contributions_are_collected_per_plugin_and_failures_named(
    write_policy: Any, minimal_transaction: Any
) -> None:
    body = """
@hookimpl
def hrdd_check_end_user(transaction, context):
    return []

@hookimpl
def hrdd_report_contribution(assessment, transaction):
    if assessment.transaction_id == "boom":
        raise RuntimeError("cannot summarise")
    return {"decision": assessment.decision.value, "country": transaction.end_user.country}
"""
    engine = engine_with(write_policy, body)
    assessment = engine.assess(minimal_transaction())
    country = assessment.to_dict()["contributions"]["ext"]["country"]
    assert engine.report_contributions(assessment) == {"ext": {"decision": "proceed", "country": country}}
    # stored in the report, so an aggregate report can be built from stored reports alone
    assert assessment.to_dict()["contributions"] == {"ext": {"decision": "proceed", "country": country}}
    failed = engine.assess(minimal_transaction(id="boom"))
    assert "ext" not in failed.contributions
    assert failed.contributions["errors"] == [
        "ext: hrdd_report_contribution raised RuntimeError: cannot summarise"
    ]
    assert failed.decision == "proceed"  # a failed contribution is named, it does not change the decision


def test_two_renderers_for_one_format_are_refused(write_policy: Any) -> None:
    body = """
@hookimpl
def hrdd_check_end_user(transaction, context):
    return []

@hookimpl
def hrdd_render_formats():
    return ["text", "csv"]

@hookimpl
def hrdd_render(assessment, format):
    return "x" if format in ("text", "csv") else None
"""
    with pytest.raises(hrdd.PolicyError) as raised:
        engine_with(write_policy, body)
    [problem] = raised.value.problems
    assert "'text'" in problem.message and "ext" in problem.message and "hrdd.renderers" in problem.message


def test_a_company_renderer_adds_its_format(write_policy: Any, minimal_transaction: Any) -> None:
    body = """
@hookimpl
def hrdd_check_end_user(transaction, context):
    return []

@hookimpl
def hrdd_render_formats():
    return ["csv"]

@hookimpl
def hrdd_render(assessment, format):
    if format == "csv":
        return f"{assessment.transaction_id},{assessment.decision.value}\\n"
    return None
"""
    engine = engine_with(write_policy, body)
    assert engine.formats == ("csv", "html", "json", "markdown", "text")
    assessment = engine.assess(minimal_transaction())
    assert engine.render(assessment, "csv") == f"{assessment.transaction_id},proceed\n"


def test_plugins_command_lists_only_marked_hooks(capsys: pytest.CaptureFixture[str]) -> None:
    from hrdd.cli import main

    assert main(["plugins", "--json"]) == 0
    import json

    listing = json.loads(capsys.readouterr().out)
    [row] = [r for r in listing["plugins"] if r["name"] == "hrdd-item-capability"]
    assert row["hooks"] == [
        "hrdd_check_end_user",
        "hrdd_check_item",
        "hrdd_configure",
        "hrdd_item_profile",
        "hrdd_plugin_info",
    ]


FACTS_POLICY = """
[policy]
name = "facts"
version = "1"

[plugins.publisher]
path = "publisher.py"

[plugins.reader]
path = "reader.py"
"""

PUBLISHER = """
from hrdd import PluginInfo, hookimpl

@hookimpl
def hrdd_plugin_info():
    return PluginInfo(publishes=("destination.risk_tier",))

@hookimpl
def hrdd_transaction_facts(transaction, context):
    if transaction.id == "undeclared":
        return {"destination.secret": 1}
    if transaction.id == "garbage":
        return ["not", "a", "mapping"]
    return {"destination.risk_tier": "very_high" if transaction.end_user.country == "KP" else "low"}
"""

READER = (
    HEADER.replace("EXT-001", "READ-001").replace(
        "PluginInfo(clauses", 'PluginInfo(publishes=("destination.risk_tier",), clauses'
    )
    + """
@hookimpl
def hrdd_transaction_facts(transaction, context):
    if transaction.id == "conflict":
        return {"destination.risk_tier": "moderate"}
    return None

@hookimpl
def hrdd_check_end_user(transaction, context):
    tier = context.fact("destination.risk_tier")
    if tier in (None, "high", "very_high"):  # unknown is never favourable
        return [Finding(rule_id="READ-001", outcome="escalate", severity="high",
                        message=f"destination tier {tier}",
                        evidence={"destination.risk_tier": tier, "source": context.fact_source("destination.risk_tier")})]
    return []
"""
)


def facts_engine(write_policy: Any) -> hrdd.Engine:
    return hrdd.Engine.from_policy(
        write_policy(FACTS_POLICY, {"publisher.py": PUBLISHER, "reader.py": READER})
    )


def test_a_fact_one_plugin_publishes_is_weighed_by_another(
    write_policy: Any, minimal_transaction: Any
) -> None:
    engine = facts_engine(write_policy)
    clear = engine.assess(minimal_transaction())
    assert clear.decision == "proceed"
    document = minimal_transaction()
    document["end_user"]["country"] = "KP"
    flagged = engine.assess(document)
    assert flagged.decision == "escalate"
    [finding] = flagged.findings
    assert finding.rule_id == "READ-001"
    assert {e.path: e.value for e in finding.evidence} == {
        "destination.risk_tier": "very_high",
        "source": "publisher",
    }


def test_conflicting_facts_fail_closed(write_policy: Any, minimal_transaction: Any) -> None:
    assessment = facts_engine(write_policy).assess(minimal_transaction(id="conflict"))
    assert "HRDD-CORE-004" in rule_ids(assessment)
    [error] = [f for f in assessment.findings if f.rule_id == "HRDD-CORE-004"]
    assert "destination.risk_tier" in error.message and "publisher" in error.message
    assert assessment.decision == "escalate"


def test_facts_that_are_not_a_mapping_are_an_error_and_read_as_unknown(
    write_policy: Any, minimal_transaction: Any
) -> None:
    assessment = facts_engine(write_policy).assess(minimal_transaction(id="garbage"))
    assert rule_ids(assessment) == {"HRDD-CORE-002", "READ-001"}
    [read] = [f for f in assessment.findings if f.rule_id == "READ-001"]
    assert read.message == "destination tier None"


def test_a_fact_not_declared_in_publishes_is_an_error(write_policy: Any, minimal_transaction: Any) -> None:
    assessment = facts_engine(write_policy).assess(minimal_transaction(id="undeclared"))
    [error] = [f for f in assessment.findings if f.rule_id == "HRDD-CORE-002"]
    assert "destination.secret" in error.message and error.plugin == "publisher"


CHAIN = """
from hrdd import PluginInfo, hookimpl

@hookimpl
def hrdd_plugin_info():
    return PluginInfo(publishes=({publishes!r},), reads=({reads!r},))

@hookimpl
def hrdd_transaction_facts(transaction, context):
    return {{{publishes!r}: (context.fact({reads!r}) or 0) + 1}}
"""


def chain_policy(names: list[str]) -> str:
    return '[policy]\nname = "chain"\nversion = "1"\n' + "".join(
        f'[plugins.{name}]\npath = "{name}.py"\n' for name in names
    )


def test_facts_hooks_run_after_the_plugins_whose_facts_they_read(write_policy: Any) -> None:
    # a-last reads what m-middle publishes, which reads what z-first publishes: the order of
    # names is the reverse of the order of dependencies
    modules = {
        "z-first.py": CHAIN.format(publishes="first", reads="nothing"),
        "m-middle.py": CHAIN.format(publishes="middle", reads="first"),
        "a-last.py": CHAIN.format(publishes="last", reads="middle"),
    }
    engine = hrdd.Engine.from_policy(write_policy(chain_policy(["a-last", "m-middle", "z-first"]), modules))
    assert [call.plugin for call in engine._calls["hrdd_transaction_facts"]] == [
        "z-first",
        "m-middle",
        "a-last",
    ]


def test_facts_that_depend_on_each_other_in_a_cycle_are_refused(write_policy: Any) -> None:
    modules = {
        "one.py": CHAIN.format(publishes="a", reads="b"),
        "two.py": CHAIN.format(publishes="b", reads="a"),
    }
    with pytest.raises(hrdd.PolicyError, match="cycle: one, two"):
        hrdd.Engine.from_policy(write_policy(chain_policy(["one", "two"]), modules))


def test_the_report_names_the_facts_weighed_and_who_published_them(
    write_policy: Any, minimal_transaction: Any
) -> None:
    import json
    from pathlib import Path

    import jsonschema

    document = minimal_transaction()
    document["end_user"]["country"] = "KP"
    report = facts_engine(write_policy).assess(document).to_dict()
    assert report["facts"] == {"destination.risk_tier": {"value": "very_high", "source": "publisher"}}
    schema = json.loads((Path(__file__).parents[1] / "schemas" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)


REPUBLISHER = """
from hrdd import PluginInfo, hookimpl


@hookimpl
def hrdd_plugin_info():
    # Reads the risk level, so it runs after hrdd-contract-safeguards' facts hook assessed the
    # risk from the government link it then publishes again, as an int equal to the bool.
    return PluginInfo(
        publishes=("end_user.government_linked",),
        reads=("transaction.risk_level",),
        description="test stand-in",
    )


@hookimpl
def hrdd_transaction_facts(transaction, context):
    linked = context.fact("end_user.government_linked")
    return {"end_user.government_linked": int(linked)} if isinstance(linked, bool) else {}
"""


def test_a_fact_published_again_with_an_equal_value_keeps_the_first_value_and_source(
    write_policy: Any,
) -> None:
    """A second publisher's equal value of another type (1 for True) replaces nothing: the
    fact keeps the first value and source, and what the checks weigh (hrdd-contract-safeguards
    reads the government link both in its facts hook and in its check) is what they would
    weigh without the second publisher."""
    import json
    from pathlib import Path

    baseline = Path(__file__).resolve().parents[1] / "policies" / "baseline.toml"
    example = Path(__file__).resolve().parents[1] / "policies" / "examples" / "acme" / "transactions"
    document = json.loads((example / "port-thermal-cameras.json").read_text(encoding="utf-8"))
    extended = write_policy(
        f'[policy]\nname = "republish"\nversion = "1"\nextends = {json.dumps(str(baseline))}\n'
        '[plugins.republisher]\npath = "republisher.py"\n',
        {"republisher.py": REPUBLISHER},
    )
    alone = hrdd.Engine.from_policy(baseline, lock=False).assess(document)
    both = hrdd.Engine.from_policy(extended, lock=False).assess(document)

    value, source = both.facts["end_user.government_linked"]
    assert value is alone.facts["end_user.government_linked"][0] and type(value) is bool
    assert source == alone.facts["end_user.government_linked"][1] != "republisher"
    contract = [(f.rule_id, f.message) for f in both.findings if f.plugin == "hrdd-contract-safeguards"]
    assert contract == [
        (f.rule_id, f.message) for f in alone.findings if f.plugin == "hrdd-contract-safeguards"
    ]
    assert not any(f.rule_id == "HRDD-CORE-004" for f in both.findings)
