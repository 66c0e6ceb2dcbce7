"""hrdd-item-capability remembers profiles, answers and findings per engine, keyed by everything
they read: deals that repeat a product's configuration and a kind of end user get the very same
(immutable) findings again, and a deal that differs in anything those findings read gets its own,
whatever came before it on the same engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hrdd
from hrdd.memory import Memory

CAPABILITY_ONLY = Path(__file__).with_name("capability-only.toml")
PLUGIN = "hrdd-item-capability"

FACE_SDK = {
    "id": "I1",
    "name": "Face recognition SDK",
    "description": "Face recognition SDK: matches faces in video against an enrolled gallery",
    "categories": ["facial_recognition"],
    "capabilities": ["biometric_identification"],
    "design_safeguards": ["audit_logging", "geofencing"],  # potential 4/5: CAP-001, -005 and -009
    "customization": "configuration",
    "customization_request": "Integrate with the city's camera network",
}
MINISTRY = {"name": "Ministry of Interior", "country": "EG", "type": "government_agency",
            "sector": "public_security", "stated_end_use": "Criminal investigations"}  # fmt: skip
RETAILER = {"name": "Acme Retail GmbH", "country": "DE", "type": "private", "sector": "commercial",
            "government_relationship": "none", "stated_end_use": "Loss prevention in our stores"}  # fmt: skip


def deal(
    serial: int, end_user: dict[str, Any] = MINISTRY, copies: int = 1, ids_reversed: bool = False, **item: Any
) -> dict[str, Any]:
    """A deal of the face SDK (``item`` overrides its fields; ``copies`` of it, at items[0],
    items[1] ..., their ids numbered up or down); the ids, quantities and values change with
    ``serial`` and are read by none of the plugin's findings."""
    value = {"amount": 1000.0 * serial, "currency": "USD"}
    numbers = reversed(range(copies)) if ids_reversed else range(copies)
    return {
        "id": f"TX-{serial}",
        "date": "2026-11-02",
        "items": [
            {
                **FACE_SDK,
                "quantity": 1 + serial,
                "value": value,
                **item,
                "id": f"{item.get('id', 'I')}-{number}",
            }
            for number in numbers
        ],
        "end_user": end_user,
    }


class Forgetful(Memory[Any, Any]):
    """A memory that never finds anything: the plugin then builds everything afresh."""

    def get(self, key: Any, default: Any = None) -> Any:
        return default


def forgetful(engine: hrdd.Engine) -> hrdd.Engine:
    """The engine, with every memory of the plugin's state forgetful: what the plugin reports
    without remembering anything (within one deal as across deals)."""
    state = engine.plugins.by_name[PLUGIN].state
    for name in type(state).__slots__:
        if isinstance(getattr(state, name), Memory):
            setattr(state, name, Forgetful())
    return engine


def mine(assessment: hrdd.Assessment) -> list[hrdd.Finding]:
    return [f for f in assessment.findings if f.plugin == PLUGIN]


def report(assessment: hrdd.Assessment) -> list[dict[str, Any]]:
    return [f.to_dict() for f in mine(assessment)]


def test_a_repeated_configuration_gets_the_very_same_findings() -> None:
    engine = hrdd.Engine.from_policy(CAPABILITY_ONLY)
    first, second, third = (engine.assess(deal(serial)) for serial in (1, 2, 3))
    assert {f.rule_id for f in mine(first)} >= {"HRDD-CAP-001", "HRDD-CAP-005", "HRDD-CAP-009"}
    assert report(first) == report(second) == report(third)
    # A key is remembered the second time it is seen (see hrdd.memory.Memory.keep_recurring); from then on
    # the plugin returns the same findings and the engine the same enforced copies.
    assert all(a is b for a, b in zip(mine(second), mine(third), strict=True))


