"""The legal gates together: screening hits read by hrdd-sanctions-programs (Global Magnitsky
and the other programmes a designation names), through the engine as a policy runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import hrdd

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "plugins" / "hrdd-screening" / "tests" / "fixtures" / "csl-fixture.csv"


def write_policy(directory: Path, screening: bool) -> Path:
    text = (
        '[policy]\nname = "legal-gates"\nversion = "1"\n\n'
        '[plugins.hrdd-item-capability]\nenforcement = "mandatory"\n\n'
        '[plugins.hrdd-sanctions-programs]\nenforcement = "hard"\n'
    )
    if screening:
        text += f'\n[plugins.hrdd-screening]\nenforcement = "hard"\n\n[plugins.hrdd-screening.config]\nlists = ["{FIXTURE.as_posix()}"]\n'
    path = directory / ("with-screening.toml" if screening else "without-screening.toml")
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> hrdd.Engine:
    return hrdd.Engine.from_policy(write_policy(tmp_path_factory.mktemp("policy"), screening=True))


def transaction(name: str, country: str, **extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": "TX-GATES",
        "date": "2025-09-01",
        "items": [{"id": "i1", "name": "Camera", "description": "Camera", "categories": ["other"]}],
        "end_user": {"name": name, "country": country, "type": "private", "sector": "commercial"},
    }
    document.update(extra)
    return document


def san009(assessment: hrdd.Assessment) -> list[hrdd.Finding]:
    return [f for f in assessment.findings if f.rule_id == "HRDD-SAN-009"]


def test_confirmed_global_magnitsky_designation_is_do_not_proceed(engine: hrdd.Engine) -> None:
    assessment = engine.assess(transaction("Rapid Action Battalion", "BD"))
    [finding] = san009(assessment)
    assert finding.outcome is hrdd.Outcome.DO_NOT_PROCEED and finding.subject == "end_user"
    assert "Global Magnitsky Sanctions (GLOMAG: E.O. 13818" in finding.message
    assert "serious human rights abuse" in finding.message
    assert dict(finding.evidence)["programme.GLOMAG.legal_basis"].endswith("31 CFR Part 583")
    assert assessment.decision is hrdd.Decision.DO_NOT_PROCEED


def test_possible_match_on_a_spyware_designation_escalates(engine: hrdd.Engine) -> None:
    assessment = engine.assess(transaction("Intelexa", "GR"))  # a typo of the designated vendor
    found = san009(assessment)
    assert found and all(f.outcome is hrdd.Outcome.ESCALATE for f in found)
    assert any(
        "Cyber-related Sanctions (CYBER2" in f.message and "possible match" in f.message for f in found
    )
    assert "HRDD-SCR-003" in assessment.rule_ids


def test_designation_under_a_country_programme_tag(engine: hrdd.Engine) -> None:
    document = transaction(
        "Harbour Logistics BV",
        "NL",
        parties=[{"role": "integrator", "name": "Positive Technologies", "country": "RU"}],
    )
    assessment = engine.assess(document)
    [finding] = [f for f in san009(assessment) if f.subject == "parties[0]"]
    assert finding.outcome is hrdd.Outcome.DO_NOT_PROCEED
    assert "Russian Harmful Foreign Activities Sanctions (RUSSIA-EO14024" in finding.message


def test_no_designation_no_san009(engine: hrdd.Engine) -> None:
    assessment = engine.assess(transaction("Harbour Logistics BV", "NL"))
    assert not san009(assessment) and "HRDD-SAN-005" in assessment.rule_ids


def test_without_screening_the_sanctions_plugin_says_names_were_not_screened(tmp_path: Path) -> None:
    engine = hrdd.Engine.from_policy(write_policy(tmp_path, screening=False))
    assessment = engine.assess(transaction("Rapid Action Battalion", "BD"))
    assert not san009(assessment)
    [clear] = [f for f in assessment.findings if f.rule_id == "HRDD-SAN-005"]
    assert "does not replace screening the parties by name" in clear.message
