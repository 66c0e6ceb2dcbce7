"""Override paths: change one field of a document by a dotted path (``items[0].categories``).

A policy test starts from a base transaction and changes what the case is about; the
testing kit's ``hrdd_assess(..., overrides=...)`` does the same in Python. The grammar::

    path    = name ( "." name | "[" index "]" )*
    name    = one or more of  A-Z a-z 0-9 _ -
    index   = 0 | [1-9][0-9]*          (no negative indexes)

Applying ``{path: value}`` to a document:

- what is missing on the way is created: a table (``kyc.evasive_about_reexport`` on a
  transaction without ``kyc``), a list when the index is ``[0]``
  (``end_user.other_end_users[0]``), a list entry one past the end (``parties[2].name``);
- the value replaces what is at the path, except that a table given where a table is
  merges into it key by key (as policies merge: tables merge, everything else, lists
  included, is replaced), so ``end_user = {type = "private"}`` changes one key;
- an index may point one past the end of a list, which appends (``parties[2]`` on a
  transaction with two parties adds a third).

Removing a path deletes the key or the list entry; removing what is not there is a problem.
Every problem names the path and what was found instead; all are reported together.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

Segment = str | int

_NAME = re.compile(r"[A-Za-z0-9_-]+")
_INDEX = re.compile(r"\[(0|[1-9][0-9]*)\]")


class PathError(ValueError):
    """Raised when an override path is malformed, or cannot be applied to the document."""


def parse_path(text: object) -> tuple[Segment, ...]:
    """The segments of an override path: names (str) and list indexes (int).

    >>> parse_path("items[0].categories")
    ('items', 0, 'categories')

    :raises PathError: the text is not a path, saying where it goes wrong.
    """
    if not isinstance(text, str):
        raise PathError(f"an override path is a string, not {type(text).__name__}")
    if not text:
        raise PathError("an empty override path; expected e.g. end_user.country or items[0].categories")
    segments: list[Segment] = []
    position = 0
    while position < len(text):
        if position == 0 or text[position] == ".":
            start = position if position == 0 else position + 1
            match = _NAME.match(text, start)
            if match is None:
                found = repr(text[start]) if start < len(text) else "the end"
                raise PathError(
                    f"{text!r}: expected a field name at character {start + 1}, found {found} "
                    "(names are letters, digits, _ and -; e.g. end_user.country or items[0].categories)"
                )
            segments.append(match.group())
            position = match.end()
        elif text[position] == "[":
            match = _INDEX.match(text, position)
            if match is None:
                raise PathError(
                    f"{text!r}: expected a list index like [0] at character {position + 1} "
                    "(a whole number, no sign, no leading zeros)"
                )
            segments.append(int(match.group(1)))
            position = match.end()
        else:
            raise PathError(
                f"{text!r}: unexpected {text[position]!r} at character {position + 1}; "
                "expected '.' or '[' after a field name"
            )
    return tuple(segments)


def format_path(segments: Iterable[Segment]) -> str:
    """The text of a path (the inverse of :func:`parse_path`)."""
    text = ""
    for segment in segments:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += f".{segment}" if text else segment
    return text


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return f"{type(value).__name__} {value!r}"[:80]


def _entries(values: list[Any]) -> str:
    return f"the list has {len(values)} entr{'y' if len(values) == 1 else 'ies'}"


def merge(base: Any, value: Any) -> Any:
    """``value`` over ``base``: tables merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(value, Mapping):
        merged = dict(base)
        for key, item in value.items():
            merged[key] = merge(merged.get(key), item)
        return merged
    return copy.deepcopy(value)


def _parent(document: Any, segments: tuple[Segment, ...], create: bool) -> Any:
    """The container the last segment points into; missing tables are created if asked."""
    node = document
    for depth, segment in enumerate(segments[:-1]):
        where = format_path(segments[: depth + 1])
        following = segments[depth + 1]
        if isinstance(segment, int):
            if not isinstance(node, list):
                raise PathError(
                    f"{where}: {format_path(segments[:depth]) or '$'} is {_kind(node)}, not a list"
                )
            if create and segment == len(node) and not isinstance(following, int):
                node.append({})  # one past the end: a new entry, filled in by what follows
            if segment >= len(node):
                raise PathError(f"{where}: index {segment} is out of range ({_entries(node)})")
            node = node[segment]
            continue
        if not isinstance(node, dict):
            raise PathError(f"{where}: {format_path(segments[:depth]) or '$'} is {_kind(node)}, not a table")
        if segment not in node:
            if not create or (isinstance(following, int) and following != 0):
                raise PathError(f"{where}: no such field")
            node[segment] = [] if isinstance(following, int) else {}
        node = node[segment]
    return node


def set_path(document: Any, path: str, value: Any) -> None:
    """Set (or merge, for a table over a table) ``value`` at ``path`` inside ``document``.

    :raises PathError: the path is malformed or does not fit the document.
    """
    segments = parse_path(path)
    try:
        parent = _parent(document, segments, create=True)
    except PathError as exc:
        raise PathError(f"{path}: {exc}") from None
    last = segments[-1]
    if isinstance(last, int):
        if not isinstance(parent, list):
            raise PathError(f"{path}: {format_path(segments[:-1])} is {_kind(parent)}, not a list")
        if last > len(parent):
            raise PathError(
                f"{path}: index {last} is out of range ({_entries(parent)}; [{len(parent)}] appends one)"
            )
        if last == len(parent):
            parent.append(copy.deepcopy(value))
        else:
            parent[last] = merge(parent[last], value)
        return
    if not isinstance(parent, dict):
        where = format_path(segments[:-1]) or "$"
        raise PathError(f"{path}: {where} is {_kind(parent)}, not a table")
    parent[last] = merge(parent.get(last), value)


def remove_path(document: Any, path: str) -> None:
    """Delete the key or list entry at ``path``.

    :raises PathError: the path is malformed or there is nothing there.
    """
    segments = parse_path(path)
    try:
        parent = _parent(document, segments, create=False)
    except PathError as exc:
        raise PathError(f"{path}: {exc}") from None
    last = segments[-1]
    if isinstance(last, int):
        if not isinstance(parent, list) or last >= len(parent):
            raise PathError(f"{path}: nothing to remove (no list entry {last})")
        del parent[last]
        return
    if not isinstance(parent, dict) or last not in parent:
        raise PathError(f"{path}: nothing to remove (no such field)")
    del parent[last]


def apply(
    document: Mapping[str, Any], overrides: Mapping[str, Any] | None = None, remove: Iterable[str] = ()
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A copy of ``document`` with every override set, in order, then every path in
    ``remove`` deleted.

    :returns: the changed copy and the problems, as ``(path, message)`` pairs (all of them:
        an override that fails is skipped and the others still apply).
    """
    changed: dict[str, Any] = copy.deepcopy(dict(document))
    problems: list[tuple[str, str]] = []
    for path, value in (overrides or {}).items():
        try:
            set_path(changed, path, value)
        except PathError as exc:
            problems.append((str(path), str(exc)))
    for path in remove:
        try:
            remove_path(changed, path)
        except PathError as exc:
            problems.append((str(path), str(exc)))
    return changed, problems
