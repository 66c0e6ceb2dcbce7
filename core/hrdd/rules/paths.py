"""Paths into the transaction (``end_user.country``, ``items[*].categories``): checked against
the transaction schema when rules load, and read from the transaction model when they run.

A path is field names separated by dots, with ``[*]`` after a list ("any element"). In a rule
of the ``item`` family, ``item.<field>`` is the item under check. Paths are read from the
model the check hooks receive (:class:`hrdd.model.Transaction`), under the document's field
names: ``context.events`` is ``Transaction.events``, ``kyc.<question>`` is
``Kyc.answer(question)``, dates read as ISO strings.

**Absent values.** A value counts as present when it is given and not empty: ``None``, an
empty text, an empty list and an object none of whose fields is present are all absent (the
model does not tell a missing list from an empty one, nor a missing text from an empty one,
and an empty answer is no answer).
"""

from __future__ import annotations

import difflib
import functools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from hrdd import documents

ITEM_ROOT = "item"
# The transaction's optional objects that the model keeps as None when they are absent: a
# step through them must tolerate None. Every other object is always there in the model.
_NULLABLE_OBJECTS = frozenset({("transaction", "exporter"), ("item", "value")})

_SEGMENT = re.compile(r"([a-z_][a-z0-9_]*)(\[\*\])?")
_INDEX = re.compile(r"\[(\d+)\]")

Getter = Callable[[Any], Any]


class PathError(ValueError):
    """A path that cannot exist in transaction schema version 1 (the message says why)."""


@attrs.frozen
class FieldType:
    """What the transaction schema says one field holds.

    :ivar kind: ``string``, ``number``, ``integer``, ``boolean``, ``array`` or ``object``.
    :ivar owner: for an object, the name its fields are known by (``transaction``, ``item``,
        ``end_user``, ``money``...): it chooses how the model is read.
    :ivar enum: the allowed values of a string (or ``None``: any text).
    :ivar is_date: a string in ISO date form (``YYYY-MM-DD``): ordered comparisons work.
    :ivar element: for an array, the type of its elements.
    :ivar fields: for an object, its fields by name.
    """

    kind: str
    owner: str = ""
    enum: tuple[str, ...] | None = None
    is_date: bool = False
    element: FieldType | None = None
    fields: Mapping[str, FieldType] = attrs.field(factory=dict)

    def describe(self) -> str:
        """``a string``, ``a list of strings``, ``a date``...: the type in words, for messages."""
        if self.kind == "array" and self.element is not None:
            return f"a list of {self.element.describe_plural()}"
        if self.kind == "string" and self.is_date:
            return "a date"
        if self.kind == "string" and self.enum is not None:
            return "a string (one of a fixed list)"
        return {"integer": "a whole number", "number": "a number", "object": "an object"}.get(
            self.kind, f"a {self.kind}"
        )

    def describe_plural(self) -> str:
        if self.kind == "string" and self.is_date:
            return "dates"
        if self.kind == "array":
            return "lists"
        return {
            "integer": "whole numbers",
            "number": "numbers",
            "object": "objects",
            "boolean": "booleans",
        }.get(self.kind, "strings")

    @property
    def is_scalar(self) -> bool:
        return self.kind in ("string", "number", "integer", "boolean")

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("number", "integer")


def _resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None]:
    """A schema node with its ``$ref`` followed, and the name of the definition it points to."""
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        name = reference.removeprefix("#/$defs/")
        return defs[name], name
    return node, None


def _field_type(node: Mapping[str, Any], defs: Mapping[str, Any], owner: str) -> FieldType:
    node, definition = _resolve(node, defs)
    owner = definition or owner
    kind = node.get("type")
    if isinstance(kind, list):  # ["boolean", "null"]: null is absent
        kind = next(k for k in kind if k != "null")
    if kind is None and "const" in node:
        kind = "integer" if isinstance(node["const"], int) else "string"
    if kind == "object":
        properties = node.get("properties", {})
        return FieldType(
            "object",
            owner=owner,
            fields={name: _field_type(child, defs, name) for name, child in properties.items()},
        )
    if kind == "array":
        return FieldType("array", owner=owner, element=_field_type(node["items"], defs, owner))
    enum = node.get("enum")
    return FieldType(
        str(kind),
        owner=owner,
        enum=tuple(enum) if isinstance(enum, list) else None,
        is_date=node.get("format") == "date",
    )


@functools.cache
def transaction_type() -> FieldType:
    """The transaction document (schema version 1) as field types."""
    schema = documents.load_schema("transaction")
    root = _field_type(schema, schema["$defs"], "transaction")
    return attrs.evolve(root, owner="transaction")


