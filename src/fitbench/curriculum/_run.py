"""Run the course's experiments in order, resumably, with one progress display.

Each step trains into ``<out>/<step id>/``; a rerun of the same command reuses complete
runs, resumes a cut-short one from its checkpoint, and trains the rest. The numbers of
every step go to ``<out>/curriculum.json``; the report is built from that and the run
folders alone.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fitbench import _io
from fitbench._keras import keras
from fitbench.config import Experiment, validate
from fitbench.curriculum import _plan
from fitbench.curriculum._plan import Step
from fitbench.curriculum._report import SUMMARY, load_step_runs



@dataclass
class Clock:
    """Elapsed time, and what is left estimated from the epochs still to train."""

    total_epochs: int
    done_epochs: int = 0
    start: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def left(self) -> float | None:
        if self.done_epochs == 0:
            return None
        return self.elapsed() / self.done_epochs * max(self.total_epochs - self.done_epochs, 0)


class StepProgress(keras.callbacks.Callback):
    """One line per epoch: experiment i of n, seed, epoch, time so far, estimate of what is left."""

    def __init__(self, clock: Clock, label: str, epochs: int) -> None:
        super().__init__()
        self.clock, self.label, self.epochs = clock, label, epochs

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.clock.done_epochs += 1
        val = (logs or {}).get("val_accuracy")
        score = f"  val accuracy {val:.4f}" if val is not None else ""
        left = self.clock.left()
        print(f"{self.label} epoch {epoch + 1}/{self.epochs}{score}  elapsed {_clock(self.clock.elapsed())}"
              f"  left ~{_clock(left) if left is not None else '?'}", flush=True)


def run_curriculum(
    *,
    dataset: str | None = None,
    data_dir: str | None = None,
    seeds: int = 1,
    quick: bool = False,
    only: str | None = None,
    out: str | Path = "runs/curriculum",
) -> dict[str, Any]:
    """Run the course's experiments (all, or ``only`` some) and write ``<out>/report.html``."""
    from fitbench.curriculum._report import write_curriculum_report

    out = Path(out)
    steps = _plan.select(only)
    plans = {step.id: [_experiment(step, dataset, data_dir, quick, seed) for seed in range(seeds)] for step in steps}
    clock = Clock(total_epochs=sum(_epochs(step, plan[0], quick, seeds) for step, plan in
                                   zip(steps, plans.values())))
    summary = {"dataset": dataset or "mnist", "seeds": seeds, "quick": quick, "steps": []}
    counts = {"trained": 0, "reused": 0, "resumed": 0}
    for index, step in enumerate(steps, start=1):
        label = f"[{index:2d}/{len(steps)}] {step.id}"
        began = clock.elapsed()
        record = _run_step(step, plans[step.id], out / step.id, clock, label, quick, counts)
        record["seconds"] = clock.elapsed() - began  # wall clock of this invocation, loading and saving included
        summary["steps"].append(record)
        _io.write_json(out / SUMMARY, summary)
        if record.get("interrupted"):
            print(f"curriculum interrupted in {step.id}; run the same command again to continue", file=sys.stderr)
            break
    summary["elapsed_s"] = clock.elapsed()
    _io.write_json(out / SUMMARY, summary)
    report = write_curriculum_report(out)
    print(f"curriculum: {len(summary['steps'])} of {len(steps)} experiments in {_clock(clock.elapsed())} "
          f"({counts['trained']} trained, {counts['resumed']} resumed, {counts['reused']} already done); "
          f"report: {report}", flush=True)
    return summary


def _experiment(step: Step, dataset: str | None, data_dir: str | None, quick: bool, seed: int) -> dict[str, Any]:
    document = _plan.adapt(_plan.document(step), dataset=dataset, data_dir=data_dir, quick=quick, seed_offset=seed,
                           name=step.id)
    if step.kind == "tune":
        return document  # the tuning file has its own schema, validated by fitbench.tune
    return validate(Experiment, document, where=f"{step.id}.yaml").model_dump(mode="json")


def _epochs(step: Step, document: dict[str, Any], quick: bool, seeds: int) -> int:
    epochs = int(document["training"]["epochs"])
    if step.kind == "cv":
        return epochs * (_plan.QUICK_FOLDS if quick else _plan.FOLDS)
    if step.kind == "tune":
        return epochs * (_plan.QUICK_TRIALS if quick else _plan.TRIALS)
    return epochs * seeds


def _run_step(step: Step, documents: list[dict[str, Any]], folder: Path, clock: Clock, label: str,
              quick: bool, counts: dict[str, int]) -> dict[str, Any]:
    if step.kind == "cv":
        return _cv_step(step, documents[0], folder, clock, label, quick)
    if step.kind == "tune":
        return _tune_step(step, documents[0], folder, clock, label, quick)
    from fitbench.training import run_or_reuse

    runs = []
    for seed, document in enumerate(documents, start=1):
        experiment = Experiment.model_validate(document)
        progress = StepProgress(clock, f"{label} seed {seed}/{len(documents)}", experiment.training.epochs)
        run, how = run_or_reuse(experiment, runs_dir=folder, callbacks=[progress], verbose=False)
        counts[how] += 1
        if how == "reused":
            clock.done_epochs += experiment.training.epochs
            print(f"{label} seed {seed}/{len(documents)}: already done ({run.path})", flush=True)
        runs.append(run)
        if run.metrics.interrupted:
            break
    return {"id": step.id, "kind": step.kind, "runs": [str(run.path) for run in runs],
            "interrupted": any(run.metrics.interrupted for run in runs)}


def _cv_step(step: Step, document: dict[str, Any], folder: Path, clock: Clock, label: str,
             quick: bool) -> dict[str, Any]:
    from fitbench.crossval import cross_validate

    experiment = Experiment.model_validate(document)
    folds = _plan.QUICK_FOLDS if quick else _plan.FOLDS

    def on_fold(fold: int) -> list[Any]:
        return [StepProgress(clock, f"{label} fold {fold + 1}/{folds}", experiment.training.epochs)]

    result = cross_validate(experiment, folds, runs_dir=folder, verbose=False, on_fold=on_fold)
    print(f"{label}: {result.summary()}", flush=True)
    return {"id": step.id, "kind": step.kind, "runs": [str(run.path) for run in result.runs],
            "crossval": result.to_dict()}


def _tune_step(step: Step, document: dict[str, Any], folder: Path, clock: Clock, label: str,
               quick: bool) -> dict[str, Any]:
    from fitbench.tuning import best_trial, tune
    from fitbench.tuning._tune import TEST_ATTR

    trials = _plan.QUICK_TRIALS if quick else _plan.TRIALS
    print(f"{label}: {trials} Optuna trials, scored on validation", flush=True)
    study = tune(document, trials=trials, runs_dir=folder, study=step.id, verbose=False, progress=False)
    clock.done_epochs += trials * int(document["training"]["epochs"])
    best = best_trial(study)
    run = best.user_attrs.get("run") if best is not None else None
    print(f"{label}: best trial {best.number if best else '-'}, validation macro F1 "
          f"{best.value if best else float('nan'):.4f}", flush=True)
    return {"id": step.id, "kind": step.kind, "runs": [run] if run else [],
            "tuning": {"storage": f"sqlite:///{folder / 'studies.db'}", "study": step.id, "trials": len(study.trials),
                       "best_trial": best.number if best else None, "best_value": best.value if best else None,
                       "best_params": dict(best.params) if best else {}, "test": study.user_attrs.get(TEST_ATTR)}}


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"
