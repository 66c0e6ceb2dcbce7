"""A memory budget: memories that grow while the process has memory to spare, and hold once
it is near (``hrdd batch --memory-budget``: tests/test_batch.py runs it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hrdd.memory import GROW_BELOW, Memory, MemoryBudget, may_grow, parse_size

MIB = 1 << 20


@pytest.fixture(autouse=True)
def _no_budget_left_behind() -> Iterator[None]:
    yield
    assert not may_grow(), "a test left a memory budget open"


class Resident:
    """A resident memory the test sets."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("800MiB", 800 * MIB),
        ("800M", 800 * MIB),
        ("800mb", 800 * MIB),
        ("2GiB", 2 << 30),
        ("1.5G", 3 << 29),
        (" 64 KiB ", 64 << 10),
        ("1T", 1 << 40),
        ("1073741824", 1 << 30),
        ("4096B", 4096),
    ],
)
def test_a_size_is_read_as_people_write_it(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "abc", "0", "0.4", "-1G", "1Q", "5i", "GiB", "1 G B", "inf", "nan"])
def test_a_size_that_is_not_one_is_refused_with_examples(text):
    with pytest.raises(ValueError, match=r"expected a size such as 800MiB, 2GiB or 1\.5G"):
        parse_size(text)


def test_full_memories_grow_while_there_is_room_and_hold_once_the_budget_is_near():
    resident = Resident(100 * MIB)
    budget = MemoryBudget(1000 * MIB, resident)
    try:
        memory: Memory[int, int] = Memory(4)
        small: Memory[int, int] = Memory(4)
        small.keep(0, 0)
        budget.check()  # 100 of 1,000 MiB: room
        for key in range(20):
            memory.keep(key, key)
        assert len(memory) == 20 and memory.size == 32  # doubled from 4 rather than forget
        assert budget.growth() == 8.0

        resident.now = int(1000 * MIB * GROW_BELOW)  # near the budget: held at what they hold
        budget.check()
        assert budget.reached and not may_grow()
        assert (memory.size, small.size) == (20, 4)  # never below the built size
        memory.keep(20, 20)  # full: forgets its older half, as without a budget
        assert sorted(memory) == list(range(10, 21))
        assert budget.peak == int(1000 * MIB * GROW_BELOW)
    finally:
        budget.close()


def test_a_memory_with_no_budget_forgets_its_older_half_when_full():
    memory: Memory[int, int] = Memory(4)
    for key in range(5):
        memory.keep(key, key)
    assert memory.size == 4 and sorted(memory) == [2, 3, 4]


def test_closing_a_budget_holds_the_memories_where_they_are():
    budget = MemoryBudget(1 << 40, Resident(MIB))
    memory: Memory[int, int] = Memory(2)
    budget.check()
    for key in range(5):
        memory.keep(key, key)
    assert memory.size == 8
    budget.close()
    assert memory.size == 5 and not may_grow()


def test_a_budget_is_a_positive_number_of_bytes():
    with pytest.raises(ValueError, match="positive number of bytes"):
        MemoryBudget(0)


def test_a_long_chunk_looks_at_the_budget_within_it(tmp_path):
    """With --chunk-size above BUDGET_LINES, the memories could outgrow the budget by a
    chunk's worth before the look at its end: the budget is looked at every BUDGET_LINES lines
    too."""
    import datetime as dt
    import json
    from pathlib import Path

    import hrdd
    from hrdd.batch import BUDGET_LINES, LineAssessor

    root = Path(__file__).resolve().parents[1]
    example = json.loads(
        next(iter(sorted((root / "policies/examples/transactions").glob("*.json")))).read_text()
    )
    engine = hrdd.Engine.from_policy(str(root / "benchmarks/baseline-without-screening.toml"), lock=False)
    assessor = LineAssessor(engine, dt.date(2026, 12, 1), "in.jsonl")
    looks = Resident(MIB)
    calls = []

    def resident() -> int:
        calls.append(1)
        return looks()

    assessor.budget = MemoryBudget(1 << 40, resident)
    try:
        lines = [
            (n + 1, json.dumps({**example, "id": f"TX-{n}"}).encode()) for n in range(2 * BUDGET_LINES + 10)
        ]
        result = assessor.assess_chunk(lines)
    finally:
        assessor.budget.close()
    assert len(result.outcomes) == 2 * BUDGET_LINES + 10
    assert len(calls) == 1 + 2 + 1  # when made, at lines 256 and 512, and at the chunk's end


def test_recall_builds_once_per_key_and_remembers_none_too():
    memory: Memory[str, int | None] = Memory(8)
    built: list[str] = []

    def build(key: str, value: int | None) -> int | None:
        built.append(key)
        return value

    assert memory.recall("a", lambda: build("a", 1)) == 1
    assert memory.recall("a", lambda: build("a", 2)) == 1
    assert memory.recall("none", lambda: build("none", None)) is None
    assert memory.recall("none", lambda: build("none", 3)) is None  # found nothing: remembered
    assert built == ["a", "none"]
    # recurring: kept only from the second time the key comes
    assert memory.recall("r", lambda: build("r", 5), recurring=True) == 5
    assert memory.recall("r", lambda: build("r", 6), recurring=True) == 6
    assert memory.recall("r", lambda: build("r", 7), recurring=True) == 6
    assert built == ["a", "none", "r", "r"]
