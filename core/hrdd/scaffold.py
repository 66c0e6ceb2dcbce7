"""``hrdd new-plugin``: a new plugin distribution from the templates in ``hrdd/templates/new_plugin``.

The generated plugin installs with pip, runs under its own ``policy.toml`` at once, and its
tests (pytest with :mod:`hrdd.testing`, and case files for ``hrdd test``) pass as generated.
Templates are ``string.Template`` files (``$name``; ``$$`` for a dollar sign).
"""

from __future__ import annotations

import importlib.util
import keyword
import re
import shutil
import string
from pathlib import Path

import attrs

from hrdd.errors import InputError

TEMPLATES = Path(__file__).resolve().parent / "templates" / "new_plugin"
PACKAGE_DIR = "package"  # the template directory renamed to the plugin's package
# The clause the example rule cites (a legal review of the destination's surveillance laws).
EXAMPLE_CLAUSE = "draft-2019:consideration-4"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


@attrs.frozen
class NewPlugin:
    """A generated plugin: where it is and what was filled in."""

    directory: Path
    name: str
    package: str
    rule_id: str
    files: tuple[Path, ...]


def core_requirement(version: str) -> tuple[str, str]:
    """The dependency on the running core: ``(">=0.1,<1", "hrdd>=0.1,<1")`` for 0.1.x."""
    from packaging.version import InvalidVersion, Version

    try:
        parsed = Version(version)
    except InvalidVersion:
        parsed = Version("0")
    specifier = f">={parsed.major}.{parsed.minor},<{parsed.major + 1}"
    return specifier, f"hrdd{specifier}"


def check_name(name: str) -> str:
    """The package name for a distribution name.

    :raises InputError: the name is not a lower-case PEP 508 name of letters, digits and
        single hyphens starting with a letter, or its package would be a Python keyword or
        shadow a module that is already importable.
    """
    if not NAME_PATTERN.fullmatch(name):
        suggestion = re.sub(r"[-_.\s]+", "-", name.strip().lower()).strip("-")
        hint = (
            f" (did you mean {suggestion!r}?)"
            if NAME_PATTERN.fullmatch(suggestion) and suggestion != name
            else ""
        )
        raise InputError.single(
            "hrdd new-plugin",
            "NAME",
            f"{name!r} is not a plugin distribution name: lower-case letters, digits and single "
            f"hyphens, starting with a letter, e.g. acme-reseller-vetting{hint}",
        )
    package = name.replace("-", "_")
    if keyword.iskeyword(package) or name == "hrdd":
        raise InputError.single("hrdd new-plugin", "NAME", f"{name!r} is reserved; choose another name")
    try:
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        found = None
    if found is not None:
        where = found.origin or ", ".join(found.submodule_search_locations or ()) or "?"
        raise InputError.single(
            "hrdd new-plugin",
            "NAME",
            f"a module named {package!r} can already be imported ({where}); the plugin's package "
            "would clash with it: choose another name",
        )
    return package


def _catalogue_title(clause: str) -> str:
    from hrdd.coverage import load_catalogue

    clauses, _ = load_catalogue()
    return dict(clauses)[clause]


def new_plugin(name: str, parent: Path | str = ".") -> NewPlugin:
    """Generate the plugin ``name`` in ``parent/name``.

    :raises InputError: the name is invalid, or ``parent/name`` exists and is not an empty
        directory (nothing is written then).
    """
    from hrdd.plugins import core_version

    package = check_name(name)
    directory = Path(parent) / name
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InputError.single(
            str(directory), "$", "already exists and is not an empty directory; nothing was written"
        )
    version = core_version()
    specifier, requirement = core_requirement(version)
    rule_id = f"{name.upper()}-001"
    values = {
        "name": name,
        "package": package,
        "rule_id": rule_id,
        "clause": EXAMPLE_CLAUSE,
        "clause_title": _catalogue_title(EXAMPLE_CLAUSE),
        "core_version": version,
        "core_specifier": specifier,
        "core_requirement": requirement,
    }
    created_directory = not directory.exists()
    written: list[Path] = []
    try:
        for template in sorted(TEMPLATES.rglob("*.tmpl")):
            relative = template.relative_to(TEMPLATES).with_suffix("")
            parts = [package if part == PACKAGE_DIR else part for part in relative.parts]
            target = directory.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            text = string.Template(template.read_text(encoding="utf-8")).substitute(values)
            target.write_text(text, encoding="utf-8")
            written.append(target)
    except BaseException:
        if created_directory:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            for path in written:
                path.unlink(missing_ok=True)
        raise
    return NewPlugin(directory, name, package, rule_id, tuple(written))
