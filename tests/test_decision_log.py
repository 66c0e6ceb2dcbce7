"""The decision log: what an auditor and an operator see (records written, ``hrdd audit
verify`` messages and exit codes, failures that stop a decision from being reported).

Logs are built through the Python API with a baseline engine built once for the module;
each CLI behaviour is checked through ``hrdd.cli.main`` in-process, and writers that must
run concurrently or be killed run as separate processes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hrdd
from hrdd import documents
from hrdd.cli import main
from hrdd.decisionlog import GENESIS, MASKED, log_assessment, open_log, verify
from hrdd.errors import DecisionLogError
from hrdd.logsettings import PointerError, format_pointer, parse_pointer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "policies" / "examples" / "transactions"
THERMAL = EXAMPLES / "thermal-cameras-private-port.json"
DRONE = EXAMPLES / "drone-border-guard.json"
INTERCEPTION = EXAMPLES / "interception-intelligence-agency.json"

# A writer process: appends the decision in PAYLOAD to TARGET, COUNT times (or until killed),
# each with its own transaction id W<writer>-<i>.
WRITER = textwrap.dedent(
    """
    import hashlib, json, sys
    from hrdd.decisionlog import canonical, open_log

    target, payload, writer, count = sys.argv[1:5]
    with open(payload, encoding="utf-8") as f:
        data = json.load(f)
    log = open_log(target)
    i = 0
    while count == "forever" or i < int(count):
        transaction = dict(data["transaction"], id=f"W{writer}-{i}")
        log.append(data["report"], transaction, hashlib.sha256(canonical(transaction)).hexdigest())
        i += 1
    """
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def baseline() -> hrdd.Engine:
    return hrdd.Engine.from_policy("baseline")


@pytest.fixture(scope="module")
def decisions(baseline: hrdd.Engine) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(report, transaction) for three example transactions."""
    found = []
    for path in (THERMAL, DRONE, INTERCEPTION):
        transaction = documents.read_document(path)
        found.append((baseline.assess(transaction).to_dict(), transaction))
    return found


def build_log(target: str | Path, decisions: list[tuple[dict[str, Any], dict[str, Any]]], count: int) -> None:
    log = open_log(target)
    for index in range(count):
        report, transaction = decisions[index % len(decisions)]
        log_assessment(log, report, transaction)
    log.close()


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def verify_cli(capsys: pytest.CaptureFixture[str], target: str | Path) -> tuple[int, str, str]:
    return run(capsys, "audit", "verify", str(target))


# --------------------------------------------------------------------------------------
# Appending and verifying
# --------------------------------------------------------------------------------------


def test_assess_appends_the_decision_and_audit_verify_finds_the_chain_intact(capsys, tmp_path):
    log = tmp_path / "decisions.jsonl"
    reports = []
    for path in (THERMAL, DRONE):
        code, out, err = run(capsys, "assess", str(path), "--log", str(log))
        assert (code, err) == (0, "")
        reports.append(json.loads(out))

    records = [json.loads(line) for line in lines_of(log)]
    assert [r["seq"] for r in records] == [1, 2]
    assert records[0]["prev"] == GENESIS
    assert records[1]["prev"] == records[0]["hash"]
    for record, report, path in zip(records, reports, (THERMAL, DRONE), strict=True):
        assert record["report"] == report  # exactly what was reported
        assert record["transaction"] == json.loads(path.read_text(encoding="utf-8"))  # replayable
        assert record["input_sha256"] == report["provenance"]["input_sha256"]
        assert record["masked"] == []
        assert record["time"].endswith("Z")

    code, out, err = verify_cli(capsys, log)
    assert (code, err) == (0, "")
    assert out.startswith(
        f"{log}: 2 records, chain intact (first {records[0]['time']}, last {records[1]['time']})"
    )
    assert f"last hash {records[1]['hash']}" in out


def test_record_hash_covers_the_canonical_record_without_its_hash(tmp_path, decisions):
    log = tmp_path / "d.jsonl"
    build_log(log, decisions, 1)
    line = lines_of(log)[0]
    record = json.loads(line)
    assert line == orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n"  # one canonical line
    body = {key: value for key, value in record.items() if key != "hash"}
    expected = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert record["hash"] == expected


