"""``hrdd batch``: one JSON line per non-blank input line, in order, whatever goes wrong.

What a user notices: the order of the output, error records for bad lines (and the exit
code that says so), identical output for any number of workers, no complete-looking output
after a kill and ``--resume`` finishing it, the lock and the decision log honoured, the
closing summary.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hrdd
from hrdd.batch import partial_paths, run_batch
from hrdd.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "policies" / "examples" / "transactions"
WITHOUT_SCREENING = ROOT / "benchmarks" / "baseline-without-screening.toml"


def _examples() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(EXAMPLES.glob("*.json"))]


def transactions(count: int) -> list[dict[str, Any]]:
    """``count`` transactions: the shipped examples in turn, each with its own id."""
    examples = _examples()
    documents = []
    for index in range(count):
        document = json.loads(json.dumps(examples[index % len(examples)]))
        document["id"] = f"TX-{index:05d}"
        documents.append(document)
    return documents


def write_lines(path: Path, lines: Sequence[str | dict[str, Any]]) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    return path


def read_output(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def timeless(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records without their assessed_at times (the only thing two runs may differ in)."""
    for record in records:
        if "provenance" in record:
            record["provenance"]["assessed_at"] = None
    return records


def mixed_input(tmp_path: Path, minimal_transaction: Callable[..., dict[str, Any]]) -> Path:
    bad_country = minimal_transaction(id="TX-BAD-COUNTRY")
    bad_country["end_user"]["country"] = "XX"
    return write_lines(
        tmp_path / "in.jsonl",
        [
            minimal_transaction(id="TX-1"),
            "{not json",
            "",
            bad_country,
            "   ",
            minimal_transaction(id="TX-2"),
            "[1, 2]",
            minimal_transaction(id="TX-3"),
        ],
    )


# --------------------------------------------------------------------------------------
# Order, error records, exit codes, summary
# --------------------------------------------------------------------------------------


def test_one_line_per_non_blank_input_line_in_order_with_error_records(
    tmp_path, capsys, minimal_transaction, capability_only_policy
):
    source = mixed_input(tmp_path, minimal_transaction)
    out = tmp_path / "out.jsonl"

    code = main(["batch", str(source), "-o", str(out), "--policy", str(capability_only_policy)])

    assert code == 2  # some lines could not be assessed, every line written
    records = read_output(out)
    assert [r.get("transaction_id") for r in records] == [
        "TX-1",
        None,
        "TX-BAD-COUNTRY",
        "TX-2",
        None,
        "TX-3",
    ]
    assert records[0]["decision"] and "error" not in records[0]
    assert records[1]["line"] == 2 and records[1]["error"] == "invalid_json"
    assert records[1]["problems"][0]["message"].startswith("invalid JSON")
    assert records[2]["line"] == 4 and records[2]["error"] == "invalid_transaction"
    assert records[2]["problems"] == [
        {"path": "$.end_user.country", "message": '"XX" is not an ISO 3166-1 alpha-2 country code'}
    ]
    assert records[4]["line"] == 7 and records[4]["error"] == "invalid_transaction"
    stderr = capsys.readouterr().err
    assert "6 lines" in stderr and "errors" in stderr and "input lines 2, 4, 7" in stderr


def test_every_output_line_is_valid_against_the_published_batch_line_schema(
    tmp_path, minimal_transaction, capability_only_policy
):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    schemas = {
        name: json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
        for name in ("batch-line", "report")
    }
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    Draft202012Validator.check_schema(schemas["batch-line"])
    validator = Draft202012Validator(
        schemas["batch-line"], registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    out = tmp_path / "out.jsonl"
    run_batch(mixed_input(tmp_path, minimal_transaction), out, policy=capability_only_policy)

    records = read_output(out)
    for record in records:
        validator.validate(record)
    assert not validator.is_valid({"line": 1, "error": "invalid_json"})  # problems are required
    assert main(["schema", "batch-line"]) == 0


def test_a_report_line_is_the_report_hrdd_assess_prints(tmp_path, capsys, capability_only_policy):
    transaction = EXAMPLES / "thermal-cameras-private-port.json"
    write_lines(tmp_path / "in.jsonl", [json.loads(transaction.read_text(encoding="utf-8"))])
    policy = ["--policy", str(capability_only_policy)]

    assert main(["assess", str(transaction), *policy]) == 0
    assessed = json.loads(capsys.readouterr().out)
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"), *policy]) == 0

    assert timeless(read_output(tmp_path / "out.jsonl")) == timeless([assessed])


def test_summary_counts_decisions_errors_and_says_the_date(
    tmp_path, capsys, minimal_transaction, capability_only_policy
):
    source = mixed_input(tmp_path, minimal_transaction)
    main(
        [
            "batch",
            str(source),
            "-o",
            str(tmp_path / "out.jsonl"),
            "--policy",
            str(capability_only_policy),
            "--as-of",
            "2026-12-01",
        ]
    )
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout stays free; no progress bar when stderr is not a terminal
    lines = captured.err.splitlines()
    assert lines[0] == f"hrdd batch: 6 lines -> {tmp_path / 'out.jsonl'}"
    assert "per second, 1 worker)" in lines[1]
    assert "as of 2026-12-01" in lines[2]
    counts = {line.split()[0]: line.split()[1] for line in lines[3:] if line.startswith("  ")}
    assert sum(int(counts[d]) for d in hrdd.batch.DECISIONS) == 3
    assert counts["errors"] == "3"
    assert "waived findings" in captured.err


def test_missing_input_is_bad_input_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["batch", str(tmp_path / "nope.jsonl"), "-o", str(out)]) == 2
    assert "input file not found" in capsys.readouterr().err
    assert not out.exists() and not any(tmp_path.iterdir())


