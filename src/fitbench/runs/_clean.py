"""``fitbench runs --clean``: remove the folders of runs that were cut short and hold nothing.

Cleaning keeps, unless the folder is named explicitly: any folder holding a trained model
(``model.keras``) or a checkpoint (its run can be resumed), whatever status.json says
(a missing or damaged status does not make a trained model worthless). It never removes a
folder whose lock is held, and it removes each folder while holding that lock itself, so
a resume that starts meanwhile either waits its turn or finds the folder gone, never half.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from fitbench import _io
from fitbench.errors import FitbenchError
from fitbench.runs import _folder
from fitbench.runs._lock import acquire, is_locked

CHECKPOINT = "checkpoint.npz"  # written by fitbench.training; the runs package must not import training
_WORTH_KEEPING = {_folder.MODEL: "a trained model", CHECKPOINT: "a checkpoint to resume from"}


@dataclass
class Cleaning:
    """What ``clean`` did: removed folders, and kept ones with the reason (one line each)."""

    removed: list[Path] = field(default_factory=list)
    kept: list[tuple[Path, str]] = field(default_factory=list)
    leftovers: list[Path] = field(default_factory=list)


def clean(paths: list[Path], *, named: bool = False) -> Cleaning:
    """Remove the incomplete run folders in ``paths`` that hold nothing worth keeping, and
    the temporary files killed writes left in the others. ``named``: the user named these
    folders, so a model or checkpoint does not protect them (a held lock still does)."""
    done = Cleaning()
    for path in paths:
        try:
            lock = acquire(path)
        except FitbenchError:
            if named or _folder.run_state(path) in ("incomplete", "running"):
                done.kept.append((path, "another process is using it" if is_locked(path) else "it cannot be written"))
            continue
        with lock:  # checked again under the lock: it may have changed since it was listed
            reason = _removal_refused(path, named)
            if reason is None:
                shutil.rmtree(path, ignore_errors=True)
                done.removed.append(path)
                continue
            if reason:
                done.kept.append((path, reason))
            done.leftovers += _io.remove_leftovers(path)
    return done


def _removal_refused(path: Path, named: bool) -> str | None:
    """None: remove it; "": keep it silently (a finished run); else why it is kept."""
    if not ((path / _folder.CONFIG).is_file() or (path / _folder.STATUS).is_file()):
        return "not a run folder (no config.yaml or status.json)"
    if named:
        return None
    if _folder.run_state(path, locked=True) != "incomplete":
        return ""
    held = [what for name, what in _WORTH_KEEPING.items() if (path / name).is_file()]
    if not held:
        return None
    return f"it holds {' and '.join(held)}; name it to remove it: fitbench runs --clean {path}"
