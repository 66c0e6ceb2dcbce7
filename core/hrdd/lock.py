"""Lockfiles: pin everything that decides an assessment, and refuse to run when any of it
changed.

``hrdd lock`` writes ``<policy>.lock`` beside a policy file (``acme.toml`` gets ``acme.lock``),
a TOML document validated against ``schemas/lock.schema.json``:

- the core version;
- the policy and every policy it extends, each with its sha256;
- every enabled plugin: distribution name, exact version, sha256 over its installed files
  (from the distribution's RECORD, so the same install gives the same hash) and where it came
  from (an entry point, or a module file given by path);
- every data file, rules file, waiver file and screening list a plugin or the policy loaded,
  with its sha256 and declared version.

The same state gives a byte-identical lock (no timestamp inside), so a lock in version control
changes only when something that decides assessments changed.

With a lock beside the policy (or one named with ``--lock``), building an engine compares the
installed state with it and raises :class:`LockMismatch` naming every difference
("hrdd-screening 1.3.0 installed, 1.2.1 locked"); the assessment never starts. The
report's ``provenance.lock`` says how the lock was checked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hrdd.errors import InputError, PolicyError, Problem
from hrdd.files import write_atomically

if TYPE_CHECKING:
    from hrdd.engine import Engine
    from hrdd.policy import Policy

LOCK_VERSION = 1
HEADER = (
    "# Written by `hrdd lock`: the exact core, policy, plugin and data versions that decide\n"
    "# assessments under this policy. Do not edit; run `hrdd lock` again after a deliberate change.\n"
)


class LockError(PolicyError):
    """The lockfile itself cannot be used: missing, not TOML, not a lock (exit 2)."""


class LockMismatch(PolicyError):
    """The installed state differs from the lock (exit 2): nothing is assessed."""


def lock_path_for(policy: Policy) -> Path | None:
    """Where the policy's lock lives: beside the policy file, with the suffix ``.lock``; None
    for a built-in policy (its lock is named with ``--lock``)."""
    if policy.source.startswith("builtin:"):
        return None
    return policy.chain[0].path.with_suffix(".lock")


def _relative(path: str | Path | None, base: Path) -> str | None:
    if path is None:
        return None
    candidate = Path(path)
    try:
        return candidate.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return candidate.resolve().as_posix()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def state_of(engine: Engine, base: Path, extra_files: Iterable[tuple[str, Path]] = ()) -> dict[str, Any]:
    """The lockable state of an engine: what a lock records and what is compared with it.
    Paths are written relative to ``base`` (the lock's directory) where they lie below it."""
    from hrdd.plugins import core_version

    policy = engine.policy
    return {
        "lock": {"version": LOCK_VERSION, "core": core_version(), "policy": policy.name},
        "policy": [
            {
                "source": source if source.startswith("builtin:") else (_relative(source, base) or source),
                "sha256": sha256,
            }
            for source, sha256 in policy.ref().chain
        ],
        "plugins": [
            {
                "name": plugin.name,
                "version": plugin.version,
                "sha256": plugin.sha256,
                "source": plugin.source,
            }
            for plugin in sorted(engine.plugins.plugins, key=lambda p: p.name)
        ],
        "data": sorted(
            (
                {
                    "plugin": plugin.name,
                    "name": data.name,
                    "version": data.version,
                    "sha256": data.sha256,
                    "path": data.path or "",
                }
                for plugin in engine.plugins.plugins
                for data in plugin.data
            ),
            key=lambda d: (d["plugin"], d["name"], d["path"]),
        )
        + [
            {
                "plugin": "policy",
                "name": kind,
                "version": "",
                "sha256": _file_sha256(path),
                "path": _relative(path, base) or "",
            }
            for kind, path in extra_files
        ],
    }


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


def render(state: Mapping[str, Any]) -> str:
    """The lock as TOML text (deterministic: same state, same bytes)."""
    lines = [HEADER, "[lock]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in state["lock"].items()]
    for table in ("policy", "plugins", "data"):
        for row in state[table]:
            lines += ["", f"[[{table}]]"]
            lines += [f"{key} = {_toml_value(value)}" for key, value in row.items()]
    return "\n".join(lines) + "\n"


def write_lock(engine: Engine, path: Path) -> str:
    """Write the engine's lock to ``path`` (atomically) and return its text."""
    text = render(state_of(engine, path.parent, engine.locked_files()))
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise InputError.single(str(path), "$", f"cannot write the lock: {exc.strerror or exc}") from None
    return text


def read_lock(path: Path) -> tuple[dict[str, Any], str]:
    """Read and validate a lockfile; its content and sha256.

    :raises LockError: missing, unreadable, not TOML, or not valid against the lock schema
        (every problem at once, with its path).
    """
    from hrdd import documents

    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LockError.single(source, "$", "no such lock file") from None
    except OSError as exc:
        raise LockError.single(source, "$", f"cannot read the lock: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LockError.single(source, "$", "not UTF-8 text") from None
    data = documents.parse_toml(text, source, LockError)
    documents.validator("lock").validate(data, source, LockError)
    return data, hashlib.sha256(raw).hexdigest()


def _short(sha256: str) -> str:
    return sha256[:12]


def _by(rows: Sequence[Mapping[str, Any]], *keys: str) -> dict[tuple[Any, ...], Mapping[str, Any]]:
    return {tuple(row.get(key) for key in keys): row for row in rows}


def _data_keys(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str, int], Mapping[str, Any]]:
    """Data rows keyed by (plugin, name, occurrence): the n-th file of that name a plugin loaded."""
    seen: dict[tuple[str, str], int] = {}
    keyed: dict[tuple[str, str, int], Mapping[str, Any]] = {}
    for row in sorted(rows, key=lambda r: (str(r["plugin"]), str(r["name"]), str(r["path"]))):
        pair = (str(row["plugin"]), str(row["name"]))
        seen[pair] = seen.get(pair, 0) + 1
        keyed[(*pair, seen[pair])] = row
    return keyed


def differences(locked: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Every difference between a lock and the installed state, in words an operator acts on."""
    found: list[str] = []
    was, now = locked["lock"], current["lock"]
    if was["core"] != now["core"]:
        found.append(f"hrdd (core) {now['core']} installed, {was['core']} locked")
    locked_chain = [(p["source"], p["sha256"]) for p in locked["policy"]]
    current_chain = [(p["source"], p["sha256"]) for p in current["policy"]]
    if [s for s, _ in locked_chain] != [s for s, _ in current_chain]:
        found.append(
            "policy chain differs: locked "
            + " -> ".join(s for s, _ in locked_chain)
            + ", now "
            + " -> ".join(s for s, _ in current_chain)
        )
    else:
        for (source, was_sha), (_, now_sha) in zip(locked_chain, current_chain, strict=True):
            if was_sha != now_sha:
                found.append(
                    f"policy {source} sha256 differs (locked {_short(was_sha)}, now {_short(now_sha)})"
                )
    was_plugins, now_plugins = _by(locked["plugins"], "name"), _by(current["plugins"], "name")
    for key in sorted(was_plugins.keys() | now_plugins.keys()):
        name = key[0]
        before, after = was_plugins.get(key), now_plugins.get(key)
        if before is None:
            found.append(
                f"{name} {after['version'] if after else ''} is enabled but not in the lock".replace(
                    "  ", " "
                )
            )
        elif after is None:
            found.append(f"{name} {before['version']} is locked but no longer enabled by the policy")
        elif before["version"] != after["version"]:
            found.append(f"{name} {after['version']} installed, {before['version']} locked")
        elif before["sha256"] != after["sha256"]:
            found.append(
                f"{name} {after['version']}: installed files differ from the lock "
                f"(sha256 locked {_short(before['sha256'])}, installed {_short(after['sha256'])})"
            )
        elif before["source"] != after["source"]:
            found.append(f"{name} comes from {after['source']}, locked from {before['source']}")
    # data sets are matched by plugin and name (paths differ between machines: a plugin's own
    # data lies wherever it is installed); the path is shown to say which file
    was_data, now_data = _data_keys(locked["data"]), _data_keys(current["data"])
    for key in sorted(was_data.keys() | now_data.keys()):
        plugin, name, _ = key
        before, after = was_data.get(key), now_data.get(key)
        label = (after or before or {}).get("path") or name
        if before is None:
            found.append(f"{label} ({plugin}) is loaded but not in the lock")
        elif after is None:
            found.append(f"{label} ({plugin}) is locked but no longer loaded")
        elif before["sha256"] != after["sha256"]:
            version = (
                f"; version {after['version']}, locked {before['version']}"
                if before["version"] != after["version"]
                else ""
            )
            found.append(
                f"{label} ({plugin}) sha256 differs (locked {_short(before['sha256'])}, "
                f"now {_short(after['sha256'])}{version})"
            )
    return found


def check(engine: Engine, path: Path) -> dict[str, Any]:
    """Compare the engine with the lock at ``path``; the provenance record of the check.

    :raises LockError: the lock cannot be read.
    :raises LockMismatch: anything differs (all differences at once).
    """
    locked, sha256 = read_lock(path)
    current = state_of(engine, path.parent, engine.locked_files())
    found = differences(locked, current)
    if found:
        raise LockMismatch(
            [
                Problem(str(path), "$", f"{difference}; run `hrdd lock` if the change is intended")
                for difference in found
            ]
        )
    return {"status": "verified", "path": str(path), "sha256": sha256}
