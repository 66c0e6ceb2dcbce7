"""hrdd's testing kit: a pytest plugin to assess transactions under a policy and assert the
decision *and* the rules that decided it.

Installed with the core and registered through the ``pytest11`` entry point, so the fixtures
are there in every pytest run of an environment where hrdd is installed, with nothing to
import or configure. None of them is autouse, and this module imports only what pytest
already has until a fixture is used.

Fixtures:

- ``hrdd_policy``: the policy the other fixtures use when a test names none. ``None`` (the
  built-in ``baseline``) unless a ``conftest.py`` or test module overrides it, for example
  ``return Path(__file__).parent.parent / "policy.toml"``.
- ``hrdd_engine``: ``hrdd_engine(policy=None, *, mock=None) -> hrdd.Engine``; engines are
  built once per session per policy (rebuilt when the policy file changes) and per mock.
- ``hrdd_assess``: ``hrdd_assess(transaction, *, policy=..., overrides=None, remove=(),
  mock=None, as_of=None) -> hrdd.Assessment``; the transaction is a dict or the path of a
  JSON or TOML document; ``overrides`` change fields by path (``{"end_user.country": "BY"}``,
  see :mod:`hrdd.overrides`); ``mock`` replaces plugin configuration for this call
  (``{"hrdd-screening.lists": [str(tmp_path / "list.csv")]}``); ``as_of`` is the date the
  assessment is made as of (default today), on which waivers and data ages are weighed.

And :func:`assert_decision`, importable from here.
"""

from __future__ import annotations

import copy
import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from hrdd.cases import Engines
    from hrdd.engine import Engine
    from hrdd.model import Assessment

_DEFAULT: Any = object()

# The rules each assessed transaction's engine declares, keyed by id(assessment), so
# assert_decision can tell a misspelt rule id from one that did not fire.
_KNOWN_RULES: dict[int, tuple[Any, frozenset[str]]] = {}


def _remember(assessment: Assessment, engine: Engine) -> None:
    import weakref

    from hrdd.cases import declared_rules

    key = id(assessment)
    _KNOWN_RULES[key] = (
        weakref.ref(assessment, lambda _: _KNOWN_RULES.pop(key, None)),
        frozenset(declared_rules(engine)),
    )


def _known_rules(assessment: Assessment) -> frozenset[str] | None:
    entry = _KNOWN_RULES.get(id(assessment))
    if entry is None or entry[0]() is not assessment:
        return None
    return entry[1]


def assert_decision(
    assessment: Assessment,
    decision: str,
    *,
    rules: Iterable[str],
    absent: Iterable[str] = (),
    reported: Iterable[str] = (),
    waived: Iterable[str] = (),
) -> None:
    """Assert an assessment's decision and the rules behind it.

    :param decision: ``proceed``, ``proceed_with_safeguards``, ``escalate`` or ``do_not_proceed``.
    :param rules: rule ids that must be among the findings that weigh in the decision
        (effective outcome ``safeguards_required``, ``escalate``, ``do_not_proceed`` or
        ``error``). Required: a test that checks only the decision passes for the wrong
        reason too often. ``rules=[]`` says so explicitly.
    :param absent: rule ids that must not be among the findings, at any outcome.
    :param reported: rule ids that must be among the findings at any outcome.
    :param waived: rule ids that must be among the findings a waiver set aside.
    :raises AssertionError: listing what does not hold, then the decision and every finding
        (rule id, effective outcome, plugin, subject, message). An assessment made by
        ``hrdd_assess`` also fails when a named rule id is declared by no enabled plugin.
    """
    __tracebackhide__ = True
    from hrdd.cases import Expectation, describe

    if (
        isinstance(rules, str)
        or isinstance(absent, str)
        or isinstance(reported, str)
        or isinstance(waived, str)
    ):
        raise TypeError("rules, absent, reported and waived are lists of rule ids, not a string")
    expectation = Expectation(decision, tuple(rules), tuple(absent), tuple(reported), tuple(waived))
    failures = expectation.failures(assessment, _known_rules(assessment))
    if failures:
        raise AssertionError("\n".join([*failures, "", *describe(assessment)]))


def _read_transaction(transaction: Mapping[str, Any] | str | Path) -> tuple[dict[str, Any], str]:
    from hrdd import documents
    from hrdd.errors import TransactionError

    if isinstance(transaction, (str, Path)):
        path = Path(transaction)
        document = documents.read_document(path, TransactionError)
        if not isinstance(document, dict):
            raise TransactionError.single(str(path), "$", "expected a JSON object")
        return document, str(path)
    if not isinstance(transaction, Mapping):
        raise TypeError(f"transaction: expected a dict or a path, got {type(transaction).__name__}")
    return copy.deepcopy(dict(transaction)), "<test>"


@pytest.fixture(scope="session")
def _hrdd_engines() -> Engines:
    from hrdd.cases import Engines

    return Engines()


@pytest.fixture
def hrdd_policy() -> str | Path | None:
    """The policy the hrdd fixtures use when a test names none: ``None`` is the built-in
    ``baseline``. Override it in a ``conftest.py`` or test module to test your own."""
    return None


@pytest.fixture
def hrdd_engine(_hrdd_engines: Engines, hrdd_policy: str | Path | None) -> Callable[..., Engine]:
    """``hrdd_engine(policy=None, *, mock=None)``: the engine for a policy (a built-in name,
    a path, or ``hrdd_policy`` when left out), built once per session; ``mock`` replaces
    plugin configuration (``{"<plugin>.<key>": value}``; relative paths are relative to the
    current directory)."""

    def build(policy: Any = _DEFAULT, *, mock: Mapping[str, Any] | None = None) -> Engine:
        __tracebackhide__ = True
        chosen = hrdd_policy if policy is _DEFAULT else policy
        return _hrdd_engines.engine(chosen, mock, Path.cwd(), "hrdd_engine(mock=...)")

    return build


@pytest.fixture
def hrdd_assess(hrdd_engine: Callable[..., Engine]) -> Callable[..., Assessment]:
    """``hrdd_assess(transaction, *, policy=..., overrides=None, remove=(), mock=None, as_of=None)``:
    assess a transaction (a dict, or the path of a JSON or TOML document) under a policy
    (``hrdd_policy`` when left out), with fields changed by path and plugin configuration
    mocked for this call, as of a date (``datetime.date``; default today: waivers and data
    ages are weighed on it). An override that does not fit the document raises ``ValueError``."""

    def assess(
        transaction: Mapping[str, Any] | str | Path,
        *,
        policy: Any = _DEFAULT,
        overrides: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
        mock: Mapping[str, Any] | None = None,
        as_of: _dt.date | None = None,
    ) -> Assessment:
        __tracebackhide__ = True
        from hrdd import overrides as paths

        engine = hrdd_engine(policy, mock=mock)
        document, source = _read_transaction(transaction)
        if overrides or remove:
            document, problems = paths.apply(document, overrides, list(remove))
            if problems:
                raise ValueError(
                    "overrides do not fit the transaction:\n" + "\n".join(m for _, m in problems)
                )
        assessment = engine.assess(document, source=source, as_of=as_of)
        _remember(assessment, engine)
        return assessment

    return assess
