"""hrdd-sanctions-programs: country and programme exposure, the legal gate.

Covers the Draft Guidance's trend on secondary sanctions (trend-sanctions: Global Magnitsky
and the country programmes it names, Venezuela, Nicaragua, the DR Congo; Russia) and its
consideration 5 (review the stakeholders: the end user and the intermediaries). For the
end user's country, every other end user's country and every party's (and related party's)
country it reports the embargoes, licence requirements and OFAC country programmes of the
programme data file. hrdd-human-rights-record's HRDD-HR-013 is the human-rights trend notice
for the destination; this plugin is the legal gate for every party.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from hrdd import (
    CheckContext,
    Finding,
    Outcome,
    PluginInfo,
    PluginSetup,
    Reference,
    RuleInfo,
    Severity,
    Transaction,
    hookimpl,
)
from hrdd.memory import Memory
from hrdd_sanctions_programs.programmes import (
    EFFECT_RANK,
    ListProgramme,
    Programme,
    ProgrammeData,
    default_data_path,
    load_programmes,
)

SANCTIONS = "draft-2019:trend-sanctions"
STAKEHOLDERS = "draft-2019:consideration-5"
CLAUSES = (SANCTIONS, STAKEHOLDERS)

RULES = (
    RuleInfo("HRDD-SAN-001", "Destination or party country under a comprehensive embargo", CLAUSES),
    RuleInfo(
        "HRDD-SAN-002", "Destination or party country where a licence or authorisation is required", CLAUSES
    ),
    RuleInfo(
        "HRDD-SAN-003", "Destination or party country with a sanctions programme: screen the parties", CLAUSES
    ),
    RuleInfo("HRDD-SAN-004", "A party or other end user without a country cannot be checked", CLAUSES),
    RuleInfo("HRDD-SAN-005", "Country and programme exposure checked (negative assurance)", CLAUSES),
    RuleInfo("HRDD-SAN-006", "The programme data is older than the policy's max_age_days", (SANCTIONS,)),
    RuleInfo("HRDD-SAN-007", "A party in a country where an embargo covers only some regions", CLAUSES),
    RuleInfo("HRDD-SAN-008", "A country the programme data does not know (fail closed)", CLAUSES),
    RuleInfo(
        "HRDD-SAN-009",
        "A party matches a designation under a sanctions programme (Global Magnitsky, cyber, country "
        "programmes), from the screening hits",
        CLAUSES,
    ),
)

CONFIG_SCHEMA: dict[str, Any] = {
    "data": {"type": "string", "nullable": True, "default": None, "empty": False, "meta": {"path": True}},
    "max_age_days": {"type": "integer", "min": 1, "default": 400},
}

# Types of end user that are the government of their country (E.O. 13884-style blocking).
GOVERNMENT_TYPES = frozenset({"government_agency", "state_owned_enterprise"})
GLOMAG = (
    "the Global Magnitsky (GLOMAG, E.O. 13818, 31 CFR Part 583) designations, which apply in every country"
)


class Subject(NamedTuple):
    """One party whose country is checked: where it is in the transaction and who it is.

    Built only for a deal whose answer is not remembered yet (see hrdd_check_end_user)."""

    path: str  # "end_user", "parties[0]", ...
    name: str
    role: str
    country: str | None
    type: str | None = None
    must_have_country: bool = True

    def label(self) -> str:
        return f"{self.name} ({self.role}, {self.country})"


@hookimpl
def hrdd_plugin_info() -> PluginInfo:
    return PluginInfo(
        clauses=CLAUSES,
        rules=RULES,
        config_schema=CONFIG_SCHEMA,
        description="Checks the country of the end user, every other end user and every party against "
        "comprehensive embargoes, licence requirements (15 CFR Part 746) and OFAC country programmes, and "
        "reads screening hits for designations under Global Magnitsky and the other programmes.",
        reads=("screening.hits",),
    )


@hookimpl
def hrdd_configure(config: Mapping[str, Any]) -> PluginSetup:
    path = default_data_path() if config["data"] is None else Path(config["data"])
    data = load_programmes(path)
    return PluginSetup(data=(data.dataset,), state=State(data))


# How many answers an engine remembers per memory (see State): a safety bound. 30,000 deals
# of an order book (1,500 customers in 49 destinations, 40 distributors, 330 days) give 1,150
# country patterns (the assurances), 95 deals with something found and 117 days past the
# data's age.
MEMORY_SIZE = 4096


class State:
    """One engine's programme data, and the findings its check made, each remembered by what
    its builder reads (the config is the engine's own, so it is no part of a key):

    - ``assurances``: HRDD-SAN-005, per the countries of the parties by their place in the
      transaction (the paths and countries it lists), whoever the parties are: the
      countries of an order book repeat far more than its customers and distributors do;
    - ``answers``: the findings of a deal where something is found (an embargo, a licence,
      a programme, a missing or unknown country): they name the parties, so per the end user's
      name, country and type, its related parties and other end users, and the parties;
    - ``ages``: HRDD-SAN-006, per the day the data's age is measured against (and which one).
    """

    __slots__ = ("ages", "answers", "assurances", "clear", "data")

    def __init__(self, data: ProgrammeData) -> None:
        self.data = data
        # The countries the data knows with no programme: a party there needs no finding.
        self.clear = frozenset(code for code, ids in data.countries.items() if not ids)
        self.assurances: Memory[tuple[Any, ...], tuple[Finding, ...]] = Memory(MEMORY_SIZE)
        self.answers: Memory[tuple[Any, ...], tuple[Finding, ...]] = Memory(MEMORY_SIZE)
        self.ages: Memory[Reference, Finding] = Memory(MEMORY_SIZE)


def subjects(transaction: Transaction) -> list[Subject]:
    end_user = transaction.end_user
    found = [Subject("end_user", end_user.name, "end user", end_user.country, end_user.type)]
    for i, related in enumerate(end_user.related_parties):
        found.append(
            Subject(
                f"end_user.related_parties[{i}]",
                related.name,
                f"related party of the end user ({related.relationship or 'relationship not stated'})",
                related.country,
                must_have_country=False,
            )
        )
    for i, other in enumerate(end_user.other_end_users):
        found.append(
            Subject(f"end_user.other_end_users[{i}]", other.name, "other end user", other.country, other.type)
        )
    for i, party in enumerate(transaction.parties):
        found.append(Subject(f"parties[{i}]", party.name, party.role, party.country))
        for j, related in enumerate(party.related_parties):
            found.append(
                Subject(
                    f"parties[{i}].related_parties[{j}]",
                    related.name,
                    f"related party of {party.name} ({related.relationship or 'relationship not stated'})",
                    related.country,
                    must_have_country=False,
                )
            )
    return found


def _effect(programme: Programme, subject: Subject) -> tuple[str, str | None]:
    """The programme's effect for this subject, and why when it differs from the country's."""
    if programme.government_effect is None:
        return programme.effect, None
    if subject.type in GOVERNMENT_TYPES:
        return programme.government_effect, f"{subject.name} is a {subject.type.replace('_', ' ')}"
    if (
        subject.type in (None, "unknown")
        and EFFECT_RANK[programme.government_effect] > EFFECT_RANK[programme.effect]
    ):
        return (
            "licence_required",
            f"{subject.name}'s type is not established (it may be part of the government)",
        )
    return programme.effect, None


def _programme_evidence(programme: Programme) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        f"programme.{programme.id}.name": programme.name,
        f"programme.{programme.id}.legal_basis": programme.legal_basis,
        f"programme.{programme.id}.as_of": programme.as_of.isoformat(),
    }
    if programme.ofac_program:
        evidence[f"programme.{programme.id}.ofac_program"] = programme.ofac_program
    if programme.note:
        evidence[f"programme.{programme.id}.note"] = programme.note
    return evidence


def _subject_evidence(found: list[tuple[Subject, str | None]]) -> dict[str, Any]:
    evidence: dict[str, Any] = {}
    for subject, why in found:
        evidence[f"{subject.path}.name"] = subject.name
        evidence[f"{subject.path}.country"] = subject.country
        if why:
            evidence[f"{subject.path}.type"] = subject.type
    return evidence


def _who(found: list[tuple[Subject, str | None]]) -> str:
    return "; ".join(subject.label() + (f", because {why}" if why else "") for subject, why in found)


def _finding(programme: Programme, effect: str, found: list[tuple[Subject, str | None]]) -> Finding:
    evidence = {**_subject_evidence(found), **_programme_evidence(programme), "effect": effect}
    who = _who(found)
    subject = found[0][0].path if len(found) == 1 else None
    if programme.regions:
        return Finding(
            rule_id="HRDD-SAN-007",
            outcome=Outcome.ESCALATE,
            severity=Severity.HIGH,
            message=f"{who}: the {programme.name} ({programme.legal_basis}) covers "
            f"{', '.join(programme.regions)}, which a country code cannot express. Whether the party is in a "
            "covered region has not been established.",
            evidence={**evidence, "programme.regions": list(programme.regions)},
            guidance=CLAUSES,
            remediation="Establish and record the party's and the delivery address's region (and where the items "
            "will be used); if any is in a covered region, the transaction cannot proceed without a specific "
            "licence or authorisation.",
            subject=subject,
        )
    if effect == "prohibited":
        return Finding(
            rule_id="HRDD-SAN-001",
            outcome=Outcome.DO_NOT_PROCEED,
            severity=Severity.CRITICAL,
            message=f"{who}: {programme.name} ({programme.legal_basis}). Exports and dealings are prohibited; only "
            "a specific licence or authorisation from OFAC or BIS could change this.",
            evidence=evidence,
            guidance=CLAUSES,
            remediation="Do not proceed. Only a specific licence or authorisation granted by the competent agency "
            "(OFAC, BIS) could change this outcome; record it as a waiver with its number if one is granted.",
            subject=subject,
        )
    if effect == "licence_required":
        return Finding(
            rule_id="HRDD-SAN-002",
            outcome=Outcome.ESCALATE,
            severity=Severity.HIGH,
            message=f"{who}: {programme.name} ({programme.legal_basis}). A licence or authorisation is required "
            "for most items and dealings; whether one is required for these items, and whether it can be "
            "obtained, must be determined before export.",
            evidence=evidence,
            guidance=CLAUSES,
            remediation="Escalate to the export-compliance officer: determine the licence requirement for each "
            "item (ECCN or EAR99) under the legal basis above, obtain the licence or record why none is needed, "
            f"and screen every party against the programme's SDN entries and {GLOMAG}.",
            subject=subject,
        )
    program = f" (OFAC programme tag {programme.ofac_program})" if programme.ofac_program else ""
    return Finding(
        rule_id="HRDD-SAN-003",
        outcome=Outcome.SAFEGUARDS_REQUIRED,
        severity=Severity.MEDIUM,
        message=f"{who}: the {programme.name}{program} apply to persons of this country ({programme.legal_basis}). "
        "Named parties must be screened against the programme's SDN entries before export.",
        evidence=evidence,
        guidance=CLAUSES,
        remediation=f"Screen every named party, and its owners of 50% or more, against the SDN entries of the "
        f"{programme.name} and {GLOMAG}; record the result before export.",
        subject=subject,
    )


def _no_country(subject: Subject) -> Finding:
    return Finding(
        rule_id="HRDD-SAN-004",
        outcome=Outcome.ESCALATE,
        severity=Severity.MEDIUM,
        message=f"{subject.name} ({subject.role}) has no country: it cannot be checked against embargoes and "
        "country programmes, so its exposure is unknown.",
        evidence={f"{subject.path}.name": subject.name, f"{subject.path}.country": None},
        guidance=CLAUSES,
        remediation=f"Establish and record {subject.name}'s country ({subject.path}.country) and assess again.",
        subject=subject.path,
    )


def _unknown(subject: Subject, data: ProgrammeData) -> Finding:
    return Finding(
        rule_id="HRDD-SAN-008",
        outcome=Outcome.ERROR,
        severity=Severity.HIGH,
        message=f"The programme data ({data.dataset.name} {data.dataset.version}) has no row for {subject.country!r} "
        f"({subject.label()}): its embargo and programme exposure cannot be checked.",
        evidence={f"{subject.path}.country": subject.country, "data": data.path.name},
        guidance=CLAUSES,
        remediation="Correct the country code, or add the country to the policy's programme data file.",
        subject=subject.path,
    )


def _data_age(data: ProgrammeData, config: Mapping[str, Any], reference: Reference) -> Finding:
    """HRDD-SAN-006, for a reference day beyond the policy's max_age_days (the caller checks)."""
    age = reference.days_since(data.date)
    return Finding(
        rule_id="HRDD-SAN-006",
        outcome=Outcome.INFO,
        severity=Severity.LOW,
        message=f"Programme data is {age} days old: {data.dataset.name} {data.dataset.version} was transcribed on "
        f"{data.date.isoformat()}, measured against {reference.against()}, beyond the policy's max_age_days "
        f"({config['max_age_days']}). Embargoes and programmes change: check the current OFAC programme list "
        "and 15 CFR Part 746.",
        evidence={
            "data.date": data.date.isoformat(),
            "reference_date": reference.date.isoformat(),
            "age_days": age,
            "max_age_days": config["max_age_days"],
        },
        guidance=(SANCTIONS,),
        remediation="Update the programme data from the OFAC Sanctions Programs page and the eCFR (15 CFR Part 746).",
    )


@hookimpl
def hrdd_check_end_user(transaction: Transaction, context: CheckContext) -> tuple[Finding, ...]:
    state: State = context.state
    data = state.data
    countries = _clear_countries(transaction, state.clear)
    if countries is not None:
        # Nothing found: the assurance names the countries by place, never the parties.
        findings = state.assurances.get(countries)
        if findings is None:
            findings = state.assurances.keep(countries, (_assurance(data, _placed(countries)),))
    else:
        # Everything subjects() reads (the parties as the transaction gives them: no list of
        # Subjects is built until the key is new).
        end_user = transaction.end_user
        key = (
            end_user.name,
            end_user.country,
            end_user.type,
            end_user.related_parties,
            end_user.other_end_users,
            transaction.parties,
        )
        findings = state.answers.get(key)
        if findings is None:
            findings = state.answers.keep(key, tuple(_check(data, subjects(transaction))))
    # The data's age, measured against the transaction's date or else the assessment's: the
    # one finding that reads the day, so the only one remembered by it.
    reference = context.reference(transaction)
    if reference.days_since(data.date) > context.config["max_age_days"]:
        age = state.ages.get(reference)
        if age is None:
            age = state.ages.keep(reference, _data_age(data, context.config, reference))
        findings = (*findings, age)
    designations = _designations(context.fact("screening.hits"), data)
    # Without screening hits (the usual answer), the findings as they are: when the data is
    # recent enough, the remembered answer itself, which the engine then reuses whole.
    return (*findings, *designations) if designations else findings


def _clear_countries(transaction: Transaction, clear: frozenset[str]) -> tuple[Any, ...] | None:
    """The country of every subject by its place (as subjects() lists them), when every
    country is one the data knows without a programme and every subject that must have a
    country has one (a related party may have none): nothing is found then, and this is all
    HRDD-SAN-005 reads. None when the full check has something to say."""
    end_user = transaction.end_user
    country = end_user.country
    if country not in clear:
        return None
    related = _related_countries(end_user.related_parties, clear)
    if related is None:
        return None
    others: tuple[str | None, ...] = ()
    if end_user.other_end_users:
        others = tuple(other.country for other in end_user.other_end_users)
        if not all(code in clear for code in others):
            return None
    parties: list[tuple[str, tuple[str | None, ...]]] = []
    for party in transaction.parties:
        if party.country not in clear:
            return None
        theirs = _related_countries(party.related_parties, clear)
        if theirs is None:
            return None
        parties.append((party.country, theirs))
    return (country, related, others, tuple(parties))


def _related_countries(related: tuple[Any, ...], clear: frozenset[str]) -> tuple[str | None, ...] | None:
    """The countries of related parties (a related party may have none), or None when one is
    not clear."""
    if not related:
        return ()
    countries = tuple(party.country for party in related)
    return countries if all(not code or code in clear for code in countries) else None


def _placed(countries: tuple[Any, ...]) -> list[tuple[str, str]]:
    """The path and country of each subject with a country, from _clear_countries' answer, in
    the order of subjects()."""
    country, related, others, parties = countries
    placed = [("end_user", country)]
    placed += [(f"end_user.related_parties[{i}]", code) for i, code in enumerate(related) if code]
    placed += [(f"end_user.other_end_users[{i}]", code) for i, code in enumerate(others)]
    for i, (code, theirs) in enumerate(parties):
        placed.append((f"parties[{i}]", code))
        placed += [(f"parties[{i}].related_parties[{j}]", rc) for j, rc in enumerate(theirs) if rc]
    return placed


def _assurance(data: ProgrammeData, checked: list[tuple[str, str]]) -> Finding:
    """HRDD-SAN-005 for the subjects checked (path and country), none of them exposed."""
    countries = sorted({country for _, country in checked})
    return Finding(
        rule_id="HRDD-SAN-005",
        outcome=Outcome.INFO,
        severity=Severity.NONE,
        message=f"Country and programme exposure checked for {len(checked)} party(ies) in "
        f"{', '.join(countries)}: none is under a comprehensive embargo, a licence requirement of 15 CFR "
        f"Part 746 or an OFAC country programme in {data.dataset.name} {data.dataset.version} "
        f"({data.date.isoformat()}). This does not replace screening the parties by name (SDN, "
        "Entity List, Global Magnitsky).",
        evidence={
            **{f"{path}.country": country for path, country in checked},
            "data": f"{data.dataset.name} {data.dataset.version}",
        },
        guidance=CLAUSES,
    )


def _designations(hits: Any, data: ProgrammeData) -> list[Finding]:
    """HRDD-SAN-009 for each screening hit on an entry designated under a programme the data
    knows: a confirmed hit is a blocked person (do not proceed), a possible one escalates."""
    if not hits:
        return []  # no screening plugin, no list, or no hit: the screening plugin says which
    findings: list[Finding] = []
    for hit in hits:
        known = [(tag, data.by_tag(tag)) for tag in hit.get("programs", ())]
        programmes = [(tag, programme) for tag, programme in known if programme is not None]
        if not programmes:
            continue
        confirmed = hit.get("status") == "confirmed"
        names = "; ".join(f"{p.name} ({tag}: {p.legal_basis})" for tag, p in programmes)
        human_rights = any(isinstance(p, ListProgramme) and p.human_rights for _, p in programmes)
        notes = " ".join(p.note for _, p in programmes if p.note)
        who = f"{hit.get('name')!r} ({hit.get('party')})"
        listed = f"{hit.get('entry')!r} on {hit.get('source')}"
        evidence: dict[str, Any] = {
            f"{hit.get('party')}.name": hit.get("name"),
            "list_entry": hit.get("entry"),
            "source_list": hit.get("source"),
            "programs": list(hit.get("programs", ())),
            "score": hit.get("score"),
            "match": hit.get("status"),
            **{f"programme.{tag}.name": p.name for tag, p in programmes},
            **{f"programme.{tag}.legal_basis": p.legal_basis for tag, p in programmes},
            **{f"programme.{tag}.as_of": p.as_of.isoformat() for tag, p in programmes},
        }
        abuse = (
            " The designation is for serious human rights abuse or corruption: exactly the risk this due "
            "diligence is about."
            if human_rights
            else ""
        )
        if confirmed:
            outcome, severity = Outcome.DO_NOT_PROCEED, Severity.CRITICAL
            message = (
                f"{who} is {listed}, designated under {names}: a blocked person; U.S. persons may not "
                f"export to or deal with it.{abuse}"
            )
            remediation = (
                "Do not proceed. Only an OFAC licence could authorise dealings; if compliance establishes "
                "from identifiers (address, registration, date of birth) that the party is not the "
                "designated one, record that determination and assess again."
            )
        else:
            outcome, severity = Outcome.ESCALATE, Severity.HIGH
            message = (
                f"{who} may be {listed} (score {hit.get('score')}, a possible match), designated under "
                f"{names}.{abuse} {notes}"
            ).rstrip()
            remediation = (
                "An analyst resolves the possible match with the party's identifiers before anything "
                "else; a designated person's property is blocked."
            )
        findings.append(
            Finding(
                rule_id="HRDD-SAN-009",
                outcome=outcome,
                severity=severity,
                message=message,
                evidence=evidence,
                guidance=CLAUSES,
                subject=hit.get("party"),
                remediation=remediation,
            )
        )
    return findings


def _check(data: ProgrammeData, found_subjects: list[Subject]) -> list[Finding]:
    """The findings about the subjects' countries (not the data's age, which reads the day)."""
    findings: list[Finding] = []
    # (programme id, effect) -> subjects, in the order found, so one finding names them all.
    grouped: dict[tuple[str, str], list[tuple[Subject, str | None]]] = {}
    checked: list[Subject] = []
    for subject in found_subjects:
        if not subject.country:
            if subject.must_have_country:
                findings.append(_no_country(subject))
            continue
        programmes = data.for_country(subject.country)
        if programmes is None:
            findings.append(_unknown(subject, data))
            continue
        checked.append(subject)
        for programme in programmes:
            effect, why = _effect(programme, subject)
            grouped.setdefault((programme.id, effect), []).append((subject, why))
    for (pid, effect), found in grouped.items():
        findings.append(_finding(data.programmes[pid], effect, found))
    if not findings:  # a clear deal takes _clear_countries' way; this one is for completeness
        findings.append(_assurance(data, [(s.path, s.country) for s in checked if s.country]))
    return findings
