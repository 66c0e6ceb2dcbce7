"""Waivers: a finding set aside for a stated scope, by a named approver, until a date.

A policy names its waiver files (``waivers = ["waivers/2026.toml"]``, relative to the policy
file; a policy's waivers add to those of the policies it extends). Each file is TOML,
validated against ``schemas/waivers.schema.json``::

    [[waivers]]
    id = "W-2026-007"
    rule = "HRDD-STK-004"
    scope = { transaction = "TX-2026-0005", country = "NL" }   # at least one of
                                                              # transaction, end_user, country, item
    justification = "Lessor relationship documented in file 2026/113; no control."
    approver = "A. Jansen, Head of Export Compliance"
    granted = 2026-11-01
    expires = 2027-04-30

:func:`verdict` is the one function that decides whether a waiver applies to a finding; the
engine calls it for every assessment, so ``assess``, ``batch``, ``replay``, ``diff`` and the
Python API all waive alike. A waiver applies only when the finding's rule is the waiver's,
every scope key matches, the finding's plugin or rule is not enforced ``hard``, and the
assessment date lies between ``granted`` and ``expires`` (both included). A waived finding
leaves the decision but stays in the report (``waived[]``, with its waiver). A waiver that
would have applied but is expired, not yet in force, or for a ``hard`` rule does nothing and
is reported as a finding of its own; so is one whose rule fired and whose scope matches the
transaction only in part (a near miss: a wrong item id, a misspelt name).
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from hrdd.errors import PolicyError, Problem
from hrdd.model import Enforcement, Finding, Outcome, Severity, Transaction

RULE_NOT_IN_FORCE = "HRDD-CORE-005"
RULE_HARD = "HRDD-CORE-006"
RULE_NEAR_MISS = "HRDD-CORE-007"
SCOPE_KEYS = ("transaction", "end_user", "country", "item")
PLUGIN = "hrdd (waivers)"


class WaiverError(PolicyError):
    """A waiver file that cannot be used (exit 2): every problem of every file at once."""


@attrs.frozen
class Waiver:
    id: str
    rule: str
    scope: Mapping[str, str]
    justification: str
    approver: str
    granted: _dt.date
    expires: _dt.date
    file: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "scope": dict(self.scope),
            "justification": self.justification,
            "approver": self.approver,
            "granted": self.granted.isoformat(),
            "expires": self.expires.isoformat(),
            "file": self.file,
        }


class Verdict(enum.Enum):
    APPLIES = "applies"
    OTHER_RULE = "other_rule"
    OUT_OF_SCOPE = "out_of_scope"
    HARD = "hard"
    EXPIRED = "expired"
    NOT_YET = "not_yet_in_force"


def _name(text: str) -> str:
    return " ".join(text.casefold().split())


def _item_subject(transaction: Transaction, item_id: str) -> str | None:
    for index, item in enumerate(transaction.items):
        if item.id == item_id:
            return f"items[{index}]"
    return None


def scope_matches(waiver: Waiver, finding: Finding, transaction: Transaction) -> tuple[list[str], list[str]]:
    """The scope keys that match this finding of this transaction, and those that do not."""
    matched: list[str] = []
    missed: list[str] = []
    for key, value in waiver.scope.items():
        if key == "transaction":
            ok = transaction.id == value
        elif key == "end_user":
            ok = _name(transaction.end_user.name) == _name(value)
        elif key == "country":
            ok = (transaction.end_user.country or "").upper() == value.upper()
        else:  # item
            subject = _item_subject(transaction, value)
            ok = (
                subject is not None
                and finding.subject is not None
                and (finding.subject == subject or finding.subject.startswith(subject + "."))
            )
        (matched if ok else missed).append(key)
    return matched, missed


def verdict(waiver: Waiver, finding: Finding, transaction: Transaction, as_of: _dt.date) -> Verdict:
    """Whether ``waiver`` sets ``finding`` aside in this assessment, and if not, why not."""
    if finding.rule_id != waiver.rule:
        return Verdict.OTHER_RULE
    if scope_matches(waiver, finding, transaction)[1]:
        return Verdict.OUT_OF_SCOPE
    if finding.enforcement is Enforcement.HARD:
        return Verdict.HARD
    if as_of > waiver.expires:
        return Verdict.EXPIRED
    if as_of < waiver.granted:
        return Verdict.NOT_YET
    return Verdict.APPLIES


def note(
    waiver: Waiver, outcome: Verdict, finding: Finding, transaction: Transaction, as_of: _dt.date
) -> Finding:
    """The finding that reports a waiver which did nothing although its rule fired here."""
    evidence: dict[str, Any] = {
        "waiver.id": waiver.id,
        "waiver.rule": waiver.rule,
        "waiver.file": waiver.file,
        "waiver.scope": dict(waiver.scope),
        "waiver.granted": waiver.granted.isoformat(),
        "waiver.expires": waiver.expires.isoformat(),
        "as_of": as_of.isoformat(),
        "finding.subject": finding.subject,
    }
    label = f"Waiver {waiver.id} ({waiver.file}) for {waiver.rule}"
    if outcome is Verdict.HARD:
        return Finding(
            rule_id=RULE_HARD,
            outcome=Outcome.INFO,
            severity=Severity.MEDIUM,
            message=f"{label} does not apply: {waiver.rule} is enforced hard (a legal gate), which no waiver "
            "can clear.",
            evidence=evidence,
            remediation="Remove the waiver; only a licence or authorisation from the competent agency, or a "
            "corrected input, can change a hard finding.",
            subject=finding.subject,
            plugin=PLUGIN,
            enforcement=Enforcement.ADVISORY,
            effective_outcome=Outcome.INFO,
        )
    if outcome in (Verdict.EXPIRED, Verdict.NOT_YET):
        when = (
            f"expired on {waiver.expires.isoformat()}"
            if outcome is Verdict.EXPIRED
            else f"is not in force before {waiver.granted.isoformat()}"
        )
        return Finding(
            rule_id=RULE_NOT_IN_FORCE,
            outcome=Outcome.INFO,
            severity=Severity.LOW,
            message=f"{label} matches this finding but {when} (assessment as of {as_of.isoformat()}): "
            f"the finding stands.",
            evidence=evidence,
            remediation="Have the approver renew the waiver (new expiry, justification still true) or let the "
            "finding stand.",
            subject=finding.subject,
            plugin=PLUGIN,
            enforcement=Enforcement.ADVISORY,
            effective_outcome=Outcome.INFO,
        )
    matched, missed = scope_matches(waiver, finding, transaction)
    return Finding(
        rule_id=RULE_NEAR_MISS,
        outcome=Outcome.INFO,
        severity=Severity.LOW,
        message=f"{label} matches this transaction's {', '.join(matched)} but not its {', '.join(missed)}: "
        "it does not apply, and the finding stands.",
        evidence={**evidence, "scope.matched": matched, "scope.not_matched": missed},
        remediation="If the waiver was meant for this transaction, correct its scope; otherwise nothing to do.",
        subject=finding.subject,
        plugin=PLUGIN,
        enforcement=Enforcement.ADVISORY,
        effective_outcome=Outcome.INFO,
    )


class WaiverSet:
    """A policy's waivers, indexed by rule."""

    def __init__(self, waivers: Sequence[Waiver]) -> None:
        self.waivers = tuple(waivers)
        self.by_rule: dict[str, list[Waiver]] = {}
        for waiver in self.waivers:
            self.by_rule.setdefault(waiver.rule, []).append(waiver)

    def __bool__(self) -> bool:
        return bool(self.waivers)

    def apply(
        self, findings: Iterable[Finding], transaction: Transaction, as_of: _dt.date
    ) -> tuple[list[Finding], list[Finding], list[Finding]]:
        """Split findings into (kept, waived with their waiver, notes on waivers that did
        nothing although their rule fired)."""
        kept: list[Finding] = []
        waived: list[Finding] = []
        notes: dict[tuple[str, str | None], Finding] = {}
        for finding in findings:
            candidates = self.by_rule.get(finding.rule_id)
            if not candidates:
                kept.append(finding)
                continue
            applied = None
            for waiver in candidates:
                outcome = verdict(waiver, finding, transaction, as_of)
                if outcome is Verdict.APPLIES:
                    applied = waiver
                    break
                if outcome is Verdict.OUT_OF_SCOPE and not scope_matches(waiver, finding, transaction)[0]:
                    continue  # a waiver for another deal altogether: not worth a word
                notes.setdefault(
                    (waiver.id, finding.subject), note(waiver, outcome, finding, transaction, as_of)
                )
            if applied is None:
                kept.append(finding)
            else:
                waived.append(attrs.evolve(finding, waiver=applied.to_dict()))
        return kept, waived, list(notes.values())


