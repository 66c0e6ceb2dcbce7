"""The public transparency report (``draft-2019:consideration-8``): what an exporter may publish
about a period's assessments, with every small count suppressed.

Input: JSON Lines, each line one of

- a report (``hrdd assess --format json`` on one line, or a line of ``hrdd batch`` output);
- a decision-log record (``{"report": ..., "transaction": ...}``, ``hrdd assess --log``);
- a batch error record (``{"line": N, "error": ...}``): a transaction that could not be
  assessed; skipped and counted.

Each assessment is read from its report's redacted entry, ``contributions.hrdd-public-reporting``
(decision, M49 destination region, item categories, end-user sector, safeguards applied).
A dimension the entry lacks is taken from the decision-log record's transaction when there
is one (item categories, end-user sector, contract clauses and post-export measures; never
the region: the country-to-region table belongs to the plugin), else counted as "not stated".
Every value must come from a closed vocabulary (the transaction schema's enumerations, the
decisions, the UN M49 region and sub-region names): a line with any other value is refused,
so no name, id or free text can reach the report, not even as the label of a suppressed cell.

Counting. A transaction assessed more than once is counted once, by its latest assessment
(``provenance.assessed_at``); the period (``--period-from``/``--period-to``, inclusive) is
matched against the date of assessment. Transaction ids are read for this and never written.

Suppression (k, default 5, at least 3). Every count below k, zero included, is shown as
"< k", so a reader cannot tell a small count from none; every value of each vocabulary is
listed whatever its count, so a row's presence says nothing either. Some counts are tied
together by published totals (each row and column of the decision-by-region table with its
total, the sector table with the number of assessments): a reader who knows the method
knows each "< k" lies in 0..k-1 and each "suppressed" in k and more, and a line can leave a
small non-zero count only one possible value (exactly one entry hidden; or two "< 3" adding
up to a published 4, each then exactly 2). While any line does, its smallest
published member, else its total, is suppressed too ("suppressed": complementary
suppression). Item categories and safeguards count each assessment once per value it has,
so their cells add up to no published total. Each line is audited on its own: this is the
basic rule of statistical disclosure control, not a guarantee against every inference
(several lines combined; reports of overlapping periods, which can be differenced).

Malformed input fails the whole report (:class:`~hrdd.errors.InputError`, exit 2, one line
per problem with its line number): a report built from what could be read would under-count,
and nothing says so once it is published.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from hrdd.errors import InputError, Problem
from hrdd.model import CONTRACT_CLAUSES, ITEM_CATEGORIES, POST_EXPORT_MEASURES, SECTORS

CONTRIBUTION = "hrdd-public-reporting"
DECISIONS = ("proceed", "proceed_with_safeguards", "escalate", "do_not_proceed")
NOT_STATED = "not stated"
MASKED = "[masked]"  # hrdd.decisionlog.MASKED: a masked transaction id is never merged
DEFAULT_K = 5
MIN_K = 3
MAX_PROBLEMS = 50  # malformed lines listed; the rest are counted
FORMATS = ("markdown", "html", "json")

# UN M49 regions and sub-regions (the names hrdd-public-reporting's region table uses), and
# Antarctica, which the plugin gives a region of its own. A company whose own region table
# uses other names allows them with --allow-region.
M49_REGIONS = frozenset({"Africa", "Americas", "Antarctica", "Asia", "Europe", "Oceania"})
M49_SUB_REGIONS = frozenset(
    {
        "Northern Africa", "Sub-Saharan Africa", "Latin America and the Caribbean",
        "Northern America", "Central Asia", "Eastern Asia", "South-eastern Asia",
        "Southern Asia", "Western Asia", "Eastern Europe", "Northern Europe",
        "Southern Europe", "Western Europe", "Australia and New Zealand", "Melanesia",
        "Micronesia", "Polynesia",
    }
)  # fmt: skip


# --------------------------------------------------------------------------------------
# Reading the input
# --------------------------------------------------------------------------------------


@attrs.frozen
class Entry:
    """One assessment as the public report counts it: closed-vocabulary values only, plus
    the transaction id and time used to keep each transaction's latest assessment (read,
    never written)."""

    line: int
    transaction_key: str | None  # None: never merged with another (no id, or a masked one)
    assessed_at: str
    decision: str
    region: str
    categories: tuple[str, ...]
    sector: str
    clauses: tuple[str, ...]
    post_export: tuple[str, ...]
    contributed: bool  # the report had the public-reporting entry


@attrs.frozen
class Entries:
    """What a file of reports and records held."""

    source: str
    entries: tuple[Entry, ...]
    error_records: int  # batch error records (transactions that could not be assessed)
    lines: int  # non-blank lines read
    allowed_regions: frozenset[str] = frozenset()  # region names besides M49's (listed too)


class _Line:
    """Reads the dimensions of one input line, collecting what is wrong with it."""

    def __init__(self, source: str, number: int, allowed_regions: frozenset[str]) -> None:
        self.source, self.number, self.allowed_regions = source, number, allowed_regions
        self.problems: list[Problem] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.source, f"line {self.number}: {path}", message))

    def one(self, value: Any, vocabulary: Iterable[str], path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value not in vocabulary:
            self.problem(path, f"{_shown(value)} is not one of the values a public report may name")
            return None
        return value

    def many(self, values: Any, vocabulary: Sequence[str], path: str) -> tuple[str, ...] | None:
        if values is None:
            return None
        if not isinstance(values, list):
            self.problem(path, f"expected a list, found {type(values).__name__}")
            return None
        found = [self.one(value, vocabulary, f"{path}[{index}]") for index, value in enumerate(values)]
        return tuple(sorted({value for value in found if value is not None}, key=vocabulary.index))

    def region(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value not in (M49_REGIONS | M49_SUB_REGIONS | self.allowed_regions):
            self.problem(
                path,
                f"{_shown(value)} is not a UN M49 region or sub-region name "
                "(--allow-region NAME allows a region name of your own table)",
            )
            return None
        return value


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _entry(document: Mapping[str, Any], reader: _Line) -> Entry | None:
    """The entry of a report or decision-log record (None when the line is malformed)."""
    if "report" in document and "transaction" in document:
        report, transaction = _mapping(document["report"]), _mapping(document["transaction"])
        where = "$.report"
    else:
        report, transaction, where = document, {}, "$"
    decision = reader.one(report.get("decision"), DECISIONS, f"{where}.decision")
    if "decision" not in report:
        reader.problem(f"{where}.decision", "missing: not an hrdd report")
    assessed_at = _mapping(report.get("provenance")).get("assessed_at")
    if not isinstance(assessed_at, str) or len(assessed_at) < 10:
        reader.problem(f"{where}.provenance.assessed_at", "missing: the report says not when it was assessed")
        assessed_at = ""
    key = report.get("transaction_id")
    entry = _mapping(_mapping(report.get("contributions")).get(CONTRIBUTION))
    end_user = _mapping(transaction.get("end_user"))
    contract = _mapping(transaction.get("contract"))
    safeguards = _mapping(entry.get("safeguards_applied"))
    here = f"{where}.contributions['{CONTRIBUTION}']"

    region = reader.region(entry.get("destination_region"), f"{here}.destination_region")
    categories = reader.many(entry.get("item_categories"), ITEM_CATEGORIES, f"{here}.item_categories")
    if categories is None and isinstance(transaction.get("items"), list):
        found = [_mapping(item).get("categories") or [] for item in transaction["items"]]
        categories = reader.many(
            [c for cs in found for c in cs], ITEM_CATEGORIES, "$.transaction.items[*].categories"
        )
    sector = reader.one(entry.get("end_user_sector"), SECTORS, f"{here}.end_user_sector")
    if sector is None:
        sector = reader.one(end_user.get("sector"), SECTORS, "$.transaction.end_user.sector")
    clauses = reader.many(
        safeguards.get("contract_clauses"), CONTRACT_CLAUSES, f"{here}.safeguards_applied.contract_clauses"
    )
    if clauses is None:
        clauses = reader.many(contract.get("clauses"), CONTRACT_CLAUSES, "$.transaction.contract.clauses")
    post_export = reader.many(
        safeguards.get("post_export"), POST_EXPORT_MEASURES, f"{here}.safeguards_applied.post_export"
    )
    if post_export is None:
        post_export = reader.many(
            contract.get("post_export"), POST_EXPORT_MEASURES, "$.transaction.contract.post_export"
        )
    if reader.problems or decision is None:
        return None
    return Entry(
        line=reader.number,
        transaction_key=key if isinstance(key, str) and key and key != MASKED else None,
        assessed_at=assessed_at,
        decision=decision,
        region=region or NOT_STATED,
        categories=categories or (),
        sector=sector or NOT_STATED,
        clauses=clauses or (),
        post_export=post_export or (),
        contributed=bool(entry),
    )


def _is_error_record(document: Mapping[str, Any]) -> bool:
    """A batch error record: ``{"line": N, "error": ...}`` (and nothing of a report)."""
    return "error" in document and "decision" not in document and "report" not in document


def read_entries(path: str | Path, *, allowed_regions: Iterable[str] = ()) -> Entries:
    """Read every line of a JSON Lines file of reports, decision-log records and batch
    error records.

    :raises InputError: the file cannot be read, or some lines are malformed (every problem
        with its line number, up to :data:`MAX_PROBLEMS`, then how many more).
    """
    import orjson

    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError.single(source, "$", f"cannot read the file: {exc.strerror}") from None
    allowed = frozenset(allowed_regions)
    entries: list[Entry] = []
    problems: list[Problem] = []
    error_records = lines = 0
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        lines += 1
        reader = _Line(source, number, allowed)
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            reader.problem("$", f"not JSON ({exc})")
            problems += reader.problems
            continue
        if not isinstance(document, dict):
            reader.problem("$", f"expected a JSON object, found {type(document).__name__}")
        elif _is_error_record(document):
            error_records += 1
            continue
        else:
            entry = _entry(document, reader)
            if entry is not None:
                entries.append(entry)
        problems += reader.problems
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(Problem(source, "$", f"{len(problems) - MAX_PROBLEMS} more problems not listed"))
        shown.append(
            Problem(
                source,
                "$",
                "no public report written: a report built from the readable lines only would under-count",
            )
        )
        raise InputError(shown)
    return Entries(source, tuple(entries), error_records, lines, allowed)


# --------------------------------------------------------------------------------------
# Counting and suppression
# --------------------------------------------------------------------------------------


@attrs.frozen
class Cell:
    """One published number: its count (never written when suppressed) and how it is shown."""

    count: int = attrs.field(repr=False)
    suppressed: str | None = None  # None, "small" (0..k-1) or "complementary" (k or more)

    def shown(self, k: int) -> str:
        if self.suppressed == "small":
            return f"< {k}"
        if self.suppressed == "complementary":
            return "suppressed"
        return str(self.count)

    def to_json(self, k: int) -> int | str:
        return self.count if self.suppressed is None else self.shown(k)


@attrs.frozen
class Table:
    """A one-way table: labelled cells and, when its cells add up to one, the total."""

    key: str
    title: str
    note: str
    rows: tuple[tuple[str, Cell], ...]
    total: Cell | None = None


@attrs.frozen
class CrossTable:
    """Decisions (columns) by destination region (rows), with both margins."""

    regions: tuple[str, ...]
    decisions: tuple[str, ...]
    cells: tuple[tuple[Cell, ...], ...]  # [region][decision]
    region_totals: tuple[Cell, ...]
    decision_totals: tuple[Cell, ...]
    total: Cell


@attrs.frozen
class PublicReport:
    """The aggregate a company may publish: counts only, small ones suppressed."""

    k: int
    period_from: _dt.date | None
    period_to: _dt.date | None
    assessments: Cell
    by_region: CrossTable
    tables: tuple[Table, ...]
    not_assessed: Cell  # batch error records: transactions that could not be assessed
    # For the person running the command (stderr), not for the published document:
    read: int = 0
    outside_period: int = 0
    superseded: int = 0
    without_entry: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON: suppressed cells as their display strings, never their counts."""
        k = self.k
        table = self.by_region
        return {
            "k": k,
            "period": {
                "from": self.period_from.isoformat() if self.period_from else None,
                "to": self.period_to.isoformat() if self.period_to else None,
            },
            "assessments": self.assessments.to_json(k),
            "decisions_by_region": {
                "decisions": list(table.decisions),
                "rows": [
                    {
                        "region": region,
                        "counts": {
                            d: cell.to_json(k) for d, cell in zip(table.decisions, cells, strict=True)
                        },
                        "total": total.to_json(k),
                    }
                    for region, cells, total in zip(
                        table.regions, table.cells, table.region_totals, strict=True
                    )
                ],
                "totals": {
                    d: cell.to_json(k) for d, cell in zip(table.decisions, table.decision_totals, strict=True)
                },
                "total": table.total.to_json(k),
            },
            "tables": {
                t.key: {
                    "counts": {label: cell.to_json(k) for label, cell in t.rows},
                    "total": t.total.to_json(k) if t.total is not None else None,
                }
                for t in self.tables
            },
            "not_assessed": self.not_assessed.to_json(k),
        }


