"""Experiment files are checked without Keras: each zoo model's options are its own schema class,
one branch of the model section's union."""

from __future__ import annotations

import json
import subprocess
import sys
import typing

import pytest

from fitbench.config import ZOO_MODELS, Experiment, validate
from fitbench.errors import ConfigError
from tests.conftest import ROOT, heavy_modules_after

# A valid value for every zoo option (each model takes a subset).
OPTIONS = {"augment": ["flip", "rotation"], "rotation": 0.1, "l2": 1e-4, "rate": 0.3, "units": [32, 16],
           "rescale": True, "filters": [8, 16]}


def fitbench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fitbench.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def parse(model: dict) -> Experiment:
    return validate(Experiment, {"name": "x", "model": model}, where="x.yaml")


def test_validating_an_experiment_imports_no_keras():
    assert heavy_modules_after(
        "from fitbench.config import Experiment, validate; "
        "validate(Experiment, {'name': 'x', 'model': {'zoo': 'dropout', 'rate': 0.3}}, where='x.yaml')") == []


def test_validating_an_experiment_with_a_factory_imports_neither_it_nor_keras():
    # tests.models.factories imports Keras: validation must not import the factory's module.
    assert heavy_modules_after(
        "from fitbench.config import Experiment, validate; "
        "validate(Experiment, {'name': 'x', 'model': {'factory': 'tests.models.factories:make_model'}}, "
        "where='x.yaml'); assert 'tests.models.factories' not in sys.modules") == []


@pytest.mark.parametrize("name", list(ZOO_MODELS))
def test_each_zoo_model_takes_its_own_options(name: str):
    takes = [key for key in ZOO_MODELS[name].model_fields if key != "zoo"]
    model = parse({"zoo": name, **{key: OPTIONS[key] for key in takes}}).model
    assert model.zoo_kwargs() == {key: OPTIONS[key] for key in takes}
    assert type(model) is ZOO_MODELS[name]


@pytest.mark.parametrize("name", list(ZOO_MODELS))
def test_an_option_the_model_does_not_take_is_refused_with_the_ones_it_does(name: str):
    takes = sorted(key for key in ZOO_MODELS[name].model_fields if key != "zoo")
    wrong = next(key for key in OPTIONS if key not in takes)
    with pytest.raises(ConfigError) as raised:
        parse({"zoo": name, wrong: OPTIONS[wrong]})
    assert str(raised.value) == (f"x.yaml: model: model.{wrong} is not used here: zoo model {name!r} takes "
                                 f"{', '.join(takes) or 'no options'}; remove model.{wrong}")


def test_an_option_the_model_does_not_take_lists_the_ones_it_does():
    with pytest.raises(ConfigError, match="zoo model 'first' takes augment, l2, rotation; remove model.rate"):
        parse({"zoo": "first", "rate": 0.3})


def test_a_misspelt_option_suggests_the_one_meant_and_lists_the_keys():
    with pytest.raises(ConfigError, match=r"^x.yaml: model.rotaton: unknown key \(did you mean 'rotation'\?\); "
                                          r"expected one of: zoo, augment, rotation, l2, rate$"):
        parse({"zoo": "dropout", "rotaton": 0.1})


def test_a_value_of_the_wrong_type_names_the_option():
    with pytest.raises(ConfigError, match=r"^x.yaml: model.units: expected a valid list, got 5"):
        parse({"zoo": "mlp", "units": 5})


def test_an_unknown_zoo_name_lists_the_names():
    with pytest.raises(ConfigError, match=r"model.zoo: expected one of first, small, .*cnn, got 'cnnn' "
                                          r"\(did you mean 'cnn'\?\)$"):
        parse({"zoo": "cnnn"})


def test_run_folders_that_wrote_every_option_still_validate():
    # Before one schema per model, a run's config.yaml listed every key of the model section.
    old = {"zoo": "dropout", "layers": None, "factory": None, "kwargs": {}, "python": None, "augment": None,
           "rotation": None, "rate": 0.3, "l2": None, "units": None, "rescale": None, "filters": None}
    assert parse(old).model.model_dump() == {"zoo": "dropout", "augment": None, "rotation": None, "l2": None,
                                             "rate": 0.3}


def test_the_declared_options_are_the_builders_own():
    from fitbench.models import zoo_names, zoo_options

    assert list(ZOO_MODELS) == zoo_names()
    for name, model in ZOO_MODELS.items():
        assert model.name() == name
        assert set(model.model_fields) - {"zoo"} == set(zoo_options(name)) - {"pixel_max"}, name


def test_the_schema_has_one_branch_per_zoo_model():
    schema = typing.cast(dict, Experiment.model_json_schema())
    branches = [schema["$defs"][ref["$ref"].split("/")[-1]] for ref in schema["properties"]["model"]["oneOf"]]
    zoo = {branch["properties"]["zoo"]["const"]: branch for branch in branches if "zoo" in branch["properties"]}
    assert list(zoo) == list(ZOO_MODELS)
    assert set(zoo["first"]["properties"]) == {"zoo", "augment", "rotation", "l2"}
    assert all(branch["additionalProperties"] is False for branch in branches)
    assert len(branches) == len(ZOO_MODELS) + 3  # layers, factory, python


def test_the_schema_accepts_the_bundled_experiments_and_refuses_a_wrong_option():
    jsonschema = pytest.importorskip("jsonschema")
    from fitbench.config import bundled_experiments, read_yaml

    schema = Experiment.model_json_schema()
    for path in [*bundled_experiments().values(), *(ROOT / "experiments").glob("*.yaml")]:
        jsonschema.validate(read_yaml(path), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "model": {"zoo": "first", "rate": 0.2}}, schema)


@pytest.mark.slow
def test_experiments_schema_is_json_schema_with_the_zoo_names():
    result = fitbench("experiments", "schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    first = schema["$defs"]["FirstModel"]
    assert first["properties"]["zoo"]["const"] == "first" and "rate" not in first["properties"]
    assert first["description"].startswith("Flatten > Dense 128")


@pytest.mark.slow
def test_experiments_list_whole_sentences():
    result = fitbench("experiments")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert lines["try05-early-stopping"].endswith("going back to the best epoch's weights.")
    assert all(text.endswith((".", "?", "!")) for text in lines.values())
