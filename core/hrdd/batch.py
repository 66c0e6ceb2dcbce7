"""Batch assessment: transactions in a JSON Lines file in, one JSON line per transaction out.

Each non-blank input line becomes exactly one output line, in input order: the report
(``schemas/report.schema.json``, the document ``hrdd assess --format json`` prints, on one
line), or an *error record* when the line could not be assessed::

    {"line": 7, "error": "invalid_transaction", "transaction_id": "TX-7",
     "problems": [{"path": "$.end_user.country", "message": "'XX' is not an ISO 3166-1 ..."}]}

``line`` is the input line number (from 1, blank lines counted); ``error`` is
``invalid_json`` (not UTF-8 or not JSON), ``invalid_transaction`` (the schema or the model
refused it) or ``internal_error`` (a defect in hrdd or a plugin's setup: please report it);
``transaction_id`` is present when the line is a JSON object with a string ``id``. A report
never has an ``error`` key, an error record never has ``schema_version``:
``schemas/batch-line.schema.json`` is either. Blank lines are skipped without a record.

The output is written to ``.OUT.partial`` beside ``OUT``, with a sidecar ``.OUT.partial.meta``
(the policy, plugins, data and lock that decided the lines so far, and the ``as_of`` date),
and renamed to ``OUT`` only when every line is written and synced: a killed batch never
leaves a file at ``OUT`` that looks complete. ``resume=True`` keeps the complete lines of the
partial output after checking that each belongs to the same input line (a report's
``provenance.input_sha256`` is the hash of its line's document; an error record names its
line) and that the setup is unchanged, then assesses the rest.

Workers (``workers > 1``) are processes, each with its own engine (inherited from the parent
where processes fork, built from the policy otherwise). The parent hands out chunks, at most
a few per worker ahead of the output, so memory does not grow with the input: from a regular
file, as byte ranges the forked workers read themselves (the parent only finds where every
``chunk_size`` lines end, and a worker checks the range still holds them); from a pipe, or
where workers are spawned, as raw lines. Each worker appends a finished chunk's lines to
the partial output itself when the chunk's turn comes (chunk ``i`` right after chunk
``i - 1``), so the 50-odd KB of each report never pass through the parent. Every worker
assesses as of the one date the batch chose, so a batch that crosses midnight is
consistent, and the output is byte for byte what one worker writes except for the
``assessed_at`` times. A worker dies with its parent.

With a decision log, each decision is appended (and synced) before its line is written: a
decision in the output is always in the log. A line assessed and logged just
before a batch was killed is assessed and logged again by ``--resume`` (logging is at least
once).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import gc
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

import attrs

from hrdd.errors import DecisionLogError, HrddError, InputError, Problem, TransactionError
from hrdd.files import WriteBehind, fsync_directory, write_atomically
from hrdd.memory import forgotten

if TYPE_CHECKING:
    from hrdd.decisionlog import DecisionLog
    from hrdd.engine import Engine
    from hrdd.memory import MemoryBudget
    from hrdd.policy import Policy

DECISIONS = ("proceed", "proceed_with_safeguards", "escalate", "do_not_proceed")
ERROR_KINDS = ("invalid_json", "invalid_transaction", "internal_error")
# Lines handed to a worker at a time. Each chunk costs a worker a wake-up, a message and a
# gathering write, and the parent a wake-up (tens of µs each on a virtual machine): 256 lines
# make that a fraction of a µs per line. Its reports (some tens of KB each) wait in memory
# until written, which bounds the chunk.
DEFAULT_CHUNK_SIZE = 256
META_FORMAT = 1  # the sidecar's layout version
# Chunks in flight per worker: the one it assesses and one waiting for it, so that no worker
# waits for the parent (a chunk takes tens of ms to assess, the parent a fraction of one to
# hand it out); no more, since a worker holds a finished chunk's output (chunk_size reports
# of some tens of KB each) until its turn to write comes.
_IN_FLIGHT_PER_WORKER = 2


class BatchLogError(HrddError):
    """Raised when a decision could not be appended to a required decision log: the batch
    stops, every line written so far is in the log, and the partial output is kept for
    ``--resume`` (the CLI exits 3)."""


# --------------------------------------------------------------------------------------
# The summary
# --------------------------------------------------------------------------------------


@attrs.define
class BatchSummary:
    """What a batch did (``run_batch``'s answer; the CLI prints :meth:`text`).

    :ivar lines: output lines (one per non-blank input line), resumed ones included.
    :ivar resumed: lines kept from an interrupted run's partial output.
    :ivar decisions: reports per decision, in decision order.
    :ivar waived: waived findings over all reports.
    :ivar errors: error records; ``error_lines`` holds the first few input line numbers.
    :ivar internal_errors: error records of kind ``internal_error`` (the CLI exits 3).
    :ivar log_warnings: decisions a non-required log could not take (reported anyway).
    :ivar memory_budget: ``--memory-budget`` in bytes (None: none); under one,
        ``peak_resident``, ``memory_growth`` and ``budget_reached`` say what the assessing
        processes took and how far their memories grew.
    """

    input: str
    output: str
    as_of: _dt.date
    workers: int
    policy: str = ""
    lines: int = 0
    resumed: int = 0
    decisions: dict[str, int] = attrs.field(factory=lambda: dict.fromkeys(DECISIONS, 0))
    waived: int = 0
    errors: int = 0
    error_lines: list[int] = attrs.field(factory=list)
    internal_errors: int = 0
    log: str | None = None
    logged: int = 0
    log_warnings: int = 0
    elapsed: float = 0.0
    completed: bool = False
    notes: list[str] = attrs.field(factory=list)
    # Under a memory budget (bytes, each assessing process): the largest resident memory an
    # assessing process reached, how much its memories grew (the largest factor over their
    # built sizes), and whether a process reached the budget.
    memory_budget: int | None = None
    peak_resident: int = 0
    memory_growth: float = 1.0
    budget_reached: bool = False
    forgotten: int = 0  # values the memories of the assessing processes forgot when full

    @property
    def assessed(self) -> int:
        """Reports written (resumed ones included)."""
        return sum(self.decisions.values())

    @property
    def throughput(self) -> float:
        """Lines assessed by this run per second (resumed lines not counted)."""
        done = self.lines - self.resumed
        return done / self.elapsed if self.elapsed > 0 else 0.0

    def reached(self, decision: str) -> bool:
        """Whether any report's decision is ``decision`` or worse (``--fail-on``)."""
        floor = DECISIONS.index(decision)
        return any(count for name, count in self.decisions.items() if DECISIONS.index(name) >= floor)

    def _count(self, outcome: _LineOutcome) -> None:
        self.lines += 1
        if outcome.decision is None:
            self.errors += 1
            if len(self.error_lines) < 10:
                self.error_lines.append(outcome.line)
            if outcome.kind == "internal_error":
                self.internal_errors += 1
        else:
            self.decisions[outcome.decision] += 1
            self.waived += outcome.waived

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "as_of": self.as_of.isoformat(),
            "workers": self.workers,
            "policy": self.policy,
            "lines": self.lines,
            "resumed": self.resumed,
            "assessed": self.assessed,
            "decisions": dict(self.decisions),
            "waived_findings": self.waived,
            "errors": self.errors,
            "error_lines": list(self.error_lines),
            "internal_errors": self.internal_errors,
            "log": self.log,
            "logged": self.logged,
            "log_warnings": self.log_warnings,
            "elapsed_seconds": round(self.elapsed, 3),
            "lines_per_second": round(self.throughput, 1),
            "completed": self.completed,
            "notes": list(self.notes),
            "memory_budget_bytes": self.memory_budget,
            "peak_resident_bytes": self.peak_resident if self.memory_budget else None,
            "memory_growth": round(self.memory_growth, 2) if self.memory_budget else None,
            "memories_forgot": self.forgotten,
        }

    def text(self) -> str:
        """The summary a person reads at the end of a batch (several lines)."""
        workers = "1 worker" if self.workers == 1 else f"{self.workers} workers"
        done = self.lines - self.resumed
        head = (
            f"hrdd batch: {_count(self.lines, 'line')} -> {self.output}"
            if self.completed
            else f"hrdd batch: stopped after {_count(self.lines, 'line')}; partial output kept for --resume"
        )
        lines = [
            head,
            f"  {_count(done, 'line')} in {self.elapsed:.1f} s ({self.throughput:,.0f} per second, {workers})"
            + (f"; {self.resumed:,} resumed from an interrupted run" if self.resumed else ""),
            f"  policy {self.policy}, as of {self.as_of.isoformat()}",
        ]
        width = max(len(name) for name in DECISIONS)
        for name in DECISIONS:
            lines.append(f"  {name:<{width}}  {self.decisions[name]:>9,}")
        lines.append(f"  {'errors':<{width}}  {self.errors:>9,}" + _error_note(self))
        lines.append(f"  {'waived findings':<{width}}  {self.waived:>9,}")
        if self.log is not None:
            note = f"  decision log {self.log}: {_count(self.logged, 'record')} appended"
            if self.log_warnings:
                note += f", {self.log_warnings:,} decision(s) NOT logged (the policy's [log] is not required)"
            lines.append(note)
        if self.memory_budget:
            lines.append(_budget_note(self))
        elif done >= _HINT_LINES and self.forgotten >= _HINT_FORGOTTEN * done:
            lines.append(
                f"  note: the memories were full and forgot {self.forgotten:,} values ({self.forgotten / done:.1f} "
                "a line), built again whenever a deal brings one back: --memory-budget SIZE lets them grow "
                "instead (a large order book ran 1.2-1.4x as fast with 1GiB a worker)"
            )
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def _count_memory(self, memory: tuple[int, float, bool] | None) -> None:
        if memory is not None:
            peak, growth, reached = memory
            self.peak_resident = max(self.peak_resident, peak)
            self.memory_growth = max(self.memory_growth, growth)
            self.budget_reached = self.budget_reached or reached


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


