"""hrdd-contract-safeguards: the safeguards a transaction's risk requires, before and after export.

The hooks live in :mod:`hrdd_contract_safeguards.plugin` (the ``hrdd`` entry point); the risk
weights and the safeguards each risk level requires are data, in ``data/safeguards.toml``.
"""
