"""hrdd-stakeholders remembers its findings: deals with the same inputs get the very same
findings, and a deal that differs in one input a finding reads gets its own, whatever the
order the deals come in on one engine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
from stakeholders_kit import (
    ALPR,
    BODY_CAMERA,
    DROP,
    FACE_GATE,
    FULL_CONTRACT,
    MUNICIPAL_POLICE,
    PLUGIN,
    RETAILER,
    STATE_TELCO,
    evidence,
    forget_extensions,
    kyc_with,
    make_transaction,
    the_finding,
    write_policy,
)

import hrdd
from hrdd.context import CheckContext, SharedFacts
from hrdd.memory import Memory
from hrdd_stakeholders import plugin

WITHOUT_CERTIFICATE = {
    **FULL_CONTRACT,
    "clauses": [c for c in FULL_CONTRACT["clauses"] if c != "end_use_certificate"],
}


def _assessed_in_both_orders(
    tmp_path: Path, first: dict, second: dict, rule: str
) -> list[tuple[str, hrdd.Finding]]:
    """(which, finding) for each deal, each assessed three times, in both orders, on one
    engine per order (a memory keeps a finding from the second deal with its inputs on)."""
    seen = []
    for order, directory in (((first, second), tmp_path / "a"), ((second, first), tmp_path / "b")):
        directory.mkdir()
        engine = hrdd.Engine.from_policy(write_policy(directory))
        for _ in range(3):
            for document in order:
                which = "first" if document is first else "second"
                seen.append((which, the_finding(engine.assess(document), rule)))
    return seen


def test_the_open_sole_end_user_question_follows_each_deals_contract(tmp_path: Path) -> None:
    """Two deals of one police force differ only in the end-use certificate clause: the
    certificate settles the open question (info), its absence asks for it (safeguards
    required), and the evidence lists each deal's own clauses."""
    with_certificate = make_transaction(sole_end_user=DROP)
    without = make_transaction(sole_end_user=DROP, contract=WITHOUT_CERTIFICATE)
    for which, finding in _assessed_in_both_orders(tmp_path, with_certificate, without, "HRDD-STK-008"):
        clauses = evidence(finding)["contract.clauses"]
        if which == "first":
            assert finding.outcome == "info"
            assert "end_use_certificate" in clauses
        else:
            assert finding.outcome == "safeguards_required"
            assert "end_use_certificate" not in clauses
        assert clauses == (FULL_CONTRACT if which == "first" else WITHOUT_CERTIFICATE)["clauses"]


def test_red_flag_1_names_each_deals_own_item(tmp_path: Path) -> None:
    """Two deals of a state-owned telco differ only in the name of an item that could
    facilitate abuse (the same potential): each message names its own item."""
    renamed = {**FACE_GATE, "name": "FaceGate II turnstile terminal"}
    original = make_transaction(items=[FACE_GATE], end_user=STATE_TELCO)
    other = make_transaction(items=[renamed], end_user=STATE_TELCO)
    for which, finding in _assessed_in_both_orders(tmp_path, original, other, "HRDD-STK-004"):
        assert finding.outcome == "escalate"
        if which == "first":
            assert "'FaceGate turnstile terminal' (misuse potential 3/5)" in finding.message
        else:
            assert "'FaceGate II turnstile terminal' (misuse potential 3/5)" in finding.message


def test_red_flag_2_describes_each_deals_own_other_end_users(tmp_path: Path) -> None:
    """Two deals of one police force name the same other end user, used at home in one and
    abroad in the other: only the second is told that use abroad amounts to a re-export."""
    other = {"name": "Regional Police Academy", "type": "government_agency", "sector": "law_enforcement"}
    home = make_transaction(sole_end_user=False, other_end_users=[{**other, "country": "NL"}])
    abroad = make_transaction(sole_end_user=False, other_end_users=[{**other, "country": "BE"}])
    for which, finding in _assessed_in_both_orders(tmp_path, home, abroad, "HRDD-STK-007"):
        re_export = "amounts to a re-export" in finding.message
        assert re_export is (which == "second")
        assert ("Belgium (BE)" in finding.message) is (which == "second")


def _context(engine: hrdd.Engine) -> CheckContext:
    [loaded] = [p for p in engine.plugins.plugins if p.name == PLUGIN]
    return CheckContext(PLUGIN, loaded.config, loaded.settings.policy_dir, SharedFacts(), loaded.state)


