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
from array import array
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
    """Which of the last ``size`` or so keys were seen before, as marks: each key's hash,
    kept in a table of machine integers (``array``), so that nothing the key holds is kept
    alive and a mark costs 8 bytes rather than a Python int and a set's slot (some 70 bytes).

    A key has two slots side by side, chosen by its hash's low bits, in a table of twice
    ``size`` slots (a power of two, grown to it as marks come): a new key takes the first and
    moves the mark there to the second, whose mark is forgotten. So the marks of keys seen
    long ago give way one by one to new ones (of the last ``size`` keys, some nine in ten are
    still known), and the table never grows past its slots. Two keys of one hash make the
    second look seen already: "seen before" is a hint for whether to remember or look up a
    value, never an answer in itself."""

    __slots__ = ("_grow_at", "_marks", "_mask", "_slots", "size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"sightings hold at least one mark, not {size}")
        self.size = size
        self._slots = max(2, 1 << (2 * size - 1).bit_length())  # the table's slots when grown
        self._table(min(self._slots, _FIRST_SLOTS))

    def _table(self, slots: int) -> None:
        """A table of ``slots`` empty slots (0: no mark; a hash of 0 is marked as 1)."""
        self._marks = array("q", bytes(8 * slots))
        self._mask = slots - 2  # a pair's first slot (an even index)
        # Grown (fourfold, up to _slots) once half as many new marks as slots were made.
        self._grow_at = slots // 2 if slots < self._slots else -1

    def first(self, key: Hashable) -> bool:
        """Whether ``key`` is seen for the first time (it is noted either way)."""
        mark = hash(key) or 1
        marks = self._marks
        slot = mark & self._mask
        newer = marks[slot]
        if newer == mark or marks[slot + 1] == mark:
            return False
        marks[slot + 1] = newer
        marks[slot] = mark
        if self._grow_at > 0:
            self._grow_at -= 1
            if not self._grow_at:
                self._grow()
        return True

    def _grow(self) -> None:
        old = self._marks
        self._table(min(self._slots, 4 * len(old)))
        marks, mask = self._marks, self._mask
        for older, newer in zip(old[1::2], old[::2], strict=True):  # each pair, the older first
            for mark in (older, newer):
                if mark:
                    slot = mark & mask
                    marks[slot + 1] = marks[slot]
                    marks[slot] = mark

    def __len__(self) -> int:
        """How many marks are held."""
        return len(self._marks) - self._marks.count(0)


_FIRST_SLOTS = 64  # a table's slots at first (grown as marks come, see Sightings)


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
        self._seen = Sightings(4 * self.size)  # keys seen once (see keep_recurring)

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
