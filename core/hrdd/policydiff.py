"""Policy impact analysis: a corpus of transactions assessed under two policies, and what changed.

``hrdd diff --old P1 --new P2 CORPUS.jsonl`` is what a policy team shows an auditor before it
adopts a new policy version: every transaction whose decision, findings or required
safeguards differ, with counts per decision transition and per rule.

A transaction *changed* when its decision differs, when a finding appears or disappears
(findings, waived ones included, are matched by rule id, plugin and subject), when a matched
finding's outcome, effective outcome, severity or waiver differs, or when a required
safeguard appears or disappears. Provenance, times, messages and the risk score are not
changes (the risk score is shown beside a change, for context). Both policies assess every
transaction as of the same date, so a run that spans midnight compares like with like.

The corpus is JSON Lines, read one line at a time: memory does not grow with the corpus.
Changes and line errors are spooled to a temporary file (in memory while small) as they are
found, so the summary can precede them in the output. The output format is described by
``schemas/diff.schema.json``.
"""

from __future__ import annotations

import datetime as _dt
import json
import operator
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from hrdd.errors import InputError, PolicyError, Problem, TransactionError

if TYPE_CHECKING:
    from hrdd.engine import Engine
    from hrdd.model import Assessment, Finding, RequiredSafeguard

DIFF_SCHEMA_VERSION = 1
FORMATS = ("text", "json")
DECISIONS = ("proceed", "proceed_with_safeguards", "escalate", "do_not_proceed")
MESSAGE_WIDTH = 110  # characters of a finding's message in the text output
SPOOL_IN_MEMORY = 16 * 1024 * 1024  # bytes of spooled output kept in memory before using a file

# What makes two findings "the same finding" in both assessments, and what makes it "changed".
_IDENTITY = operator.attrgetter("rule_id", "plugin", "subject")
_OUTCOMES = operator.attrgetter("outcome", "decisive_outcome", "severity")
# The fast test of "nothing changed" reads the raw effective outcome (no property call): equal
# raw fields mean equal findings; unequal ones are looked at closely (_match_findings).
_SIGNATURE = operator.attrgetter("rule_id", "plugin", "subject", "outcome", "effective_outcome", "severity")
_SAFEGUARD = operator.attrgetter("safeguard")


# --------------------------------------------------------------------------------------
# What changed in one transaction
# --------------------------------------------------------------------------------------


@attrs.frozen
class PolicySide:
    """One of the two policies compared, as the assessments' provenance names it, with the
    plugins it enables."""

    name: str
    version: str
    sha256: str
    source: str
    chain: tuple[tuple[str, str], ...]  # (source, sha256) from the policy up to the base
    plugins: tuple[tuple[str, str], ...]  # (name, version), sorted by name

    @classmethod
    def from_engine(cls, engine: Engine) -> PolicySide:
        # The same PolicyRef every assessment's provenance carries (built from the policy).
        ref = engine.policy.ref()
        plugins = tuple(sorted((p.name, p.version) for p in (p.ref() for p in engine.plugins.plugins)))
        return cls(ref.name, ref.version, ref.sha256, ref.source, ref.chain, plugins)

    def label(self) -> str:
        return f"{self.name} {self.version} (sha256 {self.sha256[:12]}, {self.source})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "source": self.source,
            "chain": [{"source": source, "sha256": sha256} for source, sha256 in self.chain],
            "plugins": [{"name": name, "version": version} for name, version in self.plugins],
        }


