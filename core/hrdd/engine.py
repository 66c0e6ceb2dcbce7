"""The engine: runs every enabled check on a transaction and combines the findings into a decision.

Each plugin's hook implementation is called on its own, so a plugin that raises or returns
garbage becomes an ``error`` finding naming it while every other plugin's findings stand.
Findings are sorted before the decision is taken: no result depends on registration order.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import hashlib
import operator
import sys
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from hrdd import documents
from hrdd.context import CheckContext, SharedFacts
from hrdd.errors import InputError, PolicyError, Problem, TransactionError
from hrdd.memory import Memory, may_grow, scaled
from hrdd.model import (
    DECISION_FOR_RANK,
    OUTCOME_RANK,
    SEVERITY_RANK,
    Assessment,
    CapabilityProfile,
    CheckRecord,
    Enforcement,
    Finding,
    Outcome,
    Provenance,
    RequiredSafeguard,
    Risk,
    Severity,
    Transaction,
    _copy_enforced,
    _fill_enforced,
)
from hrdd.plugins import LoadedPlugin, PluginSet, core_version
from hrdd.policy import Policy

if TYPE_CHECKING:
    from hrdd.waivers import WaiverSet

# Rules of the framework itself (not of the guidance): a check that could not run.
RULE_CHECK_RAISED = "HRDD-CORE-001"
RULE_CHECK_GARBAGE = "HRDD-CORE-002"
RULE_NOTHING_CHECKED = "HRDD-CORE-003"
RULE_CONFLICTING_FACTS = "HRDD-CORE-004"

_ERROR, _INFO = Outcome.ERROR, Outcome.INFO
_HARD, _ADVISORY = Enforcement.HARD, Enforcement.ADVISORY
_INFO_RANK = OUTCOME_RANK["info"]
_ACTION_RANK = OUTCOME_RANK["safeguards_required"]

_SORT_KEY, _WEIGHT, _FINDING = operator.itemgetter(0), operator.itemgetter(1), operator.itemgetter(2)
_CHECK_ORDER = operator.attrgetter("order")
_SAFEGUARD = operator.attrgetter("safeguard")
_STR_ONLY = frozenset({str})
_VALUE = {outcome: outcome.value for outcome in Outcome}  # without the enum's slow .value descriptor

CHECK_HOOKS = ("hrdd_check_item", "hrdd_check_end_user", "hrdd_check_contract")
NOT_APPLICABLE = "not_applicable"
_NOT_EXAMINED = frozenset({"error", NOT_APPLICABLE})

_SEVERITY_WEIGHT = {"none": 0, "low": 15, "medium": 35, "high": 60, "critical": 85}
_LOW_WEIGHT, _MEDIUM_WEIGHT = _SEVERITY_WEIGHT["low"], _SEVERITY_WEIGHT["medium"]
_RISK_LEVELS = ((70, "critical"), (45, "high"), (20, "medium"), (0, "low"))
# Every score's Risk, built once: a Risk is an immutable value, and assessments share them.
_RISKS = tuple(
    Risk(score, next(name for floor, name in _RISK_LEVELS if score >= floor)) for score in range(101)
)


# A finding's weight in risk_of by its effective outcome and severity: its severity's weight,
# at most a low severity's unless the outcome asks for action.
_WEIGHTS = {
    outcome: {
        severity: _SEVERITY_WEIGHT[severity]
        if OUTCOME_RANK[outcome] >= _ACTION_RANK
        else min(_SEVERITY_WEIGHT[severity], _LOW_WEIGHT)
        for severity in Severity
    }
    for outcome in Outcome
}


def _weight(finding: Finding) -> int:
    """A finding's weight in :func:`risk_of`."""
    return _WEIGHTS[finding.decisive_outcome][finding.severity]


def _risk(weights: Sequence[int]) -> Risk:
    """The risk of findings of these weights: the heaviest, plus 3 for each further one of at
    least medium weight."""
    if not weights:
        return _RISKS[0]
    ordered = sorted(weights)  # C-level: cheaper than a Python loop over the findings
    top = ordered[-1]
    further = len(ordered) - bisect.bisect_left(ordered, _MEDIUM_WEIGHT) - (top >= _MEDIUM_WEIGHT)
    return _RISKS[min(100, top + 3 * further)]


def risk_of(findings: Sequence[Finding]) -> Risk:
    """0-100: the weight of the gravest effective finding, plus 3 for each further finding of
    at least medium severity (capped at 100). A finding whose effective outcome is only
    ``info`` or ``pass`` (advisory findings included) weighs at most as a low-severity one, so
    a deal nothing stands in the way of never shows a high risk."""
    return _risk([_weight(f) for f in findings])


