"""``write_report``: one self-contained HTML file about a run, from its folder alone.

Every section draws from saved numbers: scores, history, architecture, predictions and
images; neither the model nor the data set is loaded. A section whose file the folder lacks
(e.g. a folder written by fitbench 0.1.0) says so instead.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import yaml

from fitbench import plots
from fitbench._sanity import DELETED, SIMILAR
from fitbench.diagnosis import Finding, diagnose, interval_half_width
from fitbench.errors import FitbenchError
from fitbench.report._facts import class_names, model_label, recorded_confusion, split_for_analysis
from fitbench.report._figures import FigureStore, Picture
from fitbench.report._html import render, write_html
from fitbench.runs import load_saved_run
from fitbench.runs._record import EXPLANATIONS, IMAGES, MAX_DRAWN_CLASSES, METHODS, METRICS

if TYPE_CHECKING:
    from fitbench.runs import ImageSet, Metrics, SavedRun, SplitPredictions, SplitScores

T = TypeVar("T")
FIGURES = "figures"
_SPLIT_NAMES = {"train": "training", "val": "validation", "test": "test"}


class Table(NamedTuple):
    columns: list[str]
    rows: list[list[Any]]


class Section(NamedTuple):
    id: str
    title: str
    pictures: list[Picture] = []
    table: Table | None = None
    items: list[str] = []
    pre: str | None = None
    note: str | None = None  # why something is missing
    text: str | None = None  # a line of introduction


def attempt(load: Callable[[], T]) -> tuple[T | None, str | None]:
    """``(value, None)``, or ``(None, why)`` when a saved file is missing or damaged."""
    try:
        return load(), None
    except FitbenchError as error:
        return None, str(error)


def write_report(run: SavedRun | str | Path, path: str | Path | None = None, *, split: str | None = None) -> Path:
    """Write the report (default ``<run>/report.html``) and return its path.

    Args:
        split: where to study mistakes; default validation (the test split is for the final score).
    """
    run = load_saved_run(run)
    target = Path(path) if path is not None else run.path / "report.html"
    if not target.parent.is_dir():  # say so before spending seconds on pictures
        raise FitbenchError(f"{target}: cannot write the report: folder {target.parent} does not exist")
    classes = run.metrics.classes or 0
    if classes > MAX_DRAWN_CLASSES:
        raise FitbenchError(f"{run.name}: {METRICS} holds {classes} classes; a report draws at most "
                            f"{MAX_DRAWN_CLASSES} (the web page too)")
    split = split_for_analysis(run, split)
    # A view that saves its pictures elsewhere (the web page's ViewRun) still reuses the run's own.
    store = FigureStore(run.path / FIGURES, reuse=run.record.path / FIGURES if run.record.path != run.path else None)
    findings = diagnose(run)
    sections = [_scores_section(run), _history_section(run, store), _model_section(run, store),
                _confusion_section(run, split, store), *_image_sections(run, split, store),
                *_leak_section(run, findings, store), _config_section(run)]
    html = render("report.html.j2", title=f"fitbench report: {run.name}", run=_header(run),
                  findings=[finding.to_dict() for finding in findings],
                  sections=sections, problem=store.problem)
    return write_html(target, html)


def _header(run: SavedRun) -> dict[str, Any]:
    return {"name": run.name, "path": str(run.path), "state": run.state, "model": model_label(run.config),
            "dataset": (run.config.get("dataset") or {}).get("name", "?"),
            "generated": dt.datetime.now().astimezone().isoformat(timespec="seconds")}


def _scores_section(run: SavedRun) -> Section:
    rows = [[_SPLIT_NAMES.get(name, name), s.n, s.loss, s.accuracy,
             f"± {100 * interval_half_width(s.accuracy, s.n):.1f} points", s.macro_f1]
            for name, s in run.metrics.splits.items()]
    if not rows:
        return Section("scores", "Scores", note=f"no scores recorded (the run is {run.state})")
    columns = ["split", "images", "loss", "accuracy", "accuracy 95% interval", "macro F1"]
    return Section("scores", "Scores", table=Table(columns, rows), items=_facts_of(run.metrics))


def _facts_of(m: Metrics) -> list[str]:
    facts = [f"epochs run: {m.epochs_run}, best epoch: {m.best_epoch} (by {m.monitor})",
             f"stopped early: {'yes' if m.stopped_early else 'no'}"
             + (f"; interrupted by {m.interrupted}" if m.interrupted else "")]
    if m.parameters is not None:
        facts.insert(0, f"parameters: {m.parameters:,} trainable")
    if m.wall_time_s is not None:
        facts.append(f"wall time {m.wall_time_s:.1f} s, {m.time_per_epoch_s or 0:.2f} s per epoch")
    return facts


def _history_section(run: SavedRun, store: FigureStore) -> Section:
    if not run.history:
        return Section("curves", "Training curves", note="no epochs recorded (history.csv is empty or missing)")
    curves = plots.history_curves(run.history, run.metrics, run.config)
    picture = store.picture("history", "loss and accuracy per epoch", plots.plot_history, curves)
    return Section("curves", "Training curves", pictures=[picture])


def _model_section(run: SavedRun, store: FigureStore) -> Section:
    saved, why = attempt(lambda: run.record.architecture)
    if saved is None:
        return Section("model", "Model", items=[model_label(run.config)], note=f"summary and diagram omitted: {why}")
    arch = plots.Architecture(saved.name, saved.kind, [plots.LayerNode(**node.model_dump()) for node in saved.nodes],
                              saved.trainable_params, saved.non_trainable_params, saved.optimizer_params,
                              saved.traced)
    if too_large := plots.drawing_problem(arch):
        return Section("model", "Model", pre=saved.summary or None, items=[model_label(run.config)],
                       note=f"diagram omitted: {too_large}")
    picture = store.picture("architecture", f"{arch.name}: output shapes and parameters of every layer",
                            plots.plot_architecture, arch)
    return Section("model", "Model", pictures=[picture], pre=saved.summary or None, items=[model_label(run.config)])


def _confusion_section(run: SavedRun, split: str, store: FigureStore) -> Section:
    title = f"Confusion on the {_SPLIT_NAMES.get(split, split)} split"
    matrix, why = attempt(lambda: recorded_confusion(run, split))
    if matrix is None:
        return Section("confusion", title, note=why)
    scores = _class_scores(run.metrics.splits[split], matrix)  # type: ignore[index]
    pairs = plots.confused_pairs(matrix, top=8)
    pictures = [store.picture(f"confusion_{split}", "rows: true class, columns: predicted; colour: share of the row",
                              plots.plot_confusion_matrix, matrix),
                store.picture(f"confused_pairs_{split}", "the most confused pairs",
                              plots.plot_confused_pairs, pairs)]
    store.picture(f"per_class_{split}", "", plots.plot_per_class_table, scores)  # PNG for slides only
    table = Table(["class", "precision", "recall", "F1", "images"],
                  [[s.label, s.precision, s.recall, s.f1, s.support] for s in scores])
    return Section("confusion", title, pictures=pictures, table=table, items=[str(pair) for pair in pairs])


def _class_scores(recorded: SplitScores, matrix: plots.ConfusionMatrix) -> list[plots.ClassScore]:
    """The saved per-class scores; recomputed from the matrix for 0.1.0 folders, which lack them."""
    if recorded.per_class_precision is None or recorded.per_class_recall is None:
        return plots.per_class_scores(matrix)
    support = matrix.counts.sum(axis=1)
    return [plots.ClassScore(label, p, r, f, int(n)) for label, p, r, f, n in
            zip(matrix.labels, recorded.per_class_precision, recorded.per_class_recall, recorded.per_class_f1, support)]


def _image_sections(run: SavedRun, split: str, store: FigureStore) -> list[Section]:
    names = class_names(run.config, run.metrics.classes or 10)
    first, why = attempt(lambda: run.record.images("train"))
    if first is None:
        return [Section("images", "Images, mistakes and top losses", note=f"omitted: {why}")]
    samples = plots.sample_grid(first.images, first.labels, n=plots.GRID_IMAGES, class_names=names)
    sections = [Section("samples", f"The first {len(samples.titles)} training images", pictures=[
        store.picture("samples_train", "titled with their labels", plots.plot_image_grid, samples)])]
    saved, why = attempt(lambda: (run.record.predictions(split), run.record.images(split)))
    if saved is None:
        return [*sections, Section("mistakes", "Mistakes and top losses", note=f"omitted: {why}")]
    return [*sections, *_mistake_sections(*saved, split, names, store), _attribution_section(run, split, names, store)]


def _leak_section(run: SavedRun, findings: list[Finding], store: FigureStore) -> list[Section]:
    """The leakage finding's pairs as images, original beside copy (none: no section)."""
    pairs = next((f.numbers.get("pairs") for f in findings if f.code == "leakage"), None)
    if not pairs:
        return []
    title = "Copies across splits"
    shown, why = attempt(lambda: run.record.images("leaks"))
    listed = [f"{a} #{i} = {b} #{j}" for a, i, b, j in pairs]
    if shown is None:
        return [Section("leaks", title, items=listed, note=f"images omitted: {why}")]
    grid = plots.leak_grid(shown, pairs)
    return [Section("leaks", title, text="each original beside its copy", items=listed, pictures=[
        store.picture("leaks", "original / copy, with their positions in each split", plots.plot_image_grid, grid)])]


