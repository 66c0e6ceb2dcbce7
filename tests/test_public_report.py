"""``hrdd report public``: the public transparency report counts a period's assessments and
publishes no name, id, free text or small count."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hrdd
from hrdd.cli import main
from hrdd.public_report import DECISIONS, aggregate, read_entries, render_public_report

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "policies" / "examples" / "transactions"


def report(
    *,
    decision: str = "proceed",
    region: str | None = "Europe",
    categories: tuple[str, ...] = ("drone",),
    sector: str | None = "border_control",
    clauses: tuple[str, ...] = ("export_compliance",),
    post_export: tuple[str, ...] = (),
    transaction_id: str = "TX-1",
    assessed_at: str = "2026-03-01T10:00:00+00:00",
    name: str = "Customer Name",
    contribution: bool = True,
) -> dict[str, Any]:
    """A report as ``hrdd assess --format json`` writes it, cut to what the public report
    reads plus the places a customer's name and the transaction id appear in a real one."""
    document: dict[str, Any] = {
        "schema_version": 1,
        "transaction_id": transaction_id,
        "decision": decision,
        "reason": f"HRDD-X-1 (plugin): the end user {name} is risky",
        "findings": [
            {
                "rule_id": "HRDD-X-1",
                "message": f"About {name}",
                "evidence": [{"path": "end_user.name", "value": name}],
            }
        ],
        "provenance": {"assessed_at": assessed_at, "input_sha256": "0" * 64},
        "contributions": {},
    }
    if contribution:
        document["contributions"]["hrdd-public-reporting"] = {
            "decision": decision,
            "destination_region": region,
            "item_categories": list(categories),
            "end_user_sector": sector,
            "end_user_type": "government_agency",
            "safeguards_applied": {"contract_clauses": list(clauses), "post_export": list(post_export)},
            "year": 2026,
            "quarter": "Q1",
        }
    return document


def log_record(report_document: dict[str, Any], transaction: dict[str, Any]) -> dict[str, Any]:
    """A decision-log record (``hrdd assess --log``) around a report."""
    return {
        "format": 1,
        "seq": 1,
        "time": "2026-03-01T10:00:00Z",
        "prev": "0" * 64,
        "input_sha256": "0" * 64,
        "transaction": transaction,
        "report": report_document,
        "masked": [],
        "hash": "1" * 64,
    }


