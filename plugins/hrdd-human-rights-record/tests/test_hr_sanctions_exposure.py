"""HRDD-HR-013: destinations the guidance names as exposed to secondary sanctions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import hrdd

POLICY = """
[policy]
name = "exposure"
version = "1"

[plugins.hrdd-item-capability]
[plugins.hrdd-human-rights-record]
{config}
"""

FACE_SDK = {
    "id": "I1",
    "name": "Face matching SDK",
    "categories": ["facial_recognition"],
    "capabilities": ["biometric_identification"],
    "description": "Face matching against enrolled galleries.",
}
CAMERA = {
    "id": "I1",
    "name": "Dome camera",
    "categories": ["other"],
    "description": "Indoor dome camera, no analytics.",
}


def transaction(country: str, item: dict[str, Any], end_user_type: str) -> dict[str, Any]:
    return {
        "id": "TX-EXPOSURE",
        "date": "2025-06-01",
        "items": [item],
        "end_user": {"name": "Buyer", "country": country, "type": end_user_type, "sector": "commercial"},
    }


def exposure_findings(engine: hrdd.Engine, document: dict[str, Any]) -> list[hrdd.Finding]:
    return [f for f in engine.assess(document).findings if f.rule_id == "HRDD-HR-013"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> hrdd.Engine:
    path = tmp_path_factory.mktemp("policy") / "policy.toml"
    path.write_text(POLICY.format(config=""), encoding="utf-8")
    return hrdd.Engine.from_policy(path)


def test_government_buyer_of_face_matching_in_venezuela_must_screen_first(engine: hrdd.Engine) -> None:
    [finding] = exposure_findings(engine, transaction("VE", FACE_SDK, "government_agency"))
    assert finding.outcome == "safeguards_required"
    assert "Venezuela" in finding.message and "Global Magnitsky" in finding.message
    assert "draft-2019:trend-sanctions" in finding.guidance


def test_private_buyer_of_a_plain_camera_in_russia_is_told_not_held(engine: hrdd.Engine) -> None:
    [finding] = exposure_findings(engine, transaction("RU", CAMERA, "private"))
    assert finding.outcome == "info"


def test_a_middle_eastern_destination_is_exposed(engine: hrdd.Engine) -> None:
    [finding] = exposure_findings(engine, transaction("AE", FACE_SDK, "state_owned_enterprise"))
    assert finding.outcome == "safeguards_required"


def test_a_destination_the_guidance_does_not_name_gets_no_exposure_finding(engine: hrdd.Engine) -> None:
    assert exposure_findings(engine, transaction("NL", FACE_SDK, "government_agency")) == []


def test_provenance_names_the_exposure_list(engine: hrdd.Engine) -> None:
    assessment = engine.assess(transaction("NL", CAMERA, "private"))
    assert "hrdd-secondary-sanctions-exposure" in [d.name for d in assessment.provenance.data]


def test_a_team_list_with_a_bad_code_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "exposure.toml").write_text(
        '[meta]\nname = "x"\nversion = "1"\nsource = "team"\ndate = "2026-01-01"\nlicence = "internal"\n'
        '[countries]\nVE = "programme"\nXX = "nowhere"\n',
        encoding="utf-8",
    )
    (tmp_path / "policy.toml").write_text(
        POLICY.format(
            config='[plugins.hrdd-human-rights-record.config]\nsanctions_exposure = "exposure.toml"'
        ),
        encoding="utf-8",
    )
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(tmp_path / "policy.toml")
    [problem] = raised.value.problems
    assert problem.path == "$.countries.XX" and problem.source.endswith("exposure.toml")
