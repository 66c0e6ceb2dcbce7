"""The ``markdown`` and ``html`` renderers, a built-in plugin registered like ``json`` and ``text``.

Both are views of one report, in the order a compliance officer reads it: the decision and
its one-line reason; the required safeguards as a checklist; the findings grouped by
guidance clause, each with its evidence and remediation; the waived findings with their
waivers; the facts weighed; every check that ran; the provenance.

**Grouping.** A finding appears once, under the *first* clause its rule cites (the rule's
primary clause); the other clauses it cites are listed with it ("also cites"). Listing it
under every clause would repeat most findings two or three times. Groups follow the order of
the guidance catalogue (``policies/guidance/draft-2019.toml``, whose titles head them);
clause ids the catalogue does not define follow, then findings that cite no clause.

**Escaping.** Every value that comes from the transaction, the policy or a plugin is
escaped: HTML through Jinja2's autoescape (templates in ``hrdd/templates/``, shipped in the
package), Markdown by a backslash before each character Markdown or inline HTML would read
(so a name like ``<script>`` or ``a | b`` stays text, also inside tables).

Jinja2 is imported inside :func:`render_html`, so ``hrdd --help`` does not pay for it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hrdd import hookimpl
from hrdd.model import OUTCOME_RANK, Assessment, Finding
from hrdd.renderers import DECISION_HEADLINES

TEMPLATES = Path(__file__).resolve().parent / "templates"
NO_CLAUSE = "no clause"
EVIDENCE_LIMIT = 400  # characters of one evidence value; the JSON report has it whole

DECISION_SYMBOLS = {  # text beside the colour, so the decision never rests on colour alone
    "proceed": "\u2713",  # check mark
    "proceed_with_safeguards": "!",
    "escalate": "\u25b2",  # triangle
    "do_not_proceed": "\u2715",  # cross
}


# --------------------------------------------------------------------------------------
# The view both formats render
# --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def clause_titles() -> dict[str, str]:
    """Clause id -> title, in catalogue order (``policies/guidance/draft-2019.toml``)."""
    from hrdd.coverage import load_catalogue

    clauses, _ = load_catalogue()
    return dict(clauses)


def value_text(value: Any, limit: int = EVIDENCE_LIMIT) -> str:
    """An evidence value as JSON text, cut at ``limit`` characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def finding_view(finding: Finding, *, primary: str | None = None) -> dict[str, Any]:
    """One finding as the templates need it (plain strings, already JSON-encoded values)."""
    decisive = finding.decisive_outcome.value
    changed = finding.effective_outcome is not None and finding.effective_outcome != finding.outcome
    return {
        "rule_id": finding.rule_id,
        "plugin": finding.plugin,
        "outcome": decisive,
        "reported_outcome": finding.outcome.value if changed else None,
        "enforcement": finding.enforcement.value,
        "severity": finding.severity.value,
        "subject": finding.subject,
        "message": finding.message,
        "evidence": [(e.path, value_text(e.value)) for e in finding.evidence],
        "guidance": list(finding.guidance),
        "also_cites": [clause for clause in finding.guidance if clause != primary],
        "remediation": finding.remediation,
        "waiver": _waiver_view(finding.waiver),
    }


def _waiver_view(waiver: Mapping[str, Any] | None) -> dict[str, str] | None:
    if waiver is None:
        return None
    keys = ("id", "file", "approver", "granted", "expires", "justification")
    view = {key: str(waiver.get(key)) for key in keys if waiver.get(key) is not None}
    scope = waiver.get("scope")
    if isinstance(scope, Mapping) and scope:
        view["scope"] = ", ".join(f"{key} = {value}" for key, value in scope.items())
    return view


def group_by_clause(findings: Iterable[Finding], titles: Mapping[str, str]) -> list[dict[str, Any]]:
    """The findings under the first clause each cites, groups in catalogue order."""
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for finding in findings:
        primary = finding.guidance[0] if finding.guidance else None
        groups.setdefault(primary, []).append(finding_view(finding, primary=primary))
    order = {clause: index for index, clause in enumerate(titles)}

    def place(clause: str | None) -> tuple[int, str]:
        if clause is None:
            return (2, "")
        return (0, f"{order[clause]:06d}") if clause in order else (1, clause)

    return [
        {
            "clause": clause,
            "title": titles.get(clause, "not in the guidance catalogue")
            if clause is not None
            else "Findings that cite no guidance clause",
            "findings": views,
            "worst": max((v["outcome"] for v in views), key=lambda o: OUTCOME_RANK.get(o, 0)),
        }
        for clause, views in sorted(groups.items(), key=lambda item: place(item[0]))
    ]