def test_verify_as_json(capsys, tmp_path, decisions):
    log = tmp_path / "d.jsonl"
    build_log(log, decisions, 3)
    code, out, _ = run(capsys, "audit", "verify", "--json", str(log))
    assert code == 0
    result = json.loads(out)
    assert (result["intact"], result["records"], result["broken"]) == (True, 3, None)
    assert result["head"] == json.loads(lines_of(log)[-1])["hash"]


# --------------------------------------------------------------------------------------
# Tampering
# --------------------------------------------------------------------------------------


def _edit_finding(line: bytes) -> bytes:
    record = json.loads(line)
    record["report"]["findings"][0]["outcome"] = "pass"
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n"


def _edit_and_rehash(line: bytes) -> bytes:
    record = json.loads(line)
    record["report"]["decision"] = "proceed"
    del record["hash"]
    record["hash"] = hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n"


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (
            lambda lines: [*lines[:4], _edit_finding(lines[4]), *lines[5:]],
            "line 5 (seq 5): hash does not match its content (edited); 4 records before it are intact",
        ),
        (
            lambda lines: [*lines[:4], _edit_and_rehash(lines[4]), *lines[5:]],
            "line 6 (seq 6): prev does not match the hash of line 5 (deleted, reordered or inserted)",
        ),
        (
            lambda lines: [*lines[:4], *lines[5:]],
            "line 5 (seq 6): seq 6 follows seq 4 (records deleted or reordered)",
        ),
        (
            lambda lines: [*lines[:3], lines[4], lines[3], *lines[5:]],
            "line 4 (seq 5): seq 5 follows seq 3 (records deleted or reordered)",
        ),
        (
            lambda lines: [*lines[:3], lines[2], *lines[3:]],
            "line 4 (seq 3): seq 3 follows seq 3 (records deleted or reordered)",
        ),
        (
            lambda lines: lines[1:],
            "line 1 (seq 2): the log starts at seq 2, not 1 (records before it deleted)",
        ),
        (
            lambda lines: [*lines[:2], lines[2].replace(b'"decision":', b'"decision": ', 1), *lines[3:]],
            "line 3 (seq 3): not in canonical JSON form although its hash matches (rewritten outside hrdd)",
        ),
        (
            lambda lines: [*lines[:2], lines[2][:100] + b"\n", *lines[3:]],
            "line 3: not valid JSON",
        ),
    ],
    ids=[
        "edited",
        "edited-and-rehashed",
        "deleted",
        "reordered",
        "inserted",
        "head-deleted",
        "reformatted",
        "garbled",
    ],
)
def test_verify_names_the_first_broken_record(capsys, tmp_path, decisions, tamper, expected):
    log = tmp_path / "d.jsonl"
    build_log(log, decisions, 8)
    log.write_bytes(b"".join(tamper(lines_of(log))))
    code, out, err = verify_cli(capsys, log)
    assert code == 1, out + err
    assert out.startswith(f"{log}: {expected}")
    assert "Traceback" not in err


def test_a_forged_record_inserted_with_a_valid_hash_breaks_the_next_link(tmp_path, decisions):
    log = tmp_path / "d.jsonl"
    build_log(log, decisions, 5)
    lines = lines_of(log)
    forged = json.loads(lines[2])
    forged.update(seq=4, prev=json.loads(lines[2])["hash"])
    forged["report"]["decision"] = "proceed"
    del forged["hash"]
    forged["hash"] = hashlib.sha256(orjson.dumps(forged, option=orjson.OPT_SORT_KEYS)).hexdigest()
    log.write_bytes(
        b"".join([*lines[:3], orjson.dumps(forged, option=orjson.OPT_SORT_KEYS) + b"\n", *lines[3:]])
    )
    result = verify(log)
    assert not result.intact and result.records == 4
    assert str(result.broken) == "line 5 (seq 4): seq 4 follows seq 4 (records deleted or reordered)"


# --------------------------------------------------------------------------------------
# Truncation, killed writers, concurrent writers
# --------------------------------------------------------------------------------------


