"""The ``hrdd`` command line: what a user or a calling system sees (output, stderr, exit code).

Most tests run ``hrdd.cli.main`` in-process; each command is also run once through the
installed console script, as a compliance platform would call it.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from hrdd.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "policies" / "examples" / "transactions"
# The decisions once a screening list is named (SCREENED); the baseline alone names none and
# escalates every deal with HRDD-SCR-005.
THERMAL = EXAMPLES_DIR / "thermal-cameras-private-port.json"  # proceed
DRONE = EXAMPLES_DIR / "drone-border-guard.json"  # escalate
TRAFFIC = EXAMPLES_DIR / "traffic-cameras-face-matching.json"  # do_not_proceed
SCREENED = str(ROOT / "tests" / "scenarios" / "policy.toml")  # the baseline with a fixture list
CAP = "hrdd-item-capability"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def hrdd_script() -> str:
    """The console script installed beside the interpreter running the tests."""
    found = shutil.which("hrdd", path=str(Path(sys.executable).parent)) or shutil.which("hrdd")
    assert found, "the hrdd console script is not installed"
    return found


def run_script(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [hrdd_script(), *argv], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def assert_bad_input(code: int, out: str, err: str) -> list[str]:
    """Exit 2, nothing on stdout, readable lines on stderr, no traceback."""
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines and all(line.startswith("hrdd: ") for line in lines), err
    return lines


# --------------------------------------------------------------------------------------
# assess
# --------------------------------------------------------------------------------------


def test_assess_prints_the_json_report(capsys, report_validator):
    code, out, err = run(capsys, "assess", str(TRAFFIC))
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["transaction_id"] == "TX-2026-0002"
    assert report["decision"] == "do_not_proceed"
    assert "HRDD-CAP-003" in {f["rule_id"] for f in report["findings"]}
    assert list(report_validator.iter_errors(report)) == []


@pytest.mark.parametrize(
    ("path", "headline"),
    [
        (THERMAL, "TX-2026-0005: PROCEED"),
        (DRONE, "TX-2026-0006: ESCALATE"),
        (TRAFFIC, "TX-2026-0002: DO NOT PROCEED"),
    ],
    ids=["proceed", "escalate", "do_not_proceed"],
)
def test_assess_text_starts_with_the_id_and_the_decision(capsys, path, headline):
    code, out, err = run(capsys, "assess", str(path), "--format", "text", "--policy", SCREENED)
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith(headline)


def test_without_a_screening_list_the_default_policy_escalates_and_says_how_to_name_one(capsys):
    code, out, err = run(capsys, "assess", str(THERMAL), "--format", "text", "--fail-on", "escalate")
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0].startswith("TX-2026-0005: ESCALATE")
    assert "HRDD-SCR-005" in out
    could_not_run = lines.index("Checks that could not run (the decision cannot be better than escalate):")
    unscreened = lines[could_not_run + 1]
    assert "No screening list is configured" in unscreened
    assert "[plugins.hrdd-screening.config] lists" in unscreened


def test_text_report_shows_findings_checks_and_provenance(capsys):
    code, out, _ = run(capsys, "assess", str(TRAFFIC), "-f", "text")
    assert code == 0
    assert "HRDD-CAP-003" in out
    assert "Checks that ran" in out
    assert f"plugin {CAP} {metadata.version(CAP)}" in out
    assert "policy baseline" in out


def test_assess_reads_toml(capsys):
    code, out, _ = run(capsys, "assess", str(EXAMPLES_DIR / "face-access-control-bank.toml"))
    assert code == 0
    assert json.loads(out)["transaction_id"] == "TX-2026-0007"


def test_output_file_receives_the_report(capsys, tmp_path):
    target = tmp_path / "report.json"
    code, out, err = run(capsys, "assess", str(DRONE), "-o", str(target))
    assert (code, out, err) == (0, "", "")
    assert json.loads(target.read_text(encoding="utf-8"))["decision"] == "escalate"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def test_output_file_is_replaced_not_appended(capsys, tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("stale report\n" * 1000, encoding="utf-8")
    assert run(capsys, "assess", str(THERMAL), "-f", "text", "-o", str(target), "--policy", SCREENED)[0] == 0
    assert target.read_text(encoding="utf-8").startswith("TX-2026-0005: PROCEED")
    assert "stale report" not in target.read_text(encoding="utf-8")


def test_output_into_a_missing_directory_is_bad_input(capsys, tmp_path):
    target = tmp_path / "no-such-dir" / "report.json"
    code, _, err = run(capsys, "assess", str(THERMAL), "-o", str(target))
    assert code == 2
    assert "internal error" not in err
    assert str(target) in err


@pytest.mark.parametrize(
    ("path", "fail_on", "expected"),
    [
        (DRONE, "escalate", 1),
        (TRAFFIC, "escalate", 1),
        (THERMAL, "escalate", 0),
        (TRAFFIC, "do_not_proceed", 1),
        (DRONE, "do_not_proceed", 0),
    ],
    ids=["escalate>=escalate", "refuse>=escalate", "proceed<escalate", "refuse>=refuse", "escalate<refuse"],
)
def test_fail_on_threshold(capsys, path, fail_on, expected):
    code, out, err = run(capsys, "assess", str(path), "--fail-on", fail_on, "--policy", SCREENED)
    assert code == expected
    assert err == ""
    assert json.loads(out)["transaction_id"]  # the report is written either way


def test_unknown_format_names_the_available_formats(capsys):
    code, out, err = run(capsys, "assess", str(THERMAL), "--format", "nonsense")
    [line] = assert_bad_input(code, out, err)
    assert "'nonsense'" in line
    assert "json" in line and "text" in line


def test_invalid_json_names_file_and_line(capsys, tmp_path):
    path = tmp_path / "tx.json"
    path.write_text('{\n  "id": "TX-1",\n  "items": [,]\n}\n', encoding="utf-8")
    code, out, err = run(capsys, "assess", str(path))
    [line] = assert_bad_input(code, out, err)
    assert str(path) in line
    assert "line 3" in line


def test_deeply_nested_toml_is_bad_input(capsys, tmp_path):
    path = tmp_path / "tx.toml"
    path.write_text('id = "TX-1"\nnotes = ' + "[" * 500 + "]" * 500 + "\n", encoding="utf-8")
    code, out, err = run(capsys, "assess", str(path))
    [line] = assert_bad_input(code, out, err)
    assert str(path) in line


def test_deeply_nested_json_is_bad_input(capsys, tmp_path):
    path = tmp_path / "tx.json"
    path.write_text('{"id": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    code, out, err = run(capsys, "assess", str(path))
    [line] = assert_bad_input(code, out, err)
    assert str(path) in line


@pytest.mark.parametrize("value", ["lots", "0", "-1", "inf"])
def test_a_bad_memory_scale_in_the_environment_is_bad_input_for_any_command(capsys, monkeypatch, value):
    monkeypatch.setenv("HRDD_MEMORY_SCALE", value)
    assert main(["assess", str(EXAMPLES_DIR / "drone-border-guard.json")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "HRDD_MEMORY_SCALE" in captured.err and repr(value) in captured.err
    assert "positive number" in captured.err and "internal error" not in captured.err
    monkeypatch.setenv("HRDD_MEMORY_SCALE", "0.5")  # a factor below 1 is a choice, not a mistake
    assert main(["assess", str(EXAMPLES_DIR / "drone-border-guard.json")]) == 0


def test_a_bad_memory_scale_does_not_break_importing_hrdd_and_a_fresh_command_says_so():
    """In a fresh process (this one imported hrdd before the variable was set): importing
    hrdd never reads it, and the command reports it as bad input."""
    import os

    env = {**os.environ, "HRDD_MEMORY_SCALE": "lots"}
    imported = subprocess.run(
        [sys.executable, "-c", "import hrdd, hrdd.model, hrdd.cli, hrdd.batch"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert imported.returncode == 0, imported.stderr
    command = [sys.executable, "-m", "hrdd.cli", "assess", str(EXAMPLES_DIR / "drone-border-guard.json")]
    assessed = subprocess.run(command, env=env, capture_output=True, text=True)
    assert assessed.returncode == 2
    assert "HRDD_MEMORY_SCALE: 'lots': expected a positive number" in assessed.stderr
    assert "Traceback" not in assessed.stderr and assessed.stdout == ""


def test_missing_transaction_file(capsys, tmp_path):
    path = tmp_path / "nowhere.json"
    code, out, err = run(capsys, "assess", str(path))
    [line] = assert_bad_input(code, out, err)
    assert str(path) in line
    assert "not found" in line


def test_schema_invalid_transaction_prints_one_line_per_problem(capsys, tmp_path):
    document = json.loads(THERMAL.read_text(encoding="utf-8"))
    document["kind"] = "sale"
    document["end_user"]["country"] = "XX"
    document["items"][0]["quantity"] = "36"
    del document["id"]
    path = tmp_path / "tx.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    code, out, err = run(capsys, "assess", str(path))
    lines = assert_bad_input(code, out, err)
    assert len(lines) == 4
    assert all(line.startswith(f"hrdd: {path}: $") for line in lines)
    paths = {line.split(": ")[2] for line in lines}
    assert paths == {"$", "$.kind", "$.end_user.country", "$.items[0].quantity"}


@pytest.mark.parametrize("case", ["unknown-builtin", "schema-invalid", "missing-file"])
def test_bad_policy_exits_2(capsys, tmp_path, case):
    if case == "unknown-builtin":
        policy = "no-such-policy"
    elif case == "missing-file":
        policy = str(tmp_path / "missing.toml")
    else:
        path = tmp_path / "policy.toml"
        path.write_text('[policy]\nname = "x"\ncolour = "red"\n', encoding="utf-8")
        policy = str(path)
    code, out, err = run(capsys, "assess", str(THERMAL), "--policy", policy)
    lines = assert_bad_input(code, out, err)
    assert all(policy in line or "no-such-policy" in line for line in lines)


def test_policy_option_changes_the_decision(capsys, tmp_path, capability_only_policy):
    """Refused under the default policy; proceeds under a policy whose only plugin is
    hrdd-item-capability (the baseline's settings), made advisory."""
    assert json.loads(run(capsys, "assess", str(TRAFFIC))[1])["decision"] == "do_not_proceed"
    path = tmp_path / "policy.toml"
    path.write_text(
        f'[policy]\nname = "soft"\nextends = {json.dumps(str(capability_only_policy))}\n'
        '[plugins.hrdd-item-capability]\nenforcement = "advisory"\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "assess", str(TRAFFIC), "-p", str(path))
    assert code == 0
    report = json.loads(out)
    assert report["decision"] == "proceed"
    assert report["provenance"]["policy"]["name"] == "soft"
    assert [p["name"] for p in report["provenance"]["plugins"]] == [CAP]
    assert "HRDD-CAP-003" in {f["rule_id"] for f in report["findings"]}  # still reported


def test_assess_reads_the_transaction_from_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(DRONE.read_text(encoding="utf-8")))
    code, out, err = run(capsys, "assess", "-", "--fail-on", "escalate")
    assert (code, err) == (1, "")
    assert json.loads(out)["decision"] == "escalate"


def test_invalid_json_on_stdin_is_bad_input(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("{ nope"))
    code, out, err = run(capsys, "assess", "-")
    [line] = assert_bad_input(code, out, err)
    assert "<stdin>" in line


def test_no_command_prints_help_and_exits_2(capsys):
    code, out, _ = run(capsys)
    assert code == 2
    assert "assess" in out


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert (code, out) == (0, f"hrdd {metadata.version('hrdd')}\n")


# --------------------------------------------------------------------------------------
# plugins and schema
# --------------------------------------------------------------------------------------


def test_plugins_lists_installed_plugins_with_versions_and_hooks(capsys):
    code, out, err = run(capsys, "plugins")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"hrdd {metadata.version('hrdd')}"
    index = lines.index(f"{CAP} {metadata.version(CAP)}")
    hooks = lines[index + 2]
    assert hooks.strip().startswith("hooks:")
    for hook in ("hrdd_plugin_info", "hrdd_check_item"):
        assert hook in hooks


def test_plugins_json(capsys):
    code, out, _ = run(capsys, "plugins", "--json")
    assert code == 0
    listing = json.loads(out)
    assert listing["core"] == metadata.version("hrdd")
    [row] = [p for p in listing["plugins"] if p["name"] == CAP]
    assert row["version"] == metadata.version(CAP)
    assert {"hrdd_plugin_info", "hrdd_check_item"} <= set(row["hooks"])
    assert all(hook.startswith("hrdd_") for hook in row["hooks"])


@pytest.mark.parametrize("name", ["transaction", "policy", "report"])
def test_schema_prints_the_published_schema(capsys, name):
    code, out, _ = run(capsys, "schema", name)
    assert code == 0
    schema = json.loads(out)
    Draft202012Validator.check_schema(schema)
    assert schema == json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text("utf-8"))


