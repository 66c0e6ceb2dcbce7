"""hrdd-sanctions-programs: embargoes, licence requirements and country programmes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import hrdd
from hrdd_sanctions_programs.programmes import default_data_path, load_programmes

POLICY = """
[policy]
name = "sanctions"
version = "1"

[plugins.hrdd-item-capability]
[plugins.hrdd-sanctions-programs]
{config}
"""

CAMERA = {
    "id": "I1",
    "name": "Dome camera",
    "categories": ["other"],
    "description": "Indoor dome camera, no analytics.",
}


def transaction(
    country: str = "NL",
    *,
    end_user_type: str | None = "private",
    parties: list[dict[str, Any]] | None = None,
    others: list[dict[str, Any]] | None = None,
    date: str = "2025-08-01",
) -> dict[str, Any]:
    end_user: dict[str, Any] = {"name": "Buyer Ltd", "country": country, "sector": "commercial"}
    if end_user_type is not None:
        end_user["type"] = end_user_type
    if others:
        end_user["other_end_users"] = others
    document: dict[str, Any] = {"id": "TX-SAN", "date": date, "items": [CAMERA], "end_user": end_user}
    if parties:
        document["parties"] = parties
    return document


def policy(tmp_path: Path, config: str = "") -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY.format(config=config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> hrdd.Engine:
    return hrdd.Engine.from_policy(policy(tmp_path_factory.mktemp("policy")))


def san(engine: hrdd.Engine, document: dict[str, Any]) -> list[hrdd.Finding]:
    return [f for f in engine.assess(document).findings if f.rule_id.startswith("HRDD-SAN-")]


def ids(findings: list[hrdd.Finding]) -> list[str]:
    return sorted(f.rule_id for f in findings)


@pytest.mark.parametrize(("country", "basis"), [("CU", "515"), ("IR", "560"), ("KP", "510")])
def test_embargoed_destination_does_not_proceed(engine: hrdd.Engine, country: str, basis: str) -> None:
    assessment = engine.assess(transaction(country))
    [finding] = [f for f in assessment.findings if f.rule_id == "HRDD-SAN-001"]
    assert finding.outcome == "do_not_proceed"
    assert basis in finding.message and "specific licence or authorisation" in finding.message
    assert set(finding.guidance) == {"draft-2019:trend-sanctions", "draft-2019:consideration-5"}
    assert assessment.decision == "do_not_proceed"


def test_embargoed_party_country_blocks_a_clean_destination(engine: hrdd.Engine) -> None:
    document = transaction("NL", parties=[{"role": "distributor", "name": "Havana Trading", "country": "CU"}])
    findings = san(engine, document)
    assert ids(findings) == ["HRDD-SAN-001"]
    assert "Havana Trading" in findings[0].message and findings[0].subject == "parties[0]"
    assert engine.assess(document).decision == "do_not_proceed"


def test_russia_requires_a_licence_and_screening(engine: hrdd.Engine) -> None:
    findings = san(engine, transaction("RU"))
    assert ids(findings) == ["HRDD-SAN-002", "HRDD-SAN-003"]
    [licence] = [f for f in findings if f.rule_id == "HRDD-SAN-002"]
    assert licence.outcome == "escalate" and "746.8" in licence.message


def test_belarus_other_end_user_escalates(engine: hrdd.Engine) -> None:
    document = transaction("PL", others=[{"name": "Minsk Integrator", "country": "BY", "type": "private"}])
    findings = san(engine, document)
    assert ids(findings) == ["HRDD-SAN-002", "HRDD-SAN-003"]
    assert all("Minsk Integrator" in f.message for f in findings)


@pytest.mark.parametrize(("country", "tag"), [("NI", "NICARAGUA"), ("CD", "DRCONGO"), ("MM", "BURMA")])
def test_country_programme_requires_screening(engine: hrdd.Engine, country: str, tag: str) -> None:
    [finding] = san(engine, transaction(country))
    assert finding.rule_id == "HRDD-SAN-003" and finding.outcome == "safeguards_required"
    assert tag in finding.message
    assert "Global Magnitsky" in (finding.remediation or "")


def test_venezuelan_government_is_blocked_private_buyer_screened(engine: hrdd.Engine) -> None:
    [gov] = san(engine, transaction("VE", end_user_type="government_agency"))
    assert gov.rule_id == "HRDD-SAN-001" and "13884" in " ".join(str(e.value) for e in gov.evidence)
    [private] = san(engine, transaction("VE", end_user_type="private"))
    assert private.rule_id == "HRDD-SAN-003"
    [unknown] = san(engine, transaction("VE", end_user_type=None))
    assert unknown.rule_id == "HRDD-SAN-002" and "not established" in unknown.message


def test_ukraine_needs_a_region_check(engine: hrdd.Engine) -> None:
    [finding] = san(engine, transaction("UA"))
    assert finding.rule_id == "HRDD-SAN-007" and finding.outcome == "escalate"
    assert "Crimea" in finding.message


def test_syria_is_licence_required_with_2025_note(engine: hrdd.Engine) -> None:
    [finding] = san(engine, transaction("SY"))
    assert finding.rule_id == "HRDD-SAN-002"
    notes = [e.value for e in finding.evidence if e.path.endswith(".note")]
    assert notes and "14312" in notes[0]


def test_party_without_country_escalates(engine: hrdd.Engine) -> None:
    document = transaction(
        "NL",
        parties=[{"role": "reseller", "name": "Shadow Reseller"}],
        others=[{"name": "Unnamed Agency", "type": "government_agency"}],
    )
    findings = san(engine, document)
    assert ids(findings) == ["HRDD-SAN-004", "HRDD-SAN-004"]
    assert {f.subject for f in findings} == {"parties[0]", "end_user.other_end_users[0]"}
    assert all(f.outcome == "escalate" for f in findings)


def test_clear_transaction_gets_negative_assurance(engine: hrdd.Engine) -> None:
    document = transaction("NL", parties=[{"role": "distributor", "name": "Berlin GmbH", "country": "DE"}])
    [finding] = san(engine, document)
    assert finding.rule_id == "HRDD-SAN-005" and finding.outcome == "info"
    assert "DE, NL" in finding.message and "2 party" in finding.message


def test_old_data_reports_its_age(tmp_path: Path) -> None:
    engine = hrdd.Engine.from_policy(
        policy(tmp_path, "[plugins.hrdd-sanctions-programs.config]\nmax_age_days = 30")
    )
    findings = san(engine, transaction("NL", date="2025-12-01"))
    [age] = [f for f in findings if f.rule_id == "HRDD-SAN-006"]
    assert age.outcome == "info" and "153 days old" in age.message


def test_data_age_says_what_it_was_measured_against_whatever_came_before(tmp_path: Path) -> None:
    """A deal dated D and an undated deal assessed on D are measured alike but said apart,
    in either order on the same engine (findings are remembered per deal shape)."""
    import datetime as dt

    engine = hrdd.Engine.from_policy(
        policy(tmp_path, "[plugins.hrdd-sanctions-programs.config]\nmax_age_days = 30")
    )
    dated = transaction("NL", date="2025-12-01")
    undated = transaction("NL")
    del undated["date"]
    day = dt.date(2025, 12, 1)
    for order in ((dated, undated), (undated, dated)):
        messages = {}
        for document in order:
            assessment = engine.assess(document, as_of=day)
            [age] = [f for f in assessment.findings if f.rule_id == "HRDD-SAN-006"]
            messages["date" in document] = age.message
        assert "measured against the transaction date 2025-12-01" in messages[True]
        assert "measured against today" in messages[False]


def test_engines_remember_their_own_findings(tmp_path: Path) -> None:
    """Each engine remembers its own answers: two engines of different max_age_days, assessing
    the same deals by turns, each report their own; a deal repeated on one engine gets the very
    same findings."""
    engines = {}
    for limit in (30, 60):
        (tmp_path / str(limit)).mkdir()
        config = f"[plugins.hrdd-sanctions-programs.config]\nmax_age_days = {limit}"
        engines[limit] = hrdd.Engine.from_policy(policy(tmp_path / str(limit), config))
    document = transaction("RU", date="2025-12-01")
    for _ in range(2):
        for limit, engine in engines.items():
            [age] = [f for f in san(engine, document) if f.rule_id == "HRDD-SAN-006"]
            assert f"max_age_days ({limit})" in age.message
    first, second = (san(engines[30], {**document, "id": f"TX-{n}"}) for n in (1, 2))
    assert ids(first) == ["HRDD-SAN-002", "HRDD-SAN-003", "HRDD-SAN-006"]
    assert all(a is b for a, b in zip(first, second, strict=True))


def test_provenance_names_the_programme_file(engine: hrdd.Engine) -> None:
    assessment = engine.assess(transaction("NL"))
    assert "hrdd-sanctions-programmes" in [d.name for d in assessment.provenance.data]


def test_shipped_data_covers_every_iso_code() -> None:
    import pycountry

    data = load_programmes(default_data_path())
    assert set(data.countries) == {c.alpha_2 for c in pycountry.countries}
    assert {p.effect for p in data.programmes.values()} == {
        "prohibited",
        "licence_required",
        "programme_exposure",
    }


def test_unknown_country_in_data_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A data file without a row for the country (the shipped one has every ISO code: the
    engine is given one with NL left out, as the plugin loads it)."""
    import attrs

    from hrdd_sanctions_programs import plugin

    def without_nl(path: Path) -> Any:
        data = load_programmes(path)
        return attrs.evolve(data, countries={k: v for k, v in data.countries.items() if k != "NL"})

    monkeypatch.setattr(plugin, "load_programmes", without_nl)
    engine = hrdd.Engine.from_policy(policy(tmp_path))
    [finding] = san(engine, transaction("NL"))
    assert finding.rule_id == "HRDD-SAN-008" and finding.outcome == "error"


