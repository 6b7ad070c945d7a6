"""Run an experiment file end to end: data, model, training, run folder."""

from __future__ import annotations

from pathlib import Path

from fitbench._keras import keras
from fitbench.config import Experiment, ModelConfig
from fitbench.data import Dataset, load_from_config
from fitbench.models import build_from_factory, build_from_layers, build_model
from fitbench.runs import Run
from fitbench.training._fit import train


def run_experiment(
    experiment: Experiment,
    *,
    runs_dir: str | Path = "runs",
    callbacks: list[keras.callbacks.Callback] | None = None,
    verbose: bool = True,
) -> Run:
    """Load the data, build the model (seeded with ``training.seed``) and train it.

    Data loading and model building run before the run folder is created, so a bad file or
    an impossible model leaves nothing behind.
    """
    dataset = load_from_config(experiment.dataset)
    model = build_from_config(experiment.model, dataset, seed=experiment.training.seed)
    return train(model, dataset, experiment.training, name=experiment.name,
                 model_config=experiment.model.model_dump(mode="json"), runs_dir=runs_dir,
                 callbacks=callbacks, verbose=verbose)


def build_from_config(config: ModelConfig, dataset: Dataset, *, seed: int) -> keras.Model:
    """The model an experiment file's ``model`` section describes, with seeded weights."""
    if config.zoo is not None:
        return build_model(config.zoo, dataset, seed=seed, **config.zoo_kwargs())
    keras.utils.set_random_seed(seed)
    if config.layers is not None:
        layers = [layer.model_dump() for layer in config.layers]
        return build_from_layers(layers, dataset.input_shape, dataset.num_classes)
    if config.factory is not None:
        return build_from_factory(config.factory, dataset.input_shape, dataset.num_classes, config.kwargs)
    raise ValueError(f"model section has nothing to build from: {config}")  # validation prevents this
