"""acme-legal-reviews: a destination needs a current legal review whose conclusion allows the deal.

``hrdd_assess`` and ``hrdd_engine`` are fixtures of hrdd's pytest plugin; ``assert_decision``
checks the decision *and* the rules that decided it. Each test assesses the example
transaction (a port in NL, dated 2026-01-15) under ``policy.toml``, which enables only this
plugin.
"""

from pathlib import Path

import hrdd
import pytest
from hrdd.testing import assert_decision

HERE = Path(__file__).resolve().parent
TRANSACTION = HERE / "transactions" / "example.json"
RULES = ["ACME-LGL-001", "ACME-LGL-002", "ACME-LGL-003"]

REVIEWS = """\
[meta]
name = "test-reviews"
version = "1"
source = "tests"
date = "2026-01-01"
licence = "CC0-1.0"

[countries.NL]
reviewed = 2025-06-01
conclusion = "cleared"
reference = "LR-TEST-1"
"""


@pytest.fixture
def hrdd_policy():
    """The policy the hrdd fixtures use when a test names none."""
    return HERE.parent / "policy.toml"


def write_policy(directory: Path, config: str) -> Path:
    policy = directory / "policy.toml"
    policy.write_text(
        f'[policy]\nname = "test"\n\n[plugins.acme-legal-reviews.config]\n{config}\n', encoding="utf-8"
    )
    return policy


def test_a_cleared_destination_proceeds_and_the_reviews_are_in_the_provenance(hrdd_assess):
    assessment = hrdd_assess(TRANSACTION)
    assert_decision(assessment, "proceed", rules=[], absent=RULES)
    assert [(check.hook, check.outcome) for check in assessment.checks] == [("hrdd_check_end_user", "pass")]
    (dataset,) = assessment.provenance.data
    assert (dataset.name, dataset.version, dataset.licence) == (
        "acme-legal-reviews",
        "2026.11.0",
        "ACME internal",
    )


def test_conditions_are_the_safeguards(hrdd_assess):
    assessment = hrdd_assess(TRANSACTION, overrides={"end_user.country": "AE"})
    assert_decision(assessment, "proceed_with_safeguards", rules=["ACME-LGL-002"])
    (finding,) = assessment.findings
    assert "no item with biometric identification" in finding.remediation
    assert dict(finding.evidence)["review.reference"] == "LR-2025-027"


def test_a_refused_destination_does_not_proceed(hrdd_assess):
    assessment = hrdd_assess(TRANSACTION, overrides={"end_user.country": "BY"})
    assert_decision(assessment, "do_not_proceed", rules=["ACME-LGL-003"])
    assert assessment.findings[0].severity == "critical"


def test_a_destination_nobody_reviewed_escalates_or_what_the_policy_says(hrdd_assess):
    assessment = hrdd_assess(TRANSACTION, overrides={"end_user.country": "IS"})
    assert_decision(assessment, "escalate", rules=["ACME-LGL-001"])
    assert assessment.findings[0].message.startswith("ACME Legal has not reviewed IS's surveillance laws")
    stricter = hrdd_assess(
        TRANSACTION,
        overrides={"end_user.country": "IS"},
        mock={"acme-legal-reviews.unreviewed": "do_not_proceed"},
    )
    assert_decision(stricter, "do_not_proceed", rules=["ACME-LGL-001"])


def test_a_review_too_old_or_dated_after_the_deal_is_no_review(hrdd_assess):
    # NL was reviewed on 2025-12-04: 42 days before the example's date.
    stale = hrdd_assess(TRANSACTION, mock={"acme-legal-reviews.max_age_days": 30})
    assert_decision(stale, "escalate", rules=["ACME-LGL-001"])
    assert "is 42 days old on the deal's date, older than the 30 days" in stale.findings[0].message
    earlier = hrdd_assess(TRANSACTION, overrides={"date": "2025-11-01"})
    assert_decision(earlier, "escalate", rules=["ACME-LGL-001"])
    assert "is dated after this deal" in earlier.findings[0].message


def test_the_policy_can_name_its_own_reviews(hrdd_assess, tmp_path):
    (tmp_path / "reviews.toml").write_text(REVIEWS, encoding="utf-8")
    policy = write_policy(tmp_path, 'data = "reviews.toml"')
    assessment = hrdd_assess(TRANSACTION, policy=policy)
    assert_decision(assessment, "proceed", rules=[])
    assert assessment.provenance.data[0].name == "test-reviews"
    elsewhere = hrdd_assess(TRANSACTION, policy=policy, overrides={"end_user.country": "PT"})
    assert_decision(elsewhere, "escalate", rules=["ACME-LGL-001"])


def test_a_bad_reviews_file_is_refused_with_every_problem(hrdd_engine, tmp_path):
    body = REVIEWS.replace('licence = "CC0-1.0"\n', "").replace('"cleared"', '"fine"')
    body += '\n[countries.ae]\nreviewed = 2026-01-01\nconclusion = "cleared"\nreference = "x"\n'
    body += '\n[countries.GB]\nreviewed = 2026-01-01\nconclusion = "conditions"\nreference = "LR-TEST-2"\n'
    (tmp_path / "reviews.toml").write_text(body, encoding="utf-8")
    with pytest.raises(hrdd.PolicyError) as error:
        hrdd_engine(write_policy(tmp_path, 'data = "reviews.toml"'))
    assert [problem.path for problem in error.value.problems] == [
        "$.meta.licence",
        "$.countries.NL.conclusion",
        "$.countries.ae",
        "$.countries.GB.conditions",
    ]
