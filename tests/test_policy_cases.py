"""``hrdd test``: case files run against a policy, reported like pytest, with rule coverage.

Every test lays out a small policy project in ``tmp_path``: ``policy.toml`` enabling
hrdd-screening (with the screening plugin's test fixture as its list) and ``watch.py``, a
``path =`` extension that reads a data file of watched countries and item categories; the
case files live in ``tests/`` beside the policy, as a policy team would keep them.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hrdd import cases, overrides
from hrdd.cli import main
from hrdd.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
CSL_FIXTURE = ROOT / "plugins" / "hrdd-screening" / "tests" / "fixtures" / "csl-fixture.csv"

WATCH = '''\
"""A company extension for these tests: watched countries and item categories, from a data file."""

from hrdd import Finding, PluginInfo, PluginSetup, RuleInfo, hookimpl, load_data_file


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(
        rules=(
            RuleInfo("WATCH-001", "End user in a watched country"),
            RuleInfo("WATCH-002", "Item in a watched category"),
            RuleInfo("WATCH-003", "A rule no case exercises"),
        ),
        config_schema={"data": {"type": "string", "required": True, "meta": {"path": True}}},
    )


@hookimpl
def hrdd_configure(config):
    document, dataset = load_data_file(config["data"])
    return PluginSetup(data=(dataset,), state=(set(document["countries"]), set(document["categories"])))


@hookimpl
def hrdd_check_end_user(transaction, context):
    countries, _ = context.state
    if transaction.end_user.country not in countries:
        return []
    return [Finding("WATCH-001", "escalate", "high", f"End user in {transaction.end_user.country}.",
                    evidence={"end_user.country": transaction.end_user.country}, subject="end_user")]


@hookimpl
def hrdd_check_item(item, context):
    _, categories = context.state
    watched = sorted(set(item.categories) & categories)
    if not watched:
        return []
    return [Finding("WATCH-002", "safeguards_required", "medium", f"Watched categories: {watched}.",
                    evidence={f"{item.path}.categories": list(item.categories)})]
'''

WATCH_DATA = """\
countries = {countries}
categories = ["spyware"]

[meta]
name = "watch-list"
version = "{version}"
source = "hrdd tests"
date = "2026-11-01"
licence = "Apache-2.0"
"""

POLICY = """\
[policy]
name = "cases-test"
version = "1.0.0"

[plugins.hrdd-screening.config]
lists = ["lists/csl.csv"]

[plugins.watch]
path = "watch.py"

[plugins.watch.config]
data = "data/watch.toml"
"""

TRANSACTION = {
    "id": "TX-CASES-1",
    "date": "2026-11-02",
    "items": [
        {"id": "cam-1", "name": "Thermal camera", "categories": ["thermal_imaging"]},
        {"id": "cam-2", "name": "Spare thermal camera", "categories": ["thermal_imaging"]},
    ],
    "end_user": {"name": "Port of Example", "country": "NL", "type": "private", "sector": "commercial"},
}


def other_list() -> str:
    """The fixture's header and one Entity List row, renamed to the example's end user."""
    rows = list(csv.reader(io.StringIO(CSL_FIXTURE.read_text(encoding="utf-8"))))
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    row.update({"name": "Port of Example", "addresses": "Rotterdam, NL", "alt_names": ""})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerow([row[column] for column in header])
    return out.getvalue()


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """The policy project: policy.toml, watch.py, data/, lists/, tests/transactions/base.json."""
    (tmp_path / "watch.py").write_text(WATCH, encoding="utf-8")
    (tmp_path / "policy.toml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "watch.toml").write_text(
        WATCH_DATA.format(version="1", countries='["BY"]'), encoding="utf-8"
    )
    (tmp_path / "lists").mkdir()
    shutil.copy(CSL_FIXTURE, tmp_path / "lists" / "csl.csv")
    (tmp_path / "tests" / "transactions").mkdir(parents=True)
    (tmp_path / "tests" / "transactions" / "base.json").write_text(json.dumps(TRANSACTION), encoding="utf-8")
    yield tmp_path
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None)
        if origin and Path(origin).resolve().is_relative_to(tmp_path.resolve()):
            del sys.modules[name]


@pytest.fixture
def write_case(project: Path) -> Callable[..., Path]:
    """``write_case("name.toml", toml)``: a case file in the project's tests/ (dedented)."""

    def write(name: str, text: str) -> Path:
        path = project / "tests" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["test", *args])
    out, err = capsys.readouterr()
    return code, out, err


