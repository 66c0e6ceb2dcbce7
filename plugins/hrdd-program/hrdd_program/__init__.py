"""hrdd-program: the exporter's human-rights due-diligence programme, checked once per engine.

The hooks live in :mod:`hrdd_program.plugin` (the ``hrdd`` entry point); the config schema
and the evaluation of the programme the policy states live in :mod:`hrdd_program.programme`.
"""
