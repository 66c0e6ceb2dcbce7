"""The transaction's commensurate risk level (dd-1), from the facts other plugins publish and
the items' misuse potential."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from hrdd import CONTEXT_EVENTS, CheckContext, Evidence, Transaction
from hrdd_contract_safeguards.table import FACTORS, SafeguardTable

# The values each fact may take (the facts contract of docs/hooks.md); anything else is a
# publisher's mistake, weighed as unknown and reported.
ALLOWED: dict[str, frozenset[Any]] = {
    "destination.risk_tier": frozenset({"low", "moderate", "high", "very_high"}),
    "destination.legal_risk": frozenset({"low", "moderate", "high", "very_high"}),
    "stakeholders.opacity": frozenset({"low", "medium", "high"}),
}
FLAGS = ("end_user.government_linked", "end_user.sensitive_function", "end_user.credible_misuse")
EVENTS = "context.sensitive_events"
GOVERNMENT_ONLY = frozenset({"destination_tier", "legal_risk"})
READS = tuple(fact for fact, _ in FACTORS.values() if fact is not None)


@attrs.frozen
class Risk:
    """A transaction's risk points and level, with how each factor contributed.

    :ivar breakdown: factor -> {"value": what was weighed, "points": its points}.
    :ivar unknown: facts nobody published (and ``items`` when no item was profiled).
    :ivar invalid: facts published with a value outside the contract, by name.
    """

    points: int
    level: str
    breakdown: Mapping[str, Mapping[str, Any]]
    unknown: tuple[str, ...]
    invalid: Mapping[str, Any]

    def evidence(self) -> tuple[Evidence, ...]:
        """The evidence every finding of the plugin carries: points, level, what was unknown
        (built once per check and shared by its findings)."""
        found: dict[str, Any] = {
            "transaction.risk_level": self.level,
            "risk.points": self.points,
            "risk.breakdown": {factor: dict(part) for factor, part in self.breakdown.items()},
            "risk.unknown_facts": list(self.unknown),
        }
        if self.invalid:
            # As written (repr): a publisher's garbage need not be JSON-ready.
            found["risk.invalid_facts"] = {fact: repr(value) for fact, value in self.invalid.items()}
        return tuple(Evidence(path, value) for path, value in found.items())

    def summary(self) -> str:
        """'7 points: misuse potential 4, destination tier high ...' for messages."""
        parts = [
            f"{factor.replace('_', ' ')} {part['value']} +{part['points']}"
            for factor, part in self.breakdown.items()
            if part["points"]
        ]
        return f"{self.points} points" + (f": {', '.join(parts)}" if parts else "")


def _value_key(fact: str, value: Any) -> str | None:
    """The weight-table key for a published value, or None when the value breaks the contract."""
    if fact in ALLOWED:
        return value if isinstance(value, str) and value in ALLOWED[fact] else None
    if fact in FLAGS:
        return ("yes" if value else "no") if isinstance(value, bool) else None
    if fact == EVENTS:
        if isinstance(value, (list, tuple)) and all(v in CONTEXT_EVENTS for v in value):
            return "yes" if value else "no"
        return None
    return None  # pragma: no cover - every factor's fact is listed above


def assess_risk(transaction: Transaction, context: CheckContext, table: SafeguardTable) -> Risk:
    """The risk points and level of a transaction: facts first (a fact nobody published weighs
    its ``unknown`` weight), then the highest misuse potential of the profiled items."""
    breakdown: dict[str, dict[str, Any]] = {}
    unknown: list[str] = []
    invalid: dict[str, Any] = {}
    points = 0

    profiled = [context.profiles[item.id] for item in transaction.items if item.id in context.profiles]
    weights = table.weights
    potential_shown: int | str
    if profiled:
        potential = max(profile.misuse_potential for profile in profiled)
        potential_shown, potential_points = potential, potential
        if len(profiled) < len(transaction.items):
            # An item nobody classified may be the gravest: never below the unknown weight.
            potential_shown = f"{potential} (some items not profiled)"
            potential_points = max(potential, weights["misuse_potential"]["unknown"])
            unknown.append("items.misuse_potential")
    else:
        potential_shown, potential_points = "unknown", weights["misuse_potential"]["unknown"]
        unknown.append("items.misuse_potential")
    breakdown["misuse_potential"] = {"value": potential_shown, "points": potential_points}
    points += potential_points

    for factor, (fact, _values) in FACTORS.items():
        if fact is None:
            continue
        value = context.fact(fact)
        if value is None:
            key = "unknown"
            unknown.append(fact)
        else:
            checked = _value_key(fact, value)
            if checked is None:
                invalid[fact] = value
                key = "unknown"
            else:
                key = checked
        weight = weights[factor][key]
        if factor in GOVERNMENT_ONLY and weight > 0 and context.fact("end_user.government_linked") is False:
            # The destination's record and laws weigh a deal mostly because its government could
            # misuse the item; for an end user with no link to that government they weigh one
            # point less (a government can still requisition or compel access to what a private
            # buyer holds, which the record and legal-framework plugins report on their own).
            weight -= 1
        if fact in invalid:
            shown: Any = f"invalid {value!r} (weighed as unknown)"
        elif key == "unknown":
            shown = "unknown"
        else:
            shown = sorted(value) if fact == EVENTS else value
        breakdown[factor] = {"value": shown, "points": weight}
        points += weight
    return Risk(points, table.level_for(points), breakdown, tuple(unknown), invalid)
