"""hrdd-human-rights-record: the destination's and the end user's human-rights record.

The hooks live in :mod:`hrdd_human_rights_record.plugin` (the ``hrdd`` entry point); the
country record they weigh is data, in ``data/countries.toml``.
"""