def test_deals_with_the_same_inputs_get_the_same_findings(tmp_path: Path) -> None:
    """The hook returns the very finding it built before for the same inputs, so the engine
    enforces and writes it once; another deal of the same customer with another contract gets
    its own. What reads the contract is remembered from the third deal with a contract never
    seen before: the first only notes the contract, the second the key, the third keeps the
    finding (and the whole answer, returned again as the same tuple)."""
    engine = hrdd.Engine.from_policy(write_policy(tmp_path))
    context = _context(engine)

    def answer(document: dict) -> Sequence[hrdd.Finding]:
        return plugin.hrdd_check_end_user(hrdd.Transaction.from_dict(document), context)

    def open_question(document: dict) -> hrdd.Finding:
        [finding] = [f for f in answer(document) if f.rule_id == "HRDD-STK-008"]
        return finding

    document = make_transaction(items=[BODY_CAMERA], end_user=MUNICIPAL_POLICE, sole_end_user=DROP)
    other = make_transaction(
        items=[BODY_CAMERA], end_user=MUNICIPAL_POLICE, sole_end_user=DROP, contract=WITHOUT_CERTIFICATE
    )
    first = open_question(document)
    second = open_question(document)
    kept = open_question(document)
    assert len({id(first), id(second), id(kept)}) == 3
    assert open_question(document) is kept
    assert open_question(other) is not kept
    assert open_question(other) is not kept
    assert open_question(document) is kept
    whole = answer(document)
    assert type(whole) is tuple
    assert answer(document) is whole
    # A contract seen before (with another customer's deals, say): the key is noted at once.
    police_with_other = make_transaction(
        items=[BODY_CAMERA],
        end_user=MUNICIPAL_POLICE,
        sole_end_user=DROP,
        contract=WITHOUT_CERTIFICATE,
        name="Politie Gemeente Noordhaven",
    )
    noted = open_question(police_with_other)
    kept = open_question(police_with_other)
    assert kept is not noted
    assert open_question(police_with_other) is kept


def test_intermediaries_are_shared_by_customers_and_name_each_where_they_must(tmp_path: Path) -> None:
    """A distributor in a third country is reported the same for two customers in one
    country at the same stakes: the finding names neither, so both get the very same one
    (kept from its key's second sighting). A party without a country is reported naming the
    customer: each gets its own."""
    engine = hrdd.Engine.from_policy(write_policy(tmp_path))
    context = _context(engine)

    def the_rule(document: dict, rule: str) -> hrdd.Finding:
        [finding] = [
            f
            for f in plugin.hrdd_check_end_user(hrdd.Transaction.from_dict(document), context)
            if f.rule_id == rule
        ]
        return finding

    other_name = "Politie Gemeente Noordhaven"
    the_rule(make_transaction(parties=[DISTRIBUTOR_AE]), "HRDD-STK-011")
    kept = the_rule(make_transaction(parties=[DISTRIBUTOR_AE], name=other_name), "HRDD-STK-011")
    assert the_rule(make_transaction(parties=[DISTRIBUTOR_AE]), "HRDD-STK-011") is kept
    unlocated = [{"role": "distributor", "name": "Nowhere Trading"}]
    the_rule(make_transaction(parties=unlocated), "HRDD-STK-012")
    first = the_rule(make_transaction(parties=unlocated), "HRDD-STK-012")
    second = the_rule(make_transaction(parties=unlocated, name=other_name), "HRDD-STK-012")
    assert MUNICIPAL_POLICE["name"] in first.message
    assert other_name in second.message and MUNICIPAL_POLICE["name"] not in second.message
    assert the_rule(make_transaction(parties=unlocated), "HRDD-STK-012") is first


DISTRIBUTOR_AE = {"role": "distributor", "name": "Gulfway FZE", "country": "AE"}


