"""A policy's compiled rules, evaluated per hook family: once per item (``item``), once per
transaction (``end_user``, ``contract``).

Every path the rules read (in conditions and in message templates) is read once per
transaction, and an item rule's ``item.*`` paths once per item, into a vector; each family's
compiled evaluator tests every rule on that vector. Only a rule that fires is explained (its
evidence read again from the model) and its message rendered; the finding is remembered by
the values the rule read, so a rule that fires the same way deal after deal costs a lookup
and hands the engine the same immutable finding (which the engine then enforces and ranks
once).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from hrdd.model import Finding, Item, Transaction
from hrdd.rules.conditions import (
    Leaf,
    compile_evaluator,
    compile_explainer,
    evidence_records,
    leaves,
    summariser,
    summary_key,
    summary_of,
)
from hrdd.rules.loader import FAMILIES, Rule
from hrdd.rules.paths import CompiledPath

FINDINGS_REMEMBERED = 4096
SUBJECTS = {"end_user": "end_user", "contract": "contract"}


class RuleSet:
    """Compiled rules, ready to evaluate. Built once per engine. Its caches (the last
    transaction's values, remembered findings and pattern matches) are dictionaries and
    tuples changed by single operations, so threads sharing an engine may use it; a memory
    that fills up starts afresh."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        transaction_paths: dict[str, CompiledPath] = {}
        item_paths: dict[str, CompiledPath] = {}
        # summaries of path values that tests read (sets, extremes, matched patterns): slot
        # name -> (path, summary, the leaves that read it)
        transaction_summaries: dict[str, tuple[str, str, list[Leaf]]] = {}
        item_summaries: dict[str, tuple[str, str, list[Leaf]]] = {}
        read_by: list[list[CompiledPath]] = []
        for rule in self.rules:
            paths = [leaf.path for leaf in leaves(rule.condition)]
            paths += [*rule.message.paths, *rule.remediation.paths]
            read_by.append(paths)
            for path in paths:
                target = item_paths if path.item_relative else transaction_paths
                target.setdefault(path.text, path)
            for leaf in leaves(rule.condition):
                summary = summary_of(leaf)
                if summary is not None:
                    summaries = item_summaries if leaf.path.item_relative else transaction_summaries
                    entry = summaries.setdefault(
                        summary_key(leaf.path.text, summary), (leaf.path.text, summary, [])
                    )
                    entry[2].append(leaf)
        # The vector: transaction paths, their summaries, then (for item rules) the item's
        # paths and their summaries.
        names = [*transaction_paths, *transaction_summaries, *item_paths, *item_summaries]
        slot = {name: index for index, name in enumerate(names)}
        self._transaction_readers = tuple(path.values for path in transaction_paths.values())
        self._transaction_summaries = tuple(
            (summariser(summary, readers), slot[text])
            for text, summary, readers in transaction_summaries.values()
        )
        self._item_readers = tuple(path.values for path in item_paths.values())
        first_item_slot = len(transaction_paths) + len(transaction_summaries)
        self._item_summaries = tuple(
            (summariser(summary, readers), slot[text] - first_item_slot)
            for text, summary, readers in item_summaries.values()
        )
        # For each rule: what a finding is remembered by (the vector values it read), or
        # None when those values do not determine the finding.
        self._keys: tuple[Callable[[Sequence[Any]], Any] | None, ...] = tuple(
            operator.itemgetter(*sorted({slot[path.text] for path in paths}))
            if all(path.flat for path in paths)  # the values a flat path reads say all
            else None
            for paths in read_by
        )
        # For each rule, what its finding needs: the rule, its explainer, message and
        # remediation (reading the vector), and whether its evidence may name a path twice
        # (two tests on one path, or item.x beside items[*].x).
        self._plans = tuple(
            (
                rule,
                compile_explainer(rule.condition, slot),
                rule.message.bind(slot),
                rule.remediation.bind(slot),
                _may_repeat(rule),
            )
            for rule in self.rules
        )
        self._families: dict[str, tuple[Callable[[Sequence[Any]], list[int]], tuple[int, ...]]] = {}
        for family in FAMILIES:
            members = tuple(index for index, rule in enumerate(self.rules) if rule.family == family)
            evaluate = compile_evaluator([self.rules[index].condition for index in members], slot)
            self._families[family] = (evaluate, members)
        self._last: tuple[Transaction | None, list[Any]] = (None, [])
        self._findings: dict[tuple[Any, ...], Finding] = {}  # by the values the rule read
        self._said: dict[tuple[Any, ...], Finding] = {}  # by the finding's content

    def family(self, family: str) -> tuple[Rule, ...]:
        return tuple(self.rules[index] for index in self._families[family][1])

    def _transaction_values(self, transaction: Transaction) -> list[Any]:
        """The transaction-level path values, read once per transaction (item checks and the
        end-user and contract checks of one assessment share them)."""
        last = self._last
        if last[0] is transaction:
            return last[1]
        values = [read(transaction) for read in self._transaction_readers]
        if self._transaction_summaries:
            values += [summarise(values[index]) for summarise, index in self._transaction_summaries]
        self._last = (transaction, values)
        return values

    def check_item(self, item: Item, transaction: Transaction) -> list[Finding]:
        """The findings of the item rules on one item."""
        own = [read(item) for read in self._item_readers]
        if self._item_summaries:
            own += [summarise(own[index]) for summarise, index in self._item_summaries]
        values = self._transaction_values(transaction) + own
        evaluate, members = self._families["item"]
        fired = evaluate(values)
        if not fired:
            return []
        return [self._finding(members[index], values, transaction, item) for index in fired]

    def check(self, family: str, transaction: Transaction) -> list[Finding]:
        """The findings of the ``end_user`` or ``contract`` rules on a transaction."""
        values = self._transaction_values(transaction)
        evaluate, members = self._families[family]
        fired = evaluate(values)
        if not fired:
            return []
        return [self._finding(members[index], values, transaction, None) for index in fired]

    def _finding(
        self, index: int, values: Sequence[Any], transaction: Transaction, item: Item | None
    ) -> Finding:
        """The finding of a rule that fired: remembered first by the values the rule read,
        then by what the finding says (a rule reading a deal's amount says the same thing
        for many amounts), so the engine receives the same object for the same finding."""
        rule, explain, message_of, remediation_of, may_repeat = self._plans[index]
        subject = item.path if item is not None else SUBJECTS[rule.family]
        key_of = self._keys[index]
        key: tuple[Any, ...] | None = None
        if key_of is not None:
            key = (index, subject, key_of(values))
            try:
                remembered = self._findings.get(key)
            except TypeError:  # a value that cannot be hashed: not remembered
                remembered, key = None, None
            if remembered is not None:
                return remembered
        message = message_of(values)
        remediation = remediation_of(values)
        evidence = evidence_records(explain(values, transaction, item) or [], unique=not may_repeat)
        content = (index, subject, message, remediation, evidence)
        try:
            said = self._said.get(content)
            hashable = True
        except TypeError:  # evidence holding an object (exists on a table): not hashable
            said, hashable = None, False
        finding = said or Finding(
            rule.id, rule.outcome, rule.severity, message, evidence, rule.guidance, remediation, subject
        )
        if said is None and hashable:
            self._said = _remember(self._said, content, finding)
        if key is not None:
            self._findings = _remember(self._findings, key, finding)
        return finding


def _may_repeat(rule: Rule) -> bool:
    """Whether two of a rule's tests may give evidence for one concrete path."""
    texts = [leaf.path.text for leaf in leaves(rule.condition)]
    normalised = {"items[*]" + text[len("item") :] if text.startswith("item.") else text for text in texts}
    return len(normalised) < len(texts)


def _remember(memory: dict[Any, Finding], key: Any, finding: Finding) -> dict[Any, Finding]:
    """Add to a bounded memory (started afresh when full) and return it."""
    if len(memory) >= FINDINGS_REMEMBERED:
        memory = {}
    memory[key] = finding
    return memory
