"""Re-screening: which past transactions match a list entry that is new or changed in a new
version of a screening list (the ongoing monitoring the Draft Guidance's due-diligence step 2
asks for).

    hrdd rescreen --old OLD_LIST --new NEW_LIST CORPUS.jsonl [--policy P] [-o OUT.jsonl]

Only the changed entries are indexed (added entries, and entries whose names, source,
programmes, countries or licence texts differ from the old version; entries are keyed by
their list id, else by name and source). Names are scored as a screening against the whole
new list would score them (token weights come from the whole new list), with the policy's
``[plugins.hrdd-screening.config]`` thresholds. The corpus is read line by line (JSON Lines,
one transaction per line); every distinct name is normalised and tested once, and only a
name with a token equal or near to a token of a changed entry is scored.

Exit codes: 0 no past transaction matches a changed entry; 1 some do (listed on stdout and
in ``-o``); 2 bad input (a list or the policy cannot be read, or corpus lines that are not
valid transactions: they are reported with their line numbers, and the others are still
screened); 3 internal error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from hrdd import Problem
from hrdd.commands import Command
from hrdd.errors import InputError
from hrdd_screening.index import GENERIC_WORDS, Frequencies, Index, Match, frequencies
from hrdd_screening.lists import Entry, LoadedList, load_list, no_gc
from hrdd_screening.normalise import tokens as name_tokens
from hrdd_screening.plugin import CONFIG_SCHEMA, Subject, is_prohibiting

PLUGIN = "hrdd-screening"


class ListDiff(NamedTuple):
    """What changed between two versions of a list."""

    added: list[Entry]
    changed: list[Entry]  # the new version of entries present in both with different content
    removed: list[Entry]
    unchanged: int

    @property
    def screened(self) -> list[Entry]:
        return [*self.added, *self.changed]


def _content(entry: Entry) -> tuple[Any, ...]:
    # everything but the file it came from (two versions of a list are two files)
    return entry[:-1]


def _keys(entries: list[Entry]) -> list[Any]:
    """Each entry's key: its list id where the list gives unique ids, else name and source."""
    ids = [entry.entry_id for entry in entries]
    seen: set[str] = set()
    duplicated: set[str] = set()
    for entry_id in ids:
        if entry_id in seen:
            duplicated.add(entry_id)
        seen.add(entry_id)
    return [
        entry_id if entry_id and entry_id not in duplicated else (entry.name, entry.source)
        for entry_id, entry in zip(ids, entries, strict=True)
    ]


def diff_lists(old: list[Entry], new: list[Entry]) -> ListDiff:
    """Compare two versions of a list, entry by entry."""
    with no_gc():
        before = dict(zip(_keys(old), old, strict=True))
        added: list[Entry] = []
        changed: list[Entry] = []
        unchanged = 0
        new_keys = _keys(new)
        for key, entry in zip(new_keys, new, strict=True):
            previous = before.pop(key, None)
            if previous is None:
                added.append(entry)
            elif _content(previous) != _content(entry):
                changed.append(entry)
            else:
                unchanged += 1
        return ListDiff(added, changed, list(before.values()), unchanged)


def subjects_of_document(document: Mapping[str, Any]) -> list[Subject]:
    """The names a screening screens, read from a transaction document (the same paths as
    :func:`hrdd_screening.plugin.subjects_of`, without building the model)."""
    end_user = document.get("end_user") or {}
    found = [Subject("end_user", end_user.get("name", ""), end_user.get("country"))]
    for i, other in enumerate(end_user.get("other_end_users") or ()):
        found.append(Subject(f"end_user.other_end_users[{i}]", other.get("name", ""), other.get("country")))
    for i, related in enumerate(end_user.get("related_parties") or ()):
        found.append(
            Subject(f"end_user.related_parties[{i}]", related.get("name", ""), related.get("country"))
        )
    for i, party in enumerate(document.get("parties") or ()):
        found.append(Subject(f"parties[{i}]", party.get("name", ""), party.get("country")))
        for j, related in enumerate(party.get("related_parties") or ()):
            found.append(
                Subject(f"parties[{i}].related_parties[{j}]", related.get("name", ""), related.get("country"))
            )
    return found


