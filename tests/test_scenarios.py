"""End-to-end scenarios: realistic transactions assessed under the baseline policy.

The scenarios run under ``tests/scenarios/policy.toml``: the baseline plus the screening
plugin's test fixture as its list, so that every party is screened (the baseline names no
list and would escalate every deal with HRDD-SCR-005; ``tests/test_engine.py`` shows that).

Each scenario file in ``tests/scenarios/`` (``NN-description.toml``) is a TOML document with

- ``rationale``: one line, why a careful compliance officer would decide this;
- ``[expect]``: ``decision`` (proceed | proceed_with_safeguards | escalate | do_not_proceed),
  ``rules`` (rule ids that must be among the findings whose decisive outcome is above
  ``info``: required safeguards, escalations, refusals, errors), optional ``absent`` (rule
  ids that must not be among those findings), optional ``safeguards`` (safeguard ids of the
  transaction schema, e.g. the contract clauses a ``proceed_with_safeguards`` deal lacks,
  that a finding above ``info`` must name in its message or remediation) and optional
  ``known_gap`` (why hrdd is known to
  decide otherwise: the case is then a strict xfail, a calibration finding for the plugin
  owners, and passes again only when the plugins are fixed);
- ``[transaction]``: the transaction document (schema version 1).

The expectations were written from the Draft Guidance (what a careful officer would sign),
not from hrdd's output. The engine is built once for the module.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

import hrdd
from hrdd.model import OUTCOME_RANK

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
POLICY = SCENARIOS / "policy.toml"
SCENARIO_GLOB = "[0-9][0-9]-*.toml"
DECISIONS = ("proceed", "proceed_with_safeguards", "escalate", "do_not_proceed")
EXPECT_KEYS = {"decision", "rules", "absent", "safeguards", "known_gap"}
ACTION_RANK = OUTCOME_RANK["safeguards_required"]


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _plain(value: Any) -> Any:
    """TOML dates as ISO strings, as hrdd reads a TOML transaction (its JSON twin has strings)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


def _shape_problems(document: dict[str, Any]) -> list[str]:
    """Everything wrong with a scenario document's shape (empty when it is well formed)."""
    problems = []
    unknown_top = set(document) - {"rationale", "expect", "transaction"}
    if unknown_top:
        problems.append(f"unknown top-level keys {sorted(unknown_top)}")
    rationale = document.get("rationale")
    if not isinstance(rationale, str) or not rationale.strip() or "\n" in rationale.strip():
        problems.append("rationale must be one non-empty line")
    if not isinstance(document.get("transaction"), dict):
        problems.append("[transaction] table missing")
    expect = document.get("expect")
    if not isinstance(expect, dict):
        return [*problems, "[expect] table missing"]
    unknown = set(expect) - EXPECT_KEYS
    if unknown:
        problems.append(f"[expect] has unknown keys {sorted(unknown)}")
    if expect.get("decision") not in DECISIONS:
        problems.append(f"[expect] decision must be one of {DECISIONS}, not {expect.get('decision')!r}")
    for key in ("rules", "absent", "safeguards"):
        value = expect.get(key, [])
        if key == "rules" and "rules" not in expect:
            problems.append("[expect] rules is required (may be empty)")
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            problems.append(f"[expect] {key} must be a list of non-empty strings")
        elif key in ("rules", "absent") and not all(v.startswith("HRDD-") for v in value):
            problems.append(f"[expect] {key} must hold rule ids (HRDD-...)")
    overlap = set(expect.get("rules", [])) & set(expect.get("absent", []))
    if overlap:
        problems.append(f"[expect] rules and absent overlap: {sorted(overlap)}")
    if "known_gap" in expect and (
        not isinstance(expect["known_gap"], str) or not expect["known_gap"].strip()
    ):
        problems.append("[expect] known_gap must be a non-empty string")
    return problems


def _params() -> list[Any]:
    params = []
    for path in sorted(SCENARIOS.glob(SCENARIO_GLOB)):
        document = _load(path)
        gap = document.get("expect", {}).get("known_gap")
        marks = [pytest.mark.xfail(strict=True, reason=f"known gap: {gap}")] if isinstance(gap, str) else []
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


