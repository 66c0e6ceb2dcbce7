"""hrdd replay: the same inputs under the same versions give the same decision, years later."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import hrdd
from hrdd.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "policies" / "examples" / "transactions"
DRONE = EXAMPLES / "drone-border-guard.json"
THERMAL = EXAMPLES / "thermal-cameras-private-port.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def stored(tmp_path: Path, document: dict[str, Any], policy: str | Path = "baseline", **kw: Any) -> Path:
    engine = hrdd.Engine.from_policy(policy)
    report = tmp_path / "report.json"
    report.write_text(engine.render(engine.assess(document, **kw), "json"), encoding="utf-8")
    return report


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_replay_of_an_unchanged_decision_is_the_same(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = stored(tmp_path, load(DRONE))
    code, out, err = run(capsys, "replay", str(report), str(DRONE))
    assert (code, err) == (0, "")
    assert "replay of TX-2026-0006" in out and ": the same." in out


def test_replay_of_another_transaction_lists_the_differences(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = stored(tmp_path, load(DRONE))
    code, out, _ = run(capsys, "replay", str(report), str(THERMAL))
    assert code == 1
    assert "  - input: sha256" in out and "finding no longer reported: HRDD-CAP-009" in out


def test_a_tampered_report_does_not_replay(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = stored(tmp_path, load(DRONE))
    data = load(report)
    original = data["decision"]
    data["decision"] = "proceed"
    dropped = data["findings"].pop(0)
    report.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run(capsys, "replay", str(report), str(DRONE))
    assert code == 1
    assert f"decision: {original} now, proceed stored" in out
    assert f"finding new in the replay: {dropped['rule_id']}" in out


def test_a_changed_policy_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "acme.toml"
    policy.write_text('[policy]\nname = "acme"\nversion = "1"\nextends = "baseline"\n', encoding="utf-8")
    report = stored(tmp_path, load(DRONE), policy)
    assert run(capsys, "replay", str(report), str(DRONE))[0] == 0  # the report names the policy file
    policy.write_text(
        policy.read_text(encoding="utf-8") + "\n[plugins.hrdd-item-capability.config]\nescalate_at = 5\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "replay", str(report), str(DRONE))
    assert code == 1 and "  - policy: acme 1 sha256" in out


def test_replay_uses_the_reports_date_not_today(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An undated transaction's data-age findings depend on the assessment date: a replay made
    years later still compares as of the stored report's date."""
    document = load(THERMAL)
    document.pop("date", None)
    far = dt.date(2031, 6, 1)
    report = stored(tmp_path, document, as_of=far)
    data = load(report)
    assert data["provenance"]["as_of"] == "2031-06-01"
    ages = {
        f["rule_id"] for f in data["findings"] if "data" in f["message"].lower() and "old" in f["message"]
    }
    assert ages, "assessed as of 2031, the shipped data must be reported as old"
    today = hrdd.Engine.from_policy("baseline").assess(document).to_dict()
    assert {f["rule_id"] for f in today["findings"]} != {f["rule_id"] for f in data["findings"]}
    tx = tmp_path / "tx.json"
    tx.write_text(json.dumps(document), encoding="utf-8")
    code, out, _ = run(capsys, "replay", str(report), str(tx))
    assert code == 0, out
    assert "as of 2031-06-01" in out


def test_two_engines_give_identical_reports_but_for_the_time() -> None:
    document = load(DRONE)
    first = hrdd.Engine.from_policy("baseline").assess(document).to_dict()
    second = hrdd.Engine.from_policy("baseline").assess(json.loads(json.dumps(document))).to_dict()
    for report in (first, second):
        report["provenance"].pop("assessed_at")
    assert first == second


def test_a_decision_log_record_replays_without_tx(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    document = load(DRONE)
    report = load(stored(tmp_path, document))
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"seq": 1, "report": report, "transaction": document}), encoding="utf-8")
    code, out, _ = run(capsys, "replay", str(record))
    assert code == 0 and ": the same." in out


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "report.json"),
        ('{"decision": "proceed"}', "is required but missing"),
        ("[1, 2]", "not an assessment report"),
    ],
)
def test_bad_report_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, words: str
) -> None:
    report = tmp_path / "report.json"
    report.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "replay", str(report), str(DRONE))
    assert code == 2 and out == "" and words in err and "Traceback" not in err


def test_report_without_transaction_needs_tx(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = stored(tmp_path, load(DRONE))
    code, _, err = run(capsys, "replay", str(report))
    assert code == 2 and "give the transaction document" in err


def test_a_policy_file_gone_since_asks_for_policy(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "acme.toml"
    policy.write_text('[policy]\nname = "acme"\nversion = "1"\nextends = "baseline"\n', encoding="utf-8")
    report = stored(tmp_path, load(DRONE), policy)
    policy.unlink()
    code, out, err = run(capsys, "replay", str(report), str(DRONE))
    assert code == 2 and out == ""
    assert "$.provenance.policy.source" in err and "give --policy" in err