PASSING = """\
    transaction = "transactions/base.json"

    [case]
    name = "the example deal proceeds"
    description = "nobody is listed, nothing is watched"

    [expect]
    decision = "proceed"
    rules = []
    reported = ["HRDD-SCR-004"]
    absent = ["WATCH-001", "HRDD-SCR-001"]
"""

WATCHED_COUNTRY = """\
    base = "transactions/base.json"

    [overrides]
    "end_user.country" = "BY"

    [expect]
    decision = "escalate"
    rules = ["WATCH-001"]
"""


# --------------------------------------------------------------------------------------
# Passing and failing cases, and the report
# --------------------------------------------------------------------------------------


def test_passing_cases_exit_0_with_a_pytest_summary(project, write_case, capsys, monkeypatch):
    write_case("proceed.toml", PASSING)
    write_case("watched-country.toml", WATCHED_COUNTRY)
    monkeypatch.chdir(project)
    code, out, err = run_cli(capsys, "--policy", "policy.toml")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "policy cases-test 1.0.0 (policy.toml)" in lines
    assert "collected 2 cases from tests" in lines
    assert "tests/proceed.toml::the example deal proceeds PASSED" in lines
    assert "tests/watched-country.toml PASSED" in lines
    assert re.fullmatch(r"=+ 2 passed in \d+\.\d\ds =+", lines[-1]), lines[-1]


def test_a_wrong_decision_fails_the_case_and_shows_the_findings(project, write_case, capsys, monkeypatch):
    write_case(
        "wrong.toml",
        """\
        base = "transactions/base.json"
        overrides = { "end_user.country" = "BY" }

        [case]
        description = "BY is watched: this expectation is wrong on purpose"

        [expect]
        decision = "proceed"
        rules = []
        """,
    )
    write_case("proceed.toml", PASSING)
    monkeypatch.chdir(project)
    code, out, _ = run_cli(capsys, "--policy", "policy.toml")
    assert code == 1
    assert "tests/wrong.toml FAILED" in out
    assert "tests/proceed.toml::the example deal proceeds PASSED" in out
    failure = out.split(" FAILURES ")[1]
    assert "case: BY is watched: this expectation is wrong on purpose" in failure
    assert "expected decision proceed, got escalate" in failure
    assert "findings that weigh in the decision (1):" in failure
    assert re.search(r"escalate +WATCH-001 \(watch\) end_user: End user in BY\.", failure)
    assert "FAILED tests/wrong.toml - expected decision proceed, got escalate" in out
    assert re.search(r"=+ 1 passed, 1 failed in \d+\.\d\ds =+\n$", out)


def test_a_rule_that_does_not_decide_fails_the_case(project, write_case):
    # The right decision for the wrong reason: BY escalates, but WATCH-002 is not why.
    write_case(
        "missing-rule.toml",
        WATCHED_COUNTRY.replace('rules = ["WATCH-001"]', 'rules = ["WATCH-001", "WATCH-002"]'),
    )
    (result,) = cases.run([project / "tests"], project / "policy.toml").results
    assert result.failures == ("rules expected to weigh in the decision but do not: WATCH-002",)


def test_an_info_finding_does_not_count_as_deciding(project, write_case):
    write_case(
        "info-rule.toml",
        """\
        transaction = "transactions/base.json"
        [expect]
        decision = "proceed"
        rules = ["HRDD-SCR-004"]
        """,
    )
    (result,) = cases.run([project / "tests"], project / "policy.toml").results
    assert result.failures == (
        "rules expected to weigh in the decision but do not: HRDD-SCR-004 (HRDD-SCR-004 reported, but not "
        "above info)",
    )


def test_a_forbidden_rule_that_appears_fails_the_case(project, write_case):
    write_case("forbidden.toml", WATCHED_COUNTRY.replace("[expect]", '[expect]\nabsent = ["WATCH-001"]'))
    (result,) = cases.run([project / "tests"], project / "policy.toml").results
    assert result.failures == ("rules expected absent but reported: WATCH-001",)


def test_a_misspelt_rule_id_fails_rather_than_passing_for_ever(project, write_case):
    write_case(
        "typo.toml", PASSING.replace('absent = ["WATCH-001", "HRDD-SCR-001"]', 'absent = ["WATCH-01"]')
    )
    (result,) = cases.run([project / "tests"], project / "policy.toml").results
    assert result.failures == (
        "no plugin the policy enables declares WATCH-01 (a typo, or a plugin the policy does not enable?)",
    )


