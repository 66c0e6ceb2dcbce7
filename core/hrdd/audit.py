"""The decision log on the command line: ``hrdd assess --log`` and ``hrdd audit verify``.

``hrdd.cli`` registers these; the log itself is ``hrdd.decisionlog``. Only ``argparse`` is
imported at module level so ``hrdd --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hrdd.decisionlog import DecisionLog
    from hrdd.engine import Engine
    from hrdd.model import Assessment

# The CLI's exit codes (hrdd.cli): 0 intact, 1 broken chain, 2 not a log, 3 could not log.
_OK, _BROKEN, _INTERNAL = 0, 1, 3


def add_log_option(assess: argparse.ArgumentParser) -> None:
    """``hrdd assess --log TARGET``."""
    assess.add_argument(
        "--log",
        metavar="TARGET",
        help="append the decision to this decision log before reporting it: a JSON Lines file or "
        "sqlite:///PATH (overrides the policy's [log] target; exit 3 when it cannot be written)",
    )


def add_audit_command(commands: Any) -> None:
    """``hrdd audit verify LOG`` (``commands``: the CLI's subparsers action)."""
    audit = commands.add_parser("audit", help="check a decision log (hrdd audit verify LOG)")
    subcommands = audit.add_subparsers(dest="audit_command", metavar="SUBCOMMAND", required=True)
    verify = subcommands.add_parser(
        "verify",
        help="check a decision log's hash chain and report the first broken record",
        description="Check every record of a decision log (a JSON Lines file or sqlite:///PATH): "
        "exit 0 when the chain is intact, 1 at the first broken record (edited, deleted, reordered, "
        "inserted or truncated), 2 when the log is missing or is not a decision log.",
    )
    verify.add_argument("log", metavar="LOG", help="the decision log: a JSON Lines file or sqlite:///PATH")
    verify.add_argument("--json", action="store_true", help="machine-readable output")
    verify.add_argument(
        "--expect-head",
        metavar="HASH",
        help="a last hash printed by an earlier audit verify and kept outside the log: the log must "
        "still contain that record (records cut from its end, or a log rewritten from scratch, fail)",
    )
    verify.set_defaults(handler=cmd_audit_verify)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    import json

    from hrdd.decisionlog import verify

    result = verify(args.log)
    expected: dict[str, Any] | None = None
    if result.intact and args.expect_head:
        from hrdd.decisionlog import find_head

        head = args.expect_head.strip().lower()
        seq = find_head(args.log, head)
        expected = {"head": head, "found": seq is not None, "seq": seq}
    if args.json:
        document = result.to_dict()
        if expected is not None:
            document["expected_head"] = expected
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        print(result.summary())
        if result.intact and result.records:
            print(f"{args.log}: last hash {result.head}")
        if expected is not None:
            if expected["found"]:
                since = result.records - int(expected["seq"])
                print(
                    f"{args.log}: the expected head {expected['head'][:12]} is record seq {expected['seq']}; "
                    f"{since} record(s) appended since"
                )
            else:
                print(
                    f"{args.log}: the expected head {expected['head'][:12]} is not in the log: records were "
                    "cut from its end, or the log was rewritten"
                )
    if not result.intact or (expected is not None and not expected["found"]):
        return _BROKEN
    return _OK


def assess_log(engine: Engine, target: str | None) -> tuple[DecisionLog, bool] | None:
    """The log ``hrdd assess`` appends to (``--log`` or the policy's ``[log]`` target, with
    the policy's masks) and whether logging is required; None when there is no log.

    :raises InputError: the target is malformed (nothing is assessed).
    """
    from hrdd.decisionlog import open_policy_log

    log = open_policy_log(engine.policy, target)
    if log is None:
        return None
    settings = engine.policy.log
    return log, target is not None or settings is None or settings.required


def append_before_reporting(log: tuple[DecisionLog, bool], assessment: Assessment, document: Any) -> bool:
    """Append the decision; False when it could not be and the log is required (the CLI then
    reports nothing and exits 3). A log the policy marks ``required = false`` only warns."""
    from hrdd.decisionlog import log_assessment
    from hrdd.errors import DecisionLogError

    decision_log, required = log
    try:
        log_assessment(decision_log, assessment, document)
    except DecisionLogError as exc:
        if required:
            print(f"hrdd: {exc}; the decision was not reported", file=sys.stderr)
            return False
        print(f"hrdd: warning: {exc}; reported anyway (the policy's [log] is not required)", file=sys.stderr)
    finally:
        decision_log.close()
    return True
