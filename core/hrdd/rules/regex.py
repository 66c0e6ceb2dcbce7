"""Regular expressions for ``matches``: compiled once, refused when they could take
catastrophic time, and run on a bounded length of text.

Python's ``re`` backtracks, so a pattern such as ``(a+)+b`` takes exponential time on a
text of many ``a`` and ``\\d+\\d+x`` polynomial time; a transaction's free text comes from
outside the company. The check here is static and conservative (it refuses some harmless
patterns rather than let a dangerous one through):

- no backreference (``(a)\\1``) or conditional group (``(?(1)a|b)``);
- no nested quantifier: a repeated part may not itself contain a repetition (``(a+)+``,
  ``(\\w+\\s?)*``);
- no quantified alternation: a repeated part may not contain ``|`` (``(a|ab)*``; a character
  class ``[ab]*`` is fine);
- a bounded worst case: the product of every repetition's range (an unbounded ``*``, ``+``
  or ``{n,}`` counts as the whole text, :data:`MATCH_LIMIT` characters) times the text's
  length may not exceed :data:`WORK_BUDGET` steps. In practice: at most one unbounded
  repetition per pattern, and bounded ones (``.{0,40}``) kept small.

A pattern reads at most the first :data:`MATCH_LIMIT` characters of a text (a match must
begin and end within them).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

MATCH_LIMIT = 4096  # characters of a text a pattern reads
MAX_PATTERN_LENGTH = 500
WORK_BUDGET = 1 << 26  # about 0.1 s of backtracking in the worst case, on a 2020s CPU

_parser: Any = importlib.import_module("re._parser")  # the parser re.compile uses (no public API)
_constants: Any = importlib.import_module("re._constants")

_REPEATS = frozenset({_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT})
_BACKREFERENCES = frozenset({_constants.GROUPREF, _constants.GROUPREF_EXISTS})
_CONSERVATIVE = "(a conservative static check: hrdd refuses patterns whose matching time it cannot bound)"


class UnsafePattern(ValueError):
    """A pattern that is not a valid regular expression, or that could take catastrophic time."""


def _children(code: Any, argument: Any) -> list[Any]:
    """The sub-patterns of one parsed node (as lists of nodes)."""
    if code in _REPEATS:
        return [argument[2]]
    if code is _constants.SUBPATTERN:
        return [argument[3]]
    if code is _constants.BRANCH:
        return list(argument[1])
    if code in (_constants.ASSERT, _constants.ASSERT_NOT):
        return [argument[1]]
    if code is _constants.ATOMIC_GROUP:
        return [argument]
    return []


def _contains(nodes: Any, wanted: Any) -> bool:
    """Whether a parsed sub-pattern contains a node for which ``wanted(code, argument)``."""
    for code, argument in nodes:
        if wanted(code, argument):
            return True
        if any(_contains(child, wanted) for child in _children(code, argument)):
            return True
    return False


def _varies(code: Any, argument: Any) -> bool:
    return code in _REPEATS and argument[1] != argument[0]


def _problems(nodes: Any, found: list[str], factors: list[int]) -> None:
    for code, argument in nodes:
        if code in _BACKREFERENCES:
            found.append(
                f"it uses a backreference or conditional group, which can take exponential time {_CONSERVATIVE}"
            )
        if code in _REPEATS:
            low, high, body = argument
            if high != low:
                if _contains(body, _varies):
                    found.append(
                        "it repeats a part that itself contains a repetition (a nested quantifier such "
                        f"as (a+)+), which can take exponential time {_CONSERVATIVE}; repeat a character "
                        "class instead ([a-z ]+)"
                    )
                elif high > 1 and _contains(body, lambda c, _a: c is _constants.BRANCH):
                    found.append(
                        "it repeats an alternation (a quantified group with | such as (a|ab)*), which "
                        f"can take exponential time {_CONSERVATIVE}; use a character class ([ab]*) or "
                        "several tests under any"
                    )
                unbounded = high is _constants.MAXREPEAT or high >= MATCH_LIMIT
                factors.append(MATCH_LIMIT if unbounded else high - low + 1)
        for child in _children(code, argument):
            _problems(child, found, factors)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a ``matches`` pattern, refusing what could take catastrophic time.

    :raises UnsafePattern: the pattern is invalid, too long, or could take catastrophic time;
        the message says which and what to write instead.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafePattern(f"the pattern is {len(pattern)} characters long; at most {MAX_PATTERN_LENGTH}")
    try:
        compiled = re.compile(pattern)
        parsed = _parser.parse(pattern)
    except re.error as error:
        where = f" at position {error.pos}" if error.pos is not None else ""
        raise UnsafePattern(f"not a valid regular expression: {error.msg}{where}") from None
    except (RecursionError, OverflowError, ValueError) as error:
        raise UnsafePattern(f"not a usable regular expression: {error}") from None
    found: list[str] = []
    factors: list[int] = []
    _problems(parsed.data if hasattr(parsed, "data") else parsed, found, factors)
    if found:
        raise UnsafePattern(found[0])
    work = MATCH_LIMIT
    for factor in factors:
        work *= factor
    if work > WORK_BUDGET:
        unbounded = sum(1 for factor in factors if factor == MATCH_LIMIT)
        if unbounded > 1:
            detail = (
                f"it has {unbounded} unbounded repetitions (*, + or {{n,}}); hrdd allows one per pattern, "
                "because each further one multiplies the worst-case matching time by the length of the text"
            )
        else:
            detail = "its repetitions' ranges multiply to too large a worst-case matching time"
        raise UnsafePattern(
            f"{detail} {_CONSERVATIVE}; use bounded repetitions such as \\s{{1,3}} or .{{0,40}}, or split "
            "it into several matches tests under all"
        )
    return compiled