def test_an_invalid_transaction_fails_its_case_naming_the_field(project, write_case):
    write_case("bad-country.toml", WATCHED_COUNTRY.replace('"BY"', '"by"'))
    (result,) = cases.run([project / "tests"], project / "policy.toml").results
    assert result.failures[0] == "the transaction is invalid:"
    assert (
        "$.end_user.country: \"by\" is not an ISO 3166-1 alpha-2 country code (write it in capitals: 'BY')"
        in (result.failures[1])
    )


# --------------------------------------------------------------------------------------
# Malformed case files: failed cases, the others still run
# --------------------------------------------------------------------------------------


def test_malformed_case_files_fail_and_the_others_still_run(project, write_case, capsys, monkeypatch):
    write_case("a-good.toml", PASSING)
    write_case("b-not-toml.toml", "transaction = \n")
    write_case("c-unknown-key.toml", PASSING.replace("[expect]", "[expect]\nsevrity = 'high'"))
    write_case("d-no-rules.toml", 'transaction = "transactions/base.json"\n[expect]\ndecision = "proceed"\n')
    write_case("e-both.json", json.dumps({"transaction": {}, "base": "x.json", "expect": {}}))
    write_case("f-bad-path.toml", WATCHED_COUNTRY.replace('"end_user.country"', '"items[x].name"'))
    write_case("g-missing-file.toml", PASSING.replace("transactions/base.json", "transactions/nope.json"))
    write_case("h-zz-good.toml", WATCHED_COUNTRY)
    monkeypatch.chdir(project)
    code, out, _ = run_cli(capsys, "--policy", "policy.toml")
    assert code == 1
    assert re.search(r"=+ 2 passed, 6 failed in", out)
    summary = out.split(" short test summary info ")[1]
    assert (
        "FAILED tests/b-not-toml.toml - malformed case file: tests/b-not-toml.toml: $: invalid TOML"
        in summary
    )
    assert (
        "FAILED tests/c-unknown-key.toml - malformed case file: tests/c-unknown-key.toml: $.expect: unknown "
        "field(s) 'sevrity'"
    ) in summary
    assert "d-no-rules.toml: $.expect: 'rules' is required but missing" in summary
    assert "e-both.json: $: give either transaction or base, not both" in out
    assert "$.expect: 'decision' is required but missing" in out  # every problem of a file, together
    assert (
        "f-bad-path.toml: $.overrides['items[x].name']: 'items[x].name': expected a list index like [0] at "
        "character 6"
    ) in out
    assert "g-missing-file.toml: $.transaction: 'transactions/nope.json': $: file not found" in out
    assert "tests/a-good.toml::the example deal proceeds PASSED" in out
    assert "tests/h-zz-good.toml PASSED" in out


def test_a_transaction_file_no_case_uses_is_reported_not_skipped(project, write_case, capsys, monkeypatch):
    write_case("proceed.toml", PASSING)
    (project / "tests" / "stray.json").write_text(json.dumps(TRANSACTION), encoding="utf-8")
    monkeypatch.chdir(project)
    code, out, _ = run_cli(capsys, "--policy", "policy.toml")
    assert code == 1
    assert "tests/stray.json: $: not a case file: no transaction, base or [expect]" in out
    # the transaction the case uses is not taken for a case
    assert "transactions/base.json" not in out.split(" FAILURES ")[0]


# --------------------------------------------------------------------------------------
# Overrides and removals
# --------------------------------------------------------------------------------------


def test_overrides_reach_into_lists_by_index_and_append(project, write_case):
    write_case(
        "items.toml",
        """\
        base = "transactions/base.json"
        remove = ["end_user.sector"]

        [overrides]
        "items[1].categories" = ["spyware", "thermal_imaging"]
        "items[2]" = { id = "implant-1", name = "Implant", categories = ["spyware"] }
        "end_user.other_end_users[0]" = { name = "Harbour Police", country = "NL" }

        [expect]
        decision = "proceed_with_safeguards"
        rules = ["WATCH-002"]
        absent = ["WATCH-001"]
        """,
    )
    (result,) = cases.run([project / "tests"], project / "policy.toml").results
    assert result.passed, result.failures
    case = cases.read_case(project / "tests" / "items.toml")
    assert [item["categories"] for item in case.transaction["items"]] == [
        ["thermal_imaging"],
        ["spyware", "thermal_imaging"],
        ["spyware"],
    ]
    assert "sector" not in case.transaction["end_user"]
    assert case.transaction["end_user"]["other_end_users"] == [{"name": "Harbour Police", "country": "NL"}]


