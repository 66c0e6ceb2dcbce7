"""The decision log: every decision appended as a hash-chained record (JSON Lines or SQLite).

Each record holds the transaction as assessed (personal data masked), the report, the
input's sha256 and the hash of the record before it, so an auditor can replay any logged
decision and :func:`verify` finds the first record that was edited, deleted, reordered,
inserted or cut short. A record's ``hash`` is the sha256 of the canonical JSON (sorted keys,
no whitespace, UTF-8) of the record without ``hash``; a JSON Lines record is the canonical
JSON of the whole record, ``hash`` included, on one line.

Appends are serialised across processes: a JSON Lines log is locked (``flock``) for the
whole read-last-record, write and ``fsync``; a SQLite log appends in a ``BEGIN IMMEDIATE``
transaction (WAL, ``synchronous=FULL``). A writer killed mid-append leaves at most a partial
last line, which was never acknowledged: the next append removes it and continues the chain.

>>> log = open_log("decisions.jsonl", mask=["/end_user/name"])        # doctest: +SKIP
>>> log_assessment(log, assessment, transaction).seq                   # doctest: +SKIP
>>> verify("decisions.jsonl").intact                                    # doctest: +SKIP
"""

from __future__ import annotations

import abc
import contextlib
import datetime as _dt
import hashlib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from hrdd.errors import DecisionLogError, InputError, Problem
from hrdd.files import fsync_directory
from hrdd.logsettings import WILDCARD, PointerError, parse_pointer, split_target

if TYPE_CHECKING:
    from hrdd.model import Assessment
    from hrdd.policy import Policy

GENESIS = "0" * 64
"""The ``prev`` of the first record."""

MASKED = "[masked]"
"""What a masked value, and every occurrence of a masked text, is replaced by."""

RECORD_KEYS = frozenset(
    {"format", "seq", "time", "prev", "input_sha256", "transaction", "report", "masked", "hash"}
)
RECORD_FORMAT = 1  # the record layout's version; a reader refuses a format it does not know

# Every record starts with this (its keys are sorted): how a log is told from another file.
_RECORD_START = b'{"format":'  # canonical form: sorted keys, so every record begins so
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_CHUNK = 65536


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