def test_a_cut_short_last_record_is_reported_and_the_next_append_continues_the_chain(
    capsys, tmp_path, decisions
):
    log = tmp_path / "d.jsonl"
    build_log(log, decisions, 3)
    whole = lines_of(log)
    with log.open("ab") as f:
        f.write(whole[0][: len(whole[0]) // 2])  # a writer died in the middle of a record
    code, out, _ = verify_cli(capsys, log)
    assert code == 1
    assert (
        out.strip()
        == f"{log}: line 4: incomplete last record (truncated; the 3 records before it are intact)"
    )

    code, out, err = run(capsys, "assess", str(THERMAL), "--log", str(log))
    assert (code, err) == (0, "")
    assert lines_of(log)[:3] == whole
    assert json.loads(lines_of(log)[3])["prev"] == json.loads(whole[2])["hash"]
    code, out, _ = verify_cli(capsys, log)
    assert (code, out.split(", chain")[0]) == (0, f"{log}: 4 records")


def test_a_cut_short_first_record_is_still_a_log(capsys, tmp_path, decisions):
    log = tmp_path / "d.jsonl"
    build_log(log, decisions, 1)
    log.write_bytes(log.read_bytes()[:500])
    code, out, _ = verify_cli(capsys, log)
    assert code == 1
    assert "line 1: incomplete last record (truncated; the 0 records before it are intact)" in out
    build_log(log, decisions, 1)
    assert verify(log).records == 1


def _payload(tmp_path: Path, decisions: list[tuple[dict[str, Any], dict[str, Any]]]) -> Path:
    report, transaction = decisions[0]
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps({"report": report, "transaction": transaction}), encoding="utf-8")
    return payload


def test_concurrent_writers_never_interleave_or_lose_a_record(tmp_path, decisions):
    log = tmp_path / "d.jsonl"
    payload = _payload(tmp_path, decisions)
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(log), str(payload), str(k), "50"])
        for k in range(4)
    ]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0, 0, 0]

    result = verify(log)
    assert (result.intact, result.records) == (True, 200)
    ids = [json.loads(line)["transaction"]["id"] for line in lines_of(log)]  # every line whole
    assert Counter(i.split("-")[0] for i in ids) == {"W0": 50, "W1": 50, "W2": 50, "W3": 50}
    for k in range(4):  # each writer's records in its own order
        assert [i for i in ids if i.startswith(f"W{k}-")] == [f"W{k}-{n}" for n in range(50)]


def test_a_writer_killed_mid_loop_leaves_a_verifiable_log_that_the_next_append_continues(tmp_path, decisions):
    log = tmp_path / "d.jsonl"
    payload = _payload(tmp_path, decisions)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(log), str(payload), "0", "forever"])
    try:
        deadline = time.monotonic() + 30
        while (not log.exists() or log.read_bytes().count(b"\n") < 20) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
    assert writer.returncode == -signal.SIGKILL

    before = verify(log)
    assert before.records >= 20
    assert before.intact or "incomplete last record" in before.broken.problem  # at most a cut-short tail
    build_log(log, decisions, 1)
    after = verify(log)
    assert (after.intact, after.records) == (True, before.records + 1)


# --------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------

INTERCEPTION_NAMES = (
    "National Directorate of Strategic Intelligence",  # the end user
    "Istmo Secure Solutions S.A.",  # parties
    "Gulfway Freight Forwarding FZE",
    "Banco Caribe Comercial",
)


def test_masked_names_disappear_from_the_whole_record(capsys, write_policy):
    policy = write_policy(
        """
        [policy]
        name = "masked"
        extends = "baseline"

        [log]
        target = "decisions.jsonl"
        mask = ["/end_user/name", "/parties/*/name", "/end_user/no_such_field"]
        """
    )
    code, out, err = run(capsys, "assess", str(INTERCEPTION), "--policy", str(policy))
    assert (code, err) == (0, "")
    assert INTERCEPTION_NAMES[0] in out  # the report itself is not masked, only the log

    line = (policy.parent / "decisions.jsonl").read_text(encoding="utf-8")
    for name in INTERCEPTION_NAMES:
        assert name.lower() not in line.lower(), name
    record = json.loads(line)
    # the pointer that matched nothing is not listed
    assert record["masked"] == ["/end_user/name", "/parties/*/name"]
    assert record["transaction"]["end_user"]["name"] == MASKED
    assert {party["name"] for party in record["transaction"]["parties"]} == {MASKED}
    assert MASKED in record["report"]["reason"] or any(
        MASKED in f["message"] for f in record["report"]["findings"]
    )
    # the other end user was not masked, and the hash covers what was written
    assert "Military Counter-Intelligence Directorate" in line
    assert verify(policy.parent / "decisions.jsonl").intact


