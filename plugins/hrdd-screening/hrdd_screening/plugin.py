"""hrdd-screening: the end user, every other end user, every party and every related party
screened against denied-party and sanctions lists (the U.S. Consolidated Screening List, an
OpenSanctions export), before any human-rights weighing.

Covers the Draft Guidance's consideration 5 (review stakeholders: end user and
intermediaries; BIS Know Your Customer guidance, whose first red flag is a customer similar
to a listed party) and the sanctions trend (Global Magnitsky, country programmes).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from hrdd import (
    CheckContext,
    DataSet,
    Finding,
    Outcome,
    PluginInfo,
    PluginSetup,
    PolicyError,
    Problem,
    RuleInfo,
    Severity,
    Transaction,
    hookimpl,
)
from hrdd.memory import Memory
from hrdd_screening.index import Index, Match
from hrdd_screening.lists import LICENCES, Entry, LoadedList, load_list

STAKEHOLDERS = "draft-2019:consideration-5"
SANCTIONS = "draft-2019:trend-sanctions"
CLAUSES = (STAKEHOLDERS, SANCTIONS)

RULES = (
    RuleInfo(
        "HRDD-SCR-001", "Confirmed match on a prohibiting list (Entity List, SDN, Denied Persons...)", CLAUSES
    ),
    RuleInfo("HRDD-SCR-002", "Confirmed match on another screening list", CLAUSES),
    RuleInfo("HRDD-SCR-003", "Possible match on a screening list, for an analyst to resolve", CLAUSES),
    RuleInfo("HRDD-SCR-004", "Everyone in the transaction screened: no match (negative assurance)", CLAUSES),
    RuleInfo("HRDD-SCR-005", "Screening could not be done (no list configured)", CLAUSES),
)

# Lists whose confirmed hit ends the deal (CSL source codes, or OpenSanctions dataset codes
# in parentheses): the Entity List (licence for all items subject to the EAR, mostly with a
# presumption of denial), the SDN list (blocked: dealings prohibited), the Denied Persons List
# (export privileges denied) and Foreign Sanctions Evaders (transactions prohibited). Other
# lists (Unverified List, Military End User, ISN, ITAR debarred, SSI, NS-MBS, CMIC, CAPTA,
# PLC) restrict some dealings or items: a confirmed hit there escalates.
DEFAULT_PROHIBITING = ["EL", "SDN", "DPL", "FSE"]

CONFIG_SCHEMA: dict[str, Any] = {
    "lists": {
        "type": "list",
        "default": [],
        "schema": {"type": "string", "empty": False, "meta": {"path": True}},
    },
    "threshold": {"type": "number", "min": 50, "max": 100, "default": 88},
    "confirm_at": {"type": "number", "min": 50, "max": 100, "default": 97},
    "prohibiting_sources": {
        "type": "list",
        "schema": {"type": "string", "empty": False},
        "default": list(DEFAULT_PROHIBITING),
    },
    "max_matches": {"type": "integer", "min": 1, "max": 50, "default": 5},
}


class Subject(NamedTuple):
    path: str
    name: str
    country: str | None


class Hit(NamedTuple):
    subject: Subject
    match: Match
    confirmed: bool
    prohibiting: bool


class Screening(NamedTuple):
    subjects: tuple[Subject, ...]
    hits: tuple[Hit, ...]


def is_prohibiting(entry: Entry, prohibiting: frozenset[str]) -> bool:
    """Whether a list entry is on a prohibiting list: one of its source codes is configured,
    or a configured name longer than a code appears in its source text."""
    if entry.codes & prohibiting:
        return True
    source = entry.source.upper()
    return any(len(code) > 4 and code in source for code in prohibiting)


# How many names (with their country) a State keeps the matches of, and how many whole
# screenings (a deal's subjects together: the facts hook and the end-user check ask for the
# same one). Matching a name is the costly part, and names recur far more often than a deal's
# combination of them: an order book of 1,500 customers buying through 40 distributors has
# some 1,500 names but tens of thousands of combinations.
NAMES_SIZE = 8192
SCREENINGS_SIZE = 1024


class State:
    """What hrdd_configure loaded: the lists and their index, the matches of each name
    screened and the whole screenings of recent deals (see NAMES_SIZE)."""

    def __init__(self, lists: list[LoadedList], config: Mapping[str, Any]) -> None:
        self.lists = lists
        self.index = Index([entry for loaded in lists for entry in loaded.entries]) if lists else None
        self.threshold = float(config["threshold"])
        self.confirm_at = float(config["confirm_at"])
        self.prohibiting = frozenset(code.upper() for code in config["prohibiting_sources"])
        self.max_matches = int(config["max_matches"])
        # What the index finds for a name in a country, with whether each match is confirmed
        # and prohibiting: all a Hit holds besides the subject (the search reads nothing else).
        self.matches: Memory[tuple[str, str | None], tuple[tuple[Match, bool, bool], ...]] = Memory(
            NAMES_SIZE
        )
        self.memo: Memory[tuple[Subject, ...], Screening] = Memory(SCREENINGS_SIZE)

    def is_prohibiting(self, match: Match) -> bool:
        return is_prohibiting(match.entry, self.prohibiting)

    def screen(self, subjects: tuple[Subject, ...]) -> Screening:
        found = self.memo.get(subjects)
        if found is not None:
            return found
        hits: list[Hit] = []
        for subject in subjects:
            key = (subject.name, subject.country)
            matches = self.matches.get(key)
            if matches is None:
                matches = self.matches.keep(key, self._matches(subject.name, subject.country))
            hits.extend(
                Hit(subject, match, confirmed, prohibiting) for match, confirmed, prohibiting in matches
            )
        return self.memo.keep(subjects, Screening(subjects, tuple(hits)))

    def _matches(self, name: str, country: str | None) -> tuple[tuple[Match, bool, bool], ...]:
        assert self.index is not None
        found = self.index.search(name, country, self.threshold, self.max_matches)
        return tuple((match, match.score >= self.confirm_at, self.is_prohibiting(match)) for match in found)


@hookimpl
def hrdd_plugin_info() -> PluginInfo:
    return PluginInfo(
        clauses=CLAUSES,
        rules=RULES,
        config_schema=CONFIG_SCHEMA,
        description="Screens the end user, other end users, parties and related parties against "
        "the U.S. Consolidated Screening List or an OpenSanctions export (fuzzy, indexed matching).",
        publishes=("screening.hits",),
    )


@hookimpl
def hrdd_configure(config: Mapping[str, Any], policy_dir: Path) -> PluginSetup:
    if float(config["confirm_at"]) < float(config["threshold"]):
        raise PolicyError(
            [Problem("<policy>", "$.plugins.hrdd-screening.config.confirm_at", "must not be below threshold")]
        )
    loaded: list[LoadedList] = []
    problems: list[Problem] = []
    for number, item in enumerate(config["lists"]):
        path = Path(item)
        if not path.is_absolute():
            path = policy_dir / path
        result, found = load_list(path)
        for problem in found:
            where = (
                f"line {problem.line}" if problem.line else f"$.plugins.hrdd-screening.config.lists[{number}]"
            )
            problems.append(Problem(str(path), where, problem.message))
        if result is not None:
            loaded.append(result)
    if problems:
        raise PolicyError(problems)
    datasets = tuple(
        DataSet(
            name=result.path.name,
            version=f"sha256:{result.sha256[:12]}",
            sha256=result.sha256,
            source=result.format
            + f"; {len(result.entries)} entries"
            + (f"; {result.skipped} rows without a name skipped" if result.skipped else ""),
            licence=LICENCES[result.format],
            date=result.date,
            path=str(result.path),
        )
        for result in loaded
    )
    return PluginSetup(data=datasets, state=State(loaded, config))


def subjects_of(transaction: Transaction) -> tuple[Subject, ...]:
    end_user = transaction.end_user
    found = [Subject("end_user", end_user.name, end_user.country)]
    for i, other in enumerate(end_user.other_end_users):
        found.append(Subject(f"end_user.other_end_users[{i}]", other.name, other.country))
    for i, related in enumerate(end_user.related_parties):
        found.append(Subject(f"end_user.related_parties[{i}]", related.name, related.country))
    for i, party in enumerate(transaction.parties):
        found.append(Subject(f"parties[{i}]", party.name, party.country))
        for j, related in enumerate(party.related_parties):
            found.append(Subject(f"parties[{i}].related_parties[{j}]", related.name, related.country))
    return tuple(found)


@hookimpl
def hrdd_transaction_facts(transaction: Transaction, context: CheckContext) -> Mapping[str, Any] | None:
    state: State = context.state
    if state.index is None:
        return None  # unknown: no list was screened (the check reports the error)
    screening = state.screen(subjects_of(transaction))
    return {
        "screening.hits": [
            {
                "party": hit.subject.path,
                "name": hit.subject.name,
                "entry": hit.match.entry.name,
                "source": hit.match.entry.source,
                "programs": list(hit.match.entry.programs),
                "score": hit.match.score,
                "status": "confirmed" if hit.confirmed else "possible",
            }
            for hit in screening.hits
        ]
    }


def _lists_text(state: State) -> str:
    return ", ".join(
        f"{lst.path.name} ({lst.format}, {len(lst.entries)} entries, {lst.date}"
        + (f"; warning: {lst.skipped} rows without a name skipped" if lst.skipped else "")
        + ")"
        for lst in state.lists
    )


def _hit_evidence(hit: Hit, state: State) -> dict[str, Any]:
    entry = hit.match.entry
    return {
        f"{hit.subject.path}.name": hit.subject.name,
        f"{hit.subject.path}.country": hit.subject.country,
        "list_entry": entry.name,
        "matched_name": hit.match.matched_name,
        "source_list": entry.source,
        "list_file": entry.list_file,
        "entry_id": entry.entry_id,
        "programs": list(entry.programs),
        "license_requirement": entry.license_requirement,
        "license_policy": entry.license_policy,
        "listed_since": entry.start_date,
        "entry_countries": sorted(entry.countries),
        "score": hit.match.score,
        "threshold": state.threshold,
        "confirm_at": state.confirm_at,
        "why": hit.match.why,
    }


def _hit_finding(hit: Hit, state: State) -> Finding:
    entry = hit.match.entry
    who = f"{hit.subject.name!r} ({hit.subject.path})"
    listing = f"{entry.name!r} on {entry.source or entry.list_file}"
    programs = f", programmes {', '.join(entry.programs)}" if entry.programs else ""
    if hit.confirmed and hit.prohibiting:
        return Finding(
            rule_id="HRDD-SCR-001",
            outcome=Outcome.DO_NOT_PROCEED,
            severity=Severity.CRITICAL,
            message=f"{who} matches {listing}{programs} (score {hit.match.score}): dealing with a party on this "
            "list is prohibited or needs a licence that is normally denied.",
            evidence=_hit_evidence(hit, state),
            guidance=CLAUSES,
            subject=hit.subject.path,
            remediation="Stop the transaction. If the match is wrong (a different legal entity), document the "
            "identifiers that tell them apart and have compliance clear it; otherwise apply for a licence only "
            "where the list's licence policy allows one.",
        )
    if hit.confirmed:
        return Finding(
            rule_id="HRDD-SCR-002",
            outcome=Outcome.ESCALATE,
            severity=Severity.HIGH,
            message=f"{who} matches {listing}{programs} (score {hit.match.score}); licence requirement: "
            f"{entry.license_requirement or 'not stated'}; licence policy: {entry.license_policy or 'not stated'}.",
            evidence=_hit_evidence(hit, state),
            guidance=CLAUSES,
            subject=hit.subject.path,
            remediation="Have export compliance determine what this listing requires for these items "
            "(licence, statement, additional due diligence) before going ahead.",
        )
    return Finding(
        rule_id="HRDD-SCR-003",
        outcome=Outcome.ESCALATE,
        severity=Severity.HIGH if hit.prohibiting else Severity.MEDIUM,
        message=f"{who} may be {listing}{programs}: score {hit.match.score} is at or above the threshold "
        f"{state.threshold:g} but below {state.confirm_at:g} ({hit.match.why}).",
        evidence=_hit_evidence(hit, state),
        guidance=CLAUSES,
        subject=hit.subject.path,
        remediation="An analyst compares the party's full legal name, address, country and registration "
        "identifiers with the list entry and records whether it is the same entity.",
    )


@hookimpl
def hrdd_check_end_user(transaction: Transaction, context: CheckContext) -> list[Finding]:
    state: State = context.state
    subjects = subjects_of(transaction)
    if state.index is None:
        return [
            Finding(
                rule_id="HRDD-SCR-005",
                outcome=Outcome.ERROR,
                severity=Severity.HIGH,
                message="No screening list is configured, so nobody in this transaction was screened against "
                "denied-party or sanctions lists and the deal cannot be cleared: name the company's lists in its "
                "policy under [plugins.hrdd-screening.config] lists (hrdd ships no list).",
                evidence={"lists": [], "screened": [s.path for s in subjects]},
                guidance=CLAUSES,
                remediation="In a policy that extends the baseline, set [plugins.hrdd-screening.config] "
                'lists = ["lists/consolidated.csv"] (paths relative to the policy file) to a current copy of the '
                "U.S. Consolidated Screening List (CSV or JSON, from trade.gov) or an OpenSanctions "
                "targets.simple.csv the company is licensed to use, refresh it as the lists change, and assess "
                "again with --policy.",
            )
        ]
    screening = state.screen(subjects)
    findings = [_hit_finding(hit, state) for hit in screening.hits]
    hit_paths = {hit.subject.path for hit in screening.hits}
    clear = [s for s in subjects if s.path not in hit_paths]
    if clear:
        findings.append(
            Finding(
                rule_id="HRDD-SCR-004",
                outcome=Outcome.INFO,
                severity=Severity.NONE,
                message=f"Screened {', '.join(repr(s.name) for s in clear)} against {_lists_text(state)}: "
                f"no entry scored {state.threshold:g} or more.",
                evidence={
                    **{f"{s.path}.name": s.name for s in clear},
                    "lists": [
                        {
                            "file": lst.path.name,
                            "format": lst.format,
                            "entries": len(lst.entries),
                            "rows_without_name_skipped": lst.skipped,
                            "sha256": lst.sha256,
                            "date": lst.date,
                        }
                        for lst in state.lists
                    ],
                    "threshold": state.threshold,
                },
                guidance=CLAUSES,
            )
        )
    return findings
