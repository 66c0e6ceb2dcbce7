"""hrdd-stakeholders: the end user, the other end users, every party and intermediary, and the
BIS Know Your Customer red flags.

The hooks live in :mod:`hrdd_stakeholders.plugin` (the ``hrdd`` entry point); the red-flag
severities, role weights and clause lists they apply are data, in ``data/stakeholders.toml``
(loaded by :mod:`hrdd_stakeholders.rules`).
"""
