"""The screening index: every name and alias of every list entry, normalised once at load,
with a token index (and a one-deletion index of its tokens for typos) so a screened name is
compared with a few candidates, never with the whole list.

Scoring (0-100), in words an analyst can check:

- each token of the two names is matched with its best counterpart: identical tokens count
  1.0, one edit apart (typo, transposition; tokens of 4+ letters) 0.93, two edits apart
  (tokens of 7+ letters) 0.88, anything else 0;
- tokens are weighed by rarity in the loaded lists (inverse document frequency), generic
  business words ("technology", "group", "trading", "services"...) at a fraction of that, so
  shared common words do not make a match;
- the base score is the weaker of the two weighted coverages (how much of the list name
  the screened name accounts for, and the other way round): "Rapid Action Plumbing
  Services" covers two thirds of "Rapid Action Battalion" and is covered by half, so it is no
  match;
- a name that is wholly contained in the other (every token matched) and covers at least a
  third of the other's weight, through a distinctive (non-generic) token, scores
  ``85 + 10 x`` the smaller coverage ("Hikvision" against "Hangzhou Hikvision Digital
  Technology"): at most 95, a possible match, never a confirmed one at the default
  ``confirm_at`` of 97;
- a country mismatch (both sides have one, and they differ) lowers the score by 5, so an
  exact name in another country is a possible match for an analyst to confirm, not a
  confirmed hit and never a clear.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from hrdd_screening.lists import Entry
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
TWO_EDITS = 0.88
CANDIDATES = 12  # names fully scored per screened name


class Name(NamedTuple):
    tokens: tuple[str, ...]
    entry: int  # index into Index.entries
    original: str


class Match(NamedTuple):
    entry: Entry
    matched_name: str  # the list name or alias that matched
    score: float
    why: str


def _deletes(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


class Index:
    """Names and aliases of loaded list entries, indexed for candidate search."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = list(entries)
        self.names: list[Name] = []
        postings: dict[str, list[int]] = {}
        by_key: dict[tuple[str, ...], list[int]] = {}
        for number, entry in enumerate(self.entries):
            seen: set[tuple[str, ...]] = set()
            for original in (entry.name, *entry.alt_names):
                toks = name_tokens(original)
                if not toks or toks in seen:
                    continue
                seen.add(toks)
                name_id = len(self.names)
                self.names.append(Name(toks, number, original))
                for token in set(toks):
                    postings.setdefault(token, []).append(name_id)
                by_key.setdefault(tuple(sorted(toks)), []).append(name_id)
        self.postings = postings
        self.by_key = by_key
        total = max(1, len(self.names))
        self.max_weight = math.log(1 + total)
        self.weights = {
            token: math.log(1 + total / len(ids)) * (GENERIC_FACTOR if token in GENERIC_WORDS else 1.0)
            for token, ids in postings.items()
        }
        # Postings longer than this are skipped when gathering candidates (a word that common
        # cannot single out an entry; exact and reordered names are still found through by_key).
        self.common = max(1000, total // 500)
        deletes: dict[str, list[str]] = {}
        for token in postings:
            if len(token) >= 4:
                for variant in _deletes(token):
                    deletes.setdefault(variant, []).append(token)
        self.deletes = deletes

    # ----------------------------------------------------------------------------------

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

    def candidates(self, query: tuple[str, ...]) -> list[int]:
        scores: dict[int, float] = {}
        postings = self.postings
        common = self.common
        for token in set(query):
            for similar in self.similar_tokens(token):
                ids = postings[similar]
                if len(ids) > common:
                    continue
                w = self.weights[similar]
                for name_id in ids:
                    scores[name_id] = scores.get(name_id, 0.0) + w
        exact = self.by_key.get(tuple(sorted(query)), ())
        best = sorted(scores, key=scores.__getitem__, reverse=True)[:CANDIDATES]
        return list(dict.fromkeys([*exact, *best]))

    def search(
        self, name: str, country: str | None = None, threshold: float = 0.0, limit: int = 5
    ) -> list[Match]:
        """The list entries whose names score at least ``threshold`` against ``name``, best
        first, one match per entry (its best-scoring name or alias)."""
        query = name_tokens(name)
        if not query:
            return []
        best: dict[int, Match] = {}
        for name_id in self.candidates(query):
            listed = self.names[name_id]
            entry = self.entries[listed.entry]
            score, why = score_tokens(self, query, listed.tokens)
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
    from rapidfuzz.distance import OSA

    distance = OSA.distance(a, b, score_cutoff=2)
    if distance == 1:
        return ONE_EDIT
    if distance == 2 and shorter >= 7:
        return TWO_EDITS
    return 0.0


def _coverage(
    index: Index, side: Iterable[str], other: tuple[str, ...]
) -> tuple[float, float, bool, list[str]]:
    """Weighted share of ``side`` matched in ``other``; whether every token matched; whether a
    distinctive (non-generic) token matched; notes on fuzzy token matches."""
    total = matched = 0.0
    complete = True
    distinctive = False
    notes: list[str] = []
    for token in side:
        w = index.weight(token)
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


def score_tokens(index: Index, query: tuple[str, ...], listed: tuple[str, ...]) -> tuple[float, str]:
    """The score (0-100) of a screened name against a list name, and why."""
    if query == listed or sorted(query) == sorted(listed):
        return 100.0, "same name after normalisation" + (" (tokens reordered)" if query != listed else "")
    q_cov, _, q_contained, q_notes = _coverage(index, query, listed)
    l_cov, _, l_contained, _ = _coverage(index, listed, query)
    base = 100.0 * min(q_cov, l_cov)
    why = f"weighted token coverage: screened name {q_cov:.2f}, list name {l_cov:.2f}"
    if q_notes:
        why += "; near tokens " + ", ".join(q_notes)
    score = base
    smaller = min(q_cov, l_cov)
    if (q_contained or l_contained) and smaller >= 1 / 3 and max(q_cov, l_cov) >= 0.99:
        contained = 100.0 * (0.85 + 0.10 * smaller)
        if contained > score:
            score = contained
            side = "screened name" if q_contained else "list name"
            why += f"; the {side} is contained in the other: 85 + 10 x {smaller:.2f}"
    # only the same name after normalisation is 100: anything else is at most 99
    return min(score, 99.0), why
