"""A test stand-in publishing the two facts hrdd-public-reporting reads, with the values a
test chooses: ``transaction.risk_level`` (published for real by hrdd-contract-safeguards)
and ``end_user.government_linked`` (hrdd-stakeholders, written elsewhere). Loaded by test
policies through ``path =``; the test appends the values to ``FACTS`` (a value of None:
the fact is not published, so it is unknown).
"""

from hrdd import PluginInfo, hookimpl

FACTS: dict = {}


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(
        publishes=("transaction.risk_level", "end_user.government_linked"),
        description="test stand-in for the risk level and government-link facts",
    )


@hookimpl
def hrdd_transaction_facts(transaction, context):
    return {name: value for name, value in FACTS.items() if value is not None}
