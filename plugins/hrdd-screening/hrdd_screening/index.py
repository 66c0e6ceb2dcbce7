"""The screening index: every name and alias of every list entry, normalised once at load,
with a token index (and a one-deletion index of its tokens for typos) so a screened name is
compared with a few candidates, never with the whole list.

Candidates: the names sharing a token (or a near spelling of one) with the screened name,
skipping tokens too common to single out an entry; ranked by the weight of what they share
(a near spelling at 0.9, common words credited by set membership), the best ``PRESELECT``
re-ranked by an estimate of the score below over every token, the best ``CANDIDATES`` of
those (and any name with exactly the same tokens) fully scored.

Scoring (0-100), in words an analyst can check:

- each token of the two names is matched with its best counterpart: identical tokens count
  1.0, one edit apart (typo, transposition) 0.93 for tokens of 5+ letters and 0.85 for
  four-letter ones (one edit changes a quarter of the word), two edits apart
  (tokens of 9+ letters) 0.88, anything else 0;
- tokens are weighed by rarity in the loaded lists (inverse document frequency), generic
  business words ("technology", "group", "trading", "services"...) at a fraction of that, so
  shared common words do not make a match; a screened token found in no list (a typo or a
  transliteration) weighs as the heaviest listed word it is a near spelling of, so a typo in
  a generic word ("Solutoins") stays a generic word;
- the base score is the weaker of the two weighted coverages (how much of the list name
  the screened name accounts for, and the other way round): "Rapid Action Plumbing
  Services" covers two thirds of "Rapid Action Battalion" and is covered by half, so it is no
  match;
- a screened name wholly contained in the list name (every token matched) that covers at
  least a third of its weight, through a distinctive (non-generic) token, scores
  ``85 + 10 x`` the smaller coverage ("Hikvision" against "Hangzhou Hikvision Digital
  Technology"): at most 95, a possible match, never a confirmed one at the default
  ``confirm_at`` of 97;
- a list name wholly contained in the screened name is weaker evidence (the screened name
  has distinctive words the listed party's name lacks: "Sena Filuluni International" is not
  "Sena Ltd."): ``80 + 15 x`` the smaller coverage, from a coverage of one half;
- a name matched through near spellings of any token (typos, transliteration variants) is at
  most 96, a possible match for an analyst, never a confirmed one at the default
  ``confirm_at`` of 97;
- a country mismatch (both sides have one, and they differ) lowers the score by 5, so an
  exact name in another country is a possible match for an analyst to confirm, not a
  confirmed hit and never a clear.
"""

from __future__ import annotations

import gc
import heapq
import math
import sys
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from rapidfuzz.distance.OSA import distance as osa_distance

from hrdd_screening.lists import Entry, no_gc
from hrdd_screening.normalise import tokens as name_tokens

GENERIC_WORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "for",
        "de",
        "la",
        "le",
        "el",
        "al",
        "du",
        "des",
        "der",
        "den",
        "van",
        "von",
        "y",
        "e",
        "et",
        "technology",
        "technologies",
        "tech",
        "digital",
        "group",
        "international",
        "intl",
        "global",
        "trading",
        "trade",
        "traders",
        "services",
        "service",
        "solutions",
        "solution",
        "systems",
        "system",
        "industries",
        "industry",
        "industrial",
        "holding",
        "holdings",
        "enterprise",
        "enterprises",
        "science",
        "sciences",
        "scientific",
        "information",
        "electronics",
        "electronic",
        "engineering",
        "research",
        "institute",
        "network",
        "networks",
        "security",
        "communications",
        "communication",
        "telecom",
        "telecommunications",
        "software",
        "development",
        "import",
        "export",
        "imports",
        "exports",
        "investment",
        "investments",
        "capital",
        "management",
        "consulting",
        "logistics",
        "shipping",
        "general",
        "national",
        "new",
        "first",
        "company",
        "partners",
        "associates",
        "products",
        "manufacturing",
        "equipment",
        "supply",
        "supplies",
        "resources",
        "energy",
        "works",
        "center",
        "centre",
        "office",
        "bureau",
        "department",
        "public",
        "limited",
    ]
)
GENERIC_FACTOR = 0.15
ONE_EDIT = 0.93
ONE_EDIT_SHORT = 0.85  # four-letter tokens: one edit changes a quarter of the word
TWO_EDITS = 0.88
NEAR_CAP = 96.0  # a name matched through near spellings is at most a possible match
CANDIDATES = 12  # names fully scored per screened name
PRESELECT = 32  # names gathered from the postings and re-ranked by an estimate of the score
FUZZY = 0.9  # closeness of a near spelling when gathering candidates
FUZZY_SCAN = 256  # a near spelling with more names than this only credits gathered candidates
LONG_POSTING = 8192  # a posting this long is kept as a set once queried (see _posting_set)
EXACT_SCAN = 384  # ... and so does a word with more, once rarer words have gathered some


