"""The ``hrdd`` command line: a thin layer over the Python API.

Exit codes: 0 completed; 1 completed and the ``--fail-on`` threshold was reached; 2 bad
input or policy (nothing assessed, one line per problem on stderr); 3 internal error.
Imports beyond ``argparse`` happen inside commands so ``hrdd --help`` starts fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_THRESHOLD = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3

DECISION_ORDER = ("proceed", "proceed_with_safeguards", "escalate", "do_not_proceed")


def _write_output(text: str, output: str | None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    from hrdd.errors import InputError

    path = Path(output)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise InputError.single(str(path), "-o", f"cannot write the report: {exc.strerror}") from None


def cmd_assess(args: argparse.Namespace) -> int:
    from hrdd import documents
    from hrdd.engine import Engine
    from hrdd.errors import TransactionError

    engine = Engine.from_policy(args.policy)
    if args.transaction == "-":
        document = documents.parse_json(sys.stdin.read(), "<stdin>", TransactionError)
        assessment = engine.assess(document, source="<stdin>")
    else:
        assessment = engine.assess_file(args.transaction)
    _write_output(engine.render(assessment, args.format), args.output)
    if args.fail_on and DECISION_ORDER.index(assessment.decision.value) >= DECISION_ORDER.index(args.fail_on):
        return EXIT_THRESHOLD
    return EXIT_OK


def _plugin_rows() -> list[dict[str, Any]]:
    from hrdd.plugins import installed_plugins

    rows = []
    for plugin in installed_plugins().values():
        hooks: set[str] = set()
        modules = []
        for entry_point in plugin.entry_points:
            modules.append(entry_point.value)
            try:
                loaded = entry_point.load()
            except Exception as exc:  # listed, not fatal: the user is trying to find out why
                hooks.add(f"<import failed: {type(exc).__name__}: {exc}>")
                continue
            # only functions marked with @hookimpl are hooks (pluggy ignores the others)
            hooks.update(
                name
                for name in dir(loaded)
                if name.startswith("hrdd_") and hasattr(getattr(loaded, name), "hrdd_impl")
            )
        rows.append(
            {"name": plugin.name, "version": plugin.version, "modules": modules, "hooks": sorted(hooks)}
        )
    return rows


def cmd_plugins(args: argparse.Namespace) -> int:
    import json

    from hrdd.plugins import core_version

    rows = _plugin_rows()
    builtin = {
        "name": "hrdd.renderers (built-in)",
        "version": core_version(),
        "modules": ["hrdd.renderers"],
        "hooks": ["hrdd_render", "hrdd_render_formats"],
    }
    if args.json:
        sys.stdout.write(
            json.dumps({"core": core_version(), "plugins": rows, "builtin": [builtin]}, indent=2) + "\n"
        )
        return EXIT_OK
    print(f"hrdd {core_version()}")
    if not rows:
        print("no plugins installed (entry-point group 'hrdd')")
    for row in [*rows, builtin]:
        print(f"{row['name']} {row['version']}")
        print(f"  module: {', '.join(row['modules'])}")
        print(f"  hooks:  {', '.join(row['hooks']) or 'none'}")
    return EXIT_OK


def cmd_coverage(args: argparse.Namespace) -> int:
    import json

    from hrdd.coverage import coverage_map, render_coverage
    from hrdd.engine import Engine

    coverage = coverage_map(Engine.from_policy(args.policy))
    if args.json:
        sys.stdout.write(json.dumps(coverage.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(render_coverage(coverage))
    return EXIT_THRESHOLD if args.fail_uncovered and coverage.uncovered else EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from hrdd import documents

    sys.stdout.write(documents.schema_path(args.name).read_text(encoding="utf-8"))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hrdd",
        description="Human-rights due diligence for exports of items with surveillance capabilities.",
        epilog="Exit codes: 0 completed; 1 --fail-on threshold reached; 2 bad input or policy; 3 internal error.",
    )
    parser.add_argument("--version", action="store_true", help="print the core version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    assess = commands.add_parser("assess", help="assess one transaction (JSON or TOML) and print the report")
    assess.add_argument(
        "transaction", metavar="TX", help="transaction document (.json or .toml; - for JSON on stdin)"
    )
    assess.add_argument("--policy", "-p", help="policy file or built-in policy name (default: baseline)")
    assess.add_argument("--format", "-f", default="json", help="report format: json (default), text, ...")
    assess.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    assess.add_argument(
        "--fail-on",
        choices=("escalate", "do_not_proceed"),
        help="exit 1 when the decision is this or worse",
    )
    assess.set_defaults(handler=cmd_assess)

    plugins = commands.add_parser("plugins", help="list installed plugins with their versions and hooks")
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    plugins.set_defaults(handler=cmd_plugins)

    coverage = commands.add_parser(
        "coverage", help="which plugins and rules cover each clause of the guidance under a policy"
    )
    coverage.add_argument("--policy", "-p", help="policy file or built-in policy name (default: baseline)")
    coverage.add_argument("--json", action="store_true", help="machine-readable output")
    coverage.add_argument(
        "--fail-uncovered", action="store_true", help="exit 1 when any clause is not covered"
    )
    coverage.set_defaults(handler=cmd_coverage)

    schema = commands.add_parser("schema", help="print a published JSON Schema")
    schema.add_argument("name", choices=("transaction", "policy", "report"), help="which document's schema")
    schema.set_defaults(handler=cmd_schema)
    return parser


def _add_plugin_commands(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Commands from installed plugins (entry-point group ``hrdd.commands``): listed by name;
    only the one being run is imported and given its arguments."""
    from hrdd.commands import load_command, plugin_commands

    found = plugin_commands()
    if not found:
        return
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    wanted = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, entry_point in sorted(found.items()):
        if name in commands.choices:
            continue  # a core command is never shadowed
        dist = entry_point.dist.name if entry_point.dist is not None else "a plugin"
        if name != wanted:
            commands.add_parser(name, help=f"(from {dist}; hrdd {name} --help)", add_help=False)
            continue
        command = load_command(entry_point)
        sub = commands.add_parser(name, help=command.help, description=command.description or command.help)
        command.add_arguments(sub)
        sub.set_defaults(handler=command.run)


def main(argv: Sequence[str] | None = None) -> int:
    from hrdd.errors import InputError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        _add_plugin_commands(parser, argv)
    except InputError as exc:
        for problem in exc.problems:
            print(f"hrdd: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    args = parser.parse_args(argv)
    if args.version:
        from hrdd.plugins import core_version

        print(f"hrdd {core_version()}")
        return EXIT_OK
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return handler(args)
    except InputError as exc:
        for problem in exc.problems:
            print(f"hrdd: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hrdd: interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("HRDD_DEBUG"):
            raise
        print(
            f"hrdd: internal error: {type(exc).__name__}: {exc} (set HRDD_DEBUG=1 for a traceback; "
            "please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
