"""The public report entry never carries what identifies a customer (hypothesis): whatever
names, ids, free texts and amounts a transaction holds, none of them reaches the entry, and
the entry has exactly the published fields, each from a closed vocabulary."""

from __future__ import annotations

import datetime as _dt
import json
import string
from pathlib import Path
from typing import Any

import pycountry
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hrdd

from .conftest import PLUGIN

FIELDS = {
    "decision",
    "destination_region",
    "item_categories",
    "end_user_sector",
    "end_user_type",
    "safeguards_applied",
    "year",
    "quarter",
}
REGIONS = {"Africa", "Americas", "Asia", "Europe", "Oceania", "Antarctica"}
COUNTRIES = sorted(c.alpha_2 for c in pycountry.countries)
# Secrets are marked so that a match cannot be a coincidence with a vocabulary word.
secret = st.text(alphabet=string.ascii_letters + string.digits + " ,.'-", min_size=3, max_size=30).map(
    lambda s: f"SECRET-{s}"
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> hrdd.Engine:
    directory = tmp_path_factory.mktemp("redaction")
    policy = directory / "policy.toml"
    policy.write_text(
        f'[policy]\nname = "p"\nversion = "1"\n[plugins.hrdd-item-capability]\n[plugins.{PLUGIN}]\n',
        encoding="utf-8",
    )
    return hrdd.Engine.from_policy(Path(policy))


@st.composite
def transactions(draw: Any) -> tuple[dict[str, Any], list[str]]:
    secrets = [draw(secret) for _ in range(9)]
    amount = draw(st.integers(100_001, 9_999_999))
    document = {
        "id": secrets[0],
        "date": draw(st.dates(min_value=_dt.date(2000, 1, 1))).isoformat(),
        "kind": draw(st.sampled_from(hrdd.TRANSACTION_KINDS)),
        "exporter": {"name": secrets[1], "country": "US"},
        "items": [
            {
                "id": secrets[2],
                "name": secrets[3],
                "description": secrets[4],
                "categories": draw(st.lists(st.sampled_from(hrdd.ITEM_CATEGORIES), max_size=3, unique=True)),
                "customization_request": secrets[5],
                "quantity": draw(st.integers(1, 10_000)),
                "value": {"amount": amount, "currency": "USD"},
            }
        ],
        "end_user": {
            "name": secrets[6],
            "country": draw(st.sampled_from(COUNTRIES)),
            "type": draw(st.sampled_from(hrdd.END_USER_TYPES)),
            "sector": draw(st.sampled_from(hrdd.SECTORS)),
            "stated_end_use": secrets[7],
            "misuse_reports": [{"summary": secrets[8], "source": "SECRET-source", "credible": True}],
        },
        "parties": [{"role": "distributor", "name": "SECRET-distributor", "country": "NL"}],
        "contract": {
            "clauses": draw(st.lists(st.sampled_from(hrdd.CONTRACT_CLAUSES), unique=True)),
            "post_export": draw(st.lists(st.sampled_from(hrdd.POST_EXPORT_MEASURES), unique=True)),
        },
    }
    return document, [*secrets, str(amount), "SECRET"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=transactions())
def test_no_name_id_free_text_or_amount_reaches_the_entry(engine: hrdd.Engine, case: Any) -> None:
    document, secrets = case
    assessment = engine.assess(document)
    entry = assessment.contributions[PLUGIN]
    published = json.dumps(entry)
    for value in secrets:
        assert value not in published
    assert set(entry) == FIELDS
    assert entry["destination_region"] in REGIONS
    assert set(entry["item_categories"]) <= set(hrdd.ITEM_CATEGORIES)
    assert entry["end_user_sector"] in hrdd.SECTORS and entry["end_user_type"] in hrdd.END_USER_TYPES
    assert set(entry["safeguards_applied"]["contract_clauses"]) <= set(hrdd.CONTRACT_CLAUSES)
    assert set(entry["safeguards_applied"]["post_export"]) <= set(hrdd.POST_EXPORT_MEASURES)
    assert entry["quarter"] in {"Q1", "Q2", "Q3", "Q4"}
    assert entry["year"] == int(document["date"][:4])
