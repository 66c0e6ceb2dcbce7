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

A memory's size is a trade of memory for speed: ``HRDD_MEMORY_SCALE`` multiplies every size
when the memory is made, and under a :class:`MemoryBudget` (``hrdd batch --memory-budget``) a
full memory grows rather than forget while the process has memory to spare.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import sys
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")

_MISSING: Any = object()  # a key not in a memory (None is a value a builder may return)

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

    __slots__ = ("__weakref__", "_seen", "built", "size")

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        super().__init__()
        if size < 1:
            raise ValueError(f"a memory holds at least one value, not {size}")
        self.size = self.built = scaled(size)  # as HRDD_MEMORY_SCALE says (see memory_scale)
        self._seen = Sightings(4 * size)  # keys seen once (see keep_recurring)
        _register(self)  # for a memory budget (see MemoryBudget)

    def keep(self, key: K, value: V) -> V:
        """Remember ``value`` under ``key`` and return it."""
        if len(self) >= self.size:
            self._full()
        self[key] = value
        return value

    def _full(self) -> None:
        """Make room: grow when a memory budget has room (MemoryBudget), else forget the
        older half. (Every full memory grows, whether or not what it forgets would come
        back. Telling them apart by the marks of the keys forgotten last cost 7% more CPU a
        deal on a large order book, for hashing every key kept; and growing only those that
        built enough again took more CPU still under a budget, as a memory must forget once
        to learn whether it should have kept.)"""
        if _GROWTH.room:
            self.size *= 2
        else:
            self._forget_older_half()

    def _forget_older_half(self) -> None:
        """Forget the values kept longest ago (a dict iterates in the order keys came)."""
        keys = list(itertools.islice(self, (len(self) + 1) // 2))
        _GROWTH.forgotten += len(keys)
        for key in keys:
            del self[key]

    def recall(self, key: K, build: Callable[[], T], *, recurring: bool = False) -> T:
        """The value remembered under ``key``, else what ``build()`` returns, kept under it
        (:meth:`keep`, or :meth:`keep_recurring` when ``recurring``). The value may be None:
        a key whose builder found nothing is remembered as such.

        A call and a closure per lookup: for a builder called a few times a deal. On the
        hottest paths, ``get`` and ``keep`` written out cost less."""
        found = self.get(key, _MISSING)
        if found is _MISSING:
            value = cast(V, build())
            found = self.keep_recurring(key, value) if recurring else self.keep(key, value)
        return cast(T, found)

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


# --------------------------------------------------------------------------------------
# A memory budget: memories that grow while the process has memory to spare
# --------------------------------------------------------------------------------------

# Every memory alive, by id (a memory is a dict: not hashable, so not in a WeakSet).
_MEMORIES: dict[int, weakref.ref[Memory[Any, Any]]] = {}


def _register(memory: Memory[Any, Any]) -> None:
    key = id(memory)

    def gone(_: object) -> None:
        _MEMORIES.pop(key, None)

    _MEMORIES[key] = weakref.ref(memory, gone)


def _alive() -> list[Memory[Any, Any]]:
    return [memory for ref in list(_MEMORIES.values()) if (memory := ref()) is not None]


class _Growth:
    """Whether a full memory may grow (double) rather than forget: only while a
    :class:`MemoryBudget` says the process has room, off without one; and how many values
    the memories of this process have forgotten so far."""

    __slots__ = ("forgotten", "room")

    def __init__(self) -> None:
        self.room = False
        self.forgotten = 0


_GROWTH = _Growth()


def forgotten() -> int:
    """How many values the memories of this process have forgotten so far (the older halves
    of full memories): values it builds again if deals bring them back."""
    return _GROWTH.forgotten


def may_grow() -> bool:
    """Whether full memories grow rather than forget now (for bounds kept outside a
    :class:`Memory`, which follow the memories: the engine's enforced findings)."""
    return _GROWTH.room


# Memories grow while the resident memory is below this share of the budget: the rest is
# headroom for what one chunk of lines adds before the next look, and for what is not a memory.
GROW_BELOW = 0.9


def resident_bytes() -> int:
    """This process's resident memory in bytes (Linux: now; elsewhere: its peak so far)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # macOS says bytes, Linux KiB


class MemoryBudget:
    """Lets this process's memories grow past their built sizes while its resident memory is
    below the budget, and holds them at what they then hold once it is reached.

    The built sizes suit a process of some hundreds of MiB. A large order book has more
    findings that come back than that holds, and each one forgotten is built, enforced and
    written again when it comes back; a process with memory to spare spends it here instead.
    Call :meth:`check` between pieces of work (a batch does after every chunk, and every 256
    lines within a longer one): while the resident memory is below :data:`GROW_BELOW` of
    ``limit``, a full memory doubles rather than forget its older half; once it is not,
    every memory is held at the larger of its built size and what it holds, and forgets as
    before. Reports never depend on it.

    One budget per process at a time (memories are the process's): :meth:`close` ends it
    (memories keep their sizes, and stop growing).
    """

    def __init__(self, limit: int, resident: Callable[[], int] = resident_bytes) -> None:
        if limit < 1:
            raise ValueError(f"a memory budget is a positive number of bytes, not {limit}")
        self.limit = limit
        self._resident = resident
        self.peak = 0
        self.reached = False
        # Each memory's size when the budget began (one made later: its built size).
        self._before = {id(memory): memory.size for memory in _alive()}
        self.check()  # room from the start, or none

    def check(self) -> None:
        """Look at the resident memory now: let the memories grow, or hold them."""
        now = self._resident()
        self.peak = max(self.peak, now)
        room = now < self.limit * GROW_BELOW
        if not room:
            self.reached = True
        if room == _GROWTH.room:
            return
        _GROWTH.room = room
        if not room:
            _hold()

    def growth(self) -> float:
        """How many times its size when the budget began the memory that grew most has now
        (1.0: none grew)."""
        before = self._before
        return max((memory.size / before.get(id(memory), memory.built) for memory in _alive()), default=1.0)

    def close(self) -> None:
        """End the budget: memories stop growing, held at what they hold (at least their
        built sizes)."""
        if _GROWTH.room:
            _GROWTH.room = False
            _hold()


def _hold() -> None:
    """Hold every memory at the larger of its built size and what it holds now: a memory
    that has just doubled would otherwise go on filling past the budget."""
    for memory in _alive():
        memory.size = max(memory.built, len(memory))


_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(i?b?)\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """A size in bytes as a person writes it: ``800MiB``, ``2GiB``, ``1.5G``, ``512M``,
    ``1073741824`` (units are powers of 1024, with or without ``i`` and ``B``).

    :raises ValueError: not a positive size.
    """
    match = _SIZE.fullmatch(text)
    value = 0.0
    if match is not None and (match.group(2) or not match.group(3) or match.group(3).lower() == "b"):
        value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if not (math.isfinite(value) and value >= 1):
        raise ValueError(f"{text!r}: expected a size such as 800MiB, 2GiB or 1.5G (units of 1024 bytes)")
    return int(value)
