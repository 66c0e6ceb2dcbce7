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
    from hrdd.files import write_atomically

    path = Path(output)
    try:
        if path.exists() and not path.is_file():
            # a device or pipe (-o /dev/null, -o /dev/stderr): written to, never replaced
            # by a file (renaming over /dev/null, as root, would remove the device)
            with path.open("w", encoding="utf-8") as target:
                target.write(text)
            return
        write_atomically(path, text)
    except OSError as exc:
        raise InputError.single(str(path), "-o", f"cannot write the report: {exc.strerror}") from None


def cmd_assess(args: argparse.Namespace) -> int:
    from hrdd import documents
    from hrdd.engine import Engine
    from hrdd.errors import TransactionError

    engine = Engine.from_policy(args.policy, lock=_lock_choice(args))
    from hrdd.audit import append_before_reporting, assess_log

    log = assess_log(engine, args.log)  # --log or the policy's [log]; checked before assessing
    if args.transaction == "-":
        document = documents.parse_json(sys.stdin.read(), "<stdin>", TransactionError)
        assessment = engine.assess(document, source="<stdin>")
    else:
        document = documents.read_document(Path(args.transaction), TransactionError)
        assessment = engine.assess(document, source=args.transaction)
    rendered = engine.render(assessment, args.format)
    if log is not None and not append_before_reporting(log, assessment, document):
        return EXIT_INTERNAL  # never report a decision that was not logged
    _write_output(rendered, args.output)
    if args.fail_on and DECISION_ORDER.index(assessment.decision.value) >= DECISION_ORDER.index(args.fail_on):
        return EXIT_THRESHOLD
    return EXIT_OK


def _lock_choice(args: argparse.Namespace) -> str | bool:
    """``--no-lock``: skip (recorded in provenance); ``--lock FILE``: that lock must match;
    otherwise the lock beside the policy, when there is one."""
    if getattr(args, "no_lock", False):
        return False
    return getattr(args, "lock", None) or True


def _add_lock_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--lock",
        metavar="FILE",
        help="check against this lock (default: <policy>.lock beside the policy, if any)",
    )
    group.add_argument(
        "--no-lock",
        action="store_true",
        help="do not check the lock (development only; reports record provenance.lock.status = skipped)",
    )


def cmd_lock(args: argparse.Namespace) -> int:
    from hrdd import lock as locking
    from hrdd.engine import Engine
    from hrdd.errors import InputError

    engine = Engine.from_policy(args.policy, lock=False)
    path = Path(args.output) if args.output else locking.lock_path_for(engine.policy)
    if path is None:
        raise InputError.single(
            engine.policy.source,
            "--policy",
            "a built-in policy has no directory to hold its lock: give -o FILE (and --lock FILE to assess)",
        )
    text = locking.write_lock(engine, path)
    counts = {table: text.count(f"[[{table}]]") for table in ("policy", "plugins", "data")}
    print(
        f"wrote {path}: core, {counts['policy']} policy file(s), {counts['plugins']} plugin(s), "
        f"{counts['data']} data file(s) locked"
    )
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from hrdd import lock as locking
    from hrdd.engine import Engine
    from hrdd.errors import InputError

    policy = args.policy
    if args.lock is None:
        from hrdd.policy import Policy

        loaded = Policy.load(policy)
        path = locking.lock_path_for(loaded)
        if path is None or not path.is_file():
            raise InputError.single(
                loaded.source,
                "--lock",
                f"no lock to verify ({path or 'built-in policy'}): run `hrdd lock` first",
            )
        policy = loaded
    else:
        path = Path(args.lock)
    engine = Engine.from_policy(policy, lock=path)
    record = engine.lock_record or {}
    print(
        f"{path}: verified; core, policy {engine.policy.name} {engine.policy.version}, "
        f"{len(engine.plugins.plugins)} plugin(s) and their data match the lock (sha256 {str(record.get('sha256'))[:12]})"
    )
    return EXIT_OK


