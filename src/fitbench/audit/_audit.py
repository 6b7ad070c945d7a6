"""``find_label_issues``: train k models on stratified folds (fitbench's cross-validation, whose
folds are ordinary run folders), take each image's probabilities from the models that never saw
it, as the runs saved them, and let confident learning (cleanlab) rank the doubtful labels."""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from fitbench.audit._issues import LabelIssues, Suspect
from fitbench.config import DatasetConfig, Experiment, FactoryModel, PythonModel, load_experiment, validate
from fitbench.errors import ConfigError
from fitbench.runs import SavedRun, load_saved_run

if TYPE_CHECKING:
    from fitbench.crossval import CrossValidation

FOLDS = 5


class OutOfSample(NamedTuple):
    """Every audited image: given label, probabilities from models that did not train on it,
    where it sits in the source, and where to find its pixels (fold run and split position)."""

    labels: np.ndarray  # (n,)
    probabilities: np.ndarray  # (n, classes) float64, rows summing to 1
    positions: np.ndarray  # (n,) in the source's order
    splits: list[str]  # "val" (a fold's held-out images) or "test"
    fold: np.ndarray  # (n,) the fold run that holds the pixels
    where: np.ndarray  # (n,) position in that run's split


def find_label_issues(
    dataset_or_run: str | Path | SavedRun | CrossValidation,
    folds: int | None = None,
    *,
    experiment: str | Path = "first",
    overrides: list[str] | None = None,
    data_dir: str | Path | None = None,
    runs_dir: str | Path = "runs",
    verbose: bool = False,
) -> LabelIssues:
    """Suspect labels of a data set, most doubtful first.

    Args:
        dataset_or_run: a ``--dataset`` spec (``"digits"``, ``"idx:FOLDER"``, ``"folder:DIR"``,
            ``"csv:FILE"``...) audited with ``experiment``, or a run folder, whose data set is
            audited with the run's own experiment, or a cross-validation (``cross_validate``'s
            result), whose fold runs are the folds: nothing is trained, and the CSV and page go
            beside its ``crossval.json``.
        folds: k of the k-fold training (default 5; a cross-validation has its own); every image
            of the train and validation splits is held out by one fold; test images get the mean
            probabilities of the k models.
        experiment, overrides, data_dir: as ``fitbench cv`` takes them (e.g. ``["training.epochs=3"]``).
        runs_dir: the folds' run folders go to ``RUNS_DIR/audit-<dataset>``. Folds already
            trained there are reused, and their saved predictions read: nothing is predicted again.
    """
    if not isinstance(dataset_or_run, (str, PathLike, SavedRun)):
        return _from_cross_validation(dataset_or_run, folds, overrides, data_dir)
    folds = FOLDS if folds is None else folds
    if folds < 2:
        raise ConfigError(f"folds: expected at least 2 folds, got {folds}")
    chosen = _settled(_experiment(dataset_or_run, experiment, overrides, data_dir))
    from fitbench.crossval import cross_validate  # imports Keras

    out = Path(runs_dir) / f"audit-{dataset_label(chosen.dataset)}"
    runs = cross_validate(chosen, folds, runs_dir=out, verbose=verbose).runs
    return rank(out_of_sample(chosen.dataset, runs), runs, chosen.dataset, out)


def _from_cross_validation(cv: CrossValidation, folds: int | None, overrides: list[str] | None,
                           data_dir: str | Path | None) -> LabelIssues:
    """The suspects of the data set a cross-validation trained on, from its fold runs' saved predictions."""
    from fitbench.crossval import CrossValidation

    if not isinstance(cv, CrossValidation):
        raise ConfigError(f"find_label_issues(): got a {type(cv).__name__}; expected a data set spec such as "
                          "\"digits\", a run folder or a cross-validation (cross_validate's result)")
    if folds not in (None, len(cv.runs)):
        raise ConfigError(f"find_label_issues(): folds={folds}, but the cross-validation has {len(cv.runs)} folds; "
                          "leave folds out")
    if overrides or data_dir is not None:
        raise ConfigError("find_label_issues(): overrides and data_dir apply to a data set, not to a cross-validation")
    recorded = validate(DatasetConfig, cv.runs[0].config["dataset"], where=str(cv.runs[0].path / "config.yaml"))
    whole = recorded.model_copy(update={"folds": None, "fold": None})  # the fold runs' data set, whole again
    return rank(out_of_sample(whole, cv.runs), cv.runs, whole, cv.runs[0].path.parent)


def _experiment(dataset_or_run: str | Path | SavedRun, experiment: str | Path, overrides: list[str] | None,
                data_dir: str | Path | None) -> Experiment:
    if isinstance(dataset_or_run, SavedRun) or (Path(dataset_or_run) / "config.yaml").is_file():
        if overrides or data_dir is not None:
            raise ConfigError("find_label_issues(): overrides and data_dir apply to a data set, not to a run folder")
        return _experiment_of_run(load_saved_run(dataset_or_run))
    return load_experiment(experiment, overrides, dataset=str(dataset_or_run), data_dir=data_dir)