class Settings(NamedTuple):
    threshold: float
    confirm_at: float
    prohibiting: frozenset[str]
    max_matches: int


def settings_from_policy(policy: str | None) -> tuple[Settings, str]:
    """The screening thresholds of a policy (the plugin's defaults where it does not set them,
    or does not enable the plugin), and a line saying where they came from."""
    from hrdd.plugins import plugin_config
    from hrdd.policy import Policy

    loaded = Policy.load(policy)
    config = plugin_config(loaded, PLUGIN, CONFIG_SCHEMA)  # its lists are ignored: given on the command line
    enabled = loaded.plugin(PLUGIN) is not None
    where = f"policy {loaded.name} {loaded.version}" + (
        "" if enabled else f" (does not enable {PLUGIN}: defaults)"
    )
    return (
        Settings(
            float(config["threshold"]),
            float(config["confirm_at"]),
            frozenset(code.upper() for code in config["prohibiting_sources"]),
            int(config["max_matches"]),
        ),
        where,
    )


# The new list's entries, for a forked process that counts their token frequencies while
# the corpus is scanned (a fork inherits them; nothing is pickled but the counts coming back).
_SHARED_ENTRIES: list[Entry] = []


def _count_shared() -> Frequencies:
    return frequencies(_SHARED_ENTRIES)


class _Background:
    """Token frequencies counted in a forked process; ``get`` waits for them."""

    def __init__(self, entries: list[Entry]) -> None:
        import multiprocessing

        global _SHARED_ENTRIES
        _SHARED_ENTRIES = entries
        self._pool = multiprocessing.get_context("fork").Pool(1)
        self._result = self._pool.apply_async(_count_shared)

    def get(self) -> Frequencies:
        try:
            found: Frequencies = self._result.get()
        finally:
            self.stop()
        return found

    def stop(self) -> None:
        """End the counting process (whether or not its answer was needed)."""
        global _SHARED_ENTRIES
        self._pool.terminate()
        self._pool.join()
        _SHARED_ENTRIES = []


def _near_set(entries: list[Entry]) -> set[str]:
    """Every distinctive token of the entries' names and aliases and every one-deletion
    variant of one: a name can only reach the threshold by matching a distinctive token
    (equal or one edit apart), so a name with no token near this set is no match. A name made
    of generic words only ("National Security Services") has no distinctive token: all its
    words count, or the party listed under it would never be found."""
    near: set[str] = set()
    for entry in entries:
        for original in (entry.name, *entry.alt_names):
            tokens = name_tokens(original)
            distinctive = [token for token in tokens if token not in GENERIC_WORDS] or list(tokens)
            for token in distinctive:
                near.add(token)
                if len(token) >= 4:
                    near.update(token[:i] + token[i + 1 :] for i in range(len(token)))
    return near