def test_a_toml_dotted_key_merges_into_the_table(project, write_case):
    write_case(
        "dotted.toml",
        """\
        base = "transactions/base.json"

        [overrides]
        end_user.country = "BY"

        [expect]
        decision = "escalate"
        rules = ["WATCH-001"]
        """,
    )
    case = cases.read_case(project / "tests" / "dotted.toml")
    assert case.transaction["end_user"] == {**TRANSACTION["end_user"], "country": "BY"}


# --------------------------------------------------------------------------------------
# as_of: a case assessed as of a date (waivers are in force between two dates)
# --------------------------------------------------------------------------------------

WAIVER = """\
[[waivers]]
id = "W-1"
rule = "WATCH-001"
scope = { country = "BY" }
justification = "Reviewed by counsel, file 2026/1."
approver = "A. Jansen"
granted = 2026-11-01
expires = 2026-11-30
"""


def test_a_case_is_assessed_as_of_its_date(project, write_case):
    (project / "waivers.toml").write_text(WAIVER, encoding="utf-8")
    policy = project / "policy.toml"
    policy.write_text(
        POLICY.replace('version = "1.0.0"\n', 'version = "1.0.0"\nwaivers = ["waivers.toml"]\n')
    )
    watched = WATCHED_COUNTRY.replace("    [overrides]", "    [case]\n    as_of = {as_of}\n\n    [overrides]")
    write_case(
        "in-force.toml",
        watched.format(as_of="2026-11-30").replace(
            'decision = "escalate"\n    rules = ["WATCH-001"]',
            'decision = "proceed"\n    rules = []\n    waived = ["WATCH-001"]',
        ),
    )
    write_case(
        "expired.toml",
        watched.format(as_of="2026-12-01").replace(
            "rules = [", 'reported = ["HRDD-CORE-005"]\n    rules = ['
        ),
    )
    write_case("not-a-date.toml", watched.format(as_of='"next week"'))
    run = cases.run([project / "tests"], policy)
    results = {r.path.name: r.failures for r in run.results}
    assert results["in-force.toml"] == ()
    assert results["expired.toml"] == ()
    assert results["not-a-date.toml"][0] == "malformed case file:"
    assert "$.case.as_of" in results["not-a-date.toml"][1]


# --------------------------------------------------------------------------------------
# Mocks: a data file or a screening list replaced for one case
# --------------------------------------------------------------------------------------


def test_a_mocked_data_file_changes_the_outcome_for_that_case_only(project, write_case):
    (project / "tests" / "data").mkdir()
    (project / "tests" / "data" / "nl-watched.toml").write_text(
        WATCH_DATA.format(version="2-mock", countries='["NL"]'), encoding="utf-8"
    )
    write_case(
        "mocked.toml",
        """\
        transaction = "transactions/base.json"

        [mock]
        "watch.data" = "data/nl-watched.toml"   # relative to this case file

        [expect]
        decision = "escalate"
        rules = ["WATCH-001"]
        """,
    )
    write_case("unmocked.toml", PASSING)
    run = cases.run([project / "tests"], project / "policy.toml")
    assert [(r.path.name, r.failures) for r in run.results] == [("mocked.toml", ()), ("unmocked.toml", ())]
    # the mock file is a data file a case uses, not a case


def test_a_mocked_screening_list_changes_the_outcome(project, write_case):
    (project / "tests" / "lists").mkdir()
    (project / "tests" / "lists" / "port.csv").write_text(other_list(), encoding="utf-8")
    write_case(
        "listed.toml",
        """\
        transaction = "transactions/base.json"

        [case]
        name = "the end user on the Entity List"

        [mock]
        "hrdd-screening.lists" = ["lists/port.csv"]

        [expect]
        decision = "do_not_proceed"
        rules = ["HRDD-SCR-001"]
        absent = ["HRDD-SCR-004"]
        """,
    )
    write_case("proceed.toml", PASSING)
    run = cases.run([project / "tests"], project / "policy.toml")
    assert [r.failures for r in run.results] == [(), ()]


def test_a_mock_of_a_plugin_the_policy_does_not_enable_fails_the_case(project, write_case):
    write_case(
        "unknown-plugin.toml",
        PASSING.replace("[expect]", '[mock]\n"hrdd-item-capability.data" = "x.toml"\n\n[expect]'),
    )
    (result,) = cases.run([project / "tests"], project / "policy.toml").results
    assert result.failures[0] == "the mocked policy cannot be used:"
    assert (
        "$.mock['hrdd-item-capability.data']: names no plugin the policy enables (expected <plugin>.<config "
        "key>); enabled: hrdd-screening, watch"
    ) in result.failures[1]