def test_mask_by_array_index_and_escaped_names(tmp_path, decisions):
    report, transaction = decisions[2]
    log = open_log(tmp_path / "d.jsonl", mask=["/parties/1/name", "/parties/9/name", "/items/-/name"])
    record = log_assessment(log, report, transaction)
    assert record.masked == ("/parties/1/name",)
    written = json.loads((tmp_path / "d.jsonl").read_text(encoding="utf-8"))
    assert written["transaction"]["parties"][1]["name"] == MASKED
    assert written["transaction"]["parties"][0]["name"] == transaction["parties"][0]["name"]


def test_a_log_table_without_target_masks_the_log_given_on_the_command_line(
    capsys, write_policy, capability_only_policy, tmp_path
):
    policy = write_policy(
        f"""
        [policy]
        name = "masks-only"
        extends = "{capability_only_policy}"

        [log]
        mask = ["/end_user/name"]
        """
    )
    assert hrdd.Policy.load(policy).log.target is None
    code, out, _ = run(capsys, "assess", str(THERMAL), "--policy", str(policy))
    assert (code, json.loads(out)["transaction_id"]) == (0, "TX-2026-0005")
    assert not list(tmp_path.rglob("*.jsonl"))  # no target: nothing logged
    log = tmp_path / "d.jsonl"
    assert run(capsys, "assess", str(THERMAL), "--policy", str(policy), "--log", str(log))[0] == 0
    record = json.loads(log.read_text(encoding="utf-8"))
    assert (record["transaction"]["end_user"]["name"], record["masked"]) == (MASKED, ["/end_user/name"])
    assert "Scheldemond Bulk Terminal NV" not in log.read_text(encoding="utf-8")


def test_logging_an_assessment_from_python(tmp_path, baseline):
    from hrdd.decisionlog import open_policy_log

    document = documents.read_document(DRONE)
    assessment = baseline.assess(document)
    assert open_policy_log(baseline.policy) is None  # the baseline configures no log
    log = open_policy_log(baseline.policy, tmp_path / "d.jsonl")
    record = log_assessment(log, assessment, document)
    assert (record.seq, record.prev, record.masked) == (1, GENESIS, ())
    assert json.loads(record.line)["report"] == assessment.to_dict()
    assert verify(tmp_path / "d.jsonl").head == record.hash


def test_a_malformed_mask_pointer_is_a_policy_error(capsys, write_policy):
    policy = write_policy(
        """
        [policy]
        name = "bad-mask"
        extends = "baseline"

        [log]
        target = "decisions.jsonl"
        mask = ["end_user/name", "/ok", "/a~2b"]
        """
    )
    code, out, err = run(capsys, "assess", str(THERMAL), "--policy", str(policy))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"hrdd: {policy}: $.log.mask[0]: 'end_user/name' is not a JSON pointer")
    assert lines[1].startswith(f"hrdd: {policy}: $.log.mask[2]: '/a~2b' is not a JSON pointer")
    assert not (policy.parent / "decisions.jsonl").exists()


@given(st.text())
def test_any_string_is_a_pointer_or_a_clear_error(text):
    try:
        tokens = parse_pointer(text)
    except PointerError as exc:
        assert str(exc)
        assert "JSON pointer" in str(exc) or "empty pointer" in str(exc)
    else:
        assert text.startswith("/")
        assert format_pointer(tokens) == text


@given(st.lists(st.text(), min_size=1))
def test_pointers_round_trip(tokens):
    assert parse_pointer(format_pointer(tuple(tokens))) == tuple(tokens)


# --------------------------------------------------------------------------------------
# The policy's [log] table
# --------------------------------------------------------------------------------------


