"""hrdd-legal-framework remembers its findings: deals with the same inputs get the very same
findings, and a deal that differs in one input a finding reads gets its own, whatever the
order the deals come in on one engine."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hrdd
from hrdd.context import CheckContext, SharedFacts
from hrdd_legal_framework import plugin

PLUGIN = "hrdd-legal-framework"
STATUS_CLAUSES = ["use_limitation", "audit_rights", "suspend_and_terminate"]
ALL_CLAUSES = list(hrdd.CONTRACT_CLAUSES)
CAMERA = {  # potential 2
    "name": "PatrolCam BW-3",
    "description": "Body-worn camera for patrol officers with 12-hour battery",
    "categories": ["body_worn_camera"],
    "capabilities": ["audio_video_recording"],
}
SAUDI_POLICE = {
    "name": "Riyadh Police",
    "country": "SA",
    "type": "government_agency",
    "sector": "law_enforcement",
}
DUTCH_POLICE = {
    "name": "Politie Gemeente Utrecht",
    "country": "NL",
    "type": "government_agency",
    "sector": "municipal",
}


def deal(item: dict[str, Any], end_user: dict[str, Any], date: str | None = "2025-06-01") -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": "TX-LAW-MEMORY",
        "items": [{"id": "item-1", **item}],
        "end_user": end_user,
        "contract": {"clauses": STATUS_CLAUSES},
    }
    if date is not None:
        document["date"] = date
    return document


def engine(directory: Path, **config: int) -> hrdd.Engine:
    lines = ["[policy]", 'name = "legal-memory"', 'version = "1"', "[plugins.hrdd-item-capability]"]
    lines += [f"[plugins.{PLUGIN}]", f"[plugins.{PLUGIN}.config]"]
    lines += [f"{key} = {value}" for key, value in config.items()]
    directory.mkdir(exist_ok=True)
    path = directory / "policy.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return hrdd.Engine.from_policy(path)


def in_both_orders(
    tmp_path: Path,
    first: dict[str, Any],
    second: dict[str, Any],
    read: Callable[[hrdd.Assessment], Any],
    **config: int,
) -> list[tuple[str, Any]]:
    """(which deal, what ``read`` makes of its assessment) for each deal, assessed three times
    (a memory keeps a finding from the second deal that needs it on), in both orders, on one
    engine per order."""
    seen = []
    for order, name in (((first, second), "a"), ((second, first), "b")):
        on = engine(tmp_path / name, **config)
        for _ in range(3):
            for document in order:
                seen.append(("first" if document is first else "second", read(on.assess(document))))
    return seen


def concerns(assessment: hrdd.Assessment) -> hrdd.Finding:
    [finding] = [f for f in assessment.findings if f.rule_id == "HRDD-LAW-004"]
    return finding


def test_each_deal_is_told_the_design_safeguards_it_lacks(tmp_path: Path) -> None:
    """Two deals of body cameras for the Saudi police differ only in one design safeguard of
    the camera (misuse potential 1 either way): the one with tamper-evident logs is recorded
    as mitigated, the one without is asked for them."""
    safe = deal(
        CAMERA | {"design_safeguards": ["audit_logging", "tamper_evident_logs", "role_based_access"]},
        SAUDI_POLICE,
    )
    lacking = deal(CAMERA | {"design_safeguards": ["audit_logging", "role_based_access"]}, SAUDI_POLICE)
    for which, finding in in_both_orders(tmp_path, safe, lacking, concerns):
        assert {e.path: e.value for e in finding.evidence}["items[0].misuse_potential"] == 1
        if which == "first":
            assert finding.outcome == "info"
            assert "already provide the safeguards" in finding.message
        else:
            assert finding.outcome == "safeguards_required"
            assert finding.message.endswith("missing: tamper_evident_logs.")


def test_dated_and_undated_deals_measure_the_data_age_against_their_own_day(tmp_path: Path) -> None:
    """On the same day, a deal dated that day is measured against the transaction date, an
    undated one against today (one key per day measured on, not per date alone)."""
    day = _dt.date(2027, 3, 1)
    dated = deal(CAMERA, DUTCH_POLICE, date=day.isoformat())
    undated = deal(CAMERA, DUTCH_POLICE, date=None)

    def age(assessment: hrdd.Assessment) -> str:
        [finding] = [f for f in assessment.findings if f.rule_id == "HRDD-LAW-007"]
        return finding.message

    for order, name in (((dated, undated), "a"), ((undated, dated), "b")):
        on = engine(tmp_path / name)
        for _ in range(2):
            for document in order:
                message = age(on.assess(document, as_of=day))
                against = "the transaction date" if document is dated else "today"
                assert message.startswith(f"Country data is 790 days old against {against} ")


def test_deals_with_the_same_inputs_get_the_same_findings(tmp_path: Path) -> None:
    """The hook returns the findings it built before for the same inputs (a finding that
    reads the contract or the items' safeguards once its key has come twice), so the engine
    enforces and writes them once; a deal naming another item gets its own."""
    on = engine(tmp_path)
    [loaded] = [p for p in on.plugins.plugins if p.name == PLUGIN]
    context = CheckContext(PLUGIN, loaded.config, loaded.settings.policy_dir, SharedFacts(), loaded.state)

    def findings(document: dict[str, Any]) -> list[hrdd.Finding]:
        return plugin.hrdd_check_end_user(hrdd.Transaction.from_dict(document), context)

    dutch = deal(CAMERA, DUTCH_POLICE)
    saudi = deal(CAMERA | {"design_safeguards": ["audit_logging"]}, SAUDI_POLICE)
    for document in (dutch, saudi):
        findings(document)
        kept = findings(document)
        assert [f.rule_id for f in kept] in (["HRDD-LAW-001"], ["HRDD-LAW-002", "HRDD-LAW-004"])
        again = findings(document)
        assert all(a is b for a, b in zip(kept, again, strict=True))
    [renamed] = findings(deal(CAMERA | {"name": "PatrolCam BW-4"}, DUTCH_POLICE))
    [reviewed] = findings(dutch)
    assert renamed is not reviewed
    assert "'PatrolCam BW-4'" in renamed.message and "'PatrolCam BW-3'" in reviewed.message


EGYPT_OPERATOR = {  # a company that holds data: the authorities' compelled access bears on it
    "name": "Nile Telecom",
    "country": "EG",
    "type": "state_owned_enterprise",
    "sector": "telecom_operator",
}
RECORDER = CAMERA | {"capabilities": ["audio_video_recording", "data_retention"]}
PROBE = CAMERA | {"capabilities": ["metadata_collection"]}  # the same item, collecting metadata
GERMAN_OPERATOR = EGYPT_OPERATOR | {"country": "DE"}  # bulk powers concern telecom operators


def law_findings(assessment: hrdd.Assessment) -> list[dict[str, Any]]:
    return [f.to_dict() for f in assessment.findings if f.plugin == PLUGIN]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # the destination (another country's concerns bear on the same items)
        (deal(RECORDER, EGYPT_OPERATOR), deal(RECORDER, EGYPT_OPERATOR | {"country": "SA"})),
        # the end user's sector (the concerns that bear on it)
        (deal(PROBE, GERMAN_OPERATOR), deal(PROBE, GERMAN_OPERATOR | {"sector": "municipal"})),
        # a government agency itself, or a company holding data (same government link)
        (deal(RECORDER, EGYPT_OPERATOR), deal(RECORDER, EGYPT_OPERATOR | {"type": "government_agency"})),
        # the government link alone (neither is an agency)
        (
            deal(RECORDER, EGYPT_OPERATOR | {"type": "private"}),
            deal(RECORDER, EGYPT_OPERATOR | {"type": "private", "government_relationship": "contractor"}),
        ),
        # the item's capabilities
        (deal(PROBE, GERMAN_OPERATOR), deal(CAMERA, GERMAN_OPERATOR)),
        # a contract clause the concerns call for
        (
            deal(RECORDER, EGYPT_OPERATOR),
            {**deal(RECORDER, EGYPT_OPERATOR), "contract": {"clauses": ALL_CLAUSES}},
        ),
    ],
    ids=["country", "sector", "agency", "government-link", "capabilities", "clauses"],
)
def test_deals_differing_in_one_input_of_a_bearing_get_their_own_findings(
    tmp_path: Path, first: dict[str, Any], second: dict[str, Any]
) -> None:
    """What bears on an item (remembered per end user and item, then by what is missing of
    the contract and design) comes out as a fresh engine's, whatever came before."""
    fresh = {"first": law_findings(engine(tmp_path / "fresh-1").assess(first))}
    fresh["second"] = law_findings(engine(tmp_path / "fresh-2").assess(second))
    assert fresh["first"] != fresh["second"]
    for which, findings in in_both_orders(tmp_path, first, second, law_findings):
        assert findings == fresh[which]


def test_deals_listing_their_own_clauses_keep_the_remembered_bearings_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every subset of a contract's clauses that mitigate a concern makes its own bearing of
    the same exposure. Deals that each list their own clauses must not make the memory grow
    without end: it holds at most its bound, and every deal is told what an engine that
    never forgets tells it, the first time and again after the memory forgot."""
    import itertools

    def findings(assessment: hrdd.Assessment) -> list[dict[str, Any]]:
        return [f.to_dict() for f in assessment.findings if f.plugin == PLUGIN]

    subsets = [list(c) for n in range(len(ALL_CLAUSES) + 1) for c in itertools.combinations(ALL_CLAUSES, n)]
    documents = []
    for clauses in subsets[:80]:
        document = deal(CAMERA, SAUDI_POLICE)
        document["contract"] = {"clauses": clauses}
        documents.append(document)
    unbounded = engine(tmp_path / "unbounded")
    expected = [findings(unbounded.assess(document)) for document in documents]
    made = len(unbounded.plugins.by_name[PLUGIN].state.bearings)
    assert made > 4  # distinct bearings: more than the bound below

    monkeypatch.setattr(plugin, "BEARINGS_SIZE", 4)
    bounded = engine(tmp_path / "bounded")
    for _ in range(2):
        assert [findings(bounded.assess(document)) for document in documents] == expected
        assert len(bounded.plugins.by_name[PLUGIN].state.bearings) <= 4
    assert any(f["rule_id"] == plugin.CONCERNS for told in expected for f in told)


CANADIAN_POLICE = DUTCH_POLICE | {"name": "Ottawa Police Service", "country": "CA"}  # no concern on record
MALAYSIAN_LAB = {  # no action on the ICCPR; not government-linked
    "name": "University Hospital Lab",
    "country": "MY",
    "type": "academic",
    "sector": "health",
}


def two_items(first: dict[str, Any], second: dict[str, Any], end_user: dict[str, Any]) -> dict[str, Any]:
    document = deal(first, end_user)
    document["items"] = [{"id": "item-1", **first}, {"id": "item-2", **second}]
    return document


def renamed(item: dict[str, Any]) -> dict[str, Any]:
    return item | {"name": item["name"] + " Mk II"}


@pytest.mark.parametrize(
    ("first", "second", "rule"),
    [
        # where no concern is on record, the review quotes the potentials alone: not the names
        (deal(CAMERA, CANADIAN_POLICE), deal(renamed(CAMERA), CANADIAN_POLICE), "HRDD-LAW-001"),
        # about an end user who is not government-linked, the status quotes the potentials alone
        (deal(CAMERA, MALAYSIAN_LAB), deal(renamed(CAMERA), MALAYSIAN_LAB), "HRDD-LAW-002"),
        # the concerns name the worst item alone (the first of the worst: the recorder)
        (
            two_items(RECORDER, CAMERA, EGYPT_OPERATOR),
            two_items(RECORDER, renamed(CAMERA), EGYPT_OPERATOR),
            "HRDD-LAW-004",
        ),
    ],
    ids=["review", "status", "concerns"],
)
def test_deals_differing_in_a_name_no_finding_reads_share_it(
    tmp_path: Path, first: dict[str, Any], second: dict[str, Any], rule: str
) -> None:
    """A finding is remembered by what it reads: deals that differ only in an item's name it
    does not quote get the very same finding (once its key has come twice), the same as a
    fresh engine's."""
    fresh = [f for f in law_findings(engine(tmp_path / "fresh").assess(first)) if f["rule_id"] == rule]
    assert [
        f for f in law_findings(engine(tmp_path / "fresh-2").assess(second)) if f["rule_id"] == rule
    ] == fresh
    on = engine(tmp_path / "one")
    made = [
        [f for f in on.assess(document).findings if f.rule_id == rule] for document in (first, second) * 3
    ]
    assert all(len(found) == 1 for found in made)
    assert all(found[0] is made[-1][0] for found in made[2:])
    assert [f.to_dict() for f in made[-1]] == fresh


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # where a concern is on record, the review names the items
        (deal(CAMERA, DUTCH_POLICE), deal(renamed(CAMERA), DUTCH_POLICE)),
        # about a government-linked end user, the status names the item to review
        (
            deal(RECORDER, MALAYSIAN_LAB | {"type": "government_agency"}),
            deal(renamed(RECORDER), MALAYSIAN_LAB | {"type": "government_agency"}),
        ),
        # the worst item's name
        (two_items(RECORDER, CAMERA, EGYPT_OPERATOR), two_items(renamed(RECORDER), CAMERA, EGYPT_OPERATOR)),
        # what is missing to mitigate the concerns bearing on the worst item
        (
            two_items(RECORDER | {"design_safeguards": ["data_minimisation"]}, CAMERA, EGYPT_OPERATOR),
            two_items(RECORDER, CAMERA, EGYPT_OPERATOR),
        ),
        # another item's misuse potential where no concern is on record
        (deal(CAMERA, CANADIAN_POLICE), deal(PROBE, CANADIAN_POLICE)),
    ],
    ids=["review-names", "status-names", "worst-name", "worst-missing", "potential"],
)
def test_deals_differing_in_what_a_finding_reads_get_their_own(
    tmp_path: Path, first: dict[str, Any], second: dict[str, Any]
) -> None:
    """The other side of sharing: a name or a fact the finding quotes keeps deals apart, and
    each is told what a fresh engine tells it, whatever came before."""
    fresh = {"first": law_findings(engine(tmp_path / "fresh-1").assess(first))}
    fresh["second"] = law_findings(engine(tmp_path / "fresh-2").assess(second))
    assert fresh["first"] != fresh["second"]
    for which, findings in in_both_orders(tmp_path, first, second, law_findings):
        assert findings == fresh[which]