class _Suppressor:
    """Small-count and complementary suppression over cells that published totals tie
    together (see the module doc).

    Each line is an equation, its members adding up to its total. A reader who knows the
    method knows a "< k" cell lies in 0..k-1 and a "suppressed" one is k or more; a line
    *pins* a small non-zero cell when those bounds and the line's published entries leave
    it one possible value. While some line pins a cell, its smallest published member (else its
    total) is suppressed too.
    """

    def __init__(self, k: int) -> None:
        self.k = k
        self.counts: list[int] = []
        self.state: list[str | None] = []
        self.lines: list[tuple[list[int], int]] = []  # (member cells, their total)

    def cell(self, count: int) -> int:
        self.counts.append(count)
        self.state.append("small" if count < self.k else None)
        return len(self.counts) - 1

    def line(self, members: list[int], total: int) -> None:
        self.lines.append((members, total))

    def _bounds(self, index: int) -> tuple[float, float]:
        """What a reader knows of a cell: its count, 0..k-1, or k and more."""
        state = self.state[index]
        if state is None:
            return self.counts[index], self.counts[index]
        return (0, self.k - 1) if state == "small" else (self.k, math.inf)

    def pins(self, members: list[int], total: int) -> bool:
        """Whether the line leaves some small non-zero cell of it only one possible value."""
        terms = [(index, 1) for index in members] + [(total, -1)]  # sum(members) - total = 0
        for index, sign in terms:
            if self.state[index] != "small" or self.counts[index] == 0:
                continue  # a zero may be worked out: "no such export" names no customer
            low = high = 0.0  # range of -sum(sign * cell) over the other terms
            for other, other_sign in terms:
                if other == index:
                    continue
                lo, hi = self._bounds(other)
                low += -other_sign * (hi if other_sign > 0 else lo)
                high += -other_sign * (lo if other_sign > 0 else hi)
            if sign < 0:
                low, high = -high, -low
            low, high = max(low, 0), min(high, self.k - 1)
            if low >= high:
                return True
        return False

    def run(self) -> None:
        changed = True
        while changed:
            changed = False
            for members, total in self.lines:
                if not self.pins(members, total):
                    continue
                published = sorted(
                    (i for i in members if self.state[i] is None), key=lambda i: self.counts[i]
                )
                if not published and self.state[total] is None:
                    published = [total]
                if published:  # every entry hidden: no line of hidden entries pins one (see tests)
                    self.state[published[0]] = "complementary"
                    changed = True

    def get(self, index: int) -> Cell:
        return Cell(self.counts[index], self.state[index])


