"""The test kit of hrdd-stakeholders: transaction documents built in the test, policies that
enable hrdd-item-capability, this plugin and, where a test needs it, small ``path =``
stand-ins (one publishing ``destination.risk_tier`` in place of hrdd-human-rights-record, one
reading back the facts this plugin publishes), and readers of the assessment.

The test modules import these helpers as ``stakeholders_kit``: under pytest's importlib
import mode this directory is not a package (the name ``tests`` belongs to the core's test
directory), so this module registers itself under that name when pytest loads it, which
pytest does before it imports any test module of the directory.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import hrdd

sys.modules.setdefault("stakeholders_kit", sys.modules[__name__])

PLUGIN = "hrdd-stakeholders"
DROP = object()  # a field value meaning "leave this field out of the document"
CLEAR_KYC = {question: False for question in hrdd.KYC_QUESTIONS}
FACT_NAMES = (
    "end_user.government_linked",
    "stakeholders.red_flags",
    "stakeholders.unanswered_kyc",
    "stakeholders.opacity",
)

# Stand-in for hrdd-human-rights-record: publishes the destination's risk tier.
TIER_STANDIN = """
from hrdd import PluginInfo, hookimpl

TIER = {tier!r}


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(publishes=("destination.risk_tier",), description="test stand-in")


@hookimpl
def hrdd_transaction_facts(transaction):
    return {{"destination.risk_tier": TIER}}
"""

# Reads back the facts this plugin publishes, as the evidence of one info finding.
FACT_PROBE = """
from hrdd import Finding, PluginInfo, RuleInfo, hookimpl

NAMES = {names!r}


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(rules=(RuleInfo("PROBE-001", "facts seen"),), description="test probe")


@hookimpl
def hrdd_check_contract(transaction, context):
    return [
        Finding(
            rule_id="PROBE-001",
            outcome="info",
            severity="none",
            message="facts seen",
            evidence={{name: context.fact(name, "<unpublished>") for name in NAMES}},
        )
    ]
