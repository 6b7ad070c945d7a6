"""Put the rules together: ``diagnose`` a run folder, ``check_arrays`` before training."""

from __future__ import annotations

import warnings
import weakref
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
from fitbench.diagnosis._leakage import leakage
from fitbench.diagnosis._inputs import (
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
from fitbench.leaks import Leak, find_leaks
from fitbench.runs import load_saved_run
from fitbench.runs._record import CONFIG, FINDINGS, HISTORY, METRICS

if TYPE_CHECKING:
    from fitbench.data import Dataset
    from fitbench.runs import SavedRun


def _optimizer_used(config: dict[str, Any]) -> dict[str, Any]:
    """The learning rate and optimizer the run trained with: config.yaml's ``compiled`` record
    (a compiled model's own may differ from the training section, which leaves them null)."""
    used = config.get("compiled") or config.get("training") or {}
    rate = used.get("learning_rate")
    return {"learning_rate": rate if isinstance(rate, (int, float)) else None, "optimizer": used.get("optimizer")}


def diagnose(run: SavedRun | str | Path) -> list[Finding]:
    """Findings about a run, most serious first, from its folder alone: the findings of the
    checks before training, then rules on config, history and metrics. Neither the model nor
    the data is loaded. A damaged metrics.json is a finding, never silence."""
    run = load_saved_run(run)
    history, metrics, config = run.history, run.metrics, run.config
    training = config.get("training") or {}
    stopping = training.get("early_stopping")
    splits = metrics.splits
    val = splits.get("val")
    found = [
        *saved_findings(run),
        scale_mismatch_in_history(history, classes=metrics.classes or 10),
        divergence(history, **_optimizer_used(config)),
        overfitting(history, early_stopping=stopping, stopped_early=metrics.stopped_early),
        underfitting(history),
        no_best_weights(history, stopping, best_epoch=metrics.best_epoch),
        noisy_stop(history, stopping, stopped_early=metrics.stopped_early),
        noisy_validation(val.n, val.accuracy) if val else None,
        test_leakage_in_records(val, splits.get("test")),
        test_leakage_in_config(config),
        metric_loss_disagree(history),
    ]
    return by_severity(_drop_meaningless(_first_of_each([finding for finding in found if finding is not None])))


# The files a diagnosis reads: damage to one of them would silently hide findings.
_READ = (CONFIG, HISTORY, METRICS, FINDINGS)


def saved_findings(run: SavedRun) -> list[Finding]:
    """The checks' findings saved before training, and one for each damaged file diagnosis reads."""
    saved = run.record.findings.before_training if run.record.findings else []
    damaged = [Finding("damaged_folder", "error", problem, f"in {run.path}",
                       "the diagnosis cannot see what that file held; rerun the training")
               for problem in run.problems if problem.startswith(_READ)]
    return [*damaged, *(Finding(f.code, f.severity, f.verdict, f.evidence, f.advice, {"pairs": f.pairs})
                        for f in saved)]


def _first_of_each(findings: list[Finding]) -> list[Finding]:
    # A rule that ran before training and again on the records (test leakage) says it once.
    seen: set[str] = set()
    kept = []
    for finding in findings:
        if finding.code == "damaged_folder" or finding.code not in seen:
            kept.append(finding)
            seen.add(finding.code)
    return kept


# With inputs on different scales or a diverged loss, the curves' shapes say nothing about
# over- or under-fitting: report the cause alone.
_BROKEN = ("scale_mismatch", "divergence")
_CURVE_SHAPES = ("overfitting", "underfitting", "noisy_stop", "metric_loss_disagree")


def _drop_meaningless(findings: list[Finding]) -> list[Finding]:
    if not any(finding.code in _BROKEN for finding in findings):
        return findings
    return [finding for finding in findings if finding.code not in _CURVE_SHAPES]


def check_arrays(model: Any, dataset: Dataset) -> list[Finding]:
    """Findings about the arrays and the model before training: the scale of each split,
    scaling layers, label-changing augmentation, validation images that are test images,
    images of one split copied into another."""
    ranges, test_leakage, leaks = _array_facts(dataset)
    input_max = ranges["train"][1] if "train" in ranges else 1.0
    found = [
        scale_mismatch(ranges),
        unscaled_inputs(input_max, scales_inside=normalizes_inside(model)),
        double_scaling(input_max, rescalings(model)),
        label_changing_augmentation(flip_modes(model), dataset.class_names),
        test_leakage,
        leakage(leaks),
    ]
    return by_severity([finding for finding in found if finding is not None])


# What the arrays alone tell, per Dataset: a study's trials check the same arrays many times.
_Facts = tuple[dict[str, tuple[float, float]], Finding | None, list[Leak]]
_FACTS: weakref.WeakKeyDictionary[Dataset, _Facts] = weakref.WeakKeyDictionary()


def _array_facts(dataset: Dataset) -> _Facts:
    """The value range of each split, whether validation images are test images, and the
    copies across splits (about 4 s for 70,000 images: once per Dataset)."""
    if dataset not in _FACTS:
        splits = {name: dataset.split(name)[0] for name in ("train", "val", "test")}
        _FACTS[dataset] = (value_ranges(splits), test_leakage_in_arrays(dataset.x_val, dataset.x_test),
                           find_leaks(dataset))
    return _FACTS[dataset]


def copies_across_splits(dataset: Dataset) -> list[Leak]:
    """``fitbench.leaks.find_leaks(dataset)``, computed once per Dataset with the other checks."""
    return _array_facts(dataset)[2]


def check_before_training(model: Any, dataset: Dataset) -> list[Finding]:
    """``check_arrays``, each error and warning also raised as a ``FitbenchWarning`` (training goes on)."""
    findings = check_arrays(model, dataset)
    for finding in findings:
        if finding.severity != "info":
            warnings.warn(finding.line(), FitbenchWarning, stacklevel=4)  # points at the user's fit() call
    return findings
