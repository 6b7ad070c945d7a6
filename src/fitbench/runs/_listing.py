"""Find the run folders under a runs directory and say what state each is in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fitbench.errors import FitbenchError, spelled
from fitbench.runs import _folder

MAX_DEPTH = 4  # runs/<run>, runs/curriculum/<run>, runs/<study>/trials/<run>...


@dataclass(frozen=True)
class RunEntry:
    """One line of ``fitbench runs``."""

    path: Path
    name: str
    state: str
    epochs: int
    val_accuracy: float | None
    resumable: bool
    problems: tuple[str, ...]


def find_runs(runs_dir: str | Path) -> list[RunEntry]:
    """Every run folder under ``runs_dir``, newest first; damaged folders included, never fatal."""
    from fitbench.runs._run import Run

    root = Path(runs_dir)
    if not root.is_dir():
        raise FitbenchError(f"{root}: no such runs directory; train something first or pass {spelled('runs_dir=', '--runs-dir')}")
    entries = []
    for config in sorted(_configs(root), key=lambda p: p.parent.stat().st_mtime, reverse=True):
        try:
            run = Run(config.parent)
        except FitbenchError as error:  # an unreadable config: list it, say why
            entries.append(RunEntry(config.parent, config.parent.name, "incomplete", 0, None, False, (str(error),)))
            continue
        val = run.metrics.get("splits", {}).get("val", {}).get("accuracy")
        entries.append(RunEntry(run.path, run.name, run.state, len(run.history.get("loss", [])), val,
                                (run.path / "checkpoint.npz").is_file() and run.state != "complete",
                                tuple(run.problems)))
    return entries


def _configs(root: Path) -> list[Path]:
    found = []
    for depth in range(1, MAX_DEPTH + 1):
        found += [path for path in root.glob("/".join(["*"] * depth) + "/" + _folder.CONFIG) if path.is_file()]
    return found