def test_the_policys_log_is_used_without_log_and_log_overrides_its_target(capsys, write_policy, tmp_path):
    base = write_policy(
        """
        [policy]
        name = "team-base"
        extends = "baseline"

        [log]
        target = "logs/decisions.jsonl"
        """,
        name="base/policy.toml",
    )
    (base.parent / "logs").mkdir()
    child = write_policy(  # no [log]: the base's, relative to the base's directory
        """
        [policy]
        name = "team"
        extends = "../base/policy.toml"
        """,
        name="team/policy.toml",
    )
    assert run(capsys, "assess", str(THERMAL), "--policy", str(child))[0] == 0
    assert verify(base.parent / "logs" / "decisions.jsonl").records == 1

    elsewhere = tmp_path / "elsewhere.db"
    assert (
        run(capsys, "assess", str(THERMAL), "--policy", str(child), "--log", f"sqlite:///{elsewhere}")[0] == 0
    )
    assert verify(base.parent / "logs" / "decisions.jsonl").records == 1
    assert verify(f"sqlite:///{elsewhere}").records == 1


def test_policy_log_settings(write_policy):
    policy = write_policy(
        """
        [policy]
        name = "p"
        extends = "baseline"

        [log]
        target = "sqlite:///db/decisions.db"
        mask = ["/end_user/name"]
        required = false
        """
    )
    settings = hrdd.Policy.load(policy).log
    assert settings is not None
    assert settings.target == f"sqlite:///{policy.parent / 'db' / 'decisions.db'}"
    assert (settings.mask, settings.required) == (("/end_user/name",), False)
    assert hrdd.Policy.load("baseline").log is None


def test_a_malformed_sqlite_target_is_bad_input(capsys, write_policy):
    policy = write_policy(
        """
        [policy]
        name = "p"
        extends = "baseline"

        [log]
        target = "sqlite://decisions.db"
        """
    )
    code, out, err = run(capsys, "assess", str(THERMAL), "--policy", str(policy))
    assert (code, out) == (2, "")
    assert f"{policy}: $.log.target: 'sqlite://decisions.db' is not a SQLite target" in err
    code, out, err = run(capsys, "assess", str(THERMAL), "--log", "sqlite:decisions.db")
    assert (code, out) == (2, "")
    assert "is not a SQLite target" in err


# --------------------------------------------------------------------------------------
# A log that cannot be written: the decision is not reported
# --------------------------------------------------------------------------------------


def _assert_not_reported(code: int, out: str, err: str, reason: str) -> None:
    assert code == 3
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("hrdd: cannot append to the decision log ")
    assert reason in err
    assert err.rstrip().endswith("the decision was not reported")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a device that is always full)")
def test_a_full_disk_fails_the_assessment_and_reports_nothing(capsys, tmp_path):
    report = tmp_path / "report.json"
    code, out, err = run(capsys, "assess", str(THERMAL), "--log", "/dev/full", "-o", str(report))
    _assert_not_reported(code, out, err, "No space left on device")
    assert not report.exists()


def test_a_read_only_log_fails_the_assessment_and_reports_nothing(capsys, tmp_path, monkeypatch):
    log = tmp_path / "d.jsonl"
    real_open = os.open

    def read_only_file_system(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path) == str(log) and flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only_file_system)
    code, out, err = run(capsys, "assess", str(THERMAL), "--log", str(log))
    _assert_not_reported(code, out, err, f"{log}: Read-only file system")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only files and directories")
@pytest.mark.parametrize("read_only", ["directory", "file"])
def test_a_read_only_directory_or_file_fails_the_assessment(capsys, tmp_path, decisions, read_only):
    directory = tmp_path / "ro"
    directory.mkdir()
    log = directory / "d.jsonl"
    if read_only == "file":
        build_log(log, decisions, 1)
    protected = directory if read_only == "directory" else log
    protected.chmod(0o555 if read_only == "directory" else 0o444)
    try:
        code, out, err = run(capsys, "assess", str(THERMAL), "--log", str(log))
    finally:
        protected.chmod(0o755 if read_only == "directory" else 0o644)
    _assert_not_reported(code, out, err, "Permission denied")


@pytest.mark.parametrize("where", ["missing-directory", "directory"])
def test_an_unwritable_target_fails_the_assessment(capsys, tmp_path, where):
    target = tmp_path / "no-such-dir" / "d.jsonl" if where == "missing-directory" else tmp_path
    code, out, err = run(capsys, "assess", str(THERMAL), "--log", str(target))
    _assert_not_reported(
        code, out, err, "No such file or directory" if where != "directory" else "Is a directory"
    )