class Name(NamedTuple):
    tokens: tuple[str, ...]
    entry: int  # index into Index.entries
    original: str


class Match(NamedTuple):
    entry: Entry
    matched_name: str  # the list name or alias that matched
    score: float
    why: str


class Frequencies(NamedTuple):
    """How many names of a list contain each token, and how many names it has."""

    counts: Mapping[str, int]
    names: int


def frequencies(entries: Iterable[Entry]) -> Frequencies:
    """Token frequencies over the distinct names (and aliases) of ``entries``, counted as the
    index counts them."""
    counts: dict[str, int] = {}
    get = counts.get
    total = 0
    with no_gc():
        for entry in entries:
            alt_names = entry.alt_names
            seen: set[tuple[str, ...]] = set()
            for original in (entry.name, *alt_names) if alt_names else (entry.name,):
                toks = name_tokens(original)
                if not toks or toks in seen:
                    continue
                seen.add(toks)
                total += 1
                for token in set(toks):
                    counts[token] = get(token, 0) + 1
    return Frequencies(counts, total)


def _deletes(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


class Index:
    """Names and aliases of loaded list entries, indexed for candidate search."""

    def __init__(self, entries: Sequence[Entry], frequencies: Frequencies | None = None) -> None:
        """Index ``entries``. ``frequencies``: token weights from a larger list these entries
        are part of (re-screening indexes the changed entries of a list, and scores them as a
        screening against the whole list would)."""
        with no_gc():
            self._build(entries, frequencies)
        # The index lives as long as the engine: keep the collector from rescanning its
        # millions of objects at every full collection.
        gc.freeze()

    def _build(self, entries: Sequence[Entry], frequencies: Frequencies | None) -> None:
        self.entries = list(entries)
        names: list[Name] = []
        postings: dict[str, list[int]] = {}
        by_key: dict[tuple[str, ...], list[int]] = {}
        intern = sys.intern
        add_name = names.append
        for number, entry in enumerate(self.entries):
            alt_names = entry.alt_names
            seen: tuple[str, ...] | set[tuple[str, ...]] = ()
            for original in (entry.name, *alt_names) if alt_names else (entry.name,):
                toks = tuple([intern(t) for t in name_tokens(original)])
                if not toks or toks in seen:
                    continue
                if alt_names:
                    seen = {*seen, toks}
                name_id = len(names)
                add_name(Name(toks, number, original))
                for token in toks if len(toks) == len(set(toks)) else set(toks):
                    ids = postings.get(token)
                    if ids is None:
                        postings[token] = [name_id]
                    else:
                        ids.append(name_id)
                key = tuple(sorted(toks))
                same = by_key.get(key)
                if same is None:
                    by_key[key] = [name_id]
                else:
                    same.append(name_id)
        self.names = names
        self.postings = postings
        self.by_key = by_key
        log = math.log
        if frequencies is None:
            total = max(1, len(self.names))
            counts: Mapping[str, int] = {token: len(ids) for token, ids in postings.items()}
        else:
            total = max(1, frequencies.names)
            counts = {**{token: len(ids) for token, ids in postings.items()}, **frequencies.counts}
        self.max_weight = log(1 + total)
        self.weights = {
            token: log(1 + total / count) * (GENERIC_FACTOR if token in GENERIC_WORDS else 1.0)
            for token, count in counts.items()
        }
        # Postings longer than this are skipped when gathering candidates (a word that common
        # cannot single out an entry; exact and reordered names are still found through by_key).
        self.common = max(1000, total // 500)
        # ... but a candidate gathered through a rarer word is credited with the common words it
        # also has, by membership in their postings ("Sega Solutions" before "Sega Holdings"):
        # postings are sorted name ids, so membership is a binary search.
        deletes: dict[str, list[str]] = {}
        get = deletes.get
        for token in postings:
            if len(token) >= 4:
                for i in range(len(token)):
                    variant = token[:i] + token[i + 1 :]
                    found = get(variant)
                    if found is None:
                        deletes[variant] = [token]
                    elif found[-1] is not token:
                        found.append(token)
        self.deletes = deletes
        self._sets: dict[str, frozenset[int]] = {}

    # ----------------------------------------------------------------------------------

    def _posting_set(self, token: str) -> frozenset[int]:
        """The names of a very frequent word as a set (built on first use, a bounded number
        kept), for fast membership of gathered candidates."""
        found = self._sets.get(token)
        if found is None:
            if len(self._sets) >= 256:
                self._sets.clear()
            found = self._sets[token] = frozenset(self.postings[token])
        return found

    def weight(self, token: str) -> float:
        found = self.weights.get(token)
        if found is not None:
            return found
        return self.max_weight * (GENERIC_FACTOR if token in GENERIC_WORDS else 1.0)

    def similar_tokens(self, token: str) -> set[str]:
        """Vocabulary tokens equal to ``token`` or (for 4+ letters) within one deletion on
        each side of it: typos, transpositions, a letter missing or added."""
        found = {token} if token in self.postings else set()
        if len(token) < 4:
            return found
        deletes = self.deletes
        postings = self.postings
        found.update(deletes.get(token, ()))
        for variant in _deletes(token):
            if variant in postings:
                found.add(variant)
            found.update(deletes.get(variant, ()))
        return found

    def query_similars(self, query: tuple[str, ...]) -> dict[str, dict[str, float]]:
        """For each distinct query token, the vocabulary tokens it may stand for and how close
        they are (1.0 the same token, ``FUZZY`` one deletion away on each side)."""
        out: dict[str, dict[str, float]] = {}
        for token in query:
            if token not in out:
                out[token] = {s: (1.0 if s == token else FUZZY) for s in self.similar_tokens(token)}
        return out

    def query_weight(self, token: str, similars: dict[str, float]) -> float:
        """A query token's weight: its own if it is in the lists' vocabulary, else (a typo or a
        transliteration of a listed word) that of the heaviest word it is close to, else the
        weight of a word seen nowhere."""
        found = self.weights.get(token)
        if found is not None:
            return found
        if similars:
            weights = self.weights
            return max(weights[s] for s in similars)
        return self.weight(token)

    def candidates(
        self, query: tuple[str, ...], sims: dict[str, dict[str, float]] | None = None
    ) -> list[int]:
        """Names worth scoring: gathered through the postings of the query's tokens and their
        near spellings (common tokens skipped), pre-ranked by weighted token overlap, then
        re-ranked by an estimate of the score (weighted coverage both ways) over every token."""
        if sims is None:
            sims = self.query_similars(query)
        scores: dict[int, float] = {}
        postings = self.postings
        weights = self.weights
        common = self.common
        deferred: list[tuple[str, list[int], float]] = []
        # rarest first: the rarest words single out the entry; once they have gathered
        # candidates, a frequent word (or a near spelling of one) only adds to those
        lists = sorted(
            (
                (similar, postings[similar], weights[similar] * closeness, closeness)
                for similars in sims.values()
                for similar, closeness in similars.items()
            ),
            key=lambda entry: len(entry[1]),
        )
        get = scores.get
        for similar, ids, w, closeness in lists:
            size = len(ids)
            if size > common or (closeness < 1.0 and size > FUZZY_SCAN) or (scores and size > EXACT_SCAN):
                deferred.append((similar, ids, w))
                continue
            for name_id in ids:
                scores[name_id] = get(name_id, 0.0) + w
        if deferred and scores:
            gathered = list(scores)
            for similar, ids, w in deferred:
                size = len(ids)
                if size <= 16 * len(gathered):
                    members: Iterable[int] = scores.keys() & ids  # a set intersection, in C
                elif size >= LONG_POSTING:
                    members = self._posting_set(similar).intersection(gathered)
                else:  # binary search for each gathered candidate
                    members = [n for n in gathered if (at := bisect_left(ids, n)) < size and ids[at] == n]
                for name_id in members:
                    scores[name_id] += w
        exact = self.by_key.get(tuple(sorted(query)), ())
        if len(scores) > CANDIDATES:
            gathered = heapq.nlargest(PRESELECT, scores, key=scores.__getitem__)
            q_weights = [(self.query_weight(t, sims[t]), sims[t]) for t in dict.fromkeys(query)]
            q_total = sum(w for w, _ in q_weights) or 1.0
            names = self.names
            estimate: dict[int, float] = {}
            for name_id in gathered:
                listed = names[name_id].tokens
                q_matched = 0.0
                for w, similars in q_weights:
                    best = 0.0
                    for token in listed:
                        c = similars.get(token, 0.0)
                        if c > best:
                            best = c
                    q_matched += w * best
                l_total = l_matched = 0.0
                for token in listed:
                    w = weights[token]
                    l_total += w
                    best = 0.0
                    for _, similars in q_weights:
                        c = similars.get(token, 0.0)
                        if c > best:
                            best = c
                    l_matched += w * best
                q_cov = q_matched / q_total
                l_cov = l_matched / l_total if l_total else 0.0
                low = min(q_cov, l_cov)
                if q_cov >= 0.99 and low >= 1 / 3:
                    low = max(low, 0.85 + 0.1 * low)
                elif l_cov >= 0.99 and low >= 0.5:
                    low = max(low, 0.80 + 0.15 * low)
                estimate[name_id] = low
            best_ids = heapq.nlargest(CANDIDATES, estimate, key=estimate.__getitem__)
        else:
            best_ids = list(scores)
        return list(dict.fromkeys([*exact, *best_ids]))

    def search(
        self, name: str, country: str | None = None, threshold: float = 0.0, limit: int = 5
    ) -> list[Match]:
        """The list entries whose names score at least ``threshold`` against ``name``, best
        first, one match per entry (its best-scoring name or alias)."""
        query = name_tokens(name)
        if not query:
            return []
        sims = self.query_similars(query)
        q_weights = {token: self.query_weight(token, similars) for token, similars in sims.items()}
        best: dict[int, Match] = {}
        for name_id in self.candidates(query, sims):
            listed = self.names[name_id]
            entry = self.entries[listed.entry]
            score, why = score_tokens(self, query, listed.tokens, q_weights)
            if country and entry.countries:
                if country.upper() in entry.countries:
                    why += f"; country {country.upper()} matches the entry"
                else:
                    score -= 5
                    why += (
                        f"; country {country.upper()} differs from the entry's "
                        f"({', '.join(sorted(entry.countries))}): -5"
                    )
            if score < threshold:
                continue
            previous = best.get(listed.entry)
            if previous is None or score > previous.score:
                best[listed.entry] = Match(entry, listed.original, round(score, 1), why)
        ranked = sorted(best.values(), key=lambda m: (-m.score, m.entry.name))
        return ranked[:limit]


def token_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    shorter = min(len(a), len(b))
    if shorter < 4 or abs(len(a) - len(b)) > 2:
        return 0.0
    distance = osa_distance(a, b, score_cutoff=2)
    if distance == 1:
        return ONE_EDIT if shorter >= 5 else ONE_EDIT_SHORT
    if distance == 2 and shorter >= 9:
        return TWO_EDITS
    return 0.0


def _coverage(
    index: Index, side: Iterable[str], other: tuple[str, ...], weights: dict[str, float] | None = None
) -> tuple[float, float, bool, list[str]]:
    """Weighted share of ``side`` matched in ``other``; whether every token matched; whether a
    distinctive (non-generic) token matched; notes on fuzzy token matches."""
    total = matched = 0.0
    complete = True
    distinctive = False
    notes: list[str] = []
    for token in side:
        w = weights[token] if weights is not None and token in weights else index.weight(token)
        best, partner = 0.0, ""
        for candidate in other:
            s = token_similarity(token, candidate)
            if s > best:
                best, partner = s, candidate
                if s == 1.0:
                    break
        total += w
        matched += w * best
        if best == 0.0:
            complete = False
        else:
            if token not in GENERIC_WORDS:
                distinctive = True
            if best < 1.0:
                notes.append(f"{token!r}~{partner!r}")
    return (matched / total if total else 0.0), total, complete and distinctive, notes


def score_tokens(
    index: Index, query: tuple[str, ...], listed: tuple[str, ...], q_weights: dict[str, float] | None = None
) -> tuple[float, str]:
    """The score (0-100) of a screened name against a list name, and why. ``q_weights``: the
    screened name's token weights (a token not in the lists weighs as the listed word it is
    a near spelling of, see ``Index.query_weight``)."""
    if query == listed or sorted(query) == sorted(listed):
        return 100.0, "same name after normalisation" + (" (tokens reordered)" if query != listed else "")
    q_cov, _, q_contained, q_notes = _coverage(index, query, listed, q_weights)
    l_cov, _, l_contained, l_notes = _coverage(index, listed, query)
    base = 100.0 * min(q_cov, l_cov)
    why = f"weighted token coverage: screened name {q_cov:.2f}, list name {l_cov:.2f}"
    if q_notes:
        why += "; near tokens " + ", ".join(q_notes)
    score = base
    smaller = min(q_cov, l_cov)
    if q_contained and smaller >= 1 / 3 and q_cov >= 0.99:
        contained = 100.0 * (0.85 + 0.10 * smaller)
        if contained > score:
            score = contained
            why += f"; the screened name is contained in the list name: 85 + 10 x {smaller:.2f}"
    elif l_contained and smaller >= 0.5 and l_cov >= 0.99:
        # the screened name has words the list name lacks: weaker evidence of the same party
        contained = 100.0 * (0.80 + 0.15 * smaller)
        if contained > score:
            score = contained
            why += f"; the list name is contained in the screened name: 80 + 15 x {smaller:.2f}"
    if (q_notes or l_notes) and score > NEAR_CAP:
        # a name matched only through near spellings is for an analyst to confirm
        score = NEAR_CAP
        why += f"; near spellings only: at most {NEAR_CAP:g}"
    # only the same name after normalisation is 100: anything else is at most 99
    return min(score, 99.0), why
