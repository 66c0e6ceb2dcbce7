"""The safeguards table: its provenance, a policy's own copy, and the errors a bad copy gets.

A mistake in a policy team's copy must stop the engine from being built, name the file and
the place in it, and list every problem at once.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hrdd
from hrdd_contract_safeguards.table import CLAUSES, default_data_path, load_table

from .conftest import PLUGIN

SHIPPED = default_data_path()
TEXT = SHIPPED.read_text(encoding="utf-8")
README = Path(__file__).resolve().parents[1] / "README.md"
THERMAL_CAMERA = {"name": "PerimeterTherm 640", "categories": ["thermal_imaging"]}
PORT_OPERATOR = {
    "name": "Rotterdam Container Terminal BV",
    "country": "NL",
    "type": "private",
    "sector": "commercial",
    "government_relationship": "none",
}


def replaced(old: str, new: str, text: str = TEXT) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once in the shipped table"
    return text.replace(old, new)


def policy_error(write_policy: Callable[..., Path], table: str) -> hrdd.PolicyError:
    path = write_policy(config={"data": "mine.toml"}, files={"mine.toml": table})
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(path)
    return raised.value


def test_shipped_table_loads_and_names_its_provenance() -> None:
    table = load_table(SHIPPED)
    assert table.dataset.name == "hrdd-contract-safeguards-table"
    assert "Draft Guidance" in table.dataset.source and "2019" in table.dataset.source
    assert table.dataset.licence == "Apache-2.0"
    assert _dt.date.fromisoformat(table.dataset.date) <= _dt.date.today()
    assert set(table.safeguards) == set(CLAUSES) | {
        "monitoring",
        "periodic_audit",
        "grievance_channel",
        "usage_reporting",
    }
    assert "public_reporting" not in table.safeguards  # hrdd-public-reporting's
    assert set(table.levels["critical"].clauses) == set(CLAUSES)


def test_readme_states_the_shipped_version_date_licence_and_levels() -> None:
    table = load_table(SHIPPED)
    readme = README.read_text(encoding="utf-8")
    assert f"version {table.dataset.version}" in readme
    assert table.dataset.date in readme and table.dataset.licence in readme
    for level, requirement in table.levels.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| {level} |"))
        assert all(name in row for name in (*requirement.clauses, *requirement.post_export)), level


def test_assessment_provenance_names_the_table_with_its_sha256(
    assess: Callable[..., hrdd.Assessment], transaction: Callable[..., dict[str, Any]]
) -> None:
    assessment = assess(transaction([THERMAL_CAMERA], PORT_OPERATOR))
    data = [d for d in assessment.provenance.data if d.name == "hrdd-contract-safeguards-table"]
    assert len(data) == 1
    assert data[0].sha256 == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()


def test_a_policys_own_table_changes_what_is_required(
    write_policy: Callable[..., Path], transaction: Callable[..., dict[str, Any]]
) -> None:
    stricter = replaced(
        '[levels.low]\nclauses = ["export_compliance", "no_reexport"]',
        '[levels.low]\nclauses = ["export_compliance", "no_reexport", "use_limitation"]',
    )
    path = write_policy(config={"data": "mine.toml"}, files={"mine.toml": stricter})
    document = transaction([THERMAL_CAMERA], PORT_OPERATOR, clauses=["export_compliance", "no_reexport"])
    assessment = hrdd.Engine.from_policy(path).assess(document)
    missing = [f for f in assessment.findings if f.plugin == PLUGIN and f.rule_id == "HRDD-CON-001"]
    assert [e.value for f in missing for e in f.evidence if e.path == "missing"] == ["use_limitation"]
    assert [d.sha256 for d in assessment.provenance.data if d.name == "hrdd-contract-safeguards-table"] == [
        hashlib.sha256(stricter.encode()).hexdigest()
    ]


BAD_TABLES = [
    ("levels-must-rise", ("critical = 9", "critical = 5"), "$.risk.levels"),
    ("weight-out-of-range", ("very_high = 3\nunknown = 2", "very_high = 30\nunknown = 2"), "$.risk.destination_tier.very_high"),
    ("missing-weight", ("[risk.opacity]           # stakeholders.opacity (hrdd-stakeholders)\nlow = 0\n", "[risk.opacity]\n"), "$.risk.opacity.low"),
    ("unknown-clause", ('clauses = ["export_compliance", "no_reexport"]', 'clauses = ["export_compliance", "kill_switch"]'), "$.levels.low.clauses"),
    ("graver-level-asks-less", ('"grievance_mechanism", "audit_rights",\n    "technical_limitations", "human_rights_training",\n]', '"audit_rights",\n    "technical_limitations", "human_rights_training",\n]'), "$.levels.high.clauses"),
    ("wrong-kind", ('[safeguards.monitoring]\nkind = "post_export"', '[safeguards.monitoring]\nkind = "clause"'), "$.safeguards.monitoring.kind"),
    ("public-reporting-is-not-ours", ("[levels.low]", '[safeguards.public_reporting]\nkind = "clause"\n\n[levels.low]'), "$.safeguards.public_reporting"),
    ("no-licence", ('licence = "Apache-2.0"\n', ""), "$.meta.licence"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "path"), [case[1:] for case in BAD_TABLES], ids=[case[0] for case in BAD_TABLES]
)
def test_a_bad_table_is_refused_naming_file_and_row(
    change: tuple[str, str], path: str, write_policy: Callable[..., Path]
) -> None:
    error = policy_error(write_policy, replaced(*change))
    assert any(p.path == path and p.source.endswith("mine.toml") for p in error.problems), error.problems
    assert "mine.toml" in str(error)


def test_a_missing_safeguard_row_is_named() -> None:
    block = re.search(r"\[safeguards\.usage_reporting\]\n(?:.+\n)+", TEXT)
    assert block is not None
    error = _load_text(TEXT.replace(block.group(0), ""))
    assert [p.path for p in error.problems] == ["$.safeguards.usage_reporting"]


def _load_text(text: str) -> hrdd.PolicyError:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "mine.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(hrdd.PolicyError) as raised:
            load_table(path)
    return raised.value


def test_every_problem_of_a_file_is_reported_together() -> None:
    text = replaced("critical = 9", "critical = 5")
    text = replaced(
        '[safeguards.monitoring]\nkind = "post_export"', '[safeguards.monitoring]\nkind = "clause"', text
    )
    text = replaced('licence = "Apache-2.0"\n', "", text)
    paths = {p.path for p in _load_text(text).problems}
    assert paths >= {"$.risk.levels", "$.safeguards.monitoring.kind", "$.meta.licence"}


def test_a_missing_or_malformed_file_is_refused_with_its_name(write_policy: Callable[..., Path]) -> None:
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(write_policy(config={"data": "nowhere.toml"}))
    assert "nowhere.toml" in str(raised.value)
    error = policy_error(write_policy, "[meta\nname = ")
    assert "mine.toml" in str(error)