def _latest(entries: Iterable[Entry]) -> tuple[list[Entry], int]:
    """Each transaction's latest assessment (ties: the later line), and how many were dropped."""
    latest: dict[str, Entry] = {}
    kept: list[Entry] = []
    dropped = 0
    for entry in entries:
        if entry.transaction_key is None:
            kept.append(entry)
            continue
        seen = latest.get(entry.transaction_key)
        if seen is not None:
            dropped += 1
            if (seen.assessed_at, seen.line) > (entry.assessed_at, entry.line):
                continue
        latest[entry.transaction_key] = entry
    return [*kept, *latest.values()], dropped


def _order(labels: Iterable[str], vocabulary: Sequence[str]) -> list[str]:
    """Labels in vocabulary order, others alphabetically after, "not stated" last."""
    rank = {value: index for index, value in enumerate(vocabulary)}
    return sorted(set(labels), key=lambda v: (v == NOT_STATED, rank.get(v, len(rank)), v))


def check_k(k: int) -> None:
    """:raises InputError: k is below 3 (the rule of three: with a count of 2, each of the two
    parties can work out the other)."""
    if k < MIN_K:
        raise InputError.single(
            "hrdd report public",
            "--k",
            f"{k}: k must be at least {MIN_K} (with a count of 2, each party can work out the other)",
        )


