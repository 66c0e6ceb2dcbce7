"""A test stand-in for the facts hrdd-human-rights-record, hrdd-legal-framework and
hrdd-stakeholders publish (those plugins are written elsewhere): loaded by test policies
through ``path =``. Not a real publisher: its country values are illustrative, chosen for
the tests, not transcribed from any source.

Facts follow the definitions of the facts contract (docs/hooks.md), derived from the
transaction; ``OVERRIDES`` (set by the test that copies this file) replaces a fact's value,
and an override of ``None`` leaves the fact unpublished (unknown).
"""

from hrdd import PluginInfo, hookimpl

PUBLISHES = (
    "destination.risk_tier",
    "destination.legal_risk",
    "end_user.government_linked",
    "end_user.sensitive_function",
    "end_user.credible_misuse",
    "stakeholders.opacity",
    "context.sensitive_events",
)
# country: (risk tier, legal risk): illustrative test values only.
COUNTRIES = {
    "NL": ("low", "low"),
    "DE": ("low", "low"),
    "CA": ("low", "low"),
    "KE": ("moderate", "moderate"),
    "BR": ("moderate", "moderate"),
    "JO": ("high", "high"),
    "IN": ("high", "moderate"),
    "EG": ("very_high", "very_high"),
    "VE": ("very_high", "very_high"),
}
GOVERNMENT_TYPES = {"government_agency", "state_owned_enterprise", "private_close_to_government"}
SENSITIVE_SECTORS = {
    "intelligence",
    "public_security",
    "law_enforcement",
    "prisons",
    "border_control",
    "military",
}
SENSITIVE_EVENTS = {
    "election_period",
    "mass_protests",
    "state_of_emergency",
    "internet_shutdown",
    "armed_conflict",
}
OPAQUE_ROLES = {"broker", "financier", "invoicing_party", "freight_forwarder"}
OVERRIDES: dict = {}


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(publishes=PUBLISHES, description="test stand-in for the facts of three plugins")


@hookimpl
def hrdd_transaction_facts(transaction, context):
    end_user = transaction.end_user
    tier, legal = COUNTRIES.get(end_user.country, (None, None))
    unanswered = transaction.kyc.unanswered
    if transaction.kyc.flagged or any(p.role in OPAQUE_ROLES for p in transaction.parties):
        opacity = "high"
    elif unanswered or end_user.sole_end_user is not True:
        opacity = "medium"
    else:
        opacity = "low"
    facts = {
        "destination.risk_tier": tier,
        "destination.legal_risk": legal,
        "end_user.government_linked": end_user.type in GOVERNMENT_TYPES
        or end_user.type in (None, "unknown")
        or end_user.government_relationship not in (None, "none"),
        "end_user.sensitive_function": end_user.sector in SENSITIVE_SECTORS,
        "end_user.credible_misuse": any(report.credible is True for report in end_user.misuse_reports),
        "stakeholders.opacity": opacity,
        "context.sensitive_events": sorted(set(transaction.events) & SENSITIVE_EVENTS),
    }
    facts.update(OVERRIDES)
    return {name: value for name, value in facts.items() if value is not None}
