"""``hrdd batch`` on the command line: options, the progress bar and the closing summary.

``hrdd.cli`` registers the command; the batch itself is ``hrdd.batch``. Only ``argparse`` is
imported at module level so ``hrdd --help`` stays fast (rich is imported only to draw a
progress bar on a terminal).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# The CLI's exit codes (hrdd.cli).
_OK, _THRESHOLD, _BAD_INPUT, _INTERNAL = 0, 1, 2, 3


def add_batch_command(commands: Any) -> None:
    """``hrdd batch IN.jsonl -o OUT.jsonl`` (``commands``: the CLI's subparsers action)."""
    from hrdd.audit import add_log_option
    from hrdd.batch import DEFAULT_CHUNK_SIZE
    from hrdd.cli import _add_lock_options

    batch = commands.add_parser(
        "batch",
        help="assess a JSON Lines file of transactions: one report (or error record) per line, in order",
        description="Assess every transaction of a JSON Lines file and write one JSON line per non-blank "
        "input line, in input order: the report (as `hrdd assess --format json` gives it) or an error "
        "record {line, error, problems}. The output appears at OUT only when complete; --resume continues "
        "a killed batch. Exit codes: 0 every line assessed; 1 --fail-on reached; 2 some lines could not be "
        "assessed (after writing every line) or bad input, policy or lock; 3 internal error or the "
        "decision log could not be written.",
    )
    batch.add_argument("input", metavar="IN.jsonl", help="transactions, one JSON document per line")
    batch.add_argument(
        "--output", "-o", required=True, metavar="OUT.jsonl", help="where to write the reports (JSON Lines)"
    )
    batch.add_argument("--policy", "-p", help="policy file or built-in policy name (default: baseline)")
    batch.add_argument(
        "--workers",
        "-w",
        type=int,
        default=1,
        metavar="N",
        help="worker processes (default 1; 0 = one per CPU); the output is the same for any N",
    )
    batch.add_argument(
        "--chunk-size",
        type=int,
        default=DEFAULT_CHUNK_SIZE,
        metavar="LINES",
        help=f"lines handed to a worker at a time (default {DEFAULT_CHUNK_SIZE})",
    )
    batch.add_argument(
        "--memory-scale",
        metavar="FACTOR",
        help="multiply the size of every memory the plugins and the engine keep by FACTOR (default 1, "
        "or HRDD_MEMORY_SCALE): more memory per worker for speed on large order books; the reports "
        "are the same for any FACTOR",
    )
    batch.add_argument(
        "--memory-budget",
        metavar="SIZE",
        help="resident memory each worker process may fill with what its plugins and engine remember "
        "(800MiB, 2GiB, ...; default: no budget, the memories keep their built sizes): they grow until "
        "it is near, for speed on large order books; the reports are the same for any SIZE",
    )
    batch.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted batch writing the same OUT: keep the lines it completed (checked "
        "against the input and the setup) and assess the rest",
    )
    batch.add_argument(
        "--fail-on",
        choices=("escalate", "do_not_proceed"),
        help="exit 1 when any decision is this or worse",
    )
    batch.add_argument(
        "--as-of",
        metavar="DATE",
        help="assess every transaction as of DATE (YYYY-MM-DD; default: today in UTC, one date for the "
        "whole batch)",
    )
    _add_lock_options(batch)
    add_log_option(batch)
    batch.set_defaults(handler=cmd_batch)


@contextmanager
def _memory_scale(option: str | None) -> Iterator[None]:
    """Check ``--memory-scale`` before anything is built, and hand it on through the
    environment while the batch runs (spawned workers inherit it; a program that calls the CLI
    in-process gets its own back after). Without it, ``HRDD_MEMORY_SCALE`` stands, which the
    CLI checks before any command runs (hrdd.cli.main).

    :raises InputError: not a positive number.
    """
    if option is None:
        yield
        return
    import os

    from hrdd.errors import InputError
    from hrdd.memory import SCALE_VARIABLE, parse_scale

    try:
        factor = parse_scale(option, "--memory-scale")
    except ValueError as exc:
        message = str(exc).removeprefix("--memory-scale=")  # the problem's path names it
        raise InputError.single("hrdd batch", "--memory-scale", message) from None
    before = os.environ.get(SCALE_VARIABLE)
    os.environ[SCALE_VARIABLE] = repr(factor)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SCALE_VARIABLE, None)
        else:
            os.environ[SCALE_VARIABLE] = before


