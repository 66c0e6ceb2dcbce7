"""Benchmark: ``hrdd batch`` throughput with one and two workers, and its memory.

Everything is measured in one run on the same machine and printed side by side with the
ratio (shared machines are noisy; ratios travel better than absolute figures):

    python benchmarks/batch.py [--count 100000] [--shapes orderbook,catalogue,varied]
                               [--policy benchmarks/baseline-without-screening.toml]
                               [--memory-budget 1GiB]

- for each shape of the corpus (``benchmarks/corpus.py``: ``orderbook``, an exporter's order
  book at a realistic size, 1,500 customers with framework contracts, 104 product models
  with standard configurations, deals dated over most of a year; ``catalogue``, the same
  way of drawing lists over seven customers, thirteen products and one date; ``varied``,
  every list drawn afresh for every deal),
  writes N realistic transactions to a JSON Lines file, and N/10 and N/2 to others;
- runs the batch (``hrdd.batch.run_batch``, what ``hrdd batch`` runs, in a child process)
  over each with ``workers=1`` and ``workers=2``, and reports lines per second (the batch's
  own clock: reading, parsing, validating, assessing, rendering and writing every line,
  without the interpreter's start-up), the ratio, and the peak resident memory of the
  parent and of each worker read from ``/proc`` while it runs. The memories plugins and
  the engine keep are bounded but fill over the first tens of thousands of lines, so the
  peak at N/10 shows that warm-up; the same peak at N/2 and N means memory does not grow
  with the input (a batch that kept its input or its reports would need twice as much);
- runs the batch again over N/10 and N/2 lines with one worker and every memory at a
  twentieth of its size (``HRDD_MEMORY_SCALE=0.05``, full within the first thousand lines or
  so): whether the batch streams, apart from the memories' warm-up (a batch that kept its
  input or its reports would need five times as much at N/2);
- runs one and two workers over N lines again under a memory budget (``--memory-budget``,
  default 1GiB a process, as ``hrdd batch --memory-budget``): what memory buys;
- measures, in this process, what one line costs: JSON parsing, ``Engine.assess`` and the
  report's JSON as the batch writes it (``Assessment.to_json``: joined from the JSON each
  finding and record keeps), beside the report dict and its JSON written whole (what the
  batch did before, ``orjson.dumps(assessment.to_dict())``: the same bytes).

Each output file is deleted after its run (a report is tens of KB: 100,000 of them take
several GB).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402 (beside this file)

DEFAULT_POLICY = HERE / "baseline-without-screening.toml"

# The memory scale of the streaming measure: every memory at a twentieth of its size, full
# within the first thousand lines or so.
STREAMING_SCALE = 0.05
# The budget of the runs under ``--memory-budget`` (one and two workers, at N), a process.
DEFAULT_BUDGET = "1GiB"


def write_corpus(path: Path, count: int, shape: str = "varied") -> int:
    import orjson

    size = 0
    with path.open("wb") as handle:
        for document in corpus.transactions(count, shape=shape):
            line = orjson.dumps(document) + b"\n"
            size += len(line)
            handle.write(line)
    return size


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found += [int(child) for child in text.split()]
    except OSError:
        pass
    return found


def _peak_kib(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else None


def run_child(
    input_path: Path,
    output: Path,
    policy: str,
    workers: int,
    chunk_size: int,
    memory_scale: float | None = None,
    memory_budget: int | None = None,
) -> dict[str, Any]:
    """Run the batch in a child process, sampling the peak RSS of it and its workers (every
    memory's size multiplied by ``memory_scale`` when given, as ``--memory-scale`` does; under
    a budget of ``memory_budget`` bytes a process when given, as ``--memory-budget`` does)."""
    command = [
        sys.executable,
        __file__,
        "--child",
        str(input_path),
        str(output),
        policy,
        str(workers),
        str(chunk_size),
        str(memory_budget or 0),
    ]
    environment = dict(os.environ)
    if memory_scale is not None:
        environment["HRDD_MEMORY_SCALE"] = repr(memory_scale)
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment)
    parent_peak = 0
    worker_peaks: dict[int, int] = {}
    while child.poll() is None:
        parent_peak = max(parent_peak, _peak_kib(child.pid) or 0)
        for pid in _children(child.pid):
            peak = _peak_kib(pid)
            if peak is not None:
                worker_peaks[pid] = max(worker_peaks.get(pid, 0), peak)
        time.sleep(0.05)
    out, _ = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"batch child failed with exit code {child.returncode}")
    result: dict[str, Any] = json.loads(out)
    result["parent_peak_mib"] = parent_peak / 1024
    result["worker_peak_mib"] = max(worker_peaks.values()) / 1024 if worker_peaks else None
    return result


def child_main(argv: Sequence[str]) -> int:
    import resource

    input_path, output, policy, workers, chunk_size, budget = argv
    from hrdd import Engine
    from hrdd.batch import keep_freed_memory, run_batch

    keep_freed_memory()  # as hrdd batch does
    engine = Engine.from_policy(policy, lock=False)
    before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = run_batch(
        input_path,
        output,
        policy=policy,
        workers=int(workers),
        chunk_size=int(chunk_size),
        engine=engine,
        as_of=dt.date(2026, 12, 1),
        memory_budget=int(budget) or None,
    )
    after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = summary.to_dict()
    # CPU seconds (user + system) of this process and of its (joined) workers during the
    # batch: a figure that other load on the machine disturbs far less than wall time.
    cpu = [(a.ru_utime + a.ru_stime) - (b.ru_utime + b.ru_stime) for a, b in zip(after, before, strict=True)]
    system = sum(a.ru_stime - b.ru_stime for a, b in zip(after, before, strict=True))
    result["parent_cpu_us_per_line"] = cpu[0] / summary.lines * 1e6
    result["worker_cpu_us_per_line"] = cpu[1] / summary.lines * 1e6
    result["system_cpu_us_per_line"] = system / summary.lines * 1e6  # of both: the kernel's share
    result["output_bytes"] = Path(output).stat().st_size
    Path(output).unlink()
    print(json.dumps(result))
    return 0


def breakdown(policy: str, shape: str, count: int = 3000) -> dict[str, float]:
    """Microseconds per line for each step, measured in this process (after a warm-up)."""
    import orjson

    from hrdd import Engine

    engine = Engine.from_policy(policy, lock=False)
    lines = [orjson.dumps(d) for d in corpus.transactions(count, seed=11, shape=shape)]
    as_of = dt.date(2026, 12, 1)
    clock = time.perf_counter
    totals = dict.fromkeys(("parse JSON line", "Engine.assess", "report JSON", "dict", "dict JSON"), 0.0)
    size = 0
    for index, raw in enumerate(lines):
        start = clock()
        document = orjson.loads(raw)
        parsed = clock()
        assessment = engine.assess(document, as_of=as_of)
        assessed = clock()
        report = assessment.to_dict(copy_values=False)
        built = clock()
        whole = orjson.dumps(report, option=orjson.OPT_APPEND_NEWLINE)
        dumped = clock()
        text = assessment.to_json()  # after the whole one: findings new to this report are written here
        done = clock()
        if text != whole:
            raise SystemExit(f"line {index}: the report's JSON differs from orjson.dumps(to_dict())")
        if index < count // 3:
            continue  # warm-up: caches fill as they would early in a real batch
        totals["parse JSON line"] += parsed - start
        totals["Engine.assess"] += assessed - parsed
        totals["report JSON"] += done - dumped
        totals["dict"] += built - assessed
        totals["dict JSON"] += dumped - built
        size += len(text)
    measured = count - count // 3
    result = {label: seconds / measured * 1e6 for label, seconds in totals.items()}
    result["report bytes"] = size / measured
    return result


def growth(by: dict[tuple[str, int, int], dict[str, Any]], shape: str, smaller: int, large: int) -> float:
    """The larger ratio of peak memory at ``large`` lines to that at ``smaller`` lines: of the
    batch in one process, and of the busiest worker of two."""
    ratios = [by[(shape, large, 1)]["parent_peak_mib"] / by[(shape, smaller, 1)]["parent_peak_mib"]]
    if by[(shape, smaller, 2)]["worker_peak_mib"]:
        ratios.append(by[(shape, large, 2)]["worker_peak_mib"] / by[(shape, smaller, 2)]["worker_peak_mib"])
    return max(ratios)


def _row(shape: str, count: int, workers: int, result: dict[str, Any]) -> str:
    """One run's row of the table: throughput, peaks and CPU per line."""
    rate = result["lines_per_second"]
    worker_mib = result["worker_peak_mib"]
    parent_cpu, worker_cpu = result["parent_cpu_us_per_line"], result["worker_cpu_us_per_line"]
    return (
        f"{shape:>9} {count:>9,} {workers:>8} {rate:>9,.0f} {rate / workers:>11,.0f} "
        f"{result['parent_peak_mib']:>11.0f} {'-' if worker_mib is None else f'{worker_mib:.0f}':>11}"
        f" {parent_cpu + worker_cpu:>12.0f} {parent_cpu:>13.0f} {result['system_cpu_us_per_line']:>13.0f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child":
        return child_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="transactions in the large run")
    parser.add_argument("--policy", default=str(DEFAULT_POLICY), help="policy to assess under")
    from hrdd.batch import DEFAULT_CHUNK_SIZE, keep_freed_memory

    parser.add_argument(
        "--chunk-size",
        type=int,
        default=DEFAULT_CHUNK_SIZE,
        help=f"lines per chunk (default {DEFAULT_CHUNK_SIZE}, as hrdd batch)",
    )
    parser.add_argument("--dir", help="where to write the corpus and outputs (default: a temporary dir)")
    parser.add_argument(
        "--memory-budget",
        default=DEFAULT_BUDGET,
        help=f"the budget of the runs under --memory-budget (default {DEFAULT_BUDGET} a process; 0: no such runs)",
    )
    parser.add_argument(
        "--shapes",
        default=",".join(corpus.SHAPES_BY_DEFAULT),
        help="corpus shapes to run, comma-separated (benchmarks/corpus.py; default: "
        f"{','.join(corpus.SHAPES_BY_DEFAULT)})",
    )
    args = parser.parse_args(argv)

    from hrdd.memory import parse_size
    from hrdd.plugins import core_version

    budget = 0 if args.memory_budget.strip() == "0" else parse_size(args.memory_budget)

    shapes = [shape.strip() for shape in args.shapes.split(",") if shape.strip()]
    unknown = [shape for shape in shapes if shape not in corpus.SHAPES]
    if unknown or not shapes:
        parser.error(f"--shapes: one or more of {', '.join(corpus.SHAPES)}, not {args.shapes!r}")
    print(
        f"hrdd {core_version()} · Python {sys.version.split()[0]} · {os.cpu_count()} CPUs · "
        f"policy {Path(args.policy).name} · load average before {os.getloadavg()[0]:.2f}"
    )
    keep_freed_memory()  # the breakdown below runs as hrdd batch would
    counted = ("parse JSON line", "Engine.assess", "report JSON")
    for shape in shapes:
        steps = breakdown(args.policy, shape)
        total = sum(steps[label] for label in counted)
        whole = steps["dict"] + steps["dict JSON"]
        print(f"\n{shape}: per line, in one process (us):")
        for label in counted:
            print(f"  {label:<20} {steps[label]:>8.1f}")
        print(f"  {'total':<20} {total:>8.1f}  (= {1e6 / total:,.0f} lines/s before reading and writing)")
        print(
            f"  the same report as a dict ({steps['dict']:.1f}) and its JSON ({steps['dict JSON']:.1f}), as the "
            f"batch wrote it before: {whole:.1f} (report JSON {whole / steps['report JSON']:.1f}x faster)"
        )
        print(f"  report size {steps['report bytes'] / 1024:.1f} KiB per line")

    rows = []
    budgeted: dict[tuple[str, int], dict[str, Any]] = {}  # (shape, workers): under the budget, at N
    streamed: dict[tuple[str, int], float] = {}
    large, half, small = args.count, max(1, args.count // 2), max(1, args.count // 10)
    sizes = (small, half, large)
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        for shape in shapes:
            for count in sizes:
                input_path = Path(directory) / f"corpus-{shape}-{count}.jsonl"
                size = write_corpus(input_path, count, shape)
                for workers in (1, 2):
                    result = run_child(
                        input_path, Path(directory) / "out.jsonl", args.policy, workers, args.chunk_size
                    )
                    rows.append((shape, count, workers, result))
                    print(
                        f"  ... {shape} N={count:,} workers={workers}: {result['lines_per_second']:,.0f} "
                        f"lines/s (load average {os.getloadavg()[0]:.2f})",
                        flush=True,
                    )
                if count == large and budget:
                    for workers in (1, 2):
                        result = budgeted[(shape, workers)] = run_child(
                            input_path,
                            Path(directory) / "out.jsonl",
                            args.policy,
                            workers,
                            args.chunk_size,
                            memory_budget=budget,
                        )
                        print(
                            f"  ... {shape} N={count:,} workers={workers} --memory-budget {args.memory_budget}: "
                            f"{result['lines_per_second']:,.0f} lines/s, memories up to "
                            f"{result['memory_growth']:g}x (load average {os.getloadavg()[0]:.2f})",
                            flush=True,
                        )
                if count in (small, half):
                    # Streaming, apart from the memories' warm-up: with every memory at a small
                    # fraction of its size (full within the first thousand lines), the peak
                    # grows with N only if the batch holds its input or its reports.
                    streamed[(shape, count)] = run_child(
                        input_path,
                        Path(directory) / "out.jsonl",
                        args.policy,
                        1,
                        args.chunk_size,
                        memory_scale=STREAMING_SCALE,
                    )["parent_peak_mib"]
                input_path.unlink()
                print(
                    f"  (input {size / 2**20:.1f} MiB, output {rows[-1][3]['output_bytes'] / 2**30:.2f} GiB)"
                )

    print(
        f"\n{'shape':>9} {'N':>9} {'workers':>8} {'lines/s':>9} {'per worker':>11} {'parent MiB':>11}"
        f" {'worker MiB':>11} {'CPU us/line':>12} {'of it parent':>13} {'of it system':>13}"
    )
    for shape, count, workers, result in rows:
        print(_row(shape, count, workers, result))
    for (shape, workers), result in budgeted.items():
        reached = ", budget reached" if result["peak_resident_bytes"] >= budget * 0.9 else ""
        print(
            _row(shape, large, workers, result)
            + f"  --memory-budget {args.memory_budget} (memories up to {result['memory_growth']:g}x{reached})"
        )
    by = {(shape, count, workers): result for shape, count, workers, result in rows}
    print()
    for shape in shapes:
        for count in sizes:
            ratio = by[(shape, count, 2)]["lines_per_second"] / by[(shape, count, 1)]["lines_per_second"]
            print(f"{shape} N={count:,}: two workers / one worker = {ratio:.2f}x")
        if budget:
            one, two = (budgeted[(shape, workers)]["lines_per_second"] for workers in (1, 2))
            plain = by[(shape, large, 1)]["lines_per_second"]
            print(
                f"{shape} N={large:,} --memory-budget {args.memory_budget}: two workers / one worker = "
                f"{two / one:.2f}x; one worker / one worker without a budget = {one / plain:.2f}x"
            )
    if len(shapes) > 1:
        first, *others = shapes
        for other in others:
            ratio = by[(first, large, 1)]["lines_per_second"] / by[(other, large, 1)]["lines_per_second"]
            print(f"one worker, N={large:,}: {first} / {other} = {ratio:.2f}x")
    print(f"load average after {os.getloadavg()[0]:.2f}")
    print()
    for shape in shapes:
        one = by[(shape, large, 1)]["lines_per_second"]
        ratio = by[(shape, large, 2)]["lines_per_second"] / one

        warm_up, flat = growth(by, shape, small, large), growth(by, shape, half, large)
        streaming = streamed[(shape, half)] / streamed[(shape, small)]
        print(
            f"{shape}: peak memory (one worker's, the busiest worker's) N / (N/10): {warm_up:.2f}x (the memories filling), N / (N/2): {flat:.2f}x"
        )
        print(
            f"  with every memory at {STREAMING_SCALE:g} of its size (one worker): "
            f"{streamed[(shape, small)]:.0f} MiB at N/10, {streamed[(shape, half)]:.0f} MiB at N/2: {streaming:.2f}x"
        )
        for label, met in (
            (">= 5,000 lines/s per worker (workers=1)", one >= 5000),
            (">= 1.8x with two workers", ratio >= 1.8),
            ("memory flat in N (peak at N within 1.2x of N/2)", flat <= 1.2),
            ("streaming (memories full: N/2 within 1.2x of N/10)", streaming <= 1.2),
        ):
            print(f"  target {label:<50} {'met' if met else 'NOT MET'}")
        if budget:
            one = budgeted[(shape, 1)]["lines_per_second"]
            label = f">= 5,000 lines/s per worker, --memory-budget {args.memory_budget}"
            print(f"  target {label:<50} {'met' if one >= 5000 else 'NOT MET'} ({one:,.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
