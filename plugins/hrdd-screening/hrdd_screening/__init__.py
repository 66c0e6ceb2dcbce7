"""hrdd-screening: denied-party and sanctions-list screening of everyone in a transaction.

The hooks live in :mod:`hrdd_screening.plugin` (the ``hrdd`` entry point); list files are
read by :mod:`hrdd_screening.lists`, names normalised by :mod:`hrdd_screening.normalise` and
matched through the index of :mod:`hrdd_screening.index`.
"""
