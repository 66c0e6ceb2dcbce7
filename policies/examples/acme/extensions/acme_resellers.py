"""acme-resellers: every reseller or distributor in a deal must be on ACME's register of vetted resellers.

ACME sells through resellers, some of them in free-trade zones, where goods change hands
out of sight of any customs office. Its channel-compliance team vets each one (ownership,
customers, export record) and records the result in a register with an expiry: a data file
with [meta] provenance, named by the policy (config key ``register``). A reseller that is not
on the register, or whose vetting has lapsed on the deal's date, holds the deal until it is
vetted.
"""

import datetime as dt

from hrdd import (
    PARTY_ROLES,
    Finding,
    Outcome,
    PluginInfo,
    PluginSetup,
    PolicyError,
    Problem,
    RuleInfo,
    Severity,
    hookimpl,
    load_data_file,
)

__version__ = "2026.11.0"  # named in every report's provenance

STAKEHOLDERS = "draft-2019:consideration-5"  # review the end user and every other party
NOT_VETTED = "ACME-RSL-001"


def _key(name):
    """A name as the register and a transaction may both spell it: case, spacing and
    punctuation ignored."""
    return " ".join("".join(c if c.isalnum() else " " for c in name.casefold()).split())


def _date(value):
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(
        clauses=(STAKEHOLDERS,),
        rules=(
            RuleInfo(
                NOT_VETTED,
                "A reseller or distributor ACME has not vetted, or whose vetting lapsed",
                (STAKEHOLDERS,),
            ),
        ),
        config_schema={
            "register": {"type": "string", "required": True, "meta": {"path": True}},
            # The roles vetted: parties of other roles (a bank, a forwarder) are not resellers.
            "roles": {
                "type": "list",
                "default": ["reseller", "distributor"],
                "schema": {"type": "string", "allowed": list(PARTY_ROLES)},
            },
        },
        description="Resellers and distributors must be on ACME's register of vetted resellers.",
    )


@hookimpl
def hrdd_configure(config):
    document, dataset = load_data_file(config["register"])  # refuses a file without [meta]
    register, problems = {}, []
    for index, entry in enumerate(document.get("resellers", [])):
        where = f"$.resellers[{index}]"
        try:
            register[(_key(entry["name"]), entry["country"])] = (_date(entry["valid_until"]), entry["file"])
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(
                Problem(config["register"], where, f"needs name, country, valid_until and file ({exc})")
            )
    if problems:
        raise PolicyError(problems)
    return PluginSetup(data=(dataset,), state=register)


@hookimpl
def hrdd_check_end_user(transaction, context):
    on = transaction.date or context.as_of
    findings = []
    for index, party in enumerate(transaction.parties):
        if party.role not in context.config["roles"]:
            continue
        vetted = context.state.get((_key(party.name), party.country))
        if vetted is not None and on <= vetted[0]:
            continue
        if vetted is None:
            why = "is not on ACME's register of vetted resellers"
        else:
            why = f"was vetted until {vetted[0].isoformat()} ({vetted[1]}), before this deal's date"
        findings.append(
            Finding(
                rule_id=NOT_VETTED,
                outcome=Outcome.ESCALATE,
                severity=Severity.HIGH,
                message=f"The {party.role} {party.name} ({party.country or 'country not given'}) {why}.",
                evidence={
                    f"parties[{index}].name": party.name,
                    f"parties[{index}].role": party.role,
                    f"parties[{index}].country": party.country,
                },
                guidance=(STAKEHOLDERS,),
                remediation="Have Channel Compliance vet the reseller (ownership, customers, export record) "
                "and add it to the register before the deal goes ahead.",
                subject=f"parties[{index}]",
            )
        )
    return findings  # an empty list: the check ran and found nothing (recorded as pass)