"""

# --------------------------------------------------------------------------------------
# Items and end users the tests reuse (misuse potentials as hrdd-item-capability grades them)
# --------------------------------------------------------------------------------------

BODY_CAMERA = {  # potential 1: audio/video recording with tamper-evident logs and access control
    "id": "bwc-1",
    "name": "Sentinel BWC-400 body-worn camera",
    "description": "Body-worn camera for patrol officers",
    "categories": ["body_worn_camera"],
    "capabilities": ["audio_video_recording"],
    "design_safeguards": ["tamper_evident_logs", "role_based_access"],
}
ALPR = {  # potential 3: plate reading with audit logging and geofencing built in
    "id": "alpr-1",
    "name": "PlateScan ALPR",
    "description": "Automatic licence plate reader for city entrances",
    "categories": ["license_plate_reader"],
    "design_safeguards": ["audit_logging", "geofencing"],
}
FACE_GATE = {  # potential 3: on-device face verification with three safeguards credited
    "id": "face-1",
    "name": "FaceGate turnstile terminal",
    "description": "Face verification at office turnstiles",
    "categories": ["facial_recognition"],
    "capabilities": ["biometric_identification"],
    "design_safeguards": ["data_minimisation", "role_based_access", "audit_logging"],
}
SPYWARE = {  # potential 5
    "id": "spy-1",
    "name": "Phantom Implant",
    "description": "Remote device implant for mobile handsets",
    "categories": ["spyware"],
}
ROUTER = {  # potential 0: nothing the taxonomy recognises as a surveillance capability
    "id": "rtr-1",
    "name": "Office router",
    "description": "Small office router with firewall",
    "categories": ["other"],
}

MUNICIPAL_POLICE = {
    "name": "Politie Gemeente Zuidhaven",
    "country": "NL",
    "type": "government_agency",
    "sector": "municipal",
    "government_relationship": "none",
    "stated_end_use": "Evidence capture during patrols",
    "sole_end_user": True,
    "other_end_users": [],
}
RETAILER = {
    "name": "Acme Retail GmbH",
    "country": "DE",
    "type": "private",
    "sector": "commercial",
    "government_relationship": "none",
    "stated_end_use": "Loss prevention in our stores",
    "sole_end_user": True,
}
STATE_TELCO = {
    "name": "Orion Telecom JSC",
    "country": "KZ",
    "type": "state_owned_enterprise",
    "sector": "telecom_operator",
    "government_relationship": "state_controlled",
    "stated_end_use": "Network operations",
    "sole_end_user": True,
}
FULL_CONTRACT = {
    "clauses": [
        "export_compliance",
        "end_use_certificate",
        "no_reexport",
        "use_limitation",
        "data_handling",
        "audit_rights",
        "suspend_and_terminate",
    ],
    "post_export": ["monitoring"],
}


def make_transaction(
    *,
    items: list[Mapping[str, Any]] | None = None,
    end_user: Mapping[str, Any] | None = None,
    kyc: Mapping[str, bool] | object = CLEAR_KYC,
    parties: list[Mapping[str, Any]] | None = None,
    contract: Mapping[str, Any] | None = None,
    exporter_country: str | None = "US",
    **end_user_fields: Any,
) -> dict[str, Any]:
    """A valid transaction document: by default a clean deal (body-worn cameras for a municipal
    police force, every KYC question answered clear, full contract). ``end_user_fields``
    override the end user (``DROP`` removes a field)."""
    end_user_doc = dict(copy.deepcopy(end_user or MUNICIPAL_POLICE))
    end_user_doc.update(end_user_fields)
    end_user_doc = {key: value for key, value in end_user_doc.items() if value is not DROP}
    document: dict[str, Any] = {
        "id": "TX-STK-0001",
        "date": "2026-11-20",
        "kind": "new_sale",
        "items": copy.deepcopy(items or [BODY_CAMERA]),
        "end_user": end_user_doc,
        "contract": copy.deepcopy(dict(contract) if contract is not None else FULL_CONTRACT),
    }
    if exporter_country is not None:
        document["exporter"] = {"name": "Northwind Vision Systems, Inc.", "country": exporter_country}
    if kyc is not DROP:
        document["kyc"] = dict(kyc)  # type: ignore[arg-type]
    if parties is not None:
        document["parties"] = copy.deepcopy(parties)
    return document


def kyc_with(**answers: bool | object) -> dict[str, bool]:
    """The clear KYC answers with some changed (``DROP`` leaves a question unanswered)."""
    merged: dict[str, Any] = {**CLEAR_KYC, **answers}
    return {question: answer for question, answer in merged.items() if answer is not DROP}


def write_policy(
    directory: Path,
    *,
    tier: str | object | None = DROP,
    probe: bool = False,
    capability: bool = True,
    **config: Any,
) -> Path:
    """A policy enabling hrdd-item-capability (unless ``capability`` is False) and this plugin
    with ``config``; with ``tier``, a stand-in publishing ``destination.risk_tier`` = tier;
    with ``probe``, an extension reading back the facts this plugin publishes."""
    lines = ["[policy]", 'name = "stakeholders-test"', 'version = "1"', ""]
    if capability:
        lines += ["[plugins.hrdd-item-capability]", ""]
    lines += [f"[plugins.{PLUGIN}]", f"[plugins.{PLUGIN}.config]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    if tier is not DROP:
        (directory / "tier_standin.py").write_text(TIER_STANDIN.format(tier=tier), encoding="utf-8")
        lines += ["", "[plugins.tier-standin]", 'path = "tier_standin.py"']
    if probe:
        (directory / "fact_probe.py").write_text(FACT_PROBE.format(names=FACT_NAMES), encoding="utf-8")
        lines += ["", "[plugins.fact-probe]", 'path = "fact_probe.py"']
    path = directory / "policy.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def forget_extensions(directory: Path) -> None:
    """Drop the ``path =`` extension modules the core loaded from ``directory``."""
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None) or ""
        if name.startswith("hrdd_extension_") and Path(origin).parent == directory:
            del sys.modules[name]


@pytest.fixture
def assess(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., hrdd.Assessment]]:
    """``assess(document, tier=..., probe=..., **config)``: the assessment under a fresh policy."""
    directories: list[Path] = []

    def run(document: Mapping[str, Any], **policy: Any) -> hrdd.Assessment:
        directory = tmp_path_factory.mktemp("policy")
        directories.append(directory.resolve())
        engine = hrdd.Engine.from_policy(write_policy(directory, **policy))
        assessment = engine.assess(document)
        assert not assessment.errors, [f.message for f in assessment.errors]
        return assessment

    try:
        yield run
    finally:
        for directory in directories:
            forget_extensions(directory)


# --------------------------------------------------------------------------------------
# Reading assessments
# --------------------------------------------------------------------------------------


def stk(assessment: hrdd.Assessment) -> list[hrdd.Finding]:
    return [f for f in assessment.findings if f.plugin == PLUGIN]


def rule_ids(assessment: hrdd.Assessment) -> set[str]:
    return {f.rule_id for f in stk(assessment)}


def findings(assessment: hrdd.Assessment, rule_id: str) -> list[hrdd.Finding]:
    return [f for f in assessment.findings if f.rule_id == rule_id]


def the_finding(assessment: hrdd.Assessment, rule_id: str) -> hrdd.Finding:
    found = findings(assessment, rule_id)
    assert len(found) == 1, f"expected one {rule_id}, got {sorted(f.rule_id for f in assessment.findings)}"
    return found[0]


def evidence(finding: hrdd.Finding) -> dict[str, Any]:
    return {e.path: e.value for e in finding.evidence}


def facts_seen(assessment: hrdd.Assessment) -> dict[str, Any]:
    return evidence(the_finding(assessment, "PROBE-001"))


def end_user_check(assessment: hrdd.Assessment) -> hrdd.CheckRecord:
    [check] = [c for c in assessment.checks if c.plugin == PLUGIN and c.hook == "hrdd_check_end_user"]
    return check
