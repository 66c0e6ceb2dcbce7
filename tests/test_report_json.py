"""The report as JSON bytes (hrdd.reportjson): byte for byte what ``to_dict`` gives.

``hrdd batch`` writes each report and ``hrdd assess --format json`` prints it from fragments
that findings, check records and required safeguards keep once written, and from a
provenance template per setup. Whatever was cached, the bytes must be exactly
``orjson.dumps(assessment.to_dict())`` (compact) or the same with ``OPT_INDENT_2`` (the
properties in ``tests/test_properties.py`` check it on generated transactions too).
"""

from __future__ import annotations

import datetime
import json
import tomllib
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest

import hrdd
from hrdd import reportjson
from hrdd.model import Finding

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "policies" / "examples" / "transactions"
SCENARIOS = ROOT / "tests" / "scenarios"


def _plain(value: Any) -> Any:
    """TOML dates as ISO strings, as hrdd reads a TOML transaction."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


def _documents() -> list[Any]:
    documents = [
        pytest.param(json.loads(p.read_text("utf-8")), id=p.stem) for p in sorted(EXAMPLES.glob("*.json"))
    ]
    for path in sorted(SCENARIOS.glob("[0-9][0-9]-*.toml")):
        with path.open("rb") as handle:
            documents.append(pytest.param(_plain(tomllib.load(handle)["transaction"]), id=path.stem))
    return documents


DOCUMENTS = _documents()


def expected(assessment: hrdd.Assessment, *, indent: bool = False) -> bytes:
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(assessment.to_dict(), option=option) + b"\n"


@pytest.fixture(scope="module")
def engines() -> list[hrdd.Engine]:
    """The baseline (no lock beside it: provenance.lock is null), the scenario policy built
    without checking a lock (provenance.lock says so), and the batch benchmark's policy."""
    return [
        hrdd.Engine.from_policy("baseline"),
        hrdd.Engine.from_policy(SCENARIOS / "policy.toml", lock=False),
        hrdd.Engine.from_policy(ROOT / "benchmarks" / "baseline-without-screening.toml"),
    ]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_example_and_scenario_report_is_byte_for_byte_to_dict(engines, document):
    for engine in engines:
        # twice: the second time every finding, record and the provenance come from caches
        for _ in range(2):
            assessment = engine.assess(document)
            assert assessment.to_json() == expected(assessment)
            assert assessment.to_json(indent=True) == expected(assessment, indent=True)
            assert engine.render(assessment, "json") == expected(assessment, indent=True).decode()


def test_waived_findings_errors_and_contributions_are_written_alike(engines, report_validator):
    engine = engines[1]
    document = json.loads((EXAMPLES / "traffic-cameras-face-matching.json").read_text("utf-8"))
    assessment = engine.assess(document)
    error = Finding(
        rule_id="HRDD-CORE-001",
        outcome="error",
        severity="high",
        message="a check raised",
        evidence={"hook": "hrdd_check_item", "nested": {"a": [1, 2.5, None]}},
        plugin="hrdd",
        subject="items[0]",
    )
    waiver = {"id": "W-7", "file": "waivers/board.toml", "approver": "A. Jansen", "scope": {"ids": ["TX"]}}
    changed = attrs.evolve(
        assessment,
        findings=(error, *assessment.findings[1:]),
        waived=(attrs.evolve(assessment.findings[0], waiver=waiver),),
    )
    assert changed.errors == (error,)
    for indent in (False, True):
        assert changed.to_json(indent=indent) == expected(changed, indent=indent)
    assert [
        f"{e.json_path}: {e.message}" for e in report_validator.iter_errors(json.loads(changed.to_json()))
    ] == []


def test_empty_lists_and_no_facts_are_written_alike(engines):
    assessment = engines[0].assess(
        json.loads((EXAMPLES / "bodycams-municipal-police.json").read_text("utf-8"))
    )
    bare = attrs.evolve(
        assessment, findings=(), checks=(), required_safeguards=(), waived=(), facts={}, contributions={}
    )
    for indent in (False, True):
        assert bare.to_json(indent=indent) == expected(bare, indent=indent)


def test_a_finding_keeps_its_json_but_it_is_not_part_of_its_value(engines):
    assessment = engines[0].assess(json.loads((EXAMPLES / "drone-border-guard.json").read_text("utf-8")))
    assessment.to_json()
    finding = assessment.findings[0]
    assert finding._json == orjson.dumps(finding.to_dict())
    twin = attrs.evolve(finding)  # equal value, nothing written yet
    assert twin._json is None and twin._json_indented is None
    assert twin == finding and repr(twin) == repr(finding)
    # the engine's copy of a finding is another finding: it does not inherit the JSON
    copy = finding.enforced("other-plugin", finding.enforcement, finding.decisive_outcome, "items[9]")
    assert copy._json is None and copy._json_indented is None
    assert orjson.dumps(copy.to_dict()) != finding._json


def test_the_json_a_finding_keeps_takes_its_own_size_in_memory(engines):
    """A finding keeps its JSON as long as it lives (thousands of findings, in a batch's
    memories): what is kept is the JSON, not the larger buffer the writer filled."""
    import tracemalloc

    assessment = engines[0].assess(json.loads((EXAMPLES / "drone-border-guard.json").read_text("utf-8")))
    findings = [attrs.evolve(f) for f in assessment.findings]  # nothing written yet
    tracemalloc.start()
    try:
        kept = [reportjson._finding(f) for f in findings] + [
            reportjson._finding_indented(f) for f in findings
        ]
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    here = snapshot.filter_traces([tracemalloc.Filter(True, reportjson.__file__)])
    held = sum(stat.size for stat in here.statistics("filename"))
    written = sum(len(data) for data in kept)
    assert written > 0 and held < 1.2 * written + 1024, (held, written)


def test_provenance_templates_are_kept_per_setup_and_bounded(engines, monkeypatch):
    monkeypatch.setattr(reportjson, "TEMPLATES_SIZE", 2)
    monkeypatch.setattr(reportjson, "_templates", {})
    document = json.loads((EXAMPLES / "thermal-cameras-private-port.json").read_text("utf-8"))
    for _ in range(3):  # three setups alternating through a memory of two: evicted and rebuilt
        for engine in engines:
            assessment = engine.assess(document, as_of=datetime.date(2026, 12, 1))
            for indent in (False, True):
                assert assessment.to_json(indent=indent) == expected(assessment, indent=indent)
            assert len(reportjson._templates) <= 2


@pytest.mark.parametrize("field", ["name", "source"])
def test_a_policy_name_holding_a_template_hole_is_written_without_template(engines, field):
    assessment = engines[0].assess(json.loads((EXAMPLES / "drone-border-guard.json").read_text("utf-8")))
    provenance = assessment.provenance
    odd = attrs.evolve(provenance.policy, **{field: "\x00input_sha256\x00 and \x00lock\x00"})
    changed = attrs.evolve(assessment, provenance=attrs.evolve(provenance, policy=odd, as_of=""))
    for indent in (False, True):
        assert changed.to_json(indent=indent) == expected(changed, indent=indent)
