"""The study report: one self-contained HTML file (plotly's JavaScript inlined once).

Numbers first (``trial_rows``, ``diagnose``), then Optuna's own plotly figures, then the
jinja2 template ``templates/study.html.j2`` puts them on one page.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from fitbench import _io, _templates
from fitbench.errors import ConfigError
from fitbench.tuning._diagnosis import MIN_TRIALS_FOR_IMPORTANCE, complete_trials, diagnose, importances
from fitbench.tuning._progress import quiet_optuna
from fitbench.tuning._schema import parse_param
from fitbench.tuning._space import space_summary
from fitbench.tuning._storage import ATTR, without_password
from fitbench.tuning._best import counted_trials, state_counts
from fitbench.tuning._tune import TEST_ATTR, best_trial, format_params


@dataclass(frozen=True)
class Figure:
    title: str
    html: str | None  # a plotly <div>, or None with ``note`` saying why it is missing
    note: str = ""


def write_study_report(study: optuna.Study, path: str | Path = "study.html", *, storage: str | None = None) -> Path:
    """Write the report of ``study`` to ``path`` and return the path."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"-o {path}: cannot create its folder: {error.strerror}") from None
    _io.write_text(path, study_report(study, storage=storage, base=path.parent))
    return path


def study_report(study: optuna.Study, *, storage: str | None = None, base: Path | None = None) -> str:
    """The report as one HTML string; links to run folders are relative to ``base``."""
    import plotly.offline

    record = study.user_attrs.get(ATTR, {})
    objective = record.get("objective", "value")
    best = best_trial(study)
    run_path = Path(best.user_attrs["run"]) if best is not None and "run" in best.user_attrs else None
    return _templates.render(
        "fitbench.tuning", "study.html.j2",
        study=study.study_name, storage=without_password(storage) if storage else None, objective=objective,
        record=record,
        counts=state_counts(study), space=_space_lines(record), findings=diagnose(study, record),
        best=best, best_params=format_params(best) if best is not None else "",
        best_run=_link(run_path, base),
        test=study.user_attrs.get(TEST_ATTR), rows=trial_rows(study, base), figures=figures(study, objective),
        plotly_js=plotly.offline.get_plotlyjs(), multi=len(study.directions) > 1,
    )


def trial_rows(study: optuna.Study, base: Path | None = None) -> list[dict[str, Any]]:
    """One row per trial: the numbers of the report's table."""
    rows = []
    for trial in counted_trials(study):
        attrs = trial.user_attrs
        run = Path(attrs["run"]) if "run" in attrs else None
        rows.append({
            "number": trial.number, "state": trial.state.name.lower(),
            "values": [f"{value:.4f}" if index == 0 else f"{int(value):,}"
                       for index, value in enumerate(trial.values or [])],
            "params": format_params(trial), "epochs": attrs.get("epochs_run", ""),
            "parameters": f"{attrs['parameters']:,}" if "parameters" in attrs else "",
            "seconds": f"{trial.duration.total_seconds():.1f}" if trial.duration else "",
            "run": _link(run, base), "notes": _notes(trial),
        })
    return rows


def _notes(trial: optuna.trial.FrozenTrial) -> str:
    notes = []
    if trial.state == optuna.trial.TrialState.PRUNED and trial.intermediate_values:
        notes.append(f"pruned after epoch {max(trial.intermediate_values)}")
    history = trial.system_attrs.get("retry_history")
    if history:
        notes.append(f"retry of #{history[-1]}")
    worker = trial.user_attrs.get("worker")
    if trial.state == optuna.trial.TrialState.FAIL and worker:
        notes.append(f"worker {worker.get('host')}:{worker.get('pid')} stopped")
    return "; ".join(notes)


