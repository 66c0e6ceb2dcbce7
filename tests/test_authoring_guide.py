"""docs/authoring.md, run command by command: the guide builds ACME's policy from an empty
directory to a passing ``hrdd test``, and what it builds is the shipped example,
policies/examples/acme/.

How the guide is read (the conventions its writers keep):

- A ```sh block holds commands, one a line (``#`` lines are comments), run in order with
  bash from the root of a throwaway copy of the checkout (its ``policies/`` and the
  screening plugin's fixture list). A trailing ``# exit N`` says the exit code the command
  ends with (default 0).
- A ```text block right after a ```sh block is what the block's commands print (stdout and
  stderr, one command after the other). ``…`` stands for any text within a line; a line holding only ``…`` stands for
  any number of lines; runs of ``=`` (the banners of ``hrdd test``, whose width depends on a
  time) compare equal whatever their length.
- A code block whose paragraph ends with "Save this as `PATH`:" is written to PATH; "Add to
  `PATH`:" appends it (after a blank line); "The `[TABLE]` table of `PATH` now reads:"
  replaces that table of the file (its header line up to the first blank line).
- ``python -m pip install [-e] DIR`` installs DIR into a directory of the test's own
  (offline, without dependencies, like tests/test_new_plugin.py), which the commands see
  first on their ``PYTHONPATH``: the virtualenv is left as it was.
- A reader starting from an empty directory has no ``acme-legal-reviews`` installed, but
  requirements-test.txt installs the shipped copy (editable). The commands run Python with
  ``-S`` and an explicit ``PYTHONPATH`` without that copy's directory, so ``hrdd
  new-plugin acme-legal-reviews`` finds the name free and the guide's copy is the one used.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "authoring.md"
EXAMPLE = ROOT / "policies" / "examples" / "acme"
FIXTURE_LIST = Path("plugins") / "hrdd-screening" / "tests" / "fixtures" / "csl-fixture.csv"
HIDDEN = ROOT / "policies"  # the shipped example plugin's editable install points in here
ELLIPSIS = "…"
FENCE = re.compile(r"^```(\S*)\s*$")
EXIT = re.compile(r"#\s*exit (\d+)\s*$")
PIP_INSTALL = re.compile(r"^python3? -m pip install (?P<args>.+)$")
FILE_LANGUAGES = ("toml", "python", "csv", "json", "markdown")
MARKERS = (
    ("write", re.compile(r"Save this as `(?P<path>[^`]+)`:$")),
    ("append", re.compile(r"Add to `(?P<path>[^`]+)`:$")),
    ("replace", re.compile(r"The `\[(?P<table>[^\]]+)\]` table of `(?P<path>[^`]+)` now reads:$")),
)
# Files of the shipped example that the guide does not build: none but caches and the lock
# (the guide writes one; the example ships none, since plugin hashes differ between an
# editable install and a wheel).
IGNORED = ("__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis")


# --------------------------------------------------------------------------------------
# Reading the guide
# --------------------------------------------------------------------------------------


@dataclass
class Command:
    line: int  # in the guide, 1-based
    text: str
    exit_code: int = 0
    block: int = 0  # the line of the ```sh block it is in
    output: list[str] | None = None  # on a block's last command: what the block prints


@dataclass
class FileStep:
    line: int
    mode: str  # write, append, replace
    path: str
    text: str
    table: str | None = None


@dataclass
class Guide:
    steps: list[Command | FileStep] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


def read_guide(text: str) -> Guide:
    guide = Guide()
    lines = text.splitlines()
    paragraph: list[str] = []  # the prose just before a code block (blank lines skipped)
    ended = False  # a blank line ended the paragraph: the next text starts a new one
    index = 0
    last_sh: list[Command] | None = None
    while index < len(lines):
        line = lines[index]
        match = FENCE.match(line)
        if not match:
            if not line.strip():
                ended = True
            else:
                paragraph = [*([] if ended else paragraph), line.strip()]
                ended = False
                last_sh = None
            index += 1
            continue
        language, start = match.group(1), index + 1
        end = start
        while lines[end].rstrip() != "```":
            end += 1
        body = lines[start:end]
        guide.languages.append(language)
        if language == "sh":
            commands = [
                Command(
                    start + offset + 1,
                    command.strip(),
                    int(found.group(1)) if (found := EXIT.search(command)) else 0,
                    block=start,
                )
                for offset, command in enumerate(body)
                if command.strip() and not command.lstrip().startswith("#")
            ]
            guide.steps.extend(commands)
            last_sh = commands
        elif language == "text" and last_sh:
            last_sh[-1].output = body
            last_sh = None
        else:
            last_sh = None
            said = " ".join(paragraph)
            for mode, marker in MARKERS:
                found = marker.search(said)
                if found:
                    guide.steps.append(
                        FileStep(
                            start,
                            mode,
                            found.group("path"),
                            "\n".join(body) + "\n",
                            found.groupdict().get("table"),
                        )
                    )
                    break
        paragraph, ended = [], True
        index = end + 1
    return guide


# --------------------------------------------------------------------------------------
# Comparing output
# --------------------------------------------------------------------------------------


def _normal(line: str) -> str:
    return re.sub(r"={3,}", "===", line.rstrip())


def _line_matches(expected: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in _normal(expected).split(ELLIPSIS))
    return re.fullmatch(pattern, _normal(actual)) is not None


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the lines printed match the lines shown (``…`` lines and ``…`` in lines as
    described in the module's docstring)."""
    while actual and not actual[-1].strip():
        actual = actual[:-1]
    known: dict[tuple[int, int], bool] = {}

    def match(i: int, j: int) -> bool:
        if (i, j) not in known:
            if i == len(expected):
                known[i, j] = j == len(actual)
            elif expected[i].strip() == ELLIPSIS:
                known[i, j] = any(match(i + 1, k) for k in range(j, len(actual) + 1))
            else:
                known[i, j] = (
                    j < len(actual) and _line_matches(expected[i], actual[j]) and match(i + 1, j + 1)
                )
        return known[i, j]

    return match(0, 0)