def _experiment_of_run(run: SavedRun) -> Experiment:
    """The run's experiment, its data set whole again when the run was itself one fold."""
    document: dict[str, Any] = {key: run.config[key] for key in Experiment.model_fields if key in run.config}
    experiment = validate(Experiment, document, where=str(run.path / "config.yaml"))
    if isinstance(experiment.model, (FactoryModel, PythonModel)):
        raise ConfigError(f"{run.path}: its model came from Python code, which a run folder never makes "
                          "fitbench run; audit its data set with its experiment file: "
                          "fitbench audit SPEC --experiment FILE")
    if experiment.dataset.folds is None:
        return experiment
    # cross_validate named it <experiment>-fold<k>: the experiment again, so its folds are reused
    whole = experiment.dataset.model_copy(update={"folds": None, "fold": None})
    return experiment.model_copy(update={"dataset": whole, "name": re.sub(r"-fold\d+$", "", experiment.name)})


def _settled(experiment: Experiment) -> Experiment:
    """A folder's data set as its runs record it (image size, colour mode and class names
    filled in), so that folds trained before are recognised and reused."""
    if experiment.dataset.name != "folder":
        return experiment
    from fitbench.data import load_from_config

    settled = load_from_config(experiment.dataset).config
    return experiment.model_copy(update={"dataset": settled})


def dataset_label(config: DatasetConfig) -> str:
    """``digits``, ``idx-mnist``, ``folder-pets``: the data set's name and the file or folder it reads."""
    place = config.path or config.images
    stem = "" if place is None else "-" + re.sub(r"[^A-Za-z0-9._-]+", "_", Path(place).name.split(".")[0])[:40]
    return f"{config.name}{stem}"


def out_of_sample(dataset: DatasetConfig, runs: list[Any]) -> OutOfSample:
    """Each fold run's saved validation predictions (its held-out fold), and on the test split
    the mean of the runs' saved test predictions."""
    from fitbench.data import source_positions

    folds = len(runs)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, str, int, np.ndarray]] = []
    for fold, run in enumerate(runs):
        saved = run.record.predictions("val")
        held = source_positions(dataset.model_copy(update={"folds": folds, "fold": fold}))["val"]
        parts.append((saved.labels, saved.probabilities, held[saved.indices], "val", fold, saved.indices))
    tests = [run.record.predictions("test") for run in runs]
    if len(tests[0].labels):
        mean = np.mean([saved.probabilities[np.argsort(saved.indices)] for saved in tests], axis=0)
        order = np.sort(tests[0].indices)
        positions = source_positions(dataset)["test"][order]
        parts.append((tests[0].labels[np.argsort(tests[0].indices)], mean, positions, "test", 0, order))
    probabilities = np.concatenate([part[1] for part in parts]).astype(np.float64)
    return OutOfSample(
        labels=np.concatenate([part[0] for part in parts]).astype(np.int64),
        probabilities=probabilities / probabilities.sum(axis=1, keepdims=True),  # saved as float16
        positions=np.concatenate([part[2] for part in parts]),
        splits=[part[3] for part in parts for _ in part[0]],
        fold=np.concatenate([np.full(len(part[0]), part[4]) for part in parts]),
        where=np.concatenate([part[5] for part in parts]),
    )


def rank(seen: OutOfSample, runs: list[Any], dataset: DatasetConfig, folder: Path) -> LabelIssues:
    """cleanlab's confident learning on ``seen``: its per-class thresholds (each class's mean
    self-confidence) pick the suspects, ranked by the probability of their given label."""
    from cleanlab.filter import find_label_issues as confident_learning
    from fitbench.data import source_files

    order = confident_learning(seen.labels, seen.probabilities, return_indices_ranked_by="self_confidence",
                                n_jobs=1)  # no fork: JAX is multithreaded
    files = source_files(runs[0].data.config or dataset)
    suspects = [_suspect(seen, int(i), files) for i in order]
    images = _pixels(seen, order, runs)
    data = runs[0].data
    return LabelIssues(suspects, images, tuple(data.class_names), len(seen.labels), len(runs), dataset_label(dataset),
                       folder)


def _suspect(seen: OutOfSample, i: int, files: list[str] | None) -> Suspect:
    given, p = int(seen.labels[i]), seen.probabilities[i]
    others = np.where(np.arange(len(p)) == given, -1.0, p)  # the best class other than the given one
    suggested = int(others.argmax())
    position = int(seen.positions[i])
    return Suspect(position, seen.splits[i], files[position] if files is not None else None, given, suggested,
                   float(p[suggested]), float(p[given]))


def _pixels(seen: OutOfSample, order: np.ndarray, runs: list[Any]) -> np.ndarray:
    """The suspects' images, as the fold runs' data sets hold them (loaded only for folds that have suspects)."""
    images: dict[int, np.ndarray] = {}
    for fold, run in enumerate(runs):
        mine = [int(i) for i in order if seen.fold[i] == fold]
        if mine:
            data = run.data
            images.update({i: data.split(seen.splits[i])[0][seen.where[i]] for i in mine})
    if not images:
        return np.zeros((0, *runs[0].data.input_shape), np.float32)
    return np.stack([images[int(i)] for i in order])
