"""Findings a plugin returns are values: the engine never changes one anybody can see.

The engine sets its fields (plugin, enforcement, effective outcome, subject) on a copy of each
finding, and remembers the copy so that a finding the plugin returns again (memoised) is
enforced once. A finding built for one answer alone, which nothing else holds, gets the
fields in place instead (no copy: nobody can see it change). These tests hold findings in
every way a plugin may (a memo, a memoised answer, a weak reference) and check that what
they hold never changes, and that reports stay the same whichever way the findings came.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

import hrdd

PLUGIN = """
import weakref

from hrdd import Finding, PluginInfo, PluginSetup, RuleInfo, hookimpl


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(rules=[RuleInfo("ACME-001", "kept"), RuleInfo("ACME-002", "fresh")])


@hookimpl
def hrdd_configure(config, policy_dir):
    return PluginSetup(state={"kept": {}, "answers": {}, "weak": []})


def _finding(rule, message, subject=None):
    return Finding(rule_id=rule, outcome="safeguards_required", severity="medium", message=message,
                   evidence={"list": [1, 2]}, remediation=f"Fix {message}.", subject=subject)


@hookimpl
def hrdd_check_item(item, transaction, context):
    kept = context.state["kept"]
    if item.name not in kept:  # memoised by item name: the same object for every such item
        kept[item.name] = _finding("ACME-001", f"kept for {item.name}")
    fresh = _finding("ACME-002", f"fresh for {item.id}")
    context.state["weak"].append(weakref.ref(fresh))  # held weakly only
    return [kept[item.name], fresh]


@hookimpl
def hrdd_check_end_user(transaction, context):
    answers = context.state["answers"]  # the very same answer (a list) for the same end user
    name = transaction.end_user.name
    if name not in answers:
        answers[name] = [_finding("ACME-002", f"answer for {name}")]
    return answers[name]


@hookimpl
def hrdd_check_contract(transaction, context):
    return [_finding("ACME-002", f"built for {transaction.id}", subject="contract")]
"""


@pytest.fixture
def engine(write_policy, capability_only_policy) -> hrdd.Engine:
    policy = write_policy(
        f"""
        [policy]
        name = "reuse"
        extends = "{capability_only_policy}"

        [plugins.acme]
        path = "acme_reuse.py"
        enforcement = "advisory"
        """,
        extensions={"acme_reuse.py": PLUGIN},
    )
    return hrdd.Engine.from_policy(policy)


def document(serial: int) -> dict[str, Any]:
    return {
        "id": f"TX-{serial}",
        "items": [{"id": "I-1", "name": "Widget"}, {"id": "I-2", "name": "Gadget"}],
        "end_user": {"name": "Example End User", "country": "NL"},
    }


def untouched(finding: hrdd.Finding) -> bool:
    return finding.plugin == "" and finding.effective_outcome is None


def acme(assessment: hrdd.Assessment) -> list[hrdd.Finding]:
    return [f for f in assessment.findings if f.plugin == "acme"]


def test_findings_a_plugin_keeps_never_change_and_are_enforced_once(engine):
    first, second = engine.assess(document(1)), engine.assess(document(2))
    state = engine.plugins.by_name["acme"].state
    held = [*state["kept"].values(), *(f for answer in state["answers"].values() for f in answer)]
    assert len(held) == 3 and all(untouched(f) for f in held)
    for assessment in (first, second):
        found = acme(assessment)
        assert len(found) == 6
        assert all(f.enforcement == "advisory" and f.effective_outcome == "info" for f in found)
        assert {f.subject for f in found} == {"items[0]", "items[1]", "contract", None}
    # the same enforced copy of each kept finding and of the memoised answer's, deal after deal
    kept = {f.message: f for f in acme(first)}
    assert all(kept[f.message] is f for f in acme(second) if not f.message.startswith(("fresh", "built")))


def test_a_finding_held_only_weakly_is_copied_not_changed(engine):
    assessment = engine.assess(document(1))
    gc.collect()
    for reference in engine.plugins.by_name["acme"].state["weak"]:
        finding = reference()
        assert finding is None or untouched(finding)
        assert all(f is not finding for f in assessment.findings)


def test_reports_are_the_same_whichever_way_findings_came(engine, write_policy, capability_only_policy):
    """A memoised finding (copied once, its copy reused), a memoised answer, a finding built
    afresh (filled in place) and one held weakly (copied) all report alike: a second engine
    sees every one of them for the first time."""
    reports = [engine.assess(document(n)).to_dict() for n in (1, 2, 1)]
    for report in reports:
        report["provenance"]["assessed_at"] = report["provenance"]["as_of"] = ""
    assert reports[0] == reports[2]
    assert reports[0]["findings"] != reports[1]["findings"]  # "built for TX-1" / "TX-2"
    again = Path(engine.policy.source)
    fresh_engine = hrdd.Engine.from_policy(again)
    report = fresh_engine.assess(document(1)).to_dict()
    report["provenance"]["assessed_at"] = report["provenance"]["as_of"] = ""
    assert report == reports[0]
