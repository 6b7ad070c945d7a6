"""The tuning file: the issue's example parses, conditional list keys sample as described, and
every bad space gets one line naming its key. No training here."""

from __future__ import annotations

import numpy as np
import optuna
import pytest
import yaml

import fitbench as fb
from fitbench._keras import keras
from fitbench.errors import ConfigError
from fitbench.tuning import PruningCallback, bundled_tunings, load_tuning
from fitbench.tuning._space import suggest, with_values
from fitbench.tuning._worker import make_pruner

ISSUE_EXAMPLE = """
name: course-tuning
dataset: {name: mnist, val_size: 0.2, seed: 42}
model: {zoo: mlp, rescale: true, units: [128, 128]}
training: {optimizer: adam, learning_rate: 1.0e-4, batch_size: 10, epochs: 5,
           early_stopping: {patience: 3}}
search:
  objective: val_macro_f1
  trials: 20
  pruner: median
  sampler: {name: tpe, seed: 0}
  space:
    model.units: {type: categorical, choices: [32, 64, 128], length: {type: int, low: 2, high: 3}}
    training.seed: {type: int, low: 1, high: 46}
"""
BASE = {"name": "x", "dataset": {"name": "digits"}, "model": {"zoo": "mlp", "units": [32]}, "training": {"epochs": 1}}


def error_for(space: dict, **search: object) -> str:
    with pytest.raises(ConfigError) as raised:
        load_tuning({**BASE, "search": {"space": space, **search}}, where="t.yaml")
    return str(raised.value)


def test_the_issue_example_parses():
    tuning = load_tuning(yaml.safe_load(ISSUE_EXAMPLE), where="t.yaml")
    assert tuning.search.direction == "maximize" and tuning.search.pruner_name == "median"
    units = tuning.space["model.units"]
    assert units.choices == [32, 64, 128] and (units.length.low, units.length.high) == (2, 3)
    assert tuning.space["training.seed"].high == 46


@pytest.mark.parametrize("name", ["tune", "tune-wide"])
def test_bundled_tuning_files_parse_and_stay_out_of_fitbench_train(name: str):
    from fitbench.config import bundled_experiments

    tuning = load_tuning(name)
    assert tuning.search.objective == "val_macro_f1" and tuning.search.sampler.seed == 0
    assert name not in bundled_experiments()  # `fitbench train` would refuse the search section
    assert bundled_tunings()[name].parent.name == "tuning"


def test_the_course_space_is_shipped():
    tuning = load_tuning("tune")
    training = tuning.experiment.training
    assert (training.learning_rate, training.batch_size, training.epochs) == (1e-4, 10, 5)
    assert training.early_stopping is not None and tuning.experiment.dataset.normalize is False
    assert tuning.experiment.model.rescale is True
    wide = load_tuning("tune-wide").space
    assert wide["training.learning_rate"].log and "model.rate" in wide and "training.batch_size" in wide


def test_layer_i_exists_only_when_the_length_is_greater_than_i():
    tuning = load_tuning(yaml.safe_load(ISSUE_EXAMPLE), where="t.yaml")
    two = optuna.trial.FixedTrial({"model.units.length": 2, "model.units[0]": 64, "model.units[1]": 32,
                                   "training.seed": 7})
    assert suggest(two, tuning.space) == {"model.units": [64, 32], "training.seed": 7}
    three = optuna.trial.FixedTrial({"model.units.length": 3, "model.units[0]": 32, "model.units[1]": 128,
                                     "model.units[2]": 64, "training.seed": 1})
    assert suggest(three, tuning.space)["model.units"] == [32, 128, 64]

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        trial = study.ask()
        values = suggest(trial, tuning.space)
        assert len(values["model.units"]) == trial.params["model.units.length"]
        assert ("model.units[2]" in trial.params) == (trial.params["model.units.length"] == 3)
        study.tell(trial, 0.0)