def canonical(document: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 (``hrdd.engine.canonical_json``)."""
    import orjson

    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def record_hash(record: Mapping[str, Any]) -> str:
    """The hash of a record: sha256 of the canonical JSON of every key but ``hash``."""
    return hashlib.sha256(canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


@attrs.frozen
class Record:
    """One appended decision, as written.

    :ivar seq: its position in the log, from 1.
    :ivar time: when it was appended (ISO 8601, UTC).
    :ivar prev: the hash of the record before it (64 zeros for the first).
    :ivar hash: its own hash.
    :ivar masked: the mask pointers that matched something in its transaction.
    :ivar line: the record's canonical JSON (without a newline), exactly as stored.
    """

    seq: int
    time: str
    prev: str
    hash: str
    masked: tuple[str, ...]
    line: bytes = attrs.field(repr=False)


@attrs.frozen
class BrokenRecord:
    """The first record :func:`verify` found broken.

    :ivar unit: ``"line"`` (JSON Lines) or ``"row"`` (SQLite).
    :ivar number: the line or row number, from 1.
    :ivar seq: the ``seq`` the record states, when it could be read.
    :ivar problem: what is wrong and what it suggests (edited, deleted, truncated...).
    :ivar truncated: the record is an incomplete last line (a writer stopped mid-append);
        every record before it is intact.
    """

    unit: str
    number: int
    seq: int | None
    problem: str
    truncated: bool = False

    def __str__(self) -> str:
        where = f"{self.unit} {self.number}"
        if self.seq is not None:
            where += f" (seq {self.seq})"
        return f"{where}: {self.problem}"


@attrs.frozen
class VerifyResult:
    """What :func:`verify` found.

    :ivar records: the intact records before the first broken one (all of them when intact).
    :ivar head: the hash of the last intact record (64 zeros when there is none): keep it
        outside the log to detect later that records were cut from its end.
    """

    target: str
    records: int
    first_time: str | None
    last_time: str | None
    head: str
    broken: BrokenRecord | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def summary(self) -> str:
        """One line for a person: the count and time span, or the first broken record."""
        if self.broken is not None:
            text = f"{self.target}: {self.broken}"
            if not self.broken.truncated:  # its problem already says so
                before = "no record before it" if self.records == 0 else f"{_records(self.records)} before it"
                text += f"; {before} {'is' if self.records == 1 else 'are'} intact"
            return text
        if self.records == 0:
            return f"{self.target}: 0 records (an empty log)"
        return (
            f"{self.target}: {_records(self.records)}, chain intact "
            f"(first {self.first_time}, last {self.last_time})"
        )

    def to_dict(self) -> dict[str, Any]:
        broken = self.broken
        return {
            "log": self.target,
            "intact": self.intact,
            "records": self.records,
            "first_time": self.first_time,
            "last_time": self.last_time,
            "head": self.head,
            "broken": None
            if broken is None
            else {"unit": broken.unit, "number": broken.number, "seq": broken.seq, "problem": broken.problem},
        }


def _records(count: int) -> str:
    return f"{count} record" if count == 1 else f"{count} records"


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _shape_problem(record: Any) -> str | None:
    """Why a parsed line is not a decision record, or None."""
    if not isinstance(record, dict):
        return f"not a decision record (a JSON {type(record).__name__}, expected an object)"
    missing = sorted(RECORD_KEYS - record.keys())
    if missing:
        return f"not a decision record (missing {', '.join(missing)})"
    extra = sorted(record.keys() - RECORD_KEYS)
    if extra:
        return f"not a decision record (unexpected {', '.join(extra)})"
    if record["format"] != RECORD_FORMAT:
        return f"record format {record['format']!r} is not one this hrdd reads ({RECORD_FORMAT})"
    seq = record["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        return f"seq {seq!r} is not a positive integer (edited)"
    for key in ("hash", "prev", "input_sha256"):
        value = record[key]
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            return f"{key} {value!r} is not a sha256 in hex (edited)"
    if not isinstance(record["time"], str):
        return "time is not a string (edited)"
    masked = record["masked"]
    if not isinstance(masked, list) or not all(isinstance(p, str) for p in masked):
        return "masked is not a list of pointers (edited)"
    return None


def _read_record(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(the record, None) when ``raw`` is an intact record on its own; (the record or None,
    what is wrong) otherwise. Says nothing about the chain."""
    import orjson

    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc}) (edited or damaged)"
    problem = _shape_problem(record)
    if problem is not None:
        return None, problem
    if record_hash(record) != record["hash"]:
        return record, "hash does not match its content (edited)"
    if canonical(record) != raw:
        return record, "not in canonical JSON form although its hash matches (rewritten outside hrdd)"
    return record, None


class _Chain:
    """Checks records in order: each intact, numbered one after the other, chained to the last."""

    def __init__(self, target: str, unit: str) -> None:
        self.target = target
        self.unit = unit
        self.count = 0
        self.head = GENESIS
        self.first_time: str | None = None
        self.last_time: str | None = None

    def check(self, number: int, raw: bytes, columns: tuple[Any, ...] | None = None) -> BrokenRecord | None:
        """The problem of the record at ``number``, or None (and the record joins the chain).

        :param columns: a SQLite row's ``(seq, hash, prev)`` columns, which must repeat the
            record's.
        """
        record, problem = _read_record(raw)
        seq = record["seq"] if record is not None else None
        if problem is None and record is not None:
            if columns is not None and tuple(columns) != (record["seq"], record["hash"], record["prev"]):
                problem = "its seq, hash or prev column differs from its record (edited)"
            else:
                problem = self._link_problem(number, record)
        if problem is not None:
            return BrokenRecord(self.unit, number, seq, problem)
        assert record is not None
        self.count += 1
        self.head = record["hash"]
        self.first_time = self.first_time or record["time"]
        self.last_time = record["time"]
        return None

    def _link_problem(self, number: int, record: Mapping[str, Any]) -> str | None:
        seq, expected = record["seq"], self.count + 1
        if seq != expected:
            if self.count == 0:
                return f"the log starts at seq {seq}, not 1 (records before it deleted)"
            return f"seq {seq} follows seq {self.count} (records deleted or reordered)"
        if record["prev"] != self.head:
            if self.count == 0:
                return "prev is not 64 zeros although this is the first record (records before it deleted)"
            return (
                f"prev does not match the hash of {self.unit} {number - 1} (deleted, reordered or inserted)"
            )
        return None

    def result(self, broken: BrokenRecord | None = None) -> VerifyResult:
        return VerifyResult(self.target, self.count, self.first_time, self.last_time, self.head, broken)