@attrs.frozen
class FindingState:
    """A finding as the diff shows it: what identifies it and what may change about it."""

    rule_id: str
    plugin: str
    subject: str | None
    outcome: str
    effective_outcome: str
    enforcement: str
    severity: str
    message: str
    waiver: str | None = None  # the id of the waiver that set the finding aside

    @classmethod
    def from_finding(cls, finding: Finding) -> FindingState:
        return cls(
            finding.rule_id,
            finding.plugin,
            finding.subject,
            finding.outcome.value,
            finding.decisive_outcome.value,
            finding.enforcement.value,
            finding.severity.value,
            finding.message,
            _waiver_id(finding),
        )

    def state(self) -> str:
        """``escalate, high``; an outcome the policy's enforcement changed reads
        ``escalate as info (advisory), high``; a waived one ends ``, waived (W-2026-007)``."""
        outcome = self.outcome
        if self.effective_outcome != outcome:
            outcome = f"{outcome} as {self.effective_outcome} ({self.enforcement})"
        waived = f", waived ({self.waiver})" if self.waiver is not None else ""
        return f"{outcome}, {self.severity}{waived}"

    def heading(self) -> str:
        return f"{self.rule_id} on {self.subject}" if self.subject else self.rule_id

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class FindingChange:
    """A finding both policies report, with a different outcome, effective outcome or severity."""

    old: FindingState
    new: FindingState

    def to_dict(self) -> dict[str, Any]:
        state = ("outcome", "effective_outcome", "enforcement", "severity", "waiver", "message")
        return {
            "rule_id": self.new.rule_id,
            "plugin": self.new.plugin,
            "subject": self.new.subject,
            "old": {name: getattr(self.old, name) for name in state},
            "new": {name: getattr(self.new, name) for name in state},
        }


@attrs.frozen
class TransactionChange:
    """One corpus line whose assessment differs between the two policies."""

    line: int
    transaction_id: str
    old_decision: str
    new_decision: str
    old_risk: int
    new_risk: int
    added: tuple[FindingState, ...] = ()
    removed: tuple[FindingState, ...] = ()
    changed: tuple[FindingChange, ...] = ()
    safeguards_added: tuple[RequiredSafeguard, ...] = ()
    safeguards_removed: tuple[RequiredSafeguard, ...] = ()

    @property
    def decision_changed(self) -> bool:
        return self.old_decision != self.new_decision

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "transaction_id": self.transaction_id,
            "decision": {"old": self.old_decision, "new": self.new_decision},
            "risk": {"old": self.old_risk, "new": self.new_risk},
            "findings": {
                "added": [f.to_dict() for f in self.added],
                "removed": [f.to_dict() for f in self.removed],
                "changed": [c.to_dict() for c in self.changed],
            },
            "required_safeguards": {
                "added": [s.to_dict() for s in self.safeguards_added],
                "removed": [s.to_dict() for s in self.safeguards_removed],
            },
        }


@attrs.frozen
class LineError:
    """A corpus line that could not be compared: not JSON, or not a valid transaction."""

    line: int
    problems: tuple[Problem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "problems": [{"path": p.path, "message": p.message} for p in self.problems],
        }


def compare(old: Assessment, new: Assessment, line: int = 0) -> TransactionChange | None:
    """What changed between two assessments of one transaction, or ``None`` when nothing did.

    :param old: the assessment under the old policy.
    :param new: the assessment under the new policy.
    :param line: the transaction's line in the corpus (carried into the result).
    """
    old_findings, new_findings = old.findings, new.findings
    if (
        old.decision is new.decision
        and len(old_findings) == len(new_findings)
        and list(map(_SIGNATURE, old_findings)) == list(map(_SIGNATURE, new_findings))
        and list(map(_SAFEGUARD, old.required_safeguards)) == list(map(_SAFEGUARD, new.required_safeguards))
        and _waived_signature(old) == _waived_signature(new)
    ):
        return None  # the common case, decided without building anything
    added, removed, changed = _match_findings((*old_findings, *old.waived), (*new_findings, *new.waived))
    old_safeguards = {s.safeguard: s for s in old.required_safeguards}
    new_safeguards = {s.safeguard: s for s in new.required_safeguards}
    safeguards_added = tuple(s for name, s in new_safeguards.items() if name not in old_safeguards)
    safeguards_removed = tuple(s for name, s in old_safeguards.items() if name not in new_safeguards)
    if (
        old.decision is new.decision
        and not (added or removed or changed)
        and not (safeguards_added or safeguards_removed)
    ):
        return None  # the same findings in another order (their messages differ, say)
    return TransactionChange(
        line=line,
        transaction_id=new.transaction_id,
        old_decision=old.decision.value,
        new_decision=new.decision.value,
        old_risk=old.risk.score,
        new_risk=new.risk.score,
        added=added,
        removed=removed,
        changed=changed,
        safeguards_added=safeguards_added,
        safeguards_removed=safeguards_removed,
    )


