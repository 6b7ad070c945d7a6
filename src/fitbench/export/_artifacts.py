"""The files of a run folder that are exported, read through the run folder's reader.

A folder is untrusted input: only the files a run folder declares are exported (its record
files, ``report.html``, ``model.keras`` and the pictures ``figures/<name>.png``), no symlink is
followed (a link in ``figures/`` to ``~/.ssh/id_rsa`` is damage, never uploaded), and each file
is copied through ``fitbench.runs``' opener (no link, no FIFO, a size limit) into a scratch
folder that the tracker uploads from, so a file swapped for a link after the listing is refused
too.
"""

from __future__ import annotations

import os
import shutil
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from fitbench.errors import FitbenchWarning
from fitbench.runs._files import DamagedFile, is_regular, open_regular
from fitbench.runs._record import CONFIG, ENVIRONMENT, HISTORY, MAX_BYTES, METRICS, MODEL

__all__ = ["Artifact", "declared_artifacts", "staged"]

REPORT, FIGURES = "report.html", "figures"
ARTIFACTS = (REPORT, MODEL, CONFIG, METRICS, HISTORY, ENVIRONMENT)
# The most bytes exported per file: the record files' own limits; a report embeds its pictures;
# a model of the course's sizes is a few MB (bypass, the largest, about 160 MB).
LIMITS = {**MAX_BYTES, REPORT: 100_000_000, MODEL: 2_000_000_000}
MAX_PICTURE_BYTES = 20_000_000  # as the report's own figure cache reads them
MAX_PICTURES = 200


class Artifact(NamedTuple):
    path: Path  # the file in the run folder
    folder: str  # where it goes among the tracked run's artifacts ("" for the top)
    limit: int  # the most bytes it may have


def declared_artifacts(run: Path) -> tuple[list[Artifact], list[str]]:
    """The run's exportable files, and one line for each entry of ``figures/`` that is skipped
    (a symlink, a special file, a folder)."""
    files = [Artifact(run / name, "", LIMITS[name]) for name in ARTIFACTS if is_regular(run / name)]
    pictures, problems = _pictures(run / FIGURES)
    return files + pictures, problems


def _pictures(figures: Path) -> tuple[list[Artifact], list[str]]:
    try:
        if not stat.S_ISDIR(os.lstat(figures).st_mode):  # a symlinked figures/ is not entered
            return [], [f"{FIGURES} is not a folder (not followed)"]
        with os.scandir(figures) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except FileNotFoundError:
        return [], []
    except OSError as error:
        return [], [f"{FIGURES} cannot be listed ({error.strerror})"]
    pictures: list[Artifact] = []
    problems: list[str] = []
    for entry in entries:
        if not entry.name.endswith(".png") or entry.name.startswith("."):
            continue
        if not entry.is_file(follow_symlinks=False):
            problems.append(f"{FIGURES}/{entry.name} is not a regular file (not exported)")
        elif len(pictures) < MAX_PICTURES:
            pictures.append(Artifact(Path(entry.path), f"pictures/{FIGURES}", MAX_PICTURE_BYTES))
    return pictures, problems


def staged(artifacts: list[Artifact], scratch: Path) -> Iterator[tuple[Path, str]]:
    """``(copy, folder)`` for each artifact, copied into ``scratch`` through the run folder's
    opener; one that is now a link, a special file or over its limit is skipped with a
    FitbenchWarning."""
    for number, artifact in enumerate(artifacts):
        target = scratch / str(number) / artifact.path.name
        target.parent.mkdir(parents=True)
        try:
            with open_regular(artifact.path, artifact.limit) as source, target.open("wb") as copy:
                shutil.copyfileobj(source, copy)
        except (DamagedFile, OSError) as error:
            reason = str(error) if isinstance(error, DamagedFile) else error.strerror
            warnings.warn(FitbenchWarning(f"{artifact.path.parent}: {artifact.path.name} not exported: {reason}"),
                          stacklevel=2)
            continue
        yield target, artifact.folder