def test_output_into_a_missing_directory_is_bad_input(tmp_path, capsys, minimal_transaction):
    source = write_lines(tmp_path / "in.jsonl", [minimal_transaction()])
    assert main(["batch", str(source), "-o", str(tmp_path / "no" / "out.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(("fail_on", "expected"), [("escalate", 1), ("do_not_proceed", 0), (None, 0)])
def test_fail_on(tmp_path, capsys, minimal_transaction, capability_only_policy, fail_on, expected):
    # An unknown end-user sector buying a plain widget: the capability-only policy escalates
    # nothing, so decisions stay below escalate... except the one made to escalate here.
    risky = minimal_transaction(id="TX-RISKY")
    risky["items"][0].update(categories=["spyware"], capabilities=["device_exploitation", "covert_operation"])
    source = write_lines(tmp_path / "in.jsonl", [minimal_transaction(), risky])
    out = tmp_path / "out.jsonl"
    options = ["--fail-on", fail_on] if fail_on else []
    code = main(["batch", str(source), "-o", str(out), "--policy", str(capability_only_policy), *options])
    decisions = [r["decision"] for r in read_output(out)]
    assert "escalate" in decisions and "do_not_proceed" not in decisions
    assert code == expected


def test_as_of_applies_to_every_line(tmp_path, minimal_transaction, capability_only_policy):
    import datetime as dt

    source = write_lines(tmp_path / "in.jsonl", [minimal_transaction(id=f"TX-{i}") for i in range(3)])
    summary = run_batch(
        source, tmp_path / "out.jsonl", policy=capability_only_policy, as_of=dt.date(2026, 1, 15)
    )
    assert summary.as_of == dt.date(2026, 1, 15) and summary.to_dict()["as_of"] == "2026-01-15"
    assert {r["provenance"]["as_of"] for r in read_output(tmp_path / "out.jsonl")} == {"2026-01-15"}


# --------------------------------------------------------------------------------------
# Workers
# --------------------------------------------------------------------------------------


def test_two_workers_write_what_one_worker_writes(tmp_path):
    lines: list[str | dict[str, Any]] = list(transactions(90))
    lines[10] = "garbage"
    lines[47] = ""
    source = write_lines(tmp_path / "in.jsonl", lines)
    engine = hrdd.Engine.from_policy(WITHOUT_SCREENING)

    one = run_batch(source, tmp_path / "one.jsonl", engine=engine, workers=1, chunk_size=5)
    two = run_batch(source, tmp_path / "two.jsonl", engine=engine, workers=2, chunk_size=5)

    first, second = read_output(tmp_path / "one.jsonl"), read_output(tmp_path / "two.jsonl")
    assert len(first) == 89
    assert timeless(first) == timeless(second)
    assert [r.get("transaction_id") for r in first[:3]] == ["TX-00000", "TX-00001", "TX-00002"]
    assert one.to_dict()["decisions"] == two.to_dict()["decisions"] and two.workers == 2
    assert one.errors == two.errors == 1


def test_write_behind_leaves_the_output_as_it_would_be_without_it(tmp_path, monkeypatch):
    """With a window of 16 KiB (32 MiB in use) a batch of 60 reports goes through the page cache
    window by window: each written window is sent to disk and the one two behind dropped;
    the output is what a batch without write-behind writes, in this process and in workers."""
    from hrdd import files

    source = write_lines(tmp_path / "in.jsonl", list(transactions(60)))
    engine = hrdd.Engine.from_policy(WITHOUT_SCREENING)
    real = files._SYNC_FILE_RANGE
    monkeypatch.setattr(files, "_SYNC_FILE_RANGE", None)
    run_batch(source, tmp_path / "plain.jsonl", engine=engine, workers=1, chunk_size=4)

    calls: list[tuple[int, int, int]] = []

    def recording(fd: int, offset: int, length: int, flags: int) -> int:
        calls.append((offset, length, flags))
        return real(fd, offset, length, flags) if real is not None else 0

    monkeypatch.setattr(files, "_SYNC_FILE_RANGE", recording)
    monkeypatch.setattr(files, "WRITE_BEHIND_WINDOW", 16384)
    run_batch(source, tmp_path / "one.jsonl", engine=engine, workers=1, chunk_size=4)
    run_batch(source, tmp_path / "two.jsonl", engine=engine, workers=2, chunk_size=4)

    plain = timeless(read_output(tmp_path / "plain.jsonl"))
    assert timeless(read_output(tmp_path / "one.jsonl")) == plain
    assert timeless(read_output(tmp_path / "two.jsonl")) == plain
    size = (tmp_path / "one.jsonl").stat().st_size
    sent = [offset for offset, _, flags in calls if flags == 2]
    dropped = [offset for offset, _, flags in calls if flags == 7]
    assert sent == list(range(0, size - 16383, 16384))  # every complete window, once
    assert dropped == sent[: len(sent) - 2]  # all but the last two, dropped after waiting


# --------------------------------------------------------------------------------------
# A killed batch and --resume
# --------------------------------------------------------------------------------------


SLOW_EXTENSION = """
import time

from hrdd import PluginInfo, hookimpl

__version__ = "1.0.0"


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(description="takes 2 ms per transaction, so a batch can be killed mid-way")


@hookimpl
def hrdd_check_end_user(transaction, context):
    time.sleep(0.002)
    return []
"""


def _kill_mid_way(command: list[str], partial: Path, output: Path) -> None:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if partial.exists() and partial.stat().st_size > 100_000:
                break
            assert process.poll() is None, "the batch ended before it could be killed: give it more lines"
            time.sleep(0.002)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert not output.exists(), "a killed batch left an output that looks complete"


@pytest.mark.parametrize("workers", [1, 2])
def test_a_killed_batch_leaves_no_output_and_resume_completes_it(
    tmp_path, workers, write_policy, capability_only_policy
):
    policy = write_policy(
        f'[policy]\nname = "slow"\nversion = "1"\nextends = {json.dumps(str(capability_only_policy))}\n'
        '[plugins.slow]\npath = "slow.py"\n',
        extensions={"slow.py": SLOW_EXTENSION},
    )
    lines: list[str | dict[str, Any]] = list(transactions(600))
    lines[3] = '{"id": "broken"'
    source = write_lines(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    partial, meta = partial_paths(out)
    command = [sys.executable, "-m", "hrdd.cli", "batch", str(source), "-o", str(out)]
    command += ["--policy", str(policy), "--workers", str(workers), "--chunk-size", "8"]

    _kill_mid_way(command, partial, out)
    assert partial.exists() and meta.exists()

    resumed = run_batch(source, out, policy=policy, workers=workers, chunk_size=8, resume=True)
    assert 0 < resumed.resumed < 600 and resumed.lines == 600
    assert not partial.exists() and not meta.exists()
    reference = run_batch(source, tmp_path / "reference.jsonl", policy=policy, as_of=resumed.as_of, workers=2)
    assert timeless(read_output(out)) == timeless(read_output(tmp_path / "reference.jsonl"))
    assert resumed.to_dict()["decisions"] == reference.to_dict()["decisions"]
    assert resumed.errors == reference.errors == 1


def test_resume_refuses_a_partial_output_of_another_input(tmp_path, capsys, minimal_transaction):
    out = tmp_path / "out.jsonl"
    partial, meta = partial_paths(out)
    engine = hrdd.Engine.from_policy(WITHOUT_SCREENING)
    run_batch(write_lines(tmp_path / "a.jsonl", [minimal_transaction(id="TX-A")] * 3), out, engine=engine)
    # Fake an interrupted batch of a.jsonl: its output back as the partial, with a sidecar.
    from hrdd.batch import META_FORMAT, setup_sha256

    out.rename(partial)
    meta.write_text(
        json.dumps({"format": META_FORMAT, "as_of": "2026-12-01", "setup_sha256": setup_sha256(engine)})
    )
    other = write_lines(tmp_path / "b.jsonl", [minimal_transaction(id="TX-B")] * 3)

    code = main(["batch", str(other), "-o", str(out), "--policy", str(WITHOUT_SCREENING), "--resume"])

    assert code == 2
    assert "does not belong to input line 1" in capsys.readouterr().err
    assert not out.exists() and partial.exists()  # nothing lost: the user decides


def test_resume_without_an_interrupted_batch_starts_from_the_first_line(
    tmp_path, minimal_transaction, capability_only_policy
):
    source = write_lines(tmp_path / "in.jsonl", [minimal_transaction()])
    summary = run_batch(source, tmp_path / "out.jsonl", policy=capability_only_policy, resume=True)
    assert summary.resumed == 0 and summary.lines == 1
    assert "started from the first line" in summary.text()


# --------------------------------------------------------------------------------------
# Lock and decision log
# --------------------------------------------------------------------------------------


def test_a_lock_mismatch_refuses_to_run(tmp_path, capsys, minimal_transaction, write_policy):
    policy = write_policy('[policy]\nname = "acme"\nversion = "1"\nextends = "baseline"\n', name="acme.toml")
    assert main(["lock", "--policy", str(policy)]) == 0
    policy.write_text(policy.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    source = write_lines(tmp_path / "in.jsonl", [minimal_transaction()])
    out = tmp_path / "out.jsonl"

    assert main(["batch", str(source), "-o", str(out), "--policy", str(policy)]) == 2

    assert "acme.toml sha256 differs" in capsys.readouterr().err
    assert not out.exists() and not partial_paths(out)[0].exists()
    assert main(["batch", str(source), "-o", str(out), "--policy", str(policy), "--no-lock"]) == 0
    assert read_output(out)[0]["provenance"]["lock"]["status"] == "skipped"


def test_decision_log_gets_one_record_per_report_with_two_workers(tmp_path, capsys):
    lines: list[str | dict[str, Any]] = list(transactions(40))
    lines[5] = "not json"
    source = write_lines(tmp_path / "in.jsonl", lines)
    out, log = tmp_path / "out.jsonl", tmp_path / "decisions.jsonl"
    command = ["batch", str(source), "-o", str(out), "--policy", str(WITHOUT_SCREENING)]

    assert main([*command, "--workers", "2", "--chunk-size", "3", "--log", str(log)]) == 2

    reports = [r for r in read_output(out) if "error" not in r]
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(reports) == 39
    logged = sorted(r["report"]["provenance"]["input_sha256"] for r in records)
    assert logged == sorted(r["provenance"]["input_sha256"] for r in reports)
    assert "39 records appended" in capsys.readouterr().err
    assert main(["audit", "verify", str(log)]) == 0
    assert "39 records, chain intact" in capsys.readouterr().out


def test_a_log_that_cannot_be_written_stops_the_batch_with_exit_3(tmp_path, capsys, minimal_transaction):
    source = write_lines(tmp_path / "in.jsonl", [minimal_transaction(id=f"TX-{i}") for i in range(3)])
    out = tmp_path / "out.jsonl"
    log = tmp_path / "missing-directory" / "decisions.jsonl"

    code = main(["batch", str(source), "-o", str(out), "--policy", str(WITHOUT_SCREENING), "--log", str(log)])

    assert code == 3
    assert "cannot append to the decision log" in capsys.readouterr().err
    assert not out.exists()
    assert partial_paths(out)[0].read_bytes() == b""  # nothing reported that was not logged


# --------------------------------------------------------------------------------------
# Any input
# --------------------------------------------------------------------------------------

_GARBAGE = st.one_of(
    st.sampled_from(["{", "}", "[]", "null", "1e999", '"text"', '{"id": 7}', "NaN", "{'id': 'x'}"]),
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs",), blacklist_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
        ),
        max_size=20,
    ),
)


@pytest.fixture(scope="module")
def capability_engine_for_module(capability_only_policy: Path) -> hrdd.Engine:
    """One engine for every example hypothesis tries (building one per example is slow)."""
    return hrdd.Engine.from_policy(capability_only_policy)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.one_of(
            st.builds(
                lambda n: {
                    "id": f"TX-{n}",
                    "items": [{"id": "I", "name": "W"}],
                    "end_user": {"name": "E", "country": "NL"},
                },
                st.integers(0, 99),
            ),
            _GARBAGE,
        ),
        max_size=12,
    )
)
def test_any_lines_give_one_output_line_per_non_blank_input_line_in_order(
    lines, tmp_path_factory, capability_engine_for_module
):
    directory = tmp_path_factory.mktemp("any")
    source = write_lines(directory / "in.jsonl", lines)
    out = directory / "out.jsonl"

    summary = run_batch(source, out, engine=capability_engine_for_module, chunk_size=3)

    physical = source.read_text(encoding="utf-8").split("\n")[:-1]
    # Blank: empty or ASCII whitespace only (what JSON allows around a value).
    expected = [(n, text) for n, text in enumerate(physical, 1) if text and not text.encode().isspace()]
    records = read_output(out)
    assert len(records) == len(expected) == summary.lines
    for (number, text), record in zip(expected, records, strict=True):
        if "error" in record:
            assert record["line"] == number
        else:
            assert record["transaction_id"] == json.loads(text)["id"]


def test_spawned_workers_write_what_one_worker_writes(tmp_path, monkeypatch, capability_only_policy):
    """Where processes cannot fork, each worker builds its own engine from the policy."""
    import multiprocessing

    source = write_lines(tmp_path / "in.jsonl", list(transactions(12)))
    engine = hrdd.Engine.from_policy(capability_only_policy, lock=False)
    run_batch(source, tmp_path / "one.jsonl", engine=engine)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])

    run_batch(source, tmp_path / "two.jsonl", engine=engine, workers=2, chunk_size=2)

    second = read_output(tmp_path / "two.jsonl")
    assert timeless(read_output(tmp_path / "one.jsonl")) == timeless(second)
    assert second[0]["provenance"]["lock"]["status"] == "skipped"


