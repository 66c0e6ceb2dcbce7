"""Reading and validating the documents hrdd exchanges (JSON and TOML, against JSON Schemas).

Validation takes a compiled fast path (``jsonschema_rs``) and, only when a document is
invalid, the pure-Python ``jsonschema`` validator to explain every problem together, each
with its JSON path and the offending value.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hrdd.errors import InputError, Problem

SCHEMA_NAMES = ("transaction", "policy", "report")

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The directory of shipped resources (``schemas``, ``policies``).

    In a wheel they live inside the package (``hrdd/schemas``); in a source checkout or an
    editable install they live at the repository's top level.
    """
    inside = _PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    return _PACKAGE_DIR.parents[1] / name


def schema_path(name: str) -> Path:
    return resource_dir("schemas") / f"{name}.schema.json"


def available_schemas() -> tuple[str, ...]:
    return tuple(
        sorted(p.name.removesuffix(".schema.json") for p in resource_dir("schemas").glob("*.schema.json"))
    )


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    path = schema_path(name)
    if not path.is_file():
        raise InputError.single(
            name, "$", f"no schema named {name!r}; known: {', '.join(available_schemas())}"
        )
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _explain(error: Any) -> str:
    """One line for one jsonschema error: what is wrong with which value and what was expected."""
    validator = error.validator
    if validator == "enum" and str(error.schema.get("description", "")).startswith("ISO 3166-1 alpha-2"):
        hint = ""
        if isinstance(error.instance, str) and error.instance.upper() in error.validator_value:
            hint = f" (write it in capitals: {error.instance.upper()!r})"
        return f"{_short(error.instance)} is not an ISO 3166-1 alpha-2 country code{hint}"
    if validator == "enum":
        allowed = error.validator_value
        shown = ", ".join(map(str, allowed[:20])) + (", ..." if len(allowed) > 20 else "")
        return f"{_short(error.instance)} is not one of the allowed values ({shown})"
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        known = ", ".join(sorted(error.schema.get("properties", {})))
        return f"unknown field(s) {', '.join(map(repr, extra))}; expected one of: {known}"
    if validator == "required":
        return str(error.message).replace("is a required property", "is required but missing")
    if validator == "format":
        return f"{_short(error.instance)} is not a valid {error.validator_value}"
    if validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{_short(error.instance)} has the wrong type; expected {expected}"
    return f"{_short(error.instance)}: {error.message}"


class DocumentValidator:
    """A JSON Schema compiled twice: for speed (``jsonschema_rs``) and for explanations."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        import jsonschema_rs

        self.schema = schema
        self._fast: Callable[[Any], bool] = jsonschema_rs.Draft202012Validator(
            dict(schema), validate_formats=True
        ).is_valid
        self._explainer: Any = None

    def _explaining_validator(self) -> Any:
        if self._explainer is None:
            import jsonschema

            cls = jsonschema.Draft202012Validator
            self._explainer = cls(self.schema, format_checker=cls.FORMAT_CHECKER)
        return self._explainer

    def is_valid(self, document: Any) -> bool:
        try:
            return self._fast(document)
        except (ValueError, TypeError, OverflowError):  # not a JSON value at all (a set, a huge int)
            return False

    def problems(self, document: Any, source: str) -> list[Problem]:
        """Every problem of the document, ordered by location in it."""
        problems = [Problem(source, path, message) for path, message in _non_json_values(document, "$")]
        errors = list(self._explaining_validator().iter_errors(document))
        errors.sort(key=lambda e: [str(p) for p in e.absolute_path])
        problems += [Problem(source, e.json_path, _explain(e)) for e in errors]
        if not problems:  # the two validators disagree: say so rather than let it through
            problems.append(Problem(source, "$", "document rejected by the schema validator"))
        return problems

    def validate(self, document: Any, source: str, error: type[InputError] = InputError) -> None:
        """Raise ``error`` with every problem unless the document is valid."""
        if not self.is_valid(document):
            raise error(self.problems(document, source))


@functools.cache
def validator(name: str) -> DocumentValidator:
    """The shared validator for a shipped schema (compiled once per process)."""
    return DocumentValidator(load_schema(name))


_INT64 = 2**63


def _non_json_values(value: Any, path: str) -> list[tuple[str, str]]:
    """Values no JSON document can hold (found only on the slow, explaining path)."""
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            if not isinstance(key, str):
                found.append((path, f"key {key!r} is not a string"))
                continue
            found += _non_json_values(item, f"{path}.{key}")
        return found
    if isinstance(value, (list, tuple)):
        return [p for index, item in enumerate(value) for p in _non_json_values(item, f"{path}[{index}]")]
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return [
                (path, f"contains {value[exc.start]!r}, which is not a Unicode character (a lone surrogate)")
            ]
        return []
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        return [] if -_INT64 <= value < _INT64 else [(path, f"{value} is outside the 64-bit integer range")]
    if isinstance(value, float):
        return [] if math.isfinite(value) else [(path, f"{value} is not a JSON number")]
    return [(path, f"a {type(value).__name__} is not a JSON value")]


def toml_plain(value: Any) -> Any:
    """TOML dates and times become ISO strings so a TOML document means what its JSON twin does."""
    if isinstance(value, dict):
        return {key: toml_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [toml_plain(item) for item in value]
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return value


_toml_plain = toml_plain


def parse_toml(text: str, source: str, error: type[InputError] = InputError) -> dict[str, Any]:
    import tomli

    try:
        data: dict[str, Any] = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise error.single(source, "$", f"invalid TOML: {exc}") from None
    except RecursionError:
        raise error.single(source, "$", "invalid TOML: nested too deeply") from None
    return data


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str, source: str, error: type[InputError] = InputError) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise error.single(
            source, "$", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise error.single(source, "$", f"invalid JSON: {exc}") from None
    except RecursionError:
        raise error.single(source, "$", "invalid JSON: nested too deeply") from None


def read_text(path: Path, error: type[InputError] = InputError) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error.single(str(path), "$", "file not found") from None
    except IsADirectoryError:
        raise error.single(str(path), "$", "is a directory, expected a file") from None
    except UnicodeDecodeError as exc:
        raise error.single(str(path), "$", f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except OSError as exc:
        raise error.single(str(path), "$", f"cannot read: {exc.strerror}") from None


def read_document(path: Path, error: type[InputError] = InputError) -> Any:
    """Read a JSON or TOML document, chosen by the file's suffix (``.toml`` or anything else
    as JSON)."""
    text = read_text(path, error)
    if path.suffix.lower() == ".toml":
        return _toml_plain(parse_toml(text, str(path), error))
    return parse_json(text, str(path), error)