def _problems_of(data: Any, source: str) -> list[Problem]:
    from hrdd import documents

    validator = documents.validator("waivers")
    return [] if validator.is_valid(data) else validator.problems(data, source)


def _date(value: Any) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _row(
    row: Mapping[str, Any],
    where: str,
    source: str,
    file: str,
    known_rules: Mapping[str, str],
    seen: dict[str, str],
    problems: list[Problem],
) -> Waiver | None:
    """The checks the schema cannot make (dates in order, a known rule, a unique id), made on
    whatever of the row is well formed, so every problem is reported at once."""
    before = len(problems)
    granted, expires = _date(row.get("granted")), _date(row.get("expires"))
    if granted and expires and expires < granted:
        problems.append(Problem(source, f"{where}.expires", f"{expires} is before granted {granted}"))
    rule = row.get("rule")
    if isinstance(rule, str) and rule not in known_rules:
        problems.append(
            Problem(source, f"{where}.rule", f"{rule} is not a rule of any plugin this policy enables")
        )
    waiver_id = row.get("id")
    if isinstance(waiver_id, str):
        if waiver_id in seen:
            problems.append(
                Problem(
                    source, f"{where}.id", f"duplicate waiver id {waiver_id!r} (also in {seen[waiver_id]})"
                )
            )
        seen.setdefault(waiver_id, source)
    scope = row.get("scope")
    if len(problems) > before or not (
        granted and expires and isinstance(scope, dict) and isinstance(rule, str)
    ):
        return None
    return Waiver(
        id=str(waiver_id),
        rule=rule,
        scope={key: str(scope[key]) for key in SCOPE_KEYS if key in scope},
        justification=str(row.get("justification")),
        approver=str(row.get("approver")),
        granted=granted,
        expires=expires,
        file=file,
    )


def load(paths: Sequence[Path], known_rules: Mapping[str, str]) -> WaiverSet:
    """Read and check every waiver file of a policy.

    :param known_rules: rule id -> plugin name, for every rule an enabled plugin declares.
    :raises WaiverError: a file that is missing or not TOML, a waiver that breaks the schema,
        a duplicate id, ``expires`` before ``granted``, a rule no enabled plugin declares:
        every problem of every file at once.
    """
    from hrdd import documents

    problems: list[Problem] = []
    waivers: list[Waiver] = []
    seen: dict[str, str] = {}
    for path in paths:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(Problem(source, "$", "no such waiver file (named in the policy's waivers)"))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(source, "$", f"cannot read the waiver file: {exc}"))
            continue
        try:
            data = documents.toml_plain(documents.parse_toml(text, source, WaiverError))
        except WaiverError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(_problems_of(data, source))
        rows = data.get("waivers", [])
        for index, row in enumerate(rows if isinstance(rows, list) else []):
            if isinstance(row, dict):
                found = _row(row, f"$.waivers[{index}]", source, path.name, known_rules, seen, problems)
                if found is not None:
                    waivers.append(found)
    if problems:
        raise WaiverError(problems)
    return WaiverSet(waivers)
