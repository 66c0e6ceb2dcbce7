"""The plugin and policy author's commands: ``hrdd new-plugin`` and ``hrdd test``.

``hrdd.cli`` registers these; the work is done by :mod:`hrdd.scaffold` and
:mod:`hrdd.cases`. Only ``argparse`` is imported at module level so ``hrdd --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

# The CLI's exit codes (hrdd.cli).
_OK, _FAILED = 0, 1


def add_authoring_commands(commands: Any) -> None:
    """``hrdd new-plugin NAME`` and ``hrdd test [PATH ...]`` (``commands``: the CLI's
    subparsers action)."""
    new = commands.add_parser(
        "new-plugin",
        help="create a plugin distribution NAME/ that installs, runs under a policy and passes its tests",
        description="Create NAME/ with pyproject.toml (entry point in the group hrdd), the package "
        "with an example check, README.md, policy.toml enabling the plugin, and tests (pytest with "
        "hrdd's testing kit, and case files for hrdd test). Exit 2 when NAME is not a valid name or "
        "NAME/ exists and is not empty.",
    )
    new.add_argument("name", metavar="NAME", help="the distribution name, e.g. acme-reseller-vetting")
    new.add_argument(
        "--dir", metavar="PARENT", default=".", help="where to create NAME/ (default: the current directory)"
    )
    new.set_defaults(handler=cmd_new_plugin)

    test = commands.add_parser(
        "test",
        help="run a policy's test cases (TOML or JSON case files) and report rule coverage",
        description="Assess every case file under each PATH (default: tests/ beside the policy) and "
        "check its expected decision and rules. Exit 0 when every case passes, 1 when one fails "
        "(a malformed case file is a failed case), 2 when the policy or PATH cannot be used.",
    )
    test.add_argument(
        "paths",
        metavar="PATH",
        nargs="*",
        type=Path,
        help="case files, or directories searched recursively for *.toml and *.json case files",
    )
    test.add_argument("--policy", "-p", help="policy file or built-in policy name (default: baseline)")
    test.add_argument(
        "--fail-uncovered",
        action="store_true",
        help="exit 1 also when a rule of the policy's plugins is produced by no case",
    )
    test.add_argument("--no-coverage", action="store_true", help="leave out the rule coverage section")
    test.add_argument(
        "--no-lock",
        action="store_true",
        help="do not check the policy's lock (cases with mocks never do)",
    )
    test.set_defaults(handler=cmd_test)


def cmd_new_plugin(args: argparse.Namespace) -> int:
    from hrdd.scaffold import new_plugin

    created = new_plugin(args.name, args.dir)
    where = created.directory
    print(
        f"created {where}/: hrdd plugin {created.name} 0.1.0, package {created.package}, rule {created.rule_id}"
    )
    for path in created.files:
        print(f"  {path}")
    print(
        "\nnext:\n"
        f"  pip install -e {where}\n"
        f"  cd {where}\n"
        "  python -m pytest                         # tests/test_plugin.py (hrdd's testing kit)\n"
        "  hrdd test --policy policy.toml           # the case files under tests/\n"
        "  hrdd assess tests/transactions/example.json --policy policy.toml --format text"
    )
    return _OK


def cmd_test(args: argparse.Namespace) -> int:
    from hrdd import cases

    test_run = cases.run(args.paths or None, args.policy, lock=not args.no_lock)
    sys.stdout.write(cases.render(test_run, show_coverage=not args.no_coverage))
    if test_run.failed:
        return _FAILED
    if args.fail_uncovered and test_run.coverage.uncovered:
        return _FAILED
    return _OK