# --------------------------------------------------------------------------------------
# Reading the model
# --------------------------------------------------------------------------------------


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _step(owner: str, name: str, field: FieldType) -> Getter:
    """How to read field ``name`` of an object known as ``owner`` from the model."""
    if owner == "transaction" and name == "schema_version":
        return lambda _transaction: 1  # the model keeps no version: absent means 1
    if owner == "transaction" and name == "context":
        return lambda transaction: transaction  # context.events is Transaction.events
    if owner == "kyc":
        return lambda kyc: kyc.answer(name)
    attribute = operator.attrgetter(name)
    if field.is_date:
        return lambda owner_object: _iso(attribute(owner_object))
    return attribute


def is_present(value: Any) -> bool:
    """Given and not empty (see the module's docstring); an object is judged by its fields
    (:func:`object_present`)."""
    return value is not None and value != "" and value != ()


@attrs.frozen
class Step:
    """One segment of a compiled path: read a field, then (``each``) every element of it."""

    name: str
    read: Getter
    each: bool
    nullable_owner: bool  # the object this field is read from may be None


@attrs.frozen(eq=False)
class CompiledPath:
    """A path checked against the schema, with the functions that read it from the model.

    :ivar text: the path as written (``items[*].categories``).
    :ivar type: the schema type of the value it names (for ``[*]`` at the end: the elements').
    :ivar item_relative: starts with ``item.`` (the item under check).
    :ivar wildcard: contains ``[*]``: it names any number of values (``values`` gives a tuple).
    """

    text: str
    type: FieldType
    item_relative: bool
    wildcard: bool
    steps: tuple[Step, ...]
    # reads the value from the root (for a wildcard path: the tuple of its values); built once
    values: Getter = attrs.field(init=False)

    # the concrete path of one value, before and after the index of its [*] (see concrete)
    _head: str = attrs.field(init=False, repr=False)
    _tail: str = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "values", _compile_values(self.steps))
        text = self.text[len(ITEM_ROOT) :] if self.item_relative else self.text
        head, _, tail = text.partition("[*]")
        object.__setattr__(self, "_head", head)
        object.__setattr__(self, "_tail", tail)

    @property
    def flat(self) -> bool:
        """Whether its fast reader's value says everything evidence needs: a value, or the
        tuple of values of one [*] (in list order), that is neither an object nor holds one."""
        if sum(step.each for step in self.steps) > 1 or self.type.kind == "object":
            return False
        return self.type.kind != "array" or (self.type.element is not None and self.type.element.is_scalar)

    def concrete(self, index: int | None, item_path: str | None) -> str:
        """The concrete path of one value of a flat path: ``items[2].value.amount`` for the
        value at ``index`` of ``items[*].value.amount``; ``item.`` becomes the item's path."""
        head = item_path + self._head if self.item_relative and item_path is not None else self._head
        if index is None:
            return head
        return f"{head}[{index}]{self._tail}"

    def named(self, item_path: str | None) -> str:
        """The path as written, with ``item.`` as the item's path (``items[2].categories[*]``
        for ``item.categories[*]``): what evidence names when a [*] found nothing."""
        if self.item_relative and item_path is not None:
            return item_path + self.text[len(ITEM_ROOT) :]
        return self.text

    def occurrences(self, root: Any, prefix: str) -> list[tuple[str, Any]]:
        """Every (concrete path, value) the path names in ``root``, with list indices filled
        in (``items[1].categories``); a wildcard over an empty list names nothing."""
        found: list[tuple[str, Any]] = []
        _walk(root, prefix, self.steps, found)
        return found


def object_present(value: Any, field_type: FieldType) -> bool:
    """An object is present when at least one of its fields is."""
    if value is None:
        return False
    for name, child in field_type.fields.items():
        read = _step(field_type.owner, name, child)
        inner = read(value)
        if object_present(inner, child) if child.kind == "object" else is_present(inner):
            return True
    return False


def to_document(value: Any, field_type: FieldType) -> Any:
    """A value read from the model as it reads in a transaction document (objects as dicts
    of their present fields, lists as lists): evidence is JSON."""
    if value is None:
        return None
    if field_type.kind == "object":
        document = {}
        for name, child in field_type.fields.items():
            inner = _step(field_type.owner, name, child)(value)
            if object_present(inner, child) if child.kind == "object" else is_present(inner):
                document[name] = to_document(inner, child)
        return document
    if field_type.kind == "array" and field_type.element is not None:
        element = field_type.element
        if element.is_scalar:
            return tuple(value)
        return tuple(to_document(v, element) for v in value)
    return value


def _walk(value: Any, prefix: str, steps: Sequence[Step], found: list[tuple[str, Any]]) -> None:
    for position, step in enumerate(steps):
        if value is None and step.nullable_owner:
            found.append((_join(prefix, steps[position:]), None))
            return
        value = step.read(value)
        prefix = f"{prefix}.{step.name}" if prefix else step.name
        if step.each:
            rest = steps[position + 1 :]
            for index, element in enumerate(value or ()):
                _walk(element, f"{prefix}[{index}]", rest, found)
            return
    found.append((prefix, value))


