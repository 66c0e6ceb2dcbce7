"""hrdd-legal-framework: the destination's ICCPR status and its surveillance laws and practices.

The hooks live in :mod:`hrdd_legal_framework.plugin` (the ``hrdd`` entry point); the data they
read is in ``data/iccpr.toml`` and ``data/surveillance_laws.toml``, loaded and checked by
:mod:`hrdd_legal_framework.datasets`.
"""