# --------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------


def _locate(node: Any, tokens: Sequence[str]) -> Iterator[tuple[Any, Any]]:
    """(container, key) of every value a pointer's tokens reach (``*`` = every array element)."""
    head, rest = tokens[0], tokens[1:]
    keys: Sequence[Any]
    if isinstance(node, list):
        if head == WILDCARD:
            keys = range(len(node))
        elif _ARRAY_INDEX.fullmatch(head) and int(head) < len(node):
            keys = (int(head),)
        else:
            keys = ()
    elif isinstance(node, dict):
        keys = (head,) if head in node else ()
    else:
        keys = ()
    for key in keys:
        if rest:
            yield from _locate(node[key], rest)
        else:
            yield node, key


def _texts(value: Any, found: set[str]) -> None:
    """Every string inside a value (dict keys are names, not data: left out)."""
    if isinstance(value, str):
        found.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _texts(item, found)
    elif isinstance(value, list):
        for item in value:
            _texts(item, found)


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(MASKED, value)
    if isinstance(value, dict):
        return {pattern.sub(MASKED, key): _scrub(item, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    return value


class Masker:
    """Masks the values JSON pointers name in a transaction, and every occurrence of their
    text anywhere in the transaction and the report, so a masked name leaks through no
    message, evidence value or fact. Text is matched case-insensitively as a substring: a
    very short masked value (one letter) blanks that letter everywhere.

    :raises PointerError: a pointer is malformed.
    """

    def __init__(self, pointers: Sequence[str]) -> None:
        self.pointers = tuple(dict.fromkeys(pointers))
        self._parsed = [(pointer, parse_pointer(pointer)) for pointer in self.pointers]

    def apply(self, transaction: Any, report: Any) -> tuple[Any, Any, list[str]]:
        """(masked transaction, masked report, the pointers that matched). Both documents are
        modified in place where that is possible: give copies."""
        matched: list[str] = []
        places: list[tuple[Any, Any]] = []
        for pointer, tokens in self._parsed:
            found = list(_locate(transaction, tokens))
            if found:
                matched.append(pointer)
                places += found
        texts: set[str] = set()
        for container, key in places:  # every text first: a later pointer may sit inside an earlier
            _texts(container[key], texts)
        for container, key in places:
            container[key] = MASKED
        texts.discard("")
        if texts:
            ordered = sorted(texts, key=len, reverse=True)  # a name inside a longer name: the longer first
            pattern = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE)
            transaction, report = _scrub(transaction, pattern), _scrub(report, pattern)
        return transaction, report, matched


# --------------------------------------------------------------------------------------
# Logs
# --------------------------------------------------------------------------------------


class DecisionLog(abc.ABC):
    """Where decisions are appended. Build with :func:`open_log`; nothing is opened until the
    first append, and nothing stays open between appends: one log object may be shared by
    threads and used on both sides of a ``fork``, and several processes may append to one
    log at once (each append holds a lock from reading the last record to the sync)."""

    def __init__(self, target: str, path: Path, mask: Sequence[str] = ()) -> None:
        self.target = target
        self.path = path
        self.masker = Masker(mask)

    @property
    def mask(self) -> tuple[str, ...]:
        return self.masker.pointers

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.target!r}, mask={list(self.mask)!r})"

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:  # noqa: B027 - a hook a sink may override; nothing to release today
        """Release what the log holds open (nothing, today: each append opens and closes)."""

    def append(self, report: Mapping[str, Any], transaction: Mapping[str, Any], input_sha256: str) -> Record:
        """Append one decision: the report and the transaction it assessed, masked.

        :param report: the report document (``Assessment.to_dict()``).
        :param transaction: the transaction document exactly as assessed.
        :param input_sha256: the sha256 of the transaction's canonical JSON (the report's
            ``provenance.input_sha256``).
        :returns: the record as written, once it is durably stored (fsync'd or committed).
        :raises ValueError: the transaction's sha256 is not ``input_sha256``, or a document
            is not JSON.
        :raises DecisionLogError: nothing was appended (the log cannot be written, or its
            last record is damaged).
        """
        import orjson

        try:
            digest = hashlib.sha256(canonical(transaction)).hexdigest()
            # Copies (the masker edits in place) that are plain JSON (tuples, enums -> JSON).
            transaction_copy = orjson.loads(canonical(transaction))
            report_copy = orjson.loads(canonical(report))
        except TypeError as exc:
            raise ValueError(f"a decision record holds JSON documents only: {exc}") from None
        if digest != input_sha256:
            raise ValueError(
                f"the transaction is not the document that was assessed: its sha256 is {digest}, "
                f"the report's input_sha256 is {input_sha256}"
            )
        masked_transaction, masked_report, matched = self.masker.apply(transaction_copy, report_copy)
        body = {
            "format": RECORD_FORMAT,
            "input_sha256": input_sha256,
            "transaction": masked_transaction,
            "report": masked_report,
            "masked": matched,
        }
        return self._append(body)

    @abc.abstractmethod
    def _append(self, body: dict[str, Any]) -> Record:
        """Seal ``body`` after the last record and write it (the sink's own locking and sync)."""

    @abc.abstractmethod
    def verify(self) -> VerifyResult:
        """Check the whole chain; see :func:`verify`."""

    def _seal(self, body: Mapping[str, Any], last: Mapping[str, Any] | None) -> Record:
        """The record that follows ``last`` (None: the first record)."""
        record = {
            **body,
            "seq": last["seq"] + 1 if last else 1,
            "prev": last["hash"] if last else GENESIS,
            "time": _now(),
        }
        record["hash"] = record_hash(record)
        return Record(
            record["seq"],
            record["time"],
            record["prev"],
            record["hash"],
            tuple(body["masked"]),
            canonical(record),
        )

    def _last_intact(self, raw: bytes, where: str) -> dict[str, Any]:
        record, problem = _read_record(raw)
        if problem is not None or record is None:
            raise DecisionLogError(
                self.target,
                f"its last record ({where}) is damaged: {problem}; the chain cannot be continued "
                f"(run 'hrdd audit verify {self.target}')",
            )
        return record