# The summary suggests --memory-budget for a batch of at least _HINT_LINES lines whose
# memories forgot at least _HINT_FORGOTTEN values a line (over 30,000 lines with one worker,
# an order book of 1,500 customers forgot 5.8 a line; seven customers 0.2; every list drawn
# afresh 1.0).
_HINT_LINES = 10_000
_HINT_FORGOTTEN = 2


def _budget_note(summary: BatchSummary) -> str:
    mib = 1 << 20
    budget = summary.memory_budget or 0
    size = f"{budget // mib:,} MiB" if budget >= mib else f"{budget:,} bytes"
    head = f"  memory budget {size} a process: "
    peak = f"peak {summary.peak_resident // mib:,} MiB resident"
    if summary.memory_growth == 1 and summary.budget_reached:
        return (
            f"{head}reached before any memory grew ({peak} with the memories at their built sizes): "
            "a larger budget lets them grow"
        )
    if summary.memory_growth == 1:
        return f"{head}no memory filled, so none grew; {peak}"
    held = ": reached, and held there" if summary.budget_reached else ""
    return f"{head}memories grew up to {summary.memory_growth:g}x their built sizes; {peak}{held}"


def _error_note(summary: BatchSummary) -> str:
    if not summary.errors:
        return ""
    shown = ", ".join(map(str, summary.error_lines))
    more = ", ..." if summary.errors > len(summary.error_lines) else ""
    internal = f"; {summary.internal_errors} internal" if summary.internal_errors else ""
    return f"  (input lines {shown}{more}{internal}; see their error records)"


