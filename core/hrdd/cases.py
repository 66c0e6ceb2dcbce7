"""Policy tests: case files that say what a policy must decide and why, and the runner of ``hrdd test``.

A case file (TOML or JSON, ``schemas/testcase.schema.json``) holds a transaction (whole, or
a base plus overrides), optional mocks of plugin configuration for that case alone, and the
expectation: the decision and the rule ids that decided it. The testing kit
(:mod:`hrdd.testing`) checks the same expectations from pytest. Nothing here imports pytest.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import re
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from hrdd import documents, overrides
from hrdd.engine import Engine
from hrdd.errors import InputError, PolicyError, Problem, TransactionError
from hrdd.model import Assessment, Finding, Outcome
from hrdd.policy import Policy

DECISIONS = ("proceed", "proceed_with_safeguards", "escalate", "do_not_proceed")
CASE_SUFFIXES = (".toml", ".json")
CORE_RULE_PREFIX = "HRDD-CORE-"
# Effective outcomes that weigh in the decision: a finding with one of these decided it.
WEIGHING = frozenset({Outcome.SAFEGUARDS_REQUIRED, Outcome.ESCALATE, Outcome.DO_NOT_PROCEED, Outcome.ERROR})
_MESSAGE_WIDTH = 160
_SHOWN_FINDINGS = 25


# --------------------------------------------------------------------------------------
# Expectations: the decision and the rules that decided it
# --------------------------------------------------------------------------------------


def weighing_findings(assessment: Assessment) -> tuple[Finding, ...]:
    """The findings that weigh in the decision: effective outcome ``safeguards_required``,
    ``escalate``, ``do_not_proceed`` or ``error`` (an advisory finding never does)."""
    return tuple(f for f in assessment.findings if f.decisive_outcome in WEIGHING)


@attrs.frozen
class Expectation:
    """What an assessment must show.

    :ivar decision: the decision.
    :ivar rules: rule ids that must be among the findings that weigh in the decision (the
        rules that decided it); empty says nothing weighed in beyond what ``decision`` implies.
    :ivar absent: rule ids that must not be among the findings, at any outcome.
    :ivar reported: rule ids that must be among the findings at any outcome (``info`` too).
    :ivar waived: rule ids that must be among the findings a waiver set aside.
    """

    decision: str
    rules: tuple[str, ...]
    absent: tuple[str, ...] = ()
    reported: tuple[str, ...] = ()
    waived: tuple[str, ...] = ()

    def named_rules(self) -> tuple[str, ...]:
        return (*self.rules, *self.absent, *self.reported, *self.waived)

    def failures(self, assessment: Assessment, known_rules: Collection[str] | None = None) -> list[str]:
        """What the assessment does not show, one line each; empty when it meets the expectation.

        :param known_rules: the rule ids the policy's plugins declare; a named rule outside
            them (and outside the core's ``HRDD-CORE-`` rules) is a failure, since an
            ``absent`` rule nobody can report would pass for ever.
        """
        failures = []
        if self.decision not in DECISIONS:
            failures.append(f"{self.decision!r} is not a decision; expected one of {', '.join(DECISIONS)}")
        elif assessment.decision.value != self.decision:
            failures.append(f"expected decision {self.decision}, got {assessment.decision.value}")
        weighing = {f.rule_id for f in weighing_findings(assessment)}
        found = set(assessment.rule_ids)
        waived = {f.rule_id for f in assessment.waived}
        missing = [rule for rule in self.rules if rule not in weighing]
        if missing:
            informational = [rule for rule in missing if rule in found]
            line = f"rules expected to weigh in the decision but do not: {', '.join(missing)}"
            if informational:
                line += f" ({', '.join(informational)} reported, but not above info)"
            failures.append(line)
        present = [rule for rule in self.absent if rule in found]
        if present:
            failures.append(f"rules expected absent but reported: {', '.join(present)}")
        unreported = [rule for rule in self.reported if rule not in found]
        if unreported:
            failures.append(f"rules expected among the findings but not reported: {', '.join(unreported)}")
        unwaived = [rule for rule in self.waived if rule not in waived]
        if unwaived:
            failures.append(f"rules expected waived but not waived: {', '.join(unwaived)}")
        if known_rules is not None:
            unknown = sorted(
                {
                    rule
                    for rule in self.named_rules()
                    if rule not in known_rules and not rule.startswith(CORE_RULE_PREFIX)
                }
            )
            if unknown:
                failures.append(
                    f"no plugin the policy enables declares {', '.join(unknown)} (a typo, or a plugin "
                    "the policy does not enable?)"
                )
        return failures


def _shorten(text: str, width: int = _MESSAGE_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _finding_line(finding: Finding) -> str:
    subject = f" {finding.subject}" if finding.subject else ""
    return (
        f"  {finding.decisive_outcome.value:<19} {finding.rule_id} ({finding.plugin}){subject}: "
        f"{_shorten(finding.message)}"
    )


def describe(assessment: Assessment) -> list[str]:
    """The assessment as a failing test shows it: the decision, the findings that decided it
    (rule id, effective outcome, plugin, subject, message), the other findings, the waived."""
    weighing = weighing_findings(assessment)
    others = [f for f in assessment.findings if f.decisive_outcome not in WEIGHING]
    lines = [
        f"decision {assessment.decision.value} for {assessment.transaction_id} (risk "
        f"{assessment.risk.score}/100 {assessment.risk.level}, policy {assessment.provenance.policy.name} "
        f"{assessment.provenance.policy.version})",
        f"findings that weigh in the decision ({len(weighing)}):"
        if weighing
        else "no finding weighs in the decision (none above info)",
    ]
    lines += [_finding_line(f) for f in weighing[:_SHOWN_FINDINGS]]
    if len(weighing) > _SHOWN_FINDINGS:
        lines.append(f"  ... and {len(weighing) - _SHOWN_FINDINGS} more")
    if others:
        lines.append(f"other findings ({len(others)}, info or pass or advisory):")
        lines += [_finding_line(f) for f in others[:_SHOWN_FINDINGS]]
        if len(others) > _SHOWN_FINDINGS:
            lines.append(f"  ... and {len(others) - _SHOWN_FINDINGS} more")
    if assessment.waived:
        lines.append(f"waived ({len(assessment.waived)}):")
        lines += [_finding_line(f) for f in assessment.waived]
    return lines


# --------------------------------------------------------------------------------------
# Mocks: plugin configuration replaced for one case
# --------------------------------------------------------------------------------------


def _plain_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain_copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_copy(item) for item in value]
    return copy.deepcopy(value)


def mock_policy(policy: Policy, mock: Mapping[str, Any], base_dir: Path, source: str) -> Policy:
    """The policy with plugin configuration replaced, for one case or one test.

    :param mock: ``{"<plugin>.<config key>": value}``; more dots reach into nested tables
        (``"hrdd-program.max_age_days.training"``). The plugin must be one the policy
        enables. The plugin's config schema validates the result when the engine is built.
    :param base_dir: what a relative path in a top-level config key the plugin marks as a
        path is relative to (the case file's directory).
    :param source: the file named in problems (the case file).
    :raises PolicyError: a key names no enabled plugin, or reaches through a value that is
        not a table.
    """
    enabled = {settings.name: settings for settings in policy.plugins}
    changed: dict[str, tuple[dict[str, Any], dict[str, Path]]] = {}
    problems = []
    for key, value in mock.items():
        where = f"$.mock['{key}']"
        plugin = max((name for name in enabled if key.startswith(f"{name}.")), key=len, default=None)
        if plugin is None:
            problems.append(
                Problem(
                    source,
                    where,
                    "names no plugin the policy enables (expected <plugin>.<config key>); enabled: "
                    + (", ".join(sorted(enabled)) or "none"),
                )
            )
            continue
        parts = key[len(plugin) + 1 :].split(".")
        if not all(parts):
            problems.append(Problem(source, where, "an empty config key between dots"))
            continue
        settings = enabled[plugin]
        config, dirs = changed.setdefault(plugin, (_plain_copy(settings.config), dict(settings.config_dirs)))
        node: Any = config
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                reached = ".".join(parts[: depth + 1])
                problems.append(
                    Problem(source, where, f"{plugin} config key {reached!r} is not a table ({child!r})")
                )
                break
            node = child
        else:
            node[parts[-1]] = _plain_copy(value)
            if len(parts) == 1:
                dirs[parts[0]] = base_dir
    if problems:
        raise PolicyError(problems)
    plugins = tuple(
        attrs.evolve(s, config=changed[s.name][0], config_dirs=changed[s.name][1]) if s.name in changed else s
        for s in policy.plugins
    )
    return attrs.evolve(policy, plugins=plugins)


def _mock_key(mock: Mapping[str, Any] | None) -> str:
    return json.dumps(mock or {}, sort_keys=True, default=str)


class Engines:
    """Engines built once and reused: one per policy (a policy file is rebuilt when it
    changes on disk) and per distinct mock.

    An engine with mocks is built without checking the policy's lock (the mock deliberately
    changes what the lock pins); one without mocks checks it as ``hrdd assess`` would.
    """

    def __init__(self, *, lock: str | Path | bool = True) -> None:
        self.lock = lock
        self._policies: dict[Any, Policy] = {}
        self._engines: dict[Any, Engine | InputError] = {}

    @staticmethod
    def _policy_key(policy: str | Path | Policy | None) -> Any:
        if isinstance(policy, Policy):
            return ("policy", policy.source, policy.sha256, id(policy))
        if isinstance(policy, Path) or (
            isinstance(policy, str) and ("/" in policy or policy.endswith(".toml"))
        ):
            path = Path(policy).resolve()
            try:
                stat = path.stat()
            except OSError:
                return ("file", str(path), None)
            return ("file", str(path), stat.st_mtime_ns, stat.st_size)
        return ("name", policy or "baseline")

    def policy(self, policy: str | Path | Policy | None = None) -> Policy:
        """The loaded policy (cached while its file is unchanged).

        :raises PolicyError: it cannot be loaded.
        """
        if isinstance(policy, Policy):
            return policy
        key = self._policy_key(policy)
        found = self._policies.get(key)
        if found is None:
            found = self._policies[key] = Policy.load(policy)
        return found

    def engine(
        self,
        policy: str | Path | Policy | None = None,
        mock: Mapping[str, Any] | None = None,
        base_dir: Path | None = None,
        source: str = "<mock>",
    ) -> Engine:
        """The engine for a policy, with ``mock`` applied (see :func:`mock_policy`).

        :raises PolicyError: the policy, a plugin or the mocked configuration is invalid (an
            engine that failed to build fails the same way again without being rebuilt).
        """
        directory = (base_dir or Path.cwd()).resolve()
        key = (self._policy_key(policy), _mock_key(mock), str(directory) if mock else None)
        built = self._engines.get(key)
        if built is None:
            try:
                loaded = self.policy(policy)
                if mock:
                    built = Engine.from_policy(mock_policy(loaded, mock, directory, source), lock=False)
                else:
                    built = Engine.from_policy(loaded, lock=self.lock)
            except InputError as exc:
                built = exc
            self._engines[key] = built
        if isinstance(built, InputError):
            raise built
        return built


def declared_rules(engine: Engine) -> dict[str, tuple[str, str]]:
    """Every rule the engine's plugins declare: rule id -> (plugin, title)."""
    return {
        rule.id: (plugin.name, rule.title) for plugin in engine.plugins.plugins for rule in plugin.info.rules
    }


# --------------------------------------------------------------------------------------
# Case files
# --------------------------------------------------------------------------------------


@attrs.frozen
class Case:
    """One case file, read and checked: the transaction to assess, with overrides applied."""

    path: Path
    name: str
    description: str
    transaction: Mapping[str, Any]
    transaction_source: str
    mock: Mapping[str, Any]
    expect: Expectation
    references: frozenset[Path] = frozenset()  # files it reads (not case files themselves)
    named: bool = False  # whether [case] name was given
    as_of: _dt.date | None = None  # [case] as_of: the date it is assessed as of (None: today)


def _referenced_files(value: Any, directory: Path) -> set[Path]:
    """Files a mock value names (strings, or lists of strings, that are existing files)."""
    values = value if isinstance(value, list) else [value]
    found = set()
    for item in values:
        if isinstance(item, str) and item:
            candidate = directory / item
            try:
                if candidate.is_file():
                    found.add(candidate.resolve())
            except (OSError, ValueError):
                continue
    return found


def _schema_problems(document: Any, source: str) -> list[Problem]:
    checker = documents.validator("testcase")
    if checker.is_valid(document):
        return []
    # The schema's top-level oneOf (transaction or base) is explained by read_case itself.
    return [
        Problem(p.source, p.path, _RULE_PATTERN_MESSAGE.sub(_NOT_A_RULE_ID, p.message))
        for p in checker.problems(document, source)
        if not (p.path == "$" and "valid under" in p.message)
        and not (p.path == "$" and p.message == "document rejected by the schema validator")
    ]


_RULE_PATTERN_MESSAGE = re.compile(r"^(.*): .* does not match '\^\[A-Z\]\[A-Z0-9\]\*.*'$")
_NOT_A_RULE_ID = (
    r"\1 is not a rule id (capital letters and digits in hyphen-separated parts, like HRDD-CAP-004)"
)


def read_case(path: Path) -> Case:
    """Read a case file, its transaction, and apply its overrides.

    :raises InputError: with every problem of the case file (and of the transaction file it
        names), each naming its file and path.
    """
    source = str(path)
    document = documents.read_document(path, InputError)
    if not isinstance(document, dict):
        raise InputError.single(source, "$", "a case file is a TOML document or a JSON object")
    problems: list[Problem] = []
    sources = [key for key in ("transaction", "base") if key in document]
    if not sources and "expect" not in document and "case" not in document:
        raise InputError.single(
            source,
            "$",
            "not a case file: no transaction, base or [expect] (a transaction or data file beside the "
            "cases must be named by a case's transaction, base or mock, or live elsewhere)",
        )
    if not sources:
        problems.append(Problem(source, "$", "no transaction: give transaction (a path or a table) or base"))
    elif len(sources) > 1:
        problems.append(Problem(source, "$", "give either transaction or base, not both"))
    problems += _schema_problems(document, source)
    if problems:
        raise InputError(_unique(problems))

    directory = path.parent
    references: set[Path] = set()
    given = document[sources[0]]
    transaction_source = f"{source} [{sources[0]}]"
    transaction: Any = given
    if isinstance(given, str):
        transaction_path = directory / given
        transaction_source = str(transaction_path)
        references |= _referenced_files(given, directory)  # even when unreadable: not a case itself
        try:
            transaction = documents.read_document(transaction_path, TransactionError)
        except InputError as exc:
            problems += [
                Problem(source, f"$.{sources[0]}", f"{given!r}: {p.path}: {p.message}") for p in exc.problems
            ]
            transaction = None
        except ValueError as exc:  # a path no file can have (a NUL character)
            problems.append(Problem(source, f"$.{sources[0]}", f"{given!r}: not a file path ({exc})"))
            transaction = None
        else:
            if not isinstance(transaction, dict):
                problems.append(Problem(source, f"$.{sources[0]}", f"{given!r} is not a JSON object"))
    if isinstance(transaction, dict):
        transaction, failed = overrides.apply(
            transaction, document.get("overrides"), document.get("remove", ())
        )
        for where, message in failed:
            table = "$.remove" if where in document.get("remove", ()) else f"$.overrides['{where}']"
            problems.append(Problem(source, table, message.removeprefix(f"{where}: ")))
    mock = document.get("mock", {})
    for key, value in mock.items():
        if "." not in key.strip("."):
            problems.append(
                Problem(
                    source, f"$.mock['{key}']", "expected <plugin>.<config key>, e.g. hrdd-screening.lists"
                )
            )
        references |= _referenced_files(value, directory)
    case_table = document.get("case", {})
    as_of = None
    if "as_of" in case_table:
        try:
            as_of = _dt.date.fromisoformat(case_table["as_of"])
        except ValueError:
            problems.append(
                Problem(source, "$.case.as_of", f"{case_table['as_of']!r} is not a date (YYYY-MM-DD)")
            )
    if problems:
        raise InputError(_unique(problems))
    expect = document["expect"]
    return Case(
        path=path,
        name=case_table.get("name") or path.stem,
        description=case_table.get("description", ""),
        transaction=transaction,
        transaction_source=transaction_source,
        mock=mock,
        expect=Expectation(
            decision=expect["decision"],
            rules=tuple(expect["rules"]),
            absent=tuple(expect.get("absent", ())),
            reported=tuple(expect.get("reported", ())),
            waived=tuple(expect.get("waived", ())),
        ),
        references=frozenset(references),
        named="name" in case_table,
        as_of=as_of,
    )


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


# --------------------------------------------------------------------------------------
# Running cases
# --------------------------------------------------------------------------------------


@attrs.frozen
class CaseResult:
    """One case's outcome. ``failures`` says why it failed (empty: passed); ``details``
    shows the assessment behind a failure; ``produced`` the rule ids it reported or waived."""

    path: Path
    name: str
    failures: tuple[str, ...]
    details: tuple[str, ...] = ()
    description: str = ""
    produced: frozenset[str] = frozenset()
    named: bool = False

    @property
    def passed(self) -> bool:
        return not self.failures


@attrs.frozen
class RuleCoverage:
    """The rules the policy's enabled plugins declare, and those some case produced."""

    declared: Mapping[str, tuple[str, str]]  # rule id -> (plugin, title)
    produced: frozenset[str]

    @property
    def uncovered(self) -> tuple[str, ...]:
        return tuple(sorted(rule for rule in self.declared if rule not in self.produced))


@attrs.frozen
class TestRun:
    """Every case's result under one policy, with the rule coverage."""

    __test__ = False  # not a pytest test class, whatever its name

    policy: Policy
    targets: tuple[Path, ...]
    results: tuple[CaseResult, ...]
    coverage: RuleCoverage
    seconds: float

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    def summary(self) -> str:
        """``3 passed, 1 failed in 0.42s``, as pytest writes it (a zero count is left out)."""
        counts = [f"{self.passed} passed"] if self.passed else []
        if self.failed:
            counts.append(f"{self.failed} failed")
        return f"{', '.join(counts) or 'no cases ran'} in {self.seconds:.2f}s"


def discover(targets: Sequence[Path], skip: Collection[Path] = ()) -> list[Path]:
    """The candidate case files: each file named, and every ``*.toml`` and ``*.json`` under
    each directory named (recursively, skipping hidden directories and ``skip``), sorted.

    :raises InputError: a target does not exist.
    """
    skipped = {path.resolve() for path in skip}
    found: dict[Path, None] = {}
    for target in targets:
        if target.is_file():
            found[target] = None
        elif target.is_dir():
            for path in sorted(target.rglob("*")):
                relative = path.relative_to(target).parts
                if (
                    path.suffix.lower() in CASE_SUFFIXES
                    and path.is_file()
                    and not any(part.startswith((".", "__")) for part in relative)
                    and path.resolve() not in skipped
                ):
                    found[path] = None
        else:
            raise InputError.single(
                str(target), "$", "no such file or directory (expected case files or a directory of them)"
            )
    return list(found)


def default_directory(policy: Policy) -> Path:
    """Where a policy's cases live when none are named: ``tests/`` beside the policy file
    (for a built-in policy, ``tests/`` in the current directory)."""
    if policy.source.startswith("builtin:"):
        return Path("tests")
    return Path(policy.source).parent / "tests"


def run_case(case: Case, policy: Policy, engines: Engines, known: Collection[str]) -> CaseResult:
    """Assess one case and check its expectation."""

    def result(
        failures: Iterable[str], details: Iterable[str] = (), produced: frozenset[str] = frozenset()
    ) -> CaseResult:
        return CaseResult(
            case.path, case.name, tuple(failures), tuple(details), case.description, produced, case.named
        )

    try:
        engine = engines.engine(policy, case.mock or None, case.path.parent, str(case.path))
    except InputError as exc:
        return result(("the mocked policy cannot be used:", *(f"  {p}" for p in exc.problems)))
    try:
        assessment = engine.assess(case.transaction, source=case.transaction_source, as_of=case.as_of)
    except TransactionError as exc:
        return result(("the transaction is invalid:", *(f"  {p}" for p in exc.problems)))
    produced = frozenset(assessment.rule_ids) | {f.rule_id for f in assessment.waived}
    failures = case.expect.failures(assessment, known)
    return result(failures, describe(assessment) if failures else (), produced)


def run(
    targets: Sequence[Path] | None = None,
    policy: str | Path | Policy | None = None,
    *,
    lock: str | Path | bool = True,
) -> TestRun:
    """Run every case under ``targets`` (default: ``tests/`` beside the policy) against the
    policy (default: ``baseline``). A malformed case file is a failed case; the others run.

    :raises InputError: the policy cannot be used, a target does not exist, or there is no
        case file at all (nothing was run).
    """
    started = time.perf_counter()
    engines = Engines(lock=lock)
    loaded = engines.policy(policy)
    engine = engines.engine(loaded)  # the policy must build before any case runs
    declared = declared_rules(engine)
    known = frozenset(declared)
    if targets is None or not targets:
        directory = default_directory(loaded)
        if not directory.is_dir():
            raise InputError.single(
                str(directory),
                "$",
                "no tests directory beside the policy: name the case files or their directory",
            )
        targets = [directory]
    own_files = [f.path for f in loaded.chain if not f.source.startswith("builtin:")]
    candidates = discover(targets, skip=[*own_files, *loaded.waivers])
    named_files = {t.resolve() for t in targets if t.is_file()}
    read: list[tuple[Path, Case | InputError]] = []
    for path in candidates:
        try:
            read.append((path, read_case(path)))
        except InputError as exc:
            read.append((path, exc))
    referenced = {ref for _, case in read if isinstance(case, Case) for ref in case.references}
    results = []
    for path, case in read:
        if path.resolve() in referenced and path.resolve() not in named_files:
            continue  # a transaction or data file a case uses
        if isinstance(case, InputError):
            failures = ("malformed case file:", *(f"  {p}" for p in case.problems))
            results.append(CaseResult(path, path.stem, failures))
            continue
        try:
            results.append(run_case(case, loaded, engines, known))
        except Exception as exc:  # one broken case does not stop the others
            results.append(
                CaseResult(
                    path, case.name, (f"internal error: {type(exc).__name__}: {exc} (please report it)",)
                )
            )
    if not results:
        where = ", ".join(str(t) for t in targets)
        raise InputError.single(where, "$", "no case files (*.toml, *.json) found")
    produced = frozenset().union(*(r.produced for r in results))
    return TestRun(
        loaded,
        tuple(targets),
        tuple(results),
        RuleCoverage(declared, produced),
        time.perf_counter() - started,
    )


# --------------------------------------------------------------------------------------
# The report, in the manner of pytest
# --------------------------------------------------------------------------------------

WIDTH = 80


def _banner(title: str, fill: str = "=") -> str:
    return f" {title} ".center(WIDTH, fill)


def _section(lines: list[str], title: str) -> None:
    if lines and lines[-1]:
        lines.append("")
    lines.append(_banner(title))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def case_id(result: CaseResult) -> str:
    shown = _display(result.path)
    return f"{shown}::{result.name}" if result.named else shown


def _reason(result: CaseResult) -> str:
    """The first failure in one line (a heading ending in ':' with its first problem)."""
    first = result.failures[0]
    if first.endswith(":") and len(result.failures) > 1:
        return f"{first} {result.failures[1].strip()}"
    return first


def render(test_run: TestRun, *, show_coverage: bool = True) -> str:
    """The report ``hrdd test`` prints: a line per case, the failures with the assessment
    behind each, the rules no case produced, and pytest's summary line."""
    policy = test_run.policy
    where = policy.source if policy.source.startswith("builtin:") else _display(Path(policy.source))
    lines = [
        _banner("hrdd test session starts"),
        f"policy {policy.name} {policy.version} ({where})",
        f"collected {len(test_run.results)} case{'s' if len(test_run.results) != 1 else ''} from "
        + ", ".join(_display(t) for t in test_run.targets),
        "",
    ]
    lines += [f"{case_id(r)} {'PASSED' if r.passed else 'FAILED'}" for r in test_run.results]
    failed = [r for r in test_run.results if not r.passed]
    if failed:
        _section(lines, "FAILURES")
        for result in failed:
            lines.append(_banner(case_id(result), "_"))
            if result.description:
                lines.append(f"case: {_shorten(result.description, 400)}")
            lines += list(result.failures)
            if result.details:
                lines += ["", *result.details]
            lines.append("")
    coverage = test_run.coverage
    if show_coverage:
        _section(lines, "rule coverage")
        covered = len(coverage.declared) - len(coverage.uncovered)
        lines.append(
            f"{covered} of {len(coverage.declared)} rules of the policy's plugins produced by some case"
            + (": every rule is exercised" if not coverage.uncovered else "; not produced by any case:")
        )
        for rule in coverage.uncovered:
            plugin, title = coverage.declared[rule]
            lines.append(f"  {rule} ({plugin}): {_shorten(title, 100)}")
    if failed:
        _section(lines, "short test summary info")
        lines += [f"FAILED {case_id(r)} - {_shorten(_reason(r), 120)}" for r in failed]
    lines.append(_banner(test_run.summary()))
    return "\n".join(lines) + "\n"
