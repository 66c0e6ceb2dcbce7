"""hrdd-export-controls on realistic transactions: the decision and the rule ids behind it,
and the data files' validation."""

from __future__ import annotations

import datetime
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

import hrdd
from hrdd.memory import Memory

PLUGIN_DIR = Path(__file__).resolve().parents[1]
DATA = PLUGIN_DIR / "data"

POLICY = """
[policy]
name = "export-controls-test"
version = "1"

[plugins.hrdd-item-capability]
enforcement = "mandatory"

[plugins.hrdd-export-controls]
enforcement = "mandatory"
{config}
"""


def engine(tmp_path: Path, config: str = "") -> hrdd.Engine:
    path = tmp_path / "policy.toml"
    body = f"[plugins.hrdd-export-controls.config]\n{config}" if config else ""
    path.write_text(POLICY.format(config=body))
    return hrdd.Engine.from_policy(path)


def transaction(item: dict[str, Any], end_user: dict[str, Any]) -> dict[str, Any]:
    base_item = {"id": "item-1", "name": "Item", "description": "", "categories": [], "capabilities": []}
    base_user = {"name": "Acme Ltd", "country": "GB", "type": "private", "sector": "commercial",
                 "government_relationship": "none"}  # fmt: skip
    return {
        "id": "TX-EXP-1",
        "date": "2025-09-01",
        "items": [{**base_item, **item}],
        "end_user": {**base_user, **end_user},
    }


def mine(assessment: hrdd.Assessment) -> dict[str, hrdd.Finding]:
    return {f.rule_id: f for f in assessment.findings if f.plugin == "hrdd-export-controls"}


IP_SURVEILLANCE = {
    "name": "NetSight Carrier",
    "eccn": "5A001.j",
    "description": "Carrier-class IP monitoring",
}
INTRUSION = {"name": "RedBox C2", "eccn": "4A005", "description": "Command and control for penetration tests"}
FACE_SDK = {
    "name": "FaceFind SDK",
    "eccn": "EAR99",
    "description": "Face recognition SDK: matches faces in video against an enrolled gallery",
    "categories": ["facial_recognition"],
    "capabilities": ["biometric_identification"],
}
PUBLIC_SECURITY_CN = {"name": "Municipal Public Security Bureau", "country": "CN", "type": "government_agency",
                      "sector": "public_security"}  # fmt: skip


def test_ip_surveillance_to_china_requires_a_licence_without_ace(tmp_path: Path) -> None:
    # 5A001.j is NS1 and AT1 (no RS since the 2021 rule): NS1 has an X for China; a government
    # end user in D:1 gets no ACE
    result = engine(tmp_path).assess(transaction(IP_SURVEILLANCE, PUBLIC_SECURITY_CN))
    found = mine(result)
    assert result.decision == hrdd.Decision.ESCALATE
    assert "HRDD-EXP-001" in found and "HRDD-EXP-003" not in found
    message = found["HRDD-EXP-001"].message
    assert "RS1" not in message
    for words in (
        "5A001.j",
        "NS1",
        "China",
        "Country Chart",
        "to be confirmed by the licensing officer",
    ):
        assert words in message
    assert "ACE does not appear available" in message
    assert found["HRDD-EXP-001"].severity == hrdd.Severity.HIGH


def test_intrusion_item_to_the_uk_ace_appears_available(tmp_path: Path) -> None:
    result = engine(tmp_path).assess(
        transaction(INTRUSION, {"name": "Barclays Security Ops", "sector": "financial"})
    )
    found = mine(result)
    assert {"HRDD-EXP-001", "HRDD-EXP-003"} <= found.keys()
    assert found["HRDD-EXP-001"].outcome == hrdd.Outcome.ESCALATE
    assert found["HRDD-EXP-001"].severity == hrdd.Severity.MEDIUM
    ace = found["HRDD-EXP-003"]
    assert ace.outcome == hrdd.Outcome.INFO
    assert "appears available" in ace.message and "to be confirmed by the licensing officer" in ace.message
    assert "not a final determination" in ace.message


