"""The hrdd hooks of acme-legal-reviews: ACME Legal's review of the destination's surveillance laws.

Before ACME sells an item with surveillance capabilities into a country, its counsel reviews
that country's surveillance laws and their practice against the ICCPR (the guidance's
consideration 4) and records a conclusion: ``cleared``, ``conditions`` (cleared if the deal
meets stated conditions) or ``refused``. The reviews live in a data file with a [meta]
provenance table (``acme_legal_reviews/data/legal-reviews.toml``, or the policy's own file,
config key ``data``). A review older than ``max_age_days`` on the transaction's date, or
dated after it, is no review for that deal.

Keep this module cheap to import (``hrdd plugins`` imports it). Import only ``hrdd``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hrdd import (
    CheckContext,
    Finding,
    Outcome,
    PluginInfo,
    PluginSetup,
    PolicyError,
    Problem,
    RuleInfo,
    Severity,
    Transaction,
    hookimpl,
    read_data_file,
)

# Review whether the end user's surveillance laws and their practice meet the ICCPR.
LEGAL_FRAMEWORK = "draft-2019:consideration-4"

# Rule ids are stable: policies, reports and waivers name them. Never renumber or reuse one.
NO_CURRENT_REVIEW = "ACME-LGL-001"
CONDITIONS = "ACME-LGL-002"
REFUSED = "ACME-LGL-003"

RULES = (
    RuleInfo(
        NO_CURRENT_REVIEW,
        "No current legal review of the destination's surveillance laws",
        (LEGAL_FRAMEWORK,),
    ),
    RuleInfo(CONDITIONS, "Counsel cleared the destination on conditions", (LEGAL_FRAMEWORK,)),
    RuleInfo(REFUSED, "Counsel advised against surveillance exports to the destination", (LEGAL_FRAMEWORK,)),
)

CONCLUSIONS = ("cleared", "conditions", "refused")
DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "legal-reviews.toml"

CONFIG_SCHEMA: dict[str, Any] = {
    # ACME Legal's reviews (a TOML file with [meta]); default: the file shipped with the plugin.
    "data": {"type": "string", "nullable": True, "default": None, "meta": {"path": True}},
    # A review older than this on the transaction's date no longer counts.
    "max_age_days": {"type": "integer", "min": 1, "default": 730},
    # What a deal to a destination without a current review needs before it goes ahead.
    "unreviewed": {
        "type": "string",
        "allowed": ["safeguards_required", "escalate", "do_not_proceed"],
        "default": "escalate",
    },
}


@hookimpl
def hrdd_plugin_info() -> PluginInfo:
    """The rules, their guidance clause and the config schema."""
    return PluginInfo(
        clauses=(LEGAL_FRAMEWORK,),
        rules=RULES,
        config_schema=CONFIG_SCHEMA,
        description="ACME Legal's review of the destination's surveillance laws, from a data file.",
    )


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def read_reviews(path: Path) -> tuple[dict[str, dict[str, Any]], Any]:
    """The reviews by country code, and the file's DataSet.

    :raises PolicyError: with every problem of the file (provenance and body) at once.
    """
    document, dataset, problems = read_data_file(path)
    reviews: dict[str, dict[str, Any]] = {}
    countries = document.get("countries")
    if not isinstance(countries, dict) or not countries:
        problems.append(
            Problem(str(path), "$.countries", "expected a [countries.<ISO code>] table per review")
        )
        countries = {}
    for code, review in countries.items():
        where = f"$.countries.{code}"
        if len(code) != 2 or not code.isalpha() or not code.isupper():
            problems.append(Problem(str(path), where, f"{code!r} is not an ISO 3166-1 alpha-2 code"))
            continue
        if not isinstance(review, dict):
            problems.append(Problem(str(path), where, "expected a table"))
            continue
        reviewed = _date(review.get("reviewed"))
        if reviewed is None:
            problems.append(Problem(str(path), f"{where}.reviewed", "required: the date of the review"))
        conclusion = review.get("conclusion")
        if conclusion not in CONCLUSIONS:
            problems.append(
                Problem(
                    str(path),
                    f"{where}.conclusion",
                    f"{conclusion!r}: expected one of {', '.join(CONCLUSIONS)}",
                )
            )
        if conclusion == "conditions" and not str(review.get("conditions", "")).strip():
            problems.append(
                Problem(str(path), f"{where}.conditions", "required when the conclusion is 'conditions'")
            )
        if not str(review.get("reference", "")).strip():
            problems.append(Problem(str(path), f"{where}.reference", "required: the memorandum's reference"))
        reviews[code] = {**review, "reviewed": reviewed}
    if problems:
        raise PolicyError(problems)
    return reviews, dataset


@hookimpl
def hrdd_configure(config: Mapping[str, Any]) -> PluginSetup:
    """Read the reviews once per engine; the data file is named in every report."""
    reviews, dataset = read_reviews(Path(config["data"]) if config["data"] else DEFAULT_DATA)
    return PluginSetup(data=(dataset,), state=reviews)


@hookimpl
def hrdd_check_end_user(transaction: Transaction, context: CheckContext) -> list[Finding]:
    """The destination (the end user's country) needs a current review whose conclusion
    allows the deal. Returns an empty list when it has one that clears it."""
    country = transaction.end_user.country
    on = transaction.date or context.as_of
    review = context.state.get(country)
    evidence: dict[str, Any] = {"end_user.country": country, "transaction.date": on.isoformat()}
    if review is not None:
        evidence |= {
            "review.reference": review["reference"],
            "review.reviewed": review["reviewed"].isoformat(),
            "review.conclusion": review["conclusion"],
        }
    age = (on - review["reviewed"]).days if review is not None else None
    if review is None or age is None or age < 0 or age > context.config["max_age_days"]:
        if country is None:
            why = "The end user's country is not given, so no legal review can apply"
        elif review is None:
            why = f"ACME Legal has not reviewed {country}'s surveillance laws"
        elif age is not None and age < 0:
            why = f"ACME Legal's review of {country} ({review['reference']}) is dated after this deal"
        else:
            why = (
                f"ACME Legal's review of {country} ({review['reference']}) is {age} days old on the deal's "
                f"date, older than the {context.config['max_age_days']} days the policy accepts"
            )
        return [
            Finding(
                rule_id=NO_CURRENT_REVIEW,
                outcome=Outcome(context.config["unreviewed"]),
                severity=Severity.HIGH,
                message=f"{why}: the deal waits for a current review.",
                evidence=evidence,
                guidance=(LEGAL_FRAMEWORK,),
                remediation=f"Ask ACME Legal for a review of {country or 'the destination'}'s surveillance laws "
                "and their practice against the ICCPR, and add its conclusion to the legal-reviews file.",
                subject="end_user",
            )
        ]
    if review["conclusion"] == "refused":
        return [
            Finding(
                rule_id=REFUSED,
                outcome=Outcome.DO_NOT_PROCEED,
                severity=Severity.CRITICAL,
                message=f"ACME Legal advised against exports of surveillance items to {country} "
                f"({review['reference']}, {review['reviewed'].isoformat()}).",
                evidence=evidence,
                guidance=(LEGAL_FRAMEWORK,),
                remediation="Decline the deal; only a new review with another conclusion reopens it.",
                subject="end_user",
            )
        ]
    if review["conclusion"] == "conditions":
        return [
            Finding(
                rule_id=CONDITIONS,
                outcome=Outcome.SAFEGUARDS_REQUIRED,
                severity=Severity.MEDIUM,
                message=f"ACME Legal cleared {country} on conditions ({review['reference']}): "
                f"{review['conditions']}",
                evidence=evidence,
                guidance=(LEGAL_FRAMEWORK,),
                remediation=f"Meet the conditions of {review['reference']}: {review['conditions']}",
                subject="end_user",
            )
        ]
    return []
