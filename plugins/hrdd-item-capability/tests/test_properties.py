"""Properties of hrdd-item-capability that must hold for any input (hypothesis).

- free text from anywhere (product sheets, customer e-mails, any language) never makes the
  check fail to run: a crash would turn every deal into an ``error`` escalation;
- reading text is linear enough that a hostile or pasted 20,000-character description
  cannot stall an assessment (no catastrophic regular expression);
- a design safeguard only ever helps: adding one never raises the misuse potential nor
  worsens the decision (consideration 1: tailoring the item must pay off).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hrdd
from hrdd.model import CAPABILITIES, DECISION_RANK, DESIGN_SAFEGUARDS, END_USER_TYPES, ITEM_CATEGORIES
from hrdd_item_capability.taxonomy import default_data_path, load_taxonomy

# the baseline's settings for this plugin alone (the baseline also enables the other plugins)
CAPABILITY_ONLY = Path(__file__).with_name("capability-only.toml")

PLUGIN = "hrdd-item-capability"
RULES = {f"HRDD-CAP-{n:03d}" for n in range(1, 11)}
ENGINE = hrdd.Engine.from_policy(CAPABILITY_ONLY)  # built once: hypothesis runs many examples per test
TIME_BOUND_S = 2.0  # generous: these scans take milliseconds; the bound only catches runaway backtracking

# Words the taxonomy's phrases and negations are built from, so that random text actually
# exercises the patterns (and their nested repetitions) rather than missing them all.
VOCABULARY = [
    "face",
    "faces",
    "facial",
    "match",
    "matching",
    "recognition",
    "identify",
    "identifies",
    "track",
    "tracks",
    "tracking",
    "people",
    "phones",
    "targets",
    "location",
    "real-time",
    "intercept",
    "calls",
    "messages",
    "metadata",
    "account",
    "owners",
    "behind",
    "map",
    "networks",
    "remote",
    "access",
    "covert",
    "undetectable",
    "exploit",
    "zero-day",
    "decrypt",
    "bulk",
    "collection",
    "mass",
    "surveillance",
    "all",
    "citizens",
    "sentiment",
    "censor",
    "block",
    "websites",
    "inject",
    "traffic",
    "search",
    "footage",
    "watchlist",
    "ethnicity",
    "religion",
    "uyghurs",
    "tag",
    "protesters",
    "journalists",
    "opposition",
    "activists",
    "lawyers",
    "monitor",
    "disable",
    "remove",
    "audit",
    "logs",
    "geofencing",
    "limits",
    "unlimited",
    "warrant",
    "no",
    "not",
    "non",
    "without",
    "never",
    "disabled",
    "removed",
    "cannot",
    "the",
    "of",
    "and",
    "a",
    "to",
    "licence",
    "plate",
    "imsi",
    "dpi",
    "gait",
    "voice",
    "print",
    "İstanbul",
    "straße",
    "ǅ",
    "ﬁ",
    "Σ",
]
SEPARATORS = [" ", "  ", ", ", ". ", "; ", ": ", "-", "'", "\n", "\t", " / ", "!? ", "…"]

vocabulary_text = st.lists(
    st.tuples(st.sampled_from(VOCABULARY), st.sampled_from(SEPARATORS)), max_size=120
).map(lambda pairs: "".join(word + separator for word, separator in pairs))
# Any text a JSON document can carry: every Unicode character except lone surrogates (which
# UTF-8 cannot encode; the core refuses them as input errors before any check runs).
json_characters = st.characters(codec="utf-8")
any_text = st.one_of(
    st.text(json_characters, max_size=300), vocabulary_text, st.text(json_characters, max_size=2000)
)


def transaction(item: dict[str, Any], end_user: dict[str, Any] | None = None) -> dict[str, Any]:
    base_item = {
        "id": "item-1",
        "name": "Item",
        "description": "",
        "categories": [],
        "capabilities": [],
        "design_safeguards": [],
        "customization": "configuration",
        "customization_request": "",
    }
    base_user = {
        "name": "End user",
        "country": "DE",
        "type": "government_agency",
        "sector": "law_enforcement",
        "government_relationship": "none",
        "stated_end_use": "",
    }
    return {"id": "TX-P", "items": [{**base_item, **item}], "end_user": {**base_user, **(end_user or {})}}


def misuse_potential(assessment: hrdd.Assessment) -> int:
    found = [f for f in assessment.findings if f.rule_id == "HRDD-CAP-001"]
    return {e.path: e.value for e in found[0].evidence}["misuse_potential"] if found else 0


def assert_ran_cleanly(assessment: hrdd.Assessment) -> None:
    assert not assessment.errors, [f.message for f in assessment.errors]
    assert not any(f.rule_id.startswith("HRDD-CORE") for f in assessment.findings)
    assert {f.rule_id for f in assessment.findings} <= RULES
    assert all(c.outcome != "error" for c in assessment.checks if c.plugin == PLUGIN)
    assert any(c.plugin == PLUGIN and c.hook == "hrdd_check_item" for c in assessment.checks)


# --------------------------------------------------------------------------------------
# Free text never crashes the plugin
# --------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    description=any_text,
    request=any_text,
    stated_end_use=any_text,
    name=st.text(json_characters, min_size=1, max_size=40),
    categories=st.lists(st.sampled_from(ITEM_CATEGORIES), unique=True, max_size=4),
    capabilities=st.lists(st.sampled_from(CAPABILITIES), unique=True, max_size=4),
    end_user_type=st.sampled_from(END_USER_TYPES),
)
def test_arbitrary_text_never_crashes_the_plugin(
    description: str,
    request: str,
    stated_end_use: str,
    name: str,
    categories: list[str],
    capabilities: list[str],
    end_user_type: str,
) -> None:
    item = {
        "name": name,
        "description": description,
        "customization_request": request,
        "categories": categories,
        "capabilities": capabilities,
    }
    assessment = ENGINE.assess(transaction(item, {"type": end_user_type, "stated_end_use": stated_end_use}))
    assert_ran_cleanly(assessment)
    assert assessment.decision.value in DECISION_RANK


@settings(max_examples=150, deadline=None, database=None)
@given(text=any_text)
def test_evidence_quotes_come_from_the_text(text: str) -> None:
    """Whatever the plugin quotes as evidence from a description is words of that description."""
    assessment = ENGINE.assess(transaction({"description": text, "categories": ["other"]}))
    assert_ran_cleanly(assessment)
    words = set(text.split()) | set(text.lower().split())
    for finding in assessment.findings:
        for evidence in finding.evidence:
            if (
                evidence.path == "items[0].description"
                and isinstance(evidence.value, str)
                and evidence.value != text
            ):
                quoted = evidence.value.removeprefix("...").removesuffix("...").split()
                inner = quoted[1:-1]  # the edge words may be cut by the ellipsis
                assert set(inner) <= words, (evidence.value, text)


# --------------------------------------------------------------------------------------
# Scanning terminates quickly (no catastrophic backtracking)
# --------------------------------------------------------------------------------------

ADVERSARIAL = {
    "repeated-track": "track " * 3000,
    "repeated-face": "face " * 4000,
    "face-then-long-space-run": "face" + " " * 19990 + "x",
    "face-then-one-long-word": "faces " + "a" * 19990,
    "repeated-identify": "identify " * 2200,
    "repeated-monitor-the": "monitor the " * 1660,
    "repeated-disable": "disable " * 2500,
    "repeated-without": "without " * 2500,
    "repeated-no": "no " * 6600 + "face matching",
    "repeated-account": "account " * 2500,
    "repeated-map": "map " * 5000,
    "repeated-limits": "limits " * 2800,
    "punctuation-only": "-'" * 10000,
    "commas-and-tracks": "track," * 3300,
    "single-letters": "a " * 10000,
    "ethnic-words": "ethnic " * 2800,
}


@pytest.mark.parametrize("text", [pytest.param(t[:20000], id=k) for k, t in ADVERSARIAL.items()])
def test_adversarial_text_scans_quickly(text: str) -> None:
    assert len(text) >= 18000
    taxonomy = load_taxonomy(default_data_path())  # fresh: nothing cached from other tests
    started = time.perf_counter()
    taxonomy.scan(text)
    taxonomy.scan_intents(text)
    elapsed = time.perf_counter() - started
    assert elapsed < TIME_BOUND_S, f"scanning {len(text)} characters took {elapsed:.2f} s"


def test_adversarial_description_assesses_quickly() -> None:
    """The whole assessment, with the 20,000-character text in every free-text field, finishes promptly."""
    text = ("track " * 3000 + "face matching without " * 200)[:20000]
    item = {"description": text, "customization_request": text, "categories": ["other"]}
    started = time.perf_counter()
    assessment = ENGINE.assess(transaction(item, {"stated_end_use": text}))
    elapsed = time.perf_counter() - started
    assert_ran_cleanly(assessment)
    assert elapsed < TIME_BOUND_S, f"assessment took {elapsed:.2f} s"


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    words=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=4),
    separator=st.sampled_from(SEPARATORS),
)
def test_long_repetitions_of_vocabulary_scan_quickly(words: list[str], separator: str) -> None:
    unit = separator.join(words) + separator
    text = (unit * (20000 // len(unit) + 1))[:20000]
    taxonomy = load_taxonomy(default_data_path())
    started = time.perf_counter()
    taxonomy.scan(text)
    taxonomy.scan_intents(text)
    elapsed = time.perf_counter() - started
    assert elapsed < TIME_BOUND_S, f"{unit!r} x {20000 // len(unit)} took {elapsed:.2f} s"


# --------------------------------------------------------------------------------------
# Design safeguards only ever help
# --------------------------------------------------------------------------------------

GOVERNMENT_LINKED = [
    {"type": "government_agency", "sector": "law_enforcement"},
    {"type": "state_owned_enterprise", "sector": "telecom_operator"},
    {"type": "private", "sector": "commercial", "government_relationship": "contractor"},
    {"type": "unknown", "sector": "other"},
]
END_USERS = [
    *GOVERNMENT_LINKED,
    {"type": "private", "sector": "commercial"},
    {"type": "ngo", "sector": "civil_society"},
]


@settings(max_examples=300, deadline=None, database=None)
@given(
    categories=st.lists(st.sampled_from(ITEM_CATEGORIES), unique=True, max_size=3),
    capabilities=st.lists(st.sampled_from(CAPABILITIES), unique=True, max_size=5),
    safeguards=st.lists(st.sampled_from(DESIGN_SAFEGUARDS), unique=True, max_size=6),
    extra=st.sampled_from(DESIGN_SAFEGUARDS),
    description=st.one_of(st.just(""), vocabulary_text),
    customization=st.sampled_from(["none", "configuration", "custom_development"]),
    end_user=st.sampled_from(END_USERS),
)
def test_adding_a_design_safeguard_never_raises_the_misuse_potential(
    categories: list[str],
    capabilities: list[str],
    safeguards: list[str],
    extra: str,
    description: str,
    customization: str,
    end_user: dict[str, str],
) -> None:
    item = {
        "categories": categories,
        "capabilities": capabilities,
        "design_safeguards": safeguards,
        "description": description,
        "customization": customization,
    }
    with_more = {**item, "design_safeguards": sorted({*safeguards, extra})}
    before = ENGINE.assess(transaction(item, end_user))
    after = ENGINE.assess(transaction(with_more, end_user))
    assert misuse_potential(after) <= misuse_potential(before)
    assert DECISION_RANK[after.decision.value] <= DECISION_RANK[before.decision.value], (
        sorted(f.rule_id for f in before.findings),
        sorted(f.rule_id for f in after.findings),
    )


@settings(max_examples=200, deadline=None, database=None)
@given(
    categories=st.lists(
        st.sampled_from([c for c in ITEM_CATEGORIES if c != "other"]), unique=True, min_size=1, max_size=3
    ),
    safeguards=st.lists(st.sampled_from(DESIGN_SAFEGUARDS), unique=True, max_size=8),
    end_user=st.sampled_from(GOVERNMENT_LINKED),
)
def test_potential_stays_within_scale_and_never_below_the_floor(
    categories: list[str], safeguards: list[str], end_user: dict[str, str]
) -> None:
    """However many safeguards, the potential stays in 0..5 and never falls below the capabilities' floor."""
    taxonomy = load_taxonomy(default_data_path())
    implied = {c for category in categories for c in taxonomy.categories[category]}
    assessment = ENGINE.assess(
        transaction({"categories": categories, "design_safeguards": safeguards}, end_user)
    )
    potential = misuse_potential(assessment)
    assert 0 <= potential <= 5
    if implied:
        assert potential >= max(taxonomy.capabilities[c].floor for c in implied)
        assert potential <= min(5, max(taxonomy.capabilities[c].weight for c in implied) + 1)