class JsonLinesLog(DecisionLog):
    """A decision log in a JSON Lines file: one canonical record per line."""

    def _append(self, body: dict[str, Any]) -> Record:
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise DecisionLogError(self.target, _reason(exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # held until the close: read last, write, fsync
            size = os.fstat(fd).st_size
            end, last_line = _last_complete_line(fd, size)
            last = self._last_intact(last_line, f"ending at byte {end}") if last_line is not None else None
            record = self._seal(body, last)
            if end != size:  # a writer was killed mid-append: that record was never acknowledged
                os.ftruncate(fd, end)
            _write_fully(fd, record.line + b"\n", end)
            if end == 0:  # a new file: its directory entry must be durable too
                fsync_directory(self.path.parent)
        except OSError as exc:
            raise DecisionLogError(self.target, _reason(exc)) from None
        finally:
            os.close(fd)
        return record

    def verify(self) -> VerifyResult:
        import fcntl
        import stat

        try:
            handle = open(self.path, "rb")  # noqa: SIM115 (closed below; the lock needs the fd)
        except FileNotFoundError:
            raise InputError.single(self.target, "$", "no such file (not a decision log)") from None
        except IsADirectoryError:
            raise InputError.single(self.target, "$", "is a directory, not a decision log") from None
        except OSError as exc:
            raise InputError.single(self.target, "$", f"cannot read: {_reason(exc)}") from None
        with handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                what = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
                raise InputError.single(self.target, "$", f"is {what}, not a decision log")
            # Writers hold the exclusive lock for a whole append: under a shared lock the size
            # ends at a record boundary, and everything before it never changes again.
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            size = os.fstat(handle.fileno()).st_size
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            try:
                return self._verify_lines(handle, size)
            except OSError as exc:
                raise InputError.single(self.target, "$", f"cannot read: {_reason(exc)}") from None

    def _verify_lines(self, handle: Any, size: int) -> VerifyResult:
        chain = _Chain(self.target, "line")
        consumed = 0
        number = 0
        while consumed < size:
            line: bytes = handle.readline(size - consumed)
            if not line:
                break
            consumed += len(line)
            number += 1
            complete = line.endswith(b"\n")
            raw = line[:-1] if complete else line
            if number == 1 and not raw.startswith(_RECORD_START):
                following = handle.readline(min(size - consumed, _CHUNK))
                if not following.startswith(_RECORD_START):
                    raise InputError.single(
                        self.target,
                        "line 1",
                        f"not a decision log (line 1 is not a decision record: {_preview(raw)})",
                    )
                handle.seek(consumed)
            if not complete:
                intact = chain.count
                return chain.result(
                    BrokenRecord(
                        "line",
                        number,
                        None,
                        truncated=True,
                        problem=f"incomplete last record (truncated; the {_records(intact)} before it "
                        f"{'is' if intact == 1 else 'are'} intact)",
                    )
                )
            broken = chain.check(number, raw)
            if broken is not None:
                return chain.result(broken)
        return chain.result()


class SqliteLog(DecisionLog):
    """A decision log in a SQLite database (table ``decisions``), for platforms that query it.

    The records are the same canonical JSON as in a JSON Lines log, with the same chain; the
    ``hash`` and ``prev`` columns repeat the record's (for queries) and are checked too.
    """

    def _append(self, body: dict[str, Any]) -> Record:
        import sqlite3

        # A connection per append, like a file descriptor per append for JSON Lines: nothing
        # is shared between threads or across a fork, and the commit's sync costs far more.
        try:
            connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except sqlite3.Error as exc:
            raise DecisionLogError(self.target, str(exc)) from None
        try:
            _use_wal(connection)
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS decisions (seq INTEGER PRIMARY KEY, "
                "record TEXT NOT NULL, hash TEXT NOT NULL, prev TEXT NOT NULL)"
            )
            connection.execute("BEGIN IMMEDIATE")  # one writer at a time, from reading the last record
            try:
                row = connection.execute(
                    "SELECT seq, record FROM decisions ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                last = self._last_intact(row[1].encode(), f"seq {row[0]}") if row else None
                record = self._seal(body, last)
                connection.execute(
                    "INSERT INTO decisions (seq, record, hash, prev) VALUES (?, ?, ?, ?)",
                    (record.seq, record.line.decode(), record.hash, record.prev),
                )
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise DecisionLogError(self.target, str(exc)) from None
        finally:
            connection.close()
        return record

    def verify(self) -> VerifyResult:
        import sqlite3

        if not self.path.exists():
            raise InputError.single(self.target, "$", "no such file (not a decision log)")
        if not self.path.is_file():
            raise InputError.single(self.target, "$", "is not a file, not a decision log")
        try:
            connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise InputError.single(self.target, "$", f"cannot open: {exc}") from None
        try:
            try:
                columns = {row[1] for row in connection.execute("PRAGMA table_info(decisions)")}
            except sqlite3.DatabaseError as exc:
                raise InputError.single(self.target, "$", f"not a SQLite database ({exc})") from None
            if not {"seq", "record", "hash", "prev"} <= columns:
                raise InputError.single(
                    self.target, "$", "not a decision log (no table decisions(seq, record, hash, prev))"
                )
            chain = _Chain(self.target, "row")
            rows = connection.execute("SELECT seq, record, hash, prev FROM decisions ORDER BY seq")
            for number, (seq, text, hash_, prev) in enumerate(rows, start=1):
                raw = text.encode() if isinstance(text, str) else bytes(text or b"")
                broken = chain.check(number, raw, (seq, hash_, prev))
                if broken is not None:
                    return chain.result(broken)
            return chain.result()
        except sqlite3.Error as exc:
            raise InputError.single(self.target, "$", f"cannot read: {exc}") from None
        finally:
            connection.close()


def _use_wal(connection: Any, patience: float = 60.0) -> None:
    """Put a database in WAL mode. Switching takes an exclusive lock and SQLite does not wait
    for it (only the first appends to a new database race for it): retry until ``patience``."""
    import sqlite3
    import time

    deadline = time.monotonic() + patience
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


# --------------------------------------------------------------------------------------
# File helpers
# --------------------------------------------------------------------------------------


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _preview(raw: bytes, limit: int = 60) -> str:
    text = raw[:limit].decode("utf-8", "replace")
    return repr(text + ("..." if len(raw) > limit else ""))


def _last_newline(fd: int, before: int) -> int:
    """The offset of the last newline before ``before``, or -1 (reads backwards in chunks)."""
    position = before
    while position > 0:
        start = max(0, position - _CHUNK)
        chunk = os.pread(fd, position - start, start)
        found = chunk.rfind(b"\n")
        if found != -1:
            return start + found
        position = start
    return -1


def _last_complete_line(fd: int, size: int) -> tuple[int, bytes | None]:
    """(where the complete records end, the last complete line without its newline or None).
    Whatever follows the last newline is a record cut short."""
    last = _last_newline(fd, size)
    if last == -1:
        return 0, None
    start = _last_newline(fd, last) + 1
    return last + 1, os.pread(fd, last - start, start)


def _write_fully(fd: int, data: bytes, restore_to: int) -> None:
    """Write and fsync ``data``; on any failure cut the file back to ``restore_to`` (best effort)
    so no unacknowledged record stays behind."""
    written = 0
    try:
        view = memoryview(data)
        while written < len(data):
            written += os.write(fd, view[written:])
        os.fsync(fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, restore_to)
        raise


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def open_log(target: str | Path, *, mask: Sequence[str] = ()) -> DecisionLog:
    """A decision log for a target: a JSON Lines file path, or ``sqlite:///PATH`` (relative
    or absolute, so ``sqlite:////var/log/decisions.db``). Nothing is opened yet.

    :param mask: JSON pointers into the transaction whose values are masked in every record
        (``*`` matches every array element: ``/parties/*/name``).
    :raises InputError: the target or a pointer is malformed.
    """
    if isinstance(target, Path):
        return JsonLinesLog(str(target), target, mask=_checked(mask))
    try:
        kind, path = split_target(target)
    except ValueError as exc:
        raise InputError.single(target, "$", str(exc)) from None
    cls = SqliteLog if kind == "sqlite" else JsonLinesLog
    return cls(target, Path(path), mask=_checked(mask))


def _checked(mask: Sequence[str]) -> Sequence[str]:
    if isinstance(mask, str):
        raise TypeError("mask is a sequence of JSON pointers, not one string")
    problems = []
    for index, pointer in enumerate(mask):
        try:
            parse_pointer(pointer)
        except PointerError as exc:
            problems.append(Problem("mask", f"$[{index}]", str(exc)))
    if problems:
        raise InputError(problems)
    return mask


def verify(target: str | Path) -> VerifyResult:
    """Check a decision log's chain from its first record to its last.

    :returns: the count of intact records and, when the chain is broken, the first broken
        record and what is wrong with it (edited, deleted, reordered, inserted, truncated).
    :raises InputError: the log is missing, unreadable, or not a decision log at all.
    """
    return open_log(target).verify()


def find_head(target: str | Path, head: str) -> int | None:
    """The seq of the record whose hash is ``head`` in an (intact) log, or None when no record
    has it: with a head kept outside the log, records cut from its end or a rewritten log are
    detected. Records are canonical JSON, so a record's own hash appears as ``"hash":"<hex>"``
    only in that record (the same text inside a string value would be escaped)."""
    import orjson

    kind, path = split_target(str(target))
    if kind == "sqlite":
        import sqlite3

        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT seq FROM decisions WHERE hash = ?", (head,)).fetchone()
        finally:
            connection.close()
        return int(row[0]) if row else None
    needle = b'"hash":"' + head.encode("ascii", "replace") + b'"'
    with Path(path).open("rb") as handle:
        for line in handle:
            if needle in line:
                return int(orjson.loads(line)["seq"])
    return None


def open_policy_log(policy: Policy, target: str | Path | None = None) -> DecisionLog | None:
    """The decision log a policy's ``[log]`` table configures (with its masks), or the log at
    ``target`` with the policy's masks; None when neither gives a target."""
    settings = policy.log
    mask = settings.mask if settings is not None else ()
    chosen = target if target is not None else (settings.target if settings is not None else None)
    return None if chosen is None else open_log(chosen, mask=mask)


def log_assessment(
    log: DecisionLog | str | Path,
    assessment: Assessment | Mapping[str, Any],
    transaction: Mapping[str, Any],
) -> Record:
    """Append an assessment (or its report dict) and the transaction it assessed to a log.

    :raises ValueError: the transaction is not the one the report's ``input_sha256`` names.
    :raises DecisionLogError: nothing was appended.
    """
    if not isinstance(log, DecisionLog):
        log = open_log(log)
    report = assessment if isinstance(assessment, Mapping) else assessment.to_dict()
    return log.append(report, transaction, report["provenance"]["input_sha256"])
