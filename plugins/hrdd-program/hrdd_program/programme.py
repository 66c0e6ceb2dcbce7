"""The exporter's programme as a policy states it: the config schema, and what each element lacks.

The Draft Guidance asks exporters to integrate human-rights due diligence into their export
compliance programme "including support from the highest levels within an exporter's
organization, training on relevant human rights considerations for employees,
documentation, and communication of both commitment and steps taken", and to engage the
stakeholders whose interests their exports could affect (``dd-3``). A policy states the
programme in ``[plugins.hrdd-program.config]``; nothing there is assumed: an element the
policy does not state is missing, and a fact of an element it does not state (how many
staff were trained, how long records are kept) is not established.

Each element is evaluated once per engine (:func:`evaluate`); only what depends on the
transaction's date (an element too old, or dated after the deal) is decided per transaction
(:meth:`Element.gaps_on`).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

PROGRAMME = "draft-2019:dd-program"
STAKEHOLDERS = "draft-2019:dd-3"
PUBLIC_COMMUNICATION = "draft-2019:dd-4"
GRIEVANCE_BEFORE = "draft-2019:consideration-6"
GRIEVANCE_AFTER = "draft-2019:consideration-7"

RISK_LEVELS = ("low", "medium", "high", "critical")  # transaction.risk_level, in order
APPROVERS = (
    "board",
    "chief_executive",
    "executive_committee",
    "senior_management",
    "compliance_function",
    "other",
)
# "Support from the highest levels": the board, the chief executive, or the executive
# committee they chair. A commitment signed lower down is a commitment, not that support.
HIGHEST_LEVELS = ("board", "chief_executive", "executive_committee")
RECORDKEEPING_NOTE = "15 CFR 762.6 keeps export records for five years"

TABLE = "[plugins.hrdd-program.config"  # + ".<key>]" in remediation texts

# --------------------------------------------------------------------------------------
# Config schema (cerberus)
# --------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A published channel: a web address, or a mailto: address.
_URL = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+\S*|mailto:[^\s@]+@[^\s@]+\.[^\s@]+")


def _to_date(value: Any) -> Any:
    """Normalise a date: TOML dates stay, TOML date-times keep their date, ``"YYYY-MM-DD"``
    strings are read; anything else is left as it is for :func:`_check_date` to refuse."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            return value  # "2025-13-01": refused below, with the value quoted
    return value


def _check_date(field: str, value: Any, error: Callable[[str, str], None]) -> None:
    if value is None:
        return
    if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
        error(field, f"must be a date (YYYY-MM-DD, e.g. 2025-03-12), got {value!r}")
    elif value > _dt.date.today():
        # The policy states what has happened (the last training, the last engagement); a
        # planned date would make a programme look in place before it is.
        error(field, f"{value.isoformat()} is in the future; give the date on which it took place")


def _check_text(field: str, value: Any, error: Callable[[str, str], None]) -> None:
    if isinstance(value, str) and not value.strip():
        error(field, "must not be blank")


def _check_url(field: str, value: Any, error: Callable[[str, str], None]) -> None:
    if isinstance(value, str) and not _URL.fullmatch(value.strip()):
        error(field, f"must be a web address (https://...) or a mailto: address, got {value!r}")


def _check_channel(field: str, value: Any, error: Callable[[str, str], None]) -> None:
    if isinstance(value, Mapping) and value.get("url") is None and value.get("description") is None:
        error(field, "state where the channel is published (url) or how it is reached (description)")


def _one_of(values: tuple[str, ...]) -> Callable[[str, Any, Callable[[str, str], None]], None]:
    def check(field: str, value: Any, error: Callable[[str, str], None]) -> None:
        if isinstance(value, str) and value not in values:
            error(field, f"{value!r} is not one of {', '.join(values)}")

    return check


def _check_share(field: str, value: Any, error: Callable[[str, str], None]) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not 0 <= value <= 1:
        error(field, f"{value!r} is not a share between 0 and 1 (write 95% as 0.95)")


def _required(rule: Mapping[str, Any]) -> dict[str, Any]:
    return {**rule, "required": True}


def _optional(rule: Mapping[str, Any]) -> dict[str, Any]:
    return {**rule, "nullable": True, "default": None}


def _element(fields: Mapping[str, Any], **rules: Any) -> dict[str, Any]:
    """An element of the programme: a table, or nothing (None: not stated, so missing)."""
    return {"type": "dict", "nullable": True, "default": None, "schema": dict(fields), **rules}