def _mistake_sections(p: SplitPredictions, shown: ImageSet, split: str, names: list[str],
                      store: FigureStore) -> list[Section]:
    name = _SPLIT_NAMES.get(split, split)
    guesses = p.predicted
    mistakes = plots.mistake_grid(shown, p.labels, guesses, n=plots.GRID_IMAGES, class_names=names)
    worst = plots.top_losses(p.labels, p.probabilities, n=plots.TOP_LOSSES)
    grid = plots.top_loss_grid(shown, worst, columns=5, class_names=names)
    wrong = int((guesses != p.labels).sum())
    count = f"{wrong} of {len(p.labels)} images are wrong" + (f"; the first {len(mistakes.titles)}:" if wrong else "")
    return [
        Section("mistakes", f"Mistakes on the {name} split", text=count, pictures=[
            store.picture(f"mistakes_{split}", "predicted / true", plots.plot_image_grid, mistakes)]),
        Section("top-losses", f"Top losses on the {name} split", text="the images the model got most confidently wrong",
                pictures=[store.picture(f"top_losses_{split}", "predicted (its probability) / true, loss",
                                        plots.plot_image_grid, grid)]),
    ]


def _attribution_section(run: SavedRun, split: str, names: list[str], store: FigureStore) -> Section:
    """The mistakes and top losses again, each with its attribution map and the sanity checks
    the map passed, when ``fitbench explain RUN`` saved them (``explanations.npz``)."""
    title = "What the model looked at"
    if not os.path.lexists(run.record.path / EXPLANATIONS):
        return Section("attributions", title, text="No attribution maps saved yet: `fitbench explain` with this run's folder "
                                                    "computes them for these mistakes and top losses, sanity-checked.")
    saved, why = attempt(lambda: (run.record.predictions(split), run.record.images(split),
                                  run.record.explanations(split)))
    if saved is None:
        return Section("attributions", title, note=f"omitted: {why}")
    p, shown, explained = saved
    worst = plots.top_losses(p.labels, p.probabilities, n=plots.TOP_LOSSES)
    grids, why = attempt(lambda: (
        plots.attribution_grid(plots.top_loss_grid(shown, worst, columns=5, class_names=names), explained),
        plots.attribution_grid(plots.mistake_grid(shown, p.labels, p.predicted, n=plots.GRID_IMAGES,
                                                  class_names=names), explained)))
    if grids is None:
        return Section("attributions", title, note=f"omitted: {EXPLANATIONS} does not match {IMAGES}: {why}")
    top, mistakes = grids
    checks = explained.checks
    method = METHODS[int(explained.method[0])].replace("_", " ") if len(explained.method) else "?"
    text = (f"{method} of the predicted class over each image: red pixels raised its probability, blue lowered it. "
            f"Checks: randomisation (the map differs from a re-initialised model's: Spearman below {SIMILAR}) "
            f"passed by {int(checks.randomisation_passed.sum())} of {len(checks.spearman)}; deletion (removing the "
            f"top {DELETED:.0%} pixels costs more than {DELETED:.0%} at random) by {int(checks.deletion_passed.sum())}.")
    return Section("attributions", title, text=text, pictures=[
        store.picture(f"top_losses_{split}_attributions", "top losses, with what the model looked at",
                      plots.plot_image_grid, top),
        store.picture(f"mistakes_{split}_attributions", "mistakes, with what the model looked at",
                      plots.plot_image_grid, mistakes)])


def _config_section(run: SavedRun) -> Section:
    environment = run.environment
    items = [f"{name} {version}" for name, version in environment.packages.items() if version]
    if environment.backend:
        items.append(f"backend {environment.backend} on {', '.join(environment.devices) or '?'}")
    return Section("config", "Configuration (config.yaml)", pre=yaml.safe_dump(run.config, sort_keys=False),
                   items=items)
