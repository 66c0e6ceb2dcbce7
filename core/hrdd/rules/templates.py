"""Message and remediation templates: text with ``{path}`` placeholders filled from the
transaction (or, in an item rule, ``{item.<field>}`` from the item under check).

Nothing is evaluated but paths: no attribute access beyond the schema's fields, no format
specifications, no code. ``{{`` and ``}}`` write a brace. A placeholder that names no field
of the schema is an error when the rules load.

A value renders as written in the transaction; a list as its values joined with ", "; a
``[*]`` path as every value it names, joined the same way; an absent value as
:data:`ABSENT`; true and false as ``true`` and ``false``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from hrdd.rules.paths import CompiledPath, PathError, compile_path, is_present

ABSENT = "(not given)"
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class TemplateError(ValueError):
    """A template with an unknown placeholder or an unpaired brace."""


def _text(value: Any) -> str:
    if type(value) is str:
        return value or ABSENT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (tuple, list)):
        shown = [_text(v) for v in value if is_present(v)]
        return ", ".join(shown) if shown else ABSENT
    if not is_present(value):
        return ABSENT
    return str(value)


@attrs.frozen(eq=False)
class Template:
    """A compiled template: literal text and the paths to fill in, alternating."""

    source: str
    parts: tuple[str | CompiledPath, ...]

    @property
    def paths(self) -> tuple[CompiledPath, ...]:
        return tuple(part for part in self.parts if isinstance(part, CompiledPath))

    def render(self, transaction: Any, item: Any) -> str:
        """The text, with each placeholder's value read from the transaction (or the item)."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(_text(part.values(item if part.item_relative else transaction)))
        return "".join(out)

    def bind(self, slot: Mapping[str, int]) -> Callable[[Sequence[Any]], str]:
        """``render`` reading each placeholder's value from a vector of path values (where
        ``slot`` says each path's index), as the rules' evaluation reads them."""
        literals = tuple(part if isinstance(part, str) else "" for part in self.parts)
        indices = tuple(None if isinstance(part, str) else slot[part.text] for part in self.parts)
        if all(index is None for index in indices):
            text = "".join(literals)
            return lambda _values: text
        pieces = tuple(zip(literals, indices, strict=True))

        def render(values: Sequence[Any]) -> str:
            return "".join(literal if index is None else _text(values[index]) for literal, index in pieces)

        return render


def compile_template(source: str, *, item_rule: bool) -> Template:
    """Compile a template.

    :raises TemplateError: a placeholder names no field of the schema (or names an object),
        or a brace is unpaired; the message names the placeholder.
    """
    parts: list[str | CompiledPath] = []
    literal: list[str] = []
    position = 0
    for match in _TOKEN.finditer(source):
        literal.append(source[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
            continue
        if token in ("{", "}"):
            raise TemplateError(
                f"unpaired {token!r} at character {match.start() + 1}; write {token * 2} for a brace"
            )
        text = (match.group(1) or "").strip()
        try:
            path = compile_path(text, item_rule=item_rule)
        except PathError as error:
            raise TemplateError(f"placeholder {{{text}}}: {error}") from None
        if path.type.kind == "object" or (
            path.type.kind == "array" and not (path.type.element and path.type.element.is_scalar)
        ):
            raise TemplateError(
                f"placeholder {{{text}}} names {path.type.describe()}; name one of its fields"
            )
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(path)
    literal.append(source[position:])
    if "".join(literal):
        parts.append("".join(literal))
    return Template(source, tuple(parts))
