"""The context a check receives: its own configuration and the facts shared by earlier hooks."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from hrdd.model import CapabilityProfile, Item, Transaction

UNKNOWN: Any = None


class SharedFacts:
    """Facts derived during one assessment that every plugin may read: the items' capability
    profiles, and the transaction facts plugins publish (``hrdd_transaction_facts``) with the
    plugin that published each."""

    __slots__ = ("profiles", "sources", "values")

    def __init__(self) -> None:
        self.profiles: dict[str, CapabilityProfile] = {}
        self.values: dict[str, Any] = {}
        self.sources: dict[str, str] = {}


class Reference(NamedTuple):
    """The day a deal's dated facts are measured against (the age of a data set, whether a
    report is recent): the transaction's date, or, for an undated deal, the day the
    assessment is made as of (``CheckContext.reference``).

    Hashable, and a whole memo key for what is measured: a deal dated D and an undated deal
    assessed on D are measured alike but said apart (``dated`` differs)."""

    date: _dt.date
    dated: bool

    def days_since(self, day: _dt.date) -> int:
        """How many days ``day`` (a data set's date) lies before the reference."""
        return (self.date - day).days

    def against(self, *, with_date: bool = True) -> str:
        """What a message says the age was measured against: "the transaction date
        YYYY-MM-DD" (or without the date) for a dated deal, "today" for an undated one."""
        if not self.dated:
            return "today"
        return f"the transaction date {self.date.isoformat()}" if with_date else "the transaction date"


class CheckContext:
    """One plugin's view of one assessment.

    :ivar plugin: the plugin's distribution name.
    :ivar config: the plugin's normalised ``[plugins.<name>.config]`` table.
    :ivar policy_dir: the directory of the policy that configured the plugin (resolve data
        paths against it).
    :ivar state: what the plugin's ``hrdd_configure`` returned as ``PluginSetup.state``.
    :ivar as_of: the date the assessment is made as of (today in UTC, or the date of the
        assessment being replayed). A check that compares dates with "now" (the age of a data
        set, whether a report is recent) uses :meth:`reference` (the transaction's date, else
        this), never the clock, so a replay gives the same findings.
    """

    __slots__ = ("_facts", "as_of", "config", "plugin", "policy_dir", "state")

    def __init__(
        self,
        plugin: str,
        config: Mapping[str, Any],
        policy_dir: Path,
        facts: SharedFacts,
        state: Any = None,
        as_of: _dt.date | None = None,
    ) -> None:
        self.plugin = plugin
        self.config = config
        self.policy_dir = policy_dir
        self.state = state
        self.as_of = as_of if as_of is not None else _dt.datetime.now(_dt.UTC).date()
        self._facts = facts

    def reference(self, transaction: Transaction) -> Reference:
        """The day the transaction's dated facts are measured against (see :class:`Reference`)."""
        date = transaction.date
        return Reference(date, True) if date is not None else Reference(self.as_of, False)

    def profile(self, item: Item | str) -> CapabilityProfile:
        """The merged capability profile of an item (an empty profile when nobody classified
        it: an item no plugin profiled has no capability anybody vouched for)."""
        item_id = item if isinstance(item, str) else item.id
        profile = self._facts.profiles.get(item_id)
        return profile if profile is not None else CapabilityProfile(item_id=item_id)

    @property
    def profiles(self) -> Mapping[str, CapabilityProfile]:
        return self._facts.profiles

    def fact(self, name: str, default: Any = UNKNOWN) -> Any:
        """A transaction fact another plugin published, or ``default`` (None: unknown) when no
        enabled plugin published it. Unknown is never favourable: a reader that needs the
        fact decides as if the worst were true, or reports the missing input."""
        return self._facts.values.get(name, default)

    def fact_source(self, name: str) -> str | None:
        """The plugin that published a fact (for evidence), or None."""
        return self._facts.sources.get(name)

    @property
    def facts(self) -> Mapping[str, Any]:
        return self._facts.values
