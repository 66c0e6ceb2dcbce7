"""hrdd rescreen: past transactions against the entries a new list version added or changed."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hrdd
from hrdd.cli import main
from hrdd_screening.index import Index, frequencies
from hrdd_screening.lists import CSL_HEADER, Entry, load_list
from hrdd_screening.plugin import subjects_of
from hrdd_screening.rescreen import Rescreener, diff_lists, settings_from_policy, subjects_of_document

FIXTURE = Path(__file__).parent / "fixtures" / "csl-fixture.csv"
ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "policies" / "examples" / "transactions").glob("*.json"))


def rows() -> list[dict[str, str]]:
    with FIXTURE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, entries: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, CSL_HEADER)
        writer.writeheader()
        writer.writerows(entries)
    return path


def entry_row(entry_id: str, name: str, **extra: str) -> dict[str, str]:
    row = dict.fromkeys(CSL_HEADER, "")
    row.update(
        _id=entry_id,
        source="Entity List (EL) - Bureau of Industry and Security",
        name=name,
        type="Entity",
        license_requirement="For all items subject to the EAR.",
        license_policy="Presumption of denial.",
        start_date="2026-11-20",
    )
    row.update(extra)
    return row


def tx(number: int, end_user: str, country: str = "DE", parties: list[dict[str, Any]] | None = None) -> str:
    document: dict[str, Any] = {
        "id": f"TX-{number}",
        "items": [{"id": "i1", "name": "Camera", "description": "Camera", "categories": ["other"]}],
        "end_user": {"name": end_user, "country": country, "type": "private", "sector": "commercial"},
    }
    if parties:
        document["parties"] = parties
    return json.dumps(document)


@pytest.fixture
def lists(tmp_path: Path) -> tuple[Path, Path]:
    """The fixture as the old version; a new version with one entry added, one changed (new
    alias) and one removed."""
    old = rows()
    new = [dict(row) for row in old if row["_id"] != "fixture-025"]
    for row in new:
        if row["_id"] == "fixture-021":
            row["alt_names"] = "Harbourline Vision Analytics"
    new.append(entry_row("fixture-100", "Orion Telecom OJSC", addresses="Almaty, KZ"))
    return write(tmp_path / "old.csv", old), write(tmp_path / "new.csv", new)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    lines = [
        tx(1, "Acme Retail GmbH"),
        tx(2, "Orion Telecom JSC", "DE"),  # the added entry (listed in KZ: country differs)
        tx(3, "Zephyrine Optronics"),  # removed entry: no new hit
        tx(
            4,
            "Acme Retail GmbH",
            parties=[{"role": "integrator", "name": "Harbourline Vision Analytics Ltd"}],
        ),
        tx(5, "Hangzhou Hikvision Digital Technology Co., Ltd.", "CN"),  # listed, unchanged
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["rescreen", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_diff_by_list_id_and_by_name_without_ids() -> None:
    old, _ = load_list(FIXTURE)
    assert old is not None
    entries = old.entries
    changed = entries[3]._replace(alt_names=("Megvii",))
    new = [*entries[:3], changed, *entries[5:], entries[0]._replace(entry_id="added-1", name="New Party")]
    diff = diff_lists(entries, new)
    assert [e.entry_id for e in diff.added] == ["added-1"]
    assert [e.entry_id for e in diff.changed] == [changed.entry_id]
    assert [e.entry_id for e in diff.removed] == [entries[4].entry_id]
    assert diff.unchanged == len(entries) - 2
    # without ids, entries are compared by name and source; another file is not a change
    strip = [e._replace(entry_id="", list_file="other.csv") for e in entries]
    same = diff_lists([e._replace(entry_id="") for e in entries], strip)
    assert (same.added, same.changed, same.removed, same.unchanged) == ([], [], [], len(entries))


def test_rescreen_reports_new_hits_only(
    capsys: pytest.CaptureFixture[str], lists: tuple[Path, Path], corpus: Path, tmp_path: Path
) -> None:
    old, new = lists
    out_file = tmp_path / "hits.jsonl"
    code, out, err = run(capsys, "--old", str(old), "--new", str(new), str(corpus), "-o", str(out_file))
    assert code == 1, err
    records = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert [(r["line"], r["id"]) for r in records] == [(2, "TX-2"), (4, "TX-4")]
    orion = records[0]["hits"][0]
    assert orion["entry"] == "Orion Telecom OJSC" and orion["entry_id"] == "fixture-100"
    assert orion["party"] == "end_user" and orion["rule_id"] == "HRDD-SCR-003"  # possible: country differs
    assert orion["score"] == 95.0 and "country DE differs" in orion["why"]
    assert orion["prohibiting"] is True and orion["license_policy"] == "Presumption of denial."
    alias = records[1]["hits"][0]
    assert alias["party"] == "parties[0]" and alias["matched_name"] == "Harbourline Vision Analytics"
    assert "1 added, 1 changed, 1 removed" in out
    assert "5 transaction(s) screened; 2 now match" in out
    assert "line 2 TX-2: end_user 'Orion Telecom JSC'" in out


def test_rescreen_with_nothing_changed_exits_0(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.csv"
    copy.write_bytes(FIXTURE.read_bytes())
    code, out, _ = run(capsys, "--old", str(FIXTURE), "--new", str(copy), str(corpus))
    assert code == 0
    assert "against 0 changed entries" in out and "0 now match" in out


def test_policy_thresholds_apply(
    capsys: pytest.CaptureFixture[str], lists: tuple[Path, Path], corpus: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "strict.toml"
    policy.write_text(
        '[policy]\nname = "strict"\nversion = "1"\nextends = "baseline"\n\n'
        '[plugins.hrdd-screening]\nenforcement = "hard"\n\n'
        "[plugins.hrdd-screening.config]\nthreshold = 99\nconfirm_at = 99\n",
        encoding="utf-8",
    )
    old, new = lists
    code, out, _ = run(capsys, "--old", str(old), "--new", str(new), str(corpus), "--policy", str(policy))
    # "Orion Telecom JSC" in DE (95) no longer reaches the threshold; the alias (same name) does
    assert code == 1
    assert "TX-2" not in out and "line 4 TX-4" in out
    assert "thresholds from policy strict 1: 99 possible" in out


def test_bad_lines_are_reported_and_the_rest_screened(
    capsys: pytest.CaptureFixture[str], lists: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus = tmp_path / "mixed.jsonl"
    corpus.write_text(
        "\n".join(['{"id": "broken"', tx(2, "Orion Telecom JSC", "KZ"), '{"id": "no-items"}']) + "\n",
        encoding="utf-8",
    )
    old, new = lists
    out_file = tmp_path / "hits.jsonl"
    code, out, err = run(capsys, "--old", str(old), "--new", str(new), str(corpus), "-o", str(out_file))
    assert code == 2  # lines that could not be screened: never a clean result
    assert f"{corpus}:1: not JSON" in err
    assert f"{corpus}:3: $: 'items' is required" in err
    records = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records] == [1, 2, 3]
    assert "error" in records[0] and records[1]["hits"] and "error" in records[2]
    assert "2 line(s) not valid transactions, not screened" in out


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "cannot read the list file"),
        ("", "empty file"),
        ("a,b,c\n1,2,3\n", "unknown list format"),
    ],
)
def test_unreadable_new_list_is_exit_2(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path, content: str | None, words: str
) -> None:
    new = tmp_path / "new.csv"
    if content is not None:
        new.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "--old", str(FIXTURE), "--new", str(new), str(corpus))
    assert code == 2 and out == ""
    assert str(new) in err and words in err and "Traceback" not in err


def test_missing_corpus_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--old", str(FIXTURE), "--new", str(FIXTURE), str(tmp_path / "none.jsonl"))
    assert code == 2 and "none.jsonl" in err and "no such file" in err


def test_rescreen_scores_as_a_full_screening_would(lists: tuple[Path, Path]) -> None:
    """A changed entry found by re-screening gets the score a screening against the whole new
    list gives it (token weights come from the whole list)."""
    old_path, new_path = lists
    old, new = load_list(old_path)[0], load_list(new_path)[0]
    assert old is not None and new is not None
    rescreener = Rescreener(diff_lists(old.entries, new.entries), new, settings_from_policy(None)[0])
    full = Index(new.entries)
    for name, country in [("Orion Telecom JSC", "KZ"), ("Harbourline Vision Analytics Ltd", None)]:
        quick = rescreener.matches(name, country)
        assert quick
        whole = {m.entry.entry_id: m.score for m in full.search(name, country, threshold=0)}
        for match in quick:
            assert whole[match.entry.entry_id] == match.score


def test_frequencies_match_the_index() -> None:
    loaded = load_list(FIXTURE)[0]
    assert loaded is not None
    counted = frequencies(loaded.entries)
    index = Index(loaded.entries)
    assert counted.names == len(index.names)
    assert dict(counted.counts) == {token: len(ids) for token, ids in index.postings.items()}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_subjects_read_from_documents_are_the_plugins(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    transaction = hrdd.Engine.from_policy("baseline").validate(document)
    assert tuple(subjects_of_document(document)) == subjects_of(transaction)


names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, st.sampled_from(["DE", "KZ", "CN", "US"])), min_size=1, max_size=5))
def test_rescreen_never_crashes_on_any_name(found: list[tuple[str, str]]) -> None:
    old = load_list(FIXTURE)[0]
    assert old is not None
    added = old.entries[0]._replace(entry_id="x", name="Orion Telecom OJSC")
    new = old._replace(entries=[*old.entries, added])
    rescreener = Rescreener(diff_lists(old.entries, new.entries), new, settings_from_policy(None)[0])
    document = {
        "end_user": {"name": found[0][0], "country": found[0][1]},
        "parties": [{"name": n, "country": c} for n, c in found[1:]],
    }
    for hit in rescreener.hits(document):
        assert hit["entry"] == "Orion Telecom OJSC" and 88 <= hit["score"] <= 100


def test_entry_is_a_named_tuple_with_list_file_last() -> None:
    # diff_lists compares everything but the file an entry came from
    assert Entry._fields[-1] == "list_file"


def test_help_lists_the_plugin_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "rescreen" in capsys.readouterr().out


def test_frequencies_counted_in_a_forked_process_give_the_same_records(
    lists: tuple[Path, Path], corpus: Path
) -> None:
    from hrdd_screening.rescreen import rescreen_corpus

    old_path, new_path = lists
    old, new = load_list(old_path)[0], load_list(new_path)[0]
    assert old is not None and new is not None
    settings = settings_from_policy(None)[0]
    records = []
    for background in (False, True):
        rescreener = Rescreener(diff_lists(old.entries, new.entries), new, settings, background=background)
        records.append(list(rescreen_corpus(corpus, rescreener)))
        assert rescreener.transactions == 5
    assert records[0] == records[1] and [r["line"] for r in records[0]] == [2, 4]


def test_an_entry_named_only_in_generic_words_is_still_found(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Generic words alone cannot make a match against a distinctive name, but a listed party
    whose whole name is generic words ("National Security Services") matches its own name: the
    quick test before scoring must not drop it (fail closed)."""
    old = write(tmp_path / "old.csv", rows())
    new = write(tmp_path / "new.csv", [*rows(), entry_row("fixture-200", "National Security Services")])
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(tx(1, "National Security Services LLC") + "\n" + tx(2, "Acme Retail GmbH") + "\n")
    out_file = tmp_path / "hits.jsonl"
    code, _, _ = run(capsys, "--old", str(old), "--new", str(new), str(corpus), "-o", str(out_file))
    assert code == 1
    [record] = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert record["line"] == 1 and record["hits"][0]["entry"] == "National Security Services"
    assert record["hits"][0]["score"] == 100.0