def test_a_log_whose_last_record_is_damaged_is_not_continued(capsys, tmp_path, decisions):
    log = tmp_path / "d.jsonl"
    build_log(log, decisions, 2)
    lines = lines_of(log)
    log.write_bytes(lines[0] + _edit_finding(lines[1]))
    code, out, err = run(capsys, "assess", str(THERMAL), "--log", str(log))
    _assert_not_reported(code, out, err, "hash does not match its content (edited)")
    assert "hrdd audit verify" in err
    assert lines_of(log)[0] == lines[0] and len(lines_of(log)) == 2


def test_a_log_that_is_not_required_only_warns(capsys, write_policy, tmp_path):
    policy = write_policy(
        f"""
        [policy]
        name = "p"
        extends = "baseline"

        [log]
        target = "{tmp_path / "no-such-dir" / "d.jsonl"}"
        required = false
        """
    )
    code, out, err = run(capsys, "assess", str(THERMAL), "--policy", str(policy))
    assert code == 0
    assert json.loads(out)["transaction_id"] == "TX-2026-0005"
    assert err.startswith("hrdd: warning: cannot append to the decision log")


def test_the_transaction_logged_must_be_the_one_assessed(tmp_path, decisions):
    report, transaction = decisions[0]
    other = dict(transaction, id="TX-OTHER")
    with pytest.raises(ValueError, match="not the document that was assessed"):
        log_assessment(tmp_path / "d.jsonl", report, other)
    assert not (tmp_path / "d.jsonl").exists()


# --------------------------------------------------------------------------------------
# Not a decision log
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such file (not a decision log)"),
        (lambda p: p.mkdir(), "is a directory, not a decision log"),
        (lambda p: p.write_text('{"id": "TX-1"}\n', encoding="utf-8"), "not a decision log (line 1"),
        (lambda p: p.write_text("hello\n", encoding="utf-8"), "not a decision log (line 1"),
    ],
    ids=["missing", "directory", "json", "text"],
)
def test_verify_of_something_that_is_not_a_log_is_bad_input(capsys, tmp_path, make, message):
    target = tmp_path / "d.jsonl"
    make(target)
    code, out, err = verify_cli(capsys, target)
    assert (code, out) == (2, "")
    assert err.startswith(f"hrdd: {target}: ") and message in err


def test_an_empty_log_is_intact(capsys, tmp_path):
    (tmp_path / "d.jsonl").touch()
    code, out, _ = verify_cli(capsys, tmp_path / "d.jsonl")
    assert (code, out.strip()) == (0, f"{tmp_path / 'd.jsonl'}: 0 records (an empty log)")


# --------------------------------------------------------------------------------------
# SQLite
# --------------------------------------------------------------------------------------


def test_sqlite_log_appends_and_verifies(capsys, tmp_path, decisions):
    target = f"sqlite:///{tmp_path / 'd.db'}"
    code, reported, err = run(capsys, "assess", str(DRONE), "--log", target)
    assert (code, err) == (0, "")
    build_log(target, decisions, 3)
    code, out, _ = verify_cli(capsys, target)
    assert code == 0
    assert out.startswith(f"{target}: 4 records, chain intact")
    with sqlite3.connect(tmp_path / "d.db") as connection:
        rows = connection.execute("SELECT seq, record, hash, prev FROM decisions ORDER BY seq").fetchall()
    assert [row[0] for row in rows] == [1, 2, 3, 4]
    first = json.loads(rows[0][1])
    assert first["report"] == json.loads(reported)
    assert (rows[0][2], rows[0][3], rows[1][3]) == (first["hash"], GENESIS, first["hash"])


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            'UPDATE decisions SET record = replace(record, \'"decision":"escalate"\', '
            '\'"decision":"proceed"\') WHERE seq = 2',
            "row 2 (seq 2): hash does not match its content (edited)",
        ),
        (
            "DELETE FROM decisions WHERE seq = 2",
            "row 2 (seq 3): seq 3 follows seq 1 (records deleted or reordered)",
        ),
        (
            "UPDATE decisions SET prev = hash WHERE seq = 3",
            "row 3 (seq 3): its seq, hash or prev column differs from its record (edited)",
        ),
    ],
    ids=["edited", "deleted", "column-edited"],
)
def test_sqlite_tampering_is_detected(capsys, tmp_path, decisions, statement, expected):
    target = f"sqlite:///{tmp_path / 'd.db'}"
    build_log(target, decisions, 4)
    with sqlite3.connect(tmp_path / "d.db") as connection:
        assert connection.execute(statement).rowcount == 1
    connection.close()
    code, out, _ = verify_cli(capsys, target)
    assert code == 1
    assert out.startswith(f"{target}: {expected}")


