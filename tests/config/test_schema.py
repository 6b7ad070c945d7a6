"""The experiment file: the issue's example parses, defaults fill in, and every bad value
gets one line naming the key, what was expected, what was received, and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fitbench.config import Experiment, apply_overrides, load_experiment, validate
from fitbench.errors import ConfigError

EXAMPLE = """
name: first-mnist10k
dataset:
  name: idx
  images: ../shared/data/mnist/t10k-images-idx3-ubyte.gz
  labels: ../shared/data/mnist/t10k-labels-idx1-ubyte.gz
  train_size: 6000
  val_size: 2000
  test_size: 2000
  seed: 42
  train_limit: null
  val_limit: null
  normalize: true
model:
  zoo: first
training:
  optimizer: adam
  learning_rate: 3.0e-4
  batch_size: 10
  epochs: 5
  early_stopping: {patience: 3, monitor: val_loss, restore_best_weights: true}
  seed: 42
"""


def parse(document: dict) -> Experiment:
    return validate(Experiment, document, where="test.yaml")


def example() -> dict:
    return yaml.safe_load(EXAMPLE)


def error_for(document: dict) -> str:
    with pytest.raises(ConfigError) as raised:
        parse(document)
    return str(raised.value)


def test_the_issue_example_parses_with_absolute_paths_and_defaults():
    experiment = parse(example())
    assert experiment.dataset.images.is_absolute()
    assert experiment.dataset.images.name == "t10k-images-idx3-ubyte.gz"
    assert experiment.training.early_stopping.patience == 3
    assert experiment.training.engine == "compiled"
    assert experiment.dataset.stratify is False  # a default filled in


def test_minimal_file_fills_the_course_defaults():
    experiment = parse({"name": "x", "model": {"zoo": "first"}})
    assert experiment.dataset.name == "mnist" and experiment.dataset.val_size == 0.2
    assert experiment.dataset.seed == 42
    training = experiment.training
    assert (training.optimizer, training.learning_rate, training.batch_size, training.epochs) == ("adam", 3e-4, 10, 25)
    assert training.early_stopping is None


def test_early_stopping_number_is_patience():
    experiment = parse({"name": "x", "model": {"zoo": "small"}, "training": {"early_stopping": 3}})
    assert experiment.training.early_stopping.patience == 3
    assert experiment.training.early_stopping.restore_best_weights is True


def test_layer_shorthand_and_fields():
    experiment = parse({"name": "x", "model": {"layers": [
        "flatten", {"type": "dense", "units": 64, "l2": 1e-4}, {"type": "dense", "units": 10, "activation": "softmax"},
    ]}})
    assert [layer.type for layer in experiment.model.layers] == ["flatten", "dense", "dense"]
    assert experiment.model.layers[1].activation == "relu"


def test_unknown_key_names_it_and_suggests_the_right_one():
    document = example()
    document["training"]["epoch"] = 5
    message = error_for(document)
    assert message.startswith("test.yaml: training.epoch: unknown key (did you mean 'epochs'?)")
    assert "learning_rate" in message and "\n" not in message


def test_an_odd_key_is_quoted_in_the_message():
    # Python takes `A·` as an identifier; written bare it would read as punctuation.
    document = example()
    document["training"]["A·"] = 1
    assert error_for(document).startswith("test.yaml: training['A·']: unknown key")


def test_wrong_type_says_expected_and_received():
    document = example()
    document["training"]["epochs"] = "many"
    message = error_for(document)
    assert "training.epochs: expected a valid integer" in message
    assert "got 'many'" in message and "set it like `epochs: 25`" in message


def test_negative_epochs():
    document = example()
    document["training"]["epochs"] = -3
    message = error_for(document)
    assert "training.epochs: expected greater than 0, got -3" in message
    assert "epochs: 25" in message


@pytest.mark.parametrize("value", [1.5, 0.0, -2, True])
def test_bad_validation_size(value):
    document = example()
    document["dataset"]["val_size"] = value
    message = error_for(document)
    assert "dataset.val_size:" in message
    assert "fraction" in message or "whole number" in message
    assert str(value) in message


def test_dense_layer_with_zero_units():
    message = error_for({"name": "x", "model": {"layers": ["flatten", {"type": "dense", "units": 0}]}})
    assert "model.layers[1].units: expected greater than 0, got 0" in message


def test_unknown_layer_type_suggests_one():
    message = error_for({"name": "x", "model": {"layers": [{"type": "dens", "units": 3}]}})
    assert "model.layers[0].type: expected one of 'flatten', 'dense'" in message and "got 'dens'" in message and "did you mean 'dense'" in message


def test_a_factory_is_checked_for_its_form_only():
    # Importing it is for the code that builds the model (tests/training/test_experiment.py).
    assert parse({"name": "x", "model": {"factory": "no_such_module_xyz:build"}}).model.factory == "no_such_module_xyz:build"
    message = error_for({"name": "x", "model": {"factory": "no_such_module_xyz.build"}})
    assert "model.factory: model factory: got 'no_such_module_xyz.build', expected 'module:function'" in message


def test_unknown_zoo_name():
    message = error_for({"name": "x", "model": {"zoo": "frist"}})
    assert "model.zoo: expected one of first, small" in message and "did you mean 'first'" in message


def test_option_the_zoo_model_does_not_take():
    message = error_for({"name": "x", "model": {"zoo": "first", "rate": 0.2}})
    assert "model.rate is not used here: zoo model 'first' takes" in message and "remove model.rate" in message


def test_two_model_sources():
    message = error_for({"name": "x", "model": {"zoo": "first", "layers": ["flatten"]}})
    assert "exactly one of model.zoo, model.layers or model.factory" in message


def test_missing_model_section():
    message = error_for({"name": "x"})
    assert "test.yaml: model: required key is missing" in message


def test_idx_needs_its_files_and_others_refuse_them():
    assert "needs both dataset.images and dataset.labels" in error_for(
        {"name": "x", "dataset": {"name": "idx"}, "model": {"zoo": "first"}})
    assert "dataset.images applies to name: idx, not to name: mnist" in error_for(
        {"name": "x", "dataset": {"images": "a.gz"}, "model": {"zoo": "first"}})


def test_bad_run_name():
    message = error_for({"name": "../evil", "model": {"zoo": "first"}})
    assert "name: expected 1-80 letters" in message


def test_overrides_parse_yaml_values():
    document = apply_overrides({"training": {"epochs": 25}}, ["training.epochs=5", "training.early_stopping={patience: 2}"])
    assert document["training"] == {"epochs": 5, "early_stopping": {"patience": 2}}


@pytest.mark.parametrize("item", ["training.epochs", "=5"])
def test_malformed_override(item):
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        apply_overrides({}, [item])


def test_override_into_a_value_is_refused():
    with pytest.raises(ConfigError, match="training.epochs is a value"):
        apply_overrides({"training": {"epochs": 5}}, ["training.epochs.x=1"])


def test_override_into_a_null_section_makes_it():
    # `early_stopping: null` in a file, then `--set training.early_stopping.patience=3`:
    # the same rule as a search key (one set_dotted for both)
    document = apply_overrides({"training": {"early_stopping": None}}, ["training.early_stopping.patience=3"])
    assert document["training"]["early_stopping"] == {"patience": 3}


def test_load_experiment_reports_yaml_syntax_with_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nmodel: {zoo: first\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: not valid YAML at line \d+"):
        load_experiment(path)


def test_load_experiment_refuses_a_list(tmp_path: Path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_experiment(path)


def test_missing_file_lists_bundled_experiments():
    with pytest.raises(ConfigError, match="no such experiment file.*first"):
        load_experiment("nowhere.yaml")


def test_bundled_experiment_by_name_and_dataset_switch():
    experiment = load_experiment("first", ["training.epochs=2"], dataset="digits")
    assert experiment.dataset.name == "digits" and experiment.training.epochs == 2
    assert experiment.model.zoo == "first"


def test_data_dir_override_resolves(tmp_path: Path):
    experiment = load_experiment("first", data_dir=tmp_path)
    assert experiment.dataset.data_dir == tmp_path.resolve()


def test_a_path_with_an_unknown_user_is_a_config_error():
    message = error_for({"name": "x", "dataset": {"name": "idx", "images": "~nosuchuser0/a.gz", "labels": "l.gz"},
                         "model": {"zoo": "first"}})
    assert "dataset.images: expected a path, got '~nosuchuser0/a.gz', whose ~user is not known here" in message
