"""Experiment and tuning files, ``--set`` and ``--dataset``, generated from the schemas themselves
(pydantic's JSON Schema, walked below) and then broken structurally: any node replaced by a scalar,
a list, a mapping, null, a huge or non-finite number, a long or control-character string; keys
deleted, duplicated or misspelt; unicode; a byte-order mark.

Each outcome is either a valid experiment or the one-line-per-problem ConfigError naming a key,
which the command line answers with exit 2 and nothing written. No other exception escapes.
FITBENCH_FUZZ_EXAMPLES sets how many inputs each property gets (default 2,000 in all, seed fixed).
"""

from __future__ import annotations

import copy
import math
import os
import re
import string
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from fitbench.cli import main
from fitbench.config import Experiment, load_experiment
from fitbench.config._load import dataset_section
from fitbench.errors import ConfigError
from fitbench.tuning._schema import PARAM_TYPES, SearchConfig

EXAMPLES = int(os.environ.get("FITBENCH_FUZZ_EXAMPLES", "2000"))


def share(fraction: float) -> settings:
    """Hypothesis settings for ``fraction`` of the inputs: no deadline (a loaded machine), no
    example database (the fixed seed alone decides what runs)."""
    return settings(max_examples=max(int(EXAMPLES * fraction), 1), deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


MAX_INT = 64  # generated counts stay small, so that a valid experiment also trains in a second


def from_schema(node: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that a JSON Schema node (as pydantic writes them) allows, mostly."""
    if "$ref" in node:
        return _definition(node["$ref"].rsplit("/", 1)[-1], defs)
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    for keyword in ("anyOf", "oneOf"):
        if keyword in node:
            return st.one_of([from_schema(option, defs) for option in node[keyword]])
    examples = [st.sampled_from(node["examples"])] if node.get("examples") else []
    kind = node.get("type")
    if kind == "object":
        strategy = _object(node, defs)
    elif kind == "array":
        items = from_schema(node.get("items", {}), defs)
        low = node.get("minItems", 0)
        strategy = st.lists(items, min_size=low, max_size=max(low, min(node.get("maxItems", 3), 3)))
    elif kind == "integer":
        strategy = st.integers(_bound(node, "minimum", "exclusiveMinimum", 1, -MAX_INT),
                               _bound(node, "maximum", "exclusiveMaximum", -1, MAX_INT))
    elif kind == "number":
        strategy = st.floats(node.get("minimum", node.get("exclusiveMinimum", -10.0)),
                             node.get("maximum", node.get("exclusiveMaximum", 10.0)),
                             exclude_min="exclusiveMinimum" in node, exclude_max="exclusiveMaximum" in node,
                             allow_nan=False)
    elif kind == "string":
        strategy = st.text(string.ascii_letters + string.digits + "._-:", min_size=node.get("minLength", 1),
                           max_size=12)
    elif kind == "boolean":
        strategy = st.booleans()
    elif kind == "null":
        strategy = st.none()
    else:  # Any
        strategy = SCALARS
    return st.one_of(*examples, strategy)


def _definition(name: str, defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: from_schema(defs[name], defs))


def _bound(node: dict[str, Any], inclusive: str, exclusive: str, step: int, default: int) -> int:
    if inclusive in node:
        value = int(node[inclusive])
    elif exclusive in node:
        value = int(node[exclusive]) + step
    else:
        return default
    return max(-MAX_INT, min(value, MAX_INT)) if step > 0 else min(MAX_INT, max(value, -MAX_INT))


def _object(node: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = node.get("properties", {})
    if not properties:  # a free mapping, e.g. factory kwargs or search.space
        values = from_schema(node["additionalProperties"], defs) if isinstance(
            node.get("additionalProperties"), dict) else SCALARS
        return st.dictionaries(st.text(max_size=8), values, max_size=2)
    required = set(node.get("required", ()))
    return st.fixed_dictionaries(
        {key: from_schema(value, defs) for key, value in properties.items() if key in required},
        optional={key: from_schema(value, defs) for key, value in properties.items() if key not in required})


@cache
def schema_of(model: type) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = model.model_json_schema()
    return schema, schema.get("$defs", {})


def document_of(model: type) -> st.SearchStrategy[Any]:
    schema, defs = schema_of(model)
    return from_schema(schema, defs)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-2, 2), st.text(max_size=6))
# What a broken node becomes.
BREAKS = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=5), SCALARS, max_size=3),
    st.sampled_from([10**400, -(10**30), 2**64, math.inf, -math.inf, math.nan, 1e308, -0.0, 5e-324]),
    st.sampled_from(["x" * 100_000, "\x00", "\x1b[31mred", "a\nb", "\u202eevil", "ｅｐｏｃｈｓ", "🙂" * 50]),
    st.text(max_size=30),
)


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every node's path in a document: () for the whole, then keys and list indexes."""
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*here, index))
    return found