def aggregate(
    read: Entries,
    *,
    k: int = DEFAULT_K,
    period_from: _dt.date | None = None,
    period_to: _dt.date | None = None,
) -> PublicReport:
    """Count the entries of a period and suppress every small count (see the module doc)."""
    check_k(k)
    start = period_from.isoformat() if period_from else ""
    end = period_to.isoformat() if period_to else "9999-12-31"
    in_period = [e for e in read.entries if start <= e.assessed_at[:10] <= end]
    entries, superseded = _latest(in_period)
    suppressor = _Suppressor(k)

    # Decisions by region, with margins. Every label is listed whatever its count, so a
    # row's presence says nothing: the M49 regions (or sub-regions, when the entries use
    # them), the allowed names of the company's own table, "not stated".
    observed = {e.region for e in entries}
    level = M49_SUB_REGIONS if observed & M49_SUB_REGIONS else M49_REGIONS
    regions = _order({*level, *observed, *read.allowed_regions, NOT_STATED}, sorted(level))
    counts = {(r, d): 0 for r in regions for d in DECISIONS}
    for entry in entries:
        counts[entry.region, entry.decision] += 1
    grand = suppressor.cell(len(entries))
    cells = {key: suppressor.cell(n) for key, n in counts.items()}
    region_totals = {r: suppressor.cell(sum(counts[r, d] for d in DECISIONS)) for r in regions}
    decision_totals = {d: suppressor.cell(sum(counts[r, d] for r in regions)) for d in DECISIONS}
    for r in regions:
        suppressor.line([cells[r, d] for d in DECISIONS], region_totals[r])
    for d in DECISIONS:
        suppressor.line([cells[r, d] for r in regions], decision_totals[d])
    suppressor.line(list(region_totals.values()), grand)
    suppressor.line(list(decision_totals.values()), grand)

    # End-user sector: one per assessment, adding up to the number of assessments.
    sectors = _order({*SECTORS, NOT_STATED}, SECTORS)
    sector_cells = {s: suppressor.cell(sum(1 for e in entries if e.sector == s)) for s in sectors}
    suppressor.line(list(sector_cells.values()), grand)

    # Multi-valued: an assessment counts once under each value it has.
    def multi(values: Sequence[str], pick: Any) -> dict[str, int]:
        found = dict.fromkeys([*values, NOT_STATED], 0)
        for entry in entries:
            for value in pick(entry) or (NOT_STATED,):
                found[value] += 1
        return {label: suppressor.cell(found[label]) for label in _order(found, values)}

    categories = multi(ITEM_CATEGORIES, lambda e: e.categories)
    clauses = multi(CONTRACT_CLAUSES, lambda e: e.clauses)
    post_export = multi(POST_EXPORT_MEASURES, lambda e: e.post_export)
    not_assessed = suppressor.cell(read.error_records)
    suppressor.run()
    get = suppressor.get

    def rows(found: Mapping[str, int]) -> tuple[tuple[str, Cell], ...]:
        return tuple((label, get(index)) for label, index in found.items())

    multi_note = "An assessment counts once under each value it has, so the counts add up to no total."
    tables = (
        Table(
            "end_user_sector", "End-user sector", "One sector per assessment.", rows(sector_cells), get(grand)
        ),
        Table("item_categories", "Item categories", multi_note, rows(categories)),
        Table(
            "contract_clauses",
            "Safeguards applied: contract clauses",
            "Assessments whose contract has each clause. " + multi_note,
            rows(clauses),
        ),
        Table(
            "post_export",
            "Safeguards applied: post-export measures",
            "Assessments with each measure after export. " + multi_note,
            rows(post_export),
        ),
    )
    return PublicReport(
        k=k,
        period_from=period_from,
        period_to=period_to,
        assessments=get(grand),
        by_region=CrossTable(
            regions=tuple(regions),
            decisions=DECISIONS,
            cells=tuple(tuple(get(cells[r, d]) for d in DECISIONS) for r in regions),
            region_totals=tuple(get(region_totals[r]) for r in regions),
            decision_totals=tuple(get(decision_totals[d]) for d in DECISIONS),
            total=get(grand),
        ),
        tables=tables,
        not_assessed=get(not_assessed),
        read=read.lines,
        outside_period=len(read.entries) - len(in_period),
        superseded=superseded,
        without_entry=sum(1 for e in entries if not e.contributed),
    )


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------

