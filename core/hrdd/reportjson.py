"""The report document as JSON bytes, joined from the JSON of the values it is made of.

Report after report repeats most of what the previous one said: plugins hand back the same
immutable findings for the same inputs (and the engine the same enforced copies), the engine
hands out the same check records and required safeguards again, and the provenance is the
same but for the input's hash and the two dates. So each :class:`~hrdd.model.Finding`,
:class:`~hrdd.model.CheckRecord` and :class:`~hrdd.model.RequiredSafeguard` keeps its JSON
once it is written (a private slot of the value, filled on first use, gone with the value),
the provenance's constant part is kept per setup, and a report is joined from those pieces
(``orjson.Fragment``) rather than built as a dict and written out whole.

The result is byte for byte ``orjson.dumps(assessment.to_dict())`` (``hrdd batch``'s lines)
or the same with ``OPT_INDENT_2`` (``hrdd assess --format json``), each followed by a
newline: ``tests/test_report_json.py`` checks it on every example, every scenario and
generated transactions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from hrdd.model import (
    SCHEMA_VERSION,
    Assessment,
    CheckRecord,
    Finding,
    Outcome,
    Provenance,
    RequiredSafeguard,
)

_dumps = orjson.dumps
_Fragment = orjson.Fragment
_COMPACT = orjson.OPT_APPEND_NEWLINE
_INDENTED = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
_INDENT = orjson.OPT_INDENT_2
_ERROR = Outcome.ERROR

# How many provenance templates are kept (one per setup: an engine has one; replays and
# tests build a few more).
TEMPLATES_SIZE = 16


def _exact(data: bytes) -> bytes:
    """``data`` in an object of its own size. orjson writes into a buffer larger than what it
    writes (some kilobytes for a finding of one) and hands the buffer back as the bytes
    object: a value kept for later (a finding's JSON, kept as long as the finding) would keep
    the whole buffer, four times the JSON on an order book's findings."""
    return bytes(memoryview(data))


def _writers(
    cls: type[Any], to_dict: Callable[[Any], dict[str, Any]]
) -> tuple[Callable[[Any], bytes], Callable[[Any], bytes]]:
    """Two functions writing a value of ``cls`` as JSON, compact and as an element of a
    top-level list of an indented report (two levels deep), each keeping what it wrote in
    the value's slot (``_json``, ``_json_indented``) for the next report."""
    set_compact = cls.__dict__["_json"].__set__
    set_indented = cls.__dict__["_json_indented"].__set__

    def compact(value: Any) -> bytes:
        data: bytes = _exact(_dumps(to_dict(value)))
        set_compact(value, data)
        return data

    def indented(value: Any) -> bytes:
        data: bytes = _dumps(to_dict(value), option=_INDENT).replace(b"\n", b"\n    ")  # a new object
        set_indented(value, data)
        return data

    return compact, indented


_finding, _finding_indented = _writers(Finding, lambda finding: finding.to_dict(copy_values=False))
_check, _check_indented = _writers(CheckRecord, CheckRecord.to_dict)
_safeguard, _safeguard_indented = _writers(RequiredSafeguard, RequiredSafeguard.to_dict)


def _array_indented(parts: Sequence[bytes]) -> _Fragment:
    """A list at the report's top level, its elements already indented for their depth."""
    return _Fragment(b"[\n    " + b",\n    ".join(parts) + b"\n  ]" if parts else b"[]")


# --------------------------------------------------------------------------------------
# The provenance: a template per setup, with holes for what changes report by report
# --------------------------------------------------------------------------------------

# Stand-ins for the four values that differ report by report: the template is the provenance
# written with these in their places, cut where they stand.
_HOLES = ("\x00input_sha256\x00", "\x00assessed_at\x00", "\x00as_of\x00", "\x00lock\x00")
_HOLES_WRITTEN = tuple(_dumps(hole) for hole in _HOLES)

# (core version, id of policy, plugins, data, indented) -> (policy, plugins, data, the
# template's five pieces, or None when it could not be cut)
_Template = tuple[Any, Any, Any, tuple[bytes, ...] | None]
_templates: dict[tuple[str, int, int, int, bool], _Template] = {}


def _template(provenance: Provenance, indent: bool) -> _Template:
    document = provenance.to_dict()
    document.update(zip(("input_sha256", "assessed_at", "as_of", "lock"), _HOLES, strict=True))
    written: bytes = _dumps(document, option=_INDENT) if indent else _dumps(document)
    if indent:
        written = written.replace(b"\n", b"\n  ")  # the provenance is one level deep
    pieces: list[bytes] = []
    for hole in _HOLES_WRITTEN:
        if written.count(hole) != 1:  # a stand-in also in a name or a path: no template
            return provenance.policy, provenance.plugins, provenance.data, None
        before, _, written = written.partition(hole)
        pieces.append(before)
    pieces.append(written)
    return provenance.policy, provenance.plugins, provenance.data, tuple(pieces)


def _provenance(provenance: Provenance, indent: bool) -> bytes:
    """The provenance's JSON: its template (kept per core, policy, plugins and data, which an
    engine passes as the same objects to every report) with the four values filled in."""
    return b"".join(_provenance_pieces(provenance, indent))


def _provenance_pieces(provenance: Provenance, indent: bool) -> tuple[bytes, ...]:
    """The provenance's JSON in pieces (see _provenance)."""
    policy, plugins, data = provenance.policy, provenance.plugins, provenance.data
    key = (provenance.core_version, id(policy), id(plugins), id(data), indent)
    entry = _templates.get(key)
    if entry is None or entry[0] is not policy or entry[1] is not plugins or entry[2] is not data:
        if len(_templates) >= TEMPLATES_SIZE:
            _templates.clear()
        entry = _templates[key] = _template(provenance, indent)
    pieces = entry[3]
    lock = provenance.lock
    if pieces is None:
        document = provenance.to_dict()
        return (_dumps(document, option=_INDENT).replace(b"\n", b"\n  ") if indent else _dumps(document),)
    if lock is None:
        lock_written = b"null"
    elif indent:
        lock_written = _dumps(dict(lock), option=_INDENT).replace(b"\n", b"\n    ")
    else:
        lock_written = _dumps(dict(lock))
    return (
        pieces[0],
        _dumps(provenance.input_sha256),
        pieces[1],
        _dumps(provenance.assessed_at),
        pieces[2],
        _dumps(provenance.as_of or provenance.assessed_at[:10]),
        pieces[3],
        lock_written,
        pieces[4],
    )


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


def report_json(assessment: Assessment, *, indent: bool = False) -> bytes:
    """The report document (``schemas/report.schema.json``) as UTF-8 JSON ending in a newline:
    ``orjson.dumps(assessment.to_dict())`` (with ``OPT_INDENT_2`` when ``indent``) plus
    ``"\\n"``, byte for byte."""
    if indent:
        return _indented(assessment)
    return b"".join(report_pieces(assessment))


def report_pieces(assessment: Assessment) -> list[bytes]:
    """The compact report's JSON (:func:`report_json`) in pieces that join to it, for a writer
    that gathers them (``os.writev``) rather than copying the 50-odd KB of a report into one
    string first. Each list's elements are joined already, and no piece is written again."""
    risk = assessment.risk
    head: bytes = _dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "transaction_id": assessment.transaction_id,
            "decision": assessment.decision._value_,
            "reason": assessment.reason,
            "risk": {"score": risk.score, "level": risk.level},
        }
    )
    tail: bytes = _dumps(_tail(assessment), option=_COMPACT)
    return [
        head[:-1],  # without its closing brace
        b',"findings":[',
        b",".join([f._json or _finding(f) for f in assessment.findings]),
        b'],"required_safeguards":[',
        b",".join([s._json or _safeguard(s) for s in assessment.required_safeguards]),
        b'],"checks":[',
        b",".join([c._json or _check(c) for c in assessment.checks]),
        b'],"waived":[',
        b",".join([f._json or _finding(f) for f in assessment.waived]),
        b'],"provenance":',
        *_provenance_pieces(assessment.provenance, False),
        b",",
        tail[1:],  # without its opening brace
    ]