DATE: dict[str, Any] = {"coerce": _to_date, "check_with": _check_date}
TEXT: dict[str, Any] = {"type": "string", "check_with": _check_text}
URL: dict[str, Any] = {"type": "string", "check_with": _check_url}
DAYS: dict[str, Any] = {"type": "integer", "min": 1}
SHARE: dict[str, Any] = {"type": "number", "check_with": _check_share}

CONFIG_SCHEMA: dict[str, Any] = {
    # What the programme has. Keys that make an element auditable (who approved it and
    # when; the date; where it is published) are required inside its table; facts that say
    # whether it is enough (the share trained, the retention) default to None: not stated.
    "commitment": _element(
        {
            "approved_by": _required({"type": "string", "check_with": _one_of(APPROVERS)}),
            "date": _required(DATE),
            "reference": _optional(TEXT),
        }
    ),
    "training": _element(
        {
            "date": _required(DATE),
            "share_trained": _optional(SHARE),
            "description": _optional(TEXT),
        }
    ),
    "documentation": _element(
        {
            "records_kept": _required({"type": "boolean"}),
            "retention_years": _optional({"type": "integer", "min": 0}),
            "description": _optional(TEXT),
        }
    ),
    "stakeholder_engagement": _element(
        {
            "date": _required(DATE),
            "description": _required(TEXT),
        }
    ),
    "grievance_channel": _element(
        {"url": _optional(URL), "description": _optional(TEXT)},
        check_with=_check_channel,
    ),
    "public_commitment": _element(
        {
            "url": _required(URL),
            "date": _optional(DATE),
            "steps_report_url": _optional(URL),
        }
    ),
    # What the guidance's expectations mean in numbers (project rules; see the README).
    "max_age_days": {
        "type": "dict",
        "default": {},
        "schema": {
            "commitment": _optional(DAYS),
            "training": {**DAYS, "default": 365},
            "stakeholder_engagement": {**DAYS, "default": 365},
            "public_commitment": _optional(DAYS),
        },
    },
    "min_share_trained": {**SHARE, "default": 0.9},
    "min_retention_years": {"type": "integer", "min": 0, "default": 5},
    "escalate_at": {"type": "string", "check_with": _one_of(RISK_LEVELS), "default": "high"},
}

# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """One way an element falls short of what the guidance expects, with its evidence."""

    reason: str
    evidence: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Element:
    """One element of the programme, evaluated against the policy's expectations.

    ``gaps`` are the shortfalls that hold whatever the transaction; ``dated`` (with
    ``max_age_days``) is what ages: :meth:`gaps_on` adds the shortfalls of one day.
    """

    key: str
    rule_id: str
    title: str
    clauses: tuple[str, ...]
    expectation: str
    remediation: str
    summary: str | None  # what is in place, for the programme summary; None: not stated
    evidence: tuple[tuple[str, Any], ...]
    gaps: tuple[Gap, ...] = ()
    dated: _dt.date | None = None
    max_age_days: int | None = None

    @property
    def path(self) -> str:
        return f"config.{self.key}"

    def gaps_on(self, day: _dt.date) -> tuple[Gap, ...]:
        """The element's shortfalls on ``day`` (the transaction's date, or today)."""
        if self.dated is None:
            return self.gaps
        where = (f"{self.path}.date", self.dated.isoformat())
        if self.dated > day:
            return (
                *self.gaps,
                Gap(
                    f"it is dated {self.dated.isoformat()}, after {day.isoformat()}, so it was not in place "
                    "on the transaction's date",
                    (where,),
                ),
            )
        age = (day - self.dated).days
        if self.max_age_days is not None and age > self.max_age_days:
            return (
                *self.gaps,
                Gap(
                    f"it dates from {self.dated.isoformat()}, {age} days before {day.isoformat()}, "
                    f"older than the {self.max_age_days} days the policy allows",
                    (where, ("age_days", age), (f"config.max_age_days.{self.key}", self.max_age_days)),
                ),
            )
        return self.gaps


