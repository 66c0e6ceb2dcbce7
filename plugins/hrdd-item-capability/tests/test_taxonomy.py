"""The capability taxonomy data file: its provenance, a policy's own copy, and the errors a bad copy gets.

A policy team replaces ``data/capabilities.toml`` with its own file (``data = "x.toml"``); a
mistake in that file must stop the engine from being built, name the file and the place in
it, and list every problem at once.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hrdd
from hrdd_item_capability.taxonomy import default_data_path, load_taxonomy

# the baseline's settings for this plugin alone (the baseline also enables the other plugins)
CAPABILITY_ONLY = Path(__file__).with_name("capability-only.toml")

PLUGIN = "hrdd-item-capability"
README = Path(__file__).resolve().parents[1] / "README.md"
SHIPPED = default_data_path()


# --------------------------------------------------------------------------------------
# Helpers: a minimal TOML writer for taxonomy-shaped documents, and a one-plugin policy
# --------------------------------------------------------------------------------------


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML here")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def dump_taxonomy(document: dict[str, Any]) -> str:
    """TOML for a taxonomy-shaped document: scalar tables, tables of tables, arrays of tables."""
    lines: list[str] = []
    for name, table in document.items():
        if isinstance(table, list) and all(isinstance(row, dict) for row in table):
            for row in table:
                lines.append(f"[[{_key(name)}]]")
                lines += [f"{_key(k)} = {_value(v)}" for k, v in row.items()]
        elif isinstance(table, dict):
            scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
            lines.append(f"[{_key(name)}]")
            lines += [f"{_key(k)} = {_value(v)}" for k, v in scalars.items()]
            for sub, subtable in table.items():
                if isinstance(subtable, dict):
                    lines.append(f"[{_key(name)}.{_key(sub)}]")
                    lines += [f"{_key(k)} = {_value(v)}" for k, v in subtable.items()]
        else:
            lines.insert(0, f"{_key(name)} = {_value(table)}")
    return "\n".join(lines) + "\n"


def shipped_document() -> dict[str, Any]:
    return tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


def write_policy(directory: Path, data: str | None = "x.toml", **config: Any) -> Path:
    lines = ["[policy]", 'name = "t"', 'version = "1"', f"[plugins.{PLUGIN}]", f"[plugins.{PLUGIN}.config]"]
    if data is not None:
        lines.append(f"data = {json.dumps(data)}")
    lines += [f"{key} = {_value(value)}" for key, value in config.items()]
    path = directory / "policy.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_taxonomy(directory: Path, document: dict[str, Any], name: str = "x.toml") -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_taxonomy(document), encoding="utf-8")
    return path


def make_transaction(item: dict[str, Any], end_user: dict[str, Any]) -> dict[str, Any]:
    base_item = {
        "id": "item-1",
        "name": "Item",
        "description": "",
        "categories": [],
        "capabilities": [],
        "design_safeguards": [],
        "customization": "none",
        "customization_request": "",
    }
    base_user = {
        "name": "End user",
        "country": "NL",
        "type": "private",
        "sector": "commercial",
        "government_relationship": "none",
        "stated_end_use": "",
    }
    return {"id": "TX-1", "items": [{**base_item, **item}], "end_user": {**base_user, **end_user}}


BODY_CAMERA = {
    "name": "PatrolCam BW-3",
    "description": "Body-worn camera for patrol officers",
    "categories": ["body_worn_camera"],
    "capabilities": ["audio_video_recording"],
}
MUNICIPAL_POLICE = {
    "name": "Politie Gemeente Utrecht",
    "type": "government_agency",
    "sector": "law_enforcement",
    "stated_end_use": "Evidence capture during patrols",
}
MINISTRY = {"name": "Ministry of Interior", "type": "government_agency", "sector": "civil_administration"}


def rule_ids(assessment: hrdd.Assessment) -> set[str]:
    return {f.rule_id for f in assessment.findings}


def policy_error(tmp_path: Path) -> hrdd.PolicyError:
    """The error building an engine on ``tmp_path/policy.toml`` raises (it must raise)."""
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(tmp_path / "policy.toml")
    return raised.value


# --------------------------------------------------------------------------------------
# The shipped file and its provenance
# --------------------------------------------------------------------------------------


def test_shipped_taxonomy_loads_and_names_its_provenance() -> None:
    dataset = load_taxonomy(SHIPPED).dataset
    assert dataset.name == "hrdd-item-capability-taxonomy"
    assert dataset.licence == "Apache-2.0"
    assert "Draft Guidance" in dataset.source
    assert _dt.date.fromisoformat(dataset.date) <= _dt.date.today()
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", dataset.version)
    assert dataset.sha256 == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()


def test_readme_states_the_shipped_version_date_and_licence() -> None:
    """The README's Data section is what a policy team reads: it must match the file."""
    dataset = load_taxonomy(SHIPPED).dataset
    readme = README.read_text(encoding="utf-8")
    assert f"version {dataset.version}" in readme
    assert dataset.date in readme
    assert dataset.licence in readme


