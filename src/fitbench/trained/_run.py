"""``Run``: a saved run plus its model and data set, loaded on first use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fitbench.errors import DataError, FitbenchError
from fitbench.runs import SavedRun, load_saved_run
from fitbench.runs._folder import run_state
from fitbench.runs._read import DamagedFile, RunRecord
from fitbench.runs._record import CONFIG, MODEL

if TYPE_CHECKING:
    from fitbench.data import Dataset
    from fitbench.diagnosis import Finding
    from fitbench.evaluation import Evaluation
    from fitbench.explain import Explanation
    from fitbench.prediction import Prediction


class Run(SavedRun):
    """Everything about one training run: what its folder recorded (``SavedRun``), and the
    model and data set, which load on first use, only for new computations."""

    def __init__(self, path: Path, *, model: Any = None, data: Dataset | None = None,
                 record: RunRecord | None = None, curves_shown: bool = False) -> None:
        super().__init__(path, record=record)
        self._model = model
        self._data = data
        self.curves_shown = curves_shown  # a notebook drew its curves live as it trained: its display leaves them out

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = load_model(self.path, self.config)
        return self._model

    @property
    def data(self) -> Dataset:
        if self._data is None:
            damaged = [problem for problem in self.problems if problem.startswith(CONFIG)]
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

    def predict(self, x: Any) -> Prediction:
        """Class probabilities of the saved model for image files, folders, CSV files, or an
        array prepared like ``run.data`` (a ``fitbench.prediction.Prediction``)."""
        from fitbench.prediction import predict

        return predict(self, x, model=self._model)

    def explain(self, x: Any, **options: Any) -> Explanation:
        """What the saved model looked at for each input (as ``predict`` takes them): integrated
        gradients, sanity-checked (``fitbench.explain.explain``'s options)."""
        from fitbench.explain import explain

        return explain(self, x, model=self._model, **options)

    def save_explanations(self, **options: Any) -> Path:
        """Attribution maps of the mistakes and top losses the run saved, sanity-checked and
        written into ``<run>/explanations.npz``, which the report then shows; its path
        (``fitbench.explain.save_explanations``' options)."""
        from fitbench.explain import save_explanations

        return save_explanations(self, self.model, self.data, **options)

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

    def diagnose(self) -> list[Finding]:
        """The diagnosis: a list of ``fitbench.diagnosis.Finding``, most serious first."""
        from fitbench.diagnosis import diagnose

        return diagnose(self)


def load_run(path: str | Path | SavedRun) -> Run:
    """A Run from its folder alone (a Run is returned as it is; a SavedRun gains its model and
    data); a one-line FitbenchError for a folder that is not a run's, as ``load_saved_run``."""
    if isinstance(path, Run):
        return path
    saved = load_saved_run(path)
    return Run(saved.path, record=saved.record)


def load_model(path: Path, config: dict[str, Any]) -> Any:
    """The saved ``model.keras`` (safe mode: no arbitrary code from the file)."""
    from fitbench.models._safe_load import open_model  # registers fitbench's own layers and models

    # A factory's custom layers are not imported here: a run folder never makes fitbench
    # import code. In Python, import the factory's module first, then load the run.
    model_path = path / MODEL
    try:
        return open_model(model_path, compile=True)
    except FileNotFoundError:
        raise FitbenchError(f"{path}: no {MODEL} in this run folder (state: {run_state(path)})") from None
    except DamagedFile as error:  # a link, damaged, or over the budget
        raise FitbenchError(f"{path}: {error}") from None
    except Exception as error:  # Keras raises many types (even "File not found") for a damaged file
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FitbenchError(f"{model_path}: {MODEL} is damaged and cannot be loaded ({first[:200]})") from None


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
