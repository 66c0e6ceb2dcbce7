"""The documentation under docs/ matches the code: every hook is documented with its real
arguments and exercised by a test, every command the user guide shows exists, and the
guidance coverage map matches the rules the plugins declare."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib import import_module
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HOOKSPECS = ROOT / "core" / "hrdd" / "hookspecs.py"
HOOKS_DOC = DOCS / "hooks.md"
USER_GUIDE = DOCS / "user-guide.md"
CLAUSES_DOC = DOCS / "guidance-clauses.md"

HOOK_HEADING = re.compile(r"^## `(hrdd_\w+)`\s*$")
FENCE = re.compile(r"^```(\S*)\s*$")


# --------------------------------------------------------------------------------------
# Reading the code and the docs
# --------------------------------------------------------------------------------------


def _is_hookspec(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Name) and target.id == "hookspec"


def _parameter_names(arguments: ast.arguments) -> list[str]:
    return [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]


def hookspecs() -> dict[str, list[str]]:
    """Every ``hrdd_*`` hook specification in hookspecs.py and its parameter names, in order."""
    tree = ast.parse(HOOKSPECS.read_text(encoding="utf-8"))
    return {
        node.name: _parameter_names(node.args)
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name.startswith("hrdd_")
        and any(_is_hookspec(d) for d in node.decorator_list)
    }


def fenced_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(language, lines) for every fenced code block of a Markdown text (``` fences only)."""
    blocks: list[tuple[str, list[str]]] = []
    language: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        match = FENCE.match(line)
        if language is None:
            if match:
                language, lines = match.group(1), []
        elif line.rstrip() == "```":
            blocks.append((language, lines))
            language = None
        else:
            lines.append(line)
    return blocks


