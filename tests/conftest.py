"""Fixtures for the core tests: example transactions, a baseline engine, a capability-only
policy, throwaway policies.

Nothing here is imported by other test trees (docs, plugins): each fixture stands alone.
Every test that needs an engine builds its own (a fresh plugin manager), and extension
modules a test writes are removed from ``sys.modules`` when the test ends.

Three policies serve three kinds of test. The baseline (``engine``) is the default policy;
its plugins change as guidance is added. It names no screening list (hrdd ships none), so it
escalates every deal with HRDD-SCR-005 until a company policy names one. The baseline with a
screening list (``screened_policy``, ``screened_engine``: ``tests/scenarios/policy.toml``,
whose list is the screening plugin's test fixture) is what the shipped examples and the
scenarios are judged by, as a company that configured its lists would see them. Tests of
the core's own semantics (enforcement, overrides, ``extends``, ``enabled``, thresholds,
fail-closed) use ``capability_only_policy`` instead: the baseline's ``hrdd-item-capability``
settings and no other plugin, so they do not depend on what else the baseline enables.
"""

from __future__ import annotations

import copy
import json
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import hrdd

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    """The example transactions shipped with the baseline policy."""
    return ROOT / "policies" / "examples" / "transactions"


@pytest.fixture(scope="session")
def example_transaction(examples_dir: Path) -> Callable[[str], dict[str, Any]]:
    """``example_transaction("thermal-cameras-private-port")``: a fresh copy of an example."""
    cache: dict[str, dict[str, Any]] = {}

    def load(name: str) -> dict[str, Any]:
        stem = name.removesuffix(".json")
        if stem not in cache:
            cache[stem] = json.loads((examples_dir / f"{stem}.json").read_text(encoding="utf-8"))
        return copy.deepcopy(cache[stem])

    return load


@pytest.fixture(scope="session")
def report_validator() -> Any:
    """A jsonschema validator (with format checks) for ``schemas/report.schema.json``."""
    from jsonschema import Draft202012Validator

    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture
def engine() -> hrdd.Engine:
    """An engine for the baseline policy, with its own plugin manager."""
    return hrdd.Engine.from_policy("baseline")


@pytest.fixture(scope="session")
def screened_policy() -> Path:
    """The baseline plus a screening list (the screening plugin's test fixture, not a real
    list): ``tests/scenarios/policy.toml``."""
    return ROOT / "tests" / "scenarios" / "policy.toml"


@pytest.fixture
def screened_engine(screened_policy: Path) -> hrdd.Engine:
    """An engine for the baseline with a screening list, with its own plugin manager."""
    return hrdd.Engine.from_policy(screened_policy)


# The baseline's hrdd-item-capability table, alone. Keep in step with policies/baseline.toml
# (test_policy.py checks that the two agree).
CAPABILITY_ONLY_POLICY = """\
[policy]
name = "capability-only"
version = "1"
on-error = "escalate"

[plugins.hrdd-item-capability]
version = ">=0.1,<1"
enforcement = "mandatory"

[plugins.hrdd-item-capability.config]
escalate_at = 4
safeguards_at = 3
unknown_end_user_is_government = true
"""


@pytest.fixture(scope="session")
def capability_only_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The path of a policy that enables only hrdd-item-capability, with the baseline's
    settings for it. A throwaway policy extends it by this (absolute) path."""
    path = tmp_path_factory.mktemp("capability-only") / "capability-only.toml"
    path.write_text(CAPABILITY_ONLY_POLICY, encoding="utf-8")
    return path


@pytest.fixture
def capability_engine(capability_only_policy: Path) -> hrdd.Engine:
    """An engine for the capability-only policy, with its own plugin manager."""
    return hrdd.Engine.from_policy(capability_only_policy)


@pytest.fixture(scope="session")
def minimal_transaction() -> Callable[..., dict[str, Any]]:
    """``minimal_transaction(**top_level_overrides)``: the smallest valid transaction."""

    def make(**overrides: Any) -> dict[str, Any]:
        document: dict[str, Any] = {
            "id": "TX-TEST-0001",
            "items": [{"id": "I-1", "name": "Widget"}],
            "end_user": {"name": "Example End User", "country": "NL"},
        }
        document.update(copy.deepcopy(overrides))
        return document

    return make


@pytest.fixture
def write_policy(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``write_policy(toml, extensions={"ext.py": source}, name="policy.toml")``.

    Writes a policy (and its extension modules, dedented) into ``tmp_path`` and returns the
    policy's path. Names may contain directories (``team/policy.toml``). Extension modules
    the engine imported from ``tmp_path`` are dropped from ``sys.modules`` afterwards, so no
    throwaway plugin outlives its test.
    """

    def write(toml: str, extensions: Mapping[str, str] | None = None, name: str = "policy.toml") -> Path:
        for filename, source in (extensions or {}).items():
            module = tmp_path / filename
            module.parent.mkdir(parents=True, exist_ok=True)
            module.write_text(textwrap.dedent(source), encoding="utf-8")
        policy = tmp_path / name
        policy.parent.mkdir(parents=True, exist_ok=True)
        policy.write_text(textwrap.dedent(toml), encoding="utf-8")
        return policy

    try:
        yield write
    finally:
        root = tmp_path.resolve()
        for module_name, module in list(sys.modules.items()):
            origin = getattr(module, "__file__", None)
            if origin and Path(origin).resolve().is_relative_to(root):
                del sys.modules[module_name]
