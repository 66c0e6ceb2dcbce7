"""Required safeguards: each remediation the findings that ask for one give, once, in the
findings' order, with the rules that ask for it (each once).

The engine finds what each finding asks for when it ranks the finding (once per finding a
plugin hands out again) and groups only when a remediation is asked for more than once. These
tests hold the result to the rule written out plainly, on deals that ask for a safeguard once,
twice by one rule (on two items), by two rules, or not at all (advisory, info, an error).
"""

from __future__ import annotations

from typing import Any

import pytest

import hrdd
from hrdd.model import OUTCOME_RANK

PLUGIN = """
from hrdd import Finding, PluginInfo, PluginSetup, RuleInfo, hookimpl
from hrdd.memory import Memory


@hookimpl
def hrdd_configure(config, policy_dir):
    return PluginSetup(state=Memory(size=4))  # whole answers handed out again (reused whole)


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(rules=[RuleInfo(f"ACME-00{n}", f"rule {n}") for n in range(1, 7)])


def _finding(rule, outcome, remediation, message, subject=None):
    return Finding(rule_id=rule, outcome=outcome, severity="medium", message=message,
                   remediation=remediation, subject=subject)


@hookimpl
def hrdd_check_item(item, transaction, context):
    # ACME-001 asks every item for the same licence check: one safeguard, one rule
    found = [_finding("ACME-001", "safeguards_required", "Check the licence.", f"licence for {item.name}")]
    if "own" in item.name:
        found.append(_finding("ACME-002", "escalate", f"Review {item.name} alone.", f"review {item.name}"))
    return found


@hookimpl
def hrdd_check_end_user(transaction, context):
    name = transaction.end_user.name
    answer = context.state.get(name)
    if answer is None:
        # a second rule asking for the licence check (of a known customer), or for a call
        asked = "Check the licence." if name.startswith("Example") else f"Call {name}."
        answer = context.state.keep(name, (
            _finding("ACME-003", "safeguards_required", asked, f"{name} buys again", subject="end_user"),
            # information only: asks for nothing, whatever its remediation says
            _finding("ACME-004", "info", "Note it.", f"{name} noted", subject="end_user"),
        ))
    return answer


@hookimpl
def hrdd_check_contract(transaction, context):
    if "shared" in transaction.id:
        return [
            _finding("ACME-005", "do_not_proceed", "Stop and ask legal.", "contract refused"),
            _finding("ACME-006", "safeguards_required", "Stop and ask legal.", "contract needs legal"),
        ]
    return [_finding("ACME-006", "safeguards_required", None, "nothing to ask")]
"""


@pytest.fixture
def policy(write_policy, capability_only_policy):
    return write_policy(
        f"""
        [policy]
        name = "safeguards"
        extends = "{capability_only_policy}"

        [plugins.acme]
        path = "acme_safeguards.py"
        """,
        extensions={"acme_safeguards.py": PLUGIN},
    )


def deal(identifier: str, *names: str, customer: str = "Example End User") -> dict[str, Any]:
    return {
        "id": identifier,
        "items": [{"id": f"I-{n}", "name": name} for n, name in enumerate(names, 1)],
        "end_user": {"name": customer, "country": "NL"},
    }


def expected(assessment: hrdd.Assessment) -> list[tuple[str, tuple[str, ...]]]:
    """The rule, written out: findings in order, those of safeguards_required or graver (not
    errors) with a remediation, grouped by remediation."""
    grouped: dict[str, list[str]] = {}
    for finding in assessment.findings:
        asks = OUTCOME_RANK[finding.decisive_outcome] >= OUTCOME_RANK["safeguards_required"]
        if asks and finding.remediation and finding.outcome != "error":
            rules = grouped.setdefault(finding.remediation, [])
            if finding.rule_id not in rules:
                rules.append(finding.rule_id)
    return [(safeguard, tuple(rules)) for safeguard, rules in grouped.items()]


def required(assessment: hrdd.Assessment) -> list[tuple[str, tuple[str, ...]]]:
    return [(s.safeguard, s.rules) for s in assessment.required_safeguards]


DEALS = [
    deal("TX-1", "Widget"),  # the licence check, asked by ACME-001 and ACME-003
    deal("TX-2", "Widget", "Gadget"),  # ACME-001 on two items: the rule once
    deal("TX-3-shared", "own Widget", "Gadget"),  # one remediation by ACME-005 and ACME-006
    deal("TX-4", "own Widget", customer="Another End User"),  # each remediation asked for once
    deal("TX-5", "own Widget", "own Gadget", customer="Another End User"),
    deal("TX-1", "Widget"),  # again: the plugin's kept answer, the engine's ranked findings
    deal("TX-3-shared", "own Widget", "Gadget"),
]


def test_required_safeguards_follow_the_rule(policy):
    engine = hrdd.Engine.from_policy(policy)
    for document in DEALS:
        assessment = engine.assess(document)
        assert required(assessment) == expected(assessment), document["id"]
    shared = required(engine.assess(deal("TX-3-shared", "own Widget", "Gadget")))
    assert shared[0] == ("Stop and ask legal.", ("ACME-005", "ACME-006"))
    assert ("Check the licence.", ("ACME-001", "ACME-003")) in shared
    assert all(safeguard != "Note it." for safeguard, _ in shared)
    alone = required(engine.assess(deal("TX-4", "own Widget", customer="Another End User")))
    assert sorted(s for s in alone if s[1][0].startswith("ACME")) == [
        ("Call Another End User.", ("ACME-003",)),
        ("Check the licence.", ("ACME-001",)),
        ("Review own Widget alone.", ("ACME-002",)),
    ]


def test_required_safeguards_are_the_same_from_a_fresh_engine(policy):
    """What an engine remembers (ranked findings, their safeguards) changes no report: each
    deal's safeguards equal those of an engine that sees it first."""
    engine = hrdd.Engine.from_policy(policy)
    seen = [required(engine.assess(document)) for document in DEALS]
    for document, safeguards in zip(DEALS, seen, strict=True):
        assert required(hrdd.Engine.from_policy(policy).assess(document)) == safeguards


def test_the_same_safeguard_is_the_same_value(policy):
    """A safeguard asked for by one rule alone equals the one grouping builds for it."""
    engine = hrdd.Engine.from_policy(policy)
    alone = engine.assess(deal("TX-4", "own Widget", customer="Another End User"))
    again = engine.assess(deal("TX-5", "own Widget", "Gadget", customer="Another End User"))
    assert len(again.required_safeguards) == len(alone.required_safeguards)  # grouped: licence
    by_text = {s.safeguard: s for s in again.required_safeguards}
    for safeguard in alone.required_safeguards:
        assert by_text[safeguard.safeguard] == safeguard
        assert safeguard.to_dict() == by_text[safeguard.safeguard].to_dict()