# --------------------------------------------------------------------------------------
# Assessing lines (in the parent with one worker, in each worker process otherwise)
# --------------------------------------------------------------------------------------


class _LineOutcome(NamedTuple):
    """What became of one line: its decision (None for an error record) and waived count. (A
    named tuple: a worker sends one per line of each chunk, and a tuple pickles in C.)"""

    line: int
    decision: str | None
    waived: int = 0
    kind: str | None = None


@attrs.frozen
class _ChunkResult:
    """A chunk's output lines and what became of each; ``log_failure`` says why the chunk
    stopped early (a required log refused a record: ``lines`` end at the last logged line),
    ``changed`` why a worker could not read it at all (the input file changed under the
    batch: the problems, as (source, path, message)).
    The lines are kept in pieces (a report's pieces join to its line, which ends in a
    newline) and written with gathering writes: joining them first would copy some megabytes
    per chunk for nothing."""

    lines: tuple[bytes, ...]
    outcomes: tuple[_LineOutcome, ...]
    logged: int = 0
    log_warnings: int = 0
    log_failure: str | None = None
    changed: tuple[tuple[str, str, str], ...] = ()
    # Under a memory budget: (peak resident bytes, memory growth, budget reached) so far.
    memory: tuple[int, float, bool] | None = None
    forgotten: int = 0  # values the process's memories forgot while assessing the chunk


_Chunk = list[tuple[int, bytes]]  # (input line number, raw line) for each non-blank line


class LineAssessor:
    """Turns raw input lines into output lines with one engine, one date and, optionally, a
    decision log (``log``: the log and whether it is required)."""

    def __init__(
        self,
        engine: Engine,
        as_of: _dt.date,
        source: str,
        log: tuple[DecisionLog, bool] | None = None,
    ) -> None:
        import orjson

        self.engine = engine
        self.as_of = as_of
        self.source = source
        self.log = log
        self._loads = orjson.loads
        self._decode_error = orjson.JSONDecodeError
        # Called between lines (a worker writes finished chunks whose turn has come).
        self.between_lines: Callable[[], None] | None = None
        # Whether what outlives a chunk is moved out of the cyclic collector's way after it
        # (gc.freeze): set by the batch, which runs under gc.freeze already (see _freeze_survivors).
        self.freeze_survivors = False
        # A memory budget for this process, looked at after every chunk (set by the batch).
        self.budget: MemoryBudget | None = None
        self._forgotten = forgotten()  # the memories' count when the last chunk ended

    def assess_chunk(self, chunk: _Chunk) -> _ChunkResult:
        parts: list[bytes] = []
        outcomes: list[_LineOutcome] = []
        logged = warnings = 0
        from hrdd.reportjson import report_pieces

        assess, as_of = self.engine.assess, self.as_of
        between = self.between_lines
        if self.budget is not None and len(chunk) > BUDGET_LINES:
            # A long chunk (--chunk-size): the budget is looked at within it too, so that the
            # memories cannot outgrow it by a chunk's worth before the look at its end.
            between = _every(BUDGET_LINES, self.budget.check, between)
        for number, raw in chunk:
            if between is not None:
                between()
            try:
                document = self._loads(raw)
            except self._decode_error as exc:
                parts.append(_error_line(number, "invalid_json", [("$", f"invalid JSON: {exc}")], None))
                outcomes.append(_LineOutcome(number, None, kind="invalid_json"))
                continue
            source = f"{self.source}:{number}"
            try:
                assessment = assess(document, source=source, as_of=as_of)
            except TransactionError as exc:
                problems = [(p.path, p.message) for p in exc.problems]
                parts.append(_error_line(number, "invalid_transaction", problems, _transaction_id(document)))
                outcomes.append(_LineOutcome(number, None, kind="invalid_transaction"))
                continue
            except Exception as exc:  # a defect: recorded on its line, the batch goes on (exit 3)
                message = f"internal error: {type(exc).__name__}: {exc} (please report it)"
                parts.append(
                    _error_line(number, "internal_error", [("$", message)], _transaction_id(document))
                )
                outcomes.append(_LineOutcome(number, None, kind="internal_error"))
                continue
            if self.log is not None:
                failure = self._append(assessment, document)
                if failure is None:
                    logged += 1
                elif failure:
                    return _ChunkResult(tuple(parts), tuple(outcomes), logged, warnings, failure)
                else:
                    warnings += 1
            parts += report_pieces(assessment)  # the compact report document and a newline, in pieces
            outcomes.append(_LineOutcome(number, assessment.decision._value_, len(assessment.waived)))
        if self.freeze_survivors:
            _freeze_survivors()
        forgot, self._forgotten = self._forgotten, forgotten()
        budget = self.budget
        memory = None
        if budget is not None:
            budget.check()
            memory = (budget.peak, budget.growth(), budget.reached)
        return _ChunkResult(
            tuple(parts),
            tuple(outcomes),
            logged,
            warnings,
            memory=memory,
            forgotten=self._forgotten - forgot,
        )

    def _append(self, assessment: Any, document: Any) -> str | None:
        """None when logged; "" when the log refused but is not required; else why it failed."""
        from hrdd.decisionlog import log_assessment

        assert self.log is not None
        decision_log, required = self.log
        try:
            log_assessment(decision_log, assessment, document)
        except DecisionLogError as exc:
            return f"{exc} (transaction {assessment.transaction_id})" if required else ""
        return None


