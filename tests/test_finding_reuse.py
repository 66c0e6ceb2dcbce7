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


# A plugin that remembers whole answers as tuples (what hrdd.memory.Memory is for): the engine
# reuses such an answer whole when it comes back, on the same subject.
TUPLE_PLUGIN = """
from hrdd import Finding, PluginInfo, PluginSetup, RuleInfo, hookimpl
from hrdd.memory import Memory


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(rules=[RuleInfo("ACME-010", "per product"), RuleInfo("ACME-011", "per customer")])


@hookimpl
def hrdd_configure(config, policy_dir):
    return PluginSetup(state={"items": Memory(), "end_users": Memory(size=2)})


@hookimpl
def hrdd_check_item(item, transaction, context):
    memory = context.state["items"]  # one answer per product name, whatever the item's place
    answer = memory.get(item.name)
    if answer is None:
        answer = memory.keep(item.name, (
            Finding(rule_id="ACME-010", outcome="safeguards_required", severity="medium",
                    message=f"{item.name} needs a licence check"),
        ))
    return answer


@hookimpl
def hrdd_check_end_user(transaction, context):
    memory = context.state["end_users"]
    name = transaction.end_user.name
    answer = memory.get(name)
    if answer is None:
        answer = memory.keep(name, (
            Finding(rule_id="ACME-011", outcome="escalate", severity="high",
                    message=f"{name} is a new customer", subject="end_user"),
            Finding(rule_id="ACME-011", outcome="info", severity="none",
                    message=f"{name} was asked for references", subject="end_user"),
        ))
    return answer
"""


@pytest.fixture
def tuple_policy(write_policy, capability_only_policy) -> Path:
    return write_policy(
        f"""
        [policy]
        name = "answers"
        extends = "{capability_only_policy}"
        waivers = ["waivers.toml"]

        [plugins.acme]
        path = "acme_answers.py"
        """,
        extensions={
            "acme_answers.py": TUPLE_PLUGIN,
            "waivers.toml": """
            [[waivers]]
            id = "W-1"
            rule = "ACME-011"
            scope = { transaction = "TX-2" }
            justification = "References checked by phone."
            approver = "Head of Compliance"
            granted = 2026-01-01
            expires = 2099-12-31
            """,
        },
    )


def deal(
    serial: int, customer: str = "Example End User", items: tuple[str, ...] = ("Widget", "Gadget")
) -> dict:
    return {
        "id": f"TX-{serial}",
        "items": [
            {
                "id": f"I-{n}",
                "name": name,
                "categories": ["other"],
                "description": "Indoor dome camera, no analytics.",
            }
            for n, name in enumerate(items, 1)
        ],
        "end_user": {"name": customer, "country": "NL"},
    }


def report_of(assessment: hrdd.Assessment) -> dict[str, Any]:
    report = assessment.to_dict()
    report["provenance"]["assessed_at"] = report["provenance"]["as_of"] = ""
    return report


def test_a_remembered_answer_is_reported_alike_every_time_and_on_each_subject(tuple_policy):
    engine = hrdd.Engine.from_policy(tuple_policy)
    first, again = engine.assess(deal(1)), engine.assess(deal(3))
    swapped = engine.assess(deal(4, items=("Gadget", "Widget")))  # the same answers, other places
    for assessment in (first, again, swapped):
        acme_findings = [f for f in assessment.findings if f.plugin == "acme"]
        assert sorted((f.rule_id, f.subject, f.outcome.value) for f in acme_findings) == [
            ("ACME-010", "items[0]", "safeguards_required"),
            ("ACME-010", "items[1]", "safeguards_required"),
            ("ACME-011", "end_user", "escalate"),
            ("ACME-011", "end_user", "info"),
        ]
        assert assessment.decision == "escalate"
    by_subject = {f.subject: f.message for f in swapped.findings if f.rule_id == "ACME-010"}
    assert by_subject == {
        "items[0]": "Gadget needs a licence check",
        "items[1]": "Widget needs a licence check",
    }
    # what the plugin keeps is never changed by the engine
    state = engine.plugins.by_name["acme"].state
    kept = [f for answer in (*state["items"].values(), *state["end_users"].values()) for f in answer]
    assert kept and all(f.plugin == "" and f.effective_outcome is None for f in kept)
    # the reports equal those of engines that see each deal first
    for assessment, serial, items in ((again, 3, ("Widget", "Gadget")), (swapped, 4, ("Gadget", "Widget"))):
        fresh = hrdd.Engine.from_policy(tuple_policy).assess(deal(serial, items=items))
        assert report_of(assessment) == report_of(fresh)
    assert [(c.plugin, c.hook, c.subject, c.outcome, c.findings) for c in again.checks] == [
        (c.plugin, c.hook, c.subject, c.outcome, c.findings) for c in first.checks
    ]


def test_a_waiver_still_applies_deal_by_deal_to_a_remembered_answer(tuple_policy):
    engine = hrdd.Engine.from_policy(tuple_policy)
    before, waived, after = (engine.assess(deal(n)) for n in (1, 2, 3))
    for assessment in (before, after):
        assert assessment.decision == "escalate" and not assessment.waived
    assert {f.rule_id for f in waived.waived} == {"ACME-011"}
    assert "ACME-011" not in {f.rule_id for f in waived.findings}
    assert waived.decision == "proceed_with_safeguards"


