"""A finished (or interrupted) run, in memory and on disk: ``Run`` and ``load_run``."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from fitbench.errors import DataError, FitbenchError
from fitbench.runs import _folder

if TYPE_CHECKING:
    from fitbench.data import Dataset
    from fitbench.evaluation import Evaluation


class Run:
    """Everything about one training run, backed by its folder.

    ``history`` is Keras' ``History.history`` (per-epoch lists of loss, accuracy, val_loss,
    val_accuracy); ``metrics`` is ``metrics.json``; ``model`` and ``data`` load on first use.
    ``problems`` lists what is damaged or missing in the folder (one line each); whatever
    is intact is still read, so reports and listings carry on.
    """

    def __init__(self, path: Path, *, model: Any = None, data: Dataset | None = None) -> None:
        self.path = Path(path)
        self.problems: list[str] = []
        self.config: dict[str, Any] = _read_yaml(self.path / _folder.CONFIG)
        self.history, self.epoch_times = read_history(self.path / _folder.HISTORY, self.problems)
        self.metrics: dict[str, Any] = self._read_json(_folder.METRICS)
        self.environment: dict[str, Any] = self._read_json(_folder.ENVIRONMENT)
        self.status: dict[str, Any] = self._read_json(_folder.STATUS)
        if self.state in ("complete", "interrupted") and not (self.path / _folder.MODEL).is_file():
            self.problems.append(f"{_folder.MODEL} is missing: the trained model is lost")
        self._model = model
        self._data = data

    def _read_json(self, name: str) -> dict[str, Any]:
        data, problem = _folder.read_json_checked(self.path / name)
        if problem and (name != _folder.METRICS or self.state in ("complete", "interrupted")):
            self.problems.append(problem)
        return data or {}

    @property
    def name(self) -> str:
        return str(self.config.get("name", self.path.name))

    @property
    def state(self) -> str:
        return _folder.run_state(self.path)

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = load_model(self.path, self.config)
        return self._model

    @property
    def data(self) -> Dataset:
        if self._data is None:
            self._data = load_data(self.config)
        return self._data

    def evaluate(self, split: str = "val") -> Evaluation:
        """Accuracy, macro F1, per-class F1 and confusion matrix of the saved model on a split."""
        from fitbench.evaluation import evaluate_model

        x, y = self.data.split(split)  # type: ignore[arg-type]
        if len(y) == 0:
            raise FitbenchError(f"{self.path}: the {split} split of this run's data is empty")
        return evaluate_model(self.model, x, y, split=split)

    def predict(self, x: Any) -> Any:
        """Class probabilities of the saved model for image files, folders, CSV files, or an
        array prepared like ``run.data`` (a ``fitbench.prediction.Prediction``)."""
        from fitbench.prediction import predict

        return predict(self, x, model=self._model)

    def recorded(self, split: str) -> dict[str, Any] | None:
        """The scores of ``split`` saved in metrics.json when the run finished."""
        return self.metrics.get("splits", {}).get(split)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, state={self.state!r})"

    def _repr_html_(self) -> str:
        from fitbench.display import run_html

        return run_html(self)

    def plot_history(self, ax: Any = None) -> Any:
        """Loss and accuracy per epoch, train against validation, best epoch and stop marked (a Figure)."""
        from fitbench.plots import history_curves, plot_history

        return plot_history(history_curves(self.history, self.metrics, self.config), ax)

    def plot_confusion_matrix(self, split: str = "test", ax: Any = None) -> Any:
        """Heatmap of the confusion matrix recorded for ``split`` when the run finished (an Axes)."""
        from fitbench.plots import plot_confusion_matrix
        from fitbench.report import recorded_confusion

        return plot_confusion_matrix(recorded_confusion(self, split), ax)

    def report(self, path: str | Path | None = None) -> Path:
        """Write the one-file HTML report (default ``<run>/report.html``) and return its path."""
        from fitbench.report import write_report

        return write_report(self, path)

    def diagnose(self) -> list[Any]:
        """The diagnosis: a list of ``fitbench.diagnosis.Finding``, most serious first."""
        from fitbench.diagnosis import diagnose

        return diagnose(self)


def load_run(path: str | Path) -> Run:
    """A Run from its folder alone."""
    path = Path(path)
    if not (path / _folder.CONFIG).is_file():
        raise FitbenchError(f"{path}: not a run folder (no {_folder.CONFIG}); runs live under runs/<timestamp>-<name>/")
    return Run(path)


def read_history(path: Path, problems: list[str] | None = None) -> tuple[dict[str, list[float]], list[float]]:
    """``history.csv`` back as Keras-style ``{key: [per-epoch values]}`` and epoch seconds.

    Rows after the first incomplete one (a truncated file) are dropped and noted in ``problems``.
    """
    if not path.is_file():
        return {}, []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        _note(problems, f"{path.name} cannot be read ({error}); no history")
        return {}, []
    good = _complete_rows(rows)
    if len(good) < len(rows):
        _note(problems, f"{path.name} is damaged at epoch row {len(good) + 1} (truncated?); kept {len(good)} epochs")
    keys = [key for key in (rows[0] if rows else {}) if key not in ("epoch", "time_s")]
    return {key: [row[key] for row in good] for key in keys}, [row["time_s"] for row in good]


def _complete_rows(rows: list[dict[str, Any]]) -> list[dict[str, float]]:
    good = []
    for row in rows:
        try:
            good.append({key: float(value) for key, value in row.items()})
        except (TypeError, ValueError):  # a missing cell (None) or a cut-off number
            break
    return good


def _note(problems: list[str] | None, problem: str) -> None:
    if problems is not None:
        problems.append(problem)


def load_model(path: Path, config: dict[str, Any]) -> Any:
    """The saved ``model.keras`` (safe mode: no arbitrary code from the file)."""
    from fitbench._keras import keras
    import fitbench.models  # noqa: F401  registers fitbench's own layers and models

    _import_factory(config)
    model_path = path / _folder.MODEL
    if not model_path.is_file():
        raise FitbenchError(f"{path}: no {_folder.MODEL} in this run folder (state: {_folder.run_state(path)})")
    try:
        return keras.saving.load_model(model_path)
    except Exception as error:  # Keras raises many types for a damaged or foreign file
        raise FitbenchError(f"{model_path}: cannot load the model: {error}") from None


def load_data(config: dict[str, Any]) -> Dataset:
    """The run's data set, loaded again from the dataset section of its config."""
    from fitbench.config import DatasetConfig, validate
    from fitbench.data import load_from_config

    section = config.get("dataset") or {}
    if section.get("name") == "arrays":
        raise DataError(
            "this run was trained on arrays passed from Python, which the run folder does not keep; "
            "evaluate it in Python with fitbench.evaluation.evaluate_model(run.model, x, y, split=...)"
        )
    return load_from_config(validate(DatasetConfig, section, where="config.yaml", prefix="dataset"))


def _import_factory(config: dict[str, Any]) -> None:
    # A factory's module may register custom layers that the saved model needs.
    factory = (config.get("model") or {}).get("factory")
    if factory:
        from fitbench.models import resolve_factory

        resolve_factory(factory)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise FitbenchError(f"{path}: cannot read the run's config: {error}") from None
    return data if isinstance(data, dict) else {}