class Rescreener:
    """The changed entries of a list, indexed with the whole new list's token weights, and a
    memo of the names already tested.

    Testing whether a name could match (:meth:`could_match`) needs only the changed entries;
    scoring (:meth:`matches`) needs the whole new list's token frequencies, which
    ``background=True`` counts in a forked process meanwhile (where the platform can fork)."""

    def __init__(
        self, diff: ListDiff, new: LoadedList, settings: Settings, *, background: bool = False
    ) -> None:
        import multiprocessing

        self.settings = settings
        self.diff = diff
        self._new = new
        self.index: Index | None = None
        self._background = (
            _Background(new.entries)
            if background and diff.screened and "fork" in multiprocessing.get_all_start_methods()
            else None
        )
        self.near = _near_set(diff.screened)
        self.token_near: dict[str, bool] = {}
        self.name_near: dict[str, bool] = {}
        self.memo: dict[tuple[str, str | None], list[Match]] = {}
        self.transactions = 0

    def close(self) -> None:
        """Stop counting frequencies in the background if nothing needed them."""
        if self._background is not None:
            self._background.stop()
            self._background = None

    def _ready(self) -> Index:
        if self.index is None:
            counted = (
                self._background.get() if self._background is not None else frequencies(self._new.entries)
            )
            self._background = None
            self.index = Index(self.diff.screened, counted)
        return self.index

    def _is_near(self, token: str) -> bool:
        found = self.token_near.get(token)
        if found is None:
            near = self.near
            found = token in near or (
                len(token) >= 4 and any(token[:i] + token[i + 1 :] in near for i in range(len(token)))
            )
            self.token_near[token] = found
        return found

    def could_match(self, name: str) -> bool:
        """Whether a name has a token equal or one edit from a changed entry's distinctive
        token (otherwise it cannot reach the threshold)."""
        near = self.name_near.get(name)
        if near is None:
            near = bool(self.diff.screened) and any(self._is_near(token) for token in name_tokens(name))
            self.name_near[name] = near
        return near

    def matches(self, name: str, country: str | None) -> list[Match]:
        if not self.could_match(name):
            return []
        key = (name, country)
        found = self.memo.get(key)
        if found is None:
            found = self._ready().search(name, country, self.settings.threshold, self.settings.max_matches)
            self.memo[key] = found
        return found

    def subjects(self, document: Mapping[str, Any]) -> list[tuple[Subject, str | None]]:
        """The document's named subjects and their countries (text only)."""
        return [
            (subject, subject.country if isinstance(subject.country, str) else None)
            for subject in subjects_of_document(document)
            if isinstance(subject.name, str) and subject.name
        ]

    def hits(self, document: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.transactions += 1
        return self.hits_of(self.subjects(document))

    def hits_of(self, subjects: list[tuple[Subject, str | None]]) -> list[dict[str, Any]]:
        settings = self.settings
        out = []
        for subject, country in subjects:
            for match in self.matches(subject.name, country):
                entry = match.entry
                confirmed = match.score >= settings.confirm_at
                prohibiting = is_prohibiting(entry, settings.prohibiting)
                out.append(
                    {
                        "party": subject.path,
                        "name": subject.name,
                        "country": country,
                        "entry": entry.name,
                        "matched_name": match.matched_name,
                        "entry_id": entry.entry_id,
                        "source": entry.source,
                        "programs": list(entry.programs),
                        "license_requirement": entry.license_requirement,
                        "license_policy": entry.license_policy,
                        "listed_since": entry.start_date,
                        "score": match.score,
                        "status": "confirmed" if confirmed else "possible",
                        "prohibiting": prohibiting,
                        "rule_id": "HRDD-SCR-001"
                        if confirmed and prohibiting
                        else ("HRDD-SCR-002" if confirmed else "HRDD-SCR-003"),
                        "why": match.why,
                    }
                )
        return out


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, line


def rescreen_corpus(corpus: Path, rescreener: Rescreener) -> Iterator[dict[str, Any]]:
    """One record per corpus line that matches a changed entry (``hits``) or that is not a
    valid transaction (``error``), in corpus order.

    Two passes over what is kept: the corpus is read once, keeping only the lines with a name
    that could match (and the bad lines); those are scored once the whole list's token
    frequencies are there (counted meanwhile when the rescreener was built with
    ``background=True``)."""
    try:
        yield from _scan(corpus, rescreener)
    finally:
        rescreener.close()  # the background count, if nothing needed it (or the scan failed)


def _scan(corpus: Path, rescreener: Rescreener) -> Iterator[dict[str, Any]]:
    import orjson

    from hrdd.documents import validator

    schema = validator("transaction")
    kept: list[tuple[int, Any, list[tuple[Subject, str | None]]] | dict[str, Any]] = []
    for number, line in _lines(corpus):
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            kept.append({"line": number, "error": f"not JSON: {exc}"})
            continue
        if not schema.is_valid(document):
            problems = schema.problems(document, f"{corpus}:{number}")
            kept.append({"line": number, "error": "; ".join(f"{p.path}: {p.message}" for p in problems)})
            continue
        rescreener.transactions += 1
        subjects = rescreener.subjects(document)
        if any(rescreener.could_match(subject.name) for subject, _ in subjects):
            kept.append((number, document.get("id"), subjects))
    for item in kept:
        if isinstance(item, dict):
            yield item
            continue
        number, transaction_id, subjects = item
        hits = rescreener.hits_of(subjects)
        if hits:
            yield {"line": number, "id": transaction_id, "hits": hits}


def _load(path: Path, option: str) -> LoadedList:
    loaded, problems = load_list(path)
    if loaded is None:
        raise InputError(
            [Problem(str(path), f"line {p.line}" if p.line else option, p.message) for p in problems]
        )
    return loaded


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "corpus", metavar="CORPUS.jsonl", help="past transactions, one JSON document per line"
    )
    parser.add_argument(
        "--old", required=True, metavar="LIST", help="the list version they were screened against"
    )
    parser.add_argument("--new", required=True, metavar="LIST", help="the new version of that list")
    parser.add_argument(
        "--policy",
        "-p",
        help="policy whose [plugins.hrdd-screening.config] thresholds apply (default: baseline)",
    )
    parser.add_argument(
        "--output", "-o", metavar="FILE", help="write one JSON record per matching line to FILE"
    )


