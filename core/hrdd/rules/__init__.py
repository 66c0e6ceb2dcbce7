"""Declarative rules: company rules written as data (TOML), without code.

A policy names rules files (``rules = ["rules/acme.toml"]`` under ``[policy]`` or at the top
of the file, relative to the policy file; a policy's rules add to those of the policies it
extends) and may hold ``[[rules]]`` tables inline. Each file is validated against
``schemas/rules.schema.json``::

    [meta]
    name = "acme-rules"
    version = "2026.12.0"
    owner = "ACME Export Compliance"
    date = 2026-12-01

    [[rules]]
    id = "ACME-FR-001"
    title = "Facial recognition for a public-security end user"
    family = "item"                       # item | end_user | contract
    condition = { all = [
      { path = "item.categories", contains = "facial_recognition" },
      { path = "end_user.sector", in = ["public_security", "law_enforcement"] },
    ] }
    outcome = "escalate"
    severity = "high"
    guidance = ["draft-2019:consideration-2", "draft-2019:consideration-3"]
    message = "{item.name} would identify faces for {end_user.name} ({end_user.country})"
    remediation = "Refer the deal to the human-rights committee."
    enforcement = "mandatory"             # advisory | mandatory (default) | hard

The compiled rules run as one built-in plugin, :data:`PLUGIN_NAME`, registered in the
engine's plugin set like any other: its findings are enforced, waived, ranked and reported
exactly as plugin findings are; its ``PluginInfo`` declares every rule with its clauses (so
``hrdd coverage`` counts them); each rules file is a data set in the provenance (so ``hrdd
lock`` pins it). Every problem of every rules file stops the policy from loading (exit 2),
all at once, each with the file, the JSON path of the field and the rule's id.
"""

from __future__ import annotations

import hashlib
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hrdd.errors import PolicyError, Problem
from hrdd.rules.loader import Rule, RulesFile, check_rule, read_rules_file
from hrdd.rules.ruleset import RuleSet

if TYPE_CHECKING:
    from hrdd.plugins import LoadedPlugin
    from hrdd.policy import Policy

PLUGIN_NAME = "policy-rules"

__all__ = ["PLUGIN_NAME", "DeclaredRules", "RuleSet", "RulesError", "declared_rules", "rules_plugin"]


class RulesError(PolicyError):
    """Raised when a policy's declarative rules cannot be used (exit 2): a rules file that
    is missing or not TOML, a ``[meta]`` without provenance, a rule with an unknown field or
    operator, a value of the wrong type for its operator, a path that cannot exist in
    transaction schema version 1, an invalid or catastrophic regular expression, an unknown
    guidance clause or template placeholder, a duplicate rule id (between files, or with an
    enabled plugin's rules). Carries every problem of every rules file."""


class DeclaredRules:
    """A policy's rules, read and checked on their own (before the plugins are known)."""

    def __init__(
        self,
        rules: Sequence[Rule],
        files: Sequence[RulesFile],
        problems: Sequence[Problem],
        ids: Mapping[str, tuple[str, str]],
    ) -> None:
        self.rules = tuple(rules)
        self.files = tuple(files)
        self.problems = tuple(problems)
        self.ids = dict(ids)  # every rule id written (checked or not) -> (file, JSON path)

    def __bool__(self) -> bool:
        return bool(self.rules or self.files or self.problems)


def declared_rules(policy: Policy) -> DeclaredRules:
    """Read and check every rules file and inline rule of a policy. Never raises: the
    problems are kept, so they are reported with the plugins' (all at once)."""
    problems: list[Problem] = []
    files: list[RulesFile] = []
    tables: list[tuple[str, str, Any]] = []
    for path in policy.rules:
        read = read_rules_file(Path(path), policy.directory, problems)
        if read is None:
            continue
        files.append(read)
        tables += [(read.source, where, table) for where, table in read.tables]
    tables += list(policy.inline_rules)
    rules: list[Rule] = []
    first: dict[str, tuple[str, str]] = {}  # rule id -> where it is first defined
    for source, where, table in tables:
        rule_id = table.get("id") if isinstance(table, dict) else None
        duplicate = False
        if isinstance(rule_id, str) and rule_id in first:
            duplicate = True
            other_source, other_where = first[rule_id]
            problems.append(
                Problem(
                    source,
                    f"{where}.id",
                    f"rule {rule_id}: duplicate id (first defined in {other_source} at {other_where})",
                )
            )
        elif isinstance(rule_id, str) and rule_id:
            first[rule_id] = (source, where)
        rule = check_rule(table, source, where, problems)
        if rule is not None and not duplicate:
            rules.append(rule)
    problems += _schema_problems(files, problems)
    if policy.plugin(PLUGIN_NAME) is not None:
        problems.append(
            Problem(
                policy.source,
                f"$.plugins['{PLUGIN_NAME}']",
                f"{PLUGIN_NAME} is the name of the policy's declarative rules; a plugin cannot take it",
            )
        )
    return DeclaredRules(rules, files, problems, first)