def _link(path: Path | None, base: Path | None) -> dict[str, str] | None:
    if path is None:
        return None
    href = path.as_uri() if path.is_absolute() else str(path)
    if base is not None and path.is_absolute():
        try:
            href = os.path.relpath(path, base.resolve())
        except ValueError:  # another drive
            pass
    return {"href": href, "text": str(path), "exists": "yes" if path.is_dir() else "no"}


def _space_lines(record: dict[str, Any]) -> dict[str, str]:
    try:
        space = {key: parse_param(key, entry, where="study") for key, entry in record.get("space", {}).items()}
    except ConfigError:
        return {key: str(entry) for key, entry in record.get("space", {}).items()}
    return space_summary(space)


def figures(study: optuna.Study, objective: str) -> list[Figure]:
    """Optuna's plots of the study, each as a plotly <div> (or a note saying why not)."""
    from optuna import visualization as vis

    def score(trial: optuna.trial.FrozenTrial) -> float:  # the first objective, also when there are two
        return trial.values[0]

    multi = len(study.directions) > 1
    top = list(importances(study))[:2]
    fanova = optuna.importance.FanovaImportanceEvaluator(seed=0)
    last_trial = max((trial.number for trial in study.trials), default=0)
    last_epoch = max((step for trial in study.trials for step in trial.intermediate_values), default=1)
    plots: list[tuple[str, Callable[[], Any]]] = [
        ("Optimisation history", lambda: whole_x(vis.plot_optimization_history(
            study, target=score, target_name=objective), last_trial)),
        ("Intermediate values (per epoch; pruned trials stop early)",
         lambda: _missing("a multi-objective study reports no per-epoch values") if multi
         else whole_x(vis.plot_intermediate_values(study), last_epoch)),
        ("Parallel coordinates", lambda: vis.plot_parallel_coordinate(study, target=score, target_name=objective)),
        ("Parameter importances (fANOVA)", lambda: vis.plot_param_importances(
            study, evaluator=fanova, target=score, target_name=objective) if top
         else _missing(f"{complete_trials(study)} complete trials: importances need at least "
                       f"{MIN_TRIALS_FOR_IMPORTANCE} to mean anything")),
        ("Slices: the score against each parameter",
         lambda: vis.plot_slice(study, target=score, target_name=objective)),
        (f"Contour of the two most important parameters ({' and '.join(top) or 'none yet'})",
         lambda: vis.plot_contour(study, params=top, target=score, target_name=objective) if len(top) == 2
         else _missing("needs two parameters")),
    ]
    if multi:
        plots.insert(0, ("Pareto front: score against parameter count", lambda: vis.plot_pareto_front(
            study, target_names=[objective, "parameters"])))
    return [_figure(title, draw) for title, draw in plots]


def whole_x(figure: Any, largest: int) -> Any:
    """Ticks on whole numbers only (trial numbers, epochs: never 0.5), about ten of them."""
    figure.update_xaxes(tick0=0, dtick=max(1, math.ceil(largest / 10)))
    return figure


class _Missing(Exception):
    pass


def _missing(why: str) -> Any:
    raise _Missing(why)


def _figure(title: str, draw: Callable[[], Any]) -> Figure:
    with quiet_optuna():  # its warnings about small studies are what the note says
        try:
            figure = draw()
        except _Missing as why:
            return Figure(title, None, str(why))
        except (ValueError, RuntimeError, KeyError, TypeError, ZeroDivisionError) as error:
            # Optuna refuses some plots for small studies (e.g. importances with one trial).
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            return Figure(title, None, f"not available yet: {reason}")
    if not figure.data:
        return Figure(title, None, "not available yet: no trial has the values this plot needs")
    # Optuna fixes the slice plot's width (300 px a parameter): past the page's width it was cut
    # off. Fit the page instead, with room on the right for the colour bar's labels.
    figure.update_layout(margin={"l": 60, "r": 100, "t": 40, "b": 50}, height=420, width=None, autosize=True)
    return Figure(title, figure.to_html(full_html=False, include_plotlyjs=False,
                                        config={"displaylogo": False, "responsive": True}))