def _published(assessment: hrdd.Assessment) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What the plugin publishes and reports for a deal."""
    facts = {name: value for name, (value, source) in assessment.facts.items() if source == PLUGIN}
    return facts, [f.to_dict() for f in assessment.findings if f.plugin == PLUGIN]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            make_transaction(parties=[DISTRIBUTOR_AE]),
            make_transaction(parties=[DISTRIBUTOR_AE], exporter_country="AE"),
            id="exporter.country",
        ),
        pytest.param(
            make_transaction(parties=[DISTRIBUTOR_AE]),
            make_transaction(parties=[DISTRIBUTOR_AE], country="AE"),
            id="end_user.country",
        ),
    ],
)
def test_facts_and_opacity_follow_each_deals_countries(tmp_path: Path, first: dict, second: dict) -> None:
    """The facts are remembered with the opacity the end-user check reads back: two deals
    whose intermediary is in a third country for one and at home for the other, assessed by
    turns on one engine in either order, each get what an engine seeing it first reports."""
    fresh = []
    for n, document in enumerate((first, second)):
        (tmp_path / f"fresh{n}").mkdir()
        fresh.append(
            _published(hrdd.Engine.from_policy(write_policy(tmp_path / f"fresh{n}")).assess(document))
        )
    assert fresh[0] != fresh[1], "the two deals must differ in what the plugin publishes or reports"
    for order in ((0, 1), (1, 0)):
        directory = tmp_path / f"order{order[0]}"
        directory.mkdir()
        engine = hrdd.Engine.from_policy(write_policy(directory))
        for _ in range(2):
            for n in order:
                assert _published(engine.assess((first, second)[n])) == fresh[n]


# Stand-in publishing destination.risk_tier from what hrdd-stakeholders never reads (the end
# user's sector): two deals then differ in the tier alone.
TIER_BY_SECTOR = """
from hrdd import PluginInfo, hookimpl

TIERS = {tiers!r}


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(publishes=("destination.risk_tier",), description="test stand-in")


@hookimpl
def hrdd_transaction_facts(transaction):
    tier = TIERS.get(transaction.end_user.sector)
    return {{}} if tier is None else {{"destination.risk_tier": tier}}
"""

NOT_A_TELCO = {**STATE_TELCO, "sector": "commercial"}


def _tier_standins(*tiers: dict[str, str]) -> list[str]:
    return [TIER_BY_SECTOR.format(tiers=by_sector) for by_sector in tiers]


def _policy(directory: Path, standins: list[str]) -> Path:
    """write_policy's policy, with ``standins`` (module sources) as ``path =`` extensions."""
    path = write_policy(directory)
    lines = [path.read_text(encoding="utf-8")]
    for n, source in enumerate(standins):
        (directory / f"standin{n}.py").write_text(source, encoding="utf-8")
        lines.append(f'\n[plugins.standin-{n}]\npath = "standin{n}.py"\n')
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("first", "second", "standins"),
    [
        pytest.param(
            make_transaction(sole_end_user=DROP),
            make_transaction(sole_end_user=DROP, name="Politie Gemeente Noordhaven"),
            [],
            id="end_user.name",
        ),
        pytest.param(
            make_transaction(items=[ALPR], end_user=RETAILER, type=DROP),
            make_transaction(items=[ALPR], end_user=RETAILER, type="unknown"),
            [],
            id="end_user.type",
        ),
        pytest.param(
            make_transaction(items=[FACE_GATE], end_user=STATE_TELCO),
            make_transaction(
                items=[FACE_GATE], end_user=STATE_TELCO, government_relationship="partially_owned"
            ),
            [],
            id="end_user.government_relationship",
        ),
        pytest.param(
            make_transaction(items=[FACE_GATE], end_user=STATE_TELCO),
            make_transaction(items=[FACE_GATE], end_user=STATE_TELCO, country="US", exporter_country="KZ"),
            [],
            id="end_user.country",  # the same countries at home (exporter's and end user's)
        ),
        pytest.param(
            make_transaction(),
            make_transaction(sole_end_user=DROP),
            [],
            id="end_user.sole_end_user",
        ),
        pytest.param(
            make_transaction(related_parties=[{"name": "Zuidhaven Holding", "relationship": "other"}]),
            make_transaction(related_parties=[{"name": "Noordhaven Holding", "relationship": "other"}]),
            [],
            id="end_user.related_parties",
        ),
        pytest.param(
            make_transaction(),
            make_transaction(kyc=kyc_with(cash_for_expensive_item=True)),
            [],
            id="kyc",
        ),
        pytest.param(
            make_transaction(
                items=[FACE_GATE], end_user=STATE_TELCO, kyc=kyc_with(evasive_about_reexport=DROP)
            ),
            make_transaction(
                items=[{**FACE_GATE, "name": "FaceGate II turnstile terminal"}],
                end_user=STATE_TELCO,
                kyc=kyc_with(evasive_about_reexport=DROP),
            ),
            [],
            id="items.name",  # the sensitive stakes' reason names the top item (HRDD-STK-003 too)
        ),
        pytest.param(
            make_transaction(parties=[DISTRIBUTOR_AE]),
            make_transaction(parties=[{**DISTRIBUTOR_AE, "country": "SA"}]),
            [],
            id="parties.country",
        ),
        pytest.param(
            make_transaction(items=[FACE_GATE], end_user=STATE_TELCO),
            make_transaction(items=[FACE_GATE], end_user=NOT_A_TELCO),
            _tier_standins({"telecom_operator": "very_high", "commercial": "low"}),
            id="destination.risk_tier",
        ),
        pytest.param(
            make_transaction(items=[FACE_GATE], end_user=STATE_TELCO),
            make_transaction(items=[FACE_GATE], end_user=NOT_A_TELCO),
            _tier_standins({"telecom_operator": "high"}, {"commercial": "high"}),
            id="fact_source",
        ),
    ],
)
def test_the_end_user_check_follows_each_input_it_reads(
    tmp_path: Path, first: dict, second: dict, standins: list[str]
) -> None:
    """The end-user check's whole answer is remembered by everything its parts read: two deals
    that differ in one such input, assessed by turns on one engine in either order (four
    times, so that each answer is remembered and then returned again), each get what an
    engine seeing it first reports."""
    fresh = []
    for n, document in enumerate((first, second)):
        directory = tmp_path / f"fresh{n}"
        directory.mkdir()
        fresh.append(_published(hrdd.Engine.from_policy(_policy(directory, standins)).assess(document)))
        forget_extensions(directory)
    assert fresh[0][1] != fresh[1][1], "the two deals must differ in what the plugin reports"
    for order in ((0, 1), (1, 0)):
        directory = tmp_path / f"order{order[0]}"
        directory.mkdir()
        engine = hrdd.Engine.from_policy(_policy(directory, standins))
        for _ in range(4):
            for n in order:
                assert _published(engine.assess((first, second)[n])) == fresh[n]
        forget_extensions(directory)