def report_view(assessment: Assessment) -> dict[str, Any]:
    """Everything the markdown and HTML reports show, in reading order."""
    provenance = assessment.provenance
    policy = provenance.policy
    decision = assessment.decision.value
    check_counts: dict[str, int] = {}
    for check in assessment.checks:
        check_counts[check.outcome] = check_counts.get(check.outcome, 0) + 1
    lock = provenance.lock
    if lock is None:
        lock_text = None
    elif lock.get("status") == "verified":
        lock_text = f"{lock.get('path')} sha256 {lock.get('sha256')}: verified"
    else:
        lock_text = "not checked (--no-lock: development only)"
    return {
        "transaction_id": assessment.transaction_id,
        "decision": decision,
        "headline": DECISION_HEADLINES[decision],
        "symbol": DECISION_SYMBOLS[decision],
        "reason": assessment.reason,
        "risk": {"score": assessment.risk.score, "level": assessment.risk.level},
        "policy": {"name": policy.name, "version": policy.version},
        "errors": [
            {"plugin": f.plugin, "rule_id": f.rule_id, "message": f.message} for f in assessment.errors
        ],
        "safeguards": [
            {"safeguard": s.safeguard, "rules": list(s.rules)} for s in assessment.required_safeguards
        ],
        "finding_count": len(assessment.findings),
        "groups": group_by_clause(assessment.findings, clause_titles()),
        "waived": [finding_view(f) for f in assessment.waived],
        "facts": [
            {"name": name, "value": value_text(value), "source": source}
            for name, (value, source) in sorted(assessment.facts.items())
        ],
        "checks": [
            {
                "outcome": c.outcome,
                "plugin": c.plugin,
                "hook": c.hook,
                "subject": c.subject,
                "findings": c.findings,
            }
            for c in assessment.checks
        ],
        "check_summary": ", ".join(f"{n} {outcome}" for outcome, n in sorted(check_counts.items())) or "none",
        "provenance": {
            "core": provenance.core_version,
            "policy": {
                "name": policy.name,
                "version": policy.version,
                "source": policy.source,
                "sha256": policy.sha256,
                "extends": [{"source": source, "sha256": sha} for source, sha in policy.chain[1:]],
            },
            "plugins": [p.to_dict() for p in provenance.plugins],
            "data": [d.to_dict() for d in provenance.data],
            "input_sha256": provenance.input_sha256,
            "assessed_at": provenance.assessed_at,
            "as_of": provenance.as_of or provenance.assessed_at[:10],
            "lock": lock_text,
        },
    }


# --------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------

# The characters Markdown reads as markup inside a line (emphasis, code, links, tables,
# strikethrough, a heading's closing #s), and "<" and "&" so inline HTML and entities stay
# text. CommonMark lets any ASCII punctuation be backslash-escaped.
# An underscore between two letters or digits ("use_limitation") can open no emphasis: left as is.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>#|&~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
# What makes a line a list item, a quote, a heading or a setext underline when it starts one.
_BLOCK_START = re.compile(r"^(\d{1,9})([.)])|^([-+=>])")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def md(value: object) -> str:
    """Text for a Markdown line: on one line, every markup character escaped."""
    text = _LINE_BREAKS.sub(" ", str(value))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def md_paragraph(value: object) -> str:
    """Text that starts a line of its own (a paragraph): :func:`md`, and a leading list
    marker, quote or underline escaped too."""
    text = md(value).lstrip()
    return _BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text, count=1)


def md_code(value: object) -> str:
    """An identifier as a code span (a backtick inside falls back to escaped text)."""
    text = _LINE_BREAKS.sub(" ", str(value))
    if "`" in text or "|" in text:
        return md(text)
    return f"`{text}`"


def _md_finding(finding: Mapping[str, Any], lines: list[str]) -> None:
    outcome = md_code(finding["outcome"])
    if finding["reported_outcome"]:
        outcome = f"{md_code(finding['reported_outcome'])} \u2192 {outcome} ({md(finding['enforcement'])})"
    head = f"#### {outcome} {md(finding['rule_id'])} \u00b7 {md(finding['severity'])}"
    if finding["subject"]:
        head += f" \u00b7 {md_code(finding['subject'])}"
    lines += [head, "", md_paragraph(finding["message"]), ""]
    if finding["evidence"]:
        lines += ["| evidence | value |", "|---|---|"]
        lines += [f"| {md_code(path)} | {md(value)} |" for path, value in finding["evidence"]]
        lines.append("")
    if finding["remediation"]:
        lines += [f"**To mitigate:** {md(finding['remediation'])}", ""]
    if finding["also_cites"]:
        lines += ["Also cites: " + ", ".join(md_code(c) for c in finding["also_cites"]), ""]
    lines += [f"Reported by {md_code(finding['plugin'])}.", ""]
    waiver = finding["waiver"]
    if waiver:
        parts = [f"{md(key)}: {md(value)}" for key, value in waiver.items()]
        lines += ["**Waiver:** " + "; ".join(parts), ""]


