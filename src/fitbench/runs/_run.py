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
    """

    def __init__(self, path: Path, *, model: Any = None, data: Dataset | None = None) -> None:
        self.path = Path(path)
        self.config: dict[str, Any] = _read_yaml(self.path / _folder.CONFIG)
        self.history, self.epoch_times = read_history(self.path / _folder.HISTORY)
        self.metrics: dict[str, Any] = _folder.read_json(self.path / _folder.METRICS) or {}
        self.environment: dict[str, Any] = _folder.read_json(self.path / _folder.ENVIRONMENT) or {}
        self.status: dict[str, Any] = _folder.read_json(self.path / _folder.STATUS) or {}
        self._model = model
        self._data = data

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

    def recorded(self, split: str) -> dict[str, Any] | None:
        """The scores of ``split`` saved in metrics.json when the run finished."""
        return self.metrics.get("splits", {}).get(split)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, state={self.state!r})"


def load_run(path: str | Path) -> Run:
    """A Run from its folder alone."""
    path = Path(path)
    if not (path / _folder.CONFIG).is_file():
        raise FitbenchError(f"{path}: not a run folder (no {_folder.CONFIG}); runs live under runs/<timestamp>-<name>/")
    return Run(path)


def read_history(path: Path) -> tuple[dict[str, list[float]], list[float]]:
    """``history.csv`` back as Keras-style ``{key: [per-epoch values]}`` and epoch seconds."""
    if not path.is_file():
        return {}, []
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    keys = [key for key in (rows[0] if rows else {}) if key not in ("epoch", "time_s")]
    history = {key: [float(row[key]) for row in rows if row.get(key)] for key in keys}
    times = [float(row["time_s"]) for row in rows if row.get("time_s")]
    return history, times


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