def run(args: argparse.Namespace) -> int:
    import orjson

    started = time.perf_counter()
    settings, where = settings_from_policy(args.policy)
    corpus = Path(args.corpus)
    if not corpus.is_file():
        raise InputError([Problem(str(corpus), "CORPUS.jsonl", "no such file")])
    old = _load(Path(args.old), "--old")
    new = _load(Path(args.new), "--new")
    diff = diff_lists(old.entries, new.entries)
    rescreener = Rescreener(diff, new, settings, background=True)
    prepared = time.perf_counter()

    output = Path(args.output) if args.output else None
    temporary = output.with_name(f".{output.name}.tmp") if output else None
    handle = temporary.open("wb") if temporary else None
    matched = errors = 0
    by_rule: dict[str, int] = {}
    try:
        for record in rescreen_corpus(corpus, rescreener):
            if handle is not None:
                handle.write(orjson.dumps(record) + b"\n")
            if "error" in record:
                errors += 1
                print(f"hrdd: {corpus}:{record['line']}: {record['error']}", file=sys.stderr)
                continue
            matched += 1
            worst = min(hit["rule_id"] for hit in record["hits"])
            by_rule[worst] = by_rule.get(worst, 0) + 1
            for hit in record["hits"]:
                print(
                    f"line {record['line']} {record.get('id') or ''}: {hit['party']} {hit['name']!r} "
                    f"{hit['status']} match of {hit['entry']!r} on {hit['source']} (score {hit['score']}, "
                    f"{hit['rule_id']})"
                )
        if handle is not None and temporary is not None and output is not None:
            handle.close()
            handle = None
            temporary.replace(output)
    except OSError as exc:
        raise InputError(
            [Problem(str(output or corpus), "-o", f"cannot write: {exc.strerror or exc}")]
        ) from None
    finally:
        if handle is not None:
            handle.close()
            if temporary is not None:
                temporary.unlink(missing_ok=True)
    finished = time.perf_counter()
    print(
        f"re-screened {corpus} against {len(diff.screened)} changed entries of {Path(args.new).name} "
        f"({len(diff.added)} added, {len(diff.changed)} changed, {len(diff.removed)} removed, "
        f"{diff.unchanged} unchanged since {Path(args.old).name}); thresholds from {where}: "
        f"{settings.threshold:g} possible, {settings.confirm_at:g} confirmed"
    )
    print(
        f"{rescreener.transactions} transaction(s) screened; {matched} now match"
        + (f" ({', '.join(f'{rule} {count}' for rule, count in sorted(by_rule.items()))})" if by_rule else "")
        + (f"; {errors} line(s) not valid transactions, not screened" if errors else "")
        + f"; {len(rescreener.name_near)} distinct names tested, {len(rescreener.memo)} scored; "
        f"lists {prepared - started:.1f} s, corpus {finished - prepared:.1f} s"
    )
    if errors:
        return 2
    return 1 if matched else 0


COMMAND = Command(
    help="find past transactions that match entries new or changed in a new version of a screening list",
    add_arguments=add_arguments,
    run=run,
    description=__doc__.split("\n\n")[0].replace("\n", " ") if __doc__ else "",
)
