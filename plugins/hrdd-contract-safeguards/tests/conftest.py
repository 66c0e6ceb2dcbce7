"""Fixtures for hrdd-contract-safeguards: transactions, and policies that enable the plugin
with hrdd-item-capability and a stand-in for the facts other plugins publish.

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

PLUGIN = "hrdd-contract-safeguards"
HERE = Path(__file__).resolve().parent
DROP = object()  # a field value meaning "leave this field out of the document"

ALL_CLAUSES = [
    "export_compliance",
    "end_use_certificate",
    "no_reexport",
    "use_limitation",
    "data_handling",
    "audit_rights",
    "suspend_and_terminate",
    "technical_limitations",
    "human_rights_training",
    "grievance_mechanism",
    "staged_delivery",
]
ALL_POST_EXPORT = ["monitoring", "periodic_audit", "grievance_channel", "usage_reporting"]
CLEAR_KYC = {
    question: False
    for question in (
        "similar_to_listed_party",
        "reluctant_end_use_information",
        "capabilities_mismatch_business",
        "incompatible_with_destination",
        "cash_for_expensive_item",
        "little_business_background",
        "unfamiliar_with_product",
        "declines_installation_training_maintenance",
        "vague_delivery_or_destination",
        "freight_forwarder_final_destination",
        "abnormal_shipping_route",
        "packaging_inconsistent",
        "evasive_about_reexport",
        "management_overlap_with_listed_party",
        "assumes_listed_party_operations",
        "owned_by_listed_party",
    )
}


def _clean(document: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if value is not DROP}


@pytest.fixture(scope="session")
def transaction() -> Callable[..., dict[str, Any]]:
    """``transaction(items=[...], end_user={...}, clauses=[...], post_export=[...], **top)``:
    a valid transaction document, dated, a new sale, clear KYC, a sole end user."""

    def build(
        items: list[Mapping[str, Any]],
        end_user: Mapping[str, Any],
        clauses: list[str] | None = None,
        post_export: list[str] | None = None,
        **top: Any,
    ) -> dict[str, Any]:
        base_item = {"description": "", "categories": [], "capabilities": [], "design_safeguards": []}
        document: dict[str, Any] = {
            "id": "TX-2026-0420",
            "date": "2026-05-14",
            "kind": "new_sale",
            "exporter": {"name": "Northwind Vision Systems, Inc.", "country": "US"},
            "items": [
                _clean({"id": f"item-{index}", **base_item, **copy.deepcopy(dict(item))})
                for index, item in enumerate(items, 1)
            ],
            "end_user": _clean(
                {"sole_end_user": True, "misuse_reports": [], **copy.deepcopy(dict(end_user))}
            ),
            "contract": {"clauses": list(clauses or []), "post_export": list(post_export or [])},
            "context": {"events": []},
            "kyc": dict(CLEAR_KYC),
        }
        document.update(copy.deepcopy(top))
        return _clean(document)

    return build


@pytest.fixture
def write_policy(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``write_policy(overrides=..., config=..., item_capability=True, standin=True,
    extensions={name: source})``: a policy in its own directory enabling this plugin.

    ``overrides`` replaces stand-in facts (a value of None: the fact is not published)."""
    loaded_before = set(sys.modules)
    count = 0

    def write(
        overrides: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        item_capability: bool = True,
        standin: bool = True,
        extensions: Mapping[str, str] | None = None,
        files: Mapping[str, str] | None = None,
    ) -> Path:
        nonlocal count
        count += 1
        directory = tmp_path / f"policy-{count}"
        directory.mkdir()
        lines = ["[policy]", 'name = "contract-safeguards-test"', 'version = "1"', ""]
        if item_capability:
            lines += ["[plugins.hrdd-item-capability]", ""]
        lines += [f"[plugins.{PLUGIN}]", f"[plugins.{PLUGIN}.config]"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in (config or {}).items()]
        lines.append("")
        if standin:
            source = (HERE / "standin_publishers.py").read_text(encoding="utf-8")
            source += f"\nOVERRIDES.update({dict(overrides or {})!r})\n"
            (directory / "standin.py").write_text(source, encoding="utf-8")
            lines += ["[plugins.test-standin-publishers]", 'path = "standin.py"', ""]
        for name, text in (extensions or {}).items():
            (directory / f"{name}.py").write_text(text, encoding="utf-8")
            lines += [f"[plugins.{name}]", f'path = "{name}.py"', ""]
        for name, text in (files or {}).items():
            (directory / name).write_text(text, encoding="utf-8")
        path = directory / "policy.toml"
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    yield write
    for name in set(sys.modules) - loaded_before:
        if name.startswith("hrdd_extension_"):
            del sys.modules[name]


@pytest.fixture
def assess(write_policy: Callable[..., Path]) -> Callable[..., hrdd.Assessment]:
    """``assess(document, **policy_options)``: the assessment under a fresh test policy."""

    def run(document: Mapping[str, Any], **options: Any) -> hrdd.Assessment:
        return hrdd.Engine.from_policy(write_policy(**options)).assess(dict(document))

    return run
