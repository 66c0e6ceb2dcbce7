"""hrdd.testing, the pytest plugin shipped with the core: fixtures to assess a transaction under
a policy, and assert_decision on the decision and the rules that decided it.

Each test runs pytest on a throwaway test module with ``pytester`` (in process), under a
small policy: one ``path =`` extension with a rule for end users in a listed country.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib import metadata

import hypothesis  # noqa: F401  (see below)
import pytest

import hrdd
import hrdd.cases

pytest_plugins = ["pytester"]

# pytester runs pytest in this process and afterwards drops the modules the run imported.
# ``hrdd`` keeps what its lazy names resolved to (hrdd.PluginInfo...), so the modules behind
# them are imported here, before any run, for every run to see the same classes; hypothesis
# (whose pytest plugin every run loads) is imported once rather than once per run (1 s each).
for _name in hrdd.__all__:
    getattr(hrdd, _name)

EXTENSION = """\
from hrdd import Finding, PluginInfo, RuleInfo, hookimpl


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(
        rules=(RuleInfo("KIT-001", "End user in a listed country"), RuleInfo("KIT-002", "Never reported")),
        config_schema={"countries": {"type": "list", "default": ["BY"]}},
    )


@hookimpl
def hrdd_check_end_user(transaction, context):
    if transaction.end_user.country not in context.config["countries"]:
        return []
    return [Finding("KIT-001", "escalate", "high", "Listed country.", subject="end_user",
                    evidence={"end_user.country": transaction.end_user.country})]
"""

POLICY = """\
[policy]
name = "kit"
version = "1"

[plugins.kit]
path = "kit.py"
"""

TRANSACTION = """\
{"id": "TX-KIT", "items": [{"id": "i1", "name": "Camera"}],
 "end_user": {"name": "Harbour Authority", "country": "NL"}}
"""

HEADER = """\
from pathlib import Path

import pytest

from hrdd.testing import assert_decision

HERE = Path(__file__).parent


@pytest.fixture
def hrdd_policy():
    return HERE / "policy.toml"
