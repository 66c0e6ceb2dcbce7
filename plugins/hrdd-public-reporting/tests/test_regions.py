"""The region table: every ISO code placed in its UN M49 region, its provenance, and the
errors a policy team's bad copy gets (file and row named, every problem at once)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pycountry
import pytest

import hrdd
from hrdd_public_reporting.regions import default_data_path, load_regions

from .conftest import PORT_OPERATOR

SHIPPED = default_data_path()
TEXT = SHIPPED.read_text(encoding="utf-8")
README = Path(__file__).resolve().parents[1] / "README.md"
TABLE = load_regions(SHIPPED)


def test_every_iso_code_has_a_region() -> None:
    assert set(TABLE.countries) == {country.alpha_2 for country in pycountry.countries}
    assert len(TABLE.countries) == 249


@pytest.mark.parametrize(
    ("code", "region", "sub_region"),
    [
        ("NL", "Europe", "Western Europe"),
        ("RU", "Europe", "Eastern Europe"),
        ("GB", "Europe", "Northern Europe"),
        ("RS", "Europe", "Southern Europe"),
        ("TR", "Asia", "Western Asia"),
        ("CY", "Asia", "Western Asia"),
        ("KZ", "Asia", "Central Asia"),
        ("IR", "Asia", "Southern Asia"),
        ("TL", "Asia", "South-eastern Asia"),
        ("KP", "Asia", "Eastern Asia"),
        ("EG", "Africa", "Northern Africa"),
        ("SD", "Africa", "Northern Africa"),
        ("SS", "Africa", "Sub-Saharan Africa"),
        ("MX", "Americas", "Latin America and the Caribbean"),
        ("VE", "Americas", "Latin America and the Caribbean"),
        ("GL", "Americas", "Northern America"),
        ("US", "Americas", "Northern America"),
        ("AU", "Oceania", "Australia and New Zealand"),
        ("PG", "Oceania", "Melanesia"),
        ("GU", "Oceania", "Micronesia"),
        ("WS", "Oceania", "Polynesia"),
    ],
)
def test_m49_placements(code: str, region: str, sub_region: str) -> None:
    place = TABLE.countries[code]
    assert (place.region, place.sub_region) == (region, sub_region)


def test_rows_that_are_not_m49s_own_say_so() -> None:
    for code in ("AQ", "TW"):
        row = re.search(rf"^{code} = .*$", TEXT, re.MULTILINE)
        assert row is not None and "note = " in row.group(0), code


def test_provenance_and_readme() -> None:
    dataset = TABLE.dataset
    assert dataset.name == "hrdd-public-reporting-m49-regions"
    assert "M49" in dataset.source and "United Nations Statistics Division" in dataset.source
    assert TABLE.as_of <= _dt.date.today()
    readme = README.read_text(encoding="utf-8")
    assert f"version {dataset.version}" in readme and dataset.date in readme
    assert "Apache-2.0" in readme


def test_assessment_provenance_names_the_table(
    assess: Callable[..., tuple[hrdd.Engine, hrdd.Assessment]], transaction: Callable[..., dict[str, Any]]
) -> None:
    _, assessment = assess(transaction(PORT_OPERATOR), facts={})
    data = [d for d in assessment.provenance.data if d.name == TABLE.dataset.name]
    assert [d.sha256 for d in data] == [hashlib.sha256(SHIPPED.read_bytes()).hexdigest()]


def _replaced(old: str, new: str, text: str = TEXT) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


DE_ROW = 'DE = { region = "Europe", sub_region = "Western Europe" }'
BAD = [
    ("missing-country", (DE_ROW, ""), "$.countries.DE"),
    ("unknown-region", (DE_ROW, 'DE = { region = "Eurasia", sub_region = "Western Europe" }'), "$.countries.DE.region"),
    ("sub-region-of-another-region", (DE_ROW, 'DE = { region = "Europe", sub_region = "Western Asia" }'), "$.countries.DE.sub_region"),
    ("not-an-iso-code", ("[countries]\n", '[countries]\nZZ = { region = "Europe", sub_region = "Western Europe" }\n'), "$.countries.ZZ"),
    ("unknown-key", (DE_ROW, 'DE = { region = "Europe", sub_region = "Western Europe", country = "Germany" }'), "$.countries.DE.country"),
    ("bad-as-of", ("as_of = 2026-11-28", 'as_of = "last spring"'), "$.meta.as_of"),
    ("no-source", ('source = "United Nations', 'origin = "United Nations'), "$.meta.source"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "path"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_table_is_refused_naming_file_and_row(
    change: tuple[str, str], path: str, write_policy: Callable[..., Path]
) -> None:
    policy = write_policy(config={"data": "mine.toml"}, files={"mine.toml": _replaced(*change)})
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(policy)
    assert any(p.path == path and p.source.endswith("mine.toml") for p in raised.value.problems), raised.value


def test_every_problem_is_reported_together(tmp_path: Path) -> None:
    text = _replaced(DE_ROW, "")
    text = _replaced(
        'FR = { region = "Europe", sub_region = "Western Europe" }', 'FR = { region = "Gaul" }', text
    )
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(hrdd.PolicyError) as raised:
        load_regions(path)
    assert {p.path for p in raised.value.problems} == {"$.countries.DE", "$.countries.FR.region"}


def test_a_missing_file_is_refused_with_its_name(write_policy: Callable[..., Path]) -> None:
    with pytest.raises(hrdd.PolicyError, match=r"nowhere\.toml"):
        hrdd.Engine.from_policy(write_policy(config={"data": "nowhere.toml"}))
