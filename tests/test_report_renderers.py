"""The markdown and html reports: what they show, in which order, and that nothing a
transaction says can become markup."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

import hrdd
from hrdd.cli import main
from hrdd.report_renderers import clause_titles, group_by_clause, md, md_paragraph

ROOT = Path(__file__).resolve().parents[1]
TRAFFIC = ROOT / "policies" / "examples" / "transactions" / "traffic-cameras-face-matching.json"
HOSTILE = "<script>alert(1)</script> | *ACME* [x](http://evil.example) `tick` & Co_"


def traffic() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(TRAFFIC.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def rich() -> tuple[hrdd.Engine, hrdd.Assessment]:
    """The traffic-camera example under the scenario policy, with one finding waived (set
    by hand, as the engine would set it) so every section has content."""
    engine = hrdd.Engine.from_policy(ROOT / "tests" / "scenarios" / "policy.toml")
    assessment = engine.assess(traffic())
    first = assessment.findings[1]
    waiver = {
        "id": "W-7",
        "file": "waivers/board.toml",
        "approver": "A. Jansen",
        "granted": "2026-11-01",
        "expires": "2027-04-30",
        "justification": "Board minutes 2026/41",
        "scope": {"transaction": "TX-2026-0002"},
    }
    waived = attrs.evolve(first, waiver=waiver)
    return engine, attrs.evolve(
        assessment, findings=assessment.findings[:1] + assessment.findings[2:], waived=(waived,)
    )


def test_the_engine_lists_markdown_and_html(engine: hrdd.Engine) -> None:
    assert {"json", "text", "markdown", "html"} <= set(engine.formats)


def test_markdown_puts_the_decision_and_its_reason_first(rich: Any) -> None:
    engine, assessment = rich
    lines = engine.render(assessment, "markdown").splitlines()
    assert lines[0] == "# TX-2026-0002: \u2715 DO NOT PROCEED"
    assert lines[2].startswith("**Decision: DO NOT PROCEED.** HRDD-CAP-003 (hrdd-item-capability): Item ")


def test_markdown_has_every_section_in_reading_order(rich: Any) -> None:
    engine, assessment = rich
    text = engine.render(assessment, "markdown")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    names = [re.sub(r" \(.*", "", h[3:]) for h in headings]
    assert names == [
        "Required safeguards",
        "Findings by guidance clause",
        "Waived findings",
        "Facts weighed",
        "Checks that ran",
        "Provenance",
    ]
    checklist = [line for line in text.splitlines() if line.startswith("- [ ] ")]
    assert len(checklist) == len(assessment.required_safeguards)


def test_every_finding_appears_once_under_its_first_clause_in_catalogue_order(rich: Any) -> None:
    engine, assessment = rich
    text = engine.render(assessment, "markdown")
    findings_part = text.split("## Findings by guidance clause")[1].split("## Waived findings")[0]
    cards = [line for line in findings_part.splitlines() if line.startswith("#### ")]
    assert len(cards) == len(assessment.findings)
    groups = re.findall(r"^### `([^`]+)`", findings_part, flags=re.MULTILINE)
    catalogue = list(clause_titles())
    assert groups == sorted(groups, key=catalogue.index)
    assert clause_titles()["draft-2019:consideration-8"] in findings_part
    # HRDD-CAP-003 cites consideration-1 first: it is there, with the others as "also cites"
    section = findings_part.split("### `draft-2019:consideration-1`")[1].split("\n### ")[0]
    assert "HRDD-CAP-003" in section
    assert "Also cites: `draft-2019:consideration-2`, `draft-2019:dd-1`" in section


def test_clauses_outside_the_catalogue_and_uncited_findings_come_last() -> None:
    def finding(rule: str, guidance: tuple[str, ...]) -> hrdd.Finding:
        return hrdd.Finding(rule, "info", "low", "m", guidance=guidance)

    groups = group_by_clause(
        [
            finding("X-1", ()),
            finding("X-2", ("acme:rule-9",)),
            finding("X-3", ("draft-2019:consideration-8", "draft-2019:scope")),
            finding("X-4", ("draft-2019:scope",)),
        ],
        clause_titles(),
    )
    assert [g["clause"] for g in groups] == [
        "draft-2019:scope",
        "draft-2019:consideration-8",
        "acme:rule-9",
        None,
    ]
    assert groups[1]["findings"][0]["also_cites"] == ["draft-2019:scope"]
    assert groups[2]["title"] == "not in the guidance catalogue"


def test_markdown_shows_waived_findings_with_their_waiver(rich: Any) -> None:
    engine, assessment = rich
    text = engine.render(assessment, "markdown")
    waived = text.split("## Waived findings (1)")[1].split("## Facts weighed")[0]
    assert f"{assessment.waived[0].rule_id} \u00b7" in waived
    assert "**Waiver:** id: W-7; file: waivers/board.toml" in waived
    assert "approver: A. Jansen" in waived


def test_markdown_lists_every_check_and_the_provenance(rich: Any) -> None:
    engine, assessment = rich
    text = engine.render(assessment, "markdown")
    checks = text.split("## Checks that ran")[1].split("## Provenance")[0]
    rows = [line for line in checks.splitlines() if line.startswith("| `")]
    assert len(rows) == len(assessment.checks)
    provenance = text.split("## Provenance")[1]
    assert assessment.provenance.policy.sha256 in provenance
    assert assessment.provenance.input_sha256 in provenance
    for plugin in assessment.provenance.plugins:
        assert plugin.sha256 in provenance


def test_html_has_every_section_and_the_decision_first(rich: Any) -> None:
    engine, assessment = rich
    page = engine.render(assessment, "html")
    body = page.split("<body>")[1]
    assert body.index("DO NOT PROCEED") < body.index('id="safeguards"')
    ids = re.findall(r'<section id="([a-z]+)"', page)
    assert ids == ["safeguards", "findings", "waived", "facts", "checks", "provenance"]
    assert page.count('<article class="finding') == len(assessment.findings) + len(assessment.waived)
    assert page.count('<span class="box"') == len(assessment.required_safeguards)
    assert "W-7" in page and "Board minutes 2026/41" in page
    assert assessment.provenance.input_sha256 in page


def test_html_is_self_contained() -> None:
    engine = hrdd.Engine.from_policy("baseline")
    page = engine.render(engine.assess(traffic()), "html")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page, flags=re.IGNORECASE)
    assert not re.search(r"\b(src|href)\s*=\s*[\"']?(https?:)?//", page, flags=re.IGNORECASE)
    assert "@import" not in page and "url(" not in page


def hostile_transaction() -> dict[str, Any]:
    document = traffic()
    document["end_user"]["name"] = HOSTILE
    document["end_user"]["stated_end_use"] = HOSTILE
    document["items"][0]["name"] = HOSTILE
    document["parties"][0]["name"] = "- list item\n# heading\n> quote"
    return document


def test_html_escapes_every_value_from_the_transaction() -> None:
    engine = hrdd.Engine.from_policy("baseline")
    page = engine.render(engine.assess(hostile_transaction()), "html")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="http://evil.example"' not in page


def test_markdown_escapes_every_value_from_the_transaction() -> None:
    engine = hrdd.Engine.from_policy("baseline")
    text = engine.render(engine.assess(hostile_transaction()), "markdown")
    assert "<script>" not in text
    assert not re.search(r"(?<!\\)\]\(http://evil", text)  # no link: its bracket is escaped
    assert "\\<script\\>alert(1)\\</script\\>" in text
    # a value never adds a table column: every row of a table has its header's pipes
    for block in re.findall(r"((?:^\|.*\n)+)", text, flags=re.MULTILINE):
        rows = block.splitlines()
        columns = len(re.findall(r"(?<!\\)\|", rows[0]))
        assert all(len(re.findall(r"(?<!\\)\|", row)) == columns for row in rows), block
    # a value never starts a heading, list or quote of its own
    for line in text.splitlines():
        assert not line.startswith(("# heading", "- list item", "> quote"))


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("<b>x</b>", "\\<b\\>x\\</b\\>"),
        ("[x](y)", "\\[x\\](y)"),
        ("*x* _y_ use_limitation", "\\*x\\* \\_y\\_ use_limitation"),
        ("two\nlines", "two lines"),
        ("`code`", "\\`code\\`"),
        ("&amp;", "\\&amp;"),
    ],
)
def test_md_escapes_markup(raw: str, escaped: str) -> None:
    assert md(raw) == escaped


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("- x", "\\- x"), ("1. x", "1\\. x"), ("> x", "\\> x"), ("# x", "\\# x"), ("+ x", "\\+ x")],
)
def test_md_paragraph_escapes_block_starts(raw: str, escaped: str) -> None:
    assert md_paragraph(raw) == escaped


def test_cli_writes_markdown_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for format, marker in (("markdown", "## Required safeguards"), ("html", "<!doctype html>")):
        out = tmp_path / f"report.{format}"
        code = main(["assess", str(TRAFFIC), "--format", format, "-o", str(out)])
        assert code == 0
        assert marker in out.read_text(encoding="utf-8")


def test_plugins_lists_the_report_renderers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    names = [row["name"] for row in listing["builtin"]]
    assert names == ["hrdd.renderers (built-in)", "hrdd.report_renderers (built-in)"]


def test_the_cli_starts_without_jinja2() -> None:
    code = (
        "import sys; from hrdd.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('jinja2', 'markupsafe', 'hrdd.engine', 'hrdd.public_report') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_templates_are_inside_the_package() -> None:
    import hrdd.report_renderers as module

    templates = Path(module.__file__).parent / "templates"
    assert {"report.html.j2", "public_report.html.j2", "report.css"} <= {p.name for p in templates.iterdir()}


def test_output_to_a_pipe_is_written_into_not_replaced(tmp_path: Path) -> None:
    """``-o /dev/null`` (or any device or pipe) is written to; renaming a temporary file over
    it, as for a regular file, would replace the device (as root) with a plain file."""
    import os
    import stat
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    try:
        assert main(["assess", str(TRAFFIC), "--format", "markdown", "-o", str(pipe)]) == 0
    finally:
        reader.join(timeout=10)
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert received and received[0].startswith("# TX-2026-0002")
