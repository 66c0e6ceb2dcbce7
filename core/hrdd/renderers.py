"""The built-in renderers (``json`` and ``text``), registered like any other plugin."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Sequence

from hrdd import hookimpl
from hrdd.model import Assessment, Finding

DECISION_HEADLINES = {
    "proceed": "PROCEED",
    "proceed_with_safeguards": "PROCEED WITH SAFEGUARDS",
    "escalate": "ESCALATE for review",
    "do_not_proceed": "DO NOT PROCEED",
}


def render_json(assessment: Assessment) -> str:
    from hrdd.reportjson import report_json

    return report_json(assessment, indent=True).decode()


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, width=96, initial_indent=indent, subsequent_indent=indent) or [indent]


def _value(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def _finding_lines(finding: Finding) -> list[str]:
    outcome = finding.decisive_outcome.value
    if finding.effective_outcome is not None and finding.effective_outcome != finding.outcome:
        outcome = f"{finding.outcome.value} -> {outcome} ({finding.enforcement.value})"
    head = f"  [{outcome}] {finding.rule_id} · {finding.severity.value}"
    if finding.subject:
        head += f" · {finding.subject}"
    lines = [head, *_wrap(finding.message, "      ")]
    for evidence in finding.evidence:
        lines.append(f"      evidence: {evidence.path} = {_value(evidence.value)}")
    if finding.guidance:
        lines.append(f"      guidance: {', '.join(finding.guidance)}")
    if finding.remediation:
        lines.extend(_wrap(f"to mitigate: {finding.remediation}", "      "))
    lines.append(f"      reported by {finding.plugin}")
    return lines


def render_text(assessment: Assessment) -> str:
    """A summary a compliance officer can act on: the decision, why, what to do, what was checked."""
    provenance = assessment.provenance
    policy = provenance.policy
    lines = [
        f"{assessment.transaction_id}: {DECISION_HEADLINES[assessment.decision.value]}",
        f"policy {policy.name} {policy.version} · risk {assessment.risk.score}/100 ({assessment.risk.level})"
        + (f" · {len(assessment.waived)} finding(s) waived" if assessment.waived else ""),
        "",
        *_wrap(f"Why: {assessment.reason}", ""),
    ]
    if assessment.errors:
        lines += ["", "Checks that could not run (the decision cannot be better than escalate):"]
        lines += [f"  - {f.message}" for f in assessment.errors]
    if assessment.required_safeguards:
        lines += ["", "What to do before this deal goes ahead:"]
        for safeguard in assessment.required_safeguards:
            lines += _wrap(f"[ ] {safeguard.safeguard} ({', '.join(safeguard.rules)})", "  ")
    lines += ["", f"Findings ({len(assessment.findings)}):"]
    if not assessment.findings:
        lines.append("  none")
    for finding in assessment.findings:
        lines += _finding_lines(finding)
    if assessment.waived:
        lines += ["", f"Waived ({len(assessment.waived)}; set aside from the decision, kept on record):"]
        for finding in assessment.waived:
            lines += _finding_lines(finding)
            waiver = finding.waiver or {}
            lines += _wrap(
                f"waived by {waiver.get('id')} ({waiver.get('file')}), approved by {waiver.get('approver')}, "
                f"{waiver.get('granted')} to {waiver.get('expires')}: {waiver.get('justification')}",
                "      ",
            )
    if assessment.facts:
        lines += ["", "Facts weighed (published by the plugins):"]
        for name, (value, source) in sorted(assessment.facts.items()):
            lines.append(f"  {name} = {_value(value)} ({source})")
    lines += ["", _checks_summary(assessment)]
    for check in assessment.checks:
        subject = f" {check.subject}" if check.subject else ""
        lines.append(f"  {check.outcome:<20} {check.plugin} {check.hook}{subject}")
    lines += [
        "",
        "Provenance:",
        f"  core hrdd {provenance.core_version}",
        f"  policy {policy.name} {policy.version} ({policy.source}) sha256 {policy.sha256}",
    ]
    for source, sha in policy.chain[1:]:
        lines.append(f"    extends {source} sha256 {sha}")
    for plugin in provenance.plugins:
        lines.append(f"  plugin {plugin.name} {plugin.version} ({plugin.source}) sha256 {plugin.sha256}")
    for data in provenance.data:
        lines.append(
            f"  data {data.name} {data.version} ({data.source}, {data.date}, {data.licence}) sha256 {data.sha256}"
        )
    lines += [
        f"  input sha256 {provenance.input_sha256}",
        f"  assessed at {provenance.assessed_at} (as of {provenance.as_of or provenance.assessed_at[:10]})",
    ]
    if provenance.lock is not None:
        lock = provenance.lock
        lines.append(
            f"  lock {lock.get('path')} sha256 {lock.get('sha256')}: verified"
            if lock.get("status") == "verified"
            else "  lock not checked (--no-lock: development only)"
        )
    return "\n".join(lines) + "\n"


def _checks_summary(assessment: Assessment) -> str:
    counts = Counter(check.outcome for check in assessment.checks)
    parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    return f"Checks that ran ({len(assessment.checks)}): {parts or 'none'}"


class BuiltinRenderers:
    """Renders ``json`` (the report document) and ``text`` (a readable summary)."""

    _renderers = {"json": render_json, "text": render_text}

    @hookimpl
    def hrdd_render(self, assessment: Assessment, format: str) -> str | None:
        renderer = self._renderers.get(format)
        return renderer(assessment) if renderer is not None else None

    @hookimpl
    def hrdd_render_formats(self) -> Sequence[str]:
        return tuple(self._renderers)