@pytest.mark.parametrize("bound", ["STAKES_SIZE", "OPACITIES_SIZE", "FINDINGS_SIZE", "ANSWERS_SIZE"])
def test_every_memory_holds_at_most_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bound: str
) -> None:
    """However many customers, items, parties and contracts come, each memory holds at most
    its bound, and every deal is told what an engine seeing it first reports."""
    monkeypatch.setattr(plugin, bound, 2)
    clauses = FULL_CONTRACT["clauses"]
    documents = [
        make_transaction(
            items=[item],
            end_user=end_user,
            sole_end_user=DROP,
            type=end_user_type,
            kyc=kyc_with(evasive_about_reexport=DROP),
            parties=[{**DISTRIBUTOR_AE, "name": f"Gulfway {cut} FZE"}],
            contract={**FULL_CONTRACT, "clauses": clauses[:cut]},
        )
        for end_user in (MUNICIPAL_POLICE, RETAILER, STATE_TELCO)
        for end_user_type in (end_user["type"], "unknown")
        for item in (BODY_CAMERA, FACE_GATE)
        for cut in (len(clauses), len(clauses) - 1)
    ]
    fresh = []
    for n, document in enumerate(documents):
        directory = tmp_path / f"fresh{n}"
        directory.mkdir()
        fresh.append(_published(hrdd.Engine.from_policy(write_policy(directory)).assess(document)))
    directory = tmp_path / "bounded"
    directory.mkdir()
    engine = hrdd.Engine.from_policy(write_policy(directory))
    state = engine.plugins.by_name[PLUGIN].state
    bounded = [
        memory
        for memory in (getattr(state, field.name) for field in attrs.fields(type(state)))
        if isinstance(memory, Memory) and memory.size == 2
    ]
    assert bounded, f"no memory is sized by {bound}"
    for _ in range(2):
        for document, expected in zip(documents, fresh, strict=True):
            assert _published(engine.assess(document)) == expected
            assert all(len(memory) <= 2 for memory in bounded)