def test_the_test_writer_round_trips_the_shipped_file() -> None:
    """The custom files below are the shipped one with one change, nothing lost in writing."""
    document = shipped_document()
    assert tomllib.loads(dump_taxonomy(document)) == document


def test_shipped_taxonomy_covers_every_schema_capability_and_category() -> None:
    taxonomy = load_taxonomy(SHIPPED)
    from hrdd.model import CAPABILITIES, ITEM_CATEGORIES

    assert set(taxonomy.capabilities) == set(CAPABILITIES)
    assert set(taxonomy.categories) == set(ITEM_CATEGORIES)
    assert taxonomy.categories["other"] == ()
    assert taxonomy.capabilities["protected_attribute_inference"].floor == 5


def test_assessment_provenance_names_the_taxonomy_with_its_sha256() -> None:
    """An auditor can tell which taxonomy (and which exact bytes of it) graded the deal."""
    assessment = hrdd.Engine.from_policy(CAPABILITY_ONLY).assess(
        make_transaction(BODY_CAMERA, MUNICIPAL_POLICE)
    )
    data = [d for d in assessment.provenance.data if d.name == "hrdd-item-capability-taxonomy"]
    assert len(data) == 1
    assert data[0].sha256 == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    assert data[0].version and data[0].source and data[0].licence and data[0].date
    report = assessment.to_dict()["provenance"]["data"]
    assert {"name": data[0].name, "sha256": data[0].sha256} in [
        {"name": d["name"], "sha256": d["sha256"]} for d in report
    ]


# --------------------------------------------------------------------------------------
# A policy's own taxonomy
# --------------------------------------------------------------------------------------


def test_custom_taxonomy_changes_the_outcome_and_the_provenance(tmp_path: Path) -> None:
    """A team whose body cameras ship with face matching says so in its taxonomy: the same deal escalates."""
    document = shipped_document()
    document["meta"]["name"] = "acme-capability-taxonomy"
    document["meta"]["version"] = "2027.1.0"
    document["categories"]["body_worn_camera"] = [
        "audio_video_recording",
        "data_retention",
        "biometric_identification",
    ]
    taxonomy_path = write_taxonomy(tmp_path, document)
    engine = hrdd.Engine.from_policy(write_policy(tmp_path))

    baseline = hrdd.Engine.from_policy(CAPABILITY_ONLY).assess(
        make_transaction(BODY_CAMERA, MUNICIPAL_POLICE)
    )
    custom = engine.assess(make_transaction(BODY_CAMERA, MUNICIPAL_POLICE))
    assert baseline.decision == "proceed"
    assert custom.decision == "escalate"
    assert "HRDD-CAP-009" in rule_ids(custom)

    [dataset] = custom.provenance.data
    assert (dataset.name, dataset.version) == ("acme-capability-taxonomy", "2027.1.0")
    assert dataset.sha256 == hashlib.sha256(taxonomy_path.read_bytes()).hexdigest()


