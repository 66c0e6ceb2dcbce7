"""``hrdd diff``: a corpus assessed under an old and a new policy, and what a policy team sees.

The policies are the capability-only policy (conftest) and controlled changes to it, so the
expectations follow from the change made, not from what the baseline enables today. The
counts the diff reports are checked against an independent tally made with the public API
(two engines, one assessment each per transaction).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import hrdd
from hrdd import documents
from hrdd.cli import main
from hrdd.policydiff import PolicyDiff, compare

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "policies" / "examples" / "transactions"
DECISIONS = ("proceed", "proceed_with_safeguards", "escalate", "do_not_proceed")
CAP_009 = "HRDD-CAP-009"  # misuse potential at or above escalate_at, government-linked end user


@pytest.fixture(scope="module")
def diff_validator() -> Any:
    schema = json.loads((ROOT / "schemas" / "diff.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def corpus_documents() -> list[dict[str, Any]]:
    """Every shipped example (the TOML one read as its JSON twin), plus two variants: the
    drone deal sold to a private company (not government-linked), and a renumbered copy."""
    examples = [documents.read_document(path) for path in sorted(EXAMPLES_DIR.glob("*.*"))]
    assert len(examples) >= 5
    drone = documents.read_document(EXAMPLES_DIR / "drone-border-guard.json")
    private = json.loads(json.dumps(drone))
    private["id"] = "TX-VARIANT-PRIVATE"
    private["end_user"].update(type="private", sector="commercial", government_relationship="none")
    copy = json.loads(json.dumps(drone))
    copy["id"] = "TX-VARIANT-COPY"
    return [*examples, private, copy]


def write_corpus(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus.jsonl", [json.dumps(doc) for doc in corpus_documents()])


def derived(write_policy: Any, base: Path, body: str, name: str, version: str = "2") -> Path:
    """A policy extending ``base`` (by absolute path) with ``body`` added."""
    return write_policy(
        f'[policy]\nname = "capability-{name}"\nversion = "{version}"\nextends = "{base}"\n\n{body}',
        name=f"{name}.toml",
    )


@pytest.fixture
def raised_threshold(write_policy: Any, capability_only_policy: Path) -> Path:
    """Escalation only from misuse potential 5: fewer HRDD-CAP-009 findings, never more."""
    return derived(
        write_policy,
        capability_only_policy,
        "[plugins.hrdd-item-capability.config]\nescalate_at = 5\n",
        "raised",
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tally(old: Path, new: Path, corpus: list[dict[str, Any]]) -> dict[str, Any]:
    """What the diff should report, counted independently with the public API."""
    old_engine, new_engine = hrdd.Engine.from_policy(old), hrdd.Engine.from_policy(new)
    transitions: Counter[tuple[str, str]] = Counter()
    rules: dict[str, Counter[str]] = {}
    changed_lines = []
    for line, document in enumerate(corpus, 1):
        before, after = old_engine.assess(document), new_engine.assess(document)

        def states(assessment: hrdd.Assessment) -> Counter[tuple[Any, ...]]:
            return Counter(
                (f.rule_id, f.plugin, f.subject, f.outcome, f.decisive_outcome, f.severity)
                for f in assessment.findings
            )

        old_states, new_states = states(before), states(after)
        safeguards_differ = {s.safeguard for s in before.required_safeguards} != {
            s.safeguard for s in after.required_safeguards
        }
        if before.decision != after.decision or old_states != new_states or safeguards_differ:
            changed_lines.append(line)
        if before.decision != after.decision:
            transitions[(before.decision.value, after.decision.value)] += 1
        old_keys = {(rule, plugin, subject) for rule, plugin, subject, *_ in old_states}
        new_keys = {(rule, plugin, subject) for rule, plugin, subject, *_ in new_states}
        for kind, keys in (("added", new_keys - old_keys), ("removed", old_keys - new_keys)):
            for rule in {key[0] for key in keys}:
                rules.setdefault(rule, Counter())[kind] += 1
    return {"transitions": transitions, "rules": rules, "changed_lines": changed_lines}


# --------------------------------------------------------------------------------------
# What changed, in text and JSON
# --------------------------------------------------------------------------------------


def test_a_raised_threshold_is_reported_per_transition_and_rule(
    capsys, capability_only_policy, raised_threshold, corpus
):
    expected = tally(capability_only_policy, raised_threshold, corpus_documents())
    assert expected["transitions"], "the controlled change must change some decision"

    code, out, err = run(
        capsys, "diff", "--old", str(capability_only_policy), "--new", str(raised_threshold), str(corpus)
    )

    assert (code, err) == (0, "")
    old, new = hrdd.Policy.load(capability_only_policy), hrdd.Policy.load(raised_threshold)
    assert f"  old: {old.name} {old.version} (sha256 {old.sha256[:12]}, {capability_only_policy})\n" in out
    assert f"  new: capability-raised 2 (sha256 {new.sha256[:12]}, {raised_threshold})\n" in out
    summary = out.split("Changed transactions:")[0]
    documents_count = len(corpus_documents())
    assert f"{documents_count} transactions compared, {len(expected['changed_lines'])} changed" in out
    for (before, after), count in expected["transitions"].items():
        # a higher escalation threshold can only make decisions milder
        assert DECISIONS.index(after) < DECISIONS.index(before)
        assert f"  {before} → {after}: {count}\n" in summary
    # HRDD-CAP-009 disappears and nothing appears
    assert set(expected["rules"]) == {CAP_009}
    removed = expected["rules"][CAP_009]["removed"]
    assert f"  - {CAP_009}: {removed} transaction" in out
    rule_lines = [
        line for line in summary.splitlines() if line.startswith(("  + HRDD", "  - HRDD", "  ~ HRDD"))
    ]
    assert rule_lines == [f"  - {CAP_009}: {removed} transaction{'s' if removed > 1 else ''}"]
    # one block per changed transaction, in corpus order, naming the finding that went
    blocks = [line for line in out.splitlines() if line.startswith("line ")]
    assert [int(block.split()[1]) for block in blocks] == expected["changed_lines"]
    assert f"  - {CAP_009} on items[" in out


def test_json_output_validates_and_lists_changes_in_corpus_order(
    capsys, diff_validator, capability_only_policy, raised_threshold, corpus
):
    expected = tally(capability_only_policy, raised_threshold, corpus_documents())

    code, out, err = run(
        capsys,
        "diff",
        "--old", str(capability_only_policy),
        "--new", str(raised_threshold),
        "--format", "json",
        str(corpus),
    )  # fmt: skip

    assert (code, err) == (0, "")
    report = json.loads(out)
    assert list(diff_validator.iter_errors(report)) == []
    assert report["old"]["name"] == hrdd.Policy.load(capability_only_policy).name
    assert report["new"]["name"] == "capability-raised"
    assert report["new"]["sha256"] == hrdd.Policy.load(raised_threshold).sha256
    assert [p["name"] for p in report["new"]["plugins"]] == ["hrdd-item-capability"]
    assert report["summary"]["compared"] == len(corpus_documents())
    assert report["summary"]["changed"] == len(expected["changed_lines"]) == len(report["changes"])
    assert report["summary"]["errors"] == 0 and report["errors"] == []
    assert {(t["old"], t["new"]): t["count"] for t in report["transitions"]} == expected["transitions"]
    assert report["rules"] == [
        {"rule_id": CAP_009, "added": 0, "removed": expected["rules"][CAP_009]["removed"], "changed": 0}
    ]
    assert [change["line"] for change in report["changes"]] == expected["changed_lines"]
    ids = [doc["id"] for doc in corpus_documents()]
    for change in report["changes"]:
        assert change["transaction_id"] == ids[change["line"] - 1]
        assert change["findings"]["added"] == []
        assert {f["rule_id"] for f in change["findings"]["removed"]} == {CAP_009}
    # the drone deal and its renumbered copy change alike; sold to a private company, it does not
    by_id = {change["transaction_id"]: change for change in report["changes"]}
    assert by_id["TX-VARIANT-COPY"]["decision"] == by_id["TX-2026-0006"]["decision"]
    assert "TX-VARIANT-PRIVATE" not in by_id


def test_advisory_enforcement_shows_changed_findings_not_added_or_removed(
    capsys, diff_validator, write_policy, capability_only_policy, corpus
):
    advisory = derived(
        write_policy,
        capability_only_policy,
        f'[plugins.hrdd-item-capability]\nrule-enforcement = {{ "{CAP_009}" = "advisory" }}\n',
        "advisory",
    )
    old_engine = hrdd.Engine.from_policy(capability_only_policy)
    with_cap_009 = [
        line for line, doc in enumerate(corpus_documents(), 1) if CAP_009 in old_engine.assess(doc).rule_ids
    ]
    assert with_cap_009

    code, out, _ = run(
        capsys,
        "diff",
        "--old",
        str(capability_only_policy),
        "--new",
        str(advisory),
        "-f",
        "json",
        str(corpus),
    )

    assert code == 0
    report = json.loads(out)
    assert list(diff_validator.iter_errors(report)) == []
    assert [c["line"] for c in report["changes"]] == with_cap_009
    assert [r["rule_id"] for r in report["rules"]] == [CAP_009]
    assert report["rules"][0]["changed"] == len(with_cap_009)
    assert report["rules"][0]["added"] == report["rules"][0]["removed"] == 0
    for change in report["changes"]:
        assert change["findings"]["added"] == change["findings"]["removed"] == []
        for finding in change["findings"]["changed"]:
            assert finding["rule_id"] == CAP_009
            assert finding["old"]["effective_outcome"] == finding["new"]["outcome"] == "escalate"
            assert finding["new"]["enforcement"] == "advisory"
            assert finding["new"]["effective_outcome"] != "escalate"
        # an advisory finding never makes a decision worse
        assert DECISIONS.index(change["decision"]["new"]) <= DECISIONS.index(change["decision"]["old"])

    code, text, _ = run(
        capsys, "diff", "--old", str(capability_only_policy), "--new", str(advisory), str(corpus)
    )
    assert f"  ~ {CAP_009}: {len(with_cap_009)} transaction" in text
    assert f"  ~ {CAP_009} on items[" in text
    assert "escalate, high → escalate as info (advisory), high: " in text


def test_a_waiver_in_the_new_policy_is_a_changed_finding(
    capsys, diff_validator, write_policy, capability_only_policy, corpus
):
    write_policy(
        """
        [[waivers]]
        id = "W-2027-001"
        rule = "HRDD-CAP-009"
        scope = { transaction = "TX-2026-0006" }
        justification = "Border-guard drone reviewed by the board, file 2027/004."
        approver = "A. Jansen, Head of Export Compliance"
        granted = 2027-01-01
        expires = 2027-12-31
        """,
        name="waivers/2027.toml",
    )
    waived = write_policy(
        f'waivers = ["waivers/2027.toml"]\n\n[policy]\nname = "capability-waived"\nversion = "2"\n'
        f'extends = "{capability_only_policy}"\n',
        name="waived.toml",
    )
    argv = ["diff", "--old", str(capability_only_policy), "--new", str(waived), str(corpus), "-f", "json"]

    code, out, _ = run(capsys, *argv, "--as-of", "2027-03-01")

    assert code == 0
    report = json.loads(out)
    assert list(diff_validator.iter_errors(report)) == []
    assert report["as_of"] == "2027-03-01"
    assert [c["transaction_id"] for c in report["changes"]] == ["TX-2026-0006"]  # its copy has another id
    [change] = report["changes"]
    assert change["findings"]["added"] == change["findings"]["removed"] == []
    assert {
        (f["rule_id"], f["old"]["waiver"], f["new"]["waiver"]) for f in change["findings"]["changed"]
    } == {(CAP_009, None, "W-2027-001")}

    # expired on the date assessed: the finding stands, and the expired waiver is reported
    code, out, _ = run(capsys, *argv, "--as-of", "2028-01-01")
    assert code == 0
    [change] = json.loads(out)["changes"]
    assert change["transaction_id"] == "TX-2026-0006"
    assert change["decision"]["old"] == change["decision"]["new"]
    assert change["findings"]["changed"] == change["findings"]["removed"] == []
    assert [f["rule_id"] for f in change["findings"]["added"]] == ["HRDD-CORE-005"]


def test_a_date_that_is_not_one_is_bad_input(capsys, capability_only_policy, corpus):
    policy = str(capability_only_policy)
    code, out, err = run(
        capsys, "diff", "--old", policy, "--new", policy, str(corpus), "--as-of", "31/12/2027"
    )
    assert (code, out) == (2, "")
    assert err == "hrdd: hrdd diff: --as-of: '31/12/2027' is not a date (YYYY-MM-DD)\n"


def test_identical_policies_change_nothing(capsys, write_policy, capability_only_policy, corpus):
    renamed = derived(write_policy, capability_only_policy, "", "same", version="9")

    code, out, err = run(
        capsys,
        "diff",
        "--old",
        str(capability_only_policy),
        "--new",
        str(renamed),
        "--fail-on-change",
        str(corpus),
    )

    assert (code, err) == (0, "")
    assert f"{len(corpus_documents())} transactions compared, 0 changed" in out
    assert "Changed transactions" not in out and "Decision changes" not in out


def test_fail_on_change_exits_1_and_still_writes_the_report(
    capsys, capability_only_policy, raised_threshold, corpus
):
    code, out, err = run(
        capsys,
        "diff",
        "--old", str(capability_only_policy),
        "--new", str(raised_threshold),
        "--fail-on-change",
        str(corpus),
    )  # fmt: skip
    assert (code, err) == (1, "")
    assert "Changed transactions:" in out


def test_output_file_is_written_whole(capsys, tmp_path, capability_only_policy, raised_threshold, corpus):
    target = tmp_path / "impact.json"
    target.write_text("an older report", encoding="utf-8")

    code, out, err = run(
        capsys,
        "diff",
        "--old", str(capability_only_policy),
        "--new", str(raised_threshold),
        "-f", "json",
        "-o", str(target),
        str(corpus),
    )  # fmt: skip

    assert (code, out, err) == (0, "", "")
    assert json.loads(target.read_text(encoding="utf-8"))["summary"]["compared"] == len(corpus_documents())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# --------------------------------------------------------------------------------------
# Bad lines, bad files, bad policies
# --------------------------------------------------------------------------------------


def test_invalid_lines_are_reported_and_the_rest_compared(
    capsys, diff_validator, tmp_path, capability_only_policy, raised_threshold
):
    good = [json.dumps(doc) for doc in corpus_documents()]
    lines = [
        good[0],
        '{"id": "TX-BROKEN", "items": [',  # line 2: not JSON
        good[1],
        "",  # line 4: blank, skipped
        json.dumps({"id": "TX-NO-END-USER", "items": [{"id": "I-1", "name": "Widget"}]}),  # line 5
        "[1, 2]",  # line 6: JSON, not a transaction
        *good[2:],
    ]
    corpus = write_corpus(tmp_path / "mixed.jsonl", lines)
    with corpus.open("ab") as handle:
        handle.write(b'{"id": "TX-\xff"}\n')  # the last line: not UTF-8
    last = len(lines) + 1

    code, out, err = run(
        capsys,
        "diff",
        "--old", str(capability_only_policy),
        "--new", str(raised_threshold),
        "-f", "json",
        str(corpus),
    )  # fmt: skip

    assert code == 2
    assert "Traceback" not in err
    assert f"{corpus}:2: $: invalid JSON" in err
    assert f"{corpus}:5: $: 'end_user' is required but missing" in err
    assert f"{corpus}:6: $" in err
    assert f"{corpus}:{last}: $: not UTF-8" in err
    assert all(line.startswith("hrdd: ") for line in err.splitlines())
    report = json.loads(out)
    assert list(diff_validator.iter_errors(report)) == []
    assert [error["line"] for error in report["errors"]] == [2, 5, 6, last]
    assert report["summary"]["errors"] == 4
    assert report["summary"]["compared"] == len(good)
    expected = tally(capability_only_policy, raised_threshold, corpus_documents())
    assert report["summary"]["changed"] == len(expected["changed_lines"])
    # line numbers are the file's: the changes after the bad lines keep theirs
    line_of = {json.loads(line)["id"]: number for number, line in enumerate(lines, 1) if line.startswith("{")
               and "TX-BROKEN" not in line}  # fmt: skip
    for change in report["changes"]:
        assert change["line"] == line_of[change["transaction_id"]]

    code, text, _ = run(
        capsys, "diff", "--old", str(capability_only_policy), "--new", str(raised_threshold), str(corpus)
    )
    assert code == 2
    assert "4 lines not compared (errors)" in text
    assert "  line 5: $: 'end_user' is required but missing" in text


def test_a_missing_corpus_is_bad_input(capsys, tmp_path, capability_only_policy):
    missing = tmp_path / "nowhere.jsonl"
    code, out, err = run(
        capsys,
        "diff",
        "--old",
        str(capability_only_policy),
        "--new",
        str(capability_only_policy),
        str(missing),
    )
    assert (code, out) == (2, "")
    assert err == f"hrdd: {missing}: $: corpus file not found\n"


def test_bad_policies_are_bad_input_naming_each_file(capsys, tmp_path, write_policy, corpus):
    broken = write_policy("[policy\nname = 1\n", name="broken.toml")
    missing = tmp_path / "missing.toml"

    code, out, err = run(capsys, "diff", "--old", str(broken), "--new", str(missing), str(corpus))

    assert (code, out) == (2, "")
    assert "Traceback" not in err
    assert f"hrdd: {broken}" in err
    assert str(missing) in err
    assert all(line.startswith("hrdd: ") for line in err.splitlines())


def test_the_schema_is_published(capsys):
    code, out, _ = run(capsys, "schema", "diff")
    assert code == 0
    assert json.loads(out) == json.loads((ROOT / "schemas" / "diff.schema.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------
# The Python API and the console script
# --------------------------------------------------------------------------------------


def test_compare_sees_nothing_between_two_assessments_of_one_deal(capability_engine, example_transaction):
    document = example_transaction("drone-border-guard")
    assert compare(capability_engine.assess(document), capability_engine.assess(document)) is None


def test_policy_diff_yields_changes_and_counts(capability_only_policy, raised_threshold, corpus):
    diff = PolicyDiff.from_policies(capability_only_policy, raised_threshold)
    changes = list(diff.compare_corpus(corpus))
    expected = tally(capability_only_policy, raised_threshold, corpus_documents())
    assert [change.line for change in changes] == expected["changed_lines"]
    assert diff.compared == len(corpus_documents()) and diff.errors == 0
    assert diff.transitions == dict(expected["transitions"])
    assert diff.rules[CAP_009].removed == expected["rules"][CAP_009]["removed"]


def test_console_script_diff(tmp_path, capability_only_policy, raised_threshold, corpus):
    script = shutil.which("hrdd", path=str(Path(sys.executable).parent)) or shutil.which("hrdd")
    assert script
    result = subprocess.run(
        [script, "diff", "--old", str(capability_only_policy), "--new", str(raised_threshold), str(corpus),
         "--fail-on-change"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("Policy impact analysis\n")


def test_many_invalid_lines_are_summarised_on_stderr(
    capsys, diff_validator, tmp_path, capability_only_policy
):
    corpus = write_corpus(tmp_path / "broken.jsonl", ["{"] * 25)
    policy = str(capability_only_policy)

    code, out, err = run(capsys, "diff", "--old", policy, "--new", policy, "-f", "json", str(corpus))

    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 21 and lines[-1] == "hrdd: 5 more invalid lines (see the report)"
    report = json.loads(out)
    assert list(diff_validator.iter_errors(report)) == []
    assert [error["line"] for error in report["errors"]] == list(range(1, 26))
    assert report["summary"]["compared"] == 0 and report["changes"] == []


def test_an_empty_corpus_compares_nothing(capsys, diff_validator, tmp_path, capability_only_policy):
    corpus = write_corpus(tmp_path / "empty.jsonl", ["", "   "])
    policy = str(capability_only_policy)
    code, out, err = run(capsys, "diff", "--old", policy, "--new", policy, "-f", "json", str(corpus))
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert list(diff_validator.iter_errors(report)) == []
    assert report["summary"]["compared"] == 0
