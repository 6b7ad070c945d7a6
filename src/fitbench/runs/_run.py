"""A finished (or interrupted) run, in memory and on disk: ``Run`` and ``load_run``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fitbench.errors import DataError, FitbenchError
from fitbench.runs import _folder
from fitbench.runs._files import holds_config, strangers
from fitbench.runs._read import RunRecord, model_problem, read_run
from fitbench.runs._record import Environment, Metrics, SplitScores

if TYPE_CHECKING:
    from fitbench.data import Dataset
    from fitbench.evaluation import Evaluation


class Run:
    """Everything about one training run, backed by its folder.

    ``record`` is the folder read back (``fitbench.runs.read_run``); ``history`` is Keras'
    ``History.history`` (per-epoch lists of loss, accuracy, val_loss, val_accuracy);
    ``metrics`` is the typed ``metrics.json`` (empty until the run finishes); ``config`` the
    config snapshot as a dict. ``model`` and ``data`` load on first use, only for new
    computations. ``problems`` lists what is damaged or missing in the folder (one line
    each); whatever is intact is still read, so reports and listings carry on.
    """

    def __init__(self, path: Path, *, model: Any = None, data: Dataset | None = None,
                 record: RunRecord | None = None) -> None:
        self.path = Path(path)
        self.record = record or read_run(self.path)
        self.problems: list[str] = self.record.problems
        self.config: dict[str, Any] = self.record.config.model_dump(mode="json")
        self.history, self.epoch_times = self.record.history
        self.metrics: Metrics = self.record.metrics or Metrics.model_validate({})
        self.environment: Environment = self.record.environment or Environment()
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
            damaged = [problem for problem in self.problems if problem.startswith(_folder.CONFIG)]
            if damaged:  # never fall back to a default data set
                raise FitbenchError(f"{self.path}: {damaged[0]}; cannot tell which data this run used")
            self._data = load_data(self.config)
        return self._data

    def evaluate(self, split: str = "val") -> Evaluation:
        """Accuracy, macro F1, per-class F1 and confusion matrix of the saved model on a split."""
        from fitbench.evaluation import evaluate_model

        x, y = self.data.split(split)
        if len(y) == 0:
            raise FitbenchError(f"{self.path}: the {split} split of this run's data is empty")
        return evaluate_model(self.model, x, y, split=split)

    def predict(self, x: Any) -> Any:
        """Class probabilities of the saved model for image files, folders, CSV files, or an
        array prepared like ``run.data`` (a ``fitbench.prediction.Prediction``)."""
        from fitbench.prediction import predict

        return predict(self, x, model=self._model)

    def recorded(self, split: str) -> SplitScores | None:
        """The scores of ``split`` saved in metrics.json when the run finished."""
        return self.metrics.split(split)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, state={self.state!r})"

    def _repr_html_(self) -> str:
        from fitbench.display._objects import run_html

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


def load_run(path: str | Path | Run) -> Run:
    """A Run from its folder alone (a Run is returned as it is: views take either); a one-line
    FitbenchError for a folder holding a symlink or a special file (fitbench writes neither: such a
    folder is refused, not half read)."""
    if isinstance(path, Run):
        return path
    path = Path(path)
    if not path.is_dir() or not holds_config(path):
        raise FitbenchError(f"{path}: not a run folder (no {_folder.CONFIG}); runs live under runs/<timestamp>-<name>/")
    if found := strangers(path):
        raise FitbenchError(f"{path}: {found[0]}; a run folder holds only plain files and folders")
    return Run(path)


def load_model(path: Path, config: dict[str, Any]) -> Any:
    """The saved ``model.keras`` (safe mode: no arbitrary code from the file)."""
    from fitbench._keras import keras
    import fitbench.models  # noqa: F401  registers fitbench's own layers and models

    # A factory's custom layers are not imported here: a run folder never makes fitbench
    # import code. In Python, import the factory's module first, then load the run.
    model_path = path / _folder.MODEL
    if not model_path.is_file():
        raise FitbenchError(f"{path}: no {_folder.MODEL} in this run folder (state: {_folder.run_state(path)})")
    if problem := model_problem(model_path):
        raise FitbenchError(f"{path}: {problem}")
    try:
        return keras.saving.load_model(model_path)
    except Exception as error:  # Keras raises many types (even "File not found") for a damaged file
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FitbenchError(f"{model_path}: {_folder.MODEL} is damaged and cannot be loaded ({first[:200]})") from None


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
