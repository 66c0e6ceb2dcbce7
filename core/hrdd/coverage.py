"""The guidance coverage map: which plugins and rules cover each clause under a policy."""

from __future__ import annotations

from typing import Any

import attrs

from hrdd import documents
from hrdd.data import load_data_file
from hrdd.engine import Engine
from hrdd.errors import PolicyError
from hrdd.model import DataSet

CATALOGUE = "draft-2019.toml"


@attrs.frozen
class ClauseCoverage:
    """One clause and what covers it: plugins that declare it, rules that cite it."""

    id: str
    title: str
    plugins: tuple[str, ...]
    rules: tuple[str, ...]

    @property
    def covered(self) -> bool:
        return bool(self.rules)


@attrs.frozen
class CoverageMap:
    clauses: tuple[ClauseCoverage, ...]
    catalogue: DataSet
    policy: str
    unknown_citations: tuple[tuple[str, str], ...]  # (plugin or rule, clause id nobody defined)

    @property
    def uncovered(self) -> tuple[ClauseCoverage, ...]:
        return tuple(c for c in self.clauses if not c.covered)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "catalogue": self.catalogue.to_dict(),
            "clauses": [
                {"id": c.id, "title": c.title, "plugins": list(c.plugins), "rules": list(c.rules)}
                for c in self.clauses
            ],
            "uncovered": [c.id for c in self.uncovered],
            "unknown_citations": [{"by": by, "clause": clause} for by, clause in self.unknown_citations],
        }


def load_catalogue() -> tuple[tuple[tuple[str, str], ...], DataSet]:
    """The clause ids and titles of the guidance, with the catalogue's provenance."""
    path = documents.resource_dir("policies") / "guidance" / CATALOGUE
    data, dataset = load_data_file(path)
    rows = data.get("clauses")
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and "id" in r and "title" in r for r in rows
    ):
        raise PolicyError.single(str(path), "$.clauses", "expected [[clauses]] tables with id and title")
    return tuple((str(r["id"]), str(r["title"])) for r in rows), dataset


def coverage_map(engine: Engine) -> CoverageMap:
    """Every clause of the guidance with the enabled plugins and rules that cover it.

    A clause counts as covered when at least one enabled rule cites it; a plugin that lists
    the clause without a rule citing it is shown but does not cover it.
    """
    clauses, catalogue = load_catalogue()
    known = {clause_id for clause_id, _ in clauses}
    plugins: dict[str, set[str]] = {clause_id: set() for clause_id in known}
    rules: dict[str, set[str]] = {clause_id: set() for clause_id in known}
    unknown: set[tuple[str, str]] = set()
    for plugin in engine.plugins.plugins:
        for clause in plugin.info.clauses:
            if clause in known:
                plugins[clause].add(plugin.name)
            else:
                unknown.add((plugin.name, clause))
        for rule in plugin.info.rules:
            for clause in rule.guidance:
                if clause in known:
                    rules[clause].add(rule.id)
                    plugins[clause].add(plugin.name)
                else:
                    unknown.add((rule.id, clause))
    return CoverageMap(
        clauses=tuple(
            ClauseCoverage(
                clause_id, title, tuple(sorted(plugins[clause_id])), tuple(sorted(rules[clause_id]))
            )
            for clause_id, title in clauses
        ),
        catalogue=catalogue,
        policy=f"{engine.policy.name} {engine.policy.version}",
        unknown_citations=tuple(sorted(unknown)),
    )


def render_coverage(coverage: CoverageMap) -> str:
    lines = [
        f"Guidance coverage under policy {coverage.policy} ({coverage.catalogue.name} {coverage.catalogue.version})",
        "",
    ]
    width = max(len(c.id) for c in coverage.clauses)
    for clause in coverage.clauses:
        status = ", ".join(clause.rules) if clause.covered else "NOT COVERED"
        lines.append(f"{clause.id:<{width}}  {status}")
        if clause.plugins:
            lines.append(f"{'':<{width}}  by {', '.join(clause.plugins)}")
    covered = len(coverage.clauses) - len(coverage.uncovered)
    lines += ["", f"{covered} of {len(coverage.clauses)} clauses covered."]
    if coverage.uncovered:
        lines.append("Uncovered: " + ", ".join(c.id for c in coverage.uncovered))
    for by, cited in coverage.unknown_citations:
        lines.append(f"warning: {by} cites {cited!r}, which the guidance catalogue does not define")
    return "\n".join(lines) + "\n"
