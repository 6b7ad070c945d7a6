"""Run an experiment file end to end: data, model, training, run folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fitbench._keras import keras
from fitbench.config import Experiment, FactoryModel, LayersModel, ModelConfig, ZooModel, validate
from fitbench.data import Dataset, load_from_config
from fitbench.errors import ConfigError, FitbenchError
from fitbench.models import build_from_factory, build_from_layers, build_model, resolve_factory
from fitbench.trained import Run, load_run
from fitbench.training._fit import train
from fitbench.training._results import Persist, now


def run_experiment(
    experiment: Experiment,
    *,
    runs_dir: str | Path = "runs",
    callbacks: list[keras.callbacks.Callback] | None = None,
    verbose: bool = True,
    dataset: Dataset | None = None,
    persist: Persist = now,
) -> Run:
    """Load the data, build the model (seeded with ``training.seed``) and train it.

    A model factory is imported first, so a name that does not import fails at once; data
    loading and model building run before the run folder is created, so a bad file or an
    impossible model leaves nothing behind. ``dataset``: the data ``experiment.dataset``
    describes, already loaded (a study's trials share one copy). ``persist``: as ``train``'s.
    """
    check_model(experiment.model, where=f"experiment {experiment.name!r}")
    if dataset is None or dataset.config != experiment.dataset:
        dataset = load_from_config(experiment.dataset)
    model = build_from_config(experiment.model, dataset, seed=experiment.training.seed)
    return train(model, dataset, experiment.training, name=experiment.name,
                 model_config=experiment.model.model_dump(mode="json"), runs_dir=runs_dir,
                 callbacks=callbacks, verbose=verbose, persist=persist)


def run_or_reuse(
    experiment: Experiment,
    *,
    runs_dir: str | Path,
    callbacks: list[keras.callbacks.Callback] | None = None,
    verbose: bool = True,
) -> tuple[Run, str]:
    """The run of ``experiment`` in ``runs_dir``: reused when a complete one is there, resumed
    from its checkpoint when one was cut short, trained afresh otherwise.

    Returns the run and what happened: ``"reused"``, ``"resumed"`` or ``"trained"``.
    """
    from fitbench.runs import run_state
    from fitbench.training._checkpoint import CHECKPOINT

    wanted = experiment.model_dump(mode="json", exclude={"description"})
    for config in sorted(Path(runs_dir).glob("*/config.yaml")):
        folder = config.parent
        if _recorded(config) != wanted:
            continue
        state = run_state(folder)
        if state == "complete":
            return load_run(folder), "reused"
        if state != "running" and (folder / CHECKPOINT).is_file():
            # Its config equals the experiment the caller gave, so the caller named its factory.
            model = experiment.model
            trust = [model.factory] if isinstance(model, FactoryModel) else []
            return resume_run(folder, callbacks=callbacks, verbose=verbose, trust=trust), "resumed"
        if state != "running":
            shutil.rmtree(folder)  # cut short before its first checkpoint: start it again
    return run_experiment(experiment, runs_dir=runs_dir, callbacks=callbacks, verbose=verbose), "trained"


def _recorded(config: Path) -> dict[str, Any] | None:
    """The experiment a run folder's ``config.yaml`` records, validated again so that a folder
    written when the model section listed every zoo option (null or not) still matches; None
    when it does not validate."""
    from fitbench.runs import RunConfig
    from fitbench.runs._read import parse

    try:
        document = experiment_part(parse(config, RunConfig).model_dump(mode="json"))
        return validate(Experiment, document, where=str(config)).model_dump(mode="json", exclude={"description"})
    except FitbenchError:
        return None


def resume_run(
    folder: str | Path,
    *,
    epochs: int | None = None,
    callbacks: list[keras.callbacks.Callback] | None = None,
    verbose: bool = True,
    trust: list[str] | tuple[str, ...] = (),
) -> Run:
    """Continue a killed or interrupted run from its folder's config and last checkpoint.

    ``trust``: the ``module:function`` factories the caller names; the run's ``model.factory``
    is imported only when it is one of them. A run folder alone never makes fitbench import code.
    """
    from fitbench.models._factory import check_trust_names, check_trusted
    from fitbench.runs import load_saved_run
    from fitbench.runs._folder import resumable

    check_trust_names(trust)
    config = load_saved_run(resumable(Path(folder))).config
    model, dataset_section = (section if isinstance(section, dict) else {}
                              for section in (config.get("model"), config.get("dataset")))
    if model.get("python") or dataset_section.get("name") == "arrays":
        raise FitbenchError(
            f"{folder}: this run was trained from Python objects the folder does not keep; "
            "resume it in Python with fb.fit(model, data, ..., resume=path)"
        )
    if isinstance(model.get("factory"), str):
        check_trusted(model["factory"], trust, where=str(Path(folder) / "config.yaml"))
    if epochs is not None:
        training = config.get("training")
        config["training"] = {**(training if isinstance(training, dict) else {}), "epochs": epochs}
    experiment = validate(Experiment, experiment_part(config), where=str(Path(folder) / "config.yaml"))
    data = load_from_config(experiment.dataset)
    built = build_from_config(experiment.model, data, seed=experiment.training.seed)
    return train(built, data, experiment.training, name=experiment.name,
                 model_config=experiment.model.model_dump(mode="json"), callbacks=callbacks,
                 verbose=verbose, resume=folder)


def experiment_part(config: dict[str, Any]) -> dict[str, Any]:
    """The experiment in a run's config snapshot, without what training added (``compiled``:
    what was used; the record's own keys)."""
    return {key: config[key] for key in Experiment.model_fields if key in config}


def check_model(config: ModelConfig, *, where: str) -> None:
    """Refuse at once, before any data is loaded, a model factory that does not import.

    Validating an experiment imports neither Keras nor the user's code; the factory's module
    is first imported here, by the code that will call it.
    """
    if isinstance(config, FactoryModel):
        try:
            resolve_factory(config.factory)
        except ConfigError as error:
            raise ConfigError(f"{where}: model.factory: {error}") from None


def build_from_config(config: ModelConfig, dataset: Dataset, *, seed: int) -> keras.Model:
    """The model an experiment file's ``model`` section describes, with seeded weights."""
    if isinstance(config, ZooModel):
        return build_model(config.name(), dataset, seed=seed, **config.zoo_kwargs())
    keras.utils.set_random_seed(seed)
    if isinstance(config, LayersModel):
        layers = [layer.model_dump() for layer in config.layers]
        return build_from_layers(layers, dataset.input_shape, dataset.num_classes)
    if isinstance(config, FactoryModel):
        return build_from_factory(config.factory, dataset.input_shape, dataset.num_classes, config.kwargs)
    raise ValueError(f"model section has nothing to build from: {config}")  # a Python model: fb.fit builds it
