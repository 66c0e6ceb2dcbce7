"""Properties of the engine and the CLI on arbitrary input (hypothesis).

Whatever a calling system sends, hrdd either refuses it as a :class:`TransactionError`
that says where the problems are, or returns an assessment whose report is valid against
the published schema. Nothing else may escape. And a check that fails never lets a deal
through.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import hrdd
from hrdd import model
from hrdd.cli import main
from hrdd.errors import TransactionError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "policies" / "examples" / "transactions"
EXAMPLE_DOCUMENTS = tuple(
    json.loads(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES_DIR.glob("*.json"))
)
COUNTRIES = tuple(
    json.loads((ROOT / "schemas" / "transaction.schema.json").read_text(encoding="utf-8"))["$defs"][
        "country"
    ]["enum"]
)

# Each property runs on one engine per module (built in a fixture), not one per example.
# HRDD_PROPERTY_EXAMPLES=5000 runs a deeper search (the default keeps the file under ~10 s).
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("HRDD_PROPERTY_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------

# Anything json.loads can return, and a little more a Python caller can hand over:
# integers beyond 64 bits, NaN and infinities, lone surrogates in strings.
ANY_TEXT = st.text(alphabet=st.characters(), max_size=12)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | ANY_TEXT
    | st.sampled_from(["", "other", "NL", "2026-01-01", "EAR99", "USD", "TX-1"])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=16,
)

# Documents shaped like a transaction, so validation is exercised below the top level.
TRANSACTION_SHAPED = st.fixed_dictionaries(
    {},
    optional={
        "id": JSON_VALUES,
        "items": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "id": JSON_VALUES,
                    "name": JSON_VALUES,
                    "quantity": JSON_VALUES,
                    "categories": JSON_VALUES,
                    "value": JSON_VALUES,
                },
            ),
            max_size=3,
        )
        | JSON_VALUES,
        "end_user": st.fixed_dictionaries(
            {},
            optional={
                "name": JSON_VALUES,
                "country": JSON_VALUES,
                "type": JSON_VALUES,
            },
        )
        | JSON_VALUES,
        "kind": JSON_VALUES,
        "date": JSON_VALUES,
        "kyc": JSON_VALUES,
    },
)

# Enumerated fields of the transaction document and their allowed values.
ENUMS: dict[str, tuple[str, ...]] = {
    "kind": model.TRANSACTION_KINDS,
    "categories": model.ITEM_CATEGORIES,
    "capabilities": model.CAPABILITIES,
    "design_safeguards": model.DESIGN_SAFEGUARDS,
    "customization": model.CUSTOMIZATIONS,
    "type": model.END_USER_TYPES,
    "sector": model.SECTORS,
    "government_relationship": model.GOVERNMENT_RELATIONSHIPS,
    "role": model.PARTY_ROLES,
    "relationship": model.RELATIONSHIPS,
    "clauses": model.CONTRACT_CLAUSES,
    "post_export": model.POST_EXPORT_MEASURES,
    "events": model.CONTEXT_EVENTS,
    "country": COUNTRIES,
}


def entries(value: Any, key: Any = None) -> list[tuple[Any, Any, Any]]:
    """Every (container, key, field name) in a document; the field name of a list element
    is the list's own key (so ``categories[1]`` is an entry of the ``categories`` enum)."""
    found: list[tuple[Any, Any, Any]] = []
    if isinstance(value, dict):
        for name, item in value.items():
            found.append((value, name, name))
            found += entries(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((value, index, key))
            found += entries(item, key)
    return found


def containers(value: Any) -> list[dict[str, Any]]:
    found = [value] if isinstance(value, dict) else []
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        found += containers(child)
    return found


@st.composite
def mutated_examples(draw: st.DrawFn) -> Any:
    """An example transaction with a few random edits: dropped keys, replaced values,
    unknown keys, random or other valid strings in enumerated fields."""
    document = copy.deepcopy(draw(st.sampled_from(EXAMPLE_DOCUMENTS)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        operation = draw(st.sampled_from(["drop", "replace", "insert", "enum", "valid-enum"]))
        if operation == "insert":
            target = draw(st.sampled_from(containers(document)))
            target[draw(ANY_TEXT)] = draw(JSON_VALUES)
            continue
        candidates = entries(document)
        if operation in ("enum", "valid-enum"):
            candidates = [e for e in candidates if e[2] in ENUMS and not isinstance(e[0][e[1]], list)]
        if not candidates:
            continue
        container, key, field = draw(st.sampled_from(candidates))
        if operation == "drop":
            del container[key]
        elif operation == "replace":
            container[key] = draw(JSON_VALUES)
        elif operation == "enum":
            container[key] = draw(ANY_TEXT | st.sampled_from(["Other", "OTHER", " other", "nl"]))
        else:
            container[key] = draw(st.sampled_from(ENUMS[field]))
    return document


# Valid transactions, with texts from the examples so the capability checks find things.
TEXTS = tuple(
    {
        text
        for doc in EXAMPLE_DOCUMENTS
        for item in doc["items"]
        for text in (item.get("description"), item.get("customization_request"))
        if text
    }
    | {doc["end_user"]["stated_end_use"] for doc in EXAMPLE_DOCUMENTS}
)
NAMES = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20)
FREE_TEXT = st.sampled_from(TEXTS) | st.text(alphabet=st.characters(codec="utf-8"), max_size=60)


def subset(values: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), unique=True, max_size=4)


ITEMS = st.fixed_dictionaries(
    {"id": NAMES, "name": NAMES},
    optional={
        "description": FREE_TEXT,
        "eccn": st.sampled_from(["EAR99", "5A001.j", "6A993.a", "5D002.c.1"]),
        "categories": subset(model.ITEM_CATEGORIES),
        "capabilities": subset(model.CAPABILITIES),
        "design_safeguards": subset(model.DESIGN_SAFEGUARDS),
        "customization": st.sampled_from(model.CUSTOMIZATIONS),
        "customization_request": FREE_TEXT,
        "quantity": st.integers(min_value=1, max_value=10**6),
        "value": st.fixed_dictionaries(
            {
                "amount": st.integers(min_value=0, max_value=10**9) | st.floats(min_value=0, max_value=1e9),
                "currency": st.sampled_from(["USD", "EUR", "GBP"]),
            }
        ),
    },
)
VALID_TRANSACTIONS = st.fixed_dictionaries(
    {
        "id": NAMES,
        # item ids must be unique within a transaction (a duplicate is an input error)
        "items": st.lists(ITEMS, min_size=1, max_size=3, unique_by=lambda item: item["id"]),
        "end_user": st.fixed_dictionaries(
            {"name": NAMES, "country": st.sampled_from(COUNTRIES)},
            optional={
                "type": st.sampled_from(model.END_USER_TYPES),
                "sector": st.sampled_from(model.SECTORS),
                "government_relationship": st.sampled_from(model.GOVERNMENT_RELATIONSHIPS),
                "stated_end_use": FREE_TEXT,
                "sole_end_user": st.none() | st.booleans(),
            },
        ),
    },
    optional={
        "kind": st.sampled_from(model.TRANSACTION_KINDS),
        "date": st.dates().map(lambda d: d.isoformat()),
        "contract": st.fixed_dictionaries(
            {},
            optional={
                "clauses": subset(model.CONTRACT_CLAUSES),
                "post_export": subset(model.POST_EXPORT_MEASURES),
            },
        ),
        "context": st.fixed_dictionaries({}, optional={"events": subset(model.CONTEXT_EVENTS)}),
        "kyc": st.dictionaries(st.sampled_from(model.KYC_QUESTIONS), st.booleans()),
    },
)

# --------------------------------------------------------------------------------------
# Engines, built once per module
# --------------------------------------------------------------------------------------

# Raises on a condition of the transaction the strategy controls: an even quantity in
# check_item, an "!" in the end user's name in check_end_user.
FLAKY = """
from hrdd import PluginInfo, hookimpl


@hookimpl
def hrdd_plugin_info():
    return PluginInfo()


@hookimpl
def hrdd_check_item(item, transaction, context):
    if item.quantity is not None and item.quantity % 2 == 0:
        raise RuntimeError(f"cannot check an even quantity of {item.id}")
    return []


@hookimpl
def hrdd_check_end_user(transaction, context):
    if "!" in transaction.end_user.name:
        raise ValueError("cannot screen a name with '!'")
    return []
"""


def flaky_raises(document: dict[str, Any]) -> bool:
    return "!" in document["end_user"]["name"] or any(
        item.get("quantity", 1) % 2 == 0 for item in document["items"]
    )


@pytest.fixture(scope="module")
def baseline_engine() -> hrdd.Engine:
    return hrdd.Engine.from_policy("baseline")


@pytest.fixture(scope="module")
def screened_engine(screened_policy) -> hrdd.Engine:
    """The baseline with a screening list: every check of the baseline runs, screening too
    (without a list it reports HRDD-SCR-005 on every transaction)."""
    return hrdd.Engine.from_policy(screened_policy)


@pytest.fixture(scope="module", params=["escalate", "do_not_proceed"])
def flaky_engine(request, tmp_path_factory, capability_only_policy) -> hrdd.Engine:
    """The flaky extension on top of the capability-only policy: failing closed is the
    core's doing, whatever else a policy enables (and with fewer plugins escalating on
    their own, a deal that would otherwise proceed is likelier)."""
    directory = tmp_path_factory.mktemp(f"flaky-{request.param}")
    (directory / "flaky.py").write_text(FLAKY, encoding="utf-8")
    policy = directory / "policy.toml"
    policy.write_text(
        "[policy]\n"
        'name = "flaky"\n'
        f"extends = {json.dumps(str(capability_only_policy))}\n"
        f'on-error = "{request.param}"\n'
        "[plugins.flaky]\n"
        'path = "flaky.py"\n'
        'enforcement = "advisory"\n',  # errors count even from an advisory plugin
        encoding="utf-8",
    )
    return hrdd.Engine.from_policy(policy)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli-input")


@contextlib.contextmanager
def default_engine(engine: hrdd.Engine) -> Iterator[None]:
    """``hrdd assess`` builds the default policy's engine on every call (the baseline, with
    all its plugins and data); inside this block it gets ``engine``, built once per module.
    Any other policy is still built as usual."""
    build = hrdd.Engine.from_policy

    def from_policy(policy: Any = None, **options: Any) -> hrdd.Engine:
        return engine if policy is None else build(policy, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hrdd.Engine, "from_policy", staticmethod(from_policy))
        yield


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


def assess_or_refuse(engine: hrdd.Engine, validator: Any, document: Any) -> hrdd.Assessment | None:
    """The contract of ``Engine.assess`` on any input: a refusal that says where, or a
    report valid against the published schema. Any other exception fails the test."""
    try:
        assessment = engine.assess(document)
    except TransactionError as refusal:
        event("refused")
        assert refusal.problems, "a refusal must say what is wrong"
        for problem in refusal.problems:
            assert problem.path.startswith("$"), problem
            assert problem.source == "<input>"
            assert problem.message
        return None
    event(f"assessed: {assessment.decision.value}")
    rendered = engine.render(assessment, "json")
    # Reports are joined from the JSON each finding and record keeps (hrdd.reportjson): byte
    # for byte the document to_dict gives, indented as `hrdd assess` prints it, compact as
    # `hrdd batch` writes it.
    assert rendered.encode() == orjson.dumps(assessment.to_dict(), option=orjson.OPT_INDENT_2) + b"\n"
    assert assessment.to_json() == orjson.dumps(assessment.to_dict()) + b"\n"
    report = json.loads(rendered)
    assert [f"{e.json_path}: {e.message}" for e in validator.iter_errors(report)] == []
    assert report["transaction_id"] == document["id"]
    engine.render(assessment, "text")
    return assessment


@PROPERTY_SETTINGS
@given(document=JSON_VALUES | TRANSACTION_SHAPED)
def test_random_documents_are_refused_or_assessed(baseline_engine, report_validator, document):
    assess_or_refuse(baseline_engine, report_validator, document)


@PROPERTY_SETTINGS
@given(document=mutated_examples())
def test_mutated_examples_are_refused_or_assessed(baseline_engine, report_validator, document):
    assess_or_refuse(baseline_engine, report_validator, document)


# The documented order of outcomes and the decision each one leads to.
OUTCOME_ORDER = ("pass", "info", "safeguards_required", "escalate", "do_not_proceed")
DECISION_FOR = {
    "pass": "proceed",
    "info": "proceed",
    "safeguards_required": "proceed_with_safeguards",
    "escalate": "escalate",
    "do_not_proceed": "do_not_proceed",
}


def expected_decision(assessment: hrdd.Assessment, on_error: str) -> str:
    outcomes = [
        on_error if f.decisive_outcome == "error" else f.decisive_outcome.value for f in assessment.findings
    ]
    return DECISION_FOR[max(outcomes, key=OUTCOME_ORDER.index, default="pass")]


@PROPERTY_SETTINGS
@given(document=VALID_TRANSACTIONS)
def test_valid_transactions_are_assessed_and_decided_by_their_worst_finding(
    screened_engine, report_validator, document
):
    assessment = assess_or_refuse(screened_engine, report_validator, document)
    assert assessment is not None, "a valid transaction was refused"
    assert assessment.errors == (), "a baseline check failed on a valid transaction"
    assert assessment.decision == expected_decision(assessment, "escalate")
    assert {c.subject for c in assessment.checks if c.hook == "hrdd_check_item"} == {
        f"items[{index}]" for index in range(len(document["items"]))
    }


@PROPERTY_SETTINGS
@given(
    document=VALID_TRANSACTIONS,
    bang=st.booleans(),
    even=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_a_check_that_raises_never_lets_a_deal_proceed(flaky_engine, report_validator, document, bang, even):
    if bang:
        document["end_user"]["name"] += "!"
    for item, make_even in zip(document["items"], even, strict=False):
        if make_even:
            item["quantity"] = 2 * (item.get("quantity", 1) // 2 + 1)
    assessment = assess_or_refuse(flaky_engine, report_validator, document)
    assert assessment is not None
    errors = [f for f in assessment.findings if f.rule_id == "HRDD-CORE-001"]
    event(f"a check raised: {bool(errors)}")
    assert bool(errors) == flaky_raises(document)
    if errors:
        assert all(f.plugin == "flaky" for f in errors)
        assert assessment.decision != hrdd.Decision.PROCEED
        assert assessment.decision in ("escalate", "do_not_proceed")
    assert assessment.decision == expected_decision(assessment, flaky_engine.policy.on_error)


@st.composite
def truncated_examples(draw: st.DrawFn) -> bytes:
    """An example JSON file cut short (a prefix of a JSON object is never complete; one of a
    TOML file can be)."""
    raw = draw(st.sampled_from(sorted(EXAMPLES_DIR.glob("*.json")))).read_bytes().rstrip()
    return raw[: draw(st.integers(min_value=0, max_value=len(raw) - 1))]


RANDOM_FILES = (
    st.binary(max_size=300)
    | st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass"))
    | JSON_VALUES.map(lambda value: json.dumps(value).encode())
    | truncated_examples()
)


@PROPERTY_SETTINGS
@given(content=RANDOM_FILES, suffix=st.sampled_from([".json", ".toml", ".JSON", ""]))
def test_cli_on_random_bytes_exits_2_without_a_traceback(baseline_engine, files, content, suffix):
    path = files / f"tx{suffix}"
    path.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    with default_engine(baseline_engine), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["assess", str(path)])
    assert code == 2, err.getvalue()
    assert out.getvalue() == ""
    assert "Traceback" not in err.getvalue()
    assert err.getvalue().startswith(f"hrdd: {path}: $")


@given(
    text=st.text(max_size=30)
    | st.floats(allow_nan=True, allow_infinity=True).map(repr)
    | st.integers(min_value=-(10**30), max_value=10**30).map(str)
)
def test_a_memory_scale_is_a_positive_number_or_refused_saying_where(text):
    """``--memory-scale`` and ``HRDD_MEMORY_SCALE``: any text either gives a positive, finite
    factor (the number written) or is refused with a message naming where it came from and
    what it said; nothing else escapes."""
    from hrdd.memory import parse_scale

    try:
        value = parse_scale(text, "--memory-scale")
    except ValueError as exc:
        assert str(exc).startswith(f"--memory-scale={text!r}: expected a positive number")
        with contextlib.suppress(ValueError):
            number = float(text)
            assert not (0 < number < float("inf"))
    else:
        assert 0 < value < float("inf") and value == float(text)


@given(
    text=st.text(max_size=20)
    | st.builds(
        lambda number, unit, space: f"{number}{space}{unit}",
        st.floats(min_value=0, max_value=1e6, allow_nan=False) | st.integers(-5, 10**12),
        st.sampled_from(
            ["", "b", "B", "k", "K", "KiB", "kb", "M", "MiB", "MB", "G", "GiB", "gb", "T", "TiB", "x", "i"]
        ),
        st.sampled_from(["", " "]),
    )
)
def test_a_memory_budget_is_a_positive_size_or_refused_with_what_was_written(text):
    """``--memory-budget``: any text either gives a whole number of bytes of at least one (the
    number times its unit, a power of 1024) or is refused with a message quoting it and giving
    examples; nothing else escapes."""
    from hrdd.memory import parse_size

    try:
        size = parse_size(text)
    except ValueError as exc:
        assert str(exc).startswith(f"{text!r}: expected a size such as 800MiB")
    else:
        assert isinstance(size, int) and size >= 1
        number = float(text.strip().rstrip("iIbB").rstrip("kKmMgGtT"))
        unit = text.strip().rstrip("iIbB")[-1:].lower()
        factor = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}.get(unit, 1)
        assert size == int(number * factor)