CHANGES = [
    pytest.param({}, id="unchanged"),
    pytest.param({"design_safeguards": ["geofencing", "audit_logging"]}, id="safeguards-reordered"),
    pytest.param({"design_safeguards": ["geofencing"]}, id="safeguard-dropped"),
    pytest.param(
        {"design_safeguards": ["audit_logging", "role_based_access", "volume_limits", "feature_disabled"]},
        id="safeguards-added",
    ),
    pytest.param({"customization_request": "Remove the audit log for this customer"}, id="request"),
    pytest.param(
        {"description": "Matching engine", "customization_request": "Remove the audit log", "copies": 2},
        id="two-requests",
    ),
    pytest.param({"customization": "custom_development"}, id="custom-development"),
    pytest.param({"name": "FaceFind Pro"}, id="name"),
    pytest.param({"id": "J"}, id="item-id"),
    pytest.param({"capabilities": []}, id="no-declared-capability"),
    pytest.param({"capabilities": [], "categories": ["data_analytics"]}, id="category"),
    pytest.param({"copies": 2}, id="two-items"),
    # I-0 at items[1], where the deals above have it at items[0]: a text that reveals a
    # capability (CAP-002 quotes items[1].description) and one that reveals none
    pytest.param(
        {"copies": 2, "ids_reversed": True, "capabilities": [], "categories": ["data_analytics"]},
        id="two-items-ids-reversed",
    ),
    pytest.param({"description": "Matching engine"}, id="bland-text"),
    pytest.param(
        {"description": "Matching engine", "copies": 2, "ids_reversed": True}, id="bland-ids-reversed"
    ),
    pytest.param({"copies": 2, "customization": "custom_development"}, id="two-custom-items"),
    pytest.param({"description": "", "categories": ["other"], "capabilities": []}, id="undetermined"),
]
RIGHTS = "Identify protest organisers"
END_USERS = [
    MINISTRY,
    RETAILER,
    {**RETAILER, "government_relationship": "contractor"},
    {**RETAILER, "type": "unknown"},
    {**RETAILER, "stated_end_use": RIGHTS},
    {**RETAILER, "stated_end_use": RIGHTS, "government_relationship": "contractor"},
    {**RETAILER, "stated_end_use": RIGHTS, "type": "private_close_to_government"},
]