# --------------------------------------------------------------------------------------
# Bad data files
# --------------------------------------------------------------------------------------


def _bad(tmp_path: Path, text: str) -> hrdd.PolicyError:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(hrdd.PolicyError) as info:
        hrdd.Engine.from_policy(
            policy(tmp_path, f'[plugins.hrdd-sanctions-programs.config]\ndata = "{path.name}"')
        )
    return info.value


def _shipped() -> str:
    return default_data_path().read_text(encoding="utf-8")


def test_bad_effect_and_missing_code_reported_together(tmp_path: Path) -> None:
    text = _shipped().replace(
        'effect = "prohibited"\nas_of = 2025-07-01\n\n[programmes.iran]',
        'effect = "banned"\nas_of = 2025-07-01\n\n[programmes.iran]',
    )
    text = re.sub(r"^FR = .*\n", "", text, flags=re.M)
    message = str(_bad(tmp_path, text))
    assert "bad.toml" in message
    assert "$.programmes.cuba.effect" in message and "$.countries.FR" in message


def test_non_iso_code_and_undefined_programme(tmp_path: Path) -> None:
    text = _shipped().replace("[countries]\n", "[countries]\nXX = []\n").replace("NL = []", 'NL = ["dutch"]')
    message = str(_bad(tmp_path, text))
    assert "$.countries.XX" in message and "$.countries.NL" in message and "dutch" in message


