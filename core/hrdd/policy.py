"""Policies: TOML files that choose the checks, their enforcement and their configuration.

A policy may ``extends`` a built-in policy (by name) or another file (by a path relative to
it). The chain is merged from the base up: later files override earlier ones, tables merge
key by key, everything else (lists included) is replaced.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from hrdd import documents
from hrdd.errors import PolicyError, Problem
from hrdd.logsettings import LogSettings
from hrdd.logsettings import table_problems as log_table_problems
from hrdd.model import Enforcement, PolicyRef

DEFAULT_POLICY = "baseline"


@attrs.frozen
class PluginSettings:
    """How a policy enables and configures one plugin.

    :ivar policy_dir: the directory of the policy file that set this plugin's ``path`` (for a
        distribution plugin: of the policy file being loaded); ``path`` resolves against it.
    :ivar config_dirs: for each top-level config key, the directory of the policy file that
        set it: config values the plugin marks as paths resolve against it, so a key inherited
        from a base policy elsewhere still means the file next to that base policy.
    """

    name: str
    policy_dir: Path
    config_dirs: Mapping[str, Path] = attrs.field(factory=dict)
    version: str | None = None
    enforcement: Enforcement = Enforcement.MANDATORY
    path: Path | None = None
    config: Mapping[str, Any] = attrs.field(factory=dict)
    rule_enforcement: Mapping[str, Enforcement] = attrs.field(factory=dict)


@attrs.frozen
class PolicyFile:
    """One file of an ``extends`` chain, as read."""

    source: str  # "builtin:<name>" or the file's path
    path: Path
    data: Mapping[str, Any]
    sha256: str


@attrs.frozen
class Policy:
    """A policy with its ``extends`` chain merged."""

    name: str
    version: str
    source: str
    sha256: str
    plugins: tuple[PluginSettings, ...]
    chain: tuple[PolicyFile, ...]
    requires_core: str | None = None
    on_error: str = "escalate"
    description: str = ""
    waivers: tuple[Path, ...] = ()  # waiver files, base policy's first, resolved
    rules: tuple[Path, ...] = ()  # declarative rules files (hrdd.rules), base policy's first, resolved
    # inline [[rules]] tables, base policy's first: (policy file, JSON path, table)
    inline_rules: tuple[tuple[str, str, Mapping[str, Any]], ...] = ()
    log: LogSettings | None = None  # the [log] table of the nearest policy in the chain that has one

    @property
    def directory(self) -> Path:
        return self.chain[0].path.parent

    def ref(self) -> PolicyRef:
        return PolicyRef(
            name=self.name,
            version=self.version,
            sha256=self.sha256,
            source=self.source,
            chain=tuple((f.source, f.sha256) for f in self.chain),
        )

    def plugin(self, name: str) -> PluginSettings | None:
        for settings in self.plugins:
            if settings.name == name:
                return settings
        return None

    @classmethod
    def load(cls, policy: str | Path | None = None) -> Policy:
        """Load a built-in policy by name (``baseline``) or a policy file by path; ``None``
        loads the default (``baseline``)."""
        chain = _read_chain(_locate(policy if policy is not None else DEFAULT_POLICY, None))
        return _merge(chain)


def builtin_policies() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in documents.resource_dir("policies").glob("*.toml")))


def _locate(reference: str | Path, relative_to: PolicyFile | None) -> tuple[str, Path]:
    """Turn a policy reference into (source label, path). Bare names are built-ins."""
    text = str(reference)
    is_name = isinstance(reference, str) and "/" not in text and "\\" not in text
    if is_name and not text.endswith(".toml"):
        path = documents.resource_dir("policies") / f"{text}.toml"
        if not path.is_file():
            where = relative_to.source if relative_to else text
            raise PolicyError.single(
                where,
                "$.policy.extends" if relative_to else "$",
                f"no built-in policy named {text!r}; built-in: {', '.join(builtin_policies())}"
                " (a policy file is given by a path ending in .toml)",
            )
        return f"builtin:{text}", path
    path = Path(text)
    if relative_to is not None and not path.is_absolute():
        path = relative_to.path.parent / path
    return str(path), path


def _read_file(source: str, path: Path) -> PolicyFile:
    raw = documents.read_text(path, PolicyError)
    data = documents.parse_toml(raw, source, PolicyError)
    documents.validator("policy").validate(data, source, PolicyError)
    problems = _semantic_problems(data, source)
    if problems:
        raise PolicyError(problems)
    return PolicyFile(source, path.resolve(), data, hashlib.sha256(raw.encode()).hexdigest())


def _semantic_problems(data: Mapping[str, Any], source: str) -> list[Problem]:
    """What the schema cannot say: version specifiers must parse."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    problems = []
    specs = [("$.policy['requires-core']", data["policy"].get("requires-core"))]
    for name, table in data.get("plugins", {}).items():
        specs.append((f"$.plugins['{name}'].version", table.get("version")))
    for where, spec in specs:
        if spec is None:
            continue
        try:
            SpecifierSet(spec)
        except InvalidSpecifier:
            problems.append(
                Problem(source, where, f"{spec!r} is not a PEP 440 version specifier (e.g. '>=1.2,<2')")
            )
    problems += log_table_problems(data.get("log", {}), source)  # the target's form, mask pointers
    return problems


