"""The guidance coverage map: ``hrdd coverage``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hrdd.cli import main
from hrdd.coverage import load_catalogue

GUIDANCE_TABLE_IDS = [
    "draft-2019:scope",
    "draft-2019:dd-1",
    "draft-2019:dd-2",
    "draft-2019:dd-3",
    "draft-2019:dd-4",
    "draft-2019:dd-5",
    "draft-2019:dd-program",
    *(f"draft-2019:consideration-{n}" for n in range(1, 9)),
    "draft-2019:red-flag-1",
    "draft-2019:red-flag-2",
    "draft-2019:trend-sanctions",
    "draft-2019:trend-soe",
    "draft-2019:trend-design",
]


def test_the_catalogue_lists_every_clause_of_the_guidance_with_provenance() -> None:
    clauses, dataset = load_catalogue()
    assert [clause_id for clause_id, _ in clauses] == GUIDANCE_TABLE_IDS
    assert dataset.source and dataset.licence and dataset.version and dataset.date


def test_coverage_json_names_the_rules_behind_each_clause(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by_id = {c["id"]: c for c in report["clauses"]}
    assert list(by_id) == GUIDANCE_TABLE_IDS
    assert "HRDD-CAP-003" in by_id["draft-2019:consideration-1"]["rules"]
    # scope: what the item can do, and the classification review of unclassified and EAR99 items
    assert by_id["draft-2019:scope"]["plugins"] == ["hrdd-export-controls", "hrdd-item-capability"]
    # the legal gates of the baseline: the licence determination and screening
    assert {"HRDD-EXP-001", "HRDD-SCR-001", "HRDD-SCR-005"} <= set(
        by_id["draft-2019:consideration-5"]["rules"]
    )
    assert set(report["uncovered"]) == {c for c, v in by_id.items() if not v["rules"]}
    assert report["unknown_citations"] == []


def test_coverage_text_and_fail_uncovered(capsys: pytest.CaptureFixture[str], write_policy: Any) -> None:
    policy = write_policy(
        """
        [policy]
        name = "narrow"
        version = "1"

        [plugins.ext]
        path = "ext.py"
        """,
        {
            "ext.py": """
            from hrdd import PluginInfo, RuleInfo, hookimpl

            @hookimpl
            def hrdd_plugin_info():
                return PluginInfo(
                    clauses=("draft-2019:consideration-5", "draft-2019:no-such-clause"),
                    rules=(RuleInfo("EXT-001", "resellers", ("draft-2019:consideration-5",)),),
                )

            @hookimpl
            def hrdd_check_end_user(transaction, context):
                return []
            """
        },
    )
    assert main(["coverage", "--policy", str(policy), "--fail-uncovered"]) == 1
    out = capsys.readouterr().out
    assert "draft-2019:consideration-5  EXT-001" in out
    assert "draft-2019:scope" in out and "NOT COVERED" in out
    assert "1 of 20 clauses covered." in out
    assert "warning: ext cites 'draft-2019:no-such-clause'" in out
    assert main(["coverage", "--policy", str(policy)]) == 0
