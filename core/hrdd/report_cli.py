"""``hrdd report public``: the public transparency report on the command line.

``hrdd.cli`` registers the command; the report itself is ``hrdd.public_report``. Only
``argparse`` is imported at module level so ``hrdd --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

_OK = 0  # the CLI's exit codes (hrdd.cli); bad input (2) is raised as InputError


def add_report_command(commands: Any) -> None:
    """``hrdd report public FILE`` (``commands``: the CLI's subparsers action)."""
    report = commands.add_parser("report", help="aggregate reports (hrdd report public DECISIONS.jsonl)")
    subcommands = report.add_subparsers(dest="report_command", metavar="SUBCOMMAND", required=True)
    public = subcommands.add_parser(
        "public",
        help="the public transparency report of a period's assessments (small counts suppressed)",
        description="Count a period's assessments by decision, destination region (UN M49), item "
        "category, end-user sector and safeguards applied, for publication (draft-2019:consideration-8). "
        "Reads JSON Lines: reports (hrdd assess --format json, hrdd batch output), decision-log "
        "records (hrdd assess --log) and batch error records (skipped and counted). No name, id or "
        "free text is written; every count below k, zero included, is shown as '< k', and further "
        "counts are withheld where the totals would give one away. Exit 2, writing nothing, when any "
        "line is malformed.",
    )
    public.add_argument(
        "input", metavar="DECISIONS.jsonl", help="reports or decision-log records, one per line"
    )
    public.add_argument(
        "--k", type=int, default=5, metavar="K", help="suppress every count below K (default 5, at least 3)"
    )
    public.add_argument(
        "--format",
        "-f",
        choices=("markdown", "html", "json"),
        default="markdown",
        help="markdown (default), html or json",
    )
    public.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    public.add_argument(
        "--period-from", metavar="DATE", help="count assessments made on or after DATE (YYYY-MM-DD)"
    )
    public.add_argument(
        "--period-to", metavar="DATE", help="count assessments made on or before DATE (YYYY-MM-DD)"
    )
    public.add_argument(
        "--allow-region",
        action="append",
        default=[],
        metavar="NAME",
        help="a destination region name of your own region table, besides the UN M49 names (repeatable)",
    )
    public.set_defaults(handler=cmd_report_public)


def cmd_report_public(args: argparse.Namespace) -> int:
    import datetime as _dt

    from hrdd.cli import _write_output
    from hrdd.errors import InputError
    from hrdd.public_report import aggregate, check_k, read_entries, render_public_report

    dates: dict[str, _dt.date | None] = {}
    for option in ("period_from", "period_to"):
        text = getattr(args, option)
        try:
            dates[option] = _dt.date.fromisoformat(text) if text else None
        except ValueError:
            flag = "--" + option.replace("_", "-")
            raise InputError.single(
                "hrdd report public", flag, f"{text!r} is not a date (YYYY-MM-DD)"
            ) from None
    start, end = dates["period_from"], dates["period_to"]
    if start and end and start > end:
        raise InputError.single(
            "hrdd report public", "--period-from", f"{start} is after --period-to {end}: the period is empty"
        )
    check_k(args.k)  # before reading: a wrong option is reported first
    entries = read_entries(args.input, allowed_regions=args.allow_region)
    report = aggregate(entries, k=args.k, period_from=start, period_to=end)
    _write_output(render_public_report(report, args.format), args.output)
    notes = [f"{report.read} line(s) read"]
    if entries.error_records:
        notes.append(f"{entries.error_records} batch error record(s) not counted")
    if report.outside_period:
        notes.append(f"{report.outside_period} assessment(s) outside the period")
    if report.superseded:
        notes.append(f"{report.superseded} earlier assessment(s) of a transaction replaced by its latest")
    if report.without_entry:
        notes.append(
            f"{report.without_entry} report(s) without the hrdd-public-reporting entry (region not stated)"
        )
    print(f"hrdd report public: {'; '.join(notes)}", file=sys.stderr)
    return _OK
