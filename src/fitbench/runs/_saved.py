"""A run read back from its folder: ``SavedRun`` and ``load_saved_run``, what every view uses
(reports, diagnosis, comparisons, listings, exports). Its numbers only: ``fitbench.Run`` adds
the model and the data set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fitbench._display_names import ShownAsHtml
from fitbench.errors import FitbenchError
from fitbench.runs import _folder
from fitbench.runs._files import holds_config, strangers
from fitbench.runs._read import RunRecord, read_run
from fitbench.runs._record import Environment, Metrics, SplitScores


class SavedRun(ShownAsHtml):
    """Everything one training run recorded, backed by its folder.

    ``record`` is the folder read back (``fitbench.runs.read_run``); ``history`` is Keras'
    ``History.history`` (per-epoch lists of loss, accuracy, val_loss, val_accuracy);
    ``metrics`` is the typed ``metrics.json`` (empty until the run finishes); ``config`` the
    config snapshot as a dict. ``problems`` lists what is damaged or missing in the folder (one
    line each); whatever is intact is still read, so reports and listings carry on.
    """

    def __init__(self, path: Path, *, record: RunRecord | None = None) -> None:
        self.path = Path(path)
        self.record = record or read_run(self.path)
        self.problems: list[str] = self.record.problems
        self.config: dict[str, Any] = self.record.config.model_dump(mode="json")
        self.history, self.epoch_times = self.record.history
        self.metrics: Metrics = self.record.metrics or Metrics.model_validate({})
        self.environment: Environment = self.record.environment or Environment()

    @property
    def name(self) -> str:
        return str(self.config.get("name", self.path.name))

    @property
    def state(self) -> str:
        return _folder.run_state(self.path)

    def recorded(self, split: str) -> SplitScores | None:
        """The scores of ``split`` saved in metrics.json when the run finished."""
        return self.metrics.split(split)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, state={self.state!r})"


def load_saved_run(path: str | Path | SavedRun) -> SavedRun:
    """A SavedRun from its folder alone (a SavedRun, or a ``fitbench.Run``, is returned as it is:
    views take either); a one-line FitbenchError for a folder holding a symlink or a special file
    (fitbench writes neither: such a folder is refused, not half read)."""
    if isinstance(path, SavedRun):
        return path
    path = Path(path)
    if not path.exists():
        raise FitbenchError(f"{path}: no such folder; runs live under runs/<timestamp>-<name>/ (fitbench runs lists them)")
    if not path.is_dir() or not holds_config(path):
        raise FitbenchError(f"{path}: not a run folder (no {_folder.CONFIG}); runs live under runs/<timestamp>-<name>/")
    if found := strangers(path):
        raise FitbenchError(f"{path}: {found[0]}; a run folder holds only plain files and folders")
    return SavedRun(path)