# A memory budget is looked at after every chunk, and every BUDGET_LINES lines within one.
BUDGET_LINES = 256


def _every(lines: int, look: Callable[[], None], then: Callable[[], None] | None) -> Callable[[], None]:
    """A between-lines call that calls ``look`` every ``lines`` lines, and ``then`` each time."""
    count = 0

    def between() -> None:
        nonlocal count
        count += 1
        if count % lines == 0:
            look()
        if then is not None:
            then()

    return between


# What the C library's allocator (glibc) is asked to keep of the memory a batch process frees
# (see keep_freed_memory).
KEEP_FREED = 64 << 20
LARGE_BLOCK = 4 << 20


def keep_freed_memory() -> None:
    """Ask glibc's allocator to keep the memory this process frees for reuse, up to
    ``KEEP_FREED`` bytes, and to serve blocks up to ``LARGE_BLOCK`` bytes from it, rather than
    hand freed memory back to the system at once and map large blocks afresh.

    A batch builds a report of tens of kilobytes per line and frees each chunk's reports once
    they are written: by default the allocator returns that memory to the system and takes
    it back for the next chunk, and every page taken back is a page fault, costly above all
    on a virtual machine (on the machine ``docs/performance.md`` measures, joining a report's
    findings cost 15.6 µs with fresh pages and 1.9 µs with reused ones). It changes nothing
    but where memory comes from, for the whole process: ``hrdd batch`` and the batch's worker
    processes ask it; a program that embeds :func:`run_batch` decides for itself. Elsewhere
    than Linux with glibc it does nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        mallopt = ctypes.CDLL(None).mallopt
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt(_M_TRIM_THRESHOLD, KEEP_FREED)
        mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>


def _freeze_survivors() -> None:
    """Move every object the collector tracks into its permanent generation (gc.freeze).

    After a chunk, what is still alive is mostly what plugins and the engine remember
    (findings, answers, profiles: thousands of them in a long batch). Left to the cyclic
    collector, each of its full collections goes through all of them again, about a tenth of
    a line's time once the memories are full; yet an assessment leaves no cyclic garbage (a
    full collection after 2,000 assessments of the benchmark corpus finds none), since what
    it builds is freed by reference counting, frozen or not. Garbage a chunk makes and drops
    is still collected as usual. Cycles a plugin leaves among objects that outlive a chunk
    wait for the end of the batch (gc.unfreeze) or of the worker process."""
    gc.freeze()


def _transaction_id(document: Any) -> str | None:
    if isinstance(document, dict):
        identifier = document.get("id")
        if isinstance(identifier, str):
            return identifier
    return None


def _error_line(
    number: int, kind: str, problems: Sequence[tuple[str, str]], transaction_id: str | None
) -> bytes:
    import orjson

    record: dict[str, Any] = {"line": number, "error": kind}
    if transaction_id is not None:
        record["transaction_id"] = transaction_id
    record["problems"] = [{"path": path, "message": message} for path, message in problems]
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


@attrs.frozen
class _WorkerSetup:
    """What a worker process needs: the parent's engine when the worker was forked from it
    (already built and checked against the lock), else the policy and lock to build one."""

    engine: Engine | None
    policy: str | Path | Policy | None
    lock: str | Path | bool
    as_of: _dt.date
    source: str
    log: tuple[DecisionLog, bool] | None
    partial: Path
    parent: int  # the parent's process id: a worker whose parent is gone stops at once
    # The input's descriptor, inherited by a forked worker, when the input is a regular file:
    # the parent then hands out spans (_Span) and the worker reads their lines itself.
    input_fd: int | None = None
    memory_budget: int | None = None  # bytes, for each worker (see hrdd.memory.MemoryBudget)


_STOP = -1  # the turn a stopped batch is left at: no worker writes any more


def _worker_main(setup: _WorkerSetup, tasks: Any, results: Any, turn: Any) -> None:
    """A worker process: takes chunks, assesses them, and appends each chunk's lines to the
    partial output when the chunk's turn comes (chunk ``i`` after chunk ``i - 1``).

    Finished chunks whose turn has not come wait in this process, which keeps assessing and
    writes them as soon as their turn comes (checked between lines): no worker waits for
    another unless it has nothing else to do. The turn advances only after a chunk's bytes
    are written, so the output is in input order with no gap.
    """
    import queue
    import signal
    import traceback

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt stops
    _die_with_parent(setup.parent)
    keep_freed_memory()  # this process is the batch's own (a spawned worker asks afresh)
    index = -1
    try:
        engine = setup.engine
        if engine is None:
            from hrdd.engine import Engine

            engine = Engine.from_policy(setup.policy, lock=setup.lock)
        assessor = LineAssessor(engine, setup.as_of, setup.source, setup.log)
        assessor.freeze_survivors = True
        if setup.memory_budget is not None:
            from hrdd.memory import MemoryBudget

            assessor.budget = MemoryBudget(setup.memory_budget)
        # What the engine loaded lives as long as the worker: out of the collector's way
        # (and, in a forked worker, its pages stay shared with the parent's).
        gc.freeze()
        fd = os.open(setup.partial, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        write_behind = WriteBehind(fd, os.lseek(fd, 0, os.SEEK_END))
        pending: dict[int, _ChunkResult] = {}

        def write_ready() -> None:
            while pending:
                current = turn.value
                result = pending.pop(current, None)
                if result is None:
                    if current == _STOP:
                        pending.clear()
                    return
                if os.getppid() != setup.parent:  # asked only before writing: a system call
                    os._exit(1)  # orphaned: nothing more may be written (a --resume may be running)
                _write_all(fd, result.lines)
                write_behind.wrote(os.lseek(fd, 0, os.SEEK_CUR))  # the file's end: written in turn
                stops = result.log_failure is not None or result.changed
                turn.value = _STOP if stops else current + 1
                results.put(("done", current, attrs.evolve(result, lines=())))  # counts only

        assessor.between_lines = write_ready
        while True:
            try:
                task = tasks.get(timeout=0.002 if pending else 0.5)
            except queue.Empty:
                if os.getppid() != setup.parent:
                    os._exit(1)
                write_ready()
                continue
            if task is None:
                break
            index, chunk = task
            if type(chunk) is _Span:
                assert setup.input_fd is not None
                try:
                    chunk = _read_span(setup.input_fd, chunk, setup.source)
                except InputError as exc:  # the input changed: said when this chunk's turn comes,
                    # so every line before it is written, and the first changed chunk is the one named
                    changed = tuple((p.source, p.path, p.message) for p in exc.problems)
                    pending[index] = _ChunkResult((), (), changed=changed)
                    write_ready()
                    continue
            pending[index] = assessor.assess_chunk(chunk)
            write_ready()
        while pending:  # the input is done: wait for the turns of the chunks still here
            write_ready()
            if pending:
                time.sleep(0.001)
        os.close(fd)
    except InputError as exc:  # bad input found in the worker itself
        turn.value = _STOP
        results.put(("input", index, [(p.source, p.path, p.message) for p in exc.problems]))
    except OSError as exc:  # the disk refused the output: said as such by the parent
        turn.value = _STOP
        results.put(("oserror", index, (exc.errno, exc.strerror or str(exc), exc.filename)))
    except BaseException:
        turn.value = _STOP
        results.put(("crash", index, traceback.format_exc()))


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when the parent dies (a killed batch must not leave
    workers writing); elsewhere the worker notices its new parent before it writes."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _iov_max() -> int:
    """The most buffers one gathering write takes (POSIX guarantees at least 16)."""
    try:
        found = os.sysconf("SC_IOV_MAX")
    except (AttributeError, ValueError, OSError):
        return 16
    return max(16, min(1024, found))


_IOV_MAX = _iov_max()


def _write_all(fd: int, lines: Sequence[bytes]) -> None:
    """Write the lines in order with gathering writes, resuming after a short write."""
    pending = list(lines)
    while pending:
        written = os.writev(fd, pending[:_IOV_MAX])
        done = 0
        while done < len(pending) and written >= len(pending[done]):
            written -= len(pending[done])
            done += 1
        if done < len(pending) and written:
            pending[done] = pending[done][written:]
        del pending[:done]


# --------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------


def open_input(path: str | Path) -> IO[bytes]:
    """Open a JSON Lines input for reading line by line.

    :raises InputError: missing, a directory, or unreadable.
    """
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError.single(str(path), "$", "input file not found") from None
    except IsADirectoryError:
        raise InputError.single(str(path), "$", "is a directory, expected a JSON Lines file") from None
    except OSError as exc:
        raise InputError.single(str(path), "$", f"cannot read: {exc.strerror}") from None


def _numbered_lines(handle: IO[bytes], progress: list[int], first: int = 1) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line) for every non-blank line, numbered from ``first``;
    ``progress[0]`` counts bytes read and ``progress[1]`` lines read."""
    for number, raw in enumerate(handle, first):
        progress[0] += len(raw)
        progress[1] = number
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a UTF-8 byte-order mark, as some editors write
        if not raw or raw.isspace():
            continue
        yield number, raw


