"""Put the rules together: ``diagnose`` a run folder, ``check_arrays`` before training."""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fitbench.diagnosis._curves import (
    divergence,
    metric_loss_disagree,
    overfitting,
    scale_mismatch_in_history,
    underfitting,
)
from fitbench.diagnosis._finding import Finding, by_severity
from fitbench.diagnosis._inputs import (
    DIGITS,
    double_scaling,
    flip_modes,
    label_changing_augmentation,
    normalizes_inside,
    rescalings,
    scale_mismatch,
    unscaled_inputs,
    value_ranges,
)
from fitbench.diagnosis._scores import (
    noisy_validation,
    test_leakage_in_arrays,
    test_leakage_in_config,
    test_leakage_in_records,
)
from fitbench.diagnosis._stopping import no_best_weights, noisy_stop
from fitbench.errors import FitbenchError, FitbenchWarning

if TYPE_CHECKING:
    from fitbench.data import Dataset
    from fitbench.runs import Run

_RAW_MAX = {"mnist": 255.0, "fashion_mnist": 255.0, "idx": 255.0, "digits": 16.0}


def _optimizer_used(config: dict[str, Any]) -> dict[str, Any]:
    """The learning rate and optimizer the run trained with: config.yaml's ``compiled`` record
    (a compiled model's own may differ from the training section, which leaves them null)."""
    used = config.get("compiled") or config.get("training") or {}
    rate = used.get("learning_rate")
    return {"learning_rate": rate if isinstance(rate, (int, float)) else None, "optimizer": used.get("optimizer")}


def diagnose(run: Run | str | Path) -> list[Finding]:
    """Findings about a run, most serious first, from its folder: config, history, metrics, and
    the saved model where a rule needs it and it loads. The data is never reloaded."""
    run = _as_run(run)
    history, metrics, config = run.history, run.metrics, run.config
    training = config.get("training") or {}
    stopping = training.get("early_stopping")
    stopped = bool(metrics.get("stopped_early"))
    splits = metrics.get("splits") or {}
    found = [
        scale_mismatch_in_history(history, classes=_classes(splits)),
        divergence(history, **_optimizer_used(config)),
        overfitting(history, early_stopping=stopping, stopped_early=stopped),
        underfitting(history),
        no_best_weights(history, stopping, best_epoch=metrics.get("best_epoch")),
        noisy_stop(history, stopping, stopped_early=stopped),
        noisy_validation(splits["val"]["n"], splits["val"]["accuracy"]) if splits.get("val") else None,
        test_leakage_in_records(splits),
        test_leakage_in_config(config),
        metric_loss_disagree(history),
        *_model_findings(run),
    ]
    return by_severity(_drop_meaningless([finding for finding in found if finding is not None]))


# With inputs on different scales or a diverged loss, the curves' shapes say nothing about
# over- or under-fitting: report the cause alone.
_BROKEN = ("scale_mismatch", "divergence")
_CURVE_SHAPES = ("overfitting", "underfitting", "noisy_stop", "metric_loss_disagree")


def _drop_meaningless(findings: list[Finding]) -> list[Finding]:
    if not any(finding.code in _BROKEN for finding in findings):
        return findings
    return [finding for finding in findings if finding.code not in _CURVE_SHAPES]


def _classes(splits: Mapping[str, Any]) -> int:
    recorded = next(iter(splits.values()), None)
    return len(recorded["confusion_matrix"]) if recorded else 10


def _as_run(run: Run | str | Path) -> Run:
    if isinstance(run, (str, Path)):
        from fitbench.runs import load_run

        return load_run(run)
    return run


def _model_findings(run: Run) -> list[Finding | None]:
    """Scaling and augmentation rules: the model's layers against the data's range from the config."""
    try:
        model = run.model
    except FitbenchError:  # no model.keras (failed or killed run): these rules need it
        return []
    dataset = run.config.get("dataset") or {}
    found = [label_changing_augmentation(flip_modes(model), _class_names(dataset))]
    input_max = _input_max(dataset)
    if input_max is not None:  # None: arrays from Python, range unknown (checked before training)
        found += [unscaled_inputs(input_max, scales_inside=normalizes_inside(model)),
                  double_scaling(input_max, rescalings(model))]
    return found


def _input_max(dataset: Mapping[str, Any]) -> float | None:
    name = dataset.get("name")
    if name not in _RAW_MAX:
        return None
    return 1.0 if dataset.get("normalize", True) else _RAW_MAX[name]


def _class_names(dataset: Mapping[str, Any]) -> tuple[str, ...]:
    # fitbench names the classes of every data set but Fashion-MNIST "0".."9".
    if dataset.get("name") == "fashion_mnist":
        return ("T-shirt/top", "Trouser")
    classes = dataset.get("num_classes") or 10
    return DIGITS[:classes] if classes <= 10 else tuple(str(k) for k in range(classes))


def check_arrays(model: Any, dataset: Dataset) -> list[Finding]:
    """Findings about the arrays and the model before training: the scale of each split,
    scaling layers, label-changing augmentation, validation images that are test images."""
    ranges, leakage = _array_facts(dataset)
    input_max = ranges["train"][1] if "train" in ranges else 1.0
    found = [
        scale_mismatch(ranges),
        unscaled_inputs(input_max, scales_inside=normalizes_inside(model)),
        double_scaling(input_max, rescalings(model)),
        label_changing_augmentation(flip_modes(model), dataset.class_names),
        leakage,
    ]
    return by_severity([finding for finding in found if finding is not None])


# What the arrays alone tell, per Dataset: a study's trials check the same arrays many times.
_FACTS: weakref.WeakKeyDictionary[Dataset, tuple[dict[str, tuple[float, float]], Finding | None]] = \
    weakref.WeakKeyDictionary()


def _array_facts(dataset: Dataset) -> tuple[dict[str, tuple[float, float]], Finding | None]:
    """The value range of each split, and whether validation images are test images."""
    if dataset not in _FACTS:
        splits = {name: dataset.split(name)[0] for name in ("train", "val", "test")}  # type: ignore[arg-type]
        _FACTS[dataset] = (value_ranges(splits), test_leakage_in_arrays(dataset.x_val, dataset.x_test))
    return _FACTS[dataset]


def check_before_training(model: Any, dataset: Dataset) -> list[Finding]:
    """``check_arrays``, each error and warning also raised as a ``FitbenchWarning`` (training goes on)."""
    findings = check_arrays(model, dataset)
    for finding in findings:
        if finding.severity != "info":
            warnings.warn(finding.line(), FitbenchWarning, stacklevel=4)  # points at the user's fit() call
    return findings