def test_intrusion_item_to_a_non_government_end_user_in_d1_only_for_favourable_sectors(
    tmp_path: Path,
) -> None:
    eng = engine(tmp_path)
    bank = eng.assess(
        transaction(INTRUSION, {"name": "Bank of Baku", "country": "AZ", "sector": "financial"})
    )
    trader = eng.assess(
        transaction(INTRUSION, {"name": "Baku Trading", "country": "AZ", "sector": "commercial"})
    )
    assert "HRDD-EXP-003" in mine(bank)
    assert "favourable-treatment" in mine(bank)["HRDD-EXP-003"].message
    assert "HRDD-EXP-003" not in mine(trader)
    assert "HRDD-EXP-001" in mine(trader)


def test_government_end_user_in_a6_d_country_gets_ace_for_5a001j_not_intrusion(tmp_path: Path) -> None:
    eng = engine(tmp_path)
    police = {
        "name": "Israel Police",
        "country": "IL",
        "type": "government_agency",
        "sector": "law_enforcement",
    }
    assert "HRDD-EXP-003" in mine(eng.assess(transaction(IP_SURVEILLANCE, police)))
    assert "HRDD-EXP-003" not in mine(eng.assess(transaction(INTRUSION, police)))


@pytest.mark.parametrize("country", ["CN", "DE", "BR", "AE"])
def test_mass_market_encryption_is_nlr_outside_at_destinations(tmp_path: Path, country: str) -> None:
    item = {"name": "SecureChat", "eccn": "5A992.c", "description": "Encrypted messaging app"}
    result = engine(tmp_path).assess(transaction(item, {"country": country}))
    found = mine(result)
    assert found["HRDD-EXP-002"].outcome == hrdd.Outcome.PASS
    assert "5A992" in found["HRDD-EXP-002"].message and "AT1" in found["HRDD-EXP-002"].message
    assert result.decision == hrdd.Decision.PROCEED


@pytest.mark.parametrize("country", ["IR", "KP", "CU", "RU"])
def test_mass_market_encryption_to_embargoed_destination_do_not_proceed(tmp_path: Path, country: str) -> None:
    item = {"name": "SecureChat", "eccn": "5A992.c", "description": "Encrypted messaging app"}
    result = engine(tmp_path).assess(transaction(item, {"country": country}))
    found = mine(result)
    assert found["HRDD-EXP-008"].outcome == hrdd.Outcome.DO_NOT_PROCEED
    assert "HRDD-EXP-002" not in found
    assert result.decision == hrdd.Decision.DO_NOT_PROCEED


def test_ear99_face_recognition_for_a_government_gets_classification_review(tmp_path: Path) -> None:
    ministry = {"name": "Ministry of Interior", "country": "EG", "type": "government_agency",
                "sector": "public_security"}  # fmt: skip
    found = mine(engine(tmp_path).assess(transaction(FACE_SDK, ministry)))
    assert found["HRDD-EXP-002"].outcome == hrdd.Outcome.PASS
    review = found["HRDD-EXP-007"]
    assert review.outcome == hrdd.Outcome.INFO
    assert "3A981" in review.message and "do not determine the classification" in review.message


def test_ear99_cell_site_simulator_escalates_for_review(tmp_path: Path) -> None:
    item = {"name": "StingBox", "eccn": "EAR99", "description": "IMSI catcher that intercepts calls",
            "categories": ["cell_site_simulator"], "capabilities": ["content_interception", "location_tracking"]}  # fmt: skip
    found = mine(engine(tmp_path).assess(transaction(item, {"country": "DE"})))
    assert found["HRDD-EXP-007"].outcome == hrdd.Outcome.ESCALATE
    assert "5A001.f.1" in found["HRDD-EXP-007"].message


def test_ecn_not_in_data_escalates_never_nlr(tmp_path: Path) -> None:
    item = {"name": "Gizmo", "eccn": "9A610.x", "description": "Aircraft part"}
    result = engine(tmp_path).assess(transaction(item, {"country": "FR"}))
    found = mine(result)
    assert found["HRDD-EXP-005"].outcome == hrdd.Outcome.ESCALATE
    assert "determine" in found["HRDD-EXP-005"].message and "HRDD-EXP-002" not in found
    assert result.decision == hrdd.Decision.ESCALATE