class _Span(NamedTuple):
    """A chunk as a range of the input file, which a forked worker reads itself (``pread``
    on the descriptor it inherited): the parent only finds where each chunk ends, and the
    lines never pass through it. ``newlines`` is how many the range holds, checked by the
    worker against what it reads."""

    first: int  # the input line number of its first line
    offset: int
    length: int
    newlines: int


_SPAN_READ = 1 << 20  # bytes the parent reads at a time to find where spans end


def _spans(handle: IO[bytes], progress: list[int], size: int, read_size: int = _SPAN_READ) -> Iterator[_Span]:
    """The rest of a regular input file, from the handle's position, as spans of ``size``
    lines (blank ones included: the worker skips them, as ``_numbered_lines`` does), read
    ``read_size`` bytes at a time. ``progress`` is counted on as ``_numbered_lines`` counts it."""
    start = handle.tell()  # the file offset of the next span
    buffer = b""
    base = 0  # buffer[base:] is the input from ``start`` on, read but not yet in a span
    number = progress[1] + 1
    at_end = False
    while True:
        position, count = base, 0
        while count < size:
            found = buffer.find(b"\n", position)
            if found < 0:
                break
            position = found + 1
            count += 1
        if count < size and not at_end:
            block = handle.read(read_size)
            if block:
                buffer = buffer[base:] + block
                base = 0
            else:
                at_end = True
            continue
        newlines = count
        if count < size and position < len(buffer):  # the last line, without a newline
            position = len(buffer)
            count += 1
        if count == 0:
            return
        length = position - base
        progress[0] += length
        progress[1] = number + count - 1
        yield _Span(number, start, length, newlines)
        number += count
        start += length
        base = position