@pytest.mark.parametrize("most", [1, 7, 100_000])
def test_gathered_writes_resume_after_short_writes(tmp_path, monkeypatch, most):
    """A worker writes a chunk's lines with gathering writes, more lines than one call takes,
    and a write may take fewer bytes than given: every byte lands once, in order."""
    from hrdd import batch

    monkeypatch.setattr(batch, "_IOV_MAX", 16)
    real = os.writev
    calls = []

    def short(fd: int, buffers: Sequence[bytes]) -> int:
        assert len(buffers) <= 16
        calls.append(len(buffers))
        return real(fd, [b"".join(buffers)[:most]])

    monkeypatch.setattr(os, "writev", short)
    lines = [f'{{"line": {n}, "pad": "{"x" * (n % 13)}"}}\n'.encode() for n in range(40)]
    path = tmp_path / "out.jsonl"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        batch._write_all(fd, lines)
    finally:
        os.close(fd)
    assert path.read_bytes() == b"".join(lines)
    assert len(calls) >= 3  # 40 lines take at least three calls of 16


def test_a_batch_in_this_process_leaves_the_collector_as_it_found_it(tmp_path, capability_only_policy):
    """The batch moves what outlives each chunk out of the cyclic collector's way (gc.freeze);
    when it ends, everything is handed back (an embedding platform's own cycles are collected
    again), and the reports are those of a batch that froze nothing."""
    import gc

    lines = [json.dumps(document) for document in transactions(150)]
    source = write_lines(tmp_path / "in.jsonl", lines)
    before = gc.get_freeze_count()
    run_batch(source, tmp_path / "out.jsonl", policy=capability_only_policy, chunk_size=16, lock=False)
    assert gc.get_freeze_count() == before
    engine = hrdd.Engine.from_policy(capability_only_policy, lock=False)
    expected = [json.loads(engine.assess(json.loads(line)).to_json()) for line in lines]
    assert timeless(read_output(tmp_path / "out.jsonl")) == timeless(expected)