def _waiver_id(finding: Finding) -> str | None:
    waiver = finding.waiver
    return None if waiver is None else str(waiver.get("id"))


def _state(finding: Finding) -> tuple[Any, ...]:
    return (*_OUTCOMES(finding), _waiver_id(finding))


def _waived_signature(assessment: Assessment) -> list[tuple[Any, ...]]:
    if not assessment.waived:
        return []
    return [(*_SIGNATURE(f), _waiver_id(f)) for f in assessment.waived]


def _match_findings(
    old: Sequence[Finding], new: Sequence[Finding]
) -> tuple[tuple[FindingState, ...], tuple[FindingState, ...], tuple[FindingChange, ...]]:
    """Findings only in ``new``, only in ``old``, and in both with another state, each in the
    engine's order (gravest first). A rule may report several findings on one subject: those
    are paired by equal state first, then in order."""
    old_by_identity: dict[tuple[Any, ...], list[Finding]] = {}
    for finding in old:
        old_by_identity.setdefault(_IDENTITY(finding), []).append(finding)
    added: list[FindingState] = []
    changed: list[FindingChange] = []
    unmatched_new: list[Finding] = []
    for finding in new:
        candidates = old_by_identity.get(_IDENTITY(finding))
        if not candidates:
            added.append(FindingState.from_finding(finding))
            continue
        state = _state(finding)
        same = next((c for c in candidates if _state(c) == state), None)
        if same is not None:
            candidates.remove(same)
        else:
            unmatched_new.append(finding)
    for finding in unmatched_new:
        candidates = old_by_identity[_IDENTITY(finding)]
        if candidates:
            changed.append(
                FindingChange(
                    FindingState.from_finding(candidates.pop(0)), FindingState.from_finding(finding)
                )
            )
        else:
            added.append(FindingState.from_finding(finding))
    left = {id(f) for candidates in old_by_identity.values() for f in candidates}
    removed = tuple(FindingState.from_finding(f) for f in old if id(f) in left)
    return tuple(added), removed, tuple(changed)


# --------------------------------------------------------------------------------------
# A corpus under two policies
# --------------------------------------------------------------------------------------


@attrs.define
class RuleCounts:
    """In how many transactions a rule's findings appeared, disappeared or changed."""

    added: int = 0
    removed: int = 0
    changed: int = 0