def documented_hooks() -> dict[str, list[str] | None]:
    """Every ``## `hrdd_x``` section of docs/hooks.md and the parameter names of the
    ``def hrdd_x(...)`` line in its first python block (None when there is no such line)."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in HOOKS_DOC.read_text(encoding="utf-8").splitlines():
        heading = HOOK_HEADING.match(line)
        if heading:
            current = heading.group(1)
            assert current not in sections, f"docs/hooks.md documents {current} twice"
            sections[current] = []
        elif line.startswith("## "):
            current = None
        elif current is not None:
            sections[current].append(line)
    documented: dict[str, list[str] | None] = {}
    for name, body in sections.items():
        python_blocks = [lines for language, lines in fenced_blocks("\n".join(body)) if language == "python"]
        signature = None
        if python_blocks:
            for line in python_blocks[0]:
                if line.startswith(f"def {name}("):
                    signature = line.strip().rstrip(":")
                    break
        if signature is None:
            documented[name] = None
            continue
        function = ast.parse(f"{signature}: ...").body[0]
        assert isinstance(function, ast.FunctionDef)
        documented[name] = _parameter_names(function.args)
    return documented


def collect_test_modules() -> list[Path]:
    """The test modules of the core and of every plugin, except this one."""
    files = [*(ROOT / "tests").rglob("*.py"), *ROOT.glob("plugins/*/tests/**/*.py")]
    return sorted(f for f in files if f.resolve() != Path(__file__).resolve())


# --------------------------------------------------------------------------------------
# The hook reference
# --------------------------------------------------------------------------------------


def test_hookspecs_are_found():
    specs = hookspecs()
    # The hooks DESIGN.md names as the public contract; the parser must see them all.
    assert {
        "hrdd_plugin_info",
        "hrdd_check_item",
        "hrdd_check_end_user",
        "hrdd_check_contract",
        "hrdd_render",
    } <= set(specs)


def test_every_hook_has_a_section_in_the_hook_reference():
    missing = sorted(set(hookspecs()) - set(documented_hooks()))
    assert not missing, f"docs/hooks.md has no '## `name`' section for: {', '.join(missing)}"


def test_hook_reference_documents_no_hook_that_does_not_exist():
    unknown = sorted(set(documented_hooks()) - set(hookspecs()))
    assert not unknown, f"docs/hooks.md documents hooks hookspecs.py does not specify: {', '.join(unknown)}"


def test_every_documented_signature_matches_the_hookspec():
    specs, documented = hookspecs(), documented_hooks()
    wrong = []
    for name in sorted(set(specs) & set(documented)):
        if documented[name] is None:
            wrong.append(f"{name}: no 'def {name}(...)' line in the section's first python block")
        elif documented[name] != specs[name]:
            wrong.append(
                f"{name}: documented ({', '.join(documented[name])}), specified ({', '.join(specs[name])})"
            )
    assert not wrong, "docs/hooks.md signatures differ from hookspecs.py:\n" + "\n".join(wrong)


def test_every_hook_is_exercised_by_a_test():
    texts = {path: path.read_text(encoding="utf-8") for path in collect_test_modules()}
    untested = [
        name
        for name in sorted(hookspecs())
        if not any(re.search(rf"\b{name}\b", text) for text in texts.values())
    ]
    assert not untested, "hooks no test under tests/ or plugins/*/tests/ mentions: " + ", ".join(untested)


# --------------------------------------------------------------------------------------
# The user guide's commands
# --------------------------------------------------------------------------------------


def _help_text() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "hrdd.cli", "--help"], capture_output=True, text=True, check=True
    )
    return result.stdout


def cli_subcommands(help_text: str) -> set[str]:
    """The subcommands ``hrdd --help`` lists (the indented names under ``COMMAND``)."""
    names = set()
    listing = False
    for line in help_text.splitlines():
        if line.strip() == "COMMAND":
            listing = True
            continue
        if listing:
            match = re.match(r"^ {4}([a-z][a-z0-9-]*)(\s|$)", line)
            if match:
                names.add(match.group(1))
            elif line.strip() and not line.startswith(" " * 6):
                listing = False
    return names


def shell_commands(path: Path) -> list[str]:
    """The commands of a document's ```console blocks (lines after ``$ ``) and ```sh blocks
    (every line that is not a comment), split at pipes and command separators."""
    commands = []
    for language, lines in fenced_blocks(path.read_text(encoding="utf-8")):
        if language == "console":
            lines = [line[2:] for line in lines if line.startswith("$ ")]
        elif language in ("sh", "shell", "bash"):
            lines = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
        else:
            continue
        for line in lines:
            commands.extend(part.strip() for part in re.split(r"\|\||&&|\||;", line) if part.strip())
    return commands


def hrdd_invocations(path: Path) -> list[list[str]]:
    return [command.split() for command in shell_commands(path) if command.split()[0] == "hrdd"]


def test_user_guide_shows_hrdd_commands():
    assert len(hrdd_invocations(USER_GUIDE)) >= 5


def test_every_hrdd_command_in_the_user_guide_exists():
    help_text = _help_text()
    subcommands = cli_subcommands(help_text)
    assert {"assess", "schema", "plugins"} <= subcommands, help_text
    wrong = []
    for words in hrdd_invocations(USER_GUIDE):
        first = words[1] if len(words) > 1 else ""
        if first.startswith("-"):
            if first not in help_text:
                wrong.append(f"{' '.join(words)}: option {first} is not in 'hrdd --help'")
        elif first not in subcommands:
            wrong.append(f"{' '.join(words)}: 'hrdd --help' lists no subcommand {first!r}")
    assert not wrong, "\n".join(wrong)


def test_example_files_the_user_guide_assesses_exist():
    missing = [
        word
        for words in hrdd_invocations(USER_GUIDE)
        for word in words
        if word.startswith("policies/") and not (ROOT / word).is_file()
    ]
    assert not missing, f"the user guide assesses files that do not exist: {', '.join(missing)}"


# --------------------------------------------------------------------------------------
# The guidance coverage map
# --------------------------------------------------------------------------------------


def plugin_rules() -> dict[str, set[str]]:
    """For each clause id, the rules of the plugins under plugins/ that cite it."""
    cited: dict[str, set[str]] = {}
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        for target in project.get("entry-points", {}).get("hrdd", {}).values():
            module = import_module(target.split(":")[0])
            info = module.hrdd_plugin_info()
            for rule in info.rules:
                for clause in rule.guidance:
                    cited.setdefault(clause, set()).add(rule.id)
    return cited


def documented_coverage() -> dict[str, set[str]]:
    """The '## Clause ids' table of docs/guidance-clauses.md: clause id -> rule ids."""
    coverage: dict[str, set[str]] = {}
    in_table = False
    for line in CLAUSES_DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            in_table = line.strip() == "## Clause ids"
            continue
        match = re.match(r"^\| `([a-z0-9-]+:[a-z0-9-]+)` \|", line)
        if in_table and match:
            rules_column = line.rstrip().rstrip("|").rsplit("|", 1)[1]
            coverage[match.group(1)] = set(re.findall(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+", rules_column))
    return coverage


def test_guidance_clauses_table_matches_the_plugins_rules():
    pytest.importorskip("hrdd_item_capability")
    documented, cited = documented_coverage(), plugin_rules()
    assert documented, "docs/guidance-clauses.md has no '## Clause ids' table"
    unknown = sorted(set(cited) - set(documented))
    assert not unknown, f"rules cite clause ids missing from docs/guidance-clauses.md: {', '.join(unknown)}"
    wrong = [
        f"{clause}: documented {sorted(documented[clause])}, cited by {sorted(cited.get(clause, set()))}"
        for clause in sorted(documented)
        if documented[clause] != cited.get(clause, set())
    ]
    assert not wrong, "docs/guidance-clauses.md differs from the plugins' rules:\n" + "\n".join(wrong)
