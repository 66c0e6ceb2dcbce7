"""Properties of hrdd-program that must hold for any programme, date and risk level (hypothesis).

- a date in the config is read the same whether written as a TOML date or an ISO string,
  and anything else in a date field is refused (never read as "no date", never guessed);
- the gaps found depend on the programme and the day, never on the deal's risk; the risk
  decides only whether they escalate (commensurate, dd-1), and an unknown risk is weighed
  as high;
- stating an element (fresh and complete) only ever removes its own gap: the programme
  never gets worse for saying more.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from typing import Any

import cerberus
from hypothesis import given, settings
from hypothesis import strategies as st

from hrdd_program.plugin import RISK_RANK, Programme
from hrdd_program.programme import CONFIG_SCHEMA, ELEMENT_KEYS, evaluate

TODAY = _dt.date.today()
RULE_OF = dict(zip(ELEMENT_KEYS, (f"HRDD-PRG-{n:03d}" for n in range(2, 8)), strict=True))
ISO = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


def normalised(document: dict[str, Any]) -> tuple[bool, dict[str, Any], dict[str, Any]]:
    validator = cerberus.Validator(CONFIG_SCHEMA)
    valid = validator.validate(document)
    return valid, validator.document, validator.errors


def complete(element: str, day: _dt.date) -> dict[str, Any]:
    """A table for ``element`` that holds what the guidance expects, dated ``day``."""
    return {
        "commitment": {"approved_by": "board", "date": day},
        "training": {"date": day, "share_trained": 1.0},
        "documentation": {"records_kept": True, "retention_years": 10},
        "stakeholder_engagement": {"date": day, "description": "Consultation with civil society"},
        "grievance_channel": {"url": "https://acme.example/grievances"},
        "public_commitment": {
            "url": "https://acme.example/hr",
            "date": day,
            "steps_report_url": "https://acme.example/hr/2025",
        },
    }[element]


past_dates = st.dates(min_value=_dt.date(1990, 1, 1), max_value=TODAY)
risks = st.one_of(st.sampled_from(["low", "medium", "high", "critical"]), st.none(), st.text(max_size=8))
programmes = st.fixed_dictionaries(
    {},
    optional={
        "commitment": st.fixed_dictionaries(
            {
                "approved_by": st.sampled_from(
                    ["board", "chief_executive", "executive_committee", "senior_management", "other"]
                ),
                "date": past_dates,
            }
        ),
        "training": st.fixed_dictionaries(
            {"date": past_dates}, optional={"share_trained": st.floats(min_value=0, max_value=1)}
        ),
        "documentation": st.fixed_dictionaries(
            {"records_kept": st.booleans()}, optional={"retention_years": st.integers(0, 30)}
        ),
        "stakeholder_engagement": st.fixed_dictionaries(
            {"date": past_dates, "description": st.just("Meeting with affected communities")}
        ),
        "grievance_channel": st.just({"description": "Hotline"}),
        "public_commitment": st.fixed_dictionaries(
            {"url": st.just("https://acme.example/hr")},
            optional={"steps_report_url": st.just("https://acme.example/hr/report"), "date": past_dates},
        ),
        "escalate_at": st.sampled_from(["low", "medium", "high", "critical"]),
    },
)


@given(day=past_dates, padding=st.sampled_from(["", " ", "  "]))
def test_an_iso_string_reads_as_the_date_it_names(day: _dt.date, padding: str) -> None:
    for written in (day, f"{padding}{day.isoformat()}{padding}"):
        valid, document, errors = normalised({"training": {"date": written}})
        assert valid, errors
        assert document["training"]["date"] == day


@given(text=st.text(max_size=20))
def test_anything_but_a_date_in_a_date_field_is_refused_at_that_field(text: str) -> None:
    valid, document, errors = normalised({"stakeholder_engagement": {"date": text, "description": "x"}})
    if ISO.fullmatch(text):
        try:
            named = _dt.date.fromisoformat(text.strip())
        except ValueError:
            named = None
        if named is not None and named <= TODAY:
            assert valid and document["stakeholder_engagement"]["date"] == named
            return
    assert not valid
    assert "date" in errors["stakeholder_engagement"][0], errors


@settings(max_examples=200)
@given(config=programmes, day=past_dates, risk=risks, dated=st.booleans())
def test_risk_decides_only_whether_the_same_gaps_escalate(
    config: dict[str, Any], day: _dt.date, risk: Any, dated: bool
) -> None:
    valid, document, errors = normalised(config)
    assert valid, errors
    programme = Programme(evaluate(document), document["escalate_at"])
    found = programme.findings(day if dated else None, day, risk, "stub")
    assert found[0].rule_id == "HRDD-PRG-001" and found[0].outcome == "info"
    gaps = {f.rule_id for f in found[1:]}
    assert gaps == {f.rule_id for f in programme.findings(day if dated else None, day, "low", "stub")[1:]}
    weighed = risk if risk in RISK_RANK else "high"
    escalates = RISK_RANK[weighed] >= RISK_RANK[document["escalate_at"]]
    assert {f.outcome.value for f in found[1:]} <= {"escalate" if escalates else "info"}
    for finding in found:  # reports are JSON: evidence must be JSON-ready
        json.dumps([(e.path, e.value) for e in finding.evidence])
        assert finding.guidance


@settings(max_examples=200)
@given(config=programmes, day=past_dates, element=st.sampled_from(ELEMENT_KEYS), risk=risks)
def test_stating_an_element_removes_its_own_gap_and_touches_no_other(
    config: dict[str, Any], day: _dt.date, element: str, risk: Any
) -> None:
    before_valid, before, _ = normalised({k: v for k, v in config.items() if k != element})
    after_valid, after, _ = normalised({**config, element: complete(element, day)})
    assert before_valid and after_valid
    gaps_before = {
        f.rule_id
        for f in Programme(evaluate(before), before["escalate_at"]).findings(day, day, risk, None)[1:]
    }
    gaps_after = {
        f.rule_id for f in Programme(evaluate(after), after["escalate_at"]).findings(day, day, risk, None)[1:]
    }
    assert RULE_OF[element] in gaps_before
    assert gaps_after == gaps_before - {RULE_OF[element]}