def test_missing_meta_and_a_legal_basis_reported_together(tmp_path: Path) -> None:
    text = re.sub(r"^licence = .*\n", "", _shipped(), count=1, flags=re.M)
    text = text.replace('legal_basis = "E.O. 14046; Ethiopia Sanctions Regulations, 31 CFR Part 550"\n', "")
    message = str(_bad(tmp_path, text))
    assert "$.meta.licence" in message and "$.programmes.ethiopia.legal_basis" in message


def test_missing_legal_basis_and_bad_as_of(tmp_path: Path) -> None:
    text = _shipped().replace(
        'legal_basis = "E.O. 14046; Ethiopia Sanctions Regulations, 31 CFR Part 550"\n', ""
    )
    text = re.sub(r"(\[programmes\.mali\][^\[]*?)as_of = 2025-07-01", r'\1as_of = "mid-2025"', text)
    message = str(_bad(tmp_path, text))
    assert "$.programmes.ethiopia.legal_basis" in message and "$.programmes.mali.as_of" in message


def test_missing_file_and_not_toml(tmp_path: Path) -> None:
    with pytest.raises(hrdd.PolicyError, match=r"nowhere\.toml"):
        load_programmes(tmp_path / "nowhere.toml")
    path = tmp_path / "broken.toml"
    path.write_text("[meta\nname=", encoding="utf-8")
    with pytest.raises(hrdd.PolicyError, match=r"broken\.toml"):
        load_programmes(path)