_FAULTS_OF_REPORTS = """
import resource, sys
from hrdd.batch import keep_freed_memory
if sys.argv[1] == "keep":
    keep_freed_memory()
kept = []
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for chunk in range(40):  # chunks of 64 reports of 50 KB: built, held while written, then freed
    kept = [bytes(50_000) for _ in range(64)]
    kept.clear()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or __import__("platform").libc_ver()[0] != "glibc",
    reason="keep_freed_memory asks glibc's allocator; elsewhere it does nothing",
)
def test_a_batch_process_reuses_the_memory_of_reports_it_freed():
    """Reports freed after each chunk are reused for the next rather than handed back to the
    system and faulted in again page by page."""

    def faults(mode: str) -> int:
        run = subprocess.run(
            [sys.executable, "-c", _FAULTS_OF_REPORTS, mode], capture_output=True, text=True, check=True
        )
        return int(run.stdout)

    default, kept = faults("default"), faults("keep")
    assert default > 40 * 300  # each chunk's 3.2 MB handed back, then faulted in again page by page
    assert kept < default / 10


@pytest.mark.parametrize("workers", [1, 2])
def test_a_disk_that_fails_to_write_the_output_stops_the_batch_and_keeps_the_partial(
    tmp_path, monkeypatch, capsys, workers
):
    """An error writing a window of the output (reported once, to write-behind's wait) stops
    the batch with exit 3 and an actionable message; nothing looks complete, --resume can go on."""
    import ctypes
    import errno

    from hrdd import files

    def failing(fd: int, offset: int, length: int, flags: int) -> int:
        if flags & 4:  # waiting for a window two behind: the disk says it could not write it
            ctypes.set_errno(errno.EIO)
            return -1
        return 0

    monkeypatch.setattr(files, "_SYNC_FILE_RANGE", failing)
    monkeypatch.setattr(files, "WRITE_BEHIND_WINDOW", 16384)
    source = write_lines(tmp_path / "in.jsonl", list(transactions(20)))
    out = tmp_path / "out.jsonl"
    command = ["batch", str(source), "-o", str(out), "--policy", str(WITHOUT_SCREENING), "--chunk-size", "2"]
    code = main([*command, "--workers", str(workers)])
    err = capsys.readouterr().err
    assert code == 3
    assert "Input/output error" in err and "--resume" in err and "internal error" not in err
    partial, meta = partial_paths(out)
    assert not out.exists() and partial.exists() and meta.exists()


# --------------------------------------------------------------------------------------
# Workers reading their own spans of a regular input file
# --------------------------------------------------------------------------------------

_LINE_BYTES = st.lists(
    st.one_of(
        st.just(b""),
        st.just(b"  \t"),
        st.just(b'{"id": "TX"}'),
        st.binary(max_size=12).filter(lambda raw: b"\n" not in raw),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(
    lines=_LINE_BYTES,
    bom=st.booleans(),
    trailing_newline=st.booleans(),
    size=st.integers(1, 7),
    skipped=st.integers(0, 5),
    read_size=st.integers(1, 40),
)
def test_spans_read_by_workers_hold_the_lines_a_single_process_reads(
    lines, bom, trailing_newline, size, skipped, read_size
):
    """However the input is laid out (blank lines, a byte-order mark, no final newline, lines
    already taken by --resume), the spans the parent hands out give the workers exactly the
    numbered lines one process reads, and the same progress."""
    import io
    import tempfile

    from hrdd.batch import _chunks, _numbered_lines, _read_span, _spans

    data = (
        (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + (b"\n" if trailing_newline and lines else b"")
    )
    with tempfile.TemporaryFile() as handle:
        handle.write(data)
        handle.seek(0)
        expected_progress = [0, 0]
        expected = list(_chunks(_numbered_lines(io.BytesIO(data), expected_progress), size))

        progress = [0, 0]
        reader = _numbered_lines(handle, progress)  # what --resume takes first
        taken = [next(reader, None) for _ in range(skipped)]
        taken = [entry for entry in taken if entry is not None]
        spans = list(_spans(handle, progress, size, read_size))
        read = [entry for span in spans for entry in _read_span(handle.fileno(), span, "in.jsonl")]

    assert taken + read == [entry for chunk in expected for entry in chunk]
    assert progress == expected_progress
    assert all(span.length > 0 for span in spans)


def test_two_workers_reading_spans_cover_blank_lines_a_bom_and_no_final_newline(tmp_path):
    documents = transactions(23)
    text = "\n".join([json.dumps(documents[0]), "", *map(json.dumps, documents[1:12]), "  ", "oops"])
    text += "\n" + "\n".join(map(json.dumps, documents[12:]))  # no newline at the end
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + text.encode())
    engine = hrdd.Engine.from_policy(WITHOUT_SCREENING)

    run_batch(source, tmp_path / "one.jsonl", engine=engine, workers=1)
    two = run_batch(source, tmp_path / "two.jsonl", engine=engine, workers=2, chunk_size=4)

    first, second = read_output(tmp_path / "one.jsonl"), read_output(tmp_path / "two.jsonl")
    assert len(second) == 24 and two.errors == 1
    assert timeless(first) == timeless(second)
    assert second[0]["transaction_id"] == "TX-00000" and second[-1]["transaction_id"] == "TX-00022"
    assert [r["line"] for r in second if "error" in r] == [15]


def test_two_workers_read_a_pipe_through_the_parent(tmp_path):
    """Input that is not a regular file (a named pipe) cannot be read by span: the parent reads
    it and hands the lines out, with the same result."""
    import threading

    documents = transactions(15)
    payload = "".join(json.dumps(document) + "\n" for document in documents).encode()
    source = write_lines(tmp_path / "in.jsonl", list(documents))
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as pipe:
            pipe.write(payload)

    feeder = threading.Thread(target=feed)
    feeder.start()
    engine = hrdd.Engine.from_policy(WITHOUT_SCREENING)
    run_batch(fifo, tmp_path / "two.jsonl", engine=engine, workers=2, chunk_size=4)
    feeder.join()
    run_batch(source, tmp_path / "one.jsonl", engine=engine, workers=1)

    assert timeless(read_output(tmp_path / "two.jsonl")) == timeless(read_output(tmp_path / "one.jsonl"))


def test_an_input_changed_under_a_batch_stops_it_with_exit_2(tmp_path, monkeypatch, capsys):
    """A worker that finds its span no longer holds the lines the parent counted (the file was
    rewritten while the batch ran) stops the batch as bad input when that chunk's turn comes:
    the first changed line is the one named (lines 7 and 10 both changed, in chunks that two
    workers read at once), and every line before it is kept."""
    source = write_lines(tmp_path / "in.jsonl", list(transactions(12)))
    real_pread = os.pread
    sizes = [len(line) + 1 for line in source.read_text(encoding="utf-8").split("\n")[:-1]]
    sixth = sum(sizes[:6])

    def rewritten(fd: int, length: int, offset: int) -> bytes:
        data = real_pread(fd, length, offset)
        return data.replace(b"\n", b" ", 1) if offset >= sixth else data

    monkeypatch.setattr(os, "pread", rewritten)  # the forked workers inherit it
    out = tmp_path / "out.jsonl"
    command = ["batch", str(source), "-o", str(out), "--policy", str(WITHOUT_SCREENING)]
    code = main([*command, "--workers", "2", "--chunk-size", "3"])

    err = capsys.readouterr().err
    assert code == 2
    assert f"{source}: line 7" in err and "changed while the batch was reading it" in err
    assert "--resume" in err and "Traceback" not in err
    partial, _ = partial_paths(out)
    assert not out.exists() and partial.exists()
    kept = read_output(partial)
    assert [r["transaction_id"] for r in kept] == [f"TX-{n:05d}" for n in range(6)]


def test_the_reports_are_the_same_at_any_memory_scale(tmp_path, monkeypatch):
    """--memory-scale trades memory for speed and nothing else: with every memory scaled down
    to a value or a few (forgetting all the time) the reports are those of the default sizes,
    and the option does not outlive the batch."""
    from hrdd.memory import SCALE_VARIABLE

    monkeypatch.delenv(SCALE_VARIABLE, raising=False)
    source = write_lines(tmp_path / "in.jsonl", list(transactions(48)))
    command = ["batch", str(source), "--policy", str(WITHOUT_SCREENING), "--as-of", "2026-12-01"]
    assert main([*command, "-o", str(tmp_path / "default.jsonl")]) == 0
    assert (
        main([*command, "-o", str(tmp_path / "small.jsonl"), "--memory-scale", "0.001", "--workers", "2"])
        == 0
    )
    assert main([*command, "-o", str(tmp_path / "large.jsonl"), "--memory-scale", "4"]) == 0
    default = timeless(read_output(tmp_path / "default.jsonl"))
    assert timeless(read_output(tmp_path / "small.jsonl")) == default
    assert timeless(read_output(tmp_path / "large.jsonl")) == default
    assert SCALE_VARIABLE not in os.environ


@pytest.mark.parametrize(
    ("option", "environment", "where"),
    [
        (["--memory-scale", "0"], None, "--memory-scale"),
        (["--memory-scale", "-2"], None, "--memory-scale"),
        (["--memory-scale", "nan"], None, "--memory-scale"),
        ([], "lots", "HRDD_MEMORY_SCALE"),
        ([], "0", "HRDD_MEMORY_SCALE"),
    ],
)
def test_a_memory_scale_that_is_not_a_positive_number_is_bad_input(
    tmp_path, monkeypatch, capsys, option, environment, where
):
    from hrdd.memory import SCALE_VARIABLE

    if environment is None:
        monkeypatch.delenv(SCALE_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(SCALE_VARIABLE, environment)
    source = write_lines(tmp_path / "in.jsonl", list(transactions(2)))
    out = tmp_path / "out.jsonl"
    code = main(["batch", str(source), "-o", str(out), "--policy", str(WITHOUT_SCREENING), *option])
    err = capsys.readouterr().err
    assert code == 2
    assert where in err and "positive number" in err and "Traceback" not in err
    assert not out.exists() and not partial_paths(out)[0].exists()


def test_a_memory_scale_multiplies_every_memory_size(monkeypatch):
    from hrdd.memory import SCALE_VARIABLE, Memory

    monkeypatch.setenv(SCALE_VARIABLE, "2.5")
    assert Memory(1000).size == 2500
    monkeypatch.setenv(SCALE_VARIABLE, "0.0001")
    assert Memory(1000).size == 1  # never below one value
    monkeypatch.setenv(SCALE_VARIABLE, "many")
    with pytest.raises(ValueError, match="HRDD_MEMORY_SCALE='many': expected a positive number"):
        Memory(1000)
    monkeypatch.delenv(SCALE_VARIABLE)
    assert Memory(1000).size == 1000


MEMORY_SCALE = "HRDD_MEMORY_SCALE"


def _batch(tmp_path, name, *options):
    source = tmp_path / "in.jsonl"
    if not source.exists():
        write_lines(source, list(transactions(40)))
    command = ["batch", str(source), "--policy", str(WITHOUT_SCREENING), "--as-of", "2026-12-01"]
    return main([*command, "-o", str(tmp_path / name), *options])


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_reports_are_the_same_under_a_budget_and_its_growth_is_summed_up(
    tmp_path, monkeypatch, capsys, workers
):
    """Memories built at one value each (every value forgotten at once without a budget) grow
    under a budget with room: the reports are those of the default sizes, and the summary says
    how much the memories grew and the resident memory they took."""
    monkeypatch.delenv(MEMORY_SCALE, raising=False)
    assert _batch(tmp_path, "default.jsonl") == 0
    capsys.readouterr()
    monkeypatch.setenv(MEMORY_SCALE, "0.0001")
    assert _batch(tmp_path, "budget.jsonl", "--memory-budget", "1TiB", "--workers", workers) == 0
    err = capsys.readouterr().err
    assert timeless(read_output(tmp_path / "budget.jsonl")) == timeless(
        read_output(tmp_path / "default.jsonl")
    )
    line = next(line for line in err.splitlines() if "memory budget" in line)
    assert line.startswith("  memory budget 1,048,576 MiB a process: memories grew up to ")
    assert "x their built sizes; peak " in line and "MiB resident" in line and "reached" not in line


def test_a_budget_below_what_the_process_needs_says_so_and_changes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(MEMORY_SCALE, raising=False)
    assert _batch(tmp_path, "default.jsonl") == 0
    capsys.readouterr()
    assert _batch(tmp_path, "tiny.jsonl", "--memory-budget", "1MiB") == 0
    err = capsys.readouterr().err
    assert "memory budget 1 MiB a process: reached before any memory grew" in err
    assert _batch(tmp_path, "tinier.jsonl", "--memory-budget", "512K") == 0
    assert "memory budget 524,288 bytes a process: reached before any memory grew" in capsys.readouterr().err
    assert "a larger budget lets them grow" in err
    assert timeless(read_output(tmp_path / "tiny.jsonl")) == timeless(read_output(tmp_path / "default.jsonl"))


@pytest.mark.parametrize("value", ["0", "lots", "-3GiB", "12parsecs"])
def test_a_budget_that_is_not_a_size_is_bad_input(tmp_path, capsys, value):
    out = tmp_path / "out.jsonl"
    assert _batch(tmp_path, "out.jsonl", f"--memory-budget={value}") == 2
    err = capsys.readouterr().err
    assert f"hrdd batch: --memory-budget: {value!r}: expected a size such as 800MiB" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_run_batch_reports_the_budget_in_its_summary(tmp_path):
    source = write_lines(tmp_path / "in.jsonl", list(transactions(6)))
    summary = run_batch(
        source, tmp_path / "out.jsonl", policy=str(WITHOUT_SCREENING), lock=False, memory_budget=1 << 40
    ).to_dict()
    assert summary["memory_budget_bytes"] == 1 << 40
    assert summary["peak_resident_bytes"] > 10 * (1 << 20)  # an interpreter with an engine loaded
    assert summary["memory_growth"] >= 1.0
    without = run_batch(source, tmp_path / "plain.jsonl", policy=str(WITHOUT_SCREENING), lock=False).to_dict()
    assert without["memory_budget_bytes"] is None and without["memory_growth"] is None
    assert os.path.exists(tmp_path / "out.jsonl")


def test_a_batch_whose_memories_forget_much_is_told_of_the_memory_budget(tmp_path, monkeypatch, capsys):
    """Memories of one value each forget on nearly every deal: the summary says how much and
    points to --memory-budget; memories that hold what the deals bring back are not noted."""
    import hrdd.batch

    monkeypatch.setattr(hrdd.batch, "_HINT_LINES", 10)  # a batch of tens of thousands of lines, in small
    monkeypatch.setenv(MEMORY_SCALE, "0.0001")
    assert _batch(tmp_path, "small.jsonl") == 0
    err = capsys.readouterr().err
    note = next(line for line in err.splitlines() if "forgot" in line)
    assert note.startswith("  note: the memories were full and forgot ")
    assert "a line), built again whenever a deal brings one back: --memory-budget SIZE lets them grow" in note

    monkeypatch.delenv(MEMORY_SCALE)
    assert _batch(tmp_path, "default.jsonl") == 0
    assert "forgot" not in capsys.readouterr().err