def test_unknown_schema_name_is_exit_2_naming_the_published_ones(capsys):
    assert main(["schema", "waiver"]) == 2
    err = capsys.readouterr().err
    assert "unknown schema 'waiver'" in err and "waivers" in err and "transaction" in err


def test_schema_list_names_every_published_schema(capsys):
    assert main(["schema", "list"]) == 0
    names = capsys.readouterr().out.split()
    assert {
        "transaction",
        "policy",
        "report",
        "lock",
        "waivers",
        "rules",
        "testcase",
        "batch-line",
        "diff",
    } <= set(names)
    for name in names:
        assert main(["schema", name]) == 0
        assert json.loads(capsys.readouterr().out)["$schema"].startswith("https://json-schema.org/")


# --------------------------------------------------------------------------------------
# The console script, once per command
# --------------------------------------------------------------------------------------


def test_console_script_assess(tmp_path):
    result = run_script("assess", str(TRAFFIC), "--format", "text", "--fail-on", "do_not_proceed")
    assert result.returncode == 1
    assert result.stdout.startswith("TX-2026-0002: DO NOT PROCEED")
    assert result.stderr == ""


def test_console_script_assess_from_stdin():
    result = run_script("assess", "-", "--policy", SCREENED, stdin=THERMAL.read_text(encoding="utf-8"))
    assert result.returncode == 0
    assert json.loads(result.stdout)["decision"] == "proceed"