def test_bad_list_programme_reported_with_the_others(tmp_path: Path) -> None:
    text = _shipped().replace("[list_programmes.CYBER]\n", "[list_programmes.cyber]\n")
    text = text.replace("human_rights = false\nas_of", 'human_rights = "no"\nas_of')
    text = text.replace(
        'effect = "prohibited"\nas_of = 2025-07-01\n\n[programmes.iran]',
        'effect = "x"\nas_of = 2025-07-01\n\n[programmes.iran]',
    )
    message = str(_bad(tmp_path, text))
    assert "$.list_programmes.cyber: the key must be the OFAC programme tag in upper case" in message
    assert "$.list_programmes.cyber.human_rights: must be true or false" in message
    assert "$.programmes.cuba.effect" in message


def test_programme_tags_resolve_to_list_and_country_programmes() -> None:
    data = load_programmes(default_data_path())
    glomag = data.by_tag("glomag")
    assert glomag is not None and glomag.name == "Global Magnitsky Sanctions"
    russia = data.by_tag("RUSSIA-EO14024")
    assert russia is not None and "Russia" in russia.name
    assert data.by_tag("NO-SUCH-TAG") is None


# --------------------------------------------------------------------------------------
# Remembered answers
# --------------------------------------------------------------------------------------


def _with_end_user(document: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**document, "end_user": {**document["end_user"], **fields}}


DISTRIBUTOR = {"role": "distributor", "name": "Gate Trading", "country": "NL"}
SECOND_USER = {"name": "Second User", "country": "NL", "type": "private"}
HOLDING = {"name": "Holding Co", "relationship": "ownership", "country": "NL"}
UNPLACED_HOLDING = {"name": "Holding Co", "relationship": "ownership"}  # no country stated
DEALS = {
    "end_user.name": (transaction("RU"), _with_end_user(transaction("RU"), name="Another Buyer")),
    "end_user.country": (transaction("NL"), transaction("RU")),
    "end_user.type": (
        transaction("VE", end_user_type="private"),
        transaction("VE", end_user_type="government_agency"),
    ),
    "end_user.related_parties": (
        _with_end_user(transaction("NL"), related_parties=[HOLDING]),
        _with_end_user(transaction("NL"), related_parties=[{**HOLDING, "country": "RU"}]),
    ),
    "end_user.other_end_users": (
        transaction("NL", others=[SECOND_USER]),
        transaction("NL", others=[{**SECOND_USER, "country": "RU"}]),
    ),
    "parties": (
        transaction("NL", parties=[DISTRIBUTOR]),
        transaction("NL", parties=[{**DISTRIBUTOR, "country": "RU"}]),
    ),
    "date": (transaction("NL", date="2025-08-01"), transaction("NL", date="2027-08-01")),
    # A related party without a country is not checked (nor counted in the assurance).
    "end_user.related_parties[].country stated": (
        _with_end_user(
            transaction("NL"), related_parties=[{k: v for k, v in HOLDING.items() if k != "country"}]
        ),
        _with_end_user(transaction("NL"), related_parties=[HOLDING]),
    ),
    "parties[].related_parties": (
        transaction("NL", parties=[{**DISTRIBUTOR, "related_parties": [HOLDING]}]),
        transaction("NL", parties=[{**DISTRIBUTOR, "related_parties": [{**HOLDING, "country": "RU"}]}]),
    ),
    "parties[].related_parties[].country stated": (
        transaction("NL", parties=[{**DISTRIBUTOR, "related_parties": [UNPLACED_HOLDING]}]),
        transaction("NL", parties=[{**DISTRIBUTOR, "related_parties": [HOLDING]}]),
    ),
    # The same countries in other places: the assurance lists them by path.
    "the parties' places": (
        transaction("NL", others=[{**SECOND_USER, "country": "DE"}]),
        transaction("NL", parties=[{**DISTRIBUTOR, "country": "DE"}]),
    ),
}