def test_the_output_comparison_is_strict_where_the_guide_is():
    assert output_matches(["a", "b"], ["a", "b", ""])
    assert not output_matches(["a", "b"], ["a", "c"])
    assert not output_matches(["a"], ["a", "b"])
    assert output_matches(["a", ELLIPSIS, "d"], ["a", "b", "c", "d"])
    assert output_matches(["a", ELLIPSIS], ["a"])
    assert output_matches(["sha256 …"], ["sha256 5908fb6e"])
    assert not output_matches(["sha256 …"], ["sha 5908fb6e"])
    assert output_matches(["==== 3 passed in …s ===="], ["======= 3 passed in 10.25s ======="])
    assert not output_matches(["==== 3 passed in …s ===="], ["======= 2 passed in 0.25s ======="])


# --------------------------------------------------------------------------------------
# Running it
# --------------------------------------------------------------------------------------


def replace_table(text: str, table: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    header = f"[{table}]"
    start = next((i for i, line in enumerate(lines) if line.strip() == header), None)
    assert start is not None, f"no {header} table to replace"
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    return "".join(lines[:start]) + new + "".join(lines[end:])


@dataclass
class Workspace:
    root: Path
    site: Path
    env: dict[str, str]


def make_workspace(base: Path) -> Workspace:
    root, site, shims = base / "checkout", base / "site", base / "bin"
    shutil.copytree(ROOT / "policies", root / "policies", ignore=shutil.ignore_patterns(*IGNORED))
    (root / FIXTURE_LIST).parent.mkdir(parents=True)
    shutil.copy2(ROOT / FIXTURE_LIST, root / FIXTURE_LIST)
    site.mkdir()
    shims.mkdir()
    for name, args in (("hrdd", "-S -m hrdd"), ("python", "-S"), ("python3", "-S")):
        shim = shims / name
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" {args} "$@"\n', encoding="utf-8")
        shim.chmod(0o755)
    visible = [p for p in sys.path if p and not Path(p).resolve().is_relative_to(HIDDEN)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env |= {
        "PATH": os.pathsep.join([str(shims), env.get("PATH", "")]),
        "PYTHONPATH": os.pathsep.join([str(site), *visible]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "COLUMNS": "80",
    }
    return Workspace(root, site, env)


def run_command(command: Command, workspace: Workspace) -> subprocess.CompletedProcess[str]:
    pip = PIP_INSTALL.match(command.text)
    if pip:
        targets = [arg for arg in pip.group("args").split() if arg != "-e"]
        args = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--root-user-action=ignore",  # CI runs as root; the warning is not the guide's output
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(workspace.site),
            *targets,
        ]
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
        return subprocess.run(
            args, cwd=workspace.root, env=env, capture_output=True, text=True, timeout=180, check=False
        )
    return subprocess.run(
        ["bash", "-c", command.text],
        cwd=workspace.root,
        env=workspace.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=180,
        check=False,
    )


def apply_file(step: FileStep, workspace: Workspace) -> None:
    target = workspace.root / step.path
    if step.mode == "write":
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(step.text, encoding="utf-8")
    elif step.mode == "append":
        assert target.is_file(), f"line {step.line}: 'Add to `{step.path}`' before the file was saved"
        target.write_text(target.read_text(encoding="utf-8") + "\n" + step.text, encoding="utf-8")
    else:
        assert target.is_file(), f"line {step.line}: a table of `{step.path}` before the file was saved"
        assert step.table is not None
        target.write_text(
            replace_table(target.read_text(encoding="utf-8"), step.table, step.text), encoding="utf-8"
        )


@dataclass
class Ran:
    command: Command
    exit_code: int
    output: list[str]


def walk(guide: Guide, workspace: Workspace) -> Iterator[Ran]:
    """Apply every step in order, yielding each command's result."""
    for step in guide.steps:
        if isinstance(step, FileStep):
            apply_file(step, workspace)
            continue
        result = run_command(step, workspace)
        output = (result.stdout or "") + (result.stderr or "") if result.stderr is not None else result.stdout
        yield Ran(step, result.returncode, output.splitlines())


@pytest.fixture(scope="module")
def guide() -> Guide:
    return read_guide(GUIDE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def walked(guide: Guide, tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, list[Ran]]:
    workspace = make_workspace(tmp_path_factory.mktemp("authoring"))
    probe = subprocess.run(
        ["python", "-c", "import importlib.util; print(importlib.util.find_spec('acme_legal_reviews'))"],
        cwd=workspace.root,
        env=workspace.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.stdout.strip() != "None":
        pytest.fail(
            "acme-legal-reviews is importable outside policies/ (installed without -e?), so the guide "
            f"cannot create it afresh: {probe.stdout.strip() or probe.stderr.strip()}; install it as "
            "requirements-test.txt does (pip install -e ./policies/examples/acme/plugins/acme-legal-reviews)"
        )
    ran: list[Ran] = []
    for result in walk(guide, workspace):
        ran.append(result)
        if result.exit_code != result.command.exit_code:
            break  # the later steps build on this one
    return workspace, ran


def test_the_guide_shows_commands_and_files_and_runs_all_of_them(guide):
    commands = [s for s in guide.steps if isinstance(s, Command)]
    files = [s for s in guide.steps if isinstance(s, FileStep)]
    assert len(commands) >= 15 and len(files) >= 15
    assert "console" not in guide.languages, "a ```console block is not run: use ```sh and ```text"
    assert all(f.path.startswith("acme/") for f in files), [f.path for f in files]
    assert any(c.exit_code == 1 and "hrdd test" in c.text for c in commands), "the guide shows a failing test"


def test_every_command_exits_as_the_guide_says_and_prints_what_it_shows(guide, walked):
    _, ran = walked
    failures = []
    printed: dict[int, list[str]] = {}  # what each ```sh block printed, command after command
    for result in ran:
        command = result.command
        printed.setdefault(command.block, []).extend(result.output)
        if result.exit_code != command.exit_code:
            failures.append(
                f"docs/authoring.md line {command.line}: `{command.text}` exited {result.exit_code}, "
                f"expected {command.exit_code}:\n" + "\n".join(result.output[-40:])
            )
        elif command.output is not None and not output_matches(command.output, printed[command.block]):
            failures.append(
                f"docs/authoring.md line {command.block}: the block printed\n"
                + "\n".join(printed[command.block])
                + "\n--- but the guide shows ---\n"
                + "\n".join(command.output)
            )
    assert not failures, "\n\n".join(failures)
    assert len(ran) == sum(isinstance(s, Command) for s in guide.steps), (
        "a command failed; the rest did not run"
    )


def _files(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in directory.rglob("*")
        if p.is_file() and not any(part in IGNORED for part in p.parts) and p.suffix != ".lock"
    }


def test_what_the_guide_builds_is_the_shipped_example(walked):
    workspace, _ = walked
    built, shipped = _files(workspace.root / "acme"), _files(EXAMPLE)
    assert sorted(built) == sorted(shipped), "files the guide builds differ from policies/examples/acme/"
    differ = [name for name in sorted(built) if built[name] != shipped[name]]
    assert not differ, (
        "the guide builds these files differently from policies/examples/acme/ (change both): "
        + ", ".join(differ)
    )
