"""Waivers: scoped, approved, dated; never for a hard rule; waived findings stay on record."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hrdd
from hrdd.cli import main

ROOT = Path(__file__).resolve().parents[1]
TRAFFIC = ROOT / "policies" / "examples" / "transactions" / "traffic-cameras-face-matching.json"
AS_OF = dt.date(2026, 11, 28)


def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TRAFFIC.read_text(encoding="utf-8"))
    return data


def waiver(**fields: Any) -> str:
    row = {
        "id": "W-1",
        "rule": "HRDD-CAP-003",
        "scope": {"transaction": "TX-2026-0002"},
        "justification": "Reviewed by the board on 2026-10-30, minutes 2026/41.",
        "approver": "A. Jansen, Head of Export Compliance",
        "granted": "2026-11-01",
        "expires": "2027-04-30",
    }
    row.update(fields)
    lines = ["[[waivers]]"]
    for key, value in row.items():
        if key == "scope":
            inner = ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items())
            lines.append(f"scope = {{ {inner} }}")
        elif key in ("granted", "expires") and isinstance(value, str) and value[:1].isdigit():
            lines.append(f"{key} = {value}")
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def engine_with(tmp_path: Path, *waivers: str, files: int = 1) -> hrdd.Engine:
    names = []
    for number in range(files):
        name = f"waivers/{number}.toml"
        (tmp_path / "waivers").mkdir(exist_ok=True)
        chunk = waivers[number::files]
        (tmp_path / name).write_text("\n".join(chunk), encoding="utf-8")
        names.append(name)
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[policy]\nname = "waiving"\nversion = "1"\n'
        f"waivers = {json.dumps(names)}\n\n"
        '[plugins.hrdd-item-capability]\nenforcement = "mandatory"\n\n'
        '[plugins.hrdd-sanctions-programs]\nenforcement = "hard"\n',
        encoding="utf-8",
    )
    return hrdd.Engine.from_policy(policy)


def rules(findings: Any) -> list[tuple[str, str | None]]:
    return [(f.rule_id, f.subject) for f in findings]


def test_waived_finding_leaves_the_decision_but_stays_on_record(tmp_path: Path) -> None:
    plain = engine_with(tmp_path).assess(document(), as_of=AS_OF)
    assert plain.decision is hrdd.Decision.DO_NOT_PROCEED
    assert ("HRDD-CAP-003", "items[0]") in rules(plain.findings)
    waived = engine_with(tmp_path, waiver()).assess(document(), as_of=AS_OF)
    assert ("HRDD-CAP-003", "items[0]") not in rules(waived.findings)
    [record] = waived.waived
    assert record.rule_id == "HRDD-CAP-003" and record.waiver is not None
    assert record.waiver["id"] == "W-1" and record.waiver["approver"].startswith("A. Jansen")
    assert waived.decision is not hrdd.Decision.DO_NOT_PROCEED
    report = waived.to_dict()
    assert report["waived"][0]["waiver"]["expires"] == "2027-04-30"
    text = waived.to_dict()  # the JSON report validates against the published schema
    hrdd.documents.validator("report").validate(text, "report")


def test_item_scope_waives_only_that_item(tmp_path: Path) -> None:
    plain = engine_with(tmp_path).assess(document(), as_of=AS_OF)
    cap9 = [f.subject for f in plain.findings if f.rule_id == "HRDD-CAP-009"]
    assert sorted(cap9) == ["items[0]", "items[1]"]
    assessed = engine_with(tmp_path, waiver(rule="HRDD-CAP-009", scope={"item": "NVS-VMS-ENT"})).assess(
        document(), as_of=AS_OF
    )
    assert [f.subject for f in assessed.waived] == ["items[1]"]
    assert [f.subject for f in assessed.findings if f.rule_id == "HRDD-CAP-009"] == ["items[0]"]


@pytest.mark.parametrize(
    ("granted", "expires", "words"),
    [
        ("2025-01-01", "2025-12-31", "expired on 2025-12-31"),
        ("2026-12-01", "2027-01-31", "not in force before 2026-12-01"),
    ],
)
def test_waiver_out_of_its_dates_does_nothing_and_says_so(
    tmp_path: Path, granted: str, expires: str, words: str
) -> None:
    assessed = engine_with(tmp_path, waiver(granted=granted, expires=expires)).assess(document(), as_of=AS_OF)
    assert not assessed.waived and assessed.decision is hrdd.Decision.DO_NOT_PROCEED
    [note] = [f for f in assessed.findings if f.rule_id == "HRDD-CORE-005"]
    assert words in note.message and "W-1" in note.message and note.subject == "items[0]"
    # the same waiver, assessed as of a day inside its dates, applies: the date decides
    inside = dt.date.fromisoformat(granted) + dt.timedelta(days=1)
    assert (
        engine_with(tmp_path, waiver(granted=granted, expires=expires))
        .assess(document(), as_of=inside)
        .waived
    )


def test_waiver_for_a_hard_rule_never_applies(tmp_path: Path) -> None:
    cuba = document()
    cuba["end_user"]["country"] = "CU"
    engine = engine_with(tmp_path, waiver(rule="HRDD-SAN-001", scope={"country": "CU"}))
    assessed = engine.assess(cuba, as_of=AS_OF)
    assert "HRDD-SAN-001" in assessed.rule_ids and not assessed.waived
    [note] = [f for f in assessed.findings if f.rule_id == "HRDD-CORE-006"]
    assert "enforced hard" in note.message
    assert assessed.decision is hrdd.Decision.DO_NOT_PROCEED


def test_near_miss_is_reported_and_another_deal_is_not(tmp_path: Path) -> None:
    near = waiver(scope={"transaction": "TX-2026-0002", "item": "NO-SUCH-ITEM"})
    other = waiver(id="W-2", scope={"transaction": "TX-1999-0001"})
    assessed = engine_with(tmp_path, near, other).assess(document(), as_of=AS_OF)
    notes = [f for f in assessed.findings if f.rule_id == "HRDD-CORE-007"]
    assert len(notes) == 1 and "W-1" in notes[0].message
    assert "matches this transaction's transaction but not its item" in notes[0].message
    assert not assessed.waived


def test_end_user_scope_ignores_case_and_spacing(tmp_path: Path) -> None:
    name = "  lanshui city public security bureau,   traffic police detachment "
    assessed = engine_with(tmp_path, waiver(scope={"end_user": name, "country": "CN"})).assess(
        document(), as_of=AS_OF
    )
    assert [f.rule_id for f in assessed.waived] == ["HRDD-CAP-003"]


def test_text_report_shows_waived_findings_with_their_waiver(tmp_path: Path) -> None:
    engine = engine_with(tmp_path, waiver())
    text = engine.render(engine.assess(document(), as_of=AS_OF), "text")
    assert "1 finding(s) waived" in text.splitlines()[1]
    assert "Waived (1; set aside from the decision, kept on record):" in text
    assert "waived by W-1 (0.toml), approved by A. Jansen" in text


def test_every_problem_of_every_waiver_file_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = [
        waiver(id="W-1", rule="HRDD-NOPE-001"),
        waiver(id="W-1", expires="2026-01-01"),
        waiver(id="W-3", scope={}),
        waiver(id="W-4", justification="short"),
    ]
    with pytest.raises(hrdd.PolicyError) as info:
        engine_with(tmp_path, *bad, files=2)
    message = str(info.value)
    assert (
        "0.toml: $.waivers[0].rule: HRDD-NOPE-001 is not a rule of any plugin this policy enables" in message
    )
    assert "1.toml: $.waivers[0].expires: 2026-01-01 is before granted 2026-11-01" in message
    assert "duplicate waiver id 'W-1'" in message
    assert "0.toml: $.waivers[1].scope" in message and "1.toml: $.waivers[1].justification" in message
    code = main(["assess", str(TRAFFIC), "--policy", str(tmp_path / "policy.toml")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "$.waivers[0].rule" in err


def test_missing_waiver_file_and_bad_toml(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text(
        '[policy]\nname = "w"\nversion = "1"\nwaivers = ["gone.toml", "bad.toml"]\n\n'
        '[plugins.hrdd-item-capability]\nenforcement = "mandatory"\n',
        encoding="utf-8",
    )
    (tmp_path / "bad.toml").write_text("[[waivers]\n", encoding="utf-8")
    with pytest.raises(hrdd.PolicyError) as info:
        hrdd.Engine.from_policy(tmp_path / "policy.toml")
    message = str(info.value)
    assert "gone.toml: $: no such waiver file" in message and "bad.toml: $: invalid TOML" in message


def test_waivers_add_up_along_the_extends_chain(tmp_path: Path) -> None:
    engine_with(tmp_path, waiver())  # writes policy.toml and waivers/0.toml
    child = tmp_path / "child" / "child.toml"
    child.parent.mkdir()
    (child.parent / "more.toml").write_text(
        waiver(id="W-9", rule="HRDD-CAP-009", scope={"item": "NVS-VMS-ENT"}), encoding="utf-8"
    )
    child.write_text(
        '[policy]\nname = "child"\nversion = "1"\nextends = "../policy.toml"\nwaivers = ["more.toml"]\n',
        encoding="utf-8",
    )
    assessed = hrdd.Engine.from_policy(child).assess(document(), as_of=AS_OF)
    assert sorted(f.waiver["id"] for f in assessed.waived if f.waiver) == ["W-1", "W-9"]


@settings(max_examples=40, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "transaction": st.sampled_from(["TX-2026-0002", "TX-X"]),
            "country": st.sampled_from(["CN", "DE"]),
            "item": st.sampled_from(["NVS-TRF-880", "NVS-VMS-ENT", "X"]),
            "end_user": st.sampled_from(
                ["Lanshui City Public Security Bureau, Traffic Police Detachment", "Other"]
            ),
        },
    ).filter(bool),
    st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
)
def test_a_waiver_applies_exactly_when_every_scope_key_and_the_date_match(
    scope: dict[str, str], as_of: dt.date
) -> None:
    from hrdd.waivers import Verdict, Waiver, verdict

    engine = hrdd.Engine.from_policy(
        ROOT / "plugins" / "hrdd-item-capability" / "tests" / "capability-only.toml"
    )
    transaction = engine.validate(copy.deepcopy(document()))
    finding = next(f for f in engine.assess(document(), as_of=AS_OF).findings if f.rule_id == "HRDD-CAP-009")
    w = Waiver("W", "HRDD-CAP-009", scope, "justified", "me", dt.date(2026, 11, 1), dt.date(2027, 4, 30), "f")
    expected_scope = (
        scope.get("transaction", "TX-2026-0002") == "TX-2026-0002"
        and scope.get("country", "CN") == "CN"
        and scope.get("item", "NVS-TRF-880" if finding.subject == "items[0]" else "NVS-VMS-ENT")
        == ("NVS-TRF-880" if finding.subject == "items[0]" else "NVS-VMS-ENT")
        and scope.get(
            "end_user", "Lanshui City Public Security Bureau, Traffic Police Detachment"
        ).startswith("Lanshui")
    )
    in_dates = dt.date(2026, 11, 1) <= as_of <= dt.date(2027, 4, 30)
    assert (verdict(w, finding, transaction, as_of) is Verdict.APPLIES) == (expected_scope and in_dates)
