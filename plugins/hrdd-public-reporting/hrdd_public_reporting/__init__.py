"""hrdd-public-reporting: public-reporting commitments and the public transparency report entry.

The hooks live in :mod:`hrdd_public_reporting.plugin` (the ``hrdd`` entry point); the UN M49
region of every country is data, in ``data/regions.toml``.
"""