def test_missing_eccn_escalates_with_candidates(tmp_path: Path) -> None:
    item = {"name": "DPI Probe", "description": "Deep packet inspection probe",
            "categories": ["deep_packet_inspection"], "capabilities": ["content_interception"]}  # fmt: skip
    found = mine(engine(tmp_path).assess(transaction(item, {"country": "GB"})))
    assert found["HRDD-EXP-006"].outcome == hrdd.Outcome.ESCALATE
    assert "5A001.j" in found["HRDD-EXP-006"].message


def test_surreptitious_interception_needs_a_licence_even_to_canada(tmp_path: Path) -> None:
    item = {"name": "Bug-7", "eccn": "5A980", "description": "Covert audio bug"}
    found = mine(engine(tmp_path).assess(transaction(item, {"country": "CA"})))
    assert "SL" in found["HRDD-EXP-001"].message and "Canada included" in found["HRDD-EXP-001"].message


def test_crime_control_items_clear_for_nato_but_not_elsewhere(tmp_path: Path) -> None:
    item = {"name": "PrintID AFIS", "eccn": "3A981", "description": "Fingerprint identification system"}
    eng = engine(tmp_path)
    assert "HRDD-EXP-002" in mine(eng.assess(transaction(item, {"country": "NO"})))
    assert "CC1" in mine(eng.assess(transaction(item, {"country": "BR"})))["HRDD-EXP-001"].message


# The rows checked against the chart as rendered on 2026-06-20 (see the data's meta.verified)


@pytest.mark.parametrize(("country", "licence"), [("AT", False), ("AL", False), ("AM", True), ("BR", True)])
def test_crime_control_follows_the_checked_rows(tmp_path: Path, country: str, licence: bool) -> None:
    # CC1 is blank for Austria (not NATO) and Albania, marked for Armenia and Brazil
    item = {"name": "PrintID AFIS", "eccn": "3A981", "description": "Fingerprint identification system"}
    found = mine(engine(tmp_path).assess(transaction(item, {"country": country})))
    assert ("HRDD-EXP-001" in found) is licence
    assert ("HRDD-EXP-002" in found) is not licence


def test_australia_nlr_says_the_chart_footnote_is_to_be_confirmed(tmp_path: Path) -> None:
    found = mine(engine(tmp_path).assess(transaction(INTRUSION, {"country": "AU"})))
    nlr = found["HRDD-EXP-002"]
    assert nlr.outcome == hrdd.Outcome.PASS and "HRDD-EXP-001" not in found
    assert "footnote" in nlr.message and "confirms NLR" in nlr.message


def test_aruba_has_its_own_chart_row(tmp_path: Path) -> None:
    item = {"name": "PrintID AFIS", "eccn": "3A981", "description": "Fingerprint identification system"}
    found = mine(engine(tmp_path).assess(transaction(item, {"country": "AW"})))
    assert "CC1" in found["HRDD-EXP-001"].message and "follows" not in found["HRDD-EXP-001"].message


def test_restraint_devices_are_not_in_the_data(tmp_path: Path) -> None:
    # 0A982 is a 742.7(a)(3) control (all destinations but Canada), outside the chart: determine manually
    item = {"name": "Leg irons", "eccn": "0A982", "description": "Restraint devices"}
    found = mine(engine(tmp_path).assess(transaction(item, {"country": "NO"})))
    assert found["HRDD-EXP-005"].outcome == hrdd.Outcome.ESCALATE and "HRDD-EXP-002" not in found


def test_remote_viewing_alone_does_not_escalate_a_cctv_camera_but_covert_use_does(tmp_path: Path) -> None:
    cctv = {"name": "Dome camera", "eccn": "EAR99", "description": "Overt dome camera, remote viewing",
            "categories": ["remote_recording_device"], "capabilities": ["audio_video_recording", "remote_access"]}  # fmt: skip
    covert = {
        **cctv,
        "name": "Pinhole recorder",
        "capabilities": ["audio_video_recording", "covert_operation"],
    }
    police = {"name": "Police", "country": "BR", "type": "government_agency", "sector": "law_enforcement"}
    eng = engine(tmp_path)
    overt_review = mine(eng.assess(transaction(cctv, police)))["HRDD-EXP-007"]
    covert_review = mine(eng.assess(transaction(covert, police)))["HRDD-EXP-007"]
    assert overt_review.outcome == hrdd.Outcome.INFO and "5A980" in overt_review.message
    assert covert_review.outcome == hrdd.Outcome.ESCALATE and "5A980" in covert_review.message