def _memory_budget(option: str | None) -> int | None:
    """``--memory-budget`` in bytes (None without it).

    :raises InputError: not a positive size.
    """
    if option is None:
        return None
    from hrdd.errors import InputError
    from hrdd.memory import parse_size

    try:
        return parse_size(option)
    except ValueError as exc:
        raise InputError.single("hrdd batch", "--memory-budget", str(exc)) from None


def _parse_date(text: str) -> Any:
    import datetime as dt

    from hrdd.errors import InputError

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError.single("hrdd batch", "--as-of", f"{text!r} is not a date (YYYY-MM-DD)") from None


@contextmanager
def _progress_bar(total_bytes: int) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr when stderr is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    # Refreshed from the callback, not by rich's own thread: worker processes are forked
    # while it runs, and a fork should not copy a thread holding a lock.
    progress = Progress(
        TextColumn("assessing"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[lines]:,} lines · {task.fields[rate]:,.0f}/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        auto_refresh=False,
        transient=True,
    )
    task = progress.add_task("batch", total=max(total_bytes, 1), lines=0, rate=0.0)
    first: list[float] = []  # (time, lines) of the first chunk: the rate leaves out start-up
    shown = [0.0]

    def update(lines: int, read: int) -> None:
        now = time.monotonic()
        if not first:
            first.extend((now, lines))
        if now - shown[0] < 0.1:
            return
        shown[0] = now
        rate = (lines - first[1]) / (now - first[0]) if now > first[0] else 0.0
        progress.update(task, completed=read, lines=lines, rate=rate)
        progress.refresh()

    with progress:
        yield update


def cmd_batch(args: argparse.Namespace) -> int:
    import os

    from hrdd.batch import BatchLogError, keep_freed_memory, run_batch
    from hrdd.cli import _lock_choice

    keep_freed_memory()  # this process runs the batch and nothing else

    as_of = _parse_date(args.as_of) if args.as_of else None
    budget = _memory_budget(args.memory_budget)
    try:
        total = os.path.getsize(args.input)
    except OSError:
        total = 0  # run_batch says what is wrong with the input
    try:
        with _memory_scale(args.memory_scale), _progress_bar(total) as progress:
            summary = run_batch(
                args.input,
                args.output,
                policy=args.policy,
                workers=args.workers,
                chunk_size=args.chunk_size,
                resume=args.resume,
                log=args.log,
                lock=_lock_choice(args),
                as_of=as_of,
                progress=progress,
                memory_budget=budget,
            )
    except BatchLogError as exc:
        print(
            f"hrdd: {exc}; the partial output is kept: fix the log and run again with --resume",
            file=sys.stderr,
        )
        return _INTERNAL
    except KeyboardInterrupt:
        print(
            f"hrdd: interrupted; {args.output} was not written: run again with --resume to continue",
            file=sys.stderr,
        )
        return _INTERNAL
    except OSError as exc:  # the disk refused the output (full, failing): not hrdd's defect
        print(
            f"hrdd: the batch stopped: {exc}; {args.output} was not written and the partial output is "
            "kept: fix the cause and run again with --resume",
            file=sys.stderr,
        )
        return _INTERNAL
    sys.stderr.write(summary.text())
    if summary.internal_errors:
        return _INTERNAL
    if summary.errors:
        return _BAD_INPUT
    if args.fail_on and summary.reached(args.fail_on):
        return _THRESHOLD
    return _OK