# --------------------------------------------------------------------------------------
# Negated mentions are not detections, whatever surrounds them
# --------------------------------------------------------------------------------------

INNOCUOUS = [
    "Rugged housing rated IP67.",
    "Ships with a 3-year warranty.",
    "Powered over Ethernet.",
    "Operating temperature -20 to 60 C.",
    "Firmware updates are signed.",
]
NEGATED = {
    "biometric_identification": [
        "No face recognition",
        "Face matching disabled",
        "Without facial recognition",
    ],
    "remote_access": ["Without remote access", "No remote access", "Remote access disabled"],
    "location_tracking": ["No real-time location", "Does not geolocate devices"],
}


@settings(max_examples=150, deadline=None, database=None)
@given(
    before=st.lists(st.sampled_from(INNOCUOUS), max_size=3),
    after=st.lists(st.sampled_from(INNOCUOUS), max_size=3),
    capability=st.sampled_from(sorted(NEGATED)),
    data=st.data(),
)
def test_negated_mentions_do_not_detect(
    before: list[str], after: list[str], capability: str, data: st.DataObject
) -> None:
    negated = data.draw(st.sampled_from(NEGATED[capability]))
    text = " ".join([*before, negated + ".", *after])
    taxonomy = load_taxonomy(default_data_path())
    assert capability not in {m.kind for m in taxonomy.scan(text)}, text
    assessment = ENGINE.assess(
        transaction({"description": text, "categories": ["other"], "capabilities": ["audio_video_recording"]})
    )
    assert "HRDD-CAP-002" not in {f.rule_id for f in assessment.findings}, text