def _read_span(fd: int, span: _Span, source: str) -> _Chunk:
    """A span's non-blank lines, numbered, as the parent would have sent them.

    :raises InputError: the file no longer holds what the parent found there.
    """
    import io

    data = os.pread(fd, span.length, span.offset)
    if len(data) != span.length or data.count(b"\n") != span.newlines:
        raise InputError.single(
            source,
            f"line {span.first}",
            "the file changed while the batch was reading it; the lines before it are kept: "
            "run again with --resume",
        )
    return list(_numbered_lines(io.BytesIO(data), [0, 0], span.first))


def _chunks(lines: Iterator[tuple[int, bytes]], size: int) -> Iterator[_Chunk]:
    chunk: _Chunk = []
    for entry in lines:
        chunk.append(entry)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --------------------------------------------------------------------------------------
# Output: a partial file, its sidecar, and the rename
# --------------------------------------------------------------------------------------


def partial_paths(output: str | Path) -> tuple[Path, Path]:
    """Where a batch writing ``output`` keeps its partial output and its sidecar."""
    path = Path(output)
    partial = path.with_name(f".{path.name}.partial")
    return partial, partial.with_name(partial.name + ".meta")


def setup_sha256(engine: Engine) -> str:
    """sha256 of what decides every report of a batch: the core, policy (with its chain),
    plugin and data versions and hashes, and the lock check (as the reports' provenance
    states them). A resumed batch must have the same."""
    from hrdd.engine import canonical_sha256
    from hrdd.plugins import core_version

    plugins = engine.plugins.plugins
    setup = {
        "core": core_version(),
        "policy": engine.policy.ref().to_dict(),
        "plugins": [plugin.ref().to_dict() for plugin in plugins],
        "data": [data.to_dict() for plugin in plugins for data in plugin.data],
        "lock": dict(engine.lock_record) if engine.lock_record is not None else None,
    }
    return canonical_sha256(setup)


class _PartialOutput:
    """The partial output file, held under an exclusive lock (one batch per output)."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.partial, self.meta = partial_paths(output)
        if output.is_dir():
            raise InputError.single(str(output), "-o", "is a directory, expected a file name")
        if not output.parent.is_dir():
            raise InputError.single(str(output), "-o", f"directory {output.parent} does not exist")
        try:
            fd = os.open(self.partial, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise InputError.single(str(self.partial), "-o", f"cannot write: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise InputError.single(
                str(output), "-o", f"another hrdd batch is writing this output ({self.partial} is locked)"
            ) from None
        self.handle: IO[bytes] = os.fdopen(fd, "r+b", buffering=1 << 20)
        # Where the next line goes and the write-behind of what is written: set when writing
        # begins (begin_writing), after what a resumed batch kept.
        self.position = 0
        self.write_behind: WriteBehind | None = None

    def start_over(self, meta: Mapping[str, Any]) -> None:
        self.handle.seek(0)
        self.handle.truncate()
        self._write_meta(meta)

    def _write_meta(self, meta: Mapping[str, Any]) -> None:
        import orjson

        write_atomically(
            self.meta, orjson.dumps(meta, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
        )

    def complete_lines(self) -> Iterator[bytes]:
        """The partial file's complete lines; an unfinished last line is cut off the file."""
        self.handle.seek(0)
        end = 0
        for raw in self.handle:
            if not raw.endswith(b"\n"):
                break
            end += len(raw)
            yield raw
        self.handle.seek(end)
        self.handle.truncate()

    def begin_writing(self) -> None:
        """From here on lines are written straight to the file (see :meth:`write`), after
        what is already there."""
        self.handle.flush()
        self.position = self.handle.tell()
        self.write_behind = WriteBehind(self.handle.fileno(), self.position)

    def write(self, lines: Sequence[bytes]) -> None:
        """Append the lines with gathering writes (no copy through the handle's buffer) and
        write the output behind as it grows (hrdd.files.WriteBehind)."""
        assert self.write_behind is not None, "begin_writing() first"
        _write_all(self.handle.fileno(), lines)
        self.position += sum(map(len, lines))
        self.write_behind.wrote(self.position)

    def finish(self) -> None:
        """Sync the partial output and rename it to the output; the sidecar goes."""
        self.handle.flush()
        os.fsync(self.handle.fileno())
        os.replace(self.partial, self.output)
        fsync_directory(self.output.parent)
        self.meta.unlink(missing_ok=True)
        self.close()

    def close(self) -> None:
        if self.handle.closed:
            return
        with contextlib.suppress(OSError):
            self.handle.flush()
        self.handle.close()


def _read_meta(path: Path) -> dict[str, Any] | None:
    import orjson

    try:
        meta = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == META_FORMAT else None