def canonical_json(document: Any) -> bytes:
    """A document's canonical JSON: sorted keys, no whitespace, UTF-8, numbers in their
    shortest round-trip form (orjson). For documents without floats this is byte for byte
    ``json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``."""
    import orjson

    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def canonical_sha256(document: Any) -> str:
    """sha256 of a document's canonical JSON (see :func:`canonical_json`)."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


@attrs.frozen
class _Call:
    """One plugin's implementation of one hook, ready to call positionally."""

    plugin: str
    function: Callable[..., Any]
    argnames: tuple[str, ...]
    # Picks the implementation's arguments, in its order, from the hook's arguments by name
    # (built once: this is on every assessment's path, once per call).
    pick: Callable[[Mapping[str, Any]], tuple[Any, ...]] = attrs.field(eq=False, repr=False)

    @pick.default
    def _picker(self) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
        if len(self.argnames) > 1:
            return operator.itemgetter(*self.argnames)  # a tuple, in C
        if self.argnames:
            name = self.argnames[0]
            return lambda arguments: (arguments[name],)
        return lambda arguments: ()


# A finding as the decision sees it: its sort key, its weight in the risk score, and the
# finding (enforced, with the engine's fields).
# ... and what it asks of the deal: the safeguard (its remediation, asked for by its rule
# alone) when it asks for one (an effective outcome of safeguards_required or graver, not an
# error, with a remediation), else None.
_Ranked = tuple[tuple[Any, ...], int, Finding, RequiredSafeguard | None]
# A safety bound on the findings remembered per plugin (see _Enforcing); entries normally
# leave with the findings they describe, so the bound must be above what a plugin keeps alive
# (its own memories, and the answers below that hold findings): at 4,096, an order book of
# 1,500 customers filled it and every remembered finding was enforced again, up to 29 times
# in 30,000 deals.
ENFORCED_CACHE_SIZE = 65536
# A bound on the check records and required safeguards the engine builds once (few recur:
# the checks and remediations of the enabled plugins).
VALUES_CACHE_SIZE = 4096
# A bound on the whole answers remembered per plugin (see _Enforcing.answers): each holds its
# answer, so the bound is what keeps a plugin's forgotten answers from piling up.
ANSWER_CACHE_SIZE = 4096


def _unshared_counts() -> tuple[int, int]:
    """The reference counts Engine._check reads for a hook's answer and for a finding in it
    when nothing else holds them, measured the way _check reads them (so they follow the
    interpreter); (0, 0) where there are no reference counts, or no global lock to keep them
    exact (then nothing is taken as unshared)."""
    if not hasattr(sys, "getrefcount") or not getattr(sys, "_is_gil_enabled", lambda: True)():
        return 0, 0

    def answer() -> list[object]:
        return [object()]

    result = answer()
    counted = sys.getrefcount(result)
    for finding in result:
        return counted, sys.getrefcount(finding)
    raise AssertionError("unreachable")  # pragma: no cover


_UNSHARED_ANSWER, _UNSHARED_FINDING = _unshared_counts()
_getrefcount: Callable[[Any], int] = sys.getrefcount if _UNSHARED_ANSWER else (lambda value: -1)
_getweakrefcount = weakref.getweakrefcount


def _held_alone_count() -> int:
    """The reference count _Answers reads for an answer that only its entry holds, measured
    the way it reads it; 0 where counts are not exact (then nothing is taken as forgotten)."""
    if not _UNSHARED_ANSWER:
        return 0
    entries = {1: ([object()], None)}
    for entry in entries.values():
        return sys.getrefcount(entry[0])
    raise AssertionError("unreachable")  # pragma: no cover


_HELD_ALONE = _held_alone_count()


