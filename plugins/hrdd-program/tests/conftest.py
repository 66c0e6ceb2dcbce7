"""Fixtures for hrdd-program's tests: policies written to ``tmp_path`` and small transactions.

hrdd-contract-safeguards publishes ``transaction.risk_level``; here a ``path =`` extension
stands in for it (``risk_stub.py``), publishing the level its own config names, so each
test chooses the deal's risk without depending on another plugin's weights.
"""

from __future__ import annotations

import copy
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import hrdd

PLUGIN = "hrdd-program"

RISK_STUB = '''\
"""Stand-in for hrdd-contract-safeguards: publishes transaction.risk_level from its config."""

from hrdd import PluginInfo, hookimpl


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(
        publishes=("transaction.risk_level",),
        config_schema={"level": {"type": "string", "required": True}},
    )


@hookimpl
def hrdd_transaction_facts(transaction, context):
    return {"transaction.risk_level": context.config["level"]}
'''

# A benign deal: body-worn cameras for a private retailer. hrdd-item-capability reports the
# item (info) and nothing that needs action, so the decision is the programme's to make.
TRANSACTION: dict[str, Any] = {
    "id": "TX-2025-0601",
    "date": "2025-06-01",
    "kind": "new_sale",
    "exporter": {"name": "Acme Vision Inc.", "country": "US"},
    "items": [
        {
            "id": "bwc-3",
            "name": "PatrolCam BW-3",
            "description": "Body-worn camera with 12-hour battery for store security staff",
            "categories": ["body_worn_camera"],
            "capabilities": ["audio_video_recording"],
        }
    ],
    "end_user": {
        "name": "Rotterdam Retail BV",
        "country": "NL",
        "type": "private",
        "sector": "commercial",
        "government_relationship": "none",
        "stated_end_use": "Loss prevention in our stores",
    },
}

# A programme that holds everything the guidance expects on 2025-06-01.
FULL_PROGRAMME = """
[plugins.hrdd-program.config.commitment]
approved_by = "board"
date = 2023-03-14
reference = "Board resolution 2023-07: Human Rights Policy for Surveillance-Capable Exports"

[plugins.hrdd-program.config.training]
date = 2025-01-20
share_trained = 0.96
description = "Annual trade-compliance training, human-rights module"

[plugins.hrdd-program.config.documentation]
records_kept = true
retention_years = 7

[plugins.hrdd-program.config.stakeholder_engagement]
date = 2025-02-11
description = "Round table with digital-rights NGOs on facial recognition and body-worn cameras"

[plugins.hrdd-program.config.grievance_channel]
url = "https://acme.example/human-rights/grievances"

[plugins.hrdd-program.config.public_commitment]
url = "https://acme.example/human-rights"
date = 2023-03-20
steps_report_url = "https://acme.example/reports/2024-human-rights"
"""


@pytest.fixture(scope="session")
def full_programme() -> str:
    """Config tables of a programme that holds everything the guidance expects on 2025-06-01."""
    return FULL_PROGRAMME


@pytest.fixture
def transaction() -> Callable[..., dict[str, Any]]:
    """``transaction(date="2024-01-01")``: a fresh copy of the benign deal; ``date=None``
    leaves the date out."""

    def make(**changes: Any) -> dict[str, Any]:
        document = copy.deepcopy(TRANSACTION)
        for key, value in changes.items():
            if value is None:
                document.pop(key, None)
            else:
                document[key] = value
        return document

    return make


@pytest.fixture
def write_policy(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``write_policy(config_toml, risk="high", extra="")``: a policy enabling
    hrdd-item-capability, hrdd-program (with ``config_toml`` appended: its config tables)
    and, unless ``risk`` is None, the risk stub publishing ``risk``."""
    written: list[Path] = []

    def write(
        config: str = "", risk: str | None = "high", extra: str = "", name: str = "policy.toml"
    ) -> Path:
        parts = [
            '[policy]\nname = "hrdd-program-test"\nversion = "1"\n',
            "[plugins.hrdd-item-capability]\n",
            f"[plugins.{PLUGIN}]\n",
            textwrap.dedent(extra),
            textwrap.dedent(config),
        ]
        if risk is not None:
            (tmp_path / "risk_stub.py").write_text(RISK_STUB, encoding="utf-8")
            parts.append(
                f'[plugins.risk-stub]\npath = "risk_stub.py"\n[plugins.risk-stub.config]\nlevel = "{risk}"\n'
            )
        path = tmp_path / name
        path.write_text("\n".join(parts), encoding="utf-8")
        written.append(path)
        return path

    yield write
    # Extension modules are registered in sys.modules under a name derived from their path.
    for name in [n for n in sys.modules if n.startswith("hrdd_extension_")]:
        module = sys.modules[name]
        if str(getattr(module, "__file__", "")).startswith(str(tmp_path)):
            del sys.modules[name]


@pytest.fixture
def engine_for(write_policy: Callable[..., Path]) -> Callable[..., hrdd.Engine]:
    """``engine_for(config_toml, risk="high")``: an engine for a freshly written policy."""

    def build(config: str = "", risk: str | None = "high", extra: str = "") -> hrdd.Engine:
        return hrdd.Engine.from_policy(write_policy(config, risk, extra))

    return build
