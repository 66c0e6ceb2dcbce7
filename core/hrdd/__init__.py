"""hrdd: human-rights due diligence for exports of items with surveillance capabilities.

The public API. Plugin authors need ``from hrdd import hookimpl`` plus the value types
(:class:`Finding`, :class:`Outcome`, :class:`Severity`, :class:`PluginInfo`...); platforms
need :class:`Engine`. Everything but ``hookimpl`` is imported on first use, so
``import hrdd`` (and the CLI's start-up) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

hookimpl = pluggy.HookimplMarker("hrdd")
"""Marks a plugin function as the implementation of the ``hrdd_*`` hook of the same name."""

_LAZY = {
    "Engine": "hrdd.engine",
    "Policy": "hrdd.policy",
    "CheckContext": "hrdd.context",
    "Reference": "hrdd.context",
    "HrddError": "hrdd.errors",
    "DecisionLogError": "hrdd.errors",
    "InputError": "hrdd.errors",
    "PolicyError": "hrdd.errors",
    "PluginLoadError": "hrdd.errors",
    "TransactionError": "hrdd.errors",
    "Problem": "hrdd.errors",
    "Assessment": "hrdd.model",
    "CapabilityProfile": "hrdd.model",
    "CheckRecord": "hrdd.model",
    "DataSet": "hrdd.model",
    "Decision": "hrdd.model",
    "DetectedCapability": "hrdd.model",
    "Enforcement": "hrdd.model",
    "Evidence": "hrdd.model",
    "Finding": "hrdd.model",
    "Item": "hrdd.model",
    "Outcome": "hrdd.model",
    "PluginInfo": "hrdd.model",
    "PluginSetup": "hrdd.model",
    "Provenance": "hrdd.model",
    "RuleInfo": "hrdd.model",
    "Severity": "hrdd.model",
    "Transaction": "hrdd.model",
    "TRANSACTION_KINDS": "hrdd.model",
    "ITEM_CATEGORIES": "hrdd.model",
    "CAPABILITIES": "hrdd.model",
    "DESIGN_SAFEGUARDS": "hrdd.model",
    "CUSTOMIZATIONS": "hrdd.model",
    "END_USER_TYPES": "hrdd.model",
    "SECTORS": "hrdd.model",
    "GOVERNMENT_RELATIONSHIPS": "hrdd.model",
    "PARTY_ROLES": "hrdd.model",
    "RELATIONSHIPS": "hrdd.model",
    "CONTRACT_CLAUSES": "hrdd.model",
    "POST_EXPORT_MEASURES": "hrdd.model",
    "CONTEXT_EVENTS": "hrdd.model",
    "KYC_QUESTIONS": "hrdd.model",
    "load_data_file": "hrdd.data",
    "read_data_file": "hrdd.data",
}

__all__ = [
    "CAPABILITIES",
    "CONTEXT_EVENTS",
    "CONTRACT_CLAUSES",
    "CUSTOMIZATIONS",
    "DESIGN_SAFEGUARDS",
    "END_USER_TYPES",
    "GOVERNMENT_RELATIONSHIPS",
    "ITEM_CATEGORIES",
    "KYC_QUESTIONS",
    "PARTY_ROLES",
    "POST_EXPORT_MEASURES",
    "RELATIONSHIPS",
    "SECTORS",
    "TRANSACTION_KINDS",
    "Assessment",
    "CapabilityProfile",
    "CheckContext",
    "CheckRecord",
    "DataSet",
    "Decision",
    "DecisionLogError",
    "DetectedCapability",
    "Enforcement",
    "Engine",
    "Evidence",
    "Finding",
    "HrddError",
    "InputError",
    "Item",
    "Outcome",
    "PluginInfo",
    "PluginLoadError",
    "PluginSetup",
    "Policy",
    "PolicyError",
    "Problem",
    "Provenance",
    "Reference",
    "RuleInfo",
    "Severity",
    "Transaction",
    "TransactionError",
    "hookimpl",
    "load_data_file",
    "read_data_file",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'hrdd' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from hrdd.context import CheckContext, Reference
    from hrdd.data import load_data_file, read_data_file
    from hrdd.engine import Engine
    from hrdd.errors import (
        DecisionLogError,
        HrddError,
        InputError,
        PluginLoadError,
        PolicyError,
        Problem,
        TransactionError,
    )
    from hrdd.model import (
        CAPABILITIES,
        CONTEXT_EVENTS,
        CONTRACT_CLAUSES,
        CUSTOMIZATIONS,
        DESIGN_SAFEGUARDS,
        END_USER_TYPES,
        GOVERNMENT_RELATIONSHIPS,
        ITEM_CATEGORIES,
        KYC_QUESTIONS,
        PARTY_ROLES,
        POST_EXPORT_MEASURES,
        RELATIONSHIPS,
        SECTORS,
        TRANSACTION_KINDS,
        Assessment,
        CapabilityProfile,
        CheckRecord,
        DataSet,
        Decision,
        DetectedCapability,
        Enforcement,
        Evidence,
        Finding,
        Item,
        Outcome,
        PluginInfo,
        PluginSetup,
        Provenance,
        RuleInfo,
        Severity,
        Transaction,
    )
    from hrdd.policy import Policy