def _tail(assessment: Assessment) -> dict[str, Any]:
    """The report's last members, which differ report by report (written whole)."""
    return {
        "errors": [
            {"plugin": f.plugin, "rule_id": f.rule_id, "message": f.message}
            for f in assessment.findings
            if f.outcome is _ERROR
        ],
        "contributions": dict(assessment.contributions),
        "facts": {
            name: {"value": value, "source": source}
            for name, (value, source) in sorted(assessment.facts.items())
        },
    }


def _indented(assessment: Assessment) -> bytes:
    """The indented report: the document with each list and the provenance as a fragment
    already indented for where it stands."""
    finding, check, safeguard = _finding_indented, _check_indented, _safeguard_indented
    risk = assessment.risk
    document = {
        "schema_version": SCHEMA_VERSION,
        "transaction_id": assessment.transaction_id,
        "decision": assessment.decision._value_,
        "reason": assessment.reason,
        "risk": {"score": risk.score, "level": risk.level},
        "findings": _array_indented([f._json_indented or finding(f) for f in assessment.findings]),
        "required_safeguards": _array_indented(
            [s._json_indented or safeguard(s) for s in assessment.required_safeguards]
        ),
        "checks": _array_indented([c._json_indented or check(c) for c in assessment.checks]),
        "waived": _array_indented([f._json_indented or finding(f) for f in assessment.waived]),
        "provenance": _Fragment(_provenance(assessment.provenance, True)),
        **_tail(assessment),
    }
    written: bytes = _dumps(document, option=_INDENTED)
    return written