def write_lines(path: Path, documents: list[Any]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    return path


def published(path: Path, k: int = 3, **options: Any) -> dict[str, Any]:
    result: dict[str, Any] = aggregate(read_entries(path), k=k, **options).to_dict()
    return result


def many(count: int, start: int = 0, **fields: Any) -> list[dict[str, Any]]:
    return [report(transaction_id=f"TX-{start + n}", **fields) for n in range(count)]


def exact(counts: dict[str, Any]) -> dict[str, int]:
    """The counts published exactly (the others read "< k" or "suppressed")."""
    return {label: value for label, value in counts.items() if isinstance(value, int)}


def region_row(out: dict[str, Any], region: str) -> dict[str, Any]:
    [row] = [row for row in out["decisions_by_region"]["rows"] if row["region"] == region]
    return row


# --------------------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------------------


def test_counts_by_decision_region_sector_category_and_safeguards(tmp_path: Path) -> None:
    documents = [
        *many(6, decision="proceed", region="Europe", sector="municipal", categories=("body_worn_camera",)),
        *many(
            4,
            start=100,
            decision="escalate",
            region="Asia",
            sector="public_security",
            categories=("facial_recognition", "data_analytics"),
            clauses=("export_compliance", "audit_rights"),
            post_export=("monitoring",),
        ),
    ]
    out = published(write_lines(tmp_path / "in.jsonl", documents))
    assert out["assessments"] == 10
    assert region_row(out, "Europe") == {
        "region": "Europe",
        "counts": {
            "proceed": 6,
            "proceed_with_safeguards": "< 3",
            "escalate": "< 3",
            "do_not_proceed": "< 3",
        },
        "total": 6,
    }
    assert exact(region_row(out, "Asia")["counts"]) == {"escalate": 4}
    assert region_row(out, "Africa")["total"] == "< 3"  # listed although nothing went there
    assert exact(out["decisions_by_region"]["totals"]) == {"proceed": 6, "escalate": 4}
    tables = out["tables"]
    assert exact(tables["end_user_sector"]["counts"]) == {"public_security": 4, "municipal": 6}
    assert tables["end_user_sector"]["total"] == 10
    assert len(tables["end_user_sector"]["counts"]) == 18  # every sector, and "not stated"
    assert exact(tables["item_categories"]["counts"]) == {
        "facial_recognition": 4,
        "body_worn_camera": 6,
        "data_analytics": 4,
    }
    assert exact(tables["contract_clauses"]["counts"]) == {"export_compliance": 10, "audit_rights": 4}
    assert exact(tables["post_export"]["counts"]) == {"monitoring": 4, "not stated": 6}


def test_a_transaction_assessed_twice_counts_once_by_its_latest_assessment(tmp_path: Path) -> None:
    later, earlier = "2026-04-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00"
    documents = [
        *many(6, decision="proceed"),
        *(report(transaction_id=f"TX-{n}", decision="do_not_proceed", assessed_at=later) for n in range(3)),
        report(transaction_id="TX-5", decision="escalate", assessed_at=earlier),  # older than TX-5's first
    ]
    out = published(write_lines(tmp_path / "in.jsonl", documents), k=3)
    assert out["assessments"] == 6
    assert out["decisions_by_region"]["totals"] == {
        "proceed": 3,
        "proceed_with_safeguards": "< 3",
        "escalate": "< 3",
        "do_not_proceed": 3,
    }


def test_masked_transaction_ids_are_never_merged(tmp_path: Path) -> None:
    documents = many(4)
    for document in documents:
        document["transaction_id"] = "[masked]"
    assert published(write_lines(tmp_path / "in.jsonl", documents))["assessments"] == 4


def test_the_period_is_the_date_of_assessment_inclusive(tmp_path: Path) -> None:
    import datetime as dt

    documents = [
        report(transaction_id=f"TX-{day}", assessed_at=f"2026-03-{day:02d}T23:59:00+00:00")
        for day in range(1, 11)
    ]
    path = write_lines(tmp_path / "in.jsonl", documents)
    out = published(path, period_from=dt.date(2026, 3, 3), period_to=dt.date(2026, 3, 7))
    assert out["assessments"] == 5
    assert out["period"] == {"from": "2026-03-03", "to": "2026-03-07"}


def test_a_decision_log_record_fills_what_the_report_lacks_from_its_transaction(tmp_path: Path) -> None:
    transaction = {
        "id": "TX-9",
        "items": [{"id": "I", "name": "x", "categories": ["drone", "thermal_imaging"]}],
        "end_user": {"name": "Somebody", "country": "KE", "sector": "military"},
        "contract": {"clauses": ["no_reexport"], "post_export": ["periodic_audit"]},
    }
    documents = [
        log_record(report(transaction_id=f"TX-{n}", contribution=False), {**transaction, "id": f"TX-{n}"})
        for n in range(3)
    ]
    out = published(write_lines(tmp_path / "in.jsonl", documents))
    assert region_row(out, "not stated")["total"] == 3  # the region comes only from the entry
    assert exact(out["tables"]["end_user_sector"]["counts"]) == {"military": 3}
    assert exact(out["tables"]["item_categories"]["counts"]) == {"drone": 3, "thermal_imaging": 3}
    assert exact(out["tables"]["contract_clauses"]["counts"]) == {"no_reexport": 3}
    assert exact(out["tables"]["post_export"]["counts"]) == {"periodic_audit": 3}


def test_a_bare_report_without_the_entry_counts_as_not_stated(tmp_path: Path) -> None:
    out = published(write_lines(tmp_path / "in.jsonl", many(3, contribution=False)))
    assert exact(out["tables"]["end_user_sector"]["counts"]) == {"not stated": 3}
    assert exact(out["tables"]["item_categories"]["counts"]) == {"not stated": 3}
    assert region_row(out, "not stated")["total"] == 3


def test_sub_regions_list_every_sub_region(tmp_path: Path) -> None:
    out = published(write_lines(tmp_path / "in.jsonl", many(3, region="Western Europe")))
    regions = [row["region"] for row in out["decisions_by_region"]["rows"]]
    assert "Western Europe" in regions and "Melanesia" in regions and "Europe" not in regions


# --------------------------------------------------------------------------------------
# Suppression
# --------------------------------------------------------------------------------------


def test_a_small_count_is_shown_as_less_than_k_like_a_zero(tmp_path: Path) -> None:
    documents = [*many(8, sector="municipal"), *many(2, start=50, sector="military")]
    out = published(write_lines(tmp_path / "in.jsonl", documents), k=5)
    sectors = out["tables"]["end_user_sector"]
    assert sectors["counts"]["military"] == sectors["counts"]["health"] == "< 5"
    assert exact(sectors["counts"]) == {"municipal": 8} and sectors["total"] == 10


def test_a_total_that_would_pin_its_small_counts_is_suppressed(tmp_path: Path) -> None:
    """Two of each decision, k = 3: four "< 3" adding up to a published 8 would each be 2."""
    documents = [
        report(transaction_id=f"TX-{decision}-{n}", decision=decision)
        for decision in DECISIONS
        for n in range(2)
    ]
    out = published(write_lines(tmp_path / "in.jsonl", documents), k=3)
    europe = region_row(out, "Europe")
    assert set(europe["counts"].values()) == {"< 3"}
    assert europe["total"] == "suppressed"
    assert set(out["decisions_by_region"]["totals"].values()) == {"< 3"}
    assert out["assessments"] == "suppressed"
    assert out["tables"]["end_user_sector"]["counts"]["border_control"] == 8  # alone, it pins nothing


def test_one_hidden_count_beside_published_ones_gets_a_complement(tmp_path: Path) -> None:
    """Europe: 3 escalate, 2 do not proceed, k = 3. The other decisions' zeros read "< 3" as
    well, so 2 could still hide anywhere: nothing more to suppress. Put a 2 beside three
    published counts, though, and the line gives it away: the smallest of them goes too."""
    documents = [
        *many(3, decision="proceed"),
        *many(3, start=10, decision="proceed_with_safeguards"),
        *many(3, start=20, decision="escalate"),
        *many(2, start=30, decision="do_not_proceed"),
    ]
    europe = region_row(published(write_lines(tmp_path / "in.jsonl", documents), k=3), "Europe")
    assert europe["total"] == 11
    assert europe["counts"]["do_not_proceed"] == "< 3"
    assert list(europe["counts"].values()).count("suppressed") == 1


def test_k_is_configurable(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "in.jsonl", [*many(6, sector="municipal"), *many(6, start=50, sector="military")]
    )
    assert exact(published(path, k=5)["tables"]["end_user_sector"]["counts"]) == {
        "military": 6,
        "municipal": 6,
    }
    sectors = published(path, k=7)["tables"]["end_user_sector"]
    assert exact(sectors["counts"]) == {} and sectors["counts"]["military"] == "< 7"
    with pytest.raises(hrdd.InputError, match="at least 3"):
        published(path, k=2)


def test_fewer_assessments_than_k_publish_no_count(tmp_path: Path) -> None:
    out = published(write_lines(tmp_path / "in.jsonl", many(2)), k=5)
    assert out["assessments"] == "< 5"
    numbers = re.findall(r'": (\d+)', json.dumps(out))
    assert numbers == ["5"], numbers  # k itself, nothing else


def feasible_values(line: list[Any], index: int, k: int, cap: int) -> set[int]:
    """Every value entry ``index`` of a published line (members, then their total) can take,
    given what a reader knows: a number is itself, "< k" is 0..k-1, "suppressed" is k..cap.
    Worked out by enumerating sums, independently of the implementation."""

    def values(entry: Any) -> range:
        if isinstance(entry, int):
            return range(entry, entry + 1)
        return range(0, k) if entry == f"< {k}" else range(k, cap + 1)

    *members, total = line
    sums = {0}
    for position, entry in enumerate(members):
        if position != index:
            sums = {s + v for s in sums for v in values(entry) if s + v <= cap}
    if index == len(members):  # the total itself
        return {t for t in values(total) if t in sums}
    return {v for v in values(members[index]) for t in values(total) if t - v in sums}


entries = st.lists(
    st.tuples(
        st.sampled_from(DECISIONS),
        st.sampled_from(["Europe", "Asia", "Africa", None]),
        st.sampled_from(["municipal", "military", "health", None]),
    ),
    max_size=30,
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=entries, k=st.integers(min_value=3, max_value=6))
def test_no_published_line_gives_a_small_count_away(tmp_path: Path, rows: list[Any], k: int) -> None:
    documents = [
        report(transaction_id=f"TX-{n}", decision=d, region=r, sector=s) for n, (d, r, s) in enumerate(rows)
    ]
    out = published(write_lines(tmp_path / "in.jsonl", documents), k=k)
    table = out["decisions_by_region"]
    regions = [row["region"] for row in table["rows"]]
    true_cells = {(r, d): 0 for r in regions for d in DECISIONS}
    true_sectors = dict.fromkeys(out["tables"]["end_user_sector"]["counts"], 0)
    for d, r, s in rows:
        true_cells[r or "not stated", d] += 1
        true_sectors[s or "not stated"] += 1
    region_totals = {r: sum(true_cells[r, d] for d in DECISIONS) for r in regions}
    decision_totals = {d: sum(true_cells[r, d] for r in regions) for d in DECISIONS}
    # each published line with the true values of its entries
    lines: list[tuple[list[Any], list[int]]] = []
    for row in table["rows"]:
        r = row["region"]
        lines.append(
            (
                [*row["counts"].values(), row["total"]],
                [*(true_cells[r, d] for d in DECISIONS), region_totals[r]],
            )
        )
    for d in DECISIONS:
        lines.append(
            (
                [*(row["counts"][d] for row in table["rows"]), table["totals"][d]],
                [*(true_cells[r, d] for r in regions), decision_totals[d]],
            )
        )
    lines.append(
        ([*(row["total"] for row in table["rows"]), table["total"]], [*region_totals.values(), len(rows)])
    )
    lines.append(([*table["totals"].values(), table["total"]], [*decision_totals.values(), len(rows)]))
    sectors = out["tables"]["end_user_sector"]
    lines.append(([*sectors["counts"].values(), sectors["total"]], [*true_sectors.values(), len(rows)]))
    for shown, truth in lines:
        for index, (entry, value) in enumerate(zip(shown, truth, strict=True)):
            if isinstance(entry, int):
                assert entry == value and (entry >= k), (shown, truth)  # exact and not small
            elif 0 < value < k:
                assert entry == f"< {k}"
                possible = feasible_values(shown, index, k, cap=len(rows))
                assert value in possible and len(possible) > 1, (shown, truth, index, possible)
            else:
                assert entry == (f"< {k}" if value == 0 else "suppressed"), (shown, truth)


# --------------------------------------------------------------------------------------
# Nothing but counts and vocabulary
# --------------------------------------------------------------------------------------

names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=6, max_size=30
).filter(lambda text: text.strip() == text and len(set(text)) > 3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secrets=st.lists(names, min_size=8, max_size=8, unique=True), k=st.integers(min_value=3, max_value=5))
def test_no_name_or_id_reaches_the_report(tmp_path: Path, secrets: list[str], k: int) -> None:
    """The report of transactions carrying random names and ids is the report of the same
    transactions with placeholder names: nothing of a name or id reaches it."""

    def documents(labels: list[str]) -> list[Any]:
        rows = []
        for n, label in enumerate(labels):
            document = report(
                transaction_id=label, name=label, decision=DECISIONS[n % 4], region=("Asia", "Europe")[n % 2]
            )
            transaction = {
                "id": label,
                "items": [{"id": label, "name": label}],
                "end_user": {"name": label, "country": "DE"},
            }
            rows.append(log_record(document, transaction) if n % 2 else document)
        return rows

    outputs = {}
    for kind, labels in (("random", secrets), ("placeholder", [f"P{n}" for n in range(len(secrets))])):
        path = write_lines(tmp_path / f"{kind}.jsonl", documents(labels))
        aggregated = aggregate(read_entries(path), k=k)
        outputs[kind] = [render_public_report(aggregated, f) for f in ("markdown", "html", "json")]
    assert outputs["random"] == outputs["placeholder"]
    for text in outputs["random"]:
        for secret in secrets:
            if not any(secret in text for text in outputs["placeholder"]):  # a word of the report itself
                assert secret not in text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("destination_region", "ACME Surveillance Ltd"),
        ("end_user_sector", "ACME Surveillance Ltd"),
        ("item_categories", ["ACME Surveillance Ltd"]),
    ],
)
def test_a_value_outside_the_vocabularies_is_refused_not_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: Any
) -> None:
    documents = many(6)
    documents[3]["contributions"]["hrdd-public-reporting"][field] = value
    path = write_lines(tmp_path / "in.jsonl", documents)
    out = tmp_path / "public.md"
    assert main(["report", "public", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"line 4: $.contributions['hrdd-public-reporting'].{field}" in err
    assert not out.exists()


def test_a_region_of_ones_own_table_can_be_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_lines(tmp_path / "in.jsonl", many(5, region="Nordics"))
    assert main(["report", "public", str(path), "--format", "json"]) == 2
    assert main(["report", "public", str(path), "--format", "json", "--allow-region", "Nordics"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert region_row(out, "Nordics")["total"] == 5


# --------------------------------------------------------------------------------------
# Input problems and batch error records
# --------------------------------------------------------------------------------------


def test_batch_error_records_are_skipped_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [*many(5), {"line": 3, "error": "TX.json: $.end_user.country: 'XX' is not a country"}] + [
        {"line": n, "error": "invalid"} for n in range(7, 11)
    ]
    path = write_lines(tmp_path / "in.jsonl", lines)
    assert main(["report", "public", str(path), "--format", "json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["assessments"] == 5 and out["not_assessed"] == 5
    assert "5 batch error record(s) not counted" in captured.err


def test_malformed_lines_fail_the_report_with_their_line_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "in.jsonl"
    good = json.dumps(report())
    bad_decision = json.dumps(report(decision="maybe", transaction_id="TX-2"))
    path.write_text(
        "\n".join([good, "{not json", "[1, 2]", '{"hello": "world"}', "", bad_decision, good]) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "public.html"
    assert main(["report", "public", str(path), "--format", "html", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    for number in (2, 3, 4, 6):
        assert f"{path}: line {number}: " in err
    assert "line 1:" not in err and "line 7:" not in err
    assert "no public report written" in err
    assert not out.exists()


def test_a_missing_input_file_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "public", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--k", "2"], "at least 3"),
        (["--period-from", "2026-13-01"], "is not a date"),
        (["--period-from", "2026-05-01", "--period-to", "2026-04-01"], "the period is empty"),
    ],
)
def test_bad_options_are_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    path = write_lines(tmp_path / "in.jsonl", many(3))
    assert main(["report", "public", str(path), *options]) == 2
    assert message in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# End to end: assessed, logged, published
# --------------------------------------------------------------------------------------


def test_from_a_real_decision_log_to_markdown_and_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "decisions.jsonl"
    examples = sorted(EXAMPLES.glob("*.json"))
    for example in examples:
        assert main(["assess", str(example), "--log", str(log), "-o", str(tmp_path / "r.json")]) in (0, 1)
    assert main(["report", "public", str(log), "--k", "3"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# Public transparency report")
    assert f"**{len(examples)}** transactions assessed" in markdown
    assert (
        main(["report", "public", str(log), "--k", "3", "--format", "html", "-o", str(tmp_path / "p.html")])
        == 0
    )
    html = (tmp_path / "p.html").read_text(encoding="utf-8")
    for example in examples:
        document = json.loads(example.read_text(encoding="utf-8"))
        for secret in (
            document["id"],
            document["end_user"]["name"],
            *(p["name"] for p in document.get("parties", [])),
        ):
            assert secret not in markdown and secret not in html