def test_custom_taxonomy_path_is_relative_to_the_policy_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = shipped_document()
    document["meta"]["name"] = "acme-capability-taxonomy"
    write_taxonomy(tmp_path / "policies" / "data", document, name="acme.toml")
    policy = write_policy(tmp_path / "policies", data="data/acme.toml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    engine = hrdd.Engine.from_policy(policy)
    assessment = engine.assess(make_transaction(BODY_CAMERA, MUNICIPAL_POLICE))
    assert [d.name for d in assessment.provenance.data] == ["acme-capability-taxonomy"]


def test_a_team_can_add_a_phrase_to_its_own_taxonomy(tmp_path: Path) -> None:
    """Phrases are data: a team that adds its own wording catches a capability the shipped file misses."""
    kiosk = {
        "name": "Visitor kiosk",
        "categories": ["other"],
        "description": "Lobby kiosk that reads visitors' palm veins to let them in",
    }
    shipped = hrdd.Engine.from_policy(CAPABILITY_ONLY).assess(make_transaction(kiosk, MINISTRY))
    assert "HRDD-CAP-002" not in rule_ids(shipped)
    document = shipped_document()
    document["phrases"].append(
        {"capability": "biometric_identification", "label": "palm vein", "pattern": "\\bpalm[- ]?veins?\\b"}
    )
    write_taxonomy(tmp_path, document)
    taught = hrdd.Engine.from_policy(write_policy(tmp_path)).assess(make_transaction(kiosk, MINISTRY))
    assert "HRDD-CAP-002" in rule_ids(taught)
    assert taught.decision == "escalate"


def test_two_policies_with_different_taxonomies_do_not_share_state(tmp_path: Path) -> None:
    """Engines built from different data files grade the same deal differently, side by side."""
    document = shipped_document()
    document["categories"]["body_worn_camera"] = ["audio_video_recording", "biometric_identification"]
    write_taxonomy(tmp_path, document)
    custom = hrdd.Engine.from_policy(write_policy(tmp_path))
    baseline = hrdd.Engine.from_policy(CAPABILITY_ONLY)
    transaction = make_transaction(BODY_CAMERA, MUNICIPAL_POLICE)
    assert [custom.assess(transaction).decision, baseline.assess(transaction).decision] == [
        "escalate",
        "proceed",
    ]


# --------------------------------------------------------------------------------------
# A bad taxonomy is refused when the engine is built, with the file and the place named
# --------------------------------------------------------------------------------------


def _drop(path: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        table = document
        for key in path[:-1]:
            table = table[key]
        del table[path[-1]]

    return mutate


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        table: Any = document
        for key in path[:-1]:
            table = table[key]
        table[path[-1]] = value

    return mutate


def _first_phrase_pattern(pattern: str) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        document["phrases"][0]["pattern"] = pattern

    return mutate


BAD_DOCUMENTS = [
    pytest.param(_drop(("meta",)), "$.meta", id="no-meta-table"),
    *[
        pytest.param(_drop(("meta", key)), f"$.meta.{key}", id=f"meta-without-{key}")
        for key in ("name", "version", "source", "date", "licence")
    ],
    pytest.param(_set(("meta", "source"), "   "), "$.meta.source", id="meta-blank-source"),
    pytest.param(_drop(("capabilities", "decryption")), "$.capabilities.decryption", id="capability-missing"),
    pytest.param(_drop(("capabilities",)), "$.capabilities", id="capabilities-table-missing"),
    pytest.param(
        _drop(("categories", "body_worn_camera")), "$.categories.body_worn_camera", id="category-missing"
    ),
    pytest.param(_drop(("categories",)), "$.categories", id="categories-table-missing"),
    pytest.param(
        _set(("capabilities", "mind_reading"), {"label": "x", "weight": 3, "floor": 1}),
        "$.capabilities.mind_reading",
        id="unknown-capability-defined",
    ),
    pytest.param(
        _set(("categories", "drone"), ["audio_video_recording", "mind_reading"]),
        "$.categories.drone",
        id="category-implies-unknown-capability",
    ),
    pytest.param(
        _set(("categories", "smart_fridge"), []), "$.categories.smart_fridge", id="unknown-category"
    ),
    pytest.param(
        _set(("capabilities", "decryption", "weight"), 6),
        "$.capabilities.decryption.weight",
        id="weight-above-5",
    ),
    pytest.param(
        _set(("capabilities", "decryption", "weight"), 0),
        "$.capabilities.decryption.weight",
        id="weight-below-1",
    ),
    pytest.param(
        _set(("capabilities", "decryption", "weight"), "high"),
        "$.capabilities.decryption.weight",
        id="weight-not-a-number",
    ),
    pytest.param(
        _set(("capabilities", "decryption", "floor"), 5),
        "$.capabilities.decryption.floor",
        id="floor-above-weight",
    ),
    pytest.param(
        _set(("capabilities", "decryption", "mitigated_by"), ["prayer"]),
        "$.capabilities.decryption.mitigated_by",
        id="unknown-mitigating-safeguard",
    ),
    pytest.param(_first_phrase_pattern("(\\bfaces?"), "$.phrases[0].pattern", id="invalid-regex"),
    pytest.param(_first_phrase_pattern("\\bFace ID\\b"), "$.phrases[0].pattern", id="uppercase-pattern"),
    pytest.param(
        _set(("phrases", 1, "capability"), "telepathy"),
        "$.phrases[1].capability",
        id="phrase-for-unknown-capability",
    ),
    pytest.param(_set(("intents", 0, "kind"), "mischief"), "$.intents[0].kind", id="intent-of-unknown-kind"),
    pytest.param(_set(("phrases",), "face"), "$.phrases", id="phrases-not-an-array-of-tables"),
]


@pytest.mark.parametrize(("mutate", "where"), BAD_DOCUMENTS)
def test_bad_taxonomy_is_refused_naming_file_and_path(
    tmp_path: Path, mutate: Callable[..., None], where: str
) -> None:
    document = shipped_document()
    mutate(document)
    taxonomy_path = write_taxonomy(tmp_path, document)
    write_policy(tmp_path)
    error = policy_error(tmp_path)
    assert [p.path for p in error.problems] == [where], str(error)
    [problem] = error.problems
    assert Path(problem.source).name == taxonomy_path.name, str(error)
    assert problem.message.strip()
    assert str(taxonomy_path.name) in str(error) and where in str(error)  # what the CLI prints


def test_missing_taxonomy_file_is_refused(tmp_path: Path) -> None:
    write_policy(tmp_path, data="nowhere.toml")
    error = policy_error(tmp_path)
    [problem] = error.problems
    assert Path(problem.source).name == "nowhere.toml"
    assert "not found" in problem.message


def test_taxonomy_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text("[meta\nname = 'broken", encoding="utf-8")
    write_policy(tmp_path)
    [problem] = policy_error(tmp_path).problems
    assert Path(problem.source).name == "x.toml"
    assert "TOML" in problem.message


def test_every_problem_of_a_taxonomy_is_reported_together(tmp_path: Path) -> None:
    """A team fixing its file sees the whole list at once, not one problem per attempt."""
    document = shipped_document()
    for mutate in (
        _drop(("capabilities", "decryption")),
        _set(("capabilities", "covert_operation", "weight"), 9),
        _drop(("categories", "body_worn_camera")),
        _set(("categories", "drone"), ["mind_reading"]),
        _first_phrase_pattern("(\\bfaces?"),
    ):
        mutate(document)
    write_taxonomy(tmp_path, document)
    write_policy(tmp_path)
    paths = {p.path for p in policy_error(tmp_path).problems}
    assert paths == {
        "$.capabilities.decryption",
        "$.capabilities.covert_operation.weight",
        "$.categories.body_worn_camera",
        "$.categories.drone",
        "$.phrases[0].pattern",
    }


def test_refused_at_engine_build_not_at_assessment(tmp_path: Path) -> None:
    """Nothing is assessed under a broken taxonomy: the error comes before any transaction."""
    document = shipped_document()
    document["capabilities"]["decryption"]["weight"] = 6
    write_taxonomy(tmp_path, document)
    write_policy(tmp_path)
    with pytest.raises(hrdd.PolicyError):
        hrdd.Engine.from_policy(tmp_path / "policy.toml")


# --------------------------------------------------------------------------------------
# CALIBRATION: loader behaviour that falls short of DESIGN.md ("all errors of a document
# are reported together"; data files are validated at load)
# --------------------------------------------------------------------------------------


def test_boolean_weight_is_refused(tmp_path: Path) -> None:
    document = shipped_document()
    document["capabilities"]["decryption"]["weight"] = True
    document["capabilities"]["decryption"]["floor"] = 0  # so that only the weight is wrong
    write_taxonomy(tmp_path, document)
    write_policy(tmp_path)
    assert [p.path for p in policy_error(tmp_path).problems] == ["$.capabilities.decryption.weight"]


def test_meta_and_body_problems_are_reported_together(tmp_path: Path) -> None:
    document = shipped_document()
    del document["meta"]["licence"]
    document["capabilities"]["decryption"]["weight"] = 9
    write_taxonomy(tmp_path, document)
    write_policy(tmp_path)
    paths = {p.path for p in policy_error(tmp_path).problems}
    assert paths == {"$.meta.licence", "$.capabilities.decryption.weight"}
