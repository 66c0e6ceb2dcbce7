"""hrdd-screening: list formats, bad files, matching quality, and decisions through the engine."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hrdd
from hrdd_screening.index import Index
from hrdd_screening.lists import (
    CSL_CSV,
    CSL_HEADER,
    CSL_JSON,
    OPENSANCTIONS,
    OPENSANCTIONS_HEADER,
    ListProblem,
    load_list,
)
from hrdd_screening.normalise import normalise

FIXTURE = Path(__file__).parent / "fixtures" / "csl-fixture.csv"


@pytest.fixture(scope="module")
def index() -> Index:
    loaded, problems = load_list(FIXTURE)
    assert not problems and loaded is not None
    return Index(loaded.entries)


def best(index: Index, name: str, country: str | None = None) -> tuple[str, float]:
    found = index.search(name, country, threshold=0)
    return (found[0].entry.name, found[0].score) if found else ("", 0.0)


# --- normalisation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hangzhou Hikvision Digital Technology Co., Ltd.", "hangzhou hikvision digital technology"),
        ("COSEINC PTE. LTD.", "coseinc"),
        ("Intellexa S.A.", "intellexa"),
        ("Cytrox Holdings Zrt.", "cytrox holdings"),
        ("OOO Positive Technologies", "positive technologies"),
        ("Société Générale S.A.", "societe generale"),
        ("Acme LLC", "acme"),
        ("Ltd.", "ltd"),  # nothing but a legal form: kept, never empty
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalise_never_crashes(text: str) -> None:
    result = normalise(text)
    assert result == result.strip() and "  " not in result


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_search_never_crashes(index: Index, text: str) -> None:
    for match in index.search(text, "CN", threshold=0):
        assert 0 <= match.score <= 100


# --- matching quality ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "entry", "low", "high"),
    [
        ("Intellexa", "Intellexa Limited", 100, 100),  # alias of the S.A.; exact after normalisation
        ("Intelexa", "Intellexa", 88, 96.9),  # a typo: possible match
        (
            "Hikvision Digital Technology Hangzhou Ltd",
            "Hangzhou Hikvision Digital Technology Co., Ltd.",
            100,
            100,
        ),
        ("NSO GROUP TECHNOLOGIES LTD", "NSO Group", 100, 100),  # alias, case and suffix
        ("Positive Technologies JSC", "Positive Technologies", 100, 100),
        ("Позитив Текнолоджиз", "Positive Technologies", 100, 100),  # Cyrillic alias, transliterated at load
        (
            "Computer Security Initiative Consultancy Pte Ltd",
            "Computer Security Initiative Consultancy PTE. LTD.",
            100,
            100,
        ),
        ("Dahua", "Zhejiang Dahua Technology Co., Ltd.", 88, 96.9),  # contained distinctive name: possible
        ("Candiru Ltd.", "Candiru", 100, 100),
        ("Positive Technolgies", "Positive Technologies", 88, 96.9),  # typo in a generic word: possible
        ("Zhejiang Dahau Technology", "Zhejiang Dahua Technology Co., Ltd.", 88, 96.9),  # near spelling
    ],
)
def test_finds_variants(index: Index, query: str, entry: str, low: float, high: float) -> None:
    found = {m.entry.name: m.score for m in index.search(query, None, threshold=0)}
    assert entry in found or any(entry in m.entry.alt_names for m in index.search(query, None, threshold=0))
    score = max(
        m.score for m in index.search(query, None, threshold=0) if entry in (m.entry.name, *m.entry.alt_names)
    )
    assert low <= score <= high


@pytest.mark.parametrize(
    "query",
    [
        "Rapid Action Plumbing Services LLC",
        "Global Technology Services Ltd",
        "Technology",
        "Acme Retail GmbH",
        "Positive Thinking Consultancy",
        "Hangzhou Digital Trading Co.",
        "Intel Corporation",
        "Candiru Pharma Holdings",  # a listed name inside a longer name with distinctive words of its own
    ],
)
def test_generic_and_near_names_do_not_match(index: Index, query: str) -> None:
    assert index.search(query, None, threshold=88) == []


def test_country_mismatch_downgrades_exact_name(index: Index) -> None:
    assert best(index, "Positive Technologies", "RU")[1] == 100
    assert 88 <= best(index, "Positive Technologies", "DE")[1] < 97


# --- formats and bad files -------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(column, "") for column in header])
    return path


def test_formats_detected(tmp_path: Path) -> None:
    loaded, _ = load_list(FIXTURE)
    assert loaded is not None and loaded.format == CSL_CSV
    doc = {
        "total": 1,
        "results": [
            {
                "source": "Entity List (EL) - Bureau of Industry and Security",
                "name": "Candiru",
                "alt_names": ["Saito Tech Ltd."],
                "programs": [],
                "addresses": [{"city": "Tel Aviv", "country": "IL"}],
                "license_requirement": "For all items subject to the EAR.",
                "license_policy": "Presumption of denial.",
            }
        ],
    }
    (tmp_path / "csl.json").write_text(json.dumps(doc), encoding="utf-8")
    loaded, problems = load_list(tmp_path / "csl.json")
    assert not problems and loaded is not None and loaded.format == CSL_JSON
    assert loaded.entries[0].countries == {"IL"} and loaded.entries[0].codes == {"EL"}
    opensanctions = write_csv(
        tmp_path / "targets.simple.csv",
        OPENSANCTIONS_HEADER,
        [
            {
                "id": "NK-1",
                "schema": "Organization",
                "name": "Intellexa S.A.",
                "aliases": "Intellexa",
                "countries": "gr",
                "dataset": "US OFAC Specially Designated Nationals (SDN) List",
                "program_ids": "CYBER2",
                "last_change": "2024-03-06T00:00:00",
            }
        ],
    )
    loaded, problems = load_list(opensanctions)
    assert not problems and loaded is not None and loaded.format == OPENSANCTIONS
    assert loaded.entries[0].codes == {"SDN"} and loaded.date == "2024-03-06"


def test_nameless_rows_skipped_and_counted(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "csl.csv",
        CSL_HEADER,
        [{"source": "Entity List (EL)", "name": "Candiru"}, {"source": "Entity List (EL)", "name": ""}],
    )
    loaded, problems = load_list(path)
    assert not problems and loaded is not None
    assert len(loaded.entries) == 1 and loaded.skipped == 1
    # the warning reaches the report: in the negative assurance and in the list's provenance
    engine = hrdd.Engine.from_policy(policy(tmp_path, ["csl.csv"]))
    assessment = engine.assess(transaction("Acme Retail GmbH"))
    [clear] = [f for f in assessment.findings if f.rule_id == "HRDD-SCR-004"]
    assert "warning: 1 rows without a name skipped" in clear.message
    [listed] = [d for d in assessment.provenance.data if d.name == "csl.csv"]
    assert "1 rows without a name skipped" in listed.source


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("", 1, "empty"),
        ("id;name\n1;x\n", 1, "unknown list format"),
        (",".join(CSL_HEADER) + "\n", 1, "no entries"),
        (",".join(CSL_HEADER) + '\n1,Entity List (EL),,,,"Candiru', 2, "truncated"),
        (",".join(CSL_HEADER) + "\n1,Entity List (EL),,,,Candiru\n", 2, "fields"),
        ('{"results": [{"name": "x", "source": "EL"}', 1, "truncated JSON"),
        ('{"total": 0}', 1, "results"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, line: int, words: str) -> None:
    path = tmp_path / "list.csv"
    path.write_text(content, encoding="utf-8")
    loaded, problems = load_list(path)
    assert loaded is None and problems
    assert problems[0].line == line and words in problems[0].message


def csl_json(tmp_path: Path, **fields: Any) -> Path:
    entry = {"source": "Entity List (EL) - Bureau of Industry and Security", "name": "Candiru", **fields}
    path = tmp_path / "csl.json"
    path.write_text(json.dumps({"results": [entry]}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("citizenships", 5, "int: expected a list or a string"),
        ("nationalities", {"IL": True}, "dict: expected a list or a string"),
        ("addresses", 1, "int: expected a list"),
        ("alt_names", "Saito Tech Ltd.", "str: expected a list"),
    ],
)
def test_json_field_of_the_wrong_type_is_a_problem(
    tmp_path: Path, field: str, value: Any, expected: str
) -> None:
    # A number here used to crash the load with a TypeError; a string alt_names was read one
    # character at a time.
    loaded, problems = load_list(csl_json(tmp_path, **{field: value}))
    assert loaded is None
    assert problems == [ListProblem(1, f"$.results[0].{field} is {expected}")]


def test_json_citizenships_as_a_list_or_a_string(tmp_path: Path) -> None:
    loaded, problems = load_list(csl_json(tmp_path, citizenships="IL; gr", nationalities=["CY"]))
    assert not problems and loaded is not None
    assert loaded.entries[0].countries == {"IL", "GR", "CY"}


# --- through the engine ----------------------------------------------------------------


def policy(tmp_path: Path, lists: list[str] | None, **config: Any) -> Path:
    lines = [
        "[policy]",
        'name = "screening-test"',
        'version = "1"',
        "",
        "[plugins.hrdd-item-capability]",
        'enforcement = "mandatory"',
        "",
        "[plugins.hrdd-screening]",
        'enforcement = "hard"',
        "",
        "[plugins.hrdd-screening.config]",
    ]
    if lists is not None:
        lines.append("lists = [" + ", ".join(json.dumps(x) for x in lists) + "]")
    for key, value in config.items():
        lines.append(f"{key} = {json.dumps(value)}")
    path = tmp_path / "policy.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> hrdd.Engine:
    directory = tmp_path_factory.mktemp("policy")
    (directory / "lists").mkdir()
    (directory / "lists" / "csl.csv").write_bytes(FIXTURE.read_bytes())
    return hrdd.Engine.from_policy(policy(directory, ["lists/csl.csv"]))


def transaction(end_user: str, country: str = "DE", **extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": "TX-SCR-1",
        "items": [
            {
                "id": "i1",
                "name": "Body camera",
                "description": "Body-worn camera",
                "categories": ["body_worn_camera"],
            }
        ],
        "end_user": {"name": end_user, "country": country, "type": "private", "sector": "commercial"},
    }
    document.update(extra)
    return document


def screening(assessment: Any) -> list[Any]:
    return [f for f in assessment.findings if f.rule_id.startswith("HRDD-SCR")]


def test_clear_gives_negative_assurance(engine: hrdd.Engine) -> None:
    assessment = engine.assess(transaction("Acme Retail GmbH"))
    rules = [f.rule_id for f in screening(assessment)]
    assert rules == ["HRDD-SCR-004"]
    assert "csl.csv" in screening(assessment)[0].message
    assert any(d.name == "csl.csv" and "public domain" in d.licence for d in assessment.provenance.data)
    assert assessment.facts["screening.hits"][0] == []


def test_entity_list_hit_is_do_not_proceed(engine: hrdd.Engine) -> None:
    assessment = engine.assess(transaction("NSO Group Technologies Ltd", "IL"))
    assert assessment.decision is hrdd.Decision.DO_NOT_PROCEED
    assert "HRDD-SCR-001" in assessment.rule_ids


def test_related_party_and_party_hits(engine: hrdd.Engine) -> None:
    document = transaction(
        "Acme Retail GmbH",
        parties=[
            {
                "role": "distributor",
                "name": "Balkan Distribution DOO",
                "country": "RS",
                "related_parties": [{"name": "Cytrox AD", "relationship": "ownership", "country": "MK"}],
            }
        ],
    )
    assessment = engine.assess(document)
    hits = [f for f in screening(assessment) if f.rule_id == "HRDD-SCR-001"]
    assert {f.subject for f in hits} == {"parties[0].related_parties[0]"}
    assert assessment.decision is hrdd.Decision.DO_NOT_PROCEED


def test_possible_match_escalates_with_evidence(engine: hrdd.Engine) -> None:
    assessment = engine.assess(transaction("Intelexa", "GR"))
    possible = [f for f in screening(assessment) if f.rule_id == "HRDD-SCR-003"]
    assert possible and assessment.decision is hrdd.Decision.ESCALATE
    evidence = {e.path: e.value for e in possible[0].evidence}
    for key in (
        "end_user.name",
        "list_entry",
        "source_list",
        "programs",
        "license_requirement",
        "license_policy",
        "score",
        "why",
    ):
        assert key in evidence


def test_other_list_confirmed_hit_escalates(engine: hrdd.Engine) -> None:
    assessment = engine.assess(transaction("Example Surveillance Solutions Sdn Bhd", "MY"))
    assert "HRDD-SCR-002" in assessment.rule_ids and "HRDD-SCR-001" not in assessment.rule_ids
    assert assessment.decision is hrdd.Decision.ESCALATE


def test_glomag_hit_published_as_fact(engine: hrdd.Engine) -> None:
    assessment = engine.assess(transaction("Rapid Action Battalion", "BD"))
    hits = assessment.facts["screening.hits"][0]
    assert any("GLOMAG" in hit["programs"] and hit["party"] == "end_user" for hit in hits)
    assert assessment.decision is hrdd.Decision.DO_NOT_PROCEED


def test_generic_name_is_clear(engine: hrdd.Engine) -> None:
    assessment = engine.assess(transaction("Rapid Action Plumbing Services LLC", "US"))
    assert [f.rule_id for f in screening(assessment)] == ["HRDD-SCR-004"]


def test_no_list_configured_is_an_error(tmp_path: Path) -> None:
    engine = hrdd.Engine.from_policy(policy(tmp_path, None))
    assessment = engine.assess(transaction("Acme Retail GmbH"))
    assert [f.rule_id for f in screening(assessment)] == ["HRDD-SCR-005"]
    assert screening(assessment)[0].outcome is hrdd.Outcome.ERROR
    assert assessment.decision is not hrdd.Decision.PROCEED


def test_missing_and_bad_list_files_refuse_the_policy(tmp_path: Path) -> None:
    with pytest.raises(hrdd.PolicyError, match=r"missing\.csv"):
        hrdd.Engine.from_policy(policy(tmp_path, ["missing.csv"]))
    (tmp_path / "bad.csv").write_text("id;name\n1;x\n", encoding="utf-8")
    with pytest.raises(hrdd.PolicyError, match=r"bad.csv: line 1: unknown list format"):
        hrdd.Engine.from_policy(policy(tmp_path, ["bad.csv"]))


def test_a_name_is_matched_once_and_each_deal_hears_of_it_in_its_own_place(tmp_path: Path) -> None:
    """The index is searched once per name and country, whatever deal names it and where: a
    listed distributor is found in each deal it appears in, as that deal's party, and its
    findings read as for a fresh engine."""
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "csl.csv").write_bytes(FIXTURE.read_bytes())
    engine = hrdd.Engine.from_policy(policy(tmp_path, ["lists/csl.csv"]))
    state = next(plugin.state for plugin in engine.plugins.plugins if plugin.name == "hrdd-screening")
    searched: list[tuple[str, str | None]] = []
    search = state.index.search

    def counting(name: str, country: str | None, *args: Any) -> Any:
        searched.append((name, country))
        return search(name, country, *args)

    state.index.search = counting
    cytrox = {"role": "distributor", "name": "Cytrox AD", "country": "MK"}
    other = {"role": "freight_forwarder", "name": "Harbour Freight BV", "country": "NL"}
    deals = [
        transaction("Acme Retail GmbH", parties=[cytrox]),
        transaction("Borealis Security AB", "SE", parties=[other, cytrox]),
        transaction("Acme Retail GmbH", parties=[other]),
    ]
    for document in deals:
        assessment = engine.assess(document)
        fresh = hrdd.Engine.from_policy(policy(tmp_path, ["lists/csl.csv"])).assess(document)
        assert [(f.rule_id, f.subject, f.message) for f in screening(assessment)] == [
            (f.rule_id, f.subject, f.message) for f in screening(fresh)
        ]
    hits = [f for f in screening(engine.assess(deals[1])) if f.rule_id == "HRDD-SCR-001"]
    assert hits and {f.subject for f in hits} == {"parties[1]"}
    assert sorted(searched) == sorted(set(searched)) and ("Cytrox AD", "MK") in searched
