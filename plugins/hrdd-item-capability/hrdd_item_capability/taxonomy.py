"""The capability taxonomy: loading, validating and applying ``data/capabilities.toml``."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from hrdd import DataSet, PolicyError, load_data_file
from hrdd.errors import Problem
from hrdd.model import CAPABILITIES, DESIGN_SAFEGUARDS, ITEM_CATEGORIES

PACKAGE_DIR = Path(__file__).resolve().parent
INTENT_KINDS = ("safeguard_removal", "covert_or_mass", "targets_rights")

# A negation earlier in the same clause ("no face matching", "without remote access")
# or a "disabled" right after ("face matching disabled") means the capability is absent.
_NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|non|without|never|exclud\w*|disabl\w*|cannot|can't|doesn't|isn't|lacks?)\b[^.;:!?,]*$",
)
_NEGATION_AFTER = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(?:disabled|removed|turned off|switched off|not (?:included|enabled|supported|available|provided))\b",
)
# Patterns match lowercased text (case-sensitive matching of lowercase text is about twice as
# fast as case-insensitive matching), so they must be written in lowercase.
_ESCAPE = re.compile(r"\\.")
_WINDOW = 48
SCAN_CACHE_SIZE = 8192


def default_data_path() -> Path:
    """The shipped taxonomy: inside the package in a wheel, beside it in a source tree."""
    inside = PACKAGE_DIR / "data" / "capabilities.toml"
    return inside if inside.is_file() else PACKAGE_DIR.parent / "data" / "capabilities.toml"


@attrs.frozen
class Capability:
    name: str
    label: str
    weight: int
    floor: int
    mitigated_by: tuple[str, ...]


@attrs.frozen
class Phrase:
    kind: str  # a capability name, or an intent kind
    label: str
    pattern: re.Pattern[str]


@attrs.frozen
class Match:
    """A phrase found in a text, with a readable snippet for evidence."""

    kind: str
    label: str
    snippet: str


@attrs.frozen
class Taxonomy:
    capabilities: Mapping[str, Capability]
    categories: Mapping[str, tuple[str, ...]]
    phrases: tuple[Phrase, ...]
    intents: tuple[Phrase, ...]
    dataset: DataSet
    # Product descriptions repeat across a catalogue's transactions: scan each text once.
    _scanned: dict[tuple[bool, str], tuple[Match, ...]] = attrs.field(factory=dict, eq=False, repr=False)

    def _cached(self, intents: bool, text: str) -> tuple[Match, ...]:
        key = (intents, text)
        found = self._scanned.get(key)
        if found is None:
            if len(self._scanned) >= SCAN_CACHE_SIZE:
                self._scanned.clear()
            found = self._scanned[key] = _scan(self.intents if intents else self.phrases, text)
        return found

    def scan(self, text: str) -> tuple[Match, ...]:
        """Capabilities revealed by a free text (negated mentions excluded)."""
        return self._cached(False, text) if text else ()

    def scan_intents(self, text: str) -> tuple[Match, ...]:
        """Intentions revealed by a free text (negated mentions excluded)."""
        return self._cached(True, text) if text else ()


def _snippet(text: str, start: int, end: int) -> str:
    left = max(0, start - 30)
    right = min(len(text), end + 30)
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    while right < len(text) and not text[right].isspace():
        right += 1
    snippet = " ".join(text[left:right].split())
    return ("..." if left > 0 else "") + snippet + ("..." if right < len(text) else "")


def _negated(text: str, start: int, end: int) -> bool:
    return bool(
        _NEGATION_BEFORE.search(text[max(0, start - _WINDOW) : start])
        or _NEGATION_AFTER.search(text[end : end + 40])
    )


def _scan(phrases: tuple[Phrase, ...], text: str) -> tuple[Match, ...]:
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lowercase to two: quote the lowered text
        text = lowered
    found: dict[str, Match] = {}
    for phrase in phrases:
        if phrase.kind in found:
            continue
        for match in phrase.pattern.finditer(lowered):
            if not _negated(lowered, match.start(), match.end()):
                found[phrase.kind] = Match(phrase.kind, phrase.label, _snippet(text, match.start(), match.end()))
                break
    return tuple(found.values())


def _compile(
    rows: Any, table: str, allowed: Sequence[str], source: str, problems: list[Problem]
) -> tuple[Phrase, ...]:
    if not isinstance(rows, list):
        problems.append(Problem(source, f"$.{table}", "must be an array of tables ([[" + table + "]])"))
        return ()
    key = "capability" if table == "phrases" else "kind"
    phrases = []
    for index, row in enumerate(rows):
        where = f"$.{table}[{index}]"
        if not isinstance(row, dict):
            problems.append(Problem(source, where, "must be a table"))
            continue
        kind, label, pattern = row.get(key), row.get("label"), row.get("pattern")
        if kind not in allowed:
            problems.append(
                Problem(source, f"{where}.{key}", f"{kind!r} is not one of: {', '.join(allowed)}")
            )
            continue
        if not isinstance(label, str) or not isinstance(pattern, str):
            problems.append(Problem(source, where, "needs a string 'label' and a string 'pattern'"))
            continue
        if re.search("[A-Z]", _ESCAPE.sub("", pattern)):
            problems.append(
                Problem(source, f"{where}.pattern", "write patterns in lowercase: text is lowercased before matching")
            )
            continue
        try:
            phrases.append(Phrase(kind, label, re.compile(pattern)))
        except re.error as exc:
            problems.append(Problem(source, f"{where}.pattern", f"invalid regular expression: {exc}"))
    return tuple(phrases)


def _capabilities(rows: Any, source: str, problems: list[Problem]) -> dict[str, Capability]:
    if not isinstance(rows, dict):
        problems.append(Problem(source, "$.capabilities", "missing table of capabilities"))
        return {}
    capabilities = {}
    for name in CAPABILITIES:
        row = rows.get(name)
        where = f"$.capabilities.{name}"
        if not isinstance(row, dict):
            problems.append(
                Problem(source, where, "missing: every capability of the transaction schema needs a weight")
            )
            continue
        weight, floor, mitigations = row.get("weight"), row.get("floor"), row.get("mitigated_by", [])
        if not isinstance(weight, int) or not 1 <= weight <= 5:
            problems.append(
                Problem(source, f"{where}.weight", f"{weight!r}: expected an integer from 1 to 5")
            )
            continue
        if not isinstance(floor, int) or not 0 <= floor <= weight:
            problems.append(
                Problem(source, f"{where}.floor", f"{floor!r}: expected an integer from 0 to the weight")
            )
            continue
        unknown = (
            [m for m in mitigations if m not in DESIGN_SAFEGUARDS]
            if isinstance(mitigations, list)
            else [mitigations]
        )
        if unknown:
            problems.append(
                Problem(source, f"{where}.mitigated_by", f"unknown design safeguard(s) {unknown!r}")
            )
            continue
        capabilities[name] = Capability(name, str(row.get("label", name)), weight, floor, tuple(mitigations))
    for name in sorted(set(rows) - set(CAPABILITIES)):
        problems.append(
            Problem(source, f"$.capabilities.{name}", "not a capability of the transaction schema")
        )
    return capabilities


def _categories(rows: Any, source: str, problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    if not isinstance(rows, dict):
        problems.append(Problem(source, "$.categories", "missing table of categories"))
        return {}
    categories = {}
    for name in ITEM_CATEGORIES:
        implied = rows.get(name)
        if not isinstance(implied, list):
            problems.append(
                Problem(
                    source,
                    f"$.categories.{name}",
                    "missing: every item category needs its implied capabilities",
                )
            )
            continue
        unknown = [c for c in implied if c not in CAPABILITIES]
        if unknown:
            problems.append(Problem(source, f"$.categories.{name}", f"unknown capabilities {unknown!r}"))
            continue
        categories[name] = tuple(implied)
    for name in sorted(set(rows) - set(ITEM_CATEGORIES)):
        problems.append(
            Problem(source, f"$.categories.{name}", "not an item category of the transaction schema")
        )
    return categories


def load_taxonomy(path: Path) -> Taxonomy:
    """Load and check a taxonomy file; every problem of the file is reported together.

    :raises PolicyError: the file is missing, malformed or incomplete.
    """
    data, dataset = load_data_file(path)
    return _build(data, dataset, str(path))


@functools.lru_cache(maxsize=16)
def _build_cached(path: Path, sha256: str) -> Taxonomy:
    return load_taxonomy(path)


def taxonomy_for(path: Path) -> Taxonomy:
    """The taxonomy in ``path``, compiled once per file content (engines share it)."""
    _, dataset = load_data_file(path)
    return _build_cached(path.resolve(), dataset.sha256)


def _build(data: Mapping[str, Any], dataset: DataSet, source: str) -> Taxonomy:
    problems: list[Problem] = []
    capabilities = _capabilities(data.get("capabilities"), source, problems)
    categories = _categories(data.get("categories"), source, problems)
    phrases = _compile(data.get("phrases", []), "phrases", CAPABILITIES, source, problems)
    intents = _compile(data.get("intents", []), "intents", INTENT_KINDS, source, problems)
    if problems:
        raise PolicyError(problems)
    return Taxonomy(capabilities, categories, phrases, intents, dataset)
