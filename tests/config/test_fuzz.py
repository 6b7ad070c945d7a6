"""A config fuzzer: random experiment documents, valid and invalid. fitbench accepts each
or rejects it with a one-line-per-problem ConfigError naming a key; nothing else escapes,
and a rejected config never gets a run folder."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitbench.cli import main
from fitbench.config import Experiment, load_experiment
from fitbench.errors import ConfigError
from fitbench.models import zoo_names

ANYTHING = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def maybe(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly plausible values, sometimes anything at all."""
    return st.one_of(valid, valid, ANYTHING)


def section(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    keys = st.sampled_from([*fields, "bogus", "epoch"])
    return st.lists(keys, max_size=len(fields) + 1, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({key: maybe(fields.get(key, ANYTHING)) for key in chosen}))


SIZE = st.one_of(st.floats(-0.5, 1.5), st.integers(-10, 5000))
DATASET = section({
    "name": st.sampled_from(["mnist", "fashion_mnist", "digits", "idx", "cifar"]),
    "images": st.text(max_size=10), "labels": st.text(max_size=10), "data_dir": st.text(max_size=10),
    "train_size": SIZE, "val_size": SIZE, "test_size": SIZE, "seed": st.integers(), "stratify": st.booleans(),
    "train_limit": st.integers(-5, 1000), "val_limit": st.integers(-5, 1000), "normalize": st.booleans(),
    "num_classes": st.integers(-1, 20),
})
LAYER = st.one_of(
    st.sampled_from(["flatten", "batch_norm", "dense", "conv"]),
    st.fixed_dictionaries({"type": st.sampled_from(["dense", "dropout", "conv2d", "dens", "reshape"])},
                          optional={"units": st.integers(-2, 64), "rate": st.floats(-1, 2),
                                    "filters": st.integers(-1, 8), "activation": st.sampled_from(["relu", "soft"]),
                                    "target_shape": st.lists(st.integers(-1, 30), max_size=3)}),
)
MODEL = section({
    "zoo": st.sampled_from([*zoo_names(), "frist"]), "layers": st.lists(LAYER, max_size=4),
    "factory": st.sampled_from(["fitbench.models:build_model", "no_such_module_x:f", "no-colon",
                                "fitbench.models:nothing"]),
    "rate": st.floats(-1, 2), "units": st.lists(st.integers(-1, 200), max_size=3),
    "augment": st.lists(st.sampled_from(["flip", "rotation", "zoom"]), max_size=2), "l2": st.floats(-1, 1),
    "rescale": st.booleans(), "kwargs": st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
})
TRAINING = section({
    "optimizer": st.sampled_from(["adam", "sgd", "rmsprop", "adamw"]), "learning_rate": st.floats(-1, 20),
    "batch_size": st.integers(-3, 64), "epochs": st.integers(-3, 30), "seed": st.integers(),
    "early_stopping": st.one_of(st.none(), st.integers(-2, 5),
                                st.fixed_dictionaries({}, optional={"patience": st.integers(-2, 5),
                                                                   "monitor": st.sampled_from(["val_loss", "acc"])})),
    "engine": st.sampled_from(["compiled", "keras", "torch"]), "shuffle": st.booleans(),
})
DOCUMENT = st.one_of(
    st.fixed_dictionaries({}, optional={
        "name": maybe(st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)),
        "dataset": maybe(DATASET), "model": maybe(MODEL), "training": maybe(TRAINING), "extra": ANYTHING,
    }),
    ANYTHING,
)
# A key part: a name, a list index, or a quoted odd name as Python's repr writes it (escapes included).
PART = r"(?:[^\W\d]\w*|\[\d+\]|\[(?:'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\")\])"
KEY = re.compile(rf"^[^\n]+\.yaml: (\(top level\)|{PART}(?:\.?{PART})*): \S")


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_every_document_is_accepted_or_refused_by_key(document):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(yaml.safe_dump(document))
        try:
            experiment = load_experiment(path)
        except ConfigError as error:
            lines = str(error).splitlines()
            assert lines and all(KEY.match(line) or line.startswith(f"{path}: expected a mapping")
                                 for line in lines), str(error)
            assert main(["train", str(path), "--runs-dir", f"{folder}/runs"]) == 2
            assert not Path(folder, "runs").exists()
        else:
            assert isinstance(experiment, Experiment)
