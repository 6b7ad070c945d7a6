"""Run the course's experiments in order, resumably, with one progress display.

Each step trains into ``<out>/<step id>/``; a rerun of the same command reuses complete
runs, resumes a cut-short one from its checkpoint, and trains the rest. The numbers of
every step go to ``<out>/curriculum.json``; the report is built from that and the run
folders alone. The cross-validation step also audits the data set's labels from its folds
(no more training, so nothing for the plan's estimate): ``label_issues.html`` beside them,
linked from the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fitbench import _io
from fitbench._log import log
from fitbench.config import Experiment, validate
from fitbench.curriculum import _plan
from fitbench.curriculum._plan import Step
from fitbench.curriculum._report import SUMMARY
from fitbench.progress import Display, PlanEstimate, PlannedFit, TrainingProgress, choose_mode, clock, open_display

if TYPE_CHECKING:
    from fitbench.crossval import CrossValidation
    from fitbench.trained import Run


def run_curriculum(
    *,
    dataset: str | None = None,
    data_dir: str | None = None,
    seeds: int = 1,
    quick: bool = False,
    only: str | None = None,
    out: str | Path = "runs/curriculum",
    verbose: bool = True,
) -> dict[str, Any]:
    """Run the course's experiments (all, or ``only`` some) and write ``<out>/report.html``.

    ``verbose``: one progress display for every epoch of every experiment, and a line per
    tuning trial; False: nothing shown.
    """
    from fitbench.curriculum._report import write_curriculum_report

    out = Path(out)
    steps = _plan.select(only)
    plans = {step.id: [_experiment(step, dataset, data_dir, quick, seed) for seed in range(seeds)] for step in steps}
    fits = {step.id: _fits(step, plans[step.id], quick) for step in steps}
    estimate = PlanEstimate([fit for step in steps for fit in fits[step.id]])
    planned = 0  # fits of the steps so far
    display = open_display(choose_mode(verbose), total=estimate.total)
    summary: dict[str, Any] = {"dataset": dataset or "mnist", "seeds": seeds, "quick": quick, "steps": []}
    counts = {"trained": 0, "reused": 0, "resumed": 0}
    for index, step in enumerate(steps, start=1):
        label = f"[{index:2d}/{len(steps)}] {step.id}"
        began = estimate.elapsed()
        runs: list[Run] = []  # a trained step's runs as they end, the interrupted one included
        try:
            record = _run_step(step, plans[step.id], out / step.id, Shown(display, estimate, label, verbose), quick,
                               counts, runs)
        except KeyboardInterrupt:  # the runs are saved; record them, then stop the caller too
            display.close()
            _stopped(out, summary, step, runs, estimate.elapsed() - began)
            raise
        planned += len(fits[step.id])
        estimate.catch_up(planned)
        record["seconds"] = estimate.elapsed() - began  # wall clock of this invocation, loading and saving included
        summary["steps"].append(record)
        _io.write_json(out / SUMMARY, summary)
    display.close()
    summary["elapsed_s"] = estimate.elapsed()
    _io.write_json(out / SUMMARY, summary)
    report = write_curriculum_report(out)
    display.note(f"curriculum: {len(summary['steps'])} of {len(steps)} experiments in {clock(estimate.elapsed())} "
                 f"({counts['trained']} trained, {counts['resumed']} resumed, {counts['reused']} already done); "
                 f"report: {report}")
    return summary


def _stopped(out: Path, summary: dict[str, Any], step: Step, runs: list[Run], seconds: float) -> None:
    """Write what an interrupted curriculum did (its summary and report), so a rerun continues it."""
    from fitbench.curriculum._report import write_curriculum_report

    if runs:
        summary["steps"].append({"id": step.id, "kind": step.kind, "runs": [str(run.path) for run in runs],
                                 "interrupted": True, "seconds": seconds})
    if summary["steps"]:  # else stopped before any run was saved: nothing to record, `out` may not exist yet
        _io.write_json(out / SUMMARY, summary)
        write_curriculum_report(out)
    log.warning(f"curriculum interrupted in {step.id}; run the same command again to continue")


def _experiment(step: Step, dataset: str | None, data_dir: str | None, quick: bool, seed: int) -> dict[str, Any]:
    document = _plan.adapt(_plan.document(step), dataset=dataset, data_dir=data_dir, quick=quick, seed_offset=seed,
                           name=step.id)
    if step.kind == "tune":
        return document  # the tuning file has its own schema, validated by fitbench.tune
    return validate(Experiment, document, where=f"{step.id}.yaml").model_dump(mode="json")


def _fits(step: Step, documents: list[dict[str, Any]], quick: bool) -> list[PlannedFit]:
    """The trainings a step runs: a fit per seed, fold or trial, sized when its file limits the images."""
    document = documents[0]
    epochs, dataset = int(document["training"]["epochs"]), document.get("dataset") or {}
    images = dataset.get("train_limit")
    if step.kind == "cv":
        folds = _plan.QUICK_FOLDS if quick else _plan.FOLDS
        val = dataset.get("val_limit")  # a fold trains on (folds - 1) / folds of train + val
        return [PlannedFit(epochs, (images + val) * (folds - 1) // folds if images and val else None)] * folds
    if step.kind == "tune":
        return [PlannedFit(epochs, images)] * (_plan.QUICK_TRIALS if quick else _plan.TRIALS)
    return [PlannedFit(int(doc["training"]["epochs"]), (doc.get("dataset") or {}).get("train_limit"))
            for doc in documents]


class Shown:
    """One step's view of the curriculum's single display and time estimate."""

    def __init__(self, display: Display, estimate: PlanEstimate, label: str, verbose: bool) -> None:
        self.display, self.estimate, self.label, self.verbose = display, estimate, label, verbose

    def epochs(self, detail: str, epochs: int) -> TrainingProgress:
        """A callback showing each epoch of one training, ``[ i/n] step detail epoch e/E ...``."""
        return TrainingProgress(self.display, epochs, label=f"{self.label} {detail}", estimate=self.estimate)

    def note(self, text: str) -> None:
        self.display.note(f"{self.label}{text}")

    def skip(self, epochs: int, *, fits: int = 1, timed: bool = False) -> None:
        """``fits`` fits of ``epochs`` in all that ended without epoch by epoch progress here:
        reused (no time spent: the estimate learns nothing from them) or ``timed`` (a study's trials)."""
        self.estimate.skip(epochs)
        self.estimate.fits_ended(fits, timed=timed)
        self.display.skip(epochs)


def _run_step(step: Step, documents: list[dict[str, Any]], folder: Path, shown: Shown,
              quick: bool, counts: dict[str, int], runs: list[Run]) -> dict[str, Any]:
    """Run one step; a trained step appends each run to ``runs`` as it ends."""
    if step.kind == "cv":
        return _cv_step(step, documents[0], folder, shown, quick)
    if step.kind == "tune":
        return _tune_step(step, documents[0], folder, shown, quick)
    from fitbench.training import Interrupted, run_or_reuse

    for seed, document in enumerate(documents, start=1):
        experiment = Experiment.model_validate(document)
        progress = shown.epochs(f"seed {seed}/{len(documents)}", experiment.training.epochs)
        try:
            run, how = run_or_reuse(experiment, runs_dir=folder, callbacks=[progress], verbose=False)
        except Interrupted as interrupted:
            runs.append(interrupted.run)
            raise
        counts[how] += 1
        if how == "reused":
            shown.note(f" seed {seed}/{len(documents)}: already done ({run.path})")
            shown.skip(experiment.training.epochs)
        runs.append(run)
    return {"id": step.id, "kind": step.kind, "runs": [str(run.path) for run in runs]}


def _cv_step(step: Step, document: dict[str, Any], folder: Path, shown: Shown, quick: bool) -> dict[str, Any]:
    from fitbench.crossval import cross_validate

    experiment = Experiment.model_validate(document)
    folds = _plan.QUICK_FOLDS if quick else _plan.FOLDS

    def on_fold(fold: int) -> list[Any]:
        return [shown.epochs(f"fold {fold + 1}/{folds}", experiment.training.epochs)]

    result = cross_validate(experiment, folds, runs_dir=folder, verbose=False, on_fold=on_fold)
    shown.note(f": {result.summary()}")
    return {"id": step.id, "kind": step.kind, "runs": [str(run.path) for run in result.runs],
            "crossval": result.to_dict(), "audit": _audit(result, shown)}


def _audit(result: CrossValidation, shown: Shown) -> dict[str, Any]:
    """The audit of the data set's labels, from the cross-validation's folds (nothing trained
    again): its CSV and page beside the folds, as ``fitbench audit`` writes them."""
    from fitbench.audit import find_label_issues

    issues = find_label_issues(result)
    _, page, *_ = issues.save()
    shown.note(f": {issues.summary()}; page: {page}")
    return {"summary": issues.summary(), "suspects": len(issues.suspects),
            "top": issues.describe(1) if issues.suspects else None}


def _tune_step(step: Step, document: dict[str, Any], folder: Path, shown: Shown, quick: bool) -> dict[str, Any]:
    from fitbench.tuning import best_trial, default_storage, tune
    from fitbench.tuning._tune import TEST_ATTR

    trials = _plan.QUICK_TRIALS if quick else _plan.TRIALS
    shown.note(f": {trials} Optuna trials, scored on validation; a line per trial")
    # The study's trials go to <runs_dir>/<study>: the step's own folder, not a folder inside it.
    storage = default_storage(folder)
    folder.mkdir(parents=True, exist_ok=True)  # for its studies.db
    study = tune(document, trials=trials, runs_dir=folder.parent, storage=storage, study=step.id, verbose=False,
                 progress=shown.verbose)
    shown.skip(trials * int(document["training"]["epochs"]), fits=trials, timed=True)
    best = best_trial(study)
    run = best.user_attrs.get("run") if best is not None else None
    shown.note(f": best trial {best.number if best else '-'}, validation macro F1 "
               f"{best.value if best else float('nan'):.4f}")
    return {"id": step.id, "kind": step.kind, "runs": [run] if run else [],
            "tuning": {"storage": storage, "study": step.id, "trials": len(study.trials),
                       "best_trial": best.number if best else None, "best_value": best.value if best else None,
                       "best_params": dict(best.params) if best else {}, "test": study.user_attrs.get(TEST_ATTR)}}


