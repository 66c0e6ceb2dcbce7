"""Benchmark: hrdd-screening's indexed matching against brute-force rapidfuzz, in one run.

    python benchmarks/screening.py [--size 100000] [--queries 2000] [--brute-sample 200]

Builds a synthetic list in the U.S. Consolidated Screening List CSV format (pseudo-word
names with generic business words and legal forms), a query set of known variants of listed
names (typos, reordered tokens, dropped or changed legal suffixes, Cyrillic transliterations)
and non-listed near-names (a listed name with its distinctive word replaced, or generic words
only), then reports recall, false alarms per 1,000 non-listed names, queries per second, list
load time and resident memory; and brute force (rapidfuzz ``process.extractOne`` with
``token_sort_ratio`` over the whole list) on a sample of the same queries, as a ratio.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins" / "hrdd-screening"))

from hrdd_screening.index import Index  # noqa: E402
from hrdd_screening.lists import CSL_HEADER, load_list  # noqa: E402
from hrdd_screening.normalise import normalise  # noqa: E402
from hrdd_screening.plugin import CONFIG_SCHEMA  # noqa: E402

# Recall counts a variant as found only if its entry is among the matches the plugin reports
# to the analyst (``max_matches``, 5 by default), not a longer list it never shows.
REPORTED = int(CONFIG_SCHEMA["max_matches"]["default"])

SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "ta",
    "ne",
    "lu",
    "vo",
    "sa",
    "re",
    "di",
    "po",
    "ga",
    "zu",
    "ti",
    "ba",
    "le",
    "mo",
    "ku",
    "na",
    "fi",
    "se",
    "do",
    "ra",
    "ve",
    "ni",
]
GENERIC = [
    "Technology",
    "Group",
    "Trading",
    "International",
    "Global",
    "Services",
    "Solutions",
    "Systems",
    "Holdings",
    "Industries",
]
FORMS = ["Co., Ltd.", "Ltd.", "LLC", "S.A.", "GmbH", "PTE. LTD.", "Zrt.", "JSC", "Inc.", ""]
SOURCES = [
    "Entity List (EL) - Bureau of Industry and Security",
    "Specially Designated Nationals (SDN) - Treasury Department",
    "Unverified List (UVL) - Bureau of Industry and Security",
]
CYRILLIC = dict(zip("abdefgiklmnoprstuvz", "абдефгиклмнопрстувз", strict=True)) | {
    "c": "к", "h": "х", "j": "дж", "q": "к", "w": "в", "x": "кс", "y": "ы",  # noqa: RUF001
}  # fmt: skip


def pseudo_word(rng: random.Random, longer: int = 0) -> str:
    low, high = 2 + longer, 4 + longer
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(low, high))).capitalize()


def listed_name(rng: random.Random) -> str:
    words = [pseudo_word(rng) for _ in range(rng.choice((1, 2, 2, 3)))]
    if rng.random() < 0.6:
        words.append(rng.choice(GENERIC))
    return " ".join(words) + (" " + rng.choice(FORMS) if rng.random() < 0.8 else "")


def write_list(path: Path, size: int, rng: random.Random) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSL_HEADER)
        while len(names) < size:
            name = listed_name(rng)
            key = normalise(name)
            if key in seen:
                continue
            seen.add(key)
            names.append(name)
            row = dict.fromkeys(CSL_HEADER, "")
            row.update(_id=str(len(names)), source=rng.choice(SOURCES), name=name, type="Entity")
            writer.writerow([row[c] for c in CSL_HEADER])
    return names


def core(name: str) -> list[str]:
    return normalise(name).split()


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("sub", "del", "ins", "swap"))
    letter = rng.choice("aeioukmnrst")
    if kind == "sub":
        return word[:i] + letter + word[i + 1 :]
    if kind == "del":
        return word[:i] + word[i + 1 :]
    if kind == "ins":
        return word[:i] + letter + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def variant(name: str, rng: random.Random) -> tuple[str, str]:
    words = core(name)
    kind = rng.choice(("typo", "reorder", "suffix", "transliteration"))
    if kind == "typo":
        long = [i for i, w in enumerate(words) if len(w) >= 5]
        if long:
            i = rng.choice(long)
            words[i] = typo(words[i], rng)
        return kind, " ".join(words) + " " + rng.choice(FORMS)
    if kind == "reorder":
        rng.shuffle(words)
        return kind, " ".join(words)
    if kind == "suffix":
        return kind, " ".join(words) + " " + rng.choice(FORMS)
    return kind, " ".join("".join(CYRILLIC.get(c, c) for c in w) for w in words)


def unlisted_word(rng: random.Random, index: Index) -> str:
    """A pseudo-word neither in the list's vocabulary nor one edit from a word in it (else the
    "non-listed" name could be a genuine near match of a listed one). A large list uses up
    most short pseudo-words: after some tries the word gets a syllable longer."""
    attempt = 0
    while True:
        word = pseudo_word(rng, longer=attempt // 25).lower()
        if not index.similar_tokens(word):
            return word
        attempt += 1


def near_name(name: str, rng: random.Random, listed: set[str], index: Index) -> str:
    while True:
        words = core(name)
        distinctive = [i for i, w in enumerate(words) if w.capitalize() not in GENERIC]
        words[rng.choice(distinctive)] = unlisted_word(rng, index)
        if rng.random() < 0.3:
            words = [rng.choice(GENERIC).lower() for _ in range(2)] + [unlisted_word(rng, index)]
        candidate = " ".join(words) + " " + rng.choice(FORMS)
        if normalise(candidate) not in listed:
            return candidate


def rss_mib() -> float:
    """The process's resident memory now, in MiB (Linux /proc; peak RSS elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--brute-sample", type=int, default=200)
    parser.add_argument("--threshold", type=float, default=88)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--max-matches", type=int, default=REPORTED, help="matches reported per name (the plugin's default)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic-csl.csv"
        names = write_list(path, args.size, rng)
        rss_before = rss_mib()
        start = time.perf_counter()
        loaded, problems = load_list(path)
        assert loaded is not None, problems
        parsed = time.perf_counter()
        index = Index(loaded.entries)
        load_seconds = time.perf_counter() - start
        parse_seconds = parsed - start
        memory = rss_mib() - rss_before

    listed_keys = {normalise(n) for n in names}
    targets = [rng.randrange(len(names)) for _ in range(args.queries)]
    variants = [(t, *variant(names[t], rng)) for t in targets]
    nears = [
        near_name(names[rng.randrange(len(names))], rng, listed_keys, index) for _ in range(args.queries)
    ]

    start = time.perf_counter()
    found_by_kind: dict[str, list[int]] = {}
    for target, kind, query in variants:
        hits = index.search(query, None, args.threshold, limit=args.max_matches)
        ok = any(normalise(m.entry.name) == normalise(names[target]) for m in hits)
        found_by_kind.setdefault(kind, []).append(int(ok))
    alarms = sum(1 for query in nears if index.search(query, None, args.threshold, limit=args.max_matches))
    elapsed = time.perf_counter() - start
    qps = (len(variants) + len(nears)) / elapsed

    from rapidfuzz import fuzz, process

    choices = [normalise(n) for n in names]
    sample = rng.sample(range(len(variants)), min(args.brute_sample, len(variants)))
    near_sample = nears[: args.brute_sample]
    start = time.perf_counter()
    brute_ok = 0
    for i in sample:
        target, _, query = variants[i]
        result = process.extractOne(
            normalise(query), choices, scorer=fuzz.token_sort_ratio, score_cutoff=args.threshold
        )
        brute_ok += int(result is not None and result[0] == choices[target])
    brute_alarms = sum(
        1
        for q in near_sample
        if process.extractOne(
            normalise(q), choices, scorer=fuzz.token_sort_ratio, score_cutoff=args.threshold
        )
    )
    brute_elapsed = time.perf_counter() - start
    brute_qps = (len(sample) + len(near_sample)) / brute_elapsed

    total = sum(sum(v) for v in found_by_kind.values()) / len(variants)
    print(
        f"list: {args.size:,} synthetic CSL entries, {len(index.names):,} names; threshold {args.threshold:g}"
    )
    print(f"load: {load_seconds:.1f} s (parse {parse_seconds:.1f} s, normalise and index "
          f"{load_seconds - parse_seconds:.1f} s); memory {memory:,.0f} MiB resident for the loaded list and index")  # fmt: skip
    print(f"indexed: recall (entry among the top {args.max_matches} reported) on {len(variants)} variants {total:.4f} ("
          + ", ".join(f"{k} {sum(v) / len(v):.3f}" for k, v in sorted(found_by_kind.items()))
          + f"); false alarms {1000 * alarms / len(nears):.1f} per 1,000 non-listed names; {qps:,.0f} queries/s")  # fmt: skip
    print(f"brute force (extractOne token_sort_ratio, {len(sample)}+{len(near_sample)} queries): recall "
          f"{brute_ok / max(1, len(sample)):.4f}; false alarms {1000 * brute_alarms / max(1, len(near_sample)):.1f} "
          f"per 1,000; {brute_qps:,.1f} queries/s")  # fmt: skip
    print(f"speed ratio indexed / brute force: {qps / brute_qps:,.0f}x")


if __name__ == "__main__":
    main()