def test_data_states_what_was_checked() -> None:
    for name in ("eccns.toml", "country_chart.toml"):
        meta = tomllib.loads((DATA / name).read_text())["meta"]
        assert meta["verified"].startswith("Checked on ") and meta["unverified"], name


def test_encryption_item_enc_appears_available(tmp_path: Path) -> None:
    item = {"name": "VPN Gateway", "eccn": "5A002.a", "description": "Encrypting VPN gateway"}
    found = mine(engine(tmp_path).assess(transaction(item, {"country": "DE"})))
    assert {"HRDD-EXP-001", "HRDD-EXP-004"} <= found.keys()
    assert "ENC" in found["HRDD-EXP-004"].message and "appears available" in found["HRDD-EXP-004"].message


def test_territory_follows_its_sovereign(tmp_path: Path) -> None:
    found = mine(engine(tmp_path).assess(transaction(INTRUSION, {"country": "GI"})))
    assert found["HRDD-EXP-001"].evidence  # determined, with GB's row
    assert "follows GB" in found["HRDD-EXP-001"].message


def test_non_chart_place_escalates(tmp_path: Path) -> None:
    found = mine(engine(tmp_path).assess(transaction(INTRUSION, {"country": "AQ"})))
    assert found["HRDD-EXP-009"].outcome == hrdd.Outcome.ESCALATE


def test_old_data_gives_info(tmp_path: Path) -> None:
    doc = transaction(INTRUSION, {})
    doc["date"] = "2027-01-01"
    found = mine(engine(tmp_path, "max_age_days = 100\n").assess(doc))
    assert found["HRDD-EXP-010"].outcome == hrdd.Outcome.INFO
    assert re.search(r"\d+ days old", found["HRDD-EXP-010"].message)


def test_provenance_names_both_files(tmp_path: Path) -> None:
    result = engine(tmp_path).assess(transaction(INTRUSION, {}))
    names = {d.name for d in result.provenance.data}
    assert {"hrdd-export-controls ECCNs", "hrdd-export-controls country chart"} <= names


# --------------------------------------------------------------------------------------
# Bad data files: PolicyError naming file and path, all problems together
# --------------------------------------------------------------------------------------


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    eccns, chart = tmp_path / "eccns.toml", tmp_path / "chart.toml"
    shutil.copy(DATA / "eccns.toml", eccns)
    shutil.copy(DATA / "country_chart.toml", chart)
    return eccns, chart


def _config(eccns: Path, chart: Path) -> str:
    return f'eccns = "{eccns.name}"\ncountry_chart = "{chart.name}"\n'


def _problems(tmp_path: Path, eccns: Path, chart: Path) -> str:
    with pytest.raises(hrdd.PolicyError) as raised:
        engine(tmp_path, _config(eccns, chart))
    return str(raised.value)


def test_team_files_load(tmp_path: Path) -> None:
    eccns, chart = _copy(tmp_path)
    assert engine(tmp_path, _config(eccns, chart))


def test_missing_country_and_bad_column_reported_together(tmp_path: Path) -> None:
    eccns, chart = _copy(tmp_path)
    text = chart.read_text()
    text = re.sub(r"\[countries\.FR\]\n(?:[^\[].*\n|\n)*", "", text)
    text = text.replace(
        '[countries.CN]\nname = "China"\ncolumns = ["NS1"', '[countries.CN]\nname = "China"\ncolumns = ["XX9"'
    )
    chart.write_text(text)
    message = _problems(tmp_path, eccns, chart)
    assert "chart.toml" in message and "$.countries.FR" in message and "$.countries.CN.columns[0]" in message


def test_unknown_reason_and_bad_eccn_key(tmp_path: Path) -> None:
    eccns, chart = _copy(tmp_path)
    text = eccns.read_text().replace('reasons = ["NS1", "AT1"]\nace = true\nace_a6_government = true',
                                     'reasons = ["NS1", "ZZ"]\nace = true\nace_a6_government = true', 1)  # fmt: skip
    text += '\n[eccns."bogus"]\ntitle = "x"\nreasons = ["NS1"]\n'
    eccns.write_text(text)
    message = _problems(tmp_path, eccns, chart)
    assert (
        "eccns.toml" in message and '$.eccns."5A001.j".reasons[1]' in message and '$.eccns."bogus"' in message
    )


