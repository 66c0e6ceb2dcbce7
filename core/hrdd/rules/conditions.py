"""Conditions: ``all``, ``any``, ``not`` and leaf tests, checked against the schema's types
when rules load and compiled once per engine.

Each condition is compiled twice. The *test* answers true or false from a vector of the
values its paths read (each path read once per transaction or item, however many rules read
it); it runs for every rule on every transaction, and the tests of one hook family are
compiled together into one function (:func:`compile_evaluator`). The *explanation* returns
the evidence (concrete paths and values) that made the condition true; it runs only for a
rule that fired, reading the same vector (or the model, for a path the vector cannot
explain). Both use the same predicates (the test writes the commonest ones out inline), and
the tests check that the test and the evidence agree.

Truth of a leaf test: a test on a path with ``[*]`` is true when **some** value it names
passes (none passes when the list is empty); every operator but ``exists`` is false on an
absent value (nothing can be asserted about a value that is not there); ``exists = true``
is true on a present value, ``exists = false`` on an absent one.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from typing import Any

import attrs

from hrdd.model import Evidence as EvidenceRecord
from hrdd.rules.paths import CompiledPath, FieldType, is_present, object_present, to_document
from hrdd.rules.regex import MATCH_LIMIT, UnsafePattern, compile_pattern

OPERATORS = (
    "eq",
    "ne",
    "in",
    "not_in",
    "contains",
    "contains_any",
    "contains_all",
    "gt",
    "ge",
    "lt",
    "le",
    "exists",
    "matches",
)
COMBINATORS = ("all", "any", "not")
MAX_DEPTH = 32
MAX_LIST = 1000  # values in one in / contains_any list
TEXTS_REMEMBERED = 4096  # per matches test: the texts whose answer it keeps

Predicate = Callable[[Any], bool]
Evaluator = Callable[[Sequence[Any]], list[int]]
Evidence = list[tuple[str, Any]]
_new_tuple = tuple.__new__


class OperandError(ValueError):
    """An operator that cannot apply to its path, or a value of the wrong type for it."""


# --------------------------------------------------------------------------------------
# The condition tree
# --------------------------------------------------------------------------------------


@attrs.frozen(eq=False)
class Leaf:
    """``{ path = "...", <operator> = <value> }``, checked: ``value`` is normalised (dates as
    ISO strings, lists as frozensets, patterns compiled)."""

    path: CompiledPath
    operator: str
    value: Any
    predicate: Predicate


@attrs.frozen(eq=False)
class AllOf:
    children: tuple[Condition, ...]


@attrs.frozen(eq=False)
class AnyOf:
    children: tuple[Condition, ...]


@attrs.frozen(eq=False)
class Not:
    child: Condition


Condition = Leaf | AllOf | AnyOf | Not


def leaves(condition: Condition) -> list[Leaf]:
    """Every leaf test of a condition, in order."""
    if isinstance(condition, Leaf):
        return [condition]
    if isinstance(condition, Not):
        return leaves(condition.child)
    return [leaf for child in condition.children for leaf in leaves(child)]


# --------------------------------------------------------------------------------------
# Checking an operator against its path's type
# --------------------------------------------------------------------------------------


def kind_of(value: Any) -> str:
    """A value's type in words, for messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _scalar(value: Any, field: FieldType, path: str, *, element: bool = False) -> Any:
    """A value the field can hold, normalised; :class:`OperandError` otherwise.

    :param element: ``field`` is the type of the elements of the list ``path``.
    """
    what = f"{path} is a list of {field.describe_plural()}" if element else f"{path} is {field.describe()}"
    got = f"got {kind_of(value)} {value!r}"
    if field.kind == "boolean":
        if not isinstance(value, bool):
            raise OperandError(f"{what}: expected true or false, {got}")
        return value
    if field.is_numeric:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise OperandError(f"{what}: expected a number, {got}")
        return value
    if field.kind != "string":
        raise OperandError(f"{what}: compare one of its fields")
    if not isinstance(value, str):
        raise OperandError(f"{what}: expected a string, {got}")
    if not value:
        raise OperandError(
            "an empty string never matches (an empty text counts as absent); to test for an absent "
            f"{path}, write exists = false"
        )
    if field.is_date:
        try:
            parsed = _dt.date.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is None or len(value) != 10:
            raise OperandError(f"{what}: expected a date such as 2026-12-01, got {value!r}")
        return value
    if field.enum is not None and value not in field.enum:
        close = difflib.get_close_matches(value, field.enum, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        shown = ", ".join(field.enum[:25]) + (", ..." if len(field.enum) > 25 else "")
        raise OperandError(f"{value!r} is not allowed in {path}{hint}; allowed: {shown}")
    return value


def _scalars(
    value: Any, field: FieldType, path: str, operator: str, *, element: bool = False
) -> frozenset[Any]:
    if not isinstance(value, list) or not value:
        raise OperandError(f"{operator} takes a non-empty list of values, got {kind_of(value)} {value!r}")
    if len(value) > MAX_LIST:
        raise OperandError(f"{operator} takes at most {MAX_LIST} values, got {len(value)}")
    return frozenset(_scalar(item, field, path, element=element) for item in value)


def _require_scalar_path(path: CompiledPath, operator: str) -> FieldType:
    field = path.type
    if field.kind == "array":
        raise OperandError(
            f"{operator} needs a path to one value, and {path.text} is {field.describe()}; use contains, "
            f"contains_any or contains_all on a list (or {path.text}[*] for each element)"
        )
    if field.kind == "object":
        raise OperandError(
            f"{operator} needs a path to one value, and {path.text} is an object; name one of its fields "
            f"({', '.join(sorted(field.fields))}) or test it with exists"
        )
    return field


def _require_list_path(path: CompiledPath, operator: str) -> FieldType:
    field = path.type
    if field.kind != "array" or field.element is None:
        text_hint = "; for text use matches" if field.kind == "string" else ""
        raise OperandError(
            f"{operator} needs a path to a list, and {path.text} is {field.describe()}{text_hint}"
        )
    if not field.element.is_scalar:
        raise OperandError(
            f"{operator} compares list elements with values, and {path.text} is a list of objects; "
            f"write {path.text}[*].<field> with eq or in"
        )
    return field.element


def _matcher(pattern: re.Pattern[str]) -> Predicate:
    """A ``matches`` predicate that remembers its answer for each text it has read (texts
    such as product descriptions recur deal after deal); bounded, per engine."""
    search = pattern.search
    seen: dict[str, bool] = {}

    def matches(text: Any) -> bool:
        if not text:
            return False
        found = seen.get(text)
        if found is None:
            found = search(text, 0, MATCH_LIMIT) is not None
            if len(seen) >= TEXTS_REMEMBERED:
                seen.clear()
            seen[text] = found
        return found

    return matches


def check_operand(path: CompiledPath, operator: str, value: Any) -> tuple[Any, Predicate]:
    """The normalised value of a leaf test and its predicate on one value read by ``path``.

    :raises OperandError: the operator does not apply to the path's type, or the value does
        not suit the operator (the message says what was expected).
    """
    where = path.text
    if operator in ("eq", "ne"):
        field = _require_scalar_path(path, operator)
        c = _scalar(value, field, where)
        if operator == "eq":
            return c, lambda x: x == c
        return c, lambda x: x is not None and x != "" and x != c
    if operator in ("in", "not_in"):
        field = _require_scalar_path(path, operator)
        values = _scalars(value, field, where, operator)
        if operator == "in":
            return values, lambda x: x in values
        return values, lambda x: x is not None and x != "" and x not in values
    if operator == "contains":
        element = _require_list_path(path, operator)
        c = _scalar(value, element, where, element=True)
        return c, lambda x: x is not None and c in x
    if operator in ("contains_any", "contains_all"):
        element = _require_list_path(path, operator)
        values = _scalars(value, element, where, operator, element=True)
        if operator == "contains_any":
            return values, lambda x: x is not None and not values.isdisjoint(x)
        return values, lambda x: x is not None and values.issubset(x)
    if operator in ("gt", "ge", "lt", "le"):
        field = path.type
        if not (field.is_numeric or (field.kind == "string" and field.is_date)):
            raise OperandError(
                f"{operator} needs a path to a number or a date, and {where} is {field.describe()}"
            )
        c = _scalar(value, field, where)
        compare = {
            "gt": lambda x: x is not None and x > c,
            "ge": lambda x: x is not None and x >= c,
            "lt": lambda x: x is not None and x < c,
            "le": lambda x: x is not None and x <= c,
        }[operator]
        return c, compare
    if operator == "exists":
        if not isinstance(value, bool):
            raise OperandError(
                f"exists takes true (the value is present) or false (it is absent), got {kind_of(value)} {value!r}"
            )
        present: Predicate = (
            (lambda x: object_present(x, path.type)) if path.type.kind == "object" else is_present
        )
        if value:
            return value, present
        return value, lambda x: not present(x)
    if operator == "matches":
        field = path.type
        if field.kind != "string":
            raise OperandError(f"matches needs a path to a text, and {where} is {field.describe()}")
        if not isinstance(value, str) or not value:
            raise OperandError(
                f"matches takes a regular expression (a non-empty string), got {kind_of(value)} {value!r}"
            )
        try:
            pattern = compile_pattern(value)
        except UnsafePattern as error:
            raise OperandError(str(error)) from None
        return pattern, _matcher(pattern)
    raise OperandError(f"unknown operator {operator!r}; operators: {', '.join(OPERATORS)}")


# --------------------------------------------------------------------------------------
# Compiling: the fast test
# --------------------------------------------------------------------------------------


_COMPARISONS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def _present_values(values: Sequence[Any]) -> frozenset[Any]:
    return frozenset(x for x in values if x is not None and x != "" and x != ())


def _union(values: Sequence[Any]) -> frozenset[Any]:
    return frozenset().union(*values)


def _largest(values: Sequence[Any]) -> Any:
    present = [x for x in values if x is not None]
    return max(present) if present else None


def _smallest(values: Sequence[Any]) -> Any:
    present = [x for x in values if x is not None]
    return min(present) if present else None


# Summaries of a [*] path's values that tests read instead of looping over the values: each
# is computed once per vector, however many tests read it.
SUMMARIES: dict[str, Callable[[Sequence[Any]], Any]] = {
    "present": _present_values,  # the set of its present values
    "union": _union,  # for a list of lists: the set of every element of every list
    "largest": _largest,  # the largest present value (None when there is none)
    "smallest": _smallest,
}


def summary_of(leaf: Leaf) -> str | None:
    """The summary of its path's value(s) a leaf's test reads (see :func:`summariser`), or
    None when it reads the value itself."""
    path, operator = leaf.path, leaf.operator
    if operator == "matches":
        return "matched"
    if not path.wildcard or not path.flat:
        return None
    if operator in ("gt", "ge"):
        return "largest"
    if operator in ("lt", "le"):
        return "smallest"
    if operator in ("ne", "not_in") or (operator == "exists" and leaf.value is True):
        return "present"
    if operator in ("contains", "contains_any") and path.type.kind == "array":
        return "union"
    return None


def summariser(summary: str, readers: Sequence[Leaf]) -> Callable[[Any], Any]:
    """The function that computes a summary of one path's value from the vector, for the
    leaves that read it: one of :data:`SUMMARIES`, or ``matched``: the set of the patterns
    (of every ``matches`` test on the path) that match its text (for a [*] path, any of its
    texts). A text's set is computed once and remembered (texts such as product descriptions
    recur deal after deal), so each ``matches`` test costs a set lookup."""
    if summary != "matched":
        return SUMMARIES[summary]
    searches = tuple({leaf.value.pattern: leaf.value.search for leaf in readers}.items())
    seen: dict[str, frozenset[str]] = {}
    nothing: frozenset[str] = frozenset()

    def matched(text: Any) -> frozenset[str]:
        if not text:
            return nothing
        found = seen.get(text)
        if found is None:
            found = frozenset(
                source for source, search in searches if search(text, 0, MATCH_LIMIT) is not None
            )
            if len(seen) >= TEXTS_REMEMBERED:
                seen.clear()
            seen[text] = found
        return found

    if not readers[0].path.wildcard:
        return matched
    return lambda texts: nothing.union(*map(matched, texts))


def summary_key(text: str, summary: str) -> str:
    """The slot name of a summary of a path's values."""
    return f"{text}|{summary}"


class _Constants:
    """The values a generated evaluator reads, each bound to a parameter ``k<n>`` (a local
    variable at run time): no value from a rules file is ever written into source text."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def name(self, value: Any) -> str:
        self.values.append(value)
        return f"k{len(self.values) - 1}"


def _expression(condition: Condition, slot: Mapping[str, int], constants: _Constants) -> str:
    """A Python expression for a condition, from fixed fragments: ``v[i]`` (the vector's
    value ``i``), ``k<n>`` (a constant) and operators. The commonest tests are written out;
    the others call the leaf's predicate. A path with [*] holds the tuple of its values."""
    if isinstance(condition, Not):
        return f"(not {_expression(condition.child, slot, constants)})"
    if isinstance(condition, (AllOf, AnyOf)):
        joiner = " and " if isinstance(condition, AllOf) else " or "
        return "(" + joiner.join(_expression(child, slot, constants) for child in condition.children) + ")"
    value = f"v[{slot[condition.path.text]}]"
    operator = condition.operator
    if operator == "matches":
        return f"({constants.name(condition.value.pattern)} in v[{slot[summary_key(condition.path.text, 'matched')]}])"
    if condition.path.wildcard:
        summary = summary_of(condition)
        if summary is not None:
            value = f"v[{slot[summary_key(condition.path.text, summary)]}]"
        if summary in ("largest", "smallest"):
            return f"({value} is not None and {value} {_COMPARISONS[operator]} {constants.name(condition.value)})"
        if summary == "present" and operator == "exists":
            return f"bool({value})"
        if summary == "present":  # some present value differs from (ne) or is none of (not_in) these
            values = frozenset({condition.value}) if operator == "ne" else condition.value
            return f"(not {constants.name(values)}.issuperset({value}))"
        if summary == "union" and operator == "contains":
            return f"({constants.name(condition.value)} in {value})"
        if summary == "union":
            return f"(not {constants.name(condition.value)}.isdisjoint({value}))"
        if operator == "eq":
            return f"({constants.name(condition.value)} in {value})"
        if operator == "in":
            return f"(not {constants.name(condition.value)}.isdisjoint({value}))"
        return f"any(map({constants.name(condition.predicate)}, {value}))"
    if operator == "eq":
        return f"({value} == {constants.name(condition.value)})"
    if operator == "in":
        return f"({value} in {constants.name(condition.value)})"
    if operator == "contains":
        return f"({constants.name(condition.value)} in {value})"
    if operator == "contains_any":
        return f"(not {constants.name(condition.value)}.isdisjoint({value}))"
    if operator == "contains_all":
        return f"{constants.name(condition.value)}.issubset({value})"
    if operator in _COMPARISONS:
        return f"({value} is not None and {value} {_COMPARISONS[operator]} {constants.name(condition.value)})"
    if operator == "ne":
        return f'({value} is not None and {value} != "" and {value} != {constants.name(condition.value)})'
    if operator == "not_in":
        return f'({value} is not None and {value} != "" and {value} not in {constants.name(condition.value)})'
    if operator == "exists" and condition.path.type.kind != "object":
        present = f'({value} is not None and {value} != "" and {value} != ())'
        return present if condition.value else f"(not {present})"
    return f"{constants.name(condition.predicate)}({value})"


def compile_evaluator(conditions: Sequence[Condition], slot: Mapping[str, int]) -> Evaluator:
    """One function that tests every condition on a vector of path values and returns the
    indices of those that hold, compiled once per engine.

    The function is generated as Python source so that a rule costs one ``if`` and its
    condition one expression, with no call per node (closures, one per node, took about
    90 us for 200 rules on a transaction; this function, with the summaries, about 23 us:
    docs/performance.md). The source is made only of fixed fragments, vector indices and
    constant names (see :func:`_expression`); strings, numbers and patterns from the rules
    are bound constants, never source text, so a rules file cannot inject code.
    """
    constants = _Constants()
    body = [
        line
        for index, condition in enumerate(conditions)
        for line in (f"    if {_expression(condition, slot, constants)}:", f"        fired.append({index})")
    ]
    parameters = "".join(f", k{n}=k[{n}]" for n in range(len(constants.values)))
    signature = f"def evaluate(v, *{parameters}):" if parameters else "def evaluate(v):"
    source = "\n".join([signature, "    fired = []", *body, "    return fired"])
    namespace: dict[str, Any] = {
        "__builtins__": {},
        "k": tuple(constants.values),
        "any": any,
        "map": map,
        "bool": bool,
    }
    exec(compile(source, "<hrdd declarative rules>", "exec"), namespace)
    evaluate: Evaluator = namespace["evaluate"]
    return evaluate


# --------------------------------------------------------------------------------------
# Explaining: the evidence of a condition that holds
# --------------------------------------------------------------------------------------


def _occurrences(leaf: Leaf, transaction: Any, item: Any) -> list[tuple[str, Any]]:
    if leaf.path.item_relative:
        return leaf.path.occurrences(item, item.path)
    return leaf.path.occurrences(transaction, "")


def explain(condition: Condition, transaction: Any, item: Any) -> Evidence | None:
    """The evidence that makes the condition true (concrete paths and values, as in a
    transaction document), or None when it is false."""
    if isinstance(condition, Leaf):
        field = condition.path.type
        predicate = condition.predicate
        found = [
            (path, to_document(value, field))
            for path, value in _occurrences(condition, transaction, item)
            if predicate(value)
        ]
        return found or None
    if isinstance(condition, Not):
        if explain(condition.child, transaction, item) is not None:
            return None
        return observe(condition.child, transaction, item)
    evidence: Evidence = []
    if isinstance(condition, AllOf):
        for child in condition.children:
            found_child = explain(child, transaction, item)
            if found_child is None:
                return None
            evidence += found_child
        return evidence
    for child in condition.children:
        found_child = explain(child, transaction, item)
        if found_child is not None:
            evidence += found_child
    return evidence or None


Explainer = Callable[[Sequence[Any], Any, Any], "Evidence | None"]


def compile_explainer(condition: Condition, slot: Mapping[str, int]) -> Explainer:
    """``explain`` for a rule that fired, reading flat paths from the vector the test read
    (no second walk through the model) and the others from the model:
    ``explainer(vector, transaction, item)``."""
    if isinstance(condition, Leaf) and condition.path.flat:
        return _flat_leaf_explainer(condition, slot[condition.path.text])
    if isinstance(condition, Leaf):
        return lambda v, transaction, item: explain(condition, transaction, item)
    if isinstance(condition, Not):
        inner = compile_explainer(condition.child, slot)
        observers = [_observer(leaf, slot) for leaf in leaves(condition.child)]

        def negation(v: Sequence[Any], transaction: Any, item: Any) -> Evidence | None:
            if inner(v, transaction, item) is not None:
                return None
            return [found for observe_leaf in observers for found in observe_leaf(v, transaction, item)]

        return negation
    children = [compile_explainer(child, slot) for child in condition.children]
    if isinstance(condition, AllOf):

        def all_of(v: Sequence[Any], transaction: Any, item: Any) -> Evidence | None:
            evidence: Evidence = []
            for child in children:
                found = child(v, transaction, item)
                if found is None:
                    return None
                evidence += found
            return evidence

        return all_of

    def any_of(v: Sequence[Any], transaction: Any, item: Any) -> Evidence | None:
        evidence: Evidence = []
        for child in children:
            found = child(v, transaction, item)
            if found is not None:
                evidence += found
        return evidence or None

    return any_of


def _flat_leaf_explainer(leaf: Leaf, i: int) -> Explainer:
    path, predicate = leaf.path, leaf.predicate
    if not path.wildcard and not path.item_relative:
        text = path.text

        def transaction_value(v: Sequence[Any], transaction: Any, item: Any) -> Evidence | None:
            value = v[i]
            return [(text, value)] if predicate(value) else None

        return transaction_value
    if not path.wildcard:

        def item_value(v: Sequence[Any], transaction: Any, item: Any) -> Evidence | None:
            value = v[i]
            return [(path.concrete(None, item.path), value)] if predicate(value) else None

        return item_value

    def each(v: Sequence[Any], transaction: Any, item: Any) -> Evidence | None:
        prefix = item.path if item is not None else None
        found = [
            (path.concrete(index, prefix), value) for index, value in enumerate(v[i]) if predicate(value)
        ]
        return found or None

    return each


def _observer(leaf: Leaf, slot: Mapping[str, int]) -> Callable[[Sequence[Any], Any, Any], Evidence]:
    """Every value a leaf reads, as evidence (what made a ``not`` true)."""
    path = leaf.path
    if not path.flat:
        return lambda v, transaction, item: observe(leaf, transaction, item)
    i = slot[path.text]

    def observe_flat(v: Sequence[Any], transaction: Any, item: Any) -> Evidence:
        prefix = item.path if item is not None else None
        if not path.wildcard:
            return [(path.concrete(None, prefix), v[i])]
        values = v[i]
        if not values:
            return [(path.named(prefix), ())]
        return [(path.concrete(index, prefix), value) for index, value in enumerate(values)]

    return observe_flat


def observe(condition: Condition, transaction: Any, item: Any) -> Evidence:
    """Every value a condition reads (what made a ``not`` true is the values its inner
    condition saw); a ``[*]`` over an empty list reads as the path with no values."""
    evidence: Evidence = []
    for leaf in leaves(condition):
        found = _occurrences(leaf, transaction, item)
        if not found:
            evidence.append((leaf.path.named(item.path if item is not None else None), ()))
        evidence += [(path, to_document(value, leaf.path.type)) for path, value in found]
    return evidence


def evidence_records(evidence: Evidence, *, unique: bool = False) -> tuple[EvidenceRecord, ...]:
    """Evidence as a finding's records, without repeated paths (the first value of each
    stands), in order. ``unique``: the caller knows no path repeats."""
    if not unique and len({path for path, _ in evidence}) < len(evidence):
        first: dict[str, Any] = {}
        for path, value in evidence:
            first.setdefault(path, value)
        evidence = list(first.items())
    return tuple(map(_new_tuple, repeat(EvidenceRecord, len(evidence)), evidence))
