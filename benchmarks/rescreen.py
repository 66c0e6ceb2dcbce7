"""Benchmark: re-screening a corpus of past transactions against the changed entries of a new
list version (``hrdd rescreen``), against screening every distinct name of the corpus again
with the full index, in one run.

    python benchmarks/rescreen.py [--size 100000] [--transactions 1000000] [--changes 500]
                                  [--customers 50000]

Builds an old list (synthetic, U.S. Consolidated Screening List CSV format) and a new version
of it with ``--changes`` entries added or changed (half each: a new entry; an existing entry
given a new alias) and as many removed; a corpus of realistic transactions whose end users
and parties come from a pool of ``--customers`` names: most unlisted, some listed and
unchanged, and 200 planted variants (typos, reordering, legal forms, transliteration) of
changed entries. Reports the time to read and compare the lists and to scan the corpus,
whether every transaction with a planted name was found (recall) and how many others were
reported, and the time a full re-screening of every distinct corpus name against the whole new
list would take (measured on a sample, extrapolated), as a ratio.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins" / "hrdd-screening"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from corpus import transaction  # noqa: E402
from screening import listed_name, unlisted_word, variant, write_list  # noqa: E402

from hrdd_screening.index import Index  # noqa: E402
from hrdd_screening.lists import load_list  # noqa: E402
from hrdd_screening.normalise import normalise  # noqa: E402
from hrdd_screening.rescreen import Rescreener, diff_lists, rescreen_corpus, settings_from_policy  # noqa: E402

PLANTED = 200
KINDS = {
    "planted": "planted variants of changed entries (must be found)",
    "listed": "listed, unchanged names resembling a changed entry (genuine possible matches)",
    "unlisted": "unlisted names (false alarms)",
}


def new_version(
    old: Path, new: Path, changes: int, rng: random.Random
) -> tuple[list[str], list[str], set[str]]:
    """Write the new list version; the names of added entries and the new aliases of changed
    ones (what a re-screening must find), and the names of the entries changed or removed."""
    with old.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    name_at, alt_at, id_at = header.index("name"), header.index("alt_names"), header.index("_id")
    taken = {normalise(row[name_at]) for row in body}
    picked = rng.sample(range(len(body)), changes // 2 + changes)  # changed, then removed
    changed, removed = picked[: changes // 2], set(picked[changes // 2 :])
    fresh: list[str] = []
    while len(fresh) < changes - changes // 2 + len(changed):
        name = listed_name(rng)
        if normalise(name) not in taken:
            taken.add(normalise(name))
            fresh.append(name)
    added_names, aliases = fresh[: changes - changes // 2], fresh[changes - changes // 2 :]
    for i, alias in zip(changed, aliases, strict=True):
        body[i][alt_at] = alias
    kept = [row for i, row in enumerate(body) if i not in removed]
    for n, name in enumerate(added_names):
        row = dict.fromkeys(header, "")
        row.update(_id=f"new-{n}", source=body[0][header.index("source")], name=name, type="Entity")
        kept.append([row[c] for c in header])
    assert all(row[id_at] for row in kept)
    with new.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *kept])
    touched = {body[i][name_at] for i in picked}
    return added_names, aliases, touched


def write_corpus(
    path: Path,
    count: int,
    customers: int,
    listed: list[str],
    targets: list[str],
    rng: random.Random,
    index: Index,
    categories: dict[str, str],
) -> set[int]:
    """The corpus (JSON Lines); the line numbers whose end user is a planted variant. Fills
    ``categories``: each name of the pool and its kind (see ``KINDS``)."""
    pool: list[tuple[str, bool]] = []
    for target in rng.sample(targets, min(PLANTED, len(targets))):
        pool.append((variant(target, rng)[1], True))
        categories[pool[-1][0]] = "planted"
    for name in rng.sample(listed, min(len(listed), customers // 10)):
        pool.append((name, False))  # listed and unchanged: already screened, not a new hit
        categories[name] = "listed"
    while len(pool) < customers:
        # words neither listed nor a near spelling of a listed word: a report is a false alarm
        words = [unlisted_word(rng, index) for _ in range(rng.choice((2, 3)))]
        pool.append((" ".join(words) + " " + rng.choice(("Ltd.", "GmbH", "LLC", "S.A.", "")), False))
        categories[pool[-1][0]] = "unlisted"
    planted_lines: set[int] = set()
    intermediaries = [pool[rng.randrange(PLANTED, len(pool))][0] for _ in range(max(1, customers // 10))]
    with path.open("wb") as handle:
        for serial in range(count):
            document = transaction(rng, serial)
            name, planted = pool[rng.randrange(len(pool))] if serial % 50 else pool[serial // 50 % PLANTED]
            document["end_user"]["name"] = name
            document["parties"][0]["name"] = rng.choice(intermediaries)
            handle.write(orjson.dumps(document) + b"\n")
            if planted:
                planted_lines.add(serial + 1)
    return planted_lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="list entries")
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=500, help="entries added or changed (as many removed)")
    parser.add_argument("--customers", type=int, default=50_000, help="distinct end-user names in the corpus")
    parser.add_argument("--full-sample", type=int, default=2000, help="names screened in full to extrapolate")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    settings, _ = settings_from_policy(None)

    with tempfile.TemporaryDirectory() as tmp:
        old_path, new_path, corpus_path = (
            Path(tmp, "old.csv"),
            Path(tmp, "new.csv"),
            Path(tmp, "corpus.jsonl"),
        )
        listed = write_list(old_path, args.size, rng)
        added, aliases, touched = new_version(old_path, new_path, args.changes, rng)
        begin = time.perf_counter()
        new_list, _ = load_list(new_path)
        assert new_list is not None
        full = Index(new_list.entries)
        full_load = time.perf_counter() - begin
        unchanged = [name for name in listed if name not in touched]
        categories: dict[str, str] = {}
        planted = write_corpus(
            corpus_path, args.transactions, args.customers, unchanged, added + aliases, rng, full, categories
        )
        corpus_mib = corpus_path.stat().st_size / 2**20

        start = time.perf_counter()
        old, _ = load_list(old_path)
        new, _ = load_list(new_path)
        assert old is not None and new is not None
        diff = diff_lists(old.entries, new.entries)
        rescreener = Rescreener(diff, new, settings, background=True)  # as hrdd rescreen does
        prepared = time.perf_counter()
        found: set[int] = set()
        reported_names: set[str] = set()
        for record in rescreen_corpus(corpus_path, rescreener):
            assert "error" not in record, record
            found.add(record["line"])
            reported_names.update(hit["name"] for hit in record["hits"])
        finished = time.perf_counter()

        names = list(rescreener.name_near)
        sample = rng.sample(names, min(args.full_sample, len(names)))
        begin = time.perf_counter()
        for name in sample:
            full.search(name, None, settings.threshold, settings.max_matches)
        per_name = (time.perf_counter() - begin) / max(1, len(sample))

    scan = finished - prepared
    recall = len(found & planted) / max(1, len(planted))
    others = len(found - planted)
    kinds = {kind: sorted(n for n in reported_names if categories.get(n) == kind) for kind in KINDS}
    # a full re-screening reads the new list and indexes all of it, reads the same corpus
    # (counted here as the whole of our scan: an underestimate) and screens every name
    full_estimate = full_load + scan + per_name * len(names)
    total = finished - start
    print(
        f"lists: {args.size:,} entries, new version {len(diff.added)} added, {len(diff.changed)} changed, "
        f"{len(diff.removed)} removed; corpus {args.transactions:,} transactions ({corpus_mib:,.0f} MiB), "
        f"{len(names):,} distinct names"
    )
    print(
        f"rescreen: read and compare lists, index changed entries {prepared - start:.1f} s; scan corpus "
        f"{scan:.1f} s ({args.transactions / scan:,.0f} transactions/s); total {finished - start:.1f} s"
    )
    print(
        f"found: {len(found & planted):,} of {len(planted):,} transactions with a planted variant "
        f"(recall {recall:.4f}); {others:,} other transactions reported"
    )
    print(
        "distinct names reported: "
        + "; ".join(f"{len(kinds[kind]):,} {text}" for kind, text in KINDS.items())
        + (f" e.g. {kinds['unlisted'][:3]}" if kinds["unlisted"] else "")
    )
    print(
        f"full re-screen instead: load and index the whole new list {full_load:.1f} s, screen the "
        f"{len(names):,} distinct names {per_name * 1e3:.2f} ms each (sample of {len(sample):,}), read the "
        f"corpus: at least {full_estimate:.1f} s; re-screening the changed entries is {full_estimate / total:.1f}x "
        "faster"
    )


if __name__ == "__main__":
    main()