def _resume(
    partial: _PartialOutput, lines: Iterator[tuple[int, bytes]], summary: BatchSummary, input_name: str
) -> None:
    """Check the partial output's complete lines against the input's first lines, counting
    them into the summary; the input iterator is left after the last one kept.

    :raises InputError: a kept line does not belong to its input line.
    """
    import orjson

    from hrdd.engine import canonical_sha256

    def refuse(output_number: int, number: int | None, why: str) -> InputError:
        where = f"input line {number}" if number is not None else "the end of the input"
        return InputError.single(
            str(partial.partial),
            f"line {output_number}",
            f"does not belong to {where} of {input_name} ({why}); the interrupted batch assessed "
            "another input: run without --resume to start over",
        )

    for output_number, kept in enumerate(partial.complete_lines(), 1):
        entry = next(lines, None)
        if entry is None:
            raise refuse(output_number, None, "the partial output has more lines than the input")
        number, raw = entry
        try:
            record = orjson.loads(kept)
        except orjson.JSONDecodeError:
            raise refuse(output_number, number, "the output line is not JSON") from None
        if not isinstance(record, dict):
            raise refuse(output_number, number, "the output line is not a JSON object")
        if "error" in record:
            if record.get("line") != number:
                raise refuse(output_number, number, f"its error record is for line {record.get('line')}")
            outcome = _LineOutcome(number, None, kind=str(record["error"]))
        else:
            try:
                digest = canonical_sha256(orjson.loads(raw))
            except (orjson.JSONDecodeError, TypeError):
                raise refuse(
                    output_number, number, "the input line is not JSON, the output a report"
                ) from None
            provenance = record.get("provenance")
            stated = provenance.get("input_sha256") if isinstance(provenance, dict) else None
            if stated != digest:
                raise refuse(output_number, number, "the report's input_sha256 differs from the line's")
            decision = record.get("decision")
            if decision not in DECISIONS:
                raise refuse(output_number, number, f"the report's decision is {decision!r}")
            outcome = _LineOutcome(number, decision, len(record.get("waived") or ()))
        summary._count(outcome)
        summary.resumed += 1


# --------------------------------------------------------------------------------------
# The batch
# --------------------------------------------------------------------------------------

Progress = Callable[[int, int], None]  # (output lines so far, input bytes read so far)


def run_batch(
    input: str | Path,
    output: str | Path,
    *,
    policy: str | Path | Policy | None = None,
    workers: int = 1,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    resume: bool = False,
    log: str | None = None,
    lock: str | Path | bool = True,
    as_of: _dt.date | None = None,
    progress: Progress | None = None,
    engine: Engine | None = None,
    memory_budget: int | None = None,
) -> BatchSummary:
    """Assess every transaction of a JSON Lines file and write one line per transaction.

    :param policy: a built-in policy name or a policy file (default: ``baseline``); ignored
        when ``engine`` is given.
    :param workers: processes assessing in parallel (``0``: one per CPU); ``1`` assesses in
        this process.
    :param chunk_size: lines handed to a worker at a time.
    :param resume: keep the lines an interrupted batch writing the same output completed
        (checked to belong to this input and setup) and assess only the rest.
    :param log: append every decision to this decision log (default: the policy's ``[log]``).
    :param lock: as :meth:`Engine.from_policy`: the lock beside the policy, a lock file, or
        ``False`` to skip the check.
    :param as_of: the date every transaction is assessed as of (default: today in UTC; a
        resumed batch keeps the interrupted one's).
    :param progress: called after each chunk with the lines written and input bytes read.
    :param memory_budget: bytes of resident memory each assessing process (this one with one
        worker, else each worker) may fill with remembered findings: its memories grow past
        their built sizes until it is near, for speed on a large order book (see
        :class:`hrdd.memory.MemoryBudget`); the reports are the same with or without.
    :returns: the summary (``completed`` is True: the output is in place).
    :raises InputError: the input, the policy, the lock, the log target or the output is
        unusable, or the partial output does not belong to this input (nothing written).
    :raises BatchLogError: a required decision log refused a record (partial output kept).
    """
    from hrdd.decisionlog import open_policy_log
    from hrdd.engine import Engine

    handle = open_input(input)
    with contextlib.ExitStack() as stack:
        stack.enter_context(handle)
        if engine is None:
            engine = Engine.from_policy(policy, lock=lock)
        # --log or the policy's [log]; required unless the policy's [log] says otherwise
        opened = open_policy_log(engine.policy, log)
        settings = engine.policy.log
        required = log is not None or settings is None or settings.required
        decision_log = None if opened is None else (opened, required)
        if workers == 0:
            workers = os.cpu_count() or 1
        if workers < 0 or chunk_size < 1:
            raise InputError.single("hrdd batch", "--workers", "workers must be >= 0 and chunk size >= 1")
        if memory_budget is not None and memory_budget < 1:
            raise InputError.single(
                "hrdd batch", "--memory-budget", f"{memory_budget}: expected a positive size"
            )
        target = Path(output)
        partial = _PartialOutput(target)
        stack.callback(partial.close)
        setup_hash = setup_sha256(engine)
        meta = _read_meta(partial.meta) if resume else None
        read = [0, 0]  # input bytes and lines read
        lines = _numbered_lines(handle, read)
        if meta is not None and meta.get("setup_sha256") != setup_hash:
            raise InputError.single(
                str(partial.meta),
                "$",
                f"the interrupted batch ran under another setup (policy {meta.get('policy')}); "
                "the policy, a plugin, a data file or the lock changed: run without --resume to start over",
            )
        if meta is not None:
            stored = _dt.date.fromisoformat(meta["as_of"])
            if as_of is not None and as_of != stored:
                raise InputError.single(
                    "hrdd batch",
                    "--as-of",
                    f"the interrupted batch assessed as of {stored}, not {as_of}: resume without --as-of "
                    "or start over",
                )
            as_of = stored
        as_of = as_of or _dt.datetime.now(_dt.UTC).date()
        policy_label = f"{engine.policy.name} {engine.policy.version}"
        summary = BatchSummary(
            input=str(input),
            output=str(target),
            as_of=as_of,
            workers=workers,
            policy=policy_label,
            log=decision_log[0].target if decision_log else None,
            memory_budget=memory_budget,
        )
        if meta is not None:
            _resume(partial, lines, summary, str(input))
        else:
            if resume:
                summary.notes.append(
                    "no interrupted batch to resume for this output: started from the first line"
                )
            partial.start_over(
                {
                    "format": META_FORMAT,
                    "input": str(Path(input).resolve()),
                    "output": str(target.resolve()),
                    "as_of": as_of.isoformat(),
                    "policy": policy_label,
                    "setup_sha256": setup_hash,
                }
            )
        started = time.perf_counter()
        chunks = _chunks(lines, chunk_size)
        try:
            if workers == 1:
                assessor = LineAssessor(engine, as_of, str(input), decision_log)
                assessor.freeze_survivors = True
                if memory_budget is not None:
                    from hrdd.memory import MemoryBudget

                    assessor.budget = MemoryBudget(memory_budget)
                    stack.callback(assessor.budget.close)  # this process's memories stop growing
                partial.begin_writing()
                results: Iterator[_ChunkResult] = map(assessor.assess_chunk, chunks)
                # What exists already (the engine and its data above all) lives through the
                # batch: out of the cyclic collector's way while it runs, as in a worker (and
                # what outlives each chunk, see _freeze_survivors).
                gc.freeze()
                try:
                    _write_results(results, partial, summary, read, progress)
                finally:
                    gc.unfreeze()
            else:
                import multiprocessing

                partial.handle.flush()  # the workers append after what is already there
                # Fork where there is fork: the workers inherit the engine, built and checked
                # once, and are this process's children (a forkserver's would not be: see
                # _die_with_parent); and, from a regular file, they read their lines themselves.
                forking = "fork" in multiprocessing.get_all_start_methods()
                by_span = forking and stat.S_ISREG(os.fstat(handle.fileno()).st_mode)
                setup = _WorkerSetup(
                    engine,
                    policy,
                    lock,
                    as_of,
                    str(input),
                    decision_log,
                    partial.partial,
                    os.getpid(),
                    handle.fileno() if by_span else None,
                    memory_budget,
                )
                work = _spans(handle, read, chunk_size) if by_span else chunks
                _run_workers(setup, workers, work, forking, summary, read, progress)
            partial.finish()  # synced and renamed: part of the time a user waits
        finally:
            summary.elapsed = time.perf_counter() - started
        summary.completed = True
        return summary


