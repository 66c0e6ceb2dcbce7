"""Reading rules files and inline ``[[rules]]`` tables, and checking every rule: each
problem is collected with the file, the JSON path of the field and the rule's id, so a
policy team sees all of them at once.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from hrdd import documents
from hrdd.errors import Problem
from hrdd.model import RULE_ID_PATTERN, DataSet, Enforcement, Outcome, Severity
from hrdd.rules.conditions import (
    COMBINATORS,
    MAX_DEPTH,
    OPERATORS,
    AllOf,
    AnyOf,
    Condition,
    Leaf,
    Not,
    OperandError,
    check_operand,
    kind_of,
)
from hrdd.rules.paths import PathError, compile_path
from hrdd.rules.templates import Template, TemplateError, compile_template

FAMILIES = ("item", "end_user", "contract")
OUTCOMES = ("info", "safeguards_required", "escalate", "do_not_proceed")
RULE_FIELDS = (
    "id",
    "title",
    "family",
    "condition",
    "outcome",
    "severity",
    "guidance",
    "message",
    "remediation",
    "enforcement",
)
REQUIRED_FIELDS = tuple(field for field in RULE_FIELDS if field != "enforcement")
META_REQUIRED = ("name", "version", "owner", "date")
META_OPTIONAL = ("source", "licence", "description")
RESERVED_PREFIX = "HRDD-CORE-"  # the framework's own rules (a check that could not run...)
CATALOGUE = ("guidance", "draft-2019.toml")  # under the shipped policies/ directory

_RULE_ID = re.compile(RULE_ID_PATTERN)
# What other rule languages call the operators (for "did you mean").
_OPERATOR_ALIASES = {
    "gte": "ge",
    "lte": "le",
    "neq": "ne",
    "equals": "eq",
    "is": "eq",
    "nin": "not_in",
    "notin": "not_in",
    "has": "contains",
    "includes": "contains",
    "has_any": "contains_any",
    "any_of": "contains_any",
    "has_all": "contains_all",
    "all_of": "contains_all",
    "regex": "matches",
    "match": "matches",
    "like": "matches",
    "present": "exists",
}


@attrs.frozen(eq=False)
class Rule:
    """One declarative rule, checked and compiled.

    :ivar source: the file it was read from (a rules file or a policy with inline rules).
    :ivar where: its JSON path in that file (``$.rules[3]``).
    """

    id: str
    title: str
    family: str
    condition: Condition
    outcome: Outcome
    severity: Severity
    guidance: tuple[str, ...]
    message: Template
    remediation: Template
    enforcement: Enforcement
    source: str
    where: str


@attrs.frozen(eq=False)
class RulesFile:
    """A rules file as read: its provenance and its rule tables (not yet checked)."""

    path: Path
    source: str  # as problems name it (display_path)
    dataset: DataSet | None
    tables: tuple[tuple[str, Any], ...]  # (JSON path, table)
    document: Any = attrs.field(default=None, repr=False)  # as parsed, TOML dates as ISO strings


@functools.cache
def known_clauses() -> tuple[str, ...]:
    """The clause ids of the guidance catalogue (``policies/guidance/draft-2019.toml``)."""
    from hrdd.data import load_data_file

    data, _ = load_data_file(documents.resource_dir("policies").joinpath(*CATALOGUE))
    return tuple(str(row["id"]) for row in data.get("clauses", ()) if isinstance(row, dict) and "id" in row)


def _did_you_mean(word: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def display_path(path: Path) -> str:
    """A rules file as problems name it: relative to the working directory when it lies
    below it (as the user would type it), else absolute."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def label_path(path: Path, policy_dir: Path) -> str:
    """A rules file as reports and locks name it: relative to the policy's directory."""
    try:
        return Path(os.path.relpath(path, policy_dir)).as_posix()
    except ValueError:  # another drive (Windows)
        return path.as_posix()


