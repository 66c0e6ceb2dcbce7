"""hrdd-program's config table: what a policy may state, and the errors a typo gets.

A mistake in the programme's table must stop the engine from being built with an error
naming ``$.plugins['hrdd-program'].config.<key>`` (never a programme silently read as
missing, or worse, as present).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hrdd

TABLE = "$.plugins['hrdd-program'].config"
TODAY = _dt.date.today()
NEXT_YEAR = TODAY + _dt.timedelta(days=366)


def program_config(engine: hrdd.Engine) -> dict[str, Any]:
    return dict(engine.plugins.by_name["hrdd-program"].config)


def refused(write_policy: Callable[..., Path], config: str) -> hrdd.PolicyError:
    policy = write_policy(config)
    with pytest.raises(hrdd.PolicyError) as raised:
        hrdd.Engine.from_policy(policy)
    for problem in raised.value.problems:
        assert problem.source == str(policy), problem
    return raised.value


def test_nothing_stated_means_every_element_is_missing_and_thresholds_default(
    engine_for: Callable[..., hrdd.Engine],
) -> None:
    config = program_config(engine_for(""))
    for element in (
        "commitment",
        "training",
        "documentation",
        "stakeholder_engagement",
        "grievance_channel",
        "public_commitment",
    ):
        assert config[element] is None, element  # not stated: missing, never assumed present
    assert config["max_age_days"] == {
        "commitment": None,
        "training": 365,
        "stakeholder_engagement": 365,
        "public_commitment": None,
    }
    assert (config["min_share_trained"], config["min_retention_years"], config["escalate_at"]) == (
        0.9,
        5,
        "high",
    )


def test_unstated_facts_of_a_stated_element_default_to_none(engine_for: Callable[..., hrdd.Engine]) -> None:
    config = program_config(
        engine_for(
            """
            [plugins.hrdd-program.config.training]
            date = 2025-01-20
            [plugins.hrdd-program.config.documentation]
            records_kept = true
            [plugins.hrdd-program.config.max_age_days]
            training = 180
            """
        )
    )
    assert config["training"] == {"date": _dt.date(2025, 1, 20), "share_trained": None, "description": None}
    assert config["documentation"] == {"records_kept": True, "retention_years": None, "description": None}
    # a partial max_age_days table keeps the other defaults
    assert config["max_age_days"]["training"] == 180
    assert config["max_age_days"]["stakeholder_engagement"] == 365


CONFIG = "[plugins.hrdd-program.config]\n"
BAD_TABLES = [
    pytest.param(CONFIG + 'training = "yes"', "training", "dict", id="element-not-a-table"),
    pytest.param(
        '[plugins.hrdd-program.config.training]\ndate = 2025-01-20\nshare_trained = "most"',
        "training.share_trained",
        "number",
        id="share-not-a-number",
    ),
    pytest.param(
        "[plugins.hrdd-program.config.training]\ndate = 2025-01-20\nshare_trained = 95",
        "training.share_trained",
        "between 0 and 1",
        id="share-given-as-percent",
    ),
    pytest.param(
        '[plugins.hrdd-program.config.documentation]\nrecords_kept = "yes"',
        "documentation.records_kept",
        "boolean",
        id="records-kept-not-bool",
    ),
    pytest.param(
        "[plugins.hrdd-program.config.documentation]\nrecords_kept = true\nretention_years = -1",
        "documentation.retention_years",
        "min value",
        id="negative-retention",
    ),
    pytest.param(CONFIG + "ceo_commitment = true", "ceo_commitment", "unknown field", id="unknown-key"),
    pytest.param(
        "[plugins.hrdd-program.config.training]\ndate = 2025-01-20\ntrained_staff = 12",
        "training.trained_staff",
        "unknown field",
        id="unknown-nested-key",
    ),
    pytest.param(
        '[plugins.hrdd-program.config.training]\ndate = "2025-13-01"',
        "training.date",
        "'2025-13-01'",
        id="impossible-iso-date",
    ),
    pytest.param(
        '[plugins.hrdd-program.config.stakeholder_engagement]\ndate = "last spring"\ndescription = "NGO call"',
        "stakeholder_engagement.date",
        "YYYY-MM-DD",
        id="prose-date",
    ),
    pytest.param(
        "[plugins.hrdd-program.config.training]\ndate = 20250120",
        "training.date",
        "YYYY-MM-DD",
        id="date-as-number",
    ),
    pytest.param(
        f'[plugins.hrdd-program.config.commitment]\napproved_by = "board"\ndate = {NEXT_YEAR.isoformat()}',
        "commitment.date",
        "in the future",
        id="future-date",
    ),
    pytest.param(
        "[plugins.hrdd-program.config.training]\nshare_trained = 0.95",
        "training.date",
        "required field",
        id="training-without-date",
    ),
    pytest.param(
        '[plugins.hrdd-program.config.commitment]\napproved_by = "ceo"\ndate = 2024-01-01',
        "commitment.approved_by",
        "is not one of",
        id="approver-not-a-level",
    ),
    pytest.param(
        "[plugins.hrdd-program.config.grievance_channel]\n",
        "grievance_channel",
        "url",
        id="channel-neither-url-nor-description",
    ),
    pytest.param(
        '[plugins.hrdd-program.config.public_commitment]\nurl = "acme.example/human-rights"',
        "public_commitment.url",
        "web address",
        id="url-without-scheme",
    ),
    pytest.param(
        '[plugins.hrdd-program.config.stakeholder_engagement]\ndate = 2025-01-10\ndescription = "  "',
        "stakeholder_engagement.description",
        "blank",
        id="blank-description",
    ),
    pytest.param(
        CONFIG + 'escalate_at = "severe"', "escalate_at", "is not one of", id="escalate-at-unknown-level"
    ),
    pytest.param(
        "[plugins.hrdd-program.config.max_age_days]\ntraining = 0",
        "max_age_days.training",
        "min value",
        id="max-age-zero",
    ),
    pytest.param(
        "[plugins.hrdd-program.config.max_age_days]\ndocumentation = 365",
        "max_age_days.documentation",
        "unknown field",
        id="max-age-unknown-element",
    ),
    pytest.param(
        CONFIG + "min_share_trained = 1.5", "min_share_trained", "between 0 and 1", id="min-share-above-one"
    ),
]


@pytest.mark.parametrize(("config", "key", "says"), BAD_TABLES)
def test_bad_config_table_is_a_policy_error_naming_the_key(
    write_policy: Callable[..., Path], config: str, key: str, says: str
) -> None:
    error = refused(write_policy, config)
    at_key = [p for p in error.problems if p.path == f"{TABLE}.{key}"]
    assert at_key, [str(p) for p in error.problems]
    assert any(says in p.message for p in at_key), [str(p) for p in at_key]


def test_every_problem_of_the_table_is_reported_together(write_policy: Callable[..., Path]) -> None:
    error = refused(
        write_policy,
        """
        [plugins.hrdd-program.config]
        escalate_at = "severe"
        [plugins.hrdd-program.config.training]
        date = "2025-02-30"
        share_trained = 2
        [plugins.hrdd-program.config.grievance_channel]
        url = "grievances at acme"
        """,
    )
    paths = {p.path for p in error.problems}
    assert {
        f"{TABLE}.escalate_at",
        f"{TABLE}.training.date",
        f"{TABLE}.training.share_trained",
        f"{TABLE}.grievance_channel.url",
    } <= paths


def test_iso_date_strings_read_as_the_same_dates(
    engine_for: Callable[..., hrdd.Engine], full_programme: str, transaction: Callable[..., dict[str, Any]]
) -> None:
    quoted = full_programme.replace("date = 2025-01-20", 'date = "2025-01-20"').replace(
        "date = 2023-03-14", 'date = " 2023-03-14 "'
    )
    assert quoted != full_programme
    as_strings, as_dates = engine_for(quoted), engine_for(full_programme)
    assert program_config(as_strings) == program_config(as_dates)
    first = as_strings.assess(transaction()).to_dict()["findings"]
    second = as_dates.assess(transaction()).to_dict()["findings"]
    assert first == second


def test_a_toml_date_time_keeps_its_date(engine_for: Callable[..., hrdd.Engine]) -> None:
    config = program_config(
        engine_for(
            """
            [plugins.hrdd-program.config.training]
            date = 2025-01-20T09:30:00
            share_trained = 1.0
            """
        )
    )
    assert config["training"]["date"] == _dt.date(2025, 1, 20)


def test_a_mailto_or_described_channel_is_accepted(engine_for: Callable[..., hrdd.Engine]) -> None:
    by_mail = program_config(
        engine_for('[plugins.hrdd-program.config.grievance_channel]\nurl = "mailto:grievances@acme.example"')
    )
    assert by_mail["grievance_channel"]["url"] == "mailto:grievances@acme.example"
    described = program_config(
        engine_for(
            "[plugins.hrdd-program.config.grievance_channel]\n"
            'description = "Ethics hotline +1 800 555 0100, operated by an independent provider"'
        )
    )
    assert described["grievance_channel"]["url"] is None


def test_a_company_policy_extends_the_programme_of_its_base(
    write_policy: Callable[..., Path], full_programme: str, transaction: Callable[..., dict[str, Any]]
) -> None:
    """A company policy can tighten one expectation without restating the programme."""
    write_policy(full_programme, name="base.toml")
    child = write_policy(
        "",
        extra="""
        [plugins.hrdd-program.config.max_age_days]
        training = 90
        """,
        name="child.toml",
    )
    text = child.read_text(encoding="utf-8").replace(
        'version = "1"\n', 'version = "1"\nextends = "base.toml"\n', 1
    )
    child.write_text(text, encoding="utf-8")
    config = program_config(hrdd.Engine.from_policy(child))
    assert config["commitment"]["approved_by"] == "board"  # inherited
    assert config["max_age_days"] == {
        "commitment": None,
        "training": 90,
        "stakeholder_engagement": 365,
        "public_commitment": None,
    }
    # 2025-01-20 training is 132 days old on 2025-06-01: fine for the base, stale for the child
    assessment = hrdd.Engine.from_policy(child).assess(transaction())
    assert {f.rule_id for f in assessment.findings if f.plugin == "hrdd-program"} == {
        "HRDD-PRG-001",
        "HRDD-PRG-003",
    }


def test_the_readme_example_is_a_valid_full_programme(
    engine_for: Callable[..., hrdd.Engine], transaction: Callable[..., dict[str, Any]]
) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    engine = engine_for(example, risk="critical")
    assessment = engine.assess(transaction())
    assert assessment.decision == "proceed"
    assert [f.rule_id for f in assessment.findings if f.plugin == "hrdd-program"] == ["HRDD-PRG-001"]