def render_markdown(assessment: Assessment) -> str:
    """The report as CommonMark with GitHub tables (pipes and markup in values escaped)."""
    view = report_view(assessment)
    risk, policy = view["risk"], view["policy"]
    lines = [
        f"# {md(view['transaction_id'])}: {view['symbol']} {md(view['headline'])}",
        "",
        f"**Decision: {md(view['headline'])}.** {md(view['reason'])}",
        "",
        f"Policy {md(policy['name'])} {md(policy['version'])} \u00b7 risk {risk['score']}/100 ({md(risk['level'])})"
        + (f" \u00b7 {len(view['waived'])} finding(s) waived" if view["waived"] else ""),
        "",
    ]
    if view["errors"]:
        lines += ["## Checks that could not run", "", "The decision cannot be better than escalate.", ""]
        lines += [
            f"- {md(e['message'])} ({md(e['rule_id'])}, {md_code(e['plugin'])})" for e in view["errors"]
        ]
        lines.append("")
    lines += ["## Required safeguards", ""]
    if view["safeguards"]:
        lines += [
            f"- [ ] {md(s['safeguard'])} ({', '.join(md(rule) for rule in s['rules'])})"
            for s in view["safeguards"]
        ]
    else:
        lines.append("None: no finding asks for a safeguard before this deal goes ahead.")
    lines += [
        "",
        f"## Findings by guidance clause ({view['finding_count']})",
        "",
        "Each finding is listed once, under the first clause its rule cites; the others are under "
        "\u201calso cites\u201d.",
        "",
    ]
    if not view["groups"]:
        lines += ["None.", ""]
    for group in view["groups"]:
        clause = md_code(group["clause"]) if group["clause"] else md(NO_CLAUSE)
        lines += [f"### {clause}: {md(group['title'])} ({len(group['findings'])})", ""]
        for finding in group["findings"]:
            _md_finding(finding, lines)
    lines += [f"## Waived findings ({len(view['waived'])})", ""]
    if view["waived"]:
        lines += ["Set aside from the decision by a waiver, kept on record.", ""]
        for finding in view["waived"]:
            _md_finding(finding, lines)
    else:
        lines += ["None.", ""]
    if view["facts"]:
        lines += ["## Facts weighed", "", "| fact | value | published by |", "|---|---|---|"]
        lines += [
            f"| {md_code(f['name'])} | {md(f['value'])} | {md_code(f['source'])} |" for f in view["facts"]
        ]
        lines.append("")
    lines += [
        f"## Checks that ran ({len(view['checks'])}: {md(view['check_summary'])})",
        "",
        "| outcome | plugin | hook | subject | findings |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {md_code(c['outcome'])} | {md_code(c['plugin'])} | {md_code(c['hook'])} | "
        f"{md_code(c['subject']) if c['subject'] else ''} | {c['findings']} |"
        for c in view["checks"]
    ]
    lines += ["", *_md_provenance(view["provenance"])]
    return "\n".join(lines).rstrip("\n") + "\n"


def _md_provenance(provenance: Mapping[str, Any]) -> list[str]:
    policy = provenance["policy"]
    lines = [
        "## Provenance",
        "",
        "| what | version and source | sha256 |",
        "|---|---|---|",
        f"| core | hrdd {md(provenance['core'])} | |",
        f"| policy | {md(policy['name'])} {md(policy['version'])} ({md(policy['source'])}) | {md_code(policy['sha256'])} |",
    ]
    lines += [f"| extends | {md(e['source'])} | {md_code(e['sha256'])} |" for e in policy["extends"]]
    lines += [
        f"| plugin | {md(p['name'])} {md(p['version'])} ({md(p['source'])}) | {md_code(p['sha256'])} |"
        for p in provenance["plugins"]
    ]
    lines += [
        f"| data | {md(d['name'])} {md(d['version'])} ({md(d['source'])}, {md(d['date'])}, {md(d['licence'])}) "
        f"| {md_code(d['sha256'])} |"
        for d in provenance["data"]
    ]
    lines += [
        f"| input | the transaction document (canonical JSON) | {md_code(provenance['input_sha256'])} |",
        "",
        f"Assessed at {md(provenance['assessed_at'])} (as of {md(provenance['as_of'])}).",
    ]
    if provenance["lock"]:
        lines.append(f"Lock: {md(provenance['lock'])}.")
    return lines


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def template_environment() -> Any:
    """The Jinja2 environment of the shipped templates: autoescape on for every template,
    undefined names an error (a template typo must not render as an empty string)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_template(name: str, **context: Any) -> str:
    """Render one of the shipped templates (``hrdd/templates/NAME``)."""
    rendered: str = template_environment().get_template(name).render(**context)
    return rendered


def render_html(assessment: Assessment) -> str:
    """The report as one self-contained HTML page: inline CSS, no script, nothing fetched
    (its Content-Security-Policy forbids every request), readable on a phone, printable."""
    return render_template("report.html.j2", r=report_view(assessment))


class ReportRenderers:
    """Renders ``markdown`` and ``html`` (readable reports for people)."""

    _renderers = {"markdown": render_markdown, "html": render_html}

    @hookimpl
    def hrdd_render(self, assessment: Assessment, format: str) -> str | None:
        renderer = self._renderers.get(format)
        return renderer(assessment) if renderer is not None else None

    @hookimpl
    def hrdd_render_formats(self) -> Sequence[str]:
        return tuple(self._renderers)
