"""What a decision log is told to do: where it writes and which fields it masks (parsed, never opened).

This module sits at the bottom of the core beside the model, so that a policy can validate
its ``[log]`` table without importing the log itself (``hrdd.decisionlog``, above the engine).

A log target is a file path (JSON Lines) or ``sqlite:///`` followed by a path, relative or
absolute (``sqlite:///decisions.db``, ``sqlite:////var/log/hrdd/decisions.db``).

Masks are JSON pointers (RFC 6901) into the transaction document, with one extension: a
token ``*`` matches every element of an array (``/parties/*/name``). On an object, ``*``
names the member called ``*``, as RFC 6901 says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from hrdd.errors import Problem

SQLITE_PREFIX = "sqlite:///"
WILDCARD = "*"

_BAD_ESCAPE = re.compile(r"~(?![01])")


class PointerError(ValueError):
    """Raised by :func:`parse_pointer` when a string is not a JSON pointer; the message says
    what is wrong and what a pointer looks like."""


def parse_pointer(text: str) -> tuple[str, ...]:
    """The reference tokens of a JSON pointer (``"/parties/*/name"`` -> ``("parties", "*",
    "name")``), with ``~1`` and ``~0`` unescaped.

    :raises PointerError: the text is not a pointer, or is the empty pointer (which would
        name the whole document).
    """
    if not isinstance(text, str):
        raise PointerError(f"a JSON pointer is a string, not a {type(text).__name__}")
    if text == "":
        raise PointerError(
            "the empty pointer names the whole transaction; name a field, e.g. '/end_user/name'"
        )
    if not text.startswith("/"):
        raise PointerError(f"{text!r} is not a JSON pointer: it must start with '/', e.g. '/end_user/name'")
    tokens = []
    for raw in text[1:].split("/"):
        bad = _BAD_ESCAPE.search(raw)
        if bad is not None:
            raise PointerError(
                f"{text!r} is not a JSON pointer: '~' must be followed by 0 ('~0' for '~') "
                "or 1 ('~1' for '/')"
            )
        tokens.append(raw.replace("~1", "/").replace("~0", "~"))
    return tuple(tokens)


def format_pointer(tokens: tuple[str, ...]) -> str:
    """The JSON pointer of reference tokens (the inverse of :func:`parse_pointer`)."""
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)


def split_target(target: str) -> tuple[str, str]:
    """``("sqlite", path)`` or ``("jsonl", path)`` for a log target, the path as written.

    :raises ValueError: a ``sqlite:`` target that is not ``sqlite:///PATH``.
    """
    if target.startswith(SQLITE_PREFIX):
        path = target[len(SQLITE_PREFIX) :]
        if not path:
            raise ValueError(f"{target!r} names no database file; write sqlite:///PATH")
        return "sqlite", path
    if target.startswith("sqlite:"):
        raise ValueError(
            f"{target!r} is not a SQLite target: write sqlite:/// followed by the database file's "
            "path (sqlite:///decisions.db, or sqlite:////var/log/decisions.db for an absolute path)"
        )
    if not target:
        raise ValueError("the log target is empty; give a file path or sqlite:///PATH")
    return "jsonl", target


def resolve_target(target: str, directory: Path) -> str:
    """A log target with a relative path made absolute against ``directory``.

    :raises ValueError: see :func:`split_target`.
    """
    kind, path = split_target(target)
    resolved = str(directory / path) if not Path(path).is_absolute() else path
    return SQLITE_PREFIX + resolved if kind == "sqlite" else resolved


@attrs.frozen
class LogSettings:
    """A policy's ``[log]`` table.

    :ivar target: where decisions are appended (resolved against the policy file's
        directory), or ``None`` when the table only sets masks for a target given on the
        command line (``hrdd assess --log``).
    :ivar mask: JSON pointers into the transaction whose values never reach the log.
    :ivar required: when true, an assessment whose decision could not be logged fails (the
        CLI exits 3 and reports nothing); when false, the failure is a warning.
    :ivar source: the policy file that set the table.
    """

    target: str | None
    mask: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    required: bool = True
    source: str = ""

    @classmethod
    def from_table(cls, table: Mapping[str, Any], directory: Path, source: str) -> LogSettings:
        """Build from a ``[log]`` table already checked by :func:`table_problems`."""
        target = table.get("target")
        return cls(
            target=resolve_target(target, directory) if target is not None else None,
            mask=tuple(table.get("mask", ())),
            required=bool(table.get("required", True)),
            source=source,
        )


def table_problems(table: Mapping[str, Any], source: str) -> list[Problem]:
    """What the policy schema cannot say about a ``[log]`` table: the target's form and
    every mask pointer's syntax."""
    problems = []
    target = table.get("target")
    if isinstance(target, str):
        try:
            split_target(target)
        except ValueError as exc:
            problems.append(Problem(source, "$.log.target", str(exc)))
    for index, pointer in enumerate(table.get("mask", ())):
        try:
            parse_pointer(pointer)
        except PointerError as exc:
            problems.append(Problem(source, f"$.log.mask[{index}]", str(exc)))
    return problems
