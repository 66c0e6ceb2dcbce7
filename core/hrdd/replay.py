"""Replay: assess a stored report's transaction again and prove the result is the same.

    hrdd replay REPORT.json TX.json [--policy P] [--lock FILE | --no-lock]

The policy defaults to the one the report names (``provenance.policy.source``: a built-in
name or the policy file's path); the assessment is made *as of* the report's date
(``provenance.as_of``), so date-dependent findings (data age) come out the same; a lock beside
the policy is checked as for ``hrdd assess``. Compared, in this order: the input (sha256),
the decision, the findings and the waived findings (rule id, subject, outcome, effective
outcome, severity, waiver id), and the provenance (core version, policy chain with sha256,
each plugin's version and sha256, each data set's version and sha256). Only the timestamp may
differ. Any difference is printed and the exit code is 1.

REPORT.json may also be one record of a decision log (a JSON object with ``report`` and
``transaction``), in which case TX.json may be left out.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hrdd.errors import InputError, Problem


def _finding_keys(findings: Any) -> Counter[tuple[Any, ...]]:
    return Counter(
        (
            f.get("rule_id"),
            f.get("subject"),
            f.get("outcome"),
            f.get("effective_outcome"),
            f.get("severity"),
            (f.get("waiver") or {}).get("id"),
        )
        for f in findings or ()
        if isinstance(f, Mapping)
    )


def _describe(key: tuple[Any, ...]) -> str:
    rule, subject, outcome, effective, severity, waiver = key
    text = f"{rule} [{effective if effective == outcome else f'{outcome} -> {effective}'}, {severity}]"
    if subject:
        text += f" on {subject}"
    if waiver:
        text += f" waived by {waiver}"
    return text


def _refs(rows: Any, *fields: str) -> dict[str, tuple[Any, ...]]:
    return {
        str(row.get("name")): tuple(row.get(field) for field in fields)
        for row in rows or ()
        if isinstance(row, Mapping)
    }


def compare(stored: Mapping[str, Any], replayed: Mapping[str, Any]) -> list[str]:
    """Every difference between a stored report and its replay, in words (empty: the same)."""
    found: list[str] = []
    was, now = stored.get("provenance") or {}, replayed.get("provenance") or {}
    if was.get("input_sha256") != now.get("input_sha256"):
        found.append(
            f"input: sha256 {str(now.get('input_sha256'))[:12]} replayed, {str(was.get('input_sha256'))[:12]} "
            "stored (not the same transaction document, or a masked copy)"
        )
    if stored.get("decision") != replayed.get("decision"):
        found.append(f"decision: {replayed.get('decision')} now, {stored.get('decision')} stored")
    for label, key in (("finding", "findings"), ("waived finding", "waived")):
        before, after = _finding_keys(stored.get(key)), _finding_keys(replayed.get(key))
        for item in sorted((before - after).elements(), key=str):
            found.append(f"{label} no longer reported: {_describe(item)}")
        for item in sorted((after - before).elements(), key=str):
            found.append(f"{label} new in the replay: {_describe(item)}")
    core_was = (was.get("core") or {}).get("version")
    core_now = (now.get("core") or {}).get("version")
    if core_was != core_now:
        found.append(f"core: hrdd {core_now} now, {core_was} stored")
    policy_was, policy_now = was.get("policy") or {}, now.get("policy") or {}
    chain_was = [(c.get("source"), c.get("sha256")) for c in policy_was.get("chain") or ()]
    chain_now = [(c.get("source"), c.get("sha256")) for c in policy_now.get("chain") or ()]
    if (policy_was.get("sha256"), [s for _, s in chain_was]) != (
        policy_now.get("sha256"),
        [s for _, s in chain_now],
    ):
        found.append(
            f"policy: {policy_now.get('name')} {policy_now.get('version')} sha256 "
            f"{str(policy_now.get('sha256'))[:12]} now, {policy_was.get('name')} {policy_was.get('version')} "
            f"sha256 {str(policy_was.get('sha256'))[:12]} stored"
            + (
                ""
                if [s for _, s in chain_was][1:] == [s for _, s in chain_now][1:]
                else " (a policy it extends changed too)"
            )
        )
    for kind, key in (("plugin", "plugins"), ("data", "data")):
        refs_was, refs_now = (
            _refs(was.get(key), "version", "sha256"),
            _refs(now.get(key), "version", "sha256"),
        )
        for name in sorted(refs_was.keys() | refs_now.keys()):
            if name not in refs_now:
                found.append(f"{kind} {name} {refs_was[name][0]} stored, not used now")
            elif name not in refs_was:
                found.append(f"{kind} {name} {refs_now[name][0]} used now, not in the stored report")
            elif refs_was[name][0] != refs_now[name][0]:
                found.append(f"{kind} {name}: version {refs_now[name][0]} now, {refs_was[name][0]} stored")
            elif refs_was[name][1] != refs_now[name][1]:
                found.append(
                    f"{kind} {name} {refs_now[name][0]}: sha256 {str(refs_now[name][1])[:12]} now, "
                    f"{str(refs_was[name][1])[:12]} stored"
                )
    return found


def load_stored(report_path: Path, transaction_path: Path | None) -> tuple[dict[str, Any], Any, str]:
    """The stored report, the transaction document and where it came from.

    :raises InputError: unreadable files, a report that is not a report (every problem with
        its path), a log record without a transaction and no TX.json.
    """
    from hrdd import documents

    data = documents.parse_json(documents.read_text(report_path), str(report_path))
    transaction: Any = None
    source = str(transaction_path) if transaction_path else str(report_path)
    if isinstance(data, Mapping) and "report" in data and "transaction" in data:
        report, transaction = data["report"], data["transaction"]
        source = f"{report_path}#transaction"
    else:
        report = data
    if not isinstance(report, Mapping):
        raise InputError.single(str(report_path), "$", "not an assessment report (a JSON object)")
    documents.validator("report").validate(report, str(report_path))  # every problem, with its path
    if transaction_path is not None:
        transaction = documents.read_document(transaction_path)
        source = str(transaction_path)
    if transaction is None:
        raise InputError.single(
            str(report_path), "TX.json", "give the transaction document the report assessed"
        )
    return dict(report), transaction, source


def as_of(report: Mapping[str, Any]) -> _dt.date:
    provenance = report["provenance"]
    return _dt.date.fromisoformat(str(provenance.get("as_of") or provenance["assessed_at"][:10]))


def replay(
    report_path: Path, transaction_path: Path | None, policy: str | None, lock: str | bool
) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    """Re-assess and compare: the differences, the stored report and the replayed one."""
    from hrdd.engine import Engine
    from hrdd.errors import TransactionError

    stored, transaction, source = load_stored(report_path, transaction_path)
    named = str(stored["provenance"]["policy"]["source"])
    chosen = policy or named.removeprefix("builtin:")
    if policy is None and not named.startswith("builtin:") and not Path(named).is_file():
        raise InputError.single(
            str(report_path),
            "$.provenance.policy.source",
            f"the report's policy file {named!r} is not found from here: give --policy",
        )
    engine = Engine.from_policy(chosen, lock=lock)
    if not isinstance(transaction, Mapping):
        raise TransactionError([Problem(source, "$", "not a transaction document (a JSON object)")])
    assessment = engine.assess(transaction, source=source, as_of=as_of(stored))
    replayed = assessment.to_dict()
    return compare(stored, replayed), stored, replayed