def test_values_are_written_into_a_copy_of_the_experiment():
    document = {"training": {"early_stopping": None, "epochs": 3}}
    result = with_values(document, {"training.early_stopping.patience": 2, "model.units": [8, 8]})
    assert result == {"training": {"early_stopping": {"patience": 2}, "epochs": 3}, "model": {"units": [8, 8]}}
    assert document == {"training": {"early_stopping": None, "epochs": 3}}


def test_log_float_and_stepped_int():
    tuning = load_tuning({**BASE, "search": {"space": {
        "training.learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
        "training.batch_size": {"type": "int", "low": 16, "high": 64, "step": 16}}}})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(10):
        values = suggest(study.ask(), tuning.space)
        assert 1e-4 <= values["training.learning_rate"] <= 1e-2
        assert values["training.batch_size"] in (16, 32, 48, 64)
    assert isinstance(study.trials[0].distributions["training.learning_rate"], optuna.distributions.FloatDistribution)
    assert study.trials[0].distributions["training.learning_rate"].log


@pytest.mark.parametrize("space, expected", [
    ({"model.units": {"type": "categorical", "choices": [], "length": 2}},
     "t.yaml: search.space['model.units'].choices: expected at least one value to try, got []"),
    ({"training.seed": {"type": "int", "low": 5, "high": 1}},
     "t.yaml: search.space['training.seed']: low (5) is greater than high (1); swap them"),
    ({"model.units": {"type": "categorical", "choices": [32], "length": {"type": "int", "low": 3, "high": 2}}},
     "t.yaml: search.space['model.units'].length: low (3) is greater than high (2); swap them"),
    ({"training.seed": {"type": "integer", "low": 1, "high": 5}},
     "t.yaml: search.space['training.seed'].type: expected one of categorical, int, float, got type: 'integer' "
     "(did you mean 'int'?)"),
    ({"training.seed": {"low": 1, "high": 5}},
     "t.yaml: search.space['training.seed'].type: expected one of categorical, int, float, got no type"),
    ({"model.unitz": {"type": "categorical", "choices": [32]}},
     "t.yaml: search.space['model.unitz'] = 32 gives: model.unitz: unknown key (did you mean 'units'?)"),
    ({"trainin.seed": {"type": "int", "low": 1, "high": 3}},
     "t.yaml: search.space['trainin.seed'] = 1 gives: trainin: unknown key (did you mean 'training'?)"),
    ({"training.learning_rate": {"type": "float", "low": 0.1, "high": 20}},
     "t.yaml: search.space['training.learning_rate'] = 20.0 gives: training.learning_rate: expected less than or "
     "equal to 10, got 20.0"),
    ({"training.learning_rate": {"type": "float", "low": 0, "high": 1, "log": True}},
     "t.yaml: search.space['training.learning_rate']: log: true needs low > 0, got low: 0.0"),
    ({"training.seed": {"type": "int", "low": 1, "high": 3, "lenght": 2}},
     "t.yaml: search.space['training.seed'].lenght: unknown key (did you mean 'length'?)"),
    ({"training.epochs.x": {"type": "int", "low": 1, "high": 3}},
     "t.yaml: search.space['training.epochs.x']: training.epochs is a value (1), not a section with keys"),
    ({"training.seed": [1, 2]}, "t.yaml: search.space['training.seed']: expected a mapping like"),
    ({}, "t.yaml: search.space: expected at least one key to search, got {}"),
])
def test_every_bad_space_gets_one_line_naming_the_key(space: dict, expected: str):
    message = error_for(space)
    assert message.startswith(expected), message
    assert len(message.splitlines()) == 1 and "Traceback" not in message


def test_two_bad_keys_give_two_lines():
    message = error_for({"training.seed": {"type": "int", "low": 5, "high": 1},
                         "model.units": {"type": "categorical", "choices": []}})
    lines = message.splitlines()
    assert len(lines) == 2 and "['training.seed']" in lines[0] and "['model.units']" in lines[1]