class _Answers(Memory[int, tuple[tuple[Any, ...], str | None, tuple["_Ranked", ...], CheckRecord]]):
    """The whole answers a plugin keeps, by their identity (see _Enforcing.answers).

    An entry holds its answer (so that the id stays the answer's), and with it the answer's
    findings. Once the plugin has forgotten an answer it can never return it, so the entry is
    dead weight that keeps findings alive: every quarter of the bound's insertions, the
    entries whose answer nobody else holds are dropped, before the older half goes when full.
    """

    __slots__ = ("_until_sweep",)

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self._until_sweep = max(1, self.size // 4)

    def keep(
        self, key: int, value: tuple[tuple[Any, ...], str | None, tuple[_Ranked, ...], CheckRecord]
    ) -> tuple[tuple[Any, ...], str | None, tuple[_Ranked, ...], CheckRecord]:
        self._until_sweep -= 1
        if self._until_sweep <= 0:
            self._until_sweep = max(1, self.size // 4)
            if _HELD_ALONE:
                gone = [k for k, entry in self.items() if _getrefcount(entry[0]) <= _HELD_ALONE]
                for k in gone:
                    del self[k]
        return super().keep(key, value)


class _FindingRef(weakref.ref[Finding]):
    """A weak reference to a plugin's finding that knows its key in the memory."""

    __slots__ = ("key",)
    key: int


class _Enforcing:
    """How the policy enforces one plugin's findings (fixed when the engine is built), and the
    plugin's findings already enforced.

    A plugin that memoises its (immutable) findings returns the same objects for the same
    inputs; each is then enforced, copied and ranked once. ``enforced`` maps ``id(finding)``
    to (a weak reference to the plugin's finding, the subject it was reported on, the ranked
    enforced copy, its effective outcome). The reference is weak so that an entry lives only
    as long as the plugin keeps the finding (nothing accumulates for the garbage collector to
    traverse), and an id is never trusted alone (a hit is confirmed by identity). A finding
    nothing else holds is enforced in place and never remembered (see Engine._check).
    """

    __slots__ = ("answers", "bound", "declared", "enforced", "enforcement", "forget", "per_rule")

    def __init__(
        self, declared: frozenset[str], enforcement: Enforcement, per_rule: Mapping[str, Enforcement]
    ) -> None:
        self.declared = declared
        self.enforcement = enforcement
        self.per_rule = per_rule
        self.enforced: dict[int, tuple[_FindingRef, str | None, _Ranked, Outcome]] = {}
        self.bound = scaled(ENFORCED_CACHE_SIZE)  # above what the plugins keep alive (as they, scaled)
        # The references' callback, bound once: a bound method made per reference would be one
        # more object per remembered finding (100,000 and more on a large order book).
        self.forget = self._forget
        # Whole answers: a check that remembers its answer as a tuple returns the very same
        # tuple for the same inputs. ``answers`` maps ``id(answer)`` to (the answer, held so its
        # id stays its own while remembered; the subject; its ranked findings; its check
        # record), so the engine neither looks at its findings again nor builds the record.
        self.answers = _Answers(ANSWER_CACHE_SIZE)

    def remember(self, finding: Finding, subject: str | None, ranked: _Ranked, effective: Outcome) -> None:
        if len(self.enforced) >= self.bound:
            if may_grow():  # the plugins' memories grow under a memory budget: so does this
                self.bound *= 2
            else:
                self.enforced.clear()
        ref = _FindingRef(finding, self.forget)
        ref.key = key = id(finding)
        self.enforced[key] = (ref, subject, ranked, effective)

    def _forget(self, ref: _FindingRef) -> None:
        entry = self.enforced.get(ref.key)
        if entry is not None and entry[0] is ref:
            self.enforced.pop(ref.key, None)


def _error_finding(plugin: str, hook: str, subject: str | None, rule: str, message: str) -> Finding:
    return Finding(
        rule_id=rule,
        outcome=Outcome.ERROR,
        severity=Severity.HIGH,
        message=message,
        evidence=(("hook", hook), ("plugin", plugin)),
        remediation=f"Fix or disable plugin {plugin!r} and assess again; until then the transaction "
        "cannot be cleared.",
        subject=subject,
        plugin=plugin,
        enforcement=Enforcement.HARD,
        effective_outcome=Outcome.ERROR,
    )


class Engine:
    """Assesses transactions under one policy. Build it once; it is cheap to call repeatedly.

    >>> engine = Engine.from_policy("baseline")        # doctest: +SKIP
    >>> engine.assess(transaction_dict).decision        # doctest: +SKIP
    """

    def __init__(self, policy: Policy, plugins: PluginSet) -> None:
        self.policy = policy
        self.plugins = plugins
        self._error_rank = OUTCOME_RANK[policy.on_error]
        # Each effective outcome's rank in the decision (``error`` as the policy ranks it).
        self._rank_of = {o: self._error_rank if o is _ERROR else OUTCOME_RANK[o] for o in Outcome}
        self._plugin_by_name: dict[str, LoadedPlugin] = dict(plugins.by_name)
        self._rule_ids = {name: plugin.rule_ids for name, plugin in self._plugin_by_name.items()}
        self._publishes = {name: frozenset(p.info.publishes) for name, p in self._plugin_by_name.items()}
        self._enforcing = {
            name: _Enforcing(
                self._rule_ids[name], plugin.settings.enforcement, dict(plugin.settings.rule_enforcement)
            )
            for name, plugin in self._plugin_by_name.items()
        }
        self._stamp: tuple[int, str] = (-1, "")  # (second, its ISO time): see _assessed_at
        self._safeguards: Memory[tuple[str, tuple[str, ...]], RequiredSafeguard] = Memory(VALUES_CACHE_SIZE)
        self._records: Memory[tuple[str, str, str | None, str, int], CheckRecord] = Memory(VALUES_CACHE_SIZE)
        self._calls = {hook: self._calls_for(hook) for hook in ("hrdd_item_profile", *CHECK_HOOKS)}
        self._calls["hrdd_transaction_facts"] = self._facts_in_dependency_order()
        self._provenance_parts = (
            core_version(),
            policy.ref(),
            tuple(p.ref() for p in plugins.plugins),
            tuple(d for p in plugins.plugins for d in p.data),
        )
        self._validator = documents.validator("transaction")
        self._contribution_calls = self._calls_for("hrdd_report_contribution")
        self._formats: tuple[str, ...] = ()
        self._check_renderers()
        # How the policy's lock was checked (provenance.lock): None when there is none.
        self.lock_record: Mapping[str, Any] | None = None
        self._waivers: WaiverSet | None = None
        if policy.waivers:
            from hrdd import waivers

            known = {rule: name for name, rules in self._rule_ids.items() for rule in rules}
            self._waivers = waivers.load(policy.waivers, known)

    @classmethod
    def from_policy(
        cls, policy: str | Path | Policy | None = None, *, lock: str | Path | bool = True
    ) -> Engine:
        """Build an engine from a built-in policy name, a policy file, or a loaded policy;
        ``None`` means the default policy (``baseline``).

        :param lock: ``True`` (default): when a lock lies beside the policy file
            (``acme.toml`` -> ``acme.lock``), refuse to build unless everything matches it;
            a path: that lock must exist and match; ``False``: do not check (development
            only: reports say ``provenance.lock.status = "skipped"``).
        :raises PolicyError: the policy, a plugin or a plugin's config is invalid.
        :raises hrdd.lock.LockMismatch: the installed state differs from the lock.
        """
        from hrdd import lock as locking

        loaded = policy if isinstance(policy, Policy) else Policy.load(policy)
        _check_core_requirement(loaded)
        engine = cls(loaded, PluginSet.for_policy(loaded))
        if lock is False:
            engine.lock_record = {"status": "skipped", "path": None, "sha256": None}
        else:
            path = locking.lock_path_for(loaded) if lock is True else Path(lock)
            if path is not None and (lock is not True or path.is_file()):
                engine.lock_record = locking.check(engine, path)
        return engine

    def locked_files(self) -> list[tuple[str, Path]]:
        """Files the policy itself references (waiver files), which a lock pins too."""
        return [("waivers", Path(path)) for path in self.policy.waivers]

    def _facts_in_dependency_order(self) -> tuple[_Call, ...]:
        """Facts hooks ordered so each plugin runs after the plugins whose facts it reads
        (ties by name, for determinism); a cycle is a policy error."""
        calls = {call.plugin: call for call in self._calls_for("hrdd_transaction_facts")}
        publisher: dict[str, str] = {}
        for plugin in self.plugins.plugins:
            for fact in plugin.info.publishes:
                publisher.setdefault(fact, plugin.name)
        needs = {
            name: {
                publisher[f]
                for f in self._plugin_by_name[name].info.reads
                if publisher.get(f) not in (None, name)
            }
            & calls.keys()
            for name in calls
        }
        ordered: list[_Call] = []
        while needs:
            ready = sorted(name for name, waiting in needs.items() if not waiting)
            if not ready:
                cycle = ", ".join(sorted(needs))
                raise PolicyError.single(
                    self.policy.source,
                    "$.plugins",
                    f"transaction facts depend on each other in a cycle: {cycle}",
                )
            for name in ready:
                ordered.append(calls[name])
                del needs[name]
            for waiting in needs.values():
                waiting.difference_update(ready)
        return tuple(ordered)

    def _check_renderers(self) -> None:
        """Each format has one renderer: two plugins answering for one format would make the
        report depend on registration order."""
        claims: dict[str, list[str]] = {}
        for impl in self.plugins.pm.hook.hrdd_render_formats.get_hookimpls():
            name = (self.plugins.pm.get_name(impl.plugin) or "").split("#")[0]
            try:
                answer: Any = impl.function()
                formats = [str(f) for f in answer or ()]
            except Exception as exc:
                raise PolicyError.single(
                    self.policy.source, f"$.plugins['{name}']", f"hrdd_render_formats raised {exc!r}"
                ) from None
            for format_name in formats:
                claims.setdefault(format_name, []).append(name)
        clashes = [
            Problem(
                self.policy.source,
                "$.plugins",
                f"format {format_name!r} is rendered by several plugins ({', '.join(sorted(names))}); "
                "give a company renderer its own format name",
            )
            for format_name, names in sorted(claims.items())
            if len(names) > 1
        ]
        if clashes:
            raise PolicyError(clashes)
        self._formats = tuple(sorted(claims))

    def _calls_for(self, hook: str) -> tuple[_Call, ...]:
        enabled = {plugin.name for plugin in self.plugins.plugins}
        calls = []
        for impl in getattr(self.plugins.pm.hook, hook).get_hookimpls():
            name = (self.plugins.pm.get_name(impl.plugin) or "").split("#")[0]
            if name in enabled:
                calls.append(_Call(name, impl.function, tuple(impl.argnames)))
        return tuple(sorted(calls, key=lambda call: call.plugin))

    # ----------------------------------------------------------------------------------
    # Assessing
    # ----------------------------------------------------------------------------------

    def validate(self, document: Any, source: str = "<input>") -> Transaction:
        """Validate a transaction document and build the model.

        :raises TransactionError: with every problem of the document.
        """
        self._validator.validate(document, source, TransactionError)
        _refuse_duplicate_item_ids(document, source)
        try:
            return Transaction.from_dict(document)
        except (ValueError, TypeError, KeyError) as exc:  # schema-valid yet unbuildable
            raise TransactionError.single(source, "$", f"cannot be read: {exc}") from None

    def assess(
        self, document: Mapping[str, Any], *, source: str = "<input>", as_of: _dt.date | None = None
    ) -> Assessment:
        """Assess one transaction document (a dict as read from JSON).

        :param as_of: the date to assess as of (default: today in UTC); a replay passes the
            stored report's, so date-dependent findings (data age) come out the same.
        :raises TransactionError: when the document is invalid (nothing is assessed).
        """
        transaction = self.validate(document, source)
        try:
            digest = canonical_sha256(document)
        except TypeError:  # schema-valid yet not JSON (an integer beyond 64 bits): say where
            raise TransactionError(self._validator.problems(document, source)) from None
        return self._assess(transaction, digest, as_of)

    def _assess(
        self, transaction: Transaction, input_sha256: str, as_of: _dt.date | None = None
    ) -> Assessment:
        facts = SharedFacts()
        assessed_at = self._assessed_at()
        if as_of is None:
            as_of = _dt.date.fromisoformat(assessed_at[:10])
        contexts = {
            name: CheckContext(name, plugin.config, plugin.settings.policy_dir, facts, plugin.state, as_of)
            for name, plugin in self._plugin_by_name.items()
        }
        findings: list[_Ranked] = []
        checks: list[CheckRecord] = []

        for item in transaction.items:
            arguments = {"item": item, "transaction": transaction}
            for call in self._calls["hrdd_item_profile"]:
                self._profile(call, arguments, contexts[call.plugin], item.id, facts, findings, checks)
        arguments = {"transaction": transaction}
        for call in self._calls["hrdd_transaction_facts"]:
            self._publish(call, arguments, contexts[call.plugin], facts, findings, checks)
        for item in transaction.items:
            item_arguments = {"item": item, "transaction": transaction}
            for call in self._calls["hrdd_check_item"]:
                self._check(
                    call,
                    "hrdd_check_item",
                    item_arguments,
                    contexts[call.plugin],
                    item.path,
                    findings,
                    checks,
                )
        for hook in ("hrdd_check_end_user", "hrdd_check_contract"):
            for call in self._calls[hook]:
                self._check(call, hook, arguments, contexts[call.plugin], None, findings, checks)

        if not any(check.hook in CHECK_HOOKS and check.outcome not in _NOT_EXAMINED for check in checks):
            findings.append(
                self._ranked(
                    _error_finding(
                        "hrdd",
                        "-",
                        None,
                        RULE_NOTHING_CHECKED,
                        f"No check examined this transaction under policy {self.policy.name!r} (none ran, "
                        "or every one said it does not apply), so it cannot be cleared.",
                    )
                )
            )
        return self._decide(transaction, findings, checks, input_sha256, facts, assessed_at, as_of)

    def _invoke(self, call: _Call, arguments: dict[str, Any], context: CheckContext) -> Any:
        arguments["context"] = context
        return call.function(*call.pick(arguments))

    def _publish(
        self,
        call: _Call,
        arguments: dict[str, Any],
        context: CheckContext,
        facts: SharedFacts,
        findings: list[_Ranked],
        checks: list[CheckRecord],
    ) -> None:
        hook = "hrdd_transaction_facts"
        try:
            published = self._invoke(call, arguments, context)
        except Exception as exc:
            message = f"{call.plugin}: {hook} raised {type(exc).__name__}: {exc}"
            findings.append(self._error(call.plugin, hook, None, RULE_CHECK_RAISED, message))
            checks.append(CheckRecord(call.plugin, hook, None, "error", 1))
            return
        if published is None:
            return
        usual = (
            # The usual answer, checked without a Python-level loop: a dict whose keys are all
            # plain strings among the facts the plugin declares.
            type(published) is dict
            and published.keys() <= self._publishes[call.plugin]
            and set(map(type, published)) <= _STR_ONLY
        )
        if not usual and not self._acceptable(call, published, findings, checks):
            return
        for name, value in published.items():
            source = facts.sources.get(name)
            if source is None:
                facts.values[name] = value
                facts.sources[name] = call.plugin
            elif facts.values[name] != value:
                message = (
                    f"{call.plugin} and {source} publish different values for fact {name!r} "
                    f"({value!r} and {facts.values[name]!r}); checks that weigh it cannot be trusted"
                )
                findings.append(self._error(call.plugin, hook, None, RULE_CONFLICTING_FACTS, message))
            # else the same value again (perhaps of another type that compares equal, 1 for
            # True): the first value published stands, with its source. A fact is never
            # replaced, so what a hook read of the facts stays true (a plugin may rely on it).

    def _acceptable(
        self, call: _Call, published: Any, findings: list[_Ranked], checks: list[CheckRecord]
    ) -> bool:
        """Whether a facts hook's answer is a mapping of fact names the plugin declares; if
        not, the answer is reported (and not used)."""
        hook = "hrdd_transaction_facts"
        if not isinstance(published, Mapping) or not all(isinstance(k, str) for k in published):
            message = f"{call.plugin}: {hook} returned {_describe(published)}, expected a mapping of fact names or None"
            findings.append(self._error(call.plugin, hook, None, RULE_CHECK_GARBAGE, message))
            checks.append(CheckRecord(call.plugin, hook, None, "error", 1))
            return False
        declared = self._plugin_by_name[call.plugin].info.publishes
        undeclared = sorted(name for name in published if name not in declared)
        if undeclared:
            message = (
                f"{call.plugin}: {hook} published fact(s) {', '.join(undeclared)} that "
                "hrdd_plugin_info() does not declare in `publishes`"
            )
            findings.append(self._error(call.plugin, hook, None, RULE_CHECK_GARBAGE, message))
            checks.append(CheckRecord(call.plugin, hook, None, "error", 1))
            return False
        return True

    def _profile(
        self,
        call: _Call,
        arguments: dict[str, Any],
        context: CheckContext,
        item_id: str,
        facts: SharedFacts,
        findings: list[_Ranked],
        checks: list[CheckRecord],
    ) -> None:
        subject = arguments["item"].path
        try:
            profile = self._invoke(call, arguments, context)
        except Exception as exc:
            findings.append(
                self._error(
                    call.plugin,
                    "hrdd_item_profile",
                    subject,
                    RULE_CHECK_RAISED,
                    f"{call.plugin}: hrdd_item_profile raised {type(exc).__name__}: {exc}",
                )
            )
            checks.append(CheckRecord(call.plugin, "hrdd_item_profile", subject, "error", 1))
            return
        if profile is None:
            return
        if not isinstance(profile, CapabilityProfile) or profile.item_id != item_id:
            findings.append(
                self._error(
                    call.plugin,
                    "hrdd_item_profile",
                    subject,
                    RULE_CHECK_GARBAGE,
                    f"{call.plugin}: hrdd_item_profile returned {_describe(profile)}, expected a "
                    f"CapabilityProfile for item {item_id!r} or None",
                )
            )
            checks.append(CheckRecord(call.plugin, "hrdd_item_profile", subject, "error", 1))
            return
        known = facts.profiles.get(item_id)
        facts.profiles[item_id] = profile if known is None else known.merge(profile)

    def _check(
        self,
        call: _Call,
        hook: str,
        arguments: dict[str, Any],
        context: CheckContext,
        subject: str | None,
        findings: list[_Ranked],
        checks: list[CheckRecord],
    ) -> None:
        try:
            arguments["context"] = context  # as _invoke does (inline: once per check call)
            result = call.function(*call.pick(arguments))
        except Exception as exc:
            findings.append(
                self._error(
                    call.plugin,
                    hook,
                    subject,
                    RULE_CHECK_RAISED,
                    f"{call.plugin}: {hook} raised {type(exc).__name__}: {exc}",
                )
            )
            checks.append(CheckRecord(call.plugin, hook, subject, "error", 1))
            return
        if result is None:
            checks.append(self._record((call.plugin, hook, subject, NOT_APPLICABLE, 0)))
            return
        name = call.plugin
        plan = self._enforcing[name]
        if type(result) is tuple:
            # The very same tuple as before, on the same subject: an immutable answer (of
            # immutable findings) already checked, enforced and ranked. Reused whole.
            answer = plan.answers.get(id(result))
            if answer is not None and answer[0] is result and answer[1] == subject:
                findings.extend(answer[2])
                checks.append(answer[3])
                return
        elif not isinstance(result, (list, tuple)):
            self._garbage(call, hook, subject, findings, checks, f"returned {_describe(result)}")
            return
        # One pass: check each answer and apply the policy's enforcement (on every assessment's
        # path, once per finding). A finding this plugin returned before (the same object, on
        # the same subject) is already enforced and ranked: its entry is reused.
        declared, memory, rank_of = plan.declared, plan.enforced, self._rank_of
        enforced: list[_Ranked] = []
        undeclared: list[str] = []
        worst: Outcome | None = None  # the worst effective outcome so far (None: "pass")
        worst_rank = 0
        # Whether the plugin (or anybody) may still hold the answer: then each finding in it is
        # checked on its own below (see "unshared").
        answer_held = _getrefcount(result) != _UNSHARED_ANSWER
        for finding in result:
            entry = memory.get(id(finding))
            if entry is not None and entry[0]() is finding and entry[1] == subject:
                ranked, effective = entry[2], entry[3]
            else:
                if not isinstance(finding, Finding):
                    self._garbage(call, hook, subject, findings, checks, f"returned {_describe(result)}")
                    return
                rule = finding.rule_id
                if rule not in declared:
                    undeclared.append(rule)
                    continue
                enforcement = plan.per_rule.get(rule, plan.enforcement) if plan.per_rule else plan.enforcement
                outcome = finding.outcome
                if outcome is _ERROR:
                    effective, enforcement = outcome, _HARD  # a check that could not run always counts
                elif enforcement is _ADVISORY and OUTCOME_RANK[outcome] > _INFO_RANK:
                    effective = _INFO
                else:
                    effective = outcome
                # A finding built for this answer alone (nothing else holds it, not even weakly:
                # the plugin cannot hand it out again, and nobody can see it change) gets the
                # engine's fields in place. Any other is copied, and remembered so that the
                # next time the plugin returns it, it is not enforced again.
                unshared = (
                    not answer_held
                    and _getrefcount(finding) == _UNSHARED_FINDING
                    and type(finding) is Finding
                    and not _getweakrefcount(finding)
                )
                if unshared:
                    copy = _fill_enforced(finding, name, enforcement, effective, subject)
                else:
                    copy = _copy_enforced(finding, name, enforcement, effective, subject)
                severity = finding.severity
                rank = rank_of[effective]
                ranked = (
                    (-rank, -SEVERITY_RANK[severity], rule, copy.subject or "", name, copy.message),
                    _WEIGHTS[effective][severity],
                    copy,
                    self._asks(rank, copy),
                )  # as _ranked(copy) would make it, from what is known here
                if not unshared:
                    plan.remember(finding, subject, ranked, effective)
            enforced.append(ranked)
            rank = OUTCOME_RANK[effective]
            if rank > worst_rank or (effective is _ERROR and worst is not _ERROR):
                worst, worst_rank = effective, rank
        if undeclared:
            self._garbage(
                call,
                hook,
                subject,
                findings,
                checks,
                f"returned findings with rule id(s) {', '.join(sorted(set(undeclared)))} that "
                "hrdd_plugin_info() does not declare",
            )
            return
        findings.extend(enforced)
        record_key = (name, hook, subject, "pass" if worst is None else _VALUE[worst], len(result))
        record = self._records.get(record_key)
        if record is None:
            record = self._record(record_key)
        checks.append(record)
        if answer_held and type(result) is tuple:
            # The plugin keeps this answer (a tuple nobody can change): it may return it again.
            # (An answer built for this call alone is not kept: it never comes back.)
            plan.answers.keep(id(result), (result, subject, tuple(enforced), record))

    def _record(self, key: tuple[str, str, str | None, str, int]) -> CheckRecord:
        """The (immutable) CheckRecord of these fields, built once: the same checks recur deal
        after deal, and a record keeps its JSON for the reports (hrdd.reportjson)."""
        record = self._records.get(key)
        if record is None:
            record = self._records.keep(key, CheckRecord(*key))
        return record

    def _garbage(
        self,
        call: _Call,
        hook: str,
        subject: str | None,
        findings: list[_Ranked],
        checks: list[CheckRecord],
        what: str,
    ) -> None:
        message = f"{call.plugin}: {hook} {what}"
        if "does not declare" not in what:
            message += ", expected a list of Finding or None"
        findings.append(self._error(call.plugin, hook, subject, RULE_CHECK_GARBAGE, message))
        checks.append(CheckRecord(call.plugin, hook, subject, "error", 1))

    def _rank(self, finding: Finding) -> int:
        outcome = finding.decisive_outcome
        return self._error_rank if outcome is _ERROR else OUTCOME_RANK[outcome]

    def _ranked(self, finding: Finding) -> _Ranked:
        """A finding with its sort key (graver first, then rule, subject, plugin and message,
        so no result depends on registration order) and its risk weight, computed once."""
        key = (
            -self._rank(finding),
            -SEVERITY_RANK[finding.severity],
            finding.rule_id,
            finding.subject or "",
            finding.plugin,
            finding.message,
        )
        return key, _weight(finding), finding, self._asks(-key[0], finding)

    def _asks(self, rank: int, finding: Finding) -> RequiredSafeguard | None:
        """What an enforced finding of this rank asks of the deal: the safeguard of its
        remediation, asked for by its rule, when it asks for one (safeguards_required or
        graver, not an error, with a remediation), else None. Found when the finding is ranked
        (once per finding a plugin hands out again), so that a decision whose findings each ask
        for a safeguard of their own (the usual one) has its required safeguards at hand."""
        if rank >= _ACTION_RANK and finding.remediation and finding.outcome is not _ERROR:
            return self._required_safeguard(finding.remediation, (finding.rule_id,))
        return None

    def _required_safeguards(self, ranked: list[_Ranked]) -> tuple[RequiredSafeguard, ...]:
        """The required safeguards of a decision: each remediation the (sorted) findings that
        ask for one give, in order, with the rules that ask for it (each once)."""
        asked = [r[3] for r in ranked if r[3] is not None]
        if len(set(map(_SAFEGUARD, asked))) == len(asked):
            # The usual case: each remediation asked for once, by one finding (checked on the
            # strings' cached hashes, without a Python-level loop).
            return tuple(asked)
        # A remediation several findings ask for (one rule on several items, or several rules):
        # once, with each rule that asks for it once, in order.
        grouped: dict[str, list[str]] = {}
        for safeguard in asked:
            rules = grouped.setdefault(safeguard.safeguard, [])
            if safeguard.rules[0] not in rules:
                rules.append(safeguard.rules[0])
        return tuple(self._required_safeguard(s, tuple(r)) for s, r in grouped.items())

    def _required_safeguard(self, safeguard: str, rules: tuple[str, ...]) -> RequiredSafeguard:
        """The (immutable) RequiredSafeguard of a remediation and its rules, built once: the
        same safeguards are required of deal after deal."""
        key = (safeguard, rules)
        found = self._safeguards.get(key)
        if found is None:
            found = self._safeguards.keep(key, RequiredSafeguard(safeguard, rules))
        return found

    def _error(self, plugin: str, hook: str, subject: str | None, rule: str, message: str) -> _Ranked:
        return self._ranked(_error_finding(plugin, hook, subject, rule, message))

    def _assessed_at(self) -> str:
        """The current time in UTC to the second, in ISO format (as
        ``datetime.now(UTC).isoformat(timespec="seconds")`` gives it), formatted once per
        second rather than once per assessment."""
        second = int(time.time())
        stamp = self._stamp
        if stamp[0] != second:
            stamp = self._stamp = (
                second,
                _dt.datetime.fromtimestamp(second, _dt.UTC).isoformat(timespec="seconds"),
            )
        return stamp[1]

    def _decide(
        self,
        transaction: Transaction,
        ranked: list[_Ranked],
        checks: list[CheckRecord],
        input_sha256: str,
        facts: SharedFacts,
        assessed_at: str,
        as_of: _dt.date,
    ) -> Assessment:
        waived: tuple[Finding, ...] = ()
        if self._waivers:
            kept, set_aside, notes = self._waivers.apply(map(_FINDING, ranked), transaction, as_of)
            if set_aside or notes:
                keep = {id(finding) for finding in kept}
                ranked = [r for r in ranked if id(r[2]) in keep] + [self._ranked(n) for n in notes]
                waived = tuple(sorted(set_aside, key=lambda f: (f.rule_id, f.subject or "", f.message)))
        ranked.sort(key=_SORT_KEY)
        findings = tuple(map(_FINDING, ranked))
        checks.sort(key=_CHECK_ORDER)
        rank = -ranked[0][0][0] if ranked else 0
        decision = DECISION_FOR_RANK[rank]
        if findings and rank >= 2:
            top = findings[0]
            reason = f"{top.rule_id} ({top.plugin}): {top.message}"
        else:
            ran = sum(1 for c in checks if c.hook in CHECK_HOOKS)
            reason = f"{ran} checks ran; none found a risk that needs safeguards or review."
        core, policy, plugins, data = self._provenance_parts
        provenance = Provenance(
            core, policy, plugins, data, input_sha256, assessed_at, as_of.isoformat(), self.lock_record
        )
        contributions: dict[str, Any] = {}
        assessment = Assessment(
            transaction_id=transaction.id,
            decision=decision,
            reason=reason,
            risk=_risk(list(map(_WEIGHT, ranked))),
            findings=findings,
            checks=tuple(checks),
            required_safeguards=self._required_safeguards(ranked),
            provenance=provenance,
            waived=waived,
            contributions=contributions,
            facts={name: (value, facts.sources[name]) for name, value in facts.values.items()},
        )
        if self._contribution_calls:
            # The contributions read the assessment; they are added to its (so far empty)
            # mapping afterwards rather than building a second Assessment for them.
            contributions.update(self._contributions(assessment, transaction))
        return assessment

    # ----------------------------------------------------------------------------------
    # Reading and rendering
    # ----------------------------------------------------------------------------------

    def assess_file(self, path: str | Path) -> Assessment:
        """Read a transaction from a JSON or TOML file and assess it.

        :raises TransactionError: the file is unreadable or invalid.
        """
        path = Path(path)
        document = documents.read_document(path, TransactionError)
        return self.assess(document, source=str(path))

    def report_contributions(self, assessment: Assessment) -> Mapping[str, Any]:
        """Each enabled plugin's contribution to aggregate reports for one assessment, keyed by
        plugin name (computed when the transaction was assessed)."""
        return assessment.contributions

    def _contributions(self, assessment: Assessment, transaction: Transaction) -> dict[str, Any]:
        contributions: dict[str, Any] = {}
        errors: list[str] = []
        arguments = {"assessment": assessment, "transaction": transaction}
        for call in self._contribution_calls:
            try:
                answer = call.function(*[arguments[name] for name in call.argnames])
            except Exception as exc:
                errors.append(f"{call.plugin}: hrdd_report_contribution raised {type(exc).__name__}: {exc}")
                continue
            if answer is None:
                continue
            if not isinstance(answer, Mapping):
                errors.append(f"{call.plugin}: hrdd_report_contribution returned {_describe(answer)}")
                continue
            contributions[call.plugin] = dict(answer)
        if errors:
            contributions["errors"] = errors
        return contributions

    @property
    def formats(self) -> tuple[str, ...]:
        """Every format name some registered renderer answers for."""
        return self._formats

    def render(self, assessment: Assessment, format: str = "json") -> str:
        """Render an assessment in a named format (``json``, ``text``...).

        :raises InputError: no renderer answers for ``format``.
        """
        if format not in self.formats:
            raise InputError.single(
                "--format", "$", f"unknown format {format!r}; available: {', '.join(self.formats)}"
            )
        rendered = self.plugins.pm.hook.hrdd_render(assessment=assessment, format=format)
        if not isinstance(rendered, str):
            raise InputError.single("--format", "$", f"no renderer produced {format!r}")
        return rendered


def _describe(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        kinds = sorted({type(v).__name__ for v in value if not isinstance(v, Finding)})
        return f"a {type(value).__name__} containing {', '.join(kinds)}"
    return f"a {type(value).__name__}"


def _refuse_duplicate_item_ids(document: Mapping[str, Any], source: str) -> None:
    """Item ids name items in findings and profiles: two items may not share one."""
    first: dict[str, int] = {}
    problems = []
    for index, item in enumerate(document["items"]):
        seen = first.setdefault(item["id"], index)
        if seen != index:
            problems.append(
                Problem(
                    source,
                    f"$.items[{index}].id",
                    f"duplicate item id {item['id']!r} (also $.items[{seen}].id)",
                )
            )
    if problems:
        raise TransactionError(problems)


def _check_core_requirement(policy: Policy) -> None:
    if policy.requires_core is None:
        return
    from packaging.specifiers import SpecifierSet

    version = core_version()
    if not SpecifierSet(policy.requires_core).contains(version, prereleases=True):
        raise PolicyError.single(
            policy.source,
            "$.policy['requires-core']",
            f"hrdd {version} is installed but the policy requires {policy.requires_core!r}",
        )