def test_a_mocked_value_the_plugin_refuses_fails_the_case(project, write_case):
    write_case(
        "bad-mock.toml", PASSING.replace("[expect]", '[mock]\n"hrdd-screening.threshold" = 5\n\n[expect]')
    )
    (result,) = cases.run([project / "tests"], project / "policy.toml").results
    assert "$.plugins['hrdd-screening'].config.threshold: min value is 50" in result.failures[1]


# --------------------------------------------------------------------------------------
# Rule coverage
# --------------------------------------------------------------------------------------


def test_rule_coverage_lists_the_rules_no_case_produced(project, write_case, capsys, monkeypatch):
    write_case("proceed.toml", PASSING)
    write_case("watched-country.toml", WATCHED_COUNTRY)
    monkeypatch.chdir(project)
    code, out, _ = run_cli(capsys, "--policy", "policy.toml")
    assert code == 0
    coverage = out.split(" rule coverage ")[1].splitlines()
    assert (
        coverage[1] == "2 of 8 rules of the policy's plugins produced by some case; not produced by any case:"
    )
    uncovered = [line.split()[0] for line in coverage[2:-1]]
    assert uncovered == [
        "HRDD-SCR-001",
        "HRDD-SCR-002",
        "HRDD-SCR-003",
        "HRDD-SCR-005",
        "WATCH-002",
        "WATCH-003",
    ]
    assert "  WATCH-003 (watch): A rule no case exercises" in coverage
    code, _, _ = run_cli(capsys, "--policy", "policy.toml", "--fail-uncovered")
    assert code == 1
    _, out, _ = run_cli(capsys, "--policy", "policy.toml", "--no-coverage")
    assert " rule coverage " not in out


# --------------------------------------------------------------------------------------
# Where the cases are, and exit code 2
# --------------------------------------------------------------------------------------


def test_named_files_and_directories_are_run(project, write_case, capsys, monkeypatch):
    one = write_case("one/proceed.toml", PASSING.replace("transactions/", "../transactions/"))
    write_case("two/watched.toml", WATCHED_COUNTRY.replace("transactions/", "../transactions/"))
    monkeypatch.chdir(project)
    code, out, _ = run_cli(capsys, "--policy", "policy.toml", str(one), "tests/two")
    assert code == 0
    assert "collected 2 cases from tests/one/proceed.toml, tests/two" in out


def test_the_policy_or_the_directory_unusable_exits_2(project, write_case, capsys, monkeypatch):
    monkeypatch.chdir(project)
    code, out, err = run_cli(capsys, "--policy", "missing.toml")
    assert (code, out) == (2, "")
    assert "missing.toml: $: file not found" in err
    code, _, err = run_cli(capsys, "--policy", "policy.toml", "nowhere")
    assert code == 2
    assert "hrdd: nowhere: $: no such file or directory" in err
    code, _, err = run_cli(capsys, "--policy", "policy.toml")  # tests/ holds only a transaction
    assert code == 1  # base.json is not a case: reported as one that failed
    shutil.rmtree(project / "tests")
    code, _, err = run_cli(capsys, "--policy", "policy.toml")
    assert code == 2
    assert "no tests directory beside the policy" in err
    (project / "tests").mkdir()
    code, _, err = run_cli(capsys, "--policy", "policy.toml")
    assert code == 2
    assert "no case files (*.toml, *.json) found" in err


def test_a_policy_that_cannot_be_built_exits_2_before_any_case(project, write_case, capsys, monkeypatch):
    write_case("proceed.toml", PASSING)
    (project / "data" / "watch.toml").write_text("countries = []\n", encoding="utf-8")
    monkeypatch.chdir(project)
    code, out, err = run_cli(capsys, "--policy", "policy.toml")
    assert (code, out) == (2, "")
    assert "watch.toml" in err


def test_an_extension_that_fails_to_import_exits_2_naming_the_file(project, write_case, capsys, monkeypatch):
    write_case("proceed.toml", PASSING)
    (project / "watch.py").write_text("import json\nimport no_such_module_for_hrdd\n", encoding="utf-8")
    monkeypatch.chdir(project)
    code, _, err = run_cli(capsys, "--policy", "policy.toml")
    assert code == 2
    assert (
        "watch.py: line 2: failed to import: ModuleNotFoundError: No module named 'no_such_module_for_hrdd'"
        in err
    )


