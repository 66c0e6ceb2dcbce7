"""The capability taxonomy: loading, validating and applying ``data/capabilities.toml``."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from hrdd import (
    CAPABILITIES,
    DESIGN_SAFEGUARDS,
    ITEM_CATEGORIES,
    DataSet,
    PolicyError,
    Problem,
    read_data_file,
)
from hrdd.memory import Memory

PACKAGE_DIR = Path(__file__).resolve().parent
INTENT_KINDS = ("safeguard_removal", "covert_or_mass", "targets_rights")

# A negation governing the mention ("no face matching", "without face recognition, remote
# access or audio", "cannot identify faces, track people") means the capability is absent.
# Its scope: at most six words, joined by commas or "or"; a sentence end or a conjunction
# that starts a new statement ("and", "but", "while", "which", "that") ends it, so "works
# without internet and matches faces offline" still reveals face matching.
_SEP = r"[^\w.;:!?]+"
_NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|without|exclud\w*|disabl\w*|cannot|can't|doesn't|does not|isn't|lacks?|neither|nor)"
    + _SEP
    + r"(?:(?!and\b|but\b|while\b|which\b|that\b|so\b|then\b|also\b)\w+"
    + _SEP
    + r"){0,6}$",
)
# ... or a "disabled" right after ("face matching disabled").
_NEGATION_AFTER = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(?:disabled|removed|turned off|switched off|not (?:included|enabled|supported|available|provided))\b",
)
# Patterns match lowercased text (case-sensitive matching of lowercase text is about twice as
# fast as case-insensitive matching), so they must be written in lowercase.
_ESCAPE = re.compile(r"\\.")
_WINDOW = 90
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


FIELDS = ("description", "customization_request", "stated_end_use")


@attrs.frozen
class Phrase:
    """A pattern revealing a capability or an intention.

    :ivar not_after: words that, right before a match, make it a contrary mention ("detects
        covert listening devices", "blocks exploits").
    :ivar fields: the free-text fields the phrase applies to (empty: all).
    """

    kind: str  # a capability name, or an intent kind
    label: str
    pattern: re.Pattern[str]
    not_after: re.Pattern[str] | None = None
    fields: tuple[str, ...] = ()


@attrs.frozen
class Match:
    """A phrase found in a text, with the matched words and a readable snippet for evidence."""

    kind: str
    label: str
    snippet: str
    matched: str = ""
    fields: tuple[str, ...] = ()

    def applies_to(self, field: str) -> bool:
        return not self.fields or field in self.fields


@attrs.frozen
class Taxonomy:
    capabilities: Mapping[str, Capability]
    categories: Mapping[str, tuple[str, ...]]
    phrases: tuple[Phrase, ...]
    intents: tuple[Phrase, ...]
    dataset: DataSet
    # Product descriptions repeat across a catalogue's transactions: scan each text once (the
    # scans read nothing but the taxonomy, so the engines sharing it share them too).
    _scanned: Memory[tuple[bool, str], tuple[Match, ...]] = attrs.field(
        factory=lambda: Memory(SCAN_CACHE_SIZE), eq=False, repr=False
    )

    def _cached(self, intents: bool, text: str) -> tuple[Match, ...]:
        key = (intents, text)
        found = self._scanned.get(key)
        if found is None:
            found = self._scanned.keep(
                key, _scan(self.intents if intents else self.phrases, text, capability=not intents)
            )
        return found

    def scan(self, text: str) -> tuple[Match, ...]:
        """Capabilities revealed by a free text (negated mentions excluded)."""
        return self._cached(False, text) if text else ()

    def scan_intents(self, text: str, field: str | None = None) -> tuple[Match, ...]:
        """Intentions revealed by a free text (negated mentions excluded); with ``field``,
        only those whose phrase applies to that field."""
        found = self._cached(True, text) if text else ()
        return found if field is None else tuple(m for m in found if m.applies_to(field))


def _snippet(text: str, start: int, end: int) -> str:
    left = max(0, start - 30)
    right = min(len(text), end + 30)
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    while right < len(text) and not text[right].isspace():
        right += 1
    snippet = " ".join(text[left:right].split())
    return ("..." if left > 0 else "") + snippet + ("..." if right < len(text) else "")


def _negated(phrase: Phrase, text: str, start: int, end: int, capability: bool) -> bool:
    before = text[max(0, start - _WINDOW) : start]
    if _NEGATION_BEFORE.search(before):
        return True
    if phrase.not_after is not None and phrase.not_after.search(before):
        return True
    return capability and bool(_NEGATION_AFTER.search(text[end : end + 40]))


def _scan(phrases: tuple[Phrase, ...], text: str, capability: bool) -> tuple[Match, ...]:
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lowercase to two: quote the lowered text
        text = lowered
    found: dict[str, Match] = {}
    for phrase in phrases:
        if phrase.kind in found:
            continue
        for match in phrase.pattern.finditer(lowered):
            if not _negated(phrase, lowered, match.start(), match.end(), capability):
                found[phrase.kind] = Match(
                    phrase.kind,
                    phrase.label,
                    _snippet(text, match.start(), match.end()),
                    match.group(0),
                    phrase.fields,
                )
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
        if not isinstance(kind, str) or kind not in allowed:
            problems.append(
                Problem(source, f"{where}.{key}", f"{kind!r} is not one of: {', '.join(allowed)}")
            )
            continue
        if not isinstance(label, str) or not isinstance(pattern, str):
            problems.append(Problem(source, where, "needs a string 'label' and a string 'pattern'"))
            continue
        fields = row.get("fields", [])
        not_after = row.get("not_after")
        if not isinstance(fields, list) or any(f not in FIELDS for f in fields):
            problems.append(
                Problem(source, f"{where}.fields", f"{fields!r}: expected a list of {', '.join(FIELDS)}")
            )
            continue
        if not_after is not None and not isinstance(not_after, str):
            problems.append(Problem(source, f"{where}.not_after", "must be a string (a pattern)"))
            continue
        compiled = _pattern(pattern, f"{where}.pattern", source, problems)
        if compiled is None:
            continue
        contrary = None
        if not_after is not None:
            contrary = _pattern(f"(?:{not_after}){_SEP[:-1]}*$", f"{where}.not_after", source, problems)
            if contrary is None:
                continue
        phrases.append(Phrase(kind, label, compiled, contrary, tuple(fields)))
    return tuple(phrases)


def _pattern(text: str, where: str, source: str, problems: list[Problem]) -> re.Pattern[str] | None:
    """A phrase's pattern compiled, or None with the problem reported."""
    if re.search("[A-Z]", _ESCAPE.sub("", text)):
        problems.append(
            Problem(source, where, "write patterns in lowercase: text is lowercased before matching")
        )
        return None
    try:
        return re.compile(text)
    except re.error as exc:
        problems.append(Problem(source, where, f"invalid regular expression: {exc}"))
        return None


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
        if type(weight) is not int or not 1 <= weight <= 5:
            problems.append(
                Problem(source, f"{where}.weight", f"{weight!r}: expected an integer from 1 to 5")
            )
            continue
        if type(floor) is not int or not 0 <= floor <= weight:
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
    """Load and check a taxonomy file; every problem of the file (provenance and body) is
    reported together.

    :raises PolicyError: the file is missing, malformed or incomplete.
    """
    data, dataset, problems = read_data_file(path)
    return _build(data, dataset, str(path), problems)


@functools.lru_cache(maxsize=16)
def _build_cached(path: Path, mtime_ns: int, size: int) -> Taxonomy:
    return load_taxonomy(path)


def taxonomy_for(path: Path) -> Taxonomy:
    """The taxonomy in ``path``, compiled once per file version (engines share it)."""
    try:
        stat = path.stat()
    except OSError:
        return load_taxonomy(path)  # reports the missing file with its name
    return _build_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)


def _build(
    data: Mapping[str, Any], dataset: DataSet | None, source: str, problems: list[Problem]
) -> Taxonomy:
    capabilities = _capabilities(data.get("capabilities"), source, problems)
    categories = _categories(data.get("categories"), source, problems)
    phrases = _compile(data.get("phrases", []), "phrases", CAPABILITIES, source, problems)
    intents = _compile(data.get("intents", []), "intents", INTENT_KINDS, source, problems)
    if problems or dataset is None:
        raise PolicyError(problems)
    return Taxonomy(capabilities, categories, phrases, intents, dataset)