@pytest.mark.parametrize("size", [3, None], ids=["memories-of-3", "memories-as-shipped"])
def test_each_deal_reports_what_an_engine_seeing_it_first_reports(
    size: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deals that differ in one input the findings read (of the item or the end user), on one
    engine, in either order and more than once (so that their findings are remembered and
    handed out again), with memories as shipped or bounded to a few entries (emptied and
    refilled): every report is the one the plugin writes when it remembers nothing."""
    from hrdd_item_capability import plugin

    if size is not None:
        for bound in ("MEMORY_SIZE", "FINDINGS_SIZE"):
            monkeypatch.setattr(plugin, bound, size)
    deals = [
        deal(serial, end_user, **change.values[0])
        for serial, (change, end_user) in enumerate((c, e) for c in CHANGES for e in END_USERS)
    ]
    shared = hrdd.Engine.from_policy(CAPABILITY_ONLY)
    reference = forgetful(hrdd.Engine.from_policy(CAPABILITY_ONLY))
    expected = [report(reference.assess(d)) for d in deals]
    order = [*range(len(deals)), *reversed(range(len(deals))), *range(len(deals))]
    for index in order:
        assert report(shared.assess(deals[index])) == expected[index], (
            deals[index]["items"][0],
            deals[index]["end_user"],
        )
    state = shared.plugins.by_name[PLUGIN].state
    for memory in (state.configurations, state.end_uses):
        assert 0 < len(memory) <= plugin.MEMORY_SIZE
    for memory in (state.findings, state.texts):
        assert 0 < len(memory) <= plugin.FINDINGS_SIZE


def test_messages_follow_the_input_that_changed() -> None:
    engine = hrdd.Engine.from_policy(CAPABILITY_ONLY)
    for serial in range(3):  # remembered by now
        engine.assess(deal(serial))
    reordered = mine(engine.assess(deal(10, design_safeguards=["geofencing", "audit_logging"])))
    [in_scope] = [f for f in reordered if f.rule_id == "HRDD-CAP-001"]
    assert {e.path: e.value for e in in_scope.evidence}["items[0].design_safeguards"] == [
        "geofencing",
        "audit_logging",
    ]
    dropped = mine(engine.assess(deal(15, design_safeguards=["geofencing"])))
    [missing] = [f for f in dropped if f.rule_id == "HRDD-CAP-005"]
    assert "and no audit logging" in missing.message
    private = mine(engine.assess(deal(11, RETAILER)))
    assert not {"HRDD-CAP-005", "HRDD-CAP-009"} & {f.rule_id for f in private}
    renamed = mine(engine.assess(deal(12, name="FaceFind Pro")))
    assert all("'FaceFind Pro'" in f.message for f in renamed if f.rule_id != "HRDD-CAP-010")
    again = mine(engine.assess(deal(13)))
    assert [f.to_dict() for f in again] == [f.to_dict() for f in mine(engine.assess(deal(14)))]


# Another plugin's view of the item, from a field this plugin reads nowhere (the ECCN): the
# merged profile the checks read then differs between deals whose item fields this plugin
# reads are the same.
INTERCEPTION_BY_ECCN = """
from hrdd import CapabilityProfile, PluginInfo, hookimpl


@hookimpl
def hrdd_plugin_info():
    return PluginInfo(rules=())


@hookimpl
def hrdd_item_profile(item, transaction, context):
    if item.eccn != "5A001.j":
        return None
    return CapabilityProfile(item_id=item.id, capabilities=("content_interception",), misuse_potential=5)
"""


@pytest.fixture
def merged_policy(tmp_path: Path) -> Iterator[Path]:
    """The capability-only policy plus an extension whose profile of an item depends on its
    ECCN (its module is dropped from sys.modules afterwards)."""
    import sys

    (tmp_path / "interception.py").write_text(INTERCEPTION_BY_ECCN, encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text(
        f'[policy]\nname = "merged"\nversion = "1"\nextends = "{CAPABILITY_ONLY.as_posix()}"\n\n'
        '[plugins.interception]\npath = "interception.py"\n',
        encoding="utf-8",
    )
    before = set(sys.modules)
    yield policy
    for name in set(sys.modules) - before:
        if name.startswith("hrdd_extension_"):
            del sys.modules[name]


def test_another_plugins_profile_of_the_item_gets_its_own_findings(merged_policy: Path) -> None:
    """Two deals whose items differ only in what another plugin's profile reads (the merged
    profile the checks read), in either order and more than once on one engine: each gets
    what an engine seeing it first reports."""
    plain, intercepting = deal(1), deal(2, eccn="5A001.j")
    fresh = [report(hrdd.Engine.from_policy(merged_policy).assess(d)) for d in (plain, intercepting)]
    assert fresh[0] != fresh[1]
    shared = hrdd.Engine.from_policy(merged_policy)
    for index in (0, 0, 1, 1, 0, 1, 0):
        assert report(shared.assess((plain, intercepting)[index])) == fresh[index]


def test_the_answers_of_every_configuration_share_one_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """hrdd_check_item's answers are kept for all configurations in one memory: however many
    configurations and kinds of end user come, it holds at most its bound, and every deal is
    told what an engine that remembers nothing tells it."""
    from hrdd_item_capability import plugin

    monkeypatch.setattr(plugin, "ANSWERS_SIZE", 4)
    bounded = hrdd.Engine.from_policy(CAPABILITY_ONLY)
    reference = forgetful(hrdd.Engine.from_policy(CAPABILITY_ONLY))
    documents = [
        deal(serial, end_user, customization_request=request)
        for serial, (end_user, request) in enumerate(
            (end_user, request)
            for request in ("Integrate with the city's camera network", "Add a web dashboard", "None")
            for end_user in (MINISTRY, RETAILER)
        )
    ]
    for _ in range(3):  # a configuration's answers are kept from its second deal on
        for document in documents:
            assert report(bounded.assess(document)) == report(reference.assess(document))
            assert len(bounded.plugins.by_name[PLUGIN].state.answers) <= 4


def test_end_users_of_the_same_government_link_get_the_same_answer() -> None:
    """The item's findings read of the end user only whether it is government-linked and why:
    a ministry and a police force, both government agencies whatever their relationship, get
    the very same findings; an end user linked otherwise (a contractor) gets its own, but for
    those that read nothing of the end user."""
    engine = hrdd.Engine.from_policy(CAPABILITY_ONLY)
    for serial in range(3):  # remembered by now (a configuration's answers, from its second deal)
        engine.assess(deal(serial))
    police = {**MINISTRY, "name": "City Police", "government_relationship": "state_controlled"}
    contractor = {**RETAILER, "government_relationship": "contractor"}
    ministry, again, linked_otherwise = (
        mine(engine.assess(deal(serial, end_user)))
        for serial, end_user in enumerate((MINISTRY, police, contractor), start=3)
    )
    assert ministry and all(a is b for a, b in zip(ministry, again, strict=True))
    assert {f.rule_id for f in ministry} == {f.rule_id for f in linked_otherwise}
    for a, b in zip(ministry, linked_otherwise, strict=True):
        # those naming the link are its own; those that do not read it (CAP-001) are shared
        link = {e.path: e.value for e in b.evidence}.get("end_user")
        assert (a is b) == (link is None), a.rule_id
        assert link is None or "contractor" in link