def _not_stated(key: str) -> Gap:
    return Gap(f"not stated in the policy ({TABLE}.{key}] is not set)", ((f"config.{key}", None),))


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def _commitment(table: Mapping[str, Any] | None, config: Mapping[str, Any]) -> Element:
    element = Element(
        key="commitment",
        rule_id="HRDD-PRG-002",
        title="Commitment from the highest levels",
        clauses=(PROGRAMME,),
        expectation="support from the highest levels of the exporter's organisation (the board, "
        "the chief executive or the executive committee) for human-rights due diligence in its export compliance programme",
        remediation="Have the board or the chief executive adopt a commitment to human-rights due "
        "diligence on surveillance-capable exports, and record it in "
        f"{TABLE}.commitment] (approved_by, date).",
        summary=None,
        evidence=(("config.commitment", None),),
    )
    if table is None:
        return _with(element, gaps=(_not_stated("commitment"),))
    approved_by, date = table["approved_by"], table["date"]
    evidence: tuple[tuple[str, Any], ...] = (
        ("config.commitment.approved_by", approved_by),
        ("config.commitment.date", date.isoformat()),
    )
    if table["reference"] is not None:
        evidence += (("config.commitment.reference", table["reference"]),)
    gaps: tuple[Gap, ...] = ()
    if approved_by not in HIGHEST_LEVELS:
        gaps = (
            Gap(
                f"it was approved by {approved_by.replace('_', ' ')}, not at the highest level "
                f"({', '.join(level.replace('_', ' ') for level in HIGHEST_LEVELS)})",
                (("config.commitment.approved_by", approved_by),),
            ),
        )
    return _with(
        element,
        summary=f"commitment approved by the {approved_by.replace('_', ' ')} on {date.isoformat()}",
        evidence=evidence,
        gaps=gaps,
        dated=date,
        max_age_days=config["max_age_days"]["commitment"],
    )


def _training(table: Mapping[str, Any] | None, config: Mapping[str, Any]) -> Element:
    minimum, max_age = config["min_share_trained"], config["max_age_days"]["training"]
    element = Element(
        key="training",
        rule_id="HRDD-PRG-003",
        title="Human-rights training",
        clauses=(PROGRAMME,),
        expectation="training of employees on the human-rights considerations of the exporter's "
        "items, as part of trade-compliance training",
        remediation="Train trade-compliance staff on the human-rights risks of surveillance-capable "
        f"exports (at least {_percent(minimum)} of them, every {max_age} days) and record it in "
        f"{TABLE}.training] (date, share_trained).",
        summary=None,
        evidence=(("config.training", None),),
    )
    if table is None:
        return _with(element, gaps=(_not_stated("training"),))
    date, share = table["date"], table["share_trained"]
    evidence: tuple[tuple[str, Any], ...] = (
        ("config.training.date", date.isoformat()),
        ("config.training.share_trained", share),
    )
    gaps: tuple[Gap, ...] = ()
    if share is None:
        gaps = (
            Gap(
                "the share of trade-compliance staff trained is not stated",
                (("config.training.share_trained", None),),
            ),
        )
    elif share < minimum:
        gaps = (
            Gap(
                f"{_percent(share)} of trade-compliance staff were trained, fewer than the "
                f"{_percent(minimum)} the policy expects",
                (("config.training.share_trained", share), ("config.min_share_trained", minimum)),
            ),
        )
    trained = f", {_percent(share)} of trade-compliance staff" if share is not None else ""
    return _with(
        element,
        summary=f"human-rights training on {date.isoformat()}{trained}",
        evidence=evidence,
        gaps=gaps,
        dated=date,
        max_age_days=max_age,
    )


def _documentation(table: Mapping[str, Any] | None, config: Mapping[str, Any]) -> Element:
    minimum = config["min_retention_years"]
    element = Element(
        key="documentation",
        rule_id="HRDD-PRG-004",
        title="Due-diligence records",
        clauses=(PROGRAMME,),
        expectation="documentation of the human-rights due diligence done on each export",
        remediation=f"Keep the due-diligence record of every assessment for at least {minimum} years "
        f"and record it in {TABLE}.documentation] (records_kept, retention_years).",
        summary=None,
        evidence=(("config.documentation", None),),
    )
    if table is None:
        return _with(element, gaps=(_not_stated("documentation"),))
    kept, years = table["records_kept"], table["retention_years"]
    evidence = (
        ("config.documentation.records_kept", kept),
        ("config.documentation.retention_years", years),
    )
    if not kept:
        gap = Gap(
            "the policy states that due-diligence records are not kept",
            (("config.documentation.records_kept", False),),
        )
        return _with(element, evidence=evidence, gaps=(gap,))
    gaps: tuple[Gap, ...] = ()
    if years is None:
        gaps = (
            Gap(
                "how long the records are kept is not stated",
                (("config.documentation.retention_years", None),),
            ),
        )
    elif years < minimum:
        gaps = (
            Gap(
                f"records are kept for {years} years, less than the {minimum} the policy expects "
                f"({RECORDKEEPING_NOTE})",
                (("config.documentation.retention_years", years), ("config.min_retention_years", minimum)),
            ),
        )
    kept_for = f" for {years} years" if years is not None else ""
    return _with(element, summary=f"due-diligence records kept{kept_for}", evidence=evidence, gaps=gaps)


