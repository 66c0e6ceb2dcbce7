"""hrdd-item-capability: intended and unintended surveillance capabilities of export items.

The hooks live in :mod:`hrdd_item_capability.plugin` (the ``hrdd`` entry point); the
taxonomy they apply is data, in ``data/capabilities.toml``.
"""