@pytest.mark.parametrize("changed", list(DEALS))
def test_deals_differing_in_one_input_get_their_own_findings(tmp_path: Path, changed: str) -> None:
    """Two deals that differ only in one input the check reads, assessed by turns on one
    engine in either order, each get what an engine seeing it first reports."""
    deals = DEALS[changed]
    fresh = [_reported(_engine(tmp_path / f"fresh{n}"), deal) for n, deal in enumerate(deals)]
    assert fresh[0] != fresh[1], "the two deals must differ in what the check reports"
    for order in ((0, 1), (1, 0)):
        engine = _engine(tmp_path / f"order{order[0]}")
        for _ in range(2):
            for n in order:
                assert _reported(engine, deals[n]) == fresh[n]


def _engine(directory: Path) -> hrdd.Engine:
    directory.mkdir()
    return hrdd.Engine.from_policy(policy(directory))


def _reported(engine: hrdd.Engine, document: dict[str, Any]) -> list[dict[str, Any]]:
    return [finding.to_dict() for finding in san(engine, document)]


def test_the_assurance_and_the_age_are_shared_by_deals_in_the_same_countries_and_day(
    tmp_path: Path,
) -> None:
    """HRDD-SAN-005 names the countries, not the parties, and HRDD-SAN-006 the day, not the
    deal: deals of other customers through other distributors in the same countries, on the
    same day, get the very same findings (the engine reuses them), and a deal in other
    countries its own."""
    engine = _engine(tmp_path / "shared")
    first = transaction("NL", date="2027-08-01", parties=[DISTRIBUTOR])
    second = _with_end_user(
        transaction("NL", date="2027-08-01", parties=[{**DISTRIBUTOR, "name": "Other Trading"}]),
        name="Another Buyer",
        type="government_agency",
    )
    a, b = san(engine, first), san(engine, second)
    assert ids(a) == ["HRDD-SAN-005", "HRDD-SAN-006"]
    assert all(x is y for x, y in zip(a, b, strict=True))
    by_rule = {f.rule_id: f for f in a}
    assurance, age = by_rule["HRDD-SAN-005"], by_rule["HRDD-SAN-006"]
    assert "Buyer" not in assurance.message and "Trading" not in assurance.message
    elsewhere = {
        f.rule_id: f
        for f in san(engine, transaction("NL", date="2027-08-01", parties=[{**DISTRIBUTOR, "country": "DE"}]))
    }
    assert elsewhere["HRDD-SAN-005"] is not assurance and elsewhere["HRDD-SAN-006"] is age
    assert "in DE, NL:" in elsewhere["HRDD-SAN-005"].message