def test_the_case_schema_is_published():
    assert main(["schema", "testcase"]) == 0


# --------------------------------------------------------------------------------------
# Garbage never crashes the loader: always a clear problem
# --------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
case_like = st.fixed_dictionaries(
    {},
    optional={
        "case": json_values,
        "transaction": json_values | st.just("transactions/base.json") | st.just(TRANSACTION),
        "base": json_values | st.just("transactions/base.json"),
        "overrides": st.dictionaries(st.text(max_size=12), json_values, max_size=3) | json_values,
        "remove": st.lists(st.text(max_size=12), max_size=3) | json_values,
        "mock": st.dictionaries(st.text(max_size=12), json_values, max_size=2) | json_values,
        "expect": st.fixed_dictionaries(
            {},
            optional={
                "decision": st.sampled_from(cases.DECISIONS) | json_values,
                "rules": st.lists(st.sampled_from(["WATCH-001", "x"]), max_size=2) | json_values,
            },
        )
        | json_values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=case_like | json_values)
def test_any_case_document_reads_or_gives_problems(project, document):
    path = project / "tests" / "case.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    try:
        case = cases.read_case(path)
    except InputError as exc:
        assert exc.problems
        assert all(p.source == str(path) and p.path.startswith("$") and p.message for p in exc.problems)
    else:
        assert isinstance(case.transaction, dict)
        assert case.expect.decision in cases.DECISIONS


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40))
def test_any_toml_text_reads_or_gives_problems(project, text):
    path = project / "tests" / "case.toml"
    path.write_text(text, encoding="utf-8")
    try:
        cases.read_case(path)
    except InputError as exc:
        assert exc.problems and all(p.message for p in exc.problems)


# --------------------------------------------------------------------------------------
# The override path parser
# --------------------------------------------------------------------------------------

names = st.from_regex(r"[A-Za-z0-9_-]{1,6}", fullmatch=True)
indexes = st.integers(min_value=0, max_value=30)
paths = st.tuples(names, st.lists(names | indexes, max_size=5)).map(lambda parts: (parts[0], *parts[1]))


@given(segments=paths)
def test_a_path_reads_back_as_written(segments):
    assert overrides.parse_path(overrides.format_path(segments)) == segments


@given(text=st.text(alphabet="ab0_-.[]9 \u00e9", max_size=16) | st.text(max_size=16))
def test_any_text_is_a_path_or_a_clear_problem(text):
    try:
        segments = overrides.parse_path(text)
    except overrides.PathError as exc:
        assert str(exc) and (repr(text) in str(exc) or not text)
    else:
        assert overrides.format_path(segments) == text


@given(
    changes=st.dictionaries(st.text(alphabet="abi0_.[]1", max_size=10), json_values, max_size=4),
    remove=st.lists(st.text(alphabet="abi0_.[]1", max_size=10), max_size=3),
)
def test_overrides_apply_or_say_why_and_never_change_the_base(changes, remove):
    base = {"a": {"b": [1, {"i": 2}]}, "i": [], "b": "text"}
    changed, problems = overrides.apply(base, changes, remove)
    assert base == {"a": {"b": [1, {"i": 2}]}, "i": [], "b": "text"}
    assert isinstance(changed, dict)
    assert all(isinstance(path, str) and message for path, message in problems)


def test_override_problems_name_the_path_and_what_is_there():
    document = {"items": [{"id": "a"}], "end_user": {"name": "N"}}
    _, problems = overrides.apply(
        document,
        {"items[3]": {}, "end_user.name.first": "x", "parties[1].name": "y", "items[0]x": 1},
        ["end_user.country"],
    )
    assert [message for _, message in problems] == [
        "items[3]: index 3 is out of range (the list has 1 entry; [1] appends one)",
        "end_user.name.first: end_user.name is str 'N', not a table",
        "parties[1].name: parties: no such field",
        "'items[0]x': unexpected 'x' at character 9; expected '.' or '[' after a field name",
        "end_user.country: nothing to remove (no such field)",
    ]


def test_a_path_no_file_can_have_is_a_problem(project):
    path = project / "tests" / "nul.json"
    path.write_text(json.dumps({"transaction": "a\u0000b", "expect": {"decision": "proceed", "rules": []}}))
    with pytest.raises(InputError) as error:
        cases.read_case(path)
    assert [p.path for p in error.value.problems] == ["$.transaction"]
    assert "not a file path" in error.value.problems[0].message