@attrs.define
class PolicyDiff:
    """Two engines and the running counts of comparing a corpus under them.

    >>> diff = PolicyDiff.from_policies("baseline", "acme/policy.toml")   # doctest: +SKIP
    >>> changes = list(diff.compare_corpus("corpus.jsonl"))              # doctest: +SKIP
    >>> diff.changed, diff.transitions                                    # doctest: +SKIP
    """

    old_engine: Engine
    new_engine: Engine
    old: PolicySide
    new: PolicySide
    as_of: _dt.date = attrs.field(factory=lambda: _dt.datetime.now(_dt.UTC).date())
    corpus: str = ""
    compared: int = 0
    changed: int = 0
    errors: int = 0
    decisions_old: dict[str, int] = attrs.field(factory=dict)
    decisions_new: dict[str, int] = attrs.field(factory=dict)
    transitions: dict[tuple[str, str], int] = attrs.field(factory=dict)
    rules: dict[str, RuleCounts] = attrs.field(factory=dict)
    safeguards_changed: int = 0

    @classmethod
    def from_engines(cls, old: Engine, new: Engine, as_of: _dt.date | None = None) -> PolicyDiff:
        """Compare under two built engines, as of a date (default: today in UTC)."""
        diff = cls(old, new, PolicySide.from_engine(old), PolicySide.from_engine(new))
        if as_of is not None:
            diff.as_of = as_of
        return diff

    @classmethod
    def from_policies(
        cls, old: str | Path, new: str | Path, *, as_of: _dt.date | None = None, lock: bool = True
    ) -> PolicyDiff:
        """Build both engines (each once), reporting the problems of both policies together.

        :param lock: check each policy against the lock beside it, if any (as ``hrdd assess``
            does); ``False`` skips the check.
        :raises PolicyError: either policy, a plugin or a plugin's config is invalid.
        :raises InputError: a policy does not match its lock.
        """
        from hrdd.engine import Engine

        engines: list[Engine] = []
        problems: list[Problem] = []
        for policy in (old, new):
            try:
                engines.append(Engine.from_policy(policy, lock=lock))
            except InputError as exc:
                problems += exc.problems
        if problems:
            raise PolicyError(problems)
        return cls.from_engines(engines[0], engines[1], as_of)

    def compare_corpus(self, path: str | Path) -> Iterator[TransactionChange | LineError]:
        """Assess every transaction of a JSON Lines corpus under both policies, counting as it
        goes; yields each change and each line that could not be compared, in corpus order.

        :raises InputError: the corpus file cannot be opened (before anything is yielded).
        """
        handle = open_corpus(path)
        return self._compare_lines(handle, str(path))

    def _compare_lines(self, handle: IO[bytes], corpus: str) -> Iterator[TransactionChange | LineError]:
        self.corpus = corpus
        assess_old, assess_new, as_of = self.old_engine.assess, self.new_engine.assess, self.as_of
        decisions_old, decisions_new = self.decisions_old, self.decisions_new
        with handle:
            for number, raw in enumerate(handle, 1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]  # a UTF-8 byte-order mark, as some editors write
                if raw.isspace() or not raw:
                    continue
                source = f"{corpus}:{number}"
                try:
                    document = _parse_line(raw, source)
                    old = assess_old(document, source=source, as_of=as_of)
                    new = assess_new(document, source=source, as_of=as_of)
                except TransactionError as exc:
                    self.errors += 1
                    yield LineError(number, exc.problems)
                    continue
                self.compared += 1
                old_decision, new_decision = old.decision.value, new.decision.value
                decisions_old[old_decision] = decisions_old.get(old_decision, 0) + 1
                decisions_new[new_decision] = decisions_new.get(new_decision, 0) + 1
                change = compare(old, new, number)
                if change is not None:
                    self._count(change)
                    yield change

    def _count(self, change: TransactionChange) -> None:
        self.changed += 1
        if change.decision_changed:
            key = (change.old_decision, change.new_decision)
            self.transitions[key] = self.transitions.get(key, 0) + 1
        for attribute, findings in (
            ("added", {f.rule_id for f in change.added}),
            ("removed", {f.rule_id for f in change.removed}),
            ("changed", {c.new.rule_id for c in change.changed}),
        ):
            for rule_id in findings:
                counts = self.rules.setdefault(rule_id, RuleCounts())
                setattr(counts, attribute, getattr(counts, attribute) + 1)
        if change.safeguards_added or change.safeguards_removed:
            self.safeguards_changed += 1

    # ----------------------------------------------------------------------------------
    # The summary
    # ----------------------------------------------------------------------------------

    def sorted_transitions(self) -> list[tuple[str, str, int]]:
        """Decision transitions in decision order (``proceed → escalate`` before
        ``escalate → proceed``)."""
        return [
            (old, new, count)
            for (old, new), count in sorted(
                self.transitions.items(),
                key=lambda item: (_decision_rank(item[0][0]), _decision_rank(item[0][1])),
            )
        ]

    def summary(self) -> dict[str, Any]:
        return {
            "compared": self.compared,
            "changed": self.changed,
            "unchanged": self.compared - self.changed,
            "decision_changed": sum(self.transitions.values()),
            "safeguards_changed": self.safeguards_changed,
            "errors": self.errors,
            "decisions": {
                "old": _in_decision_order(self.decisions_old),
                "new": _in_decision_order(self.decisions_new),
            },
        }

    def head(self) -> dict[str, Any]:
        """The JSON document without its ``changes`` and ``errors``."""
        return {
            "schema_version": DIFF_SCHEMA_VERSION,
            "corpus": self.corpus,
            "as_of": self.as_of.isoformat(),
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "summary": self.summary(),
            "transitions": [{"old": o, "new": n, "count": c} for o, n, c in self.sorted_transitions()],
            "rules": [
                {"rule_id": rule_id, "added": c.added, "removed": c.removed, "changed": c.changed}
                for rule_id, c in sorted(self.rules.items())
            ],
        }