def _join(prefix: str, steps: Sequence[Step]) -> str:
    text = prefix
    for step in steps:
        text = f"{text}.{step.name}" if text else step.name
        if step.each:
            text += "[*]"
    return text


def _compile_values(steps: tuple[Step, ...]) -> Getter:
    """The fast reader: the value, or for a wildcard path the tuple of every value it names
    (one per occurrence, in order, None where an element lacks it). A chain of plain
    attributes is one ``attrgetter`` (in C)."""
    plain = not any(step.each or step.nullable_owner for step in steps)
    if plain and all(isinstance(step.read, operator.attrgetter) for step in steps):
        return operator.attrgetter(".".join(step.name for step in steps))
    return _compile_steps(steps)


def _compile_steps(steps: tuple[Step, ...]) -> Getter:
    """Nested readers, one per step, from the last step back."""
    if not steps:
        return lambda value: value
    step, rest = steps[0], steps[1:]
    read, inner = step.read, _compile_steps(rest)
    each_below = any(s.each for s in rest)
    function: Getter
    if not step.each:
        function = read if not rest else (lambda value: inner(read(value)))
    elif not rest:
        function = lambda value: tuple(read(value))  # noqa: E731
    elif each_below:  # nested [*]: one flat tuple of every value, in order
        function = lambda value: tuple(found for element in read(value) for found in inner(element))  # noqa: E731
    else:
        function = lambda value: tuple(inner(element) for element in read(value))  # noqa: E731
    if not step.nullable_owner:
        return function
    missing: Any = () if step.each or each_below else None
    return lambda value: missing if value is None else function(value)


# --------------------------------------------------------------------------------------
# Checking paths against the schema
# --------------------------------------------------------------------------------------


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def compile_path(text: str, *, item_rule: bool) -> CompiledPath:
    """Check a path against transaction schema version 1 and build its readers.

    :param item_rule: the rule is of the ``item`` family, so ``item.<field>`` is allowed.
    :raises PathError: the path cannot exist in the schema; the message names the segment
        and the fields that exist there.
    """
    if not isinstance(text, str) or not text:
        raise PathError("a path is a non-empty string such as end_user.country or items[*].categories")
    raw_segments = text.split(".")
    transaction = transaction_type()
    current: FieldType = transaction
    where = ""
    steps: list[Step] = []
    item_relative = False
    reached_nullable = False
    for position, raw in enumerate(raw_segments):
        match = _SEGMENT.fullmatch(raw)
        if match is None:
            index = _INDEX.search(raw)
            if index is not None:
                raise PathError(
                    f"{text!r}: a rule cannot name one element by its position ([{index.group(1)}]); "
                    "write [*] for any element"
                )
            raise PathError(
                f"{text!r} is not a path: write field names (lower case) separated by dots, with [*] "
                "after a list (items[*].categories, end_user.country)"
            )
        name, each = match.group(1), match.group(2) is not None
        if position == 0 and name == ITEM_ROOT:
            if not item_rule:
                raise PathError(
                    f"{text!r}: item.<field> names the item under check and exists only in rules of "
                    "family 'item'; write items[*].<field> for any item of the transaction"
                )
            if each:
                raise PathError(f"{text!r}: item is the one item under check, not a list; drop the [*]")
            item_type = transaction.fields["items"].element
            assert item_type is not None
            current, where, item_relative = item_type, ITEM_ROOT, True
            continue
        label = where or "the transaction"
        if current.kind != "object":
            raise PathError(f"{text!r}: {label} is {current.describe()} and has no fields (so no {name!r})")
        field = current.fields.get(name)
        if field is None:
            known = sorted(current.fields)
            raise PathError(
                f"{text!r}: {label} has no field {name!r}{_suggest(name, known)}; "
                f"its fields: {', '.join(known)}"
            )
        here = f"{where}.{name}" if where else name
        if each and field.kind != "array":
            raise PathError(f"{text!r}: {here} is {field.describe()}, not a list; [*] goes only after a list")
        is_last = position == len(raw_segments) - 1
        if field.kind == "array" and not each and not is_last:
            hint = f"{here}[*].{raw_segments[position + 1]}"
            if here == "items" and item_rule:
                hint += f" (any item) or item.{raw_segments[position + 1]} (the item under check)"
            raise PathError(f"{text!r}: {here} is a list; write {hint}")
        steps.append(Step(name, _step(current.owner, name, field), each, nullable_owner=reached_nullable))
        # The model holds some optional objects as None (the exporter, an item's value): the
        # step after one must tolerate None.
        reached_nullable = not each and (current.owner, name) in _NULLABLE_OBJECTS
        if each:
            assert field.element is not None
            current = field.element
            where = f"{here}[*]"
        else:
            current = field
            where = here
    if not steps:
        raise PathError(f"{text!r}: name a field of the item (item.categories, item.name...)")
    return CompiledPath(
        text=text,
        type=current,
        item_relative=item_relative,
        wildcard=any(step.each for step in steps),
        steps=tuple(steps),
    )
