"""Loading plugin data files with their provenance, for plugins to share one checked way.

A data file is TOML with a ``[meta]`` table naming its ``name``, ``version``, ``source``,
``date`` (retrieved or transcribed) and ``licence``. A file without complete provenance is
refused: every report must be able to say where its facts came from.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import hashlib
from pathlib import Path
from typing import Any

from hrdd import documents
from hrdd.errors import PolicyError, Problem
from hrdd.model import DataSet

META_KEYS = ("name", "version", "source", "date", "licence")


@functools.lru_cache(maxsize=64)
def _parse(path: Path, sha256: str, text: str) -> dict[str, Any]:
    return documents.parse_toml(text, str(path), PolicyError)


def read_data_file(path: str | Path) -> tuple[dict[str, Any], DataSet | None, list[Problem]]:
    """Read a TOML data file and check its provenance, returning the problems found rather
    than raising them, so a plugin can report them together with its own checks of the body.

    :returns: the parsed document, its :class:`DataSet` (``None`` when ``[meta]`` is
        incomplete) and the provenance problems.
    :raises PolicyError: the file is missing or is not TOML (nothing else can be checked).
    """
    path = Path(path)
    text = documents.read_text(path, PolicyError)
    sha256 = hashlib.sha256(text.encode()).hexdigest()
    # The parse is cached; each caller gets its own copy, so no engine can change another's data.
    data = copy.deepcopy(_parse(path.resolve(), sha256, text))
    meta = data.get("meta")
    if not isinstance(meta, dict):
        problem = Problem(
            str(path), "$.meta", f"missing [meta] table with the data's provenance ({', '.join(META_KEYS)})"
        )
        return data, None, [problem]
    problems = [
        Problem(
            str(path), f"$.meta.{key}", "is required (data must say its source, date, licence and version)"
        )
        for key in META_KEYS
        if not isinstance(meta.get(key), (str, _dt.date)) or not str(meta.get(key)).strip()
    ]
    if problems:
        return data, None, problems
    dataset = DataSet(
        name=str(meta["name"]),
        version=str(meta["version"]),
        sha256=sha256,
        source=str(meta["source"]),
        licence=str(meta["licence"]),
        date=str(meta["date"]),
        path=path.name,
    )
    return data, dataset, []


def load_data_file(path: str | Path) -> tuple[dict[str, Any], DataSet]:
    """Read a TOML data file and its provenance.

    Parsed content is cached by path and content hash, so engines built repeatedly (tests,
    policy comparisons) do not parse the same file twice.

    :returns: the parsed document (including ``meta``) and the :class:`DataSet` naming it.
    :raises PolicyError: the file is missing, not TOML, or its ``[meta]`` is incomplete.
    """
    data, dataset, problems = read_data_file(path)
    if dataset is None:
        raise PolicyError(problems)
    return data, dataset