def _decision_rank(decision: str) -> int:
    return DECISIONS.index(decision) if decision in DECISIONS else len(DECISIONS)


def _in_decision_order(counts: dict[str, int]) -> dict[str, int]:
    return {decision: counts[decision] for decision in sorted(counts, key=_decision_rank)}


def parse_date(text: str, option: str = "--as-of") -> _dt.date:
    """An ISO date given on the command line.

    :raises InputError: naming the option, when the text is not a date.
    """
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise InputError.single("hrdd diff", option, f"{text!r} is not a date (YYYY-MM-DD)") from None


def open_corpus(path: str | Path) -> IO[bytes]:
    """Open a corpus for reading line by line.

    :raises InputError: the file does not exist, is a directory or cannot be read.
    """
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError.single(str(path), "$", "corpus file not found") from None
    except IsADirectoryError:
        raise InputError.single(str(path), "$", "is a directory, expected a JSON Lines file") from None
    except OSError as exc:
        raise InputError.single(str(path), "$", f"cannot read: {exc.strerror}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_line(raw: bytes, source: str) -> Any:
    """One corpus line as a JSON value.

    :raises TransactionError: the line is not UTF-8 or not JSON.
    """
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text: {exc.reason} at byte {exc.start}"
    except json.JSONDecodeError as exc:
        message = f"invalid JSON at column {exc.colno}: {exc.msg}"
    except ValueError as exc:
        message = f"invalid JSON: {exc}"
    except RecursionError:
        message = "invalid JSON: nested too deeply"
    raise TransactionError.single(source, "$", message)


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def _shorten(text: str, width: int = MESSAGE_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def change_text(change: TransactionChange) -> str:
    """The text block of one changed transaction."""
    if change.decision_changed:
        decision = f"{change.old_decision} → {change.new_decision}"
    else:
        decision = f"{change.new_decision} (decision unchanged)"
    risk = (
        f"risk {change.old_risk} → {change.new_risk}"
        if change.old_risk != change.new_risk
        else f"risk {change.new_risk}"
    )
    lines = [f"line {change.line}  {change.transaction_id}: {decision}; {risk}"]
    for finding in change.added:
        lines.append(f"  + {finding.heading()}: {finding.state()}: {_shorten(finding.message)}")
    for finding in change.removed:
        lines.append(f"  - {finding.heading()}: {finding.state()}: {_shorten(finding.message)}")
    for pair in change.changed:
        lines.append(
            f"  ~ {pair.new.heading()}: {pair.old.state()} → {pair.new.state()}: {_shorten(pair.new.message)}"
        )
    for sign, safeguards in (("+", change.safeguards_added), ("-", change.safeguards_removed)):
        for safeguard in safeguards:
            rules = ", ".join(safeguard.rules)
            lines.append(f"  {sign} safeguard ({rules}): {_shorten(safeguard.safeguard)}")
    return "\n".join(lines) + "\n"


def error_text(error: LineError) -> str:
    return "".join(f"  line {error.line}: {p.path}: {p.message}\n" for p in error.problems)


def summary_text(diff: PolicyDiff) -> str:
    """The header and the counts of the text output."""
    lines = [
        "Policy impact analysis",
        f"  old: {diff.old.label()}",
        f"  new: {diff.new.label()}",
    ]
    old_plugins, new_plugins = dict(diff.old.plugins), dict(diff.new.plugins)
    only_new = [f"{n} {v}" for n, v in diff.new.plugins if old_plugins.get(n) != v]
    only_old = [f"{n} {v}" for n, v in diff.old.plugins if new_plugins.get(n) != v]
    if only_new:
        lines.append(f"  plugins enabled only in new: {', '.join(only_new)}")
    if only_old:
        lines.append(f"  plugins enabled only in old: {', '.join(only_old)}")
    lines.append(f"  corpus: {diff.corpus}, assessed as of {diff.as_of.isoformat()}")
    lines.append("")
    lines.append(
        f"{_plural(diff.compared, 'transaction')} compared, {diff.changed} changed "
        f"({sum(diff.transitions.values())} with another decision), "
        f"{_plural(diff.errors, 'line')} not compared (errors)"
    )
    if diff.compared:
        width = max(len(d) for d in (*diff.decisions_old, *diff.decisions_new, "decision"))
        lines += ["", f"  {'decision':<{width}}  {'old':>7}  {'new':>7}"]
        for decision in sorted({*diff.decisions_old, *diff.decisions_new}, key=_decision_rank):
            old, new = diff.decisions_old.get(decision, 0), diff.decisions_new.get(decision, 0)
            lines.append(f"  {decision:<{width}}  {old:>7}  {new:>7}")
    if diff.transitions:
        lines += ["", "Decision changes:"]
        lines += [f"  {old} → {new}: {count}" for old, new, count in diff.sorted_transitions()]
    if diff.rules:
        lines += ["", "Rules (transactions where the rule's findings appeared +, disappeared -, changed ~):"]
        for rule_id, counts in sorted(diff.rules.items()):
            for sign, count in (("+", counts.added), ("-", counts.removed), ("~", counts.changed)):
                if count:
                    lines.append(f"  {sign} {rule_id}: {_plural(count, 'transaction')}")
    if diff.safeguards_changed:
        lines += ["", f"Required safeguards changed in {_plural(diff.safeguards_changed, 'transaction')}."]
    return "\n".join(lines) + "\n"


@attrs.define
class _Spool:
    """Output written as it is found and read back once the summary is known."""

    file: IO[str]
    count: int = 0

    def add(self, text: str) -> None:
        self.file.write(text)
        self.count += 1

    def copy_to(self, stream: IO[str], separator: str = "") -> None:
        import shutil

        self.file.seek(0)
        if not separator:
            shutil.copyfileobj(self.file, stream)
            return
        first = True
        for line in self.file:
            if not first:
                stream.write(separator)
            stream.write(line.rstrip("\n"))
            first = False


def _spooled() -> IO[str]:
    import tempfile

    spool: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed by run_diff)
        max_size=SPOOL_IN_MEMORY, mode="w+", encoding="utf-8", newline="\n"
    )
    return spool