PARAMS = _params()


@pytest.fixture(scope="module")
def engine() -> hrdd.Engine:
    return hrdd.Engine.from_policy(POLICY)


def test_there_are_enough_scenarios() -> None:
    assert len(PARAMS) >= 30


def test_every_toml_file_is_a_scenario_or_the_policy() -> None:
    """A scenario whose name misses the NN- pattern would silently never run."""
    strays = {p.name for p in SCENARIOS.glob("*.toml")} - {p.name for p in SCENARIOS.glob(SCENARIO_GLOB)}
    assert strays == {POLICY.name}


def test_scenarios_run_under_the_baseline_with_a_screening_list(engine: hrdd.Engine) -> None:
    assert [f.source for f in engine.policy.chain][-1] == "builtin:baseline"
    screening = engine.policy.plugin("hrdd-screening")
    assert screening is not None and screening.config["lists"], "the scenario policy must name a list"
    assert {"hrdd-screening", "hrdd-export-controls"} <= {p.name for p in engine.plugins.plugins}


def test_expected_rule_ids_exist(engine: hrdd.Engine) -> None:
    """A misspelt rule id would make an ``absent`` expectation pass vacuously."""
    known = {rule for plugin in engine.plugins.plugins for rule in plugin.rule_ids}
    unknown = {
        f"{p.id}: {rule}"
        for p in PARAMS
        for key in ("rules", "absent")
        for rule in _load(p.values[0])["expect"].get(key, [])
        if rule not in known
    }
    assert not unknown, f"rule ids no enabled plugin declares: {sorted(unknown)}"


def test_every_decision_is_exercised() -> None:
    decisions = {_load(p.values[0])["expect"]["decision"] for p in PARAMS}
    assert decisions == set(DECISIONS)


@pytest.mark.parametrize("path", [pytest.param(p.values[0], id=p.id) for p in PARAMS])
def test_scenario_shape(path: Path) -> None:
    problems = _shape_problems(_load(path))
    assert not problems, f"{path.name}: " + "; ".join(problems)


def _describe(assessment: hrdd.Assessment) -> str:
    decisive = [f for f in assessment.findings if OUTCOME_RANK[f.decisive_outcome] >= ACTION_RANK]
    lines = [f"  {f.rule_id} [{f.decisive_outcome}] {f.subject or ''}: {f.message}" for f in decisive]
    safeguards = ", ".join(s.safeguard for s in assessment.required_safeguards) or "none"
    return (
        f"actual decision {assessment.decision} ({assessment.reason}); risk {assessment.risk.level}\n"
        f"decisive findings:\n" + ("\n".join(lines) or "  none") + f"\nrequired safeguards: {safeguards}"
    )


@pytest.mark.parametrize("path", PARAMS)
def test_scenario(path: Path, engine: hrdd.Engine) -> None:
    document = _load(path)
    problems = _shape_problems(document)
    assert not problems, f"{path.name}: " + "; ".join(problems)
    expect = document["expect"]
    assessment = engine.assess(_plain(document["transaction"]), source=str(path))

    acting = [f for f in assessment.findings if OUTCOME_RANK[f.decisive_outcome] >= ACTION_RANK]
    decisive = {f.rule_id for f in acting}
    named = " ".join(f"{f.message} {f.remediation or ''}" for f in acting)
    failures = []
    if assessment.decision != expect["decision"]:
        failures.append(f"decision {assessment.decision}, expected {expect['decision']}")
    missing = [rule for rule in expect["rules"] if rule not in decisive]
    if missing:
        failures.append(f"expected rules not among the decisive findings: {missing}")
    present = [rule for rule in expect.get("absent", []) if rule in decisive]
    if present:
        failures.append(f"rules expected absent but decisive: {present}")
    unnamed = [s for s in expect.get("safeguards", []) if not re.search(rf"\b{re.escape(s)}\b", named)]
    if unnamed:
        failures.append(f"safeguards no finding above info names: {unnamed}")
    assert not failures, (
        f"{path.name}: {'; '.join(failures)}\nrationale: {document['rationale']}\n" + _describe(assessment)
    )