def _count_result(result: _ChunkResult, summary: BatchSummary) -> None:
    for outcome in result.outcomes:
        summary._count(outcome)
    summary._count_memory(result.memory)
    summary.forgotten += result.forgotten
    summary.logged += result.logged
    summary.log_warnings += result.log_warnings


def _write_results(
    results: Iterator[_ChunkResult],
    partial: _PartialOutput,
    summary: BatchSummary,
    read: list[int],
    progress: Progress | None,
) -> None:
    for result in results:
        partial.write(result.lines)
        _count_result(result, summary)
        if progress is not None:
            progress(summary.lines, read[0])
        if result.log_failure is not None:
            partial.close()  # flushed: every line written is logged; --resume continues after it
            raise BatchLogError(f"{result.log_failure}; the batch stopped at this transaction")


def _for_spawned_workers(setup: _WorkerSetup) -> _WorkerSetup:
    """The setup without the engine (a spawned worker builds its own): the engine's policy,
    and its lock as it was checked (a skipped check stays skipped)."""
    engine = setup.engine
    if engine is None:
        return setup
    record = engine.lock_record or {}
    lock: str | Path | bool = setup.lock
    if record.get("status") == "skipped":
        lock = False
    elif record.get("path"):
        lock = str(record["path"])
    return attrs.evolve(setup, engine=None, policy=engine.policy, lock=lock)


def _run_workers(
    setup: _WorkerSetup,
    workers: int,
    chunks: Iterator[_Chunk] | Iterator[_Span],
    forking: bool,
    summary: BatchSummary,
    read: list[int],
    progress: Progress | None,
) -> None:
    """Feed chunks to worker processes, at most a few per worker ahead of the output, and
    count what they wrote (they write the output themselves, in turn: see _worker_main)."""
    import multiprocessing
    import queue

    context: Any = multiprocessing.get_context("fork" if forking else "spawn")
    if not forking:
        setup = _for_spawned_workers(setup)
    tasks = context.Queue()
    results = context.Queue()
    turn = context.RawValue("q", 0)
    processes = [
        context.Process(target=_worker_main, args=(setup, tasks, results, turn), daemon=True)
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    window = workers * _IN_FLIGHT_PER_WORKER
    dispatched = written = 0
    exhausted = False
    try:
        while True:
            while not exhausted and dispatched - written < window:
                chunk = next(chunks, None)
                if chunk is None:
                    exhausted = True
                    for _ in processes:
                        tasks.put(None)
                    break
                tasks.put((dispatched, chunk))
                dispatched += 1
            if exhausted and written == dispatched:
                break
            try:
                message = results.get(timeout=0.5)
            except queue.Empty:
                dead = [p for p in processes if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(
                        f"a batch worker died (exit code {dead[0].exitcode}); the partial output is kept "
                        "for --resume"
                    ) from None
                continue
            kind, _, payload = message
            if kind == "oserror":
                raise OSError(*payload)
            if kind == "input":
                raise InputError(Problem(*problem) for problem in payload)
            if kind == "crash":
                raise RuntimeError(f"a batch worker failed:\n{payload}")
            if payload.changed:
                raise InputError(Problem(*problem) for problem in payload.changed)
            written += 1
            _count_result(payload, summary)
            if progress is not None:
                progress(summary.lines, read[0])
            if payload.log_failure is not None:
                raise BatchLogError(f"{payload.log_failure}; the batch stopped at this transaction")
        for process in processes:
            process.join()
    finally:
        turn.value = _STOP
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
        tasks.cancel_join_thread()
        results.cancel_join_thread()
        tasks.close()
        results.close()