def _schema_problems(files: Sequence[RulesFile], found: Sequence[Problem]) -> list[Problem]:
    """The published schema, as a backstop: a file the checks above accepted must satisfy
    it too (they are stricter; a disagreement is reported, never let through)."""
    from hrdd import documents

    problems: list[Problem] = []
    troubled = {problem.source for problem in found}
    validator = documents.validator("rules")
    for rules_file in files:
        if rules_file.source not in troubled and not validator.is_valid(rules_file.document):
            problems += validator.problems(rules_file.document, rules_file.source)
    return problems


def _implementation_digest() -> str:
    """sha256 over the code that evaluates rules (this package): the built-in plugin's
    counterpart of an installed plugin's files."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(f"{path.name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()


def rules_plugin(
    policy: Policy, declared: DeclaredRules, enabled: Sequence[LoadedPlugin]
) -> tuple[object, LoadedPlugin] | None:
    """The built-in plugin that runs a policy's rules: its hook implementations (to register)
    and its description; None when the policy has no rules.

    :raises RulesError: with every problem of every rules file, and every rule id that an
        enabled plugin declares too.
    """
    from hrdd.model import PluginInfo, RuleInfo
    from hrdd.plugins import LoadedPlugin, core_version
    from hrdd.policy import PluginSettings

    problems = list(declared.problems)
    owners = {rule_id: plugin.name for plugin in enabled for rule_id in plugin.rule_ids}
    for rule_id, (source, where) in declared.ids.items():
        owner = owners.get(rule_id)
        if owner is not None:
            problems.append(
                Problem(
                    source,
                    f"{where}.id",
                    f"rule {rule_id}: the id is already declared by plugin {owner}, which this policy "
                    "enables; give company rules ids of their own (ACME-...)",
                )
            )
    if problems:
        raise RulesError(problems)
    if not declared:
        return None
    rules = RuleSet(declared.rules)
    clauses: tuple[str, ...] = tuple(sorted({clause for rule in declared.rules for clause in rule.guidance}))
    # (PluginInfo and RuleInfo convert their collections to tuples; mypy's attrs plugin cannot
    # type that converter, so they are built through Any.)
    rule_info: Any = RuleInfo
    plugin_info: Any = PluginInfo
    info: PluginInfo = plugin_info(
        clauses=clauses,
        rules=tuple(rule_info(rule.id, rule.title, rule.guidance) for rule in declared.rules),
        description=f"The declarative rules of policy {policy.name} ({len(declared.rules)} rules)",
        name=PLUGIN_NAME,
        version=core_version(),
    )
    settings = PluginSettings(
        name=PLUGIN_NAME,
        policy_dir=policy.directory,
        rule_enforcement={rule.id: rule.enforcement for rule in declared.rules},
    )
    loaded = LoadedPlugin(
        name=PLUGIN_NAME,
        version=core_version(),
        sha256=_implementation_digest(),
        source="builtin",
        settings=settings,
        info=info,
        config={},
        data=tuple(f.dataset for f in declared.files if f.dataset is not None),
        state=rules,
    )
    return _hooks(rules), loaded


def _hooks(rules: RuleSet) -> object:
    """The hook implementations of the built-in plugin: one per family that has rules (a
    family without rules is not a check, so it is not reported as one)."""
    from hrdd import hookimpl

    hooks: dict[str, Any] = {}
    if rules.family("item"):

        @hookimpl
        def hrdd_check_item(item: Any, transaction: Any) -> list[Any]:
            return rules.check_item(item, transaction)

        hooks["hrdd_check_item"] = hrdd_check_item
    if rules.family("end_user"):

        @hookimpl
        def hrdd_check_end_user(transaction: Any) -> list[Any]:
            return rules.check("end_user", transaction)

        hooks["hrdd_check_end_user"] = hrdd_check_end_user
    if rules.family("contract"):

        @hookimpl
        def hrdd_check_contract(transaction: Any) -> list[Any]:
            return rules.check("contract", transaction)

        hooks["hrdd_check_contract"] = hrdd_check_contract
    return types.SimpleNamespace(**hooks)