def test_a_test_scored_objective_is_refused_with_the_reason():
    message = error_for({"training.seed": {"type": "int", "low": 1, "high": 3}}, objective="test_macro_f1")
    assert message.startswith("t.yaml: search.objective: test_macro_f1 would choose the model on the test split")
    assert "use val_macro_f1" in message and "search.force_test: true" in message
    forced = load_tuning({**BASE, "search": {"objective": "test_accuracy", "force_test": True,
                                             "space": {"training.seed": {"type": "int", "low": 1, "high": 3}}}})
    assert forced.search.split == "test"


@pytest.mark.parametrize("search, expected", [
    ({"multi_objective": True, "pruner": "median"}, "t.yaml: search.pruner: median cannot judge a multi-objective"),
    ({"heartbeat": {"interval": 10, "grace_period": 5}}, "t.yaml: search.heartbeat: grace_period (5 s) must be longer"),
    ({"objective": "val_f1"}, "t.yaml: search.objective: expected 'val_macro_f1'"),
    ({"sampler": {"name": "cmaes"}}, "t.yaml: search.sampler.name: expected 'tpe' or 'random', got 'cmaes'"),
    ({"pruning": {"startup_trials": -1}}, "t.yaml: search.pruning.startup_trials: expected"),
    ({"pruning": {"warmup": 1}}, "t.yaml: search.pruning.warmup: unknown key"),
])
def test_bad_search_settings(search: dict, expected: str):
    message = error_for({"training.seed": {"type": "int", "low": 1, "high": 3}}, **search)
    assert message.startswith(expected), message


def test_the_median_pruner_takes_its_startup_trials_and_warmup_epochs():
    space = {"training.seed": {"type": "int", "low": 1, "high": 3}}
    default = make_pruner(load_tuning({**BASE, "search": {"space": space}}).search, epochs=5)
    assert isinstance(default, optuna.pruners.MedianPruner)
    assert (default._n_startup_trials, default._n_warmup_steps) == (5, 0)  # Optuna's own defaults
    tuning = load_tuning({**BASE, "search": {"space": space, "pruning": {"startup_trials": 2, "warmup_epochs": 1}}})
    chosen = make_pruner(tuning.search, epochs=5)
    assert (chosen._n_startup_trials, chosen._n_warmup_steps) == (2, 1)


def test_a_missing_search_section_and_an_unknown_file():
    with pytest.raises(ConfigError, match=r"^fb.tune\(\): search: required section is missing"):
        load_tuning(dict(BASE))
    with pytest.raises(ConfigError, match=r"^tuen: no such tuning file \(did you mean 'tune'\?\)"):
        load_tuning("tuen")


@pytest.mark.slow
def test_the_pruning_callback_reports_every_epoch_and_stops_when_told():
    # A pruner that prunes any score below 2: the trial stops after its first epoch.
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=2.0))
    trial = study.ask()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)).astype("float32"), rng.integers(0, 3, size=40)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callback = PruningCallback(trial, "val_macro_f1", validation_data=(x[:10], y[:10]))
    history = model.fit(x, y, validation_data=(x[:10], y[:10]), epochs=4, verbose=0, callbacks=[callback])
    assert len(history.history["loss"]) == 1 and callback.pruned_at == 1
    assert list(study.trials[0].intermediate_values) == [1]
    with pytest.raises(optuna.TrialPruned, match="pruned after epoch 1"):
        callback.raise_if_pruned()


def test_fb_tune_takes_an_offline_dataset_like_fitbench_tune(tmp_path):
    tuning = load_tuning("tune", dataset="digits", overrides=["search.trials=2"])
    assert tuning.experiment.dataset.name == "digits" and tuning.search.trials == 2
    assert load_tuning("tune", data_dir=tmp_path).experiment.dataset.data_dir == tmp_path.resolve()
    # fb.tune passes them on: checked before any study exists (digits takes no data_dir).
    with pytest.raises(ConfigError, match="dataset.data_dir applies to name: mnist or fashion_mnist"):
        fb.tune("tune", dataset="digits", data_dir=tmp_path, runs_dir=tmp_path, verbose=False)
    with pytest.raises(ConfigError, match="did you mean 'mnist'"):
        fb.tune("tune", dataset="mnsit", runs_dir=tmp_path, verbose=False)
    assert not (tmp_path / "studies.db").exists()