def _misspell(key: Any, draw: st.DrawFn) -> Any:
    text = str(key)
    if not text:
        return "\u00e9"
    where = draw(st.integers(0, len(text) - 1))
    change = draw(st.sampled_from(["drop", "double", "upper", "unicode"]))
    if change == "drop":
        return text[:where] + text[where + 1:]
    if change == "double":
        return text[:where] + text[where] * 2 + text[where:]
    if change == "upper":
        return text.upper()
    return text[:where] + "\u0435" + text[where + 1:]  # a Cyrillic e


@st.composite
def broken(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> Any:
    """A generated document with up to three nodes replaced, deleted or renamed."""
    document = copy.deepcopy(draw(valid))  # a copy: a drawn example may be the schema's own list
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "misspell"]))
        if not path:
            document = draw(BREAKS)
            continue
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if action == "replace":
            parent[last] = draw(BREAKS)
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[_misspell(last, draw)] = parent.pop(last)
    return document


@st.composite
def yaml_text(draw: st.DrawFn, documents: st.SearchStrategy[Any]) -> str:
    """A document as YAML, sometimes after a BOM, sometimes with one of its lines repeated
    (a duplicated key), sometimes cut short."""
    text = yaml.safe_dump(draw(documents), allow_unicode=draw(st.booleans()), sort_keys=False)
    lines = text.splitlines(keepends=True)
    change = draw(st.sampled_from(["none", "none", "bom", "duplicate", "cut"]))
    if change == "bom":
        text = "\ufeff" + text
    elif change == "duplicate" and lines:
        index = draw(st.integers(0, len(lines) - 1))
        text = "".join([*lines[: index + 1], lines[index], *lines[index + 1:]])
    elif change == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    return text


@cache
def dotted_keys() -> tuple[str, ...]:
    """Every key an override can name, read from the schema: ``training.epochs``, ``model.units``..."""
    schema, defs = schema_of(Experiment)
    keys: list[str] = []

    def walk(node: dict[str, Any], prefix: str, depth: int) -> None:
        if "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        for option in node.get("anyOf", []) + node.get("oneOf", []):
            walk(option, prefix, depth)
        for key, value in node.get("properties", {}).items():
            keys.append(f"{prefix}{key}")
            if depth < 3:
                walk(value, f"{prefix}{key}.", depth + 1)

    walk(schema, "", 0)
    return tuple(sorted(set(keys)))


def _yaml_value(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10**9).strip().removesuffix("\n...")


OVERRIDE = st.one_of(
    st.builds(lambda key, value: f"{key}={value}", st.sampled_from(dotted_keys()),
              st.one_of(SCALARS, BREAKS.filter(lambda v: not isinstance(v, str) or "\x00" not in v)).map(_yaml_value)),
    st.builds(lambda key, value: f"{key}={value}", st.sampled_from(dotted_keys()).map(lambda k: k + "x"),
              st.text(max_size=5)),
    st.text(max_size=20),  # no = at all, or = first, or anything
    st.sampled_from(["=", "=1", ".=1", "training..epochs=1", "training.epochs.x=1", "model=[1]", "search=0",
                     "dataset=5", "training=null", "\ufefftraining.epochs=2"]),
)
DATASET = st.one_of(st.none(), st.sampled_from(["digits", "digts", "mnist:", "idx:", "folder:", "csv:", "idx:a,b",
                                                "folder:/nonexistent", ":", "DIGITS", "digits\x00"]),
                    st.text(max_size=12))

# One problem's line: `<where>: <key>: <what>`; where is the file or the options given.
LINE = re.compile(r"^(?P<where>[^\n]+?): (?P<key>\(top level\)|[^\s:]+(?:\[[^\]]*\])*[^\s:]*): \S")


def check_refusal(error: ConfigError, where: str) -> None:
    lines = str(error).splitlines()
    assert lines, "an empty message"
    for line in lines:
        assert line.startswith((where, "overrides=", "dataset=", "--set ")), line  # the file, or the options given
        assert "Traceback" not in line and len(line) < 2_000, line[:300]


def outcome(text: str, overrides: list[str], dataset: str | None, folder: Path) -> str:
    """``valid`` or ``refused``; any exception other than ConfigError fails the test."""
    path = folder / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_experiment(path, overrides, dataset=dataset)
    except ConfigError as error:
        check_refusal(error, str(path))
        return "refused"
    return "valid"


