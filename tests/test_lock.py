"""Lockfiles: `hrdd lock` pins the core, policy chain, plugins and data; a changed anything
refuses to assess, saying exactly what changed."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import hrdd
from hrdd import documents
from hrdd.cli import main
from hrdd.lock import LockMismatch, differences, read_lock, render
from hrdd.plugins import core_version

ROOT = Path(__file__).resolve().parents[1]
THERMAL = ROOT / "policies" / "examples" / "transactions" / "thermal-cameras-private-port.json"
CAPABILITY_DATA = ROOT / "plugins" / "hrdd-item-capability" / "data" / "capabilities.toml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    """A company policy with its own copy of a data file (so a test can change it)."""
    (tmp_path / "data").mkdir()
    shutil.copy(CAPABILITY_DATA, tmp_path / "data" / "capabilities.toml")
    path = tmp_path / "acme.toml"
    path.write_text(
        '[policy]\nname = "acme"\nversion = "2026.1"\nextends = "baseline"\n\n'
        '[plugins.hrdd-item-capability.config]\ndata = "data/capabilities.toml"\n',
        encoding="utf-8",
    )
    return path


def test_lock_pins_everything_and_is_reproducible(capsys: pytest.CaptureFixture[str], policy: Path) -> None:
    code, out, err = run(capsys, "lock", "--policy", str(policy))
    assert (code, err) == (0, "")
    lock = policy.with_suffix(".lock")
    assert f"wrote {lock}" in out
    data, _ = read_lock(lock)  # valid against schemas/lock.schema.json
    assert data["lock"]["core"] == core_version()
    assert [p["source"] for p in data["policy"]] == ["acme.toml", "builtin:baseline"]
    engine = hrdd.Engine.from_policy(policy, lock=False)
    assert {p["name"] for p in data["plugins"]} == {p.name for p in engine.plugins.plugins}
    assert all(len(p["sha256"]) == 64 and p["version"] for p in data["plugins"])
    own = [d for d in data["data"] if d["plugin"] == "hrdd-item-capability"]
    assert [(d["path"], d["name"]) for d in own] == [("capabilities.toml", "hrdd-item-capability-taxonomy")]
    assert (
        own[0]["sha256"]
        == hashlib.sha256((policy.parent / "data" / "capabilities.toml").read_bytes()).hexdigest()
    )
    first = lock.read_bytes()
    assert run(capsys, "lock", "--policy", str(policy))[0] == 0
    assert lock.read_bytes() == first  # same state, same bytes: no timestamp inside


def test_verify_passes_then_names_every_change(capsys: pytest.CaptureFixture[str], policy: Path) -> None:
    assert run(capsys, "lock", "--policy", str(policy))[0] == 0
    code, out, _ = run(capsys, "verify", "--policy", str(policy))
    assert code == 0 and "verified" in out
    # change the policy and a data file: both named, nothing assessed
    policy.write_text(policy.read_text(encoding="utf-8").replace('"2026.1"', '"2026.2"'), encoding="utf-8")
    data = policy.parent / "data" / "capabilities.toml"
    data.write_text(data.read_text(encoding="utf-8") + "\n# local edit\n", encoding="utf-8")
    code, out, err = run(capsys, "assess", str(THERMAL), "--policy", str(policy))
    assert code == 2 and out == ""
    assert "policy acme.toml sha256 differs" in err
    assert "capabilities.toml (hrdd-item-capability) sha256 differs" in err
    assert "run `hrdd lock` if the change is intended" in err and "Traceback" not in err
    code, _, err = run(capsys, "verify", "--policy", str(policy))
    assert code == 2 and "sha256 differs" in err


def test_version_and_plugin_set_differences_in_words() -> None:
    locked = {
        "lock": {"version": 1, "core": "0.1.0", "policy": "p"},
        "policy": [{"source": "p.toml", "sha256": "a" * 64}],
        "plugins": [
            {"name": "hrdd-screening", "version": "1.2.1", "sha256": "b" * 64, "source": "entry-point"},
            {"name": "hrdd-old", "version": "0.3.0", "sha256": "c" * 64, "source": "entry-point"},
        ],
        "data": [
            {
                "plugin": "hrdd-x",
                "name": "countries.csv",
                "version": "1",
                "sha256": "d" * 64,
                "path": "data/countries.csv",
            }
        ],
    }
    current = {
        "lock": {"version": 1, "core": "0.2.0", "policy": "p"},
        "policy": [{"source": "p.toml", "sha256": "a" * 64}],
        "plugins": [
            {"name": "hrdd-screening", "version": "1.3.0", "sha256": "e" * 64, "source": "entry-point"},
            {"name": "hrdd-new", "version": "1.0.0", "sha256": "f" * 64, "source": "path:ext.py"},
        ],
        "data": [
            {
                "plugin": "hrdd-x",
                "name": "countries.csv",
                "version": "1",
                "sha256": "0" * 64,
                "path": "data/countries.csv",
            }
        ],
    }
    assert differences(locked, current) == [
        "hrdd (core) 0.2.0 installed, 0.1.0 locked",
        "hrdd-new 1.0.0 is enabled but not in the lock",
        "hrdd-old 0.3.0 is locked but no longer enabled by the policy",
        "hrdd-screening 1.3.0 installed, 1.2.1 locked",
        "data/countries.csv (hrdd-x) sha256 differs (locked dddddddddddd, now 000000000000)",
    ]
    assert differences(locked, locked) == []
    # the rendered lock reads back as the same document
    assert documents.parse_toml(render(locked), "x") == locked


def test_plugin_files_changed_is_named(policy: Path) -> None:
    engine = hrdd.Engine.from_policy(policy, lock=False)
    from hrdd.lock import state_of

    state = state_of(engine, policy.parent)
    changed = json.loads(json.dumps(state))
    changed["plugins"][0]["sha256"] = "0" * 64
    [message] = differences(changed, state)
    assert message.startswith(
        f"{state['plugins'][0]['name']} {state['plugins'][0]['version']}: installed files differ"
    )


def test_no_lock_is_recorded_and_verified_lock_is_named(
    capsys: pytest.CaptureFixture[str], policy: Path
) -> None:
    code, out, _ = run(capsys, "assess", str(THERMAL), "--policy", str(policy))
    assert code == 0 and json.loads(out)["provenance"]["lock"] is None  # no lock beside it
    assert run(capsys, "lock", "--policy", str(policy))[0] == 0
    code, out, _ = run(capsys, "assess", str(THERMAL), "--policy", str(policy))
    lock = json.loads(out)["provenance"]["lock"]
    assert lock["status"] == "verified" and lock["path"].endswith("acme.lock") and len(lock["sha256"]) == 64
    code, out, _ = run(capsys, "assess", str(THERMAL), "--policy", str(policy), "--no-lock")
    assert json.loads(out)["provenance"]["lock"] == {"status": "skipped", "path": None, "sha256": None}


def test_builtin_policy_lock_needs_an_output_and_is_used_with_lock(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "lock")
    assert code == 2 and "give -o FILE" in err
    target = tmp_path / "baseline.lock"
    assert run(capsys, "lock", "-o", str(target))[0] == 0
    code, out, _ = run(capsys, "assess", str(THERMAL), "--lock", str(target))
    assert code == 0 and json.loads(out)["provenance"]["lock"]["status"] == "verified"
    code, _, err = run(capsys, "verify")
    assert code == 2 and "no lock to verify" in err


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("not = [toml", "invalid TOML"),
        ('[lock]\nversion = 1\ncore = "0.1.0"\npolicy = "x"\n', "$: 'policy' is required but missing"),
        ('[lock]\nversion = 2\ncore = "0.1.0"\npolicy = "x"\npolicy2 = 1\n', "$.lock"),
    ],
)
def test_malformed_lock_is_exit_2_with_file_and_path(
    capsys: pytest.CaptureFixture[str], policy: Path, content: str, words: str
) -> None:
    policy.with_suffix(".lock").write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "assess", str(THERMAL), "--policy", str(policy))
    assert code == 2 and out == ""
    assert "acme.lock" in err and words in err


def test_python_api_refuses_a_mismatched_lock(policy: Path) -> None:
    hrdd.Engine.from_policy(policy, lock=False)
    assert main(["lock", "--policy", str(policy)]) == 0
    hrdd.Engine.from_policy(policy)  # matches
    policy.write_text(policy.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(LockMismatch, match=r"acme\.toml sha256 differs"):
        hrdd.Engine.from_policy(policy)
