"""``hrdd new-plugin``: the generated plugin installs with pip, runs under its policy at once,
and its tests pass as generated; bad names and occupied directories are refused.

The plugin is built and installed once for the module, offline (``--no-index
--no-build-isolation``: hatchling comes from the test extras), into a ``--target`` directory
that the subprocesses below put on ``PYTHONPATH``, so the venv the suite runs in is left as
it was.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from hrdd.cli import main
from hrdd.scaffold import check_name, core_requirement

NAME = "acme-reseller-vetting"
PACKAGE = "acme_reseller_vetting"
RULE = "ACME-RESELLER-VETTING-001"


def run(args: list[str], cwd: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
    }
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    parent = tmp_path_factory.mktemp("new-plugin")
    assert main(["new-plugin", NAME, "--dir", str(parent)]) == 0
    yield parent / NAME


@pytest.fixture(scope="module")
def site(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated plugin installed with pip (a wheel built by hatchling) into a directory."""
    target = tmp_path_factory.mktemp("site")
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(target),
            str(generated),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return target


def test_the_layout_and_the_filled_in_values(generated):
    files = sorted(p.relative_to(generated).as_posix() for p in generated.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        f"{PACKAGE}/__init__.py",
        f"{PACKAGE}/plugin.py",
        "policy.toml",
        "pyproject.toml",
        "tests/cases/listed-country.toml",
        "tests/cases/other-country.toml",
        "tests/test_plugin.py",
        "tests/transactions/example.json",
    ]
    project = tomllib.loads((generated / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["build-system"]["build-backend"] == "hatchling.build"
    assert project["project"]["name"] == NAME
    assert project["project"]["version"] == "0.1.0"
    assert project["project"]["dependencies"] == ["hrdd>=0.1,<1"]
    assert project["project"]["entry-points"]["hrdd"] == {NAME: f"{PACKAGE}.plugin"}
    policy = tomllib.loads((generated / "policy.toml").read_text(encoding="utf-8"))
    assert policy["plugins"][NAME]["config"]["countries"] == ["BY", "IR"]
    readme = (generated / "README.md").read_text(encoding="utf-8")
    assert f"| `{RULE}` | escalate (configurable: `outcome`) |" in readme
    assert "- `draft-2019:consideration-4`: Review whether the end user's surveillance laws" in readme
    assert "## Configuration" in readme and "## Data" in readme
    for path in generated.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\$\{?[a-z_]+", text.replace("$.plugins", "")), (
                f"unfilled placeholder in {path}"
            )


@pytest.fixture(scope="module")
def elsewhere(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory away from the generated source tree (``python -m`` puts the
    working directory first on sys.path), so the installed copy is what runs; with a copy
    of the generated policy as ``p.toml``."""
    directory = tmp_path_factory.mktemp("elsewhere")
    (directory / "p.toml").write_text(
        (generated / "policy.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return directory


def test_the_plugin_installs_and_runs_under_its_policy(generated, site, elsewhere):
    listed = run(["-m", "hrdd", "plugins"], elsewhere, site)
    assert listed.returncode == 0, listed.stderr
    assert (
        f"{NAME} 0.1.0\n  module: {PACKAGE}.plugin\n  hooks:  hrdd_check_end_user, hrdd_configure, hrdd_plugin_info\n"
        in (listed.stdout)
    )
    policy = str(generated / "policy.toml")
    example = generated / "tests" / "transactions" / "example.json"
    proceed = run(["-m", "hrdd", "assess", str(example), "--policy", policy], elsewhere, site)
    assert proceed.returncode == 0, proceed.stderr
    report = json.loads(proceed.stdout)
    assert report["decision"] == "proceed"
    assert [(p["name"], p["version"], p["source"]) for p in report["provenance"]["plugins"]] == [
        (NAME, "0.1.0", "entry-point")
    ]
    document = json.loads(example.read_text(encoding="utf-8"))
    document["end_user"]["country"] = "IR"
    (elsewhere / "listed.json").write_text(json.dumps(document), encoding="utf-8")
    escalated = run(
        ["-m", "hrdd", "assess", "listed.json", "--policy", policy, "--fail-on", "escalate"], elsewhere, site
    )
    assert escalated.returncode == 1, escalated.stderr
    finding = json.loads(escalated.stdout)["findings"][0]
    assert (finding["rule_id"], finding["outcome"], finding["subject"]) == (RULE, "escalate", "end_user")
    assert finding["evidence"][0] == {"path": "end_user.country", "value": "IR"}
    assert finding["guidance"] == ["draft-2019:consideration-4"]


def test_the_generated_tests_pass(generated, site):
    tests = run(["-m", "pytest", "-q", "-p", "no:cacheprovider"], generated, site)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "4 passed" in tests.stdout
    cases = run(["-m", "hrdd", "test", "--policy", "policy.toml"], generated, site)
    assert cases.returncode == 0, cases.stdout + cases.stderr
    assert (
        "tests/cases/listed-country.toml::an end user in a listed country needs a legal review PASSED"
        in cases.stdout
    )
    assert (
        "1 of 1 rules of the policy's plugins produced by some case: every rule is exercised" in cases.stdout
    )
    assert re.search(r"=+ 2 passed in \d+\.\d\ds =+\n$", cases.stdout)


def test_a_plugin_that_fails_to_import_exits_2_naming_the_file(generated, site, elsewhere):
    module = site / PACKAGE / "plugin.py"
    original = module.read_text(encoding="utf-8")
    module.write_text(
        original.replace("from hrdd import (", "import acme_missing_dependency\nfrom hrdd import (", 1),
        encoding="utf-8",
    )
    try:
        failed = run(
            [
                "-m",
                "hrdd",
                "assess",
                str(generated / "tests" / "transactions" / "example.json"),
                "--policy",
                "p.toml",
            ],
            elsewhere,
            site,
        )
    finally:
        module.write_text(original, encoding="utf-8")
    assert (failed.returncode, failed.stdout) == (2, "")
    line = original.splitlines().index("from hrdd import (") + 1
    assert failed.stderr == (
        f"hrdd: p.toml: $.plugins['{NAME}']: plugin {NAME} 0.1.0 failed to import: {module} line {line}: "
        "ModuleNotFoundError: No module named 'acme_missing_dependency'\n"
    )


def test_a_syntax_error_in_the_plugin_exits_2_naming_the_file_and_line(generated, site, elsewhere):
    module = site / PACKAGE / "plugin.py"
    original = module.read_text(encoding="utf-8")
    module.write_text(original + "\ndef broken(:\n", encoding="utf-8")
    try:
        failed = run(["-m", "hrdd", "test", str(generated / "tests"), "--policy", "p.toml"], elsewhere, site)
    finally:
        module.write_text(original, encoding="utf-8")
    assert (failed.returncode, failed.stdout) == (2, "")
    assert f"failed to import: {module} line {len(original.splitlines()) + 2}: SyntaxError:" in failed.stderr


@pytest.mark.parametrize("name", [NAME, "ab", "a-very-long-company-name-reseller-vetting-extension"])
def test_the_generated_sources_are_clean_python(name, tmp_path):
    assert main(["new-plugin", name, "--dir", str(tmp_path)]) == 0
    for path in (tmp_path / name).rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e .[dev])")
    rules = "E,F,W,I,B,UP,SIM,RUF"  # the project's own selection; the plugin's pyproject sets the rest
    for command in (["check", "--select", rules, "."], ["format", "--check", "."]):
        linted = subprocess.run(
            [ruff, *command], cwd=tmp_path / name, capture_output=True, text=True, check=False
        )
        assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_generated_plugin_type_checks_strictly_against_the_typed_core(tmp_path):
    """hrdd ships py.typed: a plugin author's ``mypy --strict`` sees the core's types, and the
    generated plugin passes it."""
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e .[test])")
    assert main(["new-plugin", NAME, "--dir", str(tmp_path)]) == 0
    package = tmp_path / NAME / NAME.replace("-", "_")
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / ".mypy"), str(package)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success" in checked.stdout


# --------------------------------------------------------------------------------------
# Refusals (exit 2, nothing written)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Acme_Reseller", "(did you mean 'acme-reseller'?)"),
        ("acme--reseller", "(did you mean 'acme-reseller'?)"),
        ("1acme", "starting with a letter"),
        ("acme-", "lower-case letters, digits and single hyphens"),
        ("", "is not a plugin distribution name"),
        ("class", "'class' is reserved"),
        ("hrdd", "'hrdd' is reserved"),
        ("json", "a module named 'json' can already be imported"),
        ("hrdd-screening", "a module named 'hrdd_screening' can already be imported"),
    ],
)
def test_a_name_that_cannot_be_a_plugin_is_refused(name, message, tmp_path, capsys):
    assert main(["new-plugin", name, "--dir", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_that_is_not_empty_is_refused(tmp_path, capsys):
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["new-plugin", NAME, "--dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"hrdd: {tmp_path / NAME}: $: already exists and is not an empty directory; nothing was written\n"
    )
    assert [p.name for p in (tmp_path / NAME).iterdir()] == ["notes.txt"]


def test_an_empty_directory_is_filled(tmp_path, capsys):
    (tmp_path / NAME).mkdir()
    assert main(["new-plugin", NAME, "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"created {tmp_path / NAME}/: hrdd plugin {NAME} 0.1.0, package {PACKAGE}, rule {RULE}\n"
    )
    assert (tmp_path / NAME / PACKAGE / "plugin.py").is_file()


def test_the_core_requirement_follows_the_running_core():
    assert core_requirement("0.1.0") == (">=0.1,<1", "hrdd>=0.1,<1")
    assert core_requirement("1.4.2") == (">=1.4,<2", "hrdd>=1.4,<2")
    assert check_name("a1-b2") == "a1_b2"