def _read_chain(first: tuple[str, Path]) -> list[PolicyFile]:
    """Read a policy and everything it extends, child first; refuse cycles."""
    chain: list[PolicyFile] = []
    seen: dict[Path, str] = {}
    source, path = first
    while True:
        resolved = path.resolve()
        if resolved in seen:
            cycle = " -> ".join([*(f.source for f in chain), source])
            raise PolicyError.single(chain[-1].source, "$.policy.extends", f"extends cycle: {cycle}")
        policy_file = _read_file(source, path)
        seen[resolved] = source
        chain.append(policy_file)
        parent = policy_file.data["policy"].get("extends")
        if parent is None:
            return chain
        source, path = _locate(parent, policy_file)


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _merge(chain: list[PolicyFile]) -> Policy:
    """Merge from the base (last) up to the policy itself (first)."""
    plugin_tables: dict[str, dict[str, Any]] = {}
    path_dirs: dict[str, Path] = {}
    config_dirs: dict[str, dict[str, Path]] = {}
    policy_table: dict[str, Any] = {}
    waivers: list[Path] = []
    rules: list[Path] = []
    inline_rules: list[tuple[str, str, Mapping[str, Any]]] = []
    for policy_file in reversed(chain):
        directory = policy_file.path.parent
        named = [*policy_file.data["policy"].get("waivers", []), *policy_file.data.get("waivers", [])]
        waivers += [(directory / waiver).resolve() for waiver in named]
        # rules = [...] names files (under [policy] or at the top); [[rules]] tables are inline
        top_rules = policy_file.data.get("rules", [])
        named = [*policy_file.data["policy"].get("rules", []), *(r for r in top_rules if isinstance(r, str))]
        rules += [(directory / name).resolve() for name in named]
        inline_rules += [
            (policy_file.source, f"$.rules[{index}]", table)
            for index, table in enumerate(top_rules)
            if not isinstance(table, str)
        ]
        policy_table = _deep_merge(policy_table, policy_file.data["policy"])
        for name, table in policy_file.data.get("plugins", {}).items():
            plugin_tables[name] = _deep_merge(plugin_tables.get(name, {}), table)
            if "path" in table:
                path_dirs[name] = directory
            for key in table.get("config", {}):
                config_dirs.setdefault(name, {})[key] = directory
    plugins = []
    for name in sorted(plugin_tables):
        table = plugin_tables[name]
        if not table.get("enabled", True):
            continue
        path = table.get("path")
        plugins.append(
            PluginSettings(
                name=name,
                policy_dir=path_dirs.get(name, chain[0].path.parent),
                config_dirs=config_dirs.get(name, {}),
                version=table.get("version"),
                enforcement=Enforcement(table.get("enforcement", "mandatory")),
                path=Path(path) if path is not None else None,
                config=table.get("config", {}),
                rule_enforcement={
                    rule: Enforcement(level) for rule, level in table.get("rule-enforcement", {}).items()
                },
            )
        )
    own = chain[0]
    return Policy(
        name=own.data["policy"]["name"],
        version=own.data["policy"].get("version", "0"),
        source=own.source,
        sha256=own.sha256,
        plugins=tuple(plugins),
        chain=tuple(chain),
        requires_core=policy_table.get("requires-core"),
        on_error=policy_table.get("on-error", "escalate"),
        description=own.data["policy"].get("description", ""),
        waivers=tuple(dict.fromkeys(waivers)),
        rules=tuple(dict.fromkeys(rules)),
        inline_rules=tuple(inline_rules),
        log=next(  # not merged: the nearest [log] table is the log's whole configuration
            (
                LogSettings.from_table(f.data["log"], f.path.parent, f.source)
                for f in chain
                if "log" in f.data
            ),
            None,
        ),
    )