def test_sqlite_concurrent_writers(tmp_path, decisions):
    target = f"sqlite:///{tmp_path / 'd.db'}"
    payload = _payload(tmp_path, decisions)
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, target, str(payload), str(k), "10"]) for k in range(4)
    ]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0, 0, 0]
    assert (verify(target).intact, verify(target).records) == (True, 40)


@pytest.mark.parametrize("content", [b"not a database at all", None], ids=["not-sqlite", "no-table"])
def test_sqlite_verify_of_something_that_is_not_a_log(capsys, tmp_path, content):
    path = tmp_path / "d.db"
    if content is None:
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE other (x)")
        connection.close()
    else:
        path.write_bytes(content * 200)
    code, out, err = verify_cli(capsys, f"sqlite:///{path}")
    assert (code, out) == (2, "")
    assert "not a" in err


def test_sqlite_append_to_an_unwritable_database_fails(capsys, tmp_path):
    code, out, err = run(
        capsys, "assess", str(THERMAL), "--log", f"sqlite:///{tmp_path / 'no-such-dir' / 'd.db'}"
    )
    _assert_not_reported(code, out, err, "unable to open database file")


def test_decision_log_error_is_public_and_an_hrdd_error():
    assert hrdd.DecisionLogError is DecisionLogError
    assert issubclass(DecisionLogError, hrdd.HrddError)


@pytest.mark.parametrize("kind", ["jsonl", "sqlite"])
def test_one_log_shared_by_threads(tmp_path, decisions, kind):
    from concurrent.futures import ThreadPoolExecutor

    target = str(tmp_path / "d.jsonl") if kind == "jsonl" else f"sqlite:///{tmp_path / 'd.db'}"
    log = open_log(target)
    report, transaction = decisions[0]
    with ThreadPoolExecutor(4) as pool:
        records = list(pool.map(lambda _: log_assessment(log, report, transaction), range(20)))
    assert sorted(r.seq for r in records) == list(range(1, 21))
    assert (verify(target).intact, verify(target).records) == (True, 20)


@pytest.mark.parametrize("sink", ["jsonl", "sqlite"])
def test_a_head_kept_outside_the_log_detects_records_cut_from_its_end(capsys, tmp_path, decisions, sink):
    target = str(tmp_path / "d.jsonl") if sink == "jsonl" else f"sqlite:///{tmp_path / 'd.db'}"
    build_log(target, decisions, 4)
    code, out, _ = run(capsys, "audit", "verify", target)
    assert code == 0
    head = out.split("last hash ")[1].split()[0]
    build_log(target, decisions, 2)  # the log goes on: the kept head is still in it
    code, out, _ = run(capsys, "audit", "verify", target, "--expect-head", head)
    assert code == 0 and "is record seq 4; 2 record(s) appended since" in out
    # cut the last three records: the chain that is left is intact, the kept head is gone
    if sink == "jsonl":
        path = tmp_path / "d.jsonl"
        path.write_bytes(b"".join(lines_of(path)[:3]))
    else:
        with sqlite3.connect(tmp_path / "d.db") as connection:
            connection.execute("DELETE FROM decisions WHERE seq > 3")
        connection.close()
    assert run(capsys, "audit", "verify", target)[0] == 0
    code, out, _ = run(capsys, "audit", "verify", target, "--expect-head", head)
    assert code == 1 and "is not in the log: records were cut from its end, or the log was rewritten" in out
    code, out, _ = run(capsys, "audit", "verify", target, "--expect-head", head, "--json")
    assert code == 1 and json.loads(out)["expected_head"] == {"head": head, "found": False, "seq": None}