"""


@pytest.fixture
def kit(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".py", kit=EXTENSION)
    pytester.makefile(".toml", policy=POLICY)
    pytester.makefile(".json", transaction=TRANSACTION)
    return pytester


def write_test(pytester: pytest.Pytester, body: str) -> None:
    pytester.makepyfile(test_policy=HEADER + "\n\n" + textwrap.dedent(body))


def test_the_plugin_is_registered_through_the_pytest11_entry_point():
    found = [ep for ep in metadata.entry_points(group="pytest11") if ep.value == "hrdd.testing"]
    assert [(ep.name, ep.dist.name if ep.dist else None) for ep in found] == [("hrdd", "hrdd")]


def test_the_fixtures_are_there_without_any_conftest(kit):
    result = kit.runpytest("--fixtures")
    result.stdout.fnmatch_lines(
        [
            "plugins: *hrdd-*",
            "*fixtures defined from hrdd.testing*",
            "hrdd_policy -- *",
            "hrdd_engine -- *",
            "hrdd_assess -- *",
        ]
    )


def test_a_policy_test_passes_on_the_decision_and_the_rules(kit):
    write_test(
        kit,
        """\
        def test_listed(hrdd_assess):
            assessment = hrdd_assess(HERE / "transaction.json", overrides={"end_user.country": "BY"})
            assert_decision(assessment, "escalate", rules=["KIT-001"])


        def test_elsewhere(hrdd_assess):
            assessment = hrdd_assess(str(HERE / "transaction.json"))
            assert_decision(assessment, "proceed", rules=[], absent=["KIT-001"])


        def test_a_dict_and_a_mock(hrdd_assess):
            import json

            document = json.loads((HERE / "transaction.json").read_text())
            assessment = hrdd_assess(document, mock={"kit.countries": ["NL"]})
            assert_decision(assessment, "escalate", rules=["KIT-001"], reported=["KIT-001"])
            assert document["end_user"]["country"] == "NL"  # the caller's dict is not changed
        """,
    )
    kit.runpytest().assert_outcomes(passed=3)


def test_a_failure_shows_the_decision_and_every_finding(kit):
    write_test(
        kit,
        """\
        def test_wrong(hrdd_assess):
            assessment = hrdd_assess(HERE / "transaction.json", overrides={"end_user.country": "BY"})
            assert_decision(assessment, "proceed", rules=["KIT-002"], absent=["KIT-001"])
        """,
    )
    result = kit.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            '>*assert_decision(assessment, "proceed", rules=?"KIT-002"?, absent=?"KIT-001"?)',
            "E*AssertionError: expected decision proceed, got escalate",
            "E*rules expected to weigh in the decision but do not: KIT-002",
            "E*rules expected absent but reported: KIT-001",
            "E*decision escalate for TX-KIT (risk 60/100 high, policy kit 1)",
            "E*findings that weigh in the decision (1):",
            "E*escalate * KIT-001 (kit) end_user: Listed country.",
        ]
    )
    assert "__tracebackhide__" not in result.stdout.str()  # the kit's own frames are hidden


def test_a_misspelt_rule_id_fails(kit):
    write_test(
        kit,
        """\
        def test_typo(hrdd_assess):
            assessment = hrdd_assess(HERE / "transaction.json")
            assert_decision(assessment, "proceed", rules=[], absent=["KIT-01"])
        """,
    )
    result = kit.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E*no plugin the policy enables declares KIT-01 (a typo*"])


def test_the_rules_must_be_named(kit):
    write_test(
        kit,
        """\
        import pytest


        def test_decision_only(hrdd_assess):
            assessment = hrdd_assess(HERE / "transaction.json")
            with pytest.raises(TypeError, match="rules"):
                assert_decision(assessment, "proceed")
            with pytest.raises(TypeError, match="lists of rule ids"):
                assert_decision(assessment, "proceed", rules="KIT-001")
        """,
    )
    kit.runpytest().assert_outcomes(passed=1)


def test_engines_are_built_once_per_policy_until_the_file_changes(kit):
    write_test(
        kit,
        """\
        import os


        def test_cached(hrdd_engine, hrdd_assess):
            first = hrdd_engine()
            assert hrdd_engine() is first
            assert hrdd_engine(HERE / "policy.toml") is first
            assert hrdd_engine(mock={"kit.countries": ["NL"]}) is not first
            assert hrdd_engine(mock={"kit.countries": ["NL"]}) is hrdd_engine(mock={"kit.countries": ["NL"]})
            policy = HERE / "policy.toml"
            policy.write_text(policy.read_text() + '\\n[plugins.kit.config]\\ncountries = ["NL"]\\n')
            os.utime(policy, ns=(1, 1))  # a changed file, whatever the clock's resolution
            assert hrdd_engine() is not first
            assert hrdd_assess(HERE / "transaction.json").decision == "escalate"
        """,
    )
    kit.runpytest().assert_outcomes(passed=1)


def test_problems_say_what_is_wrong(kit):
    write_test(
        kit,
        """\
        import pytest

        import hrdd


        def test_override_that_does_not_fit(hrdd_assess):
            with pytest.raises(ValueError, match=r"items\\[3\\]: index 3 is out of range"):
                hrdd_assess(HERE / "transaction.json", overrides={"items[3]": {}})


        def test_invalid_transaction(hrdd_assess):
            with pytest.raises(hrdd.TransactionError, match=r"end_user.country"):
                hrdd_assess(HERE / "transaction.json", overrides={"end_user.country": "Nowhere"})


        def test_mock_of_an_unknown_plugin(hrdd_assess):
            with pytest.raises(hrdd.PolicyError, match="names no plugin the policy enables"):
                hrdd_assess(HERE / "transaction.json", mock={"other.key": 1})
        """,
    )
    kit.runpytest().assert_outcomes(passed=3)


def test_the_baseline_is_the_default_policy(pytester):
    pytester.makepyfile(
        test_baseline="""\
        from hrdd.testing import assert_decision


        def test_baseline(hrdd_engine, hrdd_assess):
            assert hrdd_engine().policy.name == "baseline"
            assessment = hrdd_assess({
                "id": "TX-B", "items": [{"id": "i1", "name": "Camera"}],
                "end_user": {"name": "Harbour Authority", "country": "NL"},
            })
            # the baseline names no screening list: it fails closed
            assert_decision(assessment, "escalate", rules=["HRDD-SCR-005"])
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_loading_the_plugin_stays_cheap():
    # Every pytest run in an environment with hrdd loads the plugin: it must not import the
    # engine, the plugins or the schemas until a fixture is used.
    code = "import sys, hrdd.testing; print(sorted(m for m in sys.modules if m.startswith('hrdd')))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "['hrdd', 'hrdd.testing']"


def test_the_kit_can_be_switched_off(pytester):
    pytester.makepyfile(test_nothing="def test_nothing(hrdd_assess):\n    pass\n")
    result = pytester.runpytest("-p", "no:hrdd")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'hrdd_assess' not found*"])
