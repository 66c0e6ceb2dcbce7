"""The exceptions hrdd raises, and the problem records that make them actionable."""

from __future__ import annotations

from collections.abc import Iterable

import attrs


@attrs.frozen
class Problem:
    """One thing wrong with one document: where it is, what was found, what was expected.

    :ivar source: the file (or ``<input>`` for an in-memory document).
    :ivar path: a JSONPath-like location inside the document (``$.items[0].categories[1]``),
        or ``$`` for the document as a whole.
    :ivar message: what is wrong and what was expected.
    """

    source: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.path}: {self.message}"


class HrddError(Exception):
    """Base class of every error hrdd raises on purpose."""


class InputError(HrddError):
    """Raised when a document a user gave (transaction, policy, configuration, data file) is
    unreadable or invalid. Carries every problem found in the document, not only the first.
    The CLI reports each problem on its own line and exits with code 2."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @classmethod
    def single(cls, source: str, path: str, message: str) -> InputError:
        return cls([Problem(source, path, message)])


class PolicyError(InputError):
    """Raised when a policy cannot be loaded or enforced: invalid TOML or schema violation,
    an ``extends`` cycle, an unknown or unsatisfied plugin, an invalid plugin config table,
    a ``path =`` extension that is missing or outside the policy's directory tree."""


class TransactionError(InputError):
    """Raised when a transaction document is unreadable or violates the transaction schema."""


class PluginLoadError(PolicyError):
    """Raised when an enabled plugin cannot be imported, registered or configured: its module
    fails to import, a hook implementation names a hook nobody specified, or its signature
    does not match the specification."""


class DecisionLogError(HrddError):
    """Raised when a decision cannot be appended to the decision log: the log's file or
    directory cannot be written (read-only, disk full, missing directory), the database
    refuses the write, or the log's last record is damaged so the chain cannot be continued.
    Nothing was appended; the CLI reports nothing and exits with code 3.

    :ivar target: the log (a path or ``sqlite:///PATH``).
    :ivar reason: what went wrong.
    """

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        self.reason = reason
        super().__init__(f"cannot append to the decision log {target}: {reason}")