def test_answers_forgotten_by_the_plugin_are_reported_right_when_built_again(tuple_policy):
    """The plugin's memory of end users holds two: a third customer makes it forget, and the
    answers built again are new tuples, reported like the first ones."""
    engine = hrdd.Engine.from_policy(tuple_policy)
    customers = ["Alpha Ltd", "Beta Ltd", "Gamma Ltd", "Alpha Ltd", "Beta Ltd", "Gamma Ltd", "Alpha Ltd"]
    for serial, customer in enumerate(customers, 10):
        assessment = engine.assess(deal(serial, customer=customer))
        messages = sorted(f.message for f in assessment.findings if f.rule_id == "ACME-011")
        assert messages == [f"{customer} is a new customer", f"{customer} was asked for references"]
        fresh = hrdd.Engine.from_policy(tuple_policy).assess(deal(serial, customer=customer))
        assert report_of(assessment) == report_of(fresh)


def test_a_memory_forgets_its_older_half_when_full():
    from hrdd.memory import Memory

    memory: Memory[str, int] = Memory(size=4)
    assert memory.keep("a", 1) == 1 and memory.keep("b", 2) == 2
    memory.keep("c", 3)
    memory.keep("d", 4)
    memory.keep("e", 5)  # full: a and b, kept longest ago, are forgotten
    assert dict(memory) == {"c": 3, "d": 4, "e": 5} and memory.get("a") is None
    memory.keep("a", 1)  # built again, it is among the newer values
    memory.keep("f", 6)
    assert dict(memory) == {"e": 5, "a": 1, "f": 6}
    for n in range(1000):
        memory.keep(str(n), n)
        assert len(memory) <= 4
    single: Memory[str, int] = Memory(size=1)
    single.keep("a", 1)
    single.keep("b", 2)
    assert dict(single) == {"b": 2}
    with pytest.raises(ValueError, match="at least one"):
        Memory(size=0)


def test_a_memory_keeps_a_recurring_value_from_the_second_time_its_key_comes():
    from hrdd.memory import Memory

    memory: Memory[tuple[str, ...], str] = Memory(size=4)
    assert memory.keep_recurring(("a", "b"), "first") == "first" and ("a", "b") not in memory
    assert memory.keep_recurring(("a", "b"), "second") == "second"
    assert memory[("a", "b")] == "second"
    assert memory.keep_recurring(("c",), "other") == "other" and ("c",) not in memory
    # the marks of keys seen once are bounded too
    for n in range(100):
        memory.keep_recurring((str(n),), "x")
    assert len(memory._seen) <= 16 and len(memory) <= 4


def test_the_reference_day_tells_a_dated_deal_from_an_undated_one_on_the_same_day():
    """What data-age checks measure against, and key their memories by: a deal dated D and an
    undated deal assessed on D are the same day but not the same reference."""
    import datetime as dt

    from hrdd.context import CheckContext, SharedFacts

    day = dt.date(2026, 12, 1)
    context = CheckContext("p", {}, Path("."), SharedFacts(), as_of=day)
    dated = hrdd.Transaction.from_dict(
        {"id": "T", "date": "2026-12-01", "items": [], "end_user": {"name": "E", "country": "NL"}}
    )
    undated = hrdd.Transaction.from_dict({"id": "T", "items": [], "end_user": {"name": "E", "country": "NL"}})
    on_date, today = context.reference(dated), context.reference(undated)
    assert on_date.date == today.date == day and on_date != today and len({on_date, today}) == 2
    assert on_date.against() == "the transaction date 2026-12-01" and today.against() == "today"
    assert on_date.against(with_date=False) == "the transaction date"
    assert on_date.days_since(dt.date(2025, 12, 1)) == 365


def test_the_engine_drops_the_whole_answers_a_plugin_has_forgotten():
    """The engine remembers a plugin's whole answers by identity, holding each; an answer only
    the engine still holds can never come back, so it is let go at the next sweep (a quarter
    of the bound's insertions), while the answers the plugin keeps stay."""
    import weakref

    from hrdd.engine import _HELD_ALONE, _Answers

    if not _HELD_ALONE:
        pytest.skip("this interpreter's reference counts are not exact")

    class Finding:  # what an answer holds, and a way to see it freed
        pass

    answers = _Answers(16)
    kept = [(Finding(),) for _ in range(3)]  # the plugin still holds these
    forgotten = [(Finding(),) for _ in range(3)]
    for answer in kept + forgotten:
        answers.keep(id(answer), (answer, None, (), None))  # type: ignore[arg-type]
    freed = [weakref.ref(answer[0]) for answer in forgotten]
    del forgotten, answer
    assert all(ref() is not None for ref in freed)  # the engine's entries still hold them
    for _ in range(4):  # the sweep comes within a quarter of the bound's insertions
        fresh = (Finding(),)
        kept.append(fresh)
        answers.keep(id(fresh), (fresh, None, (), None))  # type: ignore[arg-type]
    assert all(ref() is None for ref in freed)
    assert all(answers[id(answer)][0] is answer for answer in kept)