def test_console_script_bad_input(tmp_path):
    path = tmp_path / "tx.json"
    path.write_text("{\n\n  oops\n", encoding="utf-8")
    result = run_script("assess", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr and "line 3" in result.stderr


def test_console_script_plugins():
    result = run_script("plugins", "--json")
    assert result.returncode == 0
    names = {p["name"]: p["version"] for p in json.loads(result.stdout)["plugins"]}
    assert names[CAP] == metadata.version(CAP)


def test_console_script_schema():
    result = run_script("schema", "report")
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == "hrdd assessment report"


def test_a_country_code_error_says_what_a_country_code_is(tmp_path, capsys):
    document = {
        "id": "TX-COUNTRY",
        "items": [{"id": "I1", "name": "Camera"}],
        "end_user": {"name": "Buyer", "country": "nl"},
        "parties": [{"role": "reseller", "name": "Reseller", "country": "XX"}],
    }
    path = tmp_path / "tx.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["assess", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert (
        f"hrdd: {path}: $.end_user.country: \"nl\" is not an ISO 3166-1 alpha-2 country code (write it in capitals: 'NL')"
        in err
    )
    assert f'hrdd: {path}: $.parties[0].country: "XX" is not an ISO 3166-1 alpha-2 country code' in err


# --- commands from plugins (entry-point group hrdd.commands) ---------------------------


def _declare_commands(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    from importlib import metadata

    import hrdd.commands

    declared = {name: metadata.EntryPoint(name, value, "hrdd.commands") for name, value in values.items()}
    monkeypatch.setattr(hrdd.commands, "plugin_commands", lambda: declared)


def test_plugin_command_that_is_not_a_command_is_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _declare_commands(monkeypatch, broken="os:sep", missing="no_such_module_for_hrdd:COMMAND")
    assert main(["broken"]) == 2
    err = capsys.readouterr().err
    assert "'broken' = 'os:sep'" in err and "expected hrdd.commands.Command" in err
    assert main(["missing", "--help"]) == 2
    err = capsys.readouterr().err
    assert "cannot import: ModuleNotFoundError" in err and "Traceback" not in err


def test_broken_plugin_command_does_not_break_other_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _declare_commands(monkeypatch, broken="no_such_module_for_hrdd:COMMAND", schema="os:sep")
    assert main(["schema", "policy"]) == 0  # a plugin never shadows a core command
    assert '"$schema"' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "broken" in capsys.readouterr().out
