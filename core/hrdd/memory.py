"""A bounded memory of built values, for plugins that return the same findings again.

Findings are immutable values. A check that builds the same finding for the same inputs can
remember it and return the very same object the next time: the engine then enforces, ranks
and writes it once, and a batch of deals that share a customer, a product or a contract
template costs a fraction of one where every finding is new.

    from hrdd.memory import Memory

    memory: Memory[tuple[Any, ...], Finding] = Memory()
    key = (item.categories, item.design_safeguards, end_user.country)  # all the builder reads
    finding = memory.get(key)
    if finding is None:
        finding = memory.keep(key, build(item, end_user))

The key must hold everything the builder reads (besides what the memory belongs to, such as
the plugin's state built from its configuration): two deals that give the same key must get
the same finding, whatever came before. Keep a memory in the plugin's state (one per engine),
not in a module global, so that two engines with different data or settings never share one.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Hashable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_SIZE = 1024

# Every memory's size is multiplied by this environment variable's value when the memory is
# made (``hrdd batch --memory-scale`` sets it, so spawned workers see it too): the bounds are
# a trade of memory for speed, sized for a worker of some hundreds of MiB, and a machine with
# memory to spare buys speed on a large order book by raising them. Reports never depend on it.
SCALE_VARIABLE = "HRDD_MEMORY_SCALE"


def memory_scale() -> float:
    """The factor every memory's size is multiplied by (1 unless ``HRDD_MEMORY_SCALE`` says).

    :raises ValueError: the variable is set to something other than a positive number.
    """
    text = os.environ.get(SCALE_VARIABLE, "").strip()
    return parse_scale(text, SCALE_VARIABLE) if text else 1.0


def parse_scale(text: str, source: str) -> float:
    """A memory scale as written (``source`` says where, for the message).

    :raises ValueError: not a positive number.
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"{source}={text!r}: expected a positive number (1: the sizes as built; 2: twice as large)"
        )
    return value


def scaled(size: int) -> int:
    """``size`` multiplied by :func:`memory_scale`, at least 1."""
    return max(1, round(size * memory_scale()))


class Sightings:
    """Which keys were seen before, as marks (each key's hash, a plain int, so that nothing
    the key holds is kept alive), forgetting every mark at once when ``size`` are held.

    Two keys of one hash make the second look seen already: "seen before" is a hint for
    whether to remember or look up a value, never an answer in itself."""

    __slots__ = ("_marks", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._marks: set[int] = set()

    def first(self, key: Hashable) -> bool:
        """Whether ``key`` is seen for the first time (it is noted either way)."""
        mark = hash(key)
        marks = self._marks
        if mark in marks:
            return False
        if len(marks) >= self.size:
            marks.clear()
        marks.add(mark)
        return True

    def __len__(self) -> int:
        return len(self._marks)


class Memory(dict[K, V]):
    """A dict that forgets its older half when it is full: a bound on memory for long
    batches, at no cost per lookup (``get`` is the dict's own, so nothing records which
    values are used). The half kept is the one most recently built; a value forgotten that
    the batch still needs is built again once and kept among the newer half. Forgetting
    everything instead (as this did before) cost a working set larger than the bound all of
    it, again and again: on an order book of 1,500 customers some memories forgot everything
    every few hundred deals."""

    __slots__ = ("_seen", "size")

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        super().__init__()
        if size < 1:
            raise ValueError(f"a memory holds at least one value, not {size}")
        self.size = scaled(size)  # as HRDD_MEMORY_SCALE says (see memory_scale)
        self._seen = Sightings(4 * size)  # keys seen once (see keep_recurring)

    def keep(self, key: K, value: V) -> V:
        """Remember ``value`` under ``key`` and return it."""
        if len(self) >= self.size:
            self._forget_older_half()
        self[key] = value
        return value

    def _forget_older_half(self) -> None:
        """Forget the values kept longest ago (a dict iterates in the order keys came)."""
        for key in list(itertools.islice(self, (len(self) + 1) // 2)):
            del self[key]

    def keep_recurring(self, key: K, value: V) -> V:
        """Return ``value``, remembered under ``key`` only if the key was seen before.

        For keys that hold what deals may list afresh each time (a contract's clauses, an
        item's configuration): a company's templates repeat them deal after deal, but where
        every deal has its own, hardly a key comes back, and remembering each value would only
        keep findings alive for the garbage collector to go through again and again (and a
        finding a plugin keeps is one the engine must copy rather than fill in place). A key
        seen once is marked by its hash (:class:`Sightings`): two keys of the same hash only
        let a value in one deal early, never a wrong one (the value is still stored by its
        key)."""
        if self._seen.first(key):
            return value
        return self.keep(key, value)

    def __repr__(self) -> str:
        return f"Memory({len(self)} of {self.size})"
