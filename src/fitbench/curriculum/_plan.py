"""The course's experiments, in the course's order, and how a run of them is adapted:
another data set, ``--quick``, several seeds."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from fitbench.config import read_yaml
from fitbench.config._load import switch_dataset
from fitbench.errors import ConfigError, did_you_mean


@dataclass(frozen=True)
class Step:
    """One experiment of the course: ``try05`` etc., with what it changes and why."""

    id: str
    title: str
    kind: Literal["train", "cv", "tune"]
    change: str  # what changed from the previous step, in the course's words


STEPS = (
    Step("try01-small-data", "Small data", "train", "the first network on 1,000 training and 200 validation images"),
    Step("try02-more-data", "More data", "train", "all the training images instead of 1,000"),
    Step("try03-flip-rotation", "Flip + rotation", "train", "back to small data, with random flips and rotations"),
    Step("try03b-rotation", "Rotation only", "train", "rotation without the flip"),
    Step("try04-smaller-model", "Smaller model", "train", "a 64-32 network instead of 128-128"),
    Step("try05-early-stopping", "Early stopping", "train", "all the data, no augmentation, early stopping"),
    Step("try06-dropout-0.2", "Dropout 0.2", "train", "the 128-128 network with dropout 0.2"),
    Step("try06-dropout-0.5", "Dropout 0.5", "train", "dropout 0.5 instead of 0.2"),
    Step("try06-l2", "L2 regularisation", "train", "an L2 weight penalty instead of dropout"),
    Step("try07-rescaling", "Rescaling inside the model", "train", "raw pixels in, a Rescaling layer first"),
    Step("try08-functional", "Functional API", "train", "the small model written with the Functional API"),
    Step("try08-bypass", "Bypass network", "train", "a two-branch network: the input joined to a wide reconstruction of itself"),
    Step("try09-subclass", "Model subclassing", "train", "the small model as a keras.Model subclass"),
    Step("try10-cross-validation", "Cross-validation", "cv", "5 stratified folds of all the training images"),
    Step("try11-tuning", "Tuning with Optuna", "tune", "a search over layer count, sizes and init seed"),
)

# --quick: small enough to run everything in about a minute, still the course's order.
QUICK_EPOCHS = 2
QUICK_TRAIN, QUICK_SMALL_TRAIN, QUICK_VAL, QUICK_SMALL_VAL = 1000, 300, 300, 100
QUICK_FOLDS, FOLDS = 3, 5
QUICK_TRIALS, TRIALS = 3, 10


def select(only: str | None) -> list[Step]:
    """The steps to run: all, or those named in ``--only try05,try06`` (prefixes match)."""
    if not only:
        return list(STEPS)
    wanted = [name.strip() for name in only.split(",") if name.strip()]
    chosen = [step for step in STEPS if any(step.id.startswith(name) for name in wanted)]
    unknown = [name for name in wanted if not any(step.id.startswith(name) for step in STEPS)]
    if unknown or not chosen:
        name = unknown[0] if unknown else only
        raise ConfigError(f"--only: no experiment {name!r}{did_you_mean(name, [s.id for s in STEPS])}; "
                          f"expected names like try01, try05, try06-dropout")
    return chosen


def document(step: Step) -> dict[str, Any]:
    """The step's experiment file, as shipped (tuning: the bundled course study)."""
    folder = resources.files("fitbench") / "experiments"
    path = folder / "tuning" / "tune.yaml" if step.kind == "tune" else folder / "curriculum" / f"{step.id}.yaml"
    return read_yaml(Path(str(path)))


def adapt(doc: dict[str, Any], *, dataset: str | None, data_dir: str | None, quick: bool, seed_offset: int = 0,
          name: str | None = None) -> dict[str, Any]:
    """The document for this run of the curriculum: data set, quick sizes, seed."""
    result = copy.deepcopy(doc)
    if name:
        result["name"] = name
    if dataset:
        result = switch_dataset(result, dataset)
    if data_dir:
        result["dataset"]["data_dir"] = data_dir
    if quick:
        _shrink(result)
    result["training"]["seed"] = int(result["training"].get("seed", 42)) + seed_offset
    return result


def _shrink(doc: dict[str, Any]) -> None:
    dataset, training = doc["dataset"], doc["training"]
    small = dataset.get("train_limit") is not None and dataset["train_limit"] <= 1000
    dataset["train_limit"] = min(dataset.get("train_limit") or 10**9, QUICK_SMALL_TRAIN if small else QUICK_TRAIN)
    dataset["val_limit"] = min(dataset.get("val_limit") or 10**9, QUICK_SMALL_VAL if small else QUICK_VAL)
    training["epochs"] = min(int(training.get("epochs", 25)), QUICK_EPOCHS)