@pytest.mark.slow  # 2,000 inputs in all: about 20 s on an idle machine
@seed(28)
@share(0.4)
@given(yaml_text(broken(document_of(Experiment))), st.lists(OVERRIDE, max_size=3), DATASET)
def test_an_experiment_file_with_overrides_is_valid_or_one_line_per_problem(text, overrides, dataset):
    with tempfile.TemporaryDirectory() as folder:
        outcome(text, overrides, dataset, Path(folder))


@pytest.mark.slow  # 2,000 inputs in all: about 20 s on an idle machine
@seed(2028)
@share(0.2)
@given(broken(document_of(Experiment)), st.lists(OVERRIDE, max_size=4))
def test_overrides_on_a_valid_experiment_are_valid_or_one_line(document, overrides):
    with tempfile.TemporaryDirectory() as folder:
        outcome(yaml.safe_dump(document), overrides, None, Path(folder))


class _Tuning:
    """The tuning file's search section, built from its two schemas: the section and each entry."""

    @staticmethod
    def search() -> st.SearchStrategy[dict[str, Any]]:
        entries = st.one_of([document_of(model) for model in PARAM_TYPES.values()])
        space = st.dictionaries(st.sampled_from(dotted_keys()), entries, min_size=1, max_size=3)
        return st.builds(lambda section, space: {**section, "space": space},
                         document_of(SearchConfig).filter(lambda value: isinstance(value, dict)), space)


@pytest.mark.slow  # 2,000 inputs in all: about 20 s on an idle machine
@seed(4028)
@share(0.3)
@given(broken(st.builds(lambda experiment, search: {**experiment, "search": search},
                        document_of(Experiment).filter(lambda value: isinstance(value, dict)), _Tuning.search())))
def test_a_tuning_document_is_valid_or_one_line_per_problem(document):
    from fitbench.tuning import load_tuning

    try:
        load_tuning(document, where="t.yaml") if isinstance(document, dict) else load_tuning(
            {"search": document}, where="t.yaml")
    except ConfigError as error:
        check_refusal(error, "t.yaml")


@seed(6028)
@share(0.1)
@given(DATASET.filter(lambda value: value is not None))
def test_a_dataset_argument_is_a_section_or_one_line(spec):
    try:
        section = dataset_section(spec)
    except ConfigError as error:
        (line,) = str(error).splitlines()
        assert line.startswith("--dataset") or line.startswith("dataset=")
    else:
        assert isinstance(section, dict) and section["name"]


@pytest.mark.parametrize("text", [
    "\ufeffname: x\nmodel: {zoo: first}\n", "name: x\nname: y\nmodel: {zoo: first}\n", "search: 5\n",
    "name: x\nmodel: {zoo: first}\ntraining: {epochs: .inf}\n", "\x00", "- 1\n- 2\n", "name: [x]\nmodel: 3\n",
])
def test_the_command_answers_a_refused_file_with_exit_2_and_writes_nothing(text: str, tmp_path: Path):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["train", str(path), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert not (tmp_path / "runs").exists()


def _trainable(document: Any) -> Any:
    """The document on digits for one epoch: 200 training images, no download."""
    if not isinstance(document, dict):
        return document
    seed_value = document.get("dataset", {}).get("seed", 0) if isinstance(document.get("dataset"), dict) else 0
    training = document.get("training") if isinstance(document.get("training"), dict) else {}
    return {**document, "dataset": {"name": "digits", "train_limit": 200, "seed": seed_value},
            "training": {**training, "epochs": 1}}


def _valid(document: Any) -> bool:
    try:
        Experiment.model_validate(document)
    except Exception:  # noqa: BLE001 - any refusal: this sample wants valid ones
        return False
    return True


TRAINED: list[str] = []


@pytest.mark.slow
@seed(8028)
@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(document_of(Experiment).map(_trainable).filter(_valid))
def test_a_sample_of_valid_experiments_trains_for_one_epoch_on_digits(document):
    """Valid by the schema means trainable: the run is complete, or (a model the data does not
    fit, e.g. a reshape to another size) the one-line error before any folder is written."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(yaml.safe_dump(document))
        runs = Path(folder) / "runs"
        code = main(["train", str(path), "--runs-dir", str(runs), "--quiet", "--no-report"])
        assert code in (0, 2)
        if code == 2:
            assert not runs.exists() or not any(runs.iterdir())
            return
        (run,) = runs.iterdir()
        from fitbench.runs import run_state

        assert run_state(run) == "complete"
        TRAINED.append(run.name)