def cmd_replay(args: argparse.Namespace) -> int:
    from hrdd.replay import replay

    found, stored, replayed = replay(
        Path(args.report),
        Path(args.transaction) if args.transaction else None,
        args.policy,
        _lock_choice(args),
    )
    policy = replayed["provenance"]["policy"]
    head = (
        f"replay of {stored.get('transaction_id')} (assessed {stored['provenance']['assessed_at']}, as of "
        f"{replayed['provenance']['as_of']}) under {policy['name']} {policy['version']}"
    )
    if not found:
        print(
            f"{head}: the same. Decision {replayed['decision']}, {len(replayed['findings'])} findings and "
            f"{len(replayed['waived'])} waived the same; core, policy, {len(replayed['provenance']['plugins'])} "
            f"plugins and {len(replayed['provenance']['data'])} data sets the same (sha256)."
        )
        return EXIT_OK
    print(f"{head}: {len(found)} difference(s)")
    for difference in found:
        print(f"  - {difference}")
    return EXIT_THRESHOLD


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

    from hrdd.plugins import BUILTIN_PLUGINS, core_version

    rows = _plugin_rows()
    builtins = [
        {
            "name": f"{module} (built-in)",
            "version": core_version(),
            "modules": [module],
            "hooks": ["hrdd_render", "hrdd_render_formats"],
        }
        for module in BUILTIN_PLUGINS
    ]
    if args.json:
        sys.stdout.write(
            json.dumps({"core": core_version(), "plugins": rows, "builtin": builtins}, indent=2) + "\n"
        )
        return EXIT_OK
    print(f"hrdd {core_version()}")
    if not rows:
        print("no plugins installed (entry-point group 'hrdd')")
    for row in [*rows, *builtins]:
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
    from hrdd.errors import InputError

    names = documents.available_schemas()
    if args.name == "list":
        print("\n".join(names))
        return EXIT_OK
    if args.name not in names:
        raise InputError.single(
            "hrdd schema", "NAME", f"unknown schema {args.name!r}; published: {', '.join(names)}"
        )
    sys.stdout.write(documents.schema_path(args.name).read_text(encoding="utf-8"))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    """``hrdd diff``: exit 2 when some corpus lines could not be compared (after writing the
    report of every other line), else 1 with ``--fail-on-change`` when a transaction changed."""
    from hrdd.policydiff import parse_date, run_diff

    diff, first_errors = run_diff(
        args.old,
        args.new,
        args.corpus,
        format=args.format,
        output=args.output,
        as_of=parse_date(args.as_of, "--as-of") if args.as_of else None,
        lock=not args.no_lock,
    )
    for error in first_errors:
        for problem in error.problems:
            print(f"hrdd: {problem}", file=sys.stderr)
    if diff.errors > len(first_errors):
        print(f"hrdd: {diff.errors - len(first_errors)} more invalid lines (see the report)", file=sys.stderr)
    if diff.errors:
        return EXIT_BAD_INPUT
    return EXIT_THRESHOLD if args.fail_on_change and diff.changed else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from hrdd.audit import add_audit_command, add_log_option
    from hrdd.authoring import add_authoring_commands
    from hrdd.batchcmd import add_batch_command
    from hrdd.report_cli import add_report_command

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
    assess.add_argument(
        "--format", "-f", default="json", help="report format: json (default), text, markdown, html, ..."
    )
    assess.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    assess.add_argument(
        "--fail-on",
        choices=("escalate", "do_not_proceed"),
        help="exit 1 when the decision is this or worse",
    )
    _add_lock_options(assess)
    add_log_option(assess)
    assess.set_defaults(handler=cmd_assess)
    add_batch_command(commands)  # hrdd batch IN.jsonl -o OUT.jsonl (hrdd.batch)

    lock = commands.add_parser(
        "lock", help="write <policy>.lock pinning the core, policy, plugin and data versions (sha256)"
    )
    lock.add_argument("--policy", "-p", help="policy file or built-in policy name (default: baseline)")
    lock.add_argument(
        "--output", "-o", metavar="FILE", help="where to write the lock (default: beside the policy)"
    )
    lock.set_defaults(handler=cmd_lock)

    replay = commands.add_parser(
        "replay", help="assess a stored report's transaction again and show any difference (exit 1)"
    )
    replay.add_argument(
        "report", metavar="REPORT.json", help="a stored JSON report (or a decision-log record)"
    )
    replay.add_argument("transaction", metavar="TX.json", nargs="?", help="the transaction it assessed")
    replay.add_argument("--policy", "-p", help="policy to replay under (default: the one the report names)")
    _add_lock_options(replay)
    replay.set_defaults(handler=cmd_replay)

    verify = commands.add_parser(
        "verify", help="check the installed state against the policy's lock, without assessing"
    )
    verify.add_argument("--policy", "-p", help="policy file or built-in policy name (default: baseline)")
    verify.add_argument(
        "--lock", metavar="FILE", help="the lock to check (default: <policy>.lock beside the policy)"
    )
    verify.set_defaults(handler=cmd_verify)

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
    schema.add_argument(
        "name",
        help="which document's schema: transaction, policy, report, lock, waivers, rules, testcase, "
        "batch-line, diff; `list` names them all",
    )
    schema.set_defaults(handler=cmd_schema)

    diff = commands.add_parser(
        "diff", help="policy impact: assess a JSON Lines corpus under two policies and list what changes"
    )
    diff.add_argument("corpus", metavar="CORPUS", help="transactions, one JSON document per line (.jsonl)")
    diff.add_argument(
        "--old", required=True, metavar="POLICY", help="the current policy (file or built-in name)"
    )
    diff.add_argument(
        "--new", required=True, metavar="POLICY", help="the proposed policy (file or built-in name)"
    )
    diff.add_argument(
        "--format", "-f", choices=("text", "json"), default="text", help="text (default) or json"
    )
    diff.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    diff.add_argument(
        "--fail-on-change", action="store_true", help="exit 1 when any transaction's assessment changed"
    )
    diff.add_argument(
        "--as-of", metavar="DATE", help="assess every transaction as of DATE (YYYY-MM-DD; default: today)"
    )
    diff.add_argument(
        "--no-lock", action="store_true", help="do not check either policy against the lock beside it"
    )
    diff.set_defaults(handler=cmd_diff)

    add_audit_command(commands)  # hrdd audit verify LOG (the decision log)
    add_authoring_commands(commands)  # hrdd new-plugin NAME, hrdd test [PATH ...]
    add_report_command(commands)  # hrdd report public DECISIONS.jsonl (the transparency report)
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


def _check_environment() -> None:
    """The environment variables hrdd reads, checked before any command builds an engine (a
    bad value is the user's to fix, not an internal error).

    :raises InputError: ``HRDD_MEMORY_SCALE`` is set to something other than a positive number.
    """
    from hrdd.errors import InputError
    from hrdd.memory import SCALE_VARIABLE, memory_scale

    try:
        memory_scale()
    except ValueError as exc:
        message = str(exc).removeprefix(f"{SCALE_VARIABLE}=")
        raise InputError.single("environment", SCALE_VARIABLE, message) from None


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
        if getattr(args, "memory_scale", None) is None:  # else the option stands in for it
            _check_environment()
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