# --------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------


def read_rules_file(path: Path, policy_dir: Path, problems: list[Problem]) -> RulesFile | None:
    """Read one rules file: its ``[meta]`` (the provenance every report names) and its rule
    tables. Problems are appended; None when nothing of the file can be used."""
    source = display_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(source, "$", "no such rules file (named in the policy's rules)"))
        return None
    except OSError as error:
        problems.append(Problem(source, "$", f"cannot read the rules file: {error.strerror or error}"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.append(Problem(source, "$", f"not UTF-8 text: {error.reason} at byte {error.start}"))
        return None
    try:
        from hrdd.errors import PolicyError

        data = documents.toml_plain(documents.parse_toml(text, source, PolicyError))
    except PolicyError as error:
        problems.extend(error.problems)
        return None
    for key in sorted(set(data) - {"meta", "rules"}):
        problems.append(
            Problem(
                source,
                f"$.{key}",
                f"unknown field {key!r}{_did_you_mean(key, ['meta', 'rules'])}; "
                "a rules file has a [meta] table and [[rules]] tables",
            )
        )
    dataset = _meta(
        data.get("meta"), source, label_path(path, policy_dir), hashlib.sha256(raw).hexdigest(), problems
    )
    rows = data.get("rules")
    if rows is None:
        problems.append(Problem(source, "$.rules", "is required: the file's [[rules]] tables"))
        rows = []
    elif not isinstance(rows, list):
        problems.append(Problem(source, "$.rules", f"expected [[rules]] tables, got {kind_of(rows)}"))
        rows = []
    tables = tuple((f"$.rules[{index}]", row) for index, row in enumerate(rows))
    return RulesFile(path, source, dataset, tables, data)


def _meta(meta: Any, source: str, label: str, sha256: str, problems: list[Problem]) -> DataSet | None:
    if not isinstance(meta, dict):
        problems.append(
            Problem(
                source,
                "$.meta",
                "missing [meta] table with the rules' provenance (name, version, owner, date; "
                "optionally source, licence, description)",
            )
        )
        return None
    before = len(problems)
    known = [*META_REQUIRED, *META_OPTIONAL]
    for key in sorted(set(meta) - set(known)):
        hint = (
            " (the rules belong in [[rules]] tables; a key written after [meta] belongs to it)"
            if key == "rules"
            else _did_you_mean(key, known)
        )
        problems.append(
            Problem(
                source, f"$.meta.{key}", f"unknown field {key!r}{hint}; [meta] fields: {', '.join(known)}"
            )
        )
    for key in META_REQUIRED:
        value = meta.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(
                Problem(
                    source,
                    f"$.meta.{key}",
                    "is required (rules must say who owns them, their version and date): a non-empty string",
                )
            )
    for key in META_OPTIONAL:
        if key in meta and not isinstance(meta[key], str):
            problems.append(Problem(source, f"$.meta.{key}", f"expected a string, got {kind_of(meta[key])}"))
    date = meta.get("date")
    if isinstance(date, str) and date.strip() and not _is_date(date):
        problems.append(Problem(source, "$.meta.date", f"{date!r} is not a date (YYYY-MM-DD)"))
    if len(problems) > before:
        return None
    owner, origin = str(meta["owner"]), meta.get("source")
    return DataSet(
        name=str(meta["name"]),
        version=str(meta["version"]),
        sha256=sha256,
        source=f"{owner}; {origin}" if origin else owner,
        licence=str(meta.get("licence") or "not stated"),
        date=str(meta["date"]),
        path=label,
    )


def _is_date(text: str) -> bool:
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


class _Checker:
    """Checks one rule table, appending a problem for each field that is wrong."""

    def __init__(self, source: str, where: str, label: str, problems: list[Problem]) -> None:
        self.source, self.where, self.label, self.problems = source, where, label, problems
        self.failed = False

    def problem(self, field: str, message: str) -> None:
        self.failed = True
        self.problems.append(Problem(self.source, f"{self.where}{field}", f"{self.label}: {message}"))


def rule_label(table: Any, where: str) -> str:
    rule_id = table.get("id") if isinstance(table, dict) else None
    return f"rule {rule_id}" if isinstance(rule_id, str) and rule_id else f"rule at {where} (no id)"


def check_rule(table: Any, source: str, where: str, problems: list[Problem]) -> Rule | None:
    """Check and compile one rule table; None (with problems appended) when it is wrong."""
    label = rule_label(table, where)
    check = _Checker(source, where, label, problems)
    if not isinstance(table, dict):
        check.problem("", f"a rule is a table ([[rules]]), got {kind_of(table)}")
        return None
    for key in sorted(set(table) - set(RULE_FIELDS), key=str):
        check.problem(
            f".{key}",
            f"unknown field {key!r}{_did_you_mean(str(key), RULE_FIELDS)}; "
            f"a rule's fields: {', '.join(RULE_FIELDS)}",
        )
    for key in REQUIRED_FIELDS:
        if key not in table:
            check.problem(f".{key}", f"{key} is required")
    rule_id = table.get("id")
    if "id" in table:
        if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
            check.problem(
                ".id",
                f"{rule_id!r} is not a rule id: capital letters and digits in hyphen-separated parts, "
                "starting with the company's prefix (ACME-FR-001)",
            )
        elif rule_id.startswith(RESERVED_PREFIX):
            check.problem(".id", f"ids starting {RESERVED_PREFIX} are hrdd's own; use the company's prefix")
    title = _text_field(check, table, "title")
    family = _choice(check, table, "family", FAMILIES)
    item_rule = family in (None, "item")  # an unknown family: check paths as leniently as possible
    condition = None
    if "condition" in table:
        condition = check_condition(table["condition"], ".condition", check, item_rule, 1)
    outcome = _choice(check, table, "outcome", OUTCOMES)
    severity = _choice(check, table, "severity", tuple(s.value for s in Severity))
    guidance = _guidance(check, table)
    message = _template(check, table, "message", item_rule)
    remediation = _template(check, table, "remediation", item_rule)
    enforcement = _choice(check, table, "enforcement", tuple(e.value for e in Enforcement))
    if check.failed:
        return None
    assert isinstance(rule_id, str) and title and family and outcome and severity and message and remediation
    assert condition is not None and guidance is not None
    return Rule(
        id=rule_id,
        title=title,
        family=family,
        condition=condition,
        outcome=Outcome(outcome),
        severity=Severity(severity),
        guidance=guidance,
        message=message,
        remediation=remediation,
        enforcement=Enforcement(enforcement or "mandatory"),
        source=source,
        where=where,
    )


def _text_field(check: _Checker, table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key)
    if key not in table:
        return None
    if not isinstance(value, str) or not value.strip():
        check.problem(f".{key}", f"{key} must be a non-empty string, got {kind_of(value)} {value!r}")
        return None
    return value


def _choice(check: _Checker, table: Mapping[str, Any], key: str, allowed: Sequence[str]) -> str | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, str) or value not in allowed:
        hint = _did_you_mean(value, allowed) if isinstance(value, str) else ""
        check.problem(f".{key}", f"{value!r} is not a valid {key}{hint}; one of: {', '.join(allowed)}")
        return None
    return value


def _guidance(check: _Checker, table: Mapping[str, Any]) -> tuple[str, ...] | None:
    if "guidance" not in table:
        return None
    value = table["guidance"]
    if not isinstance(value, list) or not value:
        check.problem(
            ".guidance",
            f"guidance must be a non-empty list of clause ids (draft-2019:consideration-3), got {kind_of(value)}",
        )
        return None
    known = known_clauses()
    clauses: list[str] = []
    wrong = False
    for index, clause in enumerate(value):
        if not isinstance(clause, str) or clause not in known:
            hint = _did_you_mean(clause, known) if isinstance(clause, str) else ""
            check.problem(
                f".guidance[{index}]",
                f"{clause!r} is not a clause of the guidance catalogue{hint}; `hrdd coverage` lists them "
                "(docs/guidance-clauses.md)",
            )
            wrong = True
        elif clause not in clauses:
            clauses.append(clause)
    return None if wrong else tuple(clauses)


def _template(check: _Checker, table: Mapping[str, Any], key: str, item_rule: bool) -> Template | None:
    text = _text_field(check, table, key)
    if text is None:
        return None
    try:
        return compile_template(text, item_rule=item_rule)
    except TemplateError as error:
        check.problem(f".{key}", str(error))
        return None


def check_condition(node: Any, field: str, check: _Checker, item_rule: bool, depth: int) -> Condition | None:
    """Check and compile one condition (recursively); None when any part of it is wrong."""
    if depth > MAX_DEPTH:
        check.problem(field, f"the condition is nested more than {MAX_DEPTH} levels deep")
        return None
    if not isinstance(node, dict):
        check.problem(
            field,
            "a condition is a table: { all = [...] }, { any = [...] }, { not = {...} } or "
            f'{{ path = "...", <operator> = ... }}; got {kind_of(node)}',
        )
        return None
    combinators = [key for key in COMBINATORS if key in node]
    if combinators:
        if len(node) != 1:
            check.problem(
                field,
                "a condition has exactly one of all, any, not, or a path with one operator; this one has "
                + ", ".join(sorted(map(str, node))),
            )
            return None
        key = combinators[0]
        inner = node[key]
        if key == "not":
            child = check_condition(inner, f"{field}.not", check, item_rule, depth + 1)
            return Not(child) if child is not None else None
        if not isinstance(inner, list) or not inner:
            check.problem(
                f"{field}.{key}", f"{key} takes a non-empty list of conditions, got {kind_of(inner)}"
            )
            return None
        children = [
            check_condition(child, f"{field}.{key}[{index}]", check, item_rule, depth + 1)
            for index, child in enumerate(inner)
        ]
        if any(child is None for child in children):
            return None
        built = tuple(child for child in children if child is not None)
        return AllOf(built) if key == "all" else AnyOf(built)
    if "path" not in node:
        keys = sorted(map(str, node))
        hint = _did_you_mean(keys[0], [*COMBINATORS, "path"]) if keys else ""
        check.problem(
            field,
            "a condition needs all, any, not, or a path with an operator; got "
            f"{', '.join(keys) or 'an empty table'}{hint}",
        )
        return None
    operators = [str(key) for key in node if key != "path"]
    unknown = [key for key in operators if key not in OPERATORS]
    for key in sorted(map(str, unknown)):
        alias = _OPERATOR_ALIASES.get(key.lower())
        hint = f" (did you mean {alias!r}?)" if alias else _did_you_mean(key, OPERATORS)
        check.problem(f"{field}.{key}", f"unknown operator {key!r}{hint}; operators: {', '.join(OPERATORS)}")
    known = [key for key in operators if key in OPERATORS]
    path = None
    try:
        path = compile_path(node["path"], item_rule=item_rule)
    except PathError as error:
        check.problem(f"{field}.path", str(error))
    if unknown:
        return None
    if not known:
        check.problem(field, f"the test on {node['path']!r} has no operator; one of: {', '.join(OPERATORS)}")
        return None
    if len(known) > 1:
        check.problem(
            field,
            f"one operator per test, and this one has {', '.join(known)}: write a test for each under all",
        )
        return None
    if path is None:
        return None
    operator = known[0]
    try:
        value, predicate = check_operand(path, operator, node[operator])
    except OperandError as error:
        check.problem(f"{field}.{operator}", str(error))
        return None
    return Leaf(path, operator, value, predicate)
