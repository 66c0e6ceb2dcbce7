"""Benchmark: validation, in-process assessment and framework overhead, CLI start-up.

Everything is measured in one run on the same machine, and printed side by side with the
ratios (shared machines are noisy; ratios travel better than absolute figures):

    python benchmarks/assess.py [--count 2000] [--rounds 3]

- transaction validation: compiled fast path (jsonschema-rs) vs pure-Python jsonschema;
- whole assessment (``Engine.assess`` under the baseline policy) median and p99, with
  catalogue descriptions (texts repeat, as they do in a product catalogue) and with unique
  texts (every description different: no per-text cache helps);
- the same plugins' hook functions called directly on pre-built models: the ratio to the
  whole assessment is the framework's overhead (validation, model building, isolation of
  each plugin call, enforcement, sorting, provenance);
- ``hrdd --help`` and ``hrdd plugins`` wall time, as a user's shell sees it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def per_call(function: Callable[[Any], Any], documents: Sequence[Any], rounds: int) -> list[float]:
    """Microseconds per call, one sample per document per round."""
    samples = []
    clock = time.perf_counter
    for _ in range(rounds):
        for document in documents:
            start = clock()
            function(document)
            samples.append((clock() - start) * 1e6)
    return samples


def wall_ms(command: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def direct_hooks(engine: Any) -> Callable[[Any], Any]:
    """Call the enabled plugins' hook functions directly, in the engine's order, as a
    hand-written loop would: profiles, facts (publishers first), item, end-user and contract
    checks. No isolation, no validation of answers, no enforcement, no sorting."""
    from hrdd.context import CheckContext, SharedFacts

    loaded = {p.name: p for p in engine.plugins.plugins}
    calls = engine._calls  # the engine's own call plans: the same functions, the same order

    def run(transaction: Any) -> list[Any]:
        facts = SharedFacts()
        contexts = {
            name: CheckContext(name, p.config, p.settings.policy_dir, facts, p.state)
            for name, p in loaded.items()
        }
        findings: list[Any] = []
        for item in transaction.items:
            for call in calls["hrdd_item_profile"]:
                facts.profiles[item.id] = call.function(item, transaction, contexts[call.plugin])
        for call in calls["hrdd_transaction_facts"]:
            facts.values.update(call.function(transaction, contexts[call.plugin]) or {})
        for item in transaction.items:
            for call in calls["hrdd_check_item"]:
                findings.extend(call.function(item, transaction, contexts[call.plugin]) or ())
        for hook in ("hrdd_check_end_user", "hrdd_check_contract"):
            for call in calls[hook]:
                findings.extend(call.function(transaction, contexts[call.plugin]) or ())
        return findings

    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="transactions per corpus")
    parser.add_argument("--rounds", type=int, default=3, help="passes over each corpus")
    args = parser.parse_args(argv)

    import jsonschema

    from hrdd import Engine
    from hrdd.documents import load_schema, validator
    from hrdd.model import Transaction

    engine = Engine.from_policy("baseline")
    root = Path(__file__).resolve().parents[1]
    capability_only = Engine.from_policy(root / "plugins/hrdd-item-capability/tests/capability-only.toml")
    catalogue = list(corpus.transactions(args.count))
    unique = list(corpus.transactions(args.count, seed=7, unique_text=True))
    fast = validator("transaction")
    slow_cls = jsonschema.Draft202012Validator
    slow = slow_cls(load_schema("transaction"), format_checker=slow_cls.FORMAT_CHECKER)
    models = [Transaction.from_dict(d) for d in catalogue]
    direct = direct_hooks(engine)

    for document in catalogue[:200]:  # warm caches and code paths before timing
        engine.assess(document)

    rows: list[tuple[str, float, float]] = []

    def measure(label: str, function: Callable[[Any], Any], documents: Sequence[Any], rounds: int) -> float:
        median, p99 = percentiles(per_call(function, documents, rounds))
        rows.append((label, median, p99))
        return median

    fast_us = measure("validate (jsonschema-rs fast path)", fast.is_valid, catalogue, args.rounds)
    slow_us = measure("validate (pure-Python jsonschema)", slow.is_valid, catalogue[:500], 1)
    model_us = measure("build model (Transaction.from_dict)", Transaction.from_dict, catalogue, args.rounds)
    direct_us = measure("plugin hooks called directly", direct, models, args.rounds)
    whole_us = measure("Engine.assess, catalogue texts", engine.assess, catalogue, args.rounds)
    single_us = measure("  same, item-capability plugin only", capability_only.assess, catalogue, args.rounds)
    cold_us = measure("Engine.assess, unique texts (cold)", engine.assess, unique, 1)
    render_us = measure(
        "render json report",
        lambda a: engine.render(a, "json"),
        [engine.assess(d) for d in catalogue[:500]],
        1,
    )

    help_ms = wall_ms(["hrdd", "--help"])
    plugins_ms = wall_ms(["hrdd", "plugins"])

    from hrdd.plugins import core_version

    print(
        f"hrdd {core_version()} · Python {sys.version.split()[0]} · {args.count} transactions x {args.rounds} rounds"
    )
    print(f"{'measure':<40} {'median us':>10} {'p99 us':>10}")
    for label, median, p99 in rows:
        print(f"{label:<40} {median:>10.1f} {p99:>10.1f}")
    print()
    print(f"{'validation speed-up (pure-Python / fast path)':<52} {slow_us / fast_us:>8.1f}x")
    print(f"{'framework overhead (assess / direct hooks)':<52} {whole_us / direct_us:>8.2f}x")
    print(f"{'framework cost per assessment (assess - direct)':<52} {whole_us - direct_us:>8.1f} us")
    print(f"{'cold texts vs catalogue texts':<52} {cold_us / whole_us:>8.2f}x")
    print(f"{'model building share of assess':<52} {model_us / whole_us:>8.0%}")
    print(f"{'json rendering (not part of assess)':<52} {render_us:>8.1f} us")
    print(f"{'hrdd --help wall time':<52} {help_ms:>8.0f} ms")
    print(f"{'hrdd plugins wall time':<52} {plugins_ms:>8.0f} ms")
    targets = [
        ("validation <= 20 us", fast_us <= 20),
        ("assessment median <= 100 us (item-capability only)", single_us <= 100),
        ("assessment median <= 200 us (whole baseline)", whole_us <= 200),
        ("hrdd --help < 300 ms", help_ms < 300),
        ("hrdd plugins < 300 ms", plugins_ms < 300),
    ]
    print()
    for label, met in targets:
        print(f"target {label:<52} {'met' if met else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
