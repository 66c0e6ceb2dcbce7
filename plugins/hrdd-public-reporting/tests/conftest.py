"""Fixtures for hrdd-public-reporting: transactions, and policies that enable the plugin with
hrdd-item-capability and a stand-in for the facts it reads.

Extension modules the policies load are removed from ``sys.modules`` when the test ends.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import hrdd

PLUGIN = "hrdd-public-reporting"
HERE = Path(__file__).resolve().parent

INTERIOR_MINISTRY = {
    "name": "Ministry of Interior, Directorate of Public Security",
    "country": "EG",
    "type": "government_agency",
    "sector": "public_security",
    "stated_end_use": "Monitoring of public spaces in the capital",
}
PORT_OPERATOR = {
    "name": "Rotterdam Container Terminal BV",
    "country": "NL",
    "type": "private",
    "sector": "commercial",
    "government_relationship": "none",
    "stated_end_use": "Perimeter security",
}
THERMAL_CAMERA = {
    "name": "PerimeterTherm 640",
    "description": "Fixed thermal camera for perimeter intrusion detection",
    "categories": ["thermal_imaging"],
}


@pytest.fixture(scope="session")
def transaction() -> Callable[..., dict[str, Any]]:
    """``transaction(end_user={...}, items=[...], clauses=[...], **top)``: a valid, dated document."""

    def build(
        end_user: Mapping[str, Any] = INTERIOR_MINISTRY,
        items: list[Mapping[str, Any]] | None = None,
        clauses: list[str] | None = None,
        post_export: list[str] | None = None,
        **top: Any,
    ) -> dict[str, Any]:
        document: dict[str, Any] = {
            "id": "TX-2026-0815",
            "date": "2026-05-14",
            "kind": "new_sale",
            "items": [
                {"id": f"item-{index}", **copy.deepcopy(dict(item))}
                for index, item in enumerate(items or [THERMAL_CAMERA], 1)
            ],
            "end_user": copy.deepcopy(dict(end_user)),
            "contract": {"clauses": list(clauses or []), "post_export": list(post_export or [])},
        }
        document.update(copy.deepcopy(top))
        return {key: value for key, value in document.items() if value is not None}

    return build


@pytest.fixture
def write_policy(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``write_policy(facts={...}, config={...}, plugins=[...], files={...})``: a policy in its
    own directory enabling hrdd-item-capability, this plugin and, with ``facts``, the stand-in."""
    loaded_before = set(sys.modules)
    count = 0

    def write(
        facts: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        plugins: tuple[str, ...] = (),
        files: Mapping[str, str] | None = None,
    ) -> Path:
        nonlocal count
        count += 1
        directory = tmp_path / f"policy-{count}"
        directory.mkdir()
        lines = [
            "[policy]",
            'name = "public-reporting-test"',
            'version = "1"',
            "",
            "[plugins.hrdd-item-capability]",
        ]
        lines += [f"[plugins.{name}]" for name in plugins]
        lines += [f"[plugins.{PLUGIN}]", f"[plugins.{PLUGIN}.config]"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in (config or {}).items()]
        if facts is not None:
            source = (HERE / "standin_facts.py").read_text(encoding="utf-8")
            (directory / "facts.py").write_text(
                source + f"\nFACTS.update({dict(facts)!r})\n", encoding="utf-8"
            )
            lines += ["", "[plugins.test-standin-facts]", 'path = "facts.py"']
        for name, text in (files or {}).items():
            (directory / name).write_text(text, encoding="utf-8")
        path = directory / "policy.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    yield write
    for name in set(sys.modules) - loaded_before:
        if name.startswith("hrdd_extension_"):
            del sys.modules[name]


@pytest.fixture
def assess(write_policy: Callable[..., Path]) -> Callable[..., tuple[hrdd.Engine, hrdd.Assessment]]:
    """``assess(document, **policy_options)``: the engine and the assessment under a fresh policy."""

    def run(document: Mapping[str, Any], **options: Any) -> tuple[hrdd.Engine, hrdd.Assessment]:
        engine = hrdd.Engine.from_policy(write_policy(**options))
        return engine, engine.assess(dict(document))

    return run
