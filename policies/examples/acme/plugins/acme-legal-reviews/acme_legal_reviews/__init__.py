"""acme-legal-reviews: an hrdd plugin.

The hooks live in :mod:`acme_legal_reviews.plugin`,
the module the ``hrdd`` entry point names.
"""