def _json_value(value: Any, indent: str) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + indent)


def _write_json(diff: PolicyDiff, changes: _Spool, errors: _Spool, stream: IO[str]) -> None:
    """The JSON document, with one change (and one error) per line so that a large diff stays
    greppable; ``schemas/diff.schema.json`` describes it."""
    stream.write("{\n")
    for key, value in diff.head().items():
        stream.write(f"  {json.dumps(key)}: {_json_value(value, '  ')},\n")
    for key, spool, last in (("changes", changes, False), ("errors", errors, True)):
        end = "" if last else ","
        if not spool.count:
            stream.write(f'  "{key}": []{end}\n')
            continue
        stream.write(f'  "{key}": [\n    ')
        spool.copy_to(stream, separator=",\n    ")
        stream.write(f"\n  ]{end}\n")
    stream.write("}\n")


def _write_text(diff: PolicyDiff, changes: _Spool, errors: _Spool, stream: IO[str]) -> None:
    stream.write(summary_text(diff))
    if errors.count:
        stream.write("\nLines not compared:\n")
        errors.copy_to(stream)
    if changes.count:
        stream.write("\nChanged transactions:\n")
        changes.copy_to(stream)


def run_diff(
    old: str | Path,
    new: str | Path,
    corpus: str | Path,
    *,
    format: str = "text",
    output: str | Path | None = None,
    stream: IO[str] | None = None,
    as_of: _dt.date | None = None,
    lock: bool = True,
) -> tuple[PolicyDiff, list[LineError]]:
    """Compare a corpus under two policies and write the report (what ``hrdd diff`` does).

    :param old: the old policy (a built-in name or a file).
    :param new: the new policy.
    :param corpus: the JSON Lines corpus.
    :param format: ``text`` or ``json``.
    :param output: a file to write atomically (a temporary file renamed into place), or
        ``None`` (or ``-``) for ``stream``.
    :param stream: where to write without ``output`` (default: standard output).
    :param as_of: the date both policies assess every transaction as of (default: today).
    :param lock: check each policy against the lock beside it, if any.
    :returns: the diff's counts, and the first 20 lines that could not be compared.
    :raises InputError: the corpus cannot be opened or either policy is invalid (all such
        problems together; nothing is written), or the output cannot be written.
    """
    if format not in FORMATS:
        raise InputError.single(str(corpus), "--format", f"unknown format {format!r}; expected text or json")
    problems: list[Problem] = []
    handle: IO[bytes] | None = None
    try:
        handle = open_corpus(corpus)
    except InputError as exc:
        problems += exc.problems
    try:
        diff = PolicyDiff.from_policies(old, new, as_of=as_of, lock=lock)
    except InputError as exc:
        problems += exc.problems
    if problems or handle is None:
        if handle is not None:
            handle.close()
        raise InputError(problems)

    render: Callable[[TransactionChange], str]
    render_error: Callable[[LineError], str]
    if format == "json":
        render = _compact_json(TransactionChange.to_dict)
        render_error = _compact_json(LineError.to_dict)
        write = _write_json
    else:
        render, render_error, write = change_text, error_text, _write_text
    first_errors: list[LineError] = []
    with _spooled() as change_file, _spooled() as error_file:
        changes, errors = _Spool(change_file), _Spool(error_file)
        for entry in diff._compare_lines(handle, str(corpus)):
            if isinstance(entry, LineError):
                errors.add(render_error(entry))
                if len(first_errors) < 20:
                    first_errors.append(entry)
            else:
                changes.add(render(entry))
        if output is None or str(output) == "-":
            write(diff, changes, errors, stream if stream is not None else sys.stdout)
        else:
            _write_atomically(Path(output), lambda out: write(diff, changes, errors, out))
    return diff, first_errors


def _compact_json(to_dict: Callable[[Any], dict[str, Any]]) -> Callable[[Any], str]:
    def render(entry: Any) -> str:
        return json.dumps(to_dict(entry), ensure_ascii=False) + "\n"

    return render


def _write_atomically(path: Path, write: Callable[[IO[str]], None]) -> None:
    """Write through a temporary file beside ``path``, renamed into place once complete: a
    reader never sees half a report, and a failed run leaves the old file as it was."""
    from hrdd.files import write_atomically

    try:
        write_atomically(path, write)
    except OSError as exc:
        raise InputError.single(str(path), "-o", f"cannot write the report: {exc.strerror}") from None