def test_missing_meta_and_missing_file(tmp_path: Path) -> None:
    eccns, chart = _copy(tmp_path)
    eccns.write_text(re.sub(r"\[meta\]\n(?:[^\[].*\n|\n)*", "", eccns.read_text(), count=1))
    assert "$.meta" in _problems(tmp_path, eccns, chart)
    with pytest.raises(hrdd.PolicyError):
        engine(tmp_path, _config(tmp_path / "nope.toml", chart))


# --------------------------------------------------------------------------------------
# Remembered findings
# --------------------------------------------------------------------------------------

MASS_MARKET = {"name": "Crypto Router", "eccn": "5A992.c", "description": "VPN router"}
REMEMBERED_CASES = [
    (IP_SURVEILLANCE, {"country": "DE"}),
    (MASS_MARKET, {"country": "DE"}),
    ({**MASS_MARKET, "name": "Crypto Router Pro"}, {"country": "DE"}),  # the name is in the message
    (MASS_MARKET, {"country": "FR"}),
    (FACE_SDK, {}),
    ({**MASS_MARKET, "eccn": "5A992"}, {"country": "DE"}),  # the same entry; the ECCN as given is evidence
    (FACE_SDK, PUBLIC_SECURITY_CN),
    (INTRUSION, {}),
    # the licence exceptions weigh the end user: its type, relationship and sector, and its name
    (INTRUSION, {"country": "CN"}),
    (INTRUSION, {"country": "CN", "sector": "health"}),
    (INTRUSION, {"country": "CN", "name": "Other Ltd", "sector": "health"}),
    (INTRUSION, {"country": "CN", "type": "government_agency"}),
    (INTRUSION, {"country": "CN", "government_relationship": "contractor"}),
    (IP_SURVEILLANCE, {"country": "IN", "type": "government_agency"}),
    (IP_SURVEILLANCE, {"country": "IN"}),
    # destinations: domestic, embargoed (EAR99 and listed items), not on the chart
    (MASS_MARKET, {"country": "US"}),
    (FACE_SDK, {"country": "US"}),
    (MASS_MARKET, {"country": "IR"}),
    (FACE_SDK, {"country": "IR"}),
    (FACE_SDK, {"country": "RU"}),
    (MASS_MARKET, {"country": "RU"}),
    (INTRUSION, {"country": "AQ"}),
    ({"name": "Gizmo", "eccn": "9A610.x"}, {"country": "FR"}),  # not in the data
    (
        {
            "name": "DPI Probe",
            "description": "Deep packet inspection probe",
            "categories": ["deep_packet_inspection"],
        },
        {"country": "DE"},
    ),
    # the classification review weighs the profile (capabilities and misuse potential)
    ({**FACE_SDK, "design_safeguards": ["audit_logging", "role_based_access", "volume_limits"]}, {}),
    ({**FACE_SDK, "categories": [], "capabilities": []}, {}),
    ({**FACE_SDK, "capabilities": ["biometric_identification", "remote_access"]}, {}),  # the same potential
    # the same capabilities and potential, from another category (the review names it, or not)
    ({**FACE_SDK, "capabilities": ["biometric_identification", "indexing_and_search"]}, {}),
    (
        {
            **FACE_SDK,
            "capabilities": ["biometric_identification", "indexing_and_search"],
            "categories": ["gait_analysis"],
        },
        {},
    ),
]


class Forgetful(Memory[Any, Any]):
    """A memory that never finds anything: the plugin then builds everything afresh."""

    def get(self, key: Any, default: Any = None) -> Any:
        return default


def forgetful(engine: hrdd.Engine) -> hrdd.Engine:
    """The engine, with the memories of this plugin's state forgetful: what the plugin reports
    when it remembers nothing."""
    state = engine.plugins.by_name["hrdd-export-controls"].state
    for name in type(state).__slots__:
        if isinstance(getattr(state, name), Memory):
            setattr(state, name, Forgetful())
    return engine