def _stakeholder_engagement(table: Mapping[str, Any] | None, config: Mapping[str, Any]) -> Element:
    max_age = config["max_age_days"]["stakeholder_engagement"]
    element = Element(
        key="stakeholder_engagement",
        rule_id="HRDD-PRG-005",
        title="Stakeholder engagement",
        clauses=(STAKEHOLDERS,),
        expectation="ongoing communication with those whose interests the exporter's activities could "
        "affect (affected people, civil society, human-rights defenders)",
        remediation="Engage affected stakeholders or civil-society organisations on the risks of the "
        f"exporter's surveillance-capable items (at least every {max_age} days) and record the last "
        f"engagement in {TABLE}.stakeholder_engagement] (date, description).",
        summary=None,
        evidence=(("config.stakeholder_engagement", None),),
    )
    if table is None:
        return _with(element, gaps=(_not_stated("stakeholder_engagement"),))
    date, description = table["date"], table["description"]
    return _with(
        element,
        summary=f"stakeholder engagement on {date.isoformat()} ({description.strip()})",
        evidence=(
            ("config.stakeholder_engagement.date", date.isoformat()),
            ("config.stakeholder_engagement.description", description),
        ),
        dated=date,
        max_age_days=max_age,
    )


def _grievance_channel(table: Mapping[str, Any] | None, config: Mapping[str, Any]) -> Element:
    element = Element(
        key="grievance_channel",
        rule_id="HRDD-PRG-006",
        title="Grievance channel",
        clauses=(STAKEHOLDERS, GRIEVANCE_BEFORE, GRIEVANCE_AFTER),
        expectation="a strong grievance mechanism through which affected people and others can raise "
        "misuse of the exporter's items",
        remediation="Publish a grievance channel through which anyone can report misuse of the "
        f"exporter's items, and record it in {TABLE}.grievance_channel] (url or description).",
        summary=None,
        evidence=(("config.grievance_channel", None),),
    )
    if table is None:
        return _with(element, gaps=(_not_stated("grievance_channel"),))
    url, description = table["url"], table["description"]
    shown = url if url is not None else description.strip()
    return _with(
        element,
        summary=f"grievance channel ({shown})",
        evidence=(
            ("config.grievance_channel.url", url),
            ("config.grievance_channel.description", description),
        ),
    )


def _public_commitment(table: Mapping[str, Any] | None, config: Mapping[str, Any]) -> Element:
    element = Element(
        key="public_commitment",
        rule_id="HRDD-PRG-007",
        title="Public commitment and steps taken",
        clauses=(PROGRAMME, PUBLIC_COMMUNICATION),
        expectation="communication of both the exporter's commitment and the steps it has taken",
        remediation="Publish the human-rights commitment and a regular account of the steps taken "
        f"(for example in the annual report), and record both in {TABLE}.public_commitment] "
        "(url, steps_report_url).",
        summary=None,
        evidence=(("config.public_commitment", None),),
    )
    if table is None:
        return _with(element, gaps=(_not_stated("public_commitment"),))
    url, date, steps = table["url"], table["date"], table["steps_report_url"]
    evidence: tuple[tuple[str, Any], ...] = (
        ("config.public_commitment.url", url),
        ("config.public_commitment.steps_report_url", steps),
    )
    if date is not None:
        evidence += (("config.public_commitment.date", date.isoformat()),)
    gaps: tuple[Gap, ...] = ()
    if steps is None:
        gaps = (
            Gap(
                "the steps taken are not published (steps_report_url is not stated)",
                (("config.public_commitment.steps_report_url", None),),
            ),
        )
    reported = f"; steps taken at {steps}" if steps is not None else ""
    return _with(
        element,
        summary=f"public commitment at {url}{reported}",
        evidence=evidence,
        gaps=gaps,
        dated=date,
        max_age_days=config["max_age_days"]["public_commitment"],
    )


def _with(element: Element, **changes: Any) -> Element:
    return replace(element, **changes)


EVALUATORS: tuple[Callable[[Mapping[str, Any] | None, Mapping[str, Any]], Element], ...] = (
    _commitment,
    _training,
    _documentation,
    _stakeholder_engagement,
    _grievance_channel,
    _public_commitment,
)
ELEMENT_KEYS = (
    "commitment",
    "training",
    "documentation",
    "stakeholder_engagement",
    "grievance_channel",
    "public_commitment",
)


def evaluate(config: Mapping[str, Any]) -> tuple[Element, ...]:
    """Every element of the programme, from the plugin's normalised config table."""
    return tuple(
        evaluator(config[key], config) for key, evaluator in zip(ELEMENT_KEYS, EVALUATORS, strict=True)
    )
