"""Benchmark: declarative rules (hrdd.rules) on realistic transactions.

Generates 200 realistic company rules (deterministic by seed): a mixture of every operator,
paths with [*] wildcards, item rules (evaluated once per item) and transaction rules, and
nested all / any / not. Then, in one run on one machine, printed side by side with ratios:

- the rules' check hooks alone: every rule evaluated on one transaction (each item's item
  rules, the end-user and contract rules), on pre-built models, findings included; this is
  the cost the rules add to the check hooks, without the rest of the engine; once with
  catalogue texts (descriptions recur, as in a product catalogue) and once with every free
  text unique (no remembered pattern match helps);
- a whole assessment (Engine.assess) under the baseline, and under the baseline plus the
  200 rules;
- compiling the 200 rules (once per engine).

    python benchmarks/rules.py [--count 2000] [--rounds 3] [--rules 200]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus

CLAUSES = [
    "draft-2019:scope",
    "draft-2019:dd-1",
    "draft-2019:consideration-1",
    "draft-2019:consideration-2",
    "draft-2019:consideration-3",
    "draft-2019:consideration-5",
    "draft-2019:consideration-6",
    "draft-2019:consideration-7",
    "draft-2019:red-flag-1",
    "draft-2019:red-flag-2",
]
RISKY_SECTORS = [
    "intelligence",
    "public_security",
    "law_enforcement",
    "military",
    "border_control",
    "prisons",
]
COUNTRIES = ["EG", "KZ", "AE", "CN", "RU", "BY", "IR", "VE", "MM", "ET", "SA", "TR", "PK"]
CATEGORIES = [
    "facial_recognition",
    "network_protocol_surveillance",
    "penetration_testing",
    "social_media_analytics",
    "license_plate_reader",
    "data_analytics",
    "drone",
    "rapid_dna",
    "thermal_imaging",
    "body_worn_camera",
]
CAPABILITIES = [
    "content_interception",
    "metadata_collection",
    "biometric_identification",
    "location_tracking",
    "device_exploitation",
    "decryption",
    "indexing_and_search",
    "sentiment_analysis",
    "data_retention",
]
SAFEGUARDS = [
    "audit_logging",
    "tamper_evident_logs",
    "role_based_access",
    "geofencing",
    "warrant_enforcement",
]
CLAUSE_NAMES = [
    "end_use_certificate",
    "no_reexport",
    "use_limitation",
    "audit_rights",
    "suspend_and_terminate",
]
WORDS = ["ethnic", "protest", "watch ?list", "dissident", "religio", "audit logging", "retention"]
KYC = ["reluctant_end_use_information", "evasive_about_reexport", "vague_delivery_or_destination"]


def _q(value: Any) -> str:
    """A TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_q(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _test(path: str, operator: str, value: Any) -> str:
    return f"{{ path = {_q(path)}, {operator} = {_q(value)} }}"


def transaction_trigger(rng: random.Random) -> str:
    """A selective test on the transaction: what a company rule is about (a kind of item, a
    destination, a function, a red flag)."""
    choice = rng.randrange(7)
    if choice == 0:
        return _test("items[*].categories", "contains", rng.choice(CATEGORIES))
    if choice == 1:
        return _test("end_user.country", "in", rng.sample(COUNTRIES, rng.randint(1, 3)))
    if choice == 2:
        return _test("end_user.sector", "eq", rng.choice(RISKY_SECTORS))
    if choice == 3:
        return _test("end_user.stated_end_use", "matches", f"(?i){rng.choice(WORDS)}")
    if choice == 4:
        return _test("items[*].capabilities", "contains_any", rng.sample(CAPABILITIES, rng.randint(1, 2)))
    if choice == 5:
        return _test("parties[*].role", "in", rng.sample(["broker", "freight_forwarder", "reseller"], 2))
    return _test("context.events", "contains_any", ["election_period", "mass_protests"])


def item_trigger(rng: random.Random) -> str:
    """A selective test on the item under check."""
    choice = rng.randrange(5)
    if choice == 0:
        return _test("item.categories", "contains", rng.choice(CATEGORIES))
    if choice == 1:
        return _test("item.capabilities", "contains_any", rng.sample(CAPABILITIES, rng.randint(1, 2)))
    if choice == 2:
        return _test("item.customization_request", "matches", f"(?i){rng.choice(WORDS)}")
    if choice == 3:
        return _test("item.eccn", "matches", rng.choice(["^5A001", "^5D00", "^4A005", "^5A992"]))
    return _test("item.description", "matches", rng.choice(["(?i)face", "(?i)intercept", "(?i)decrypt"]))


def qualifier(rng: random.Random, item: bool) -> str:
    """A further test a rule adds to its trigger: the end user's function or record, the
    safeguards in place, the deal's size, the paperwork."""
    choice = rng.randrange(14 if item else 10)
    if choice == 0:
        return _test("end_user.sector", "in", rng.sample(RISKY_SECTORS, rng.randint(1, 3)))
    if choice == 1:
        return _test("end_user.type", "in", ["government_agency", "state_owned_enterprise"])
    if choice == 2:
        return _test("end_user.government_relationship", "ne", "none")
    if choice == 3:
        return _test("end_user.misuse_reports[*].credible", "eq", True)
    if choice == 4:
        return _test("items[*].value.amount", "gt", float(rng.choice([50_000, 250_000, 1_000_000])))
    if choice == 5:
        return _test("parties[*].country", "not_in", ["US", "DE", "NL", "FR", "GB"])
    if choice == 6:
        return _test("contract.clauses", "contains_all", rng.sample(CLAUSE_NAMES, rng.randint(1, 3)))
    if choice == 7:
        return _test(f"kyc.{rng.choice(KYC)}", "eq", True)
    if choice == 8:
        return _test("date", "ge", rng.choice(["2026-01-01", "2026-11-01"]))
    if choice == 9:
        return _test("kind", "in", rng.sample(["new_sale", "renewal", "support", "update"], 2))
    if choice == 10:
        return _test("item.design_safeguards", "contains", rng.choice(SAFEGUARDS))
    if choice == 11:
        return _test("item.customization", "eq", "custom_development")
    if choice == 12:
        return _test("item.quantity", "gt", rng.choice([10, 100, 400]))
    return _test("item.value.amount", "ge", float(rng.choice([100_000, 500_000])))


def nested(rng: random.Random, item: bool) -> str:
    """A qualifier, its negation, or either of two qualifiers (one level deeper)."""
    roll = rng.random()
    if roll < 0.55:
        return qualifier(rng, item)
    if roll < 0.8:
        return f"{{ not = {qualifier(rng, item)} }}"
    inner = [qualifier(rng, item), f"{{ not = {qualifier(rng, item)} }}"]
    return f"{{ any = [{', '.join(inner)}] }}"


def condition(rng: random.Random, family: str) -> str:
    """A rule's condition: a trigger and one to three further conditions (all), or either of
    two triggers with a further condition."""
    item = family == "item"
    trigger = item_trigger if item else transaction_trigger
    if rng.random() < 0.2:
        either = f"{{ any = [{trigger(rng)}, {trigger(rng)}] }}"
        return f"{{ all = [{either}, {nested(rng, item)}] }}"
    further = [nested(rng, item) for _ in range(rng.randint(1, 3))]
    return f"{{ all = [{', '.join([trigger(rng), *further])}] }}"


def rules_file(count: int, seed: int = 2026) -> str:
    rng = random.Random(seed)
    lines = [
        "[meta]",
        'name = "benchmark-rules"',
        'version = "1"',
        'owner = "benchmarks/rules.py"',
        "date = 2026-12-01",
    ]
    for number in range(count):
        family = rng.choices(["item", "end_user", "contract"], weights=[4, 4, 2])[0]
        where = "{item.name} for " if family == "item" else ""
        lines += [
            "",
            "[[rules]]",
            f'id = "BENCH-R-{number:03d}"',
            f'title = "Generated rule {number}"',
            f'family = "{family}"',
            f"condition = {condition(rng, family)}",
            f'outcome = "{rng.choice(["info", "safeguards_required", "escalate"])}"',
            f'severity = "{rng.choice(["low", "medium", "high"])}"',
            f"guidance = {_q(rng.sample(CLAUSES, rng.randint(1, 2)))}",
            f'message = "Rule {number}: {where}{{end_user.name}} ({{end_user.country}})"',
            'remediation = "Review the deal."',
        ]
    return "\n".join(lines) + "\n"


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def per_call(function: Callable[[Any], Any], documents: Sequence[Any], rounds: int) -> list[float]:
    samples = []
    clock = time.perf_counter
    for _ in range(rounds):
        for document in documents:
            start = clock()
            function(document)
            samples.append((clock() - start) * 1e6)
    return samples


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="transactions in the corpus")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the corpus")
    parser.add_argument("--rules", type=int, default=200, help="generated rules")
    args = parser.parse_args(argv)

    from hrdd import Engine
    from hrdd.model import Transaction
    from hrdd.plugins import core_version
    from hrdd.rules import PLUGIN_NAME

    directory = Path(tempfile.mkdtemp(prefix="hrdd-rules-bench-"))
    (directory / "rules.toml").write_text(rules_file(args.rules), encoding="utf-8")
    (directory / "policy.toml").write_text(
        '[policy]\nname = "baseline-with-rules"\nversion = "1"\nextends = "baseline"\nrules = ["rules.toml"]\n',
        encoding="utf-8",
    )
    Engine.from_policy(directory / "policy.toml", lock=False)  # imports and caches: not timed
    start = time.perf_counter()
    baseline = Engine.from_policy("baseline", lock=False)
    baseline_ms = (time.perf_counter() - start) * 1e3
    start = time.perf_counter()
    with_rules = Engine.from_policy(directory / "policy.toml", lock=False)
    build_ms = (time.perf_counter() - start) * 1e3
    ruleset = with_rules.plugins.by_name[PLUGIN_NAME].state
    families = {family: len(ruleset.family(family)) for family in ("item", "end_user", "contract")}

    documents = list(corpus.transactions(args.count))
    models = [Transaction.from_dict(document) for document in documents]
    # every free text different: no remembered text (matches) or finding can help
    cold = [Transaction.from_dict(d) for d in corpus.transactions(args.count, seed=7, unique_text=True)]
    items = sum(len(model.items) for model in models) / len(models)

    def rules_only(transaction: Transaction) -> int:
        found = 0
        for item in transaction.items:
            found += len(ruleset.check_item(item, transaction))
        found += len(ruleset.check("end_user", transaction))
        found += len(ruleset.check("contract", transaction))
        return found

    fired = sum(rules_only(model) for model in models) / len(models)
    for document in documents[:200]:  # warm caches and code paths before timing
        baseline.assess(document)
        with_rules.assess(document)

    rules_median, rules_p99 = percentiles(per_call(rules_only, models, args.rounds))
    cold_median, cold_p99 = percentiles(per_call(rules_only, cold, 1))
    base_median, base_p99 = percentiles(per_call(baseline.assess, documents, args.rounds))
    whole_median, whole_p99 = percentiles(per_call(with_rules.assess, documents, args.rounds))

    print(
        f"hrdd {core_version()} · Python {sys.version.split()[0]} · {args.count} transactions "
        f"({items:.2f} items each) x {args.rounds} rounds"
    )
    print(
        f"{args.rules} rules: {families['item']} item, {families['end_user']} end_user, "
        f"{families['contract']} contract; {fired:.1f} findings per transaction on average"
    )
    print(f"{'measure':<52} {'median us':>10} {'p99 us':>10}")
    print(
        f"{f'{args.rules} rules, check hooks only (per transaction)':<52} {rules_median:>10.1f} {rules_p99:>10.1f}"
    )
    print(f"{'  same, unique texts (cold)':<52} {cold_median:>10.1f} {cold_p99:>10.1f}")
    print(f"{'Engine.assess, baseline':<52} {base_median:>10.1f} {base_p99:>10.1f}")
    print(f"{f'Engine.assess, baseline + {args.rules} rules':<52} {whole_median:>10.1f} {whole_p99:>10.1f}")
    print()
    print(f"{'assessment with rules / without':<52} {whole_median / base_median:>9.2f}x")
    print(f"{'cost of the rules in a whole assessment':<52} {whole_median - base_median:>9.1f} us")
    print(
        f"{'rules hooks share of that cost':<52} {rules_median / max(whole_median - base_median, 1e-9):>9.0%}"
    )
    print(f"{'engine build, baseline':<52} {baseline_ms:>9.1f} ms")
    print(f"{f'engine build, baseline + {args.rules} rules':<52} {build_ms:>9.1f} ms")
    print()
    met = rules_median <= 100
    print(
        f"target {args.rules} rules on one transaction <= 100 us (median){'':<10} {'met' if met else 'NOT MET'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