LABELS = {
    "proceed": "proceed",
    "proceed_with_safeguards": "proceed with safeguards",
    "escalate": "escalate",
    "do_not_proceed": "do not proceed",
}


def label(value: str) -> str:
    """A vocabulary value as words (``law_enforcement`` -> ``law enforcement``)."""
    return LABELS.get(value, value.replace("_", " "))


def period_text(report: PublicReport) -> str:
    if report.period_from and report.period_to:
        return f"assessments from {report.period_from.isoformat()} to {report.period_to.isoformat()}"
    if report.period_from:
        return f"assessments from {report.period_from.isoformat()}"
    if report.period_to:
        return f"assessments up to {report.period_to.isoformat()}"
    return "every assessment in the input"


def method_text(k: int) -> list[str]:
    return [
        f"Every count below {k}, zero included, is shown as \u201c< {k}\u201d, so that no published figure "
        "points to a single customer. Where the totals would let a reader work such a count out, a further "
        "figure is withheld (shown as \u201csuppressed\u201d).",
        "Each transaction is counted once, by its latest assessment. Destinations are UN M49 regions, never "
        "countries; no customer, party, transaction or item is named.",
    ]


def render_public_markdown(report: PublicReport) -> str:
    from hrdd.plugins import core_version
    from hrdd.report_renderers import md

    k = report.k
    table = report.by_region
    lines = [
        "# Public transparency report: exports of items with surveillance capabilities",
        "",
        f"**{report.assessments.shown(k)}** transactions assessed for human-rights due diligence under the "
        f"U.S. State Department guidance ({md(period_text(report))}).",
        "",
        "## Decisions by destination region",
        "",
        "| region | " + " | ".join(label(d) for d in table.decisions) + " | total |",
        "|---|" + "---:|" * (len(table.decisions) + 1),
    ]
    for region, cells, total in zip(table.regions, table.cells, table.region_totals, strict=True):
        lines.append(f"| {md(region)} | " + " | ".join(c.shown(k) for c in cells) + f" | {total.shown(k)} |")
    lines += [
        "| **total** | "
        + " | ".join(c.shown(k) for c in table.decision_totals)
        + f" | **{table.total.shown(k)}** |",
        "",
    ]
    for t in report.tables:
        lines += [f"## {t.title}", "", t.note, "", "| | assessments |", "|---|---:|"]
        lines += [f"| {md(label(value))} | {cell.shown(k)} |" for value, cell in t.rows]
        if t.total is not None:
            lines.append(f"| **total** | **{t.total.shown(k)}** |")
        lines.append("")
    lines += [
        "## Method",
        "",
        *(f"- {text}" for text in method_text(k)),
        f"- Transactions that could not be assessed (invalid input) are not counted: {report.not_assessed.shown(k)}.",
        "",
        f"Generated by hrdd {core_version()} (`hrdd report public`, k = {k}).",
    ]
    return "\n".join(lines) + "\n"


def render_public_report(report: PublicReport, format: str = "markdown") -> str:
    """The report as ``markdown``, ``html`` (one self-contained page) or ``json``."""
    if format == "markdown":
        return render_public_markdown(report)
    if format == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if format == "html":
        from hrdd.plugins import core_version
        from hrdd.report_renderers import render_template

        return render_template(
            "public_report.html.j2",
            report=report,
            k=report.k,
            label=label,
            period=period_text(report),
            method=method_text(report.k),
            core=core_version(),
        )
    raise InputError.single(
        "hrdd report public", "--format", f"unknown format {format!r}; available: {', '.join(FORMATS)}"
    )