def _report(assessment: hrdd.Assessment) -> list[dict[str, Any]]:
    return [f.to_dict() for f in assessment.findings if f.plugin == "hrdd-export-controls"]


@pytest.mark.parametrize("size", [3, None], ids=["memories-of-3", "memories-as-shipped"])
def test_remembered_findings_are_those_built_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int | None
) -> None:
    """Answers and findings are built once per key (everything their builder reads) and handed
    out again; a memory bounded to a few entries is emptied and refilled, and every report is
    still what the plugin writes when it remembers nothing. Each case comes dated and undated,
    assessed on days that are some deals' dates (the data's age is measured against the
    transaction date or today, and the message says which)."""
    from hrdd_export_controls import plugin

    if size is not None:
        for bound in ("MEMORY_SIZE", "ANSWERS_SIZE", "ROUTES_SIZE", "AGES_SIZE"):
            monkeypatch.setattr(plugin, bound, size)
    documents = []
    for index, (item, end_user) in enumerate(REMEMBERED_CASES):
        for dated in (True, False):
            document = transaction(item, end_user)
            document["items"].append({**document["items"][0], "id": "item-2"})  # items[1]: another path
            if dated:
                document["date"] = f"2027-0{3 + index % 2}-01"
            else:
                del document["date"]
            document["id"] = f"TX-{index}-{dated}"
            documents.append(document)
    shared = engine(tmp_path, "max_age_days = 100\n")
    state = shared.plugins.by_name["hrdd-export-controls"].state
    reference = forgetful(engine(tmp_path, "max_age_days = 100\n"))
    for index, document in enumerate([*documents, *reversed(documents), *documents]):
        as_of = datetime.date(2027, 3 + index % 2, 1)
        assert _report(shared.assess(document, as_of=as_of)) == _report(
            reference.assess(document, as_of=as_of)
        )
        assert len(state.answers) <= plugin.ANSWERS_SIZE and len(state.findings) <= plugin.MEMORY_SIZE
        assert len(state.routes) <= plugin.ROUTES_SIZE and len(state.ages) <= plugin.AGES_SIZE
    assert state.answers and state.findings and state.routes and state.ages  # they were used


def test_what_the_answer_does_not_read_is_no_part_of_its_key(tmp_path: Path) -> None:
    """A determination that reads nothing of the end user (no licence required) is the very
    same for every customer in the destination; one that does (a licence requirement, whose
    exceptions weigh the end user and whose message names it) is each customer's own."""
    shared = engine(tmp_path)
    mass_market = {"name": "SecureChat", "eccn": "5A992.c", "description": "Encrypted messaging app"}
    first, second = (
        mine(shared.assess(transaction(mass_market, {"name": name, "country": "DE", "type": kind})))
        for name, kind in (("Acme Ltd", "private"), ("Bundespolizei", "government_agency"))
    )
    assert first["HRDD-EXP-002"] is second["HRDD-EXP-002"]
    acme, other = (
        mine(shared.assess(transaction(INTRUSION, {"name": name, "country": "CN"})))
        for name in ("Acme Ltd", "Other Ltd")
    )
    assert "Acme Ltd" in acme["HRDD-EXP-001"].message and "Other Ltd" in other["HRDD-EXP-001"].message
    government = mine(
        shared.assess(
            transaction(INTRUSION, {"name": "Acme Ltd", "country": "CN", "type": "government_agency"})
        )
    )
    assert "counts as a government end user" in government["HRDD-EXP-001"].message
    assert "counts as a government end user" not in acme["HRDD-EXP-001"].message


def test_a_repeated_deal_gets_the_very_same_findings(tmp_path: Path) -> None:
    shared = engine(tmp_path)
    first, second = (
        shared.assess({**transaction({**INTRUSION, "quantity": n}, {"country": "CN"}), "id": f"TX-{n}"})
        for n in (1, 2)
    )
    assert {f.rule_id for f in first.findings if f.plugin == "hrdd-export-controls"} == {"HRDD-EXP-001"}
    assert _report(first) == _report(second)
    mine_first = [f for f in first.findings if f.plugin == "hrdd-export-controls"]
    mine_second = [f for f in second.findings if f.plugin == "hrdd-export-controls"]
    assert all(a is b for a, b in zip(mine_first, mine_second, strict=True))
