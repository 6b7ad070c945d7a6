"""Label audits on the web page: the suspects ``fitbench audit`` saved (``label_issues.json`` and
``.npz``, declared in ``fitbench.runs._label_audit``), read from their files alone. A page
request never runs an audit: it reads, validates and shows, and a damaged file is one line
naming it."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from fitbench.errors import FitbenchError
from fitbench.runs import DamagedFile
from fitbench.runs._label_audit import LabelAudit, audit_images, audit_under, find_audits, read_audit
from fitbench.web._catalog import RunNotFound, root_of

MAX_LISTED = 200  # audits named on the runs page
ROWS = 500  # suspects in the page's table; the CSV beside the audit lists them all


class Cell(NamedTuple):
    """One suspect in the page's grid."""

    uri: str  # data:image/png;base64,...
    title: str  # "#1901: 9 -> 4?"
    path: str | None


def audit_ids(runs_dir: Path) -> tuple[str, ...]:
    """The audits under the runs directory, by id (their folder relative to it)."""
    found = []
    for audit_id in find_audits(root_of(runs_dir)):
        found.append(audit_id)
        if len(found) == MAX_LISTED:
            break
    return tuple(found)


def load(runs_dir: Path, audit_id: str) -> LabelAudit:
    """The audit ``audit_id``: RunNotFound (404) when there is none, a one-line FitbenchError naming
    the damaged file otherwise."""
    folder = _folder(runs_dir, audit_id)
    try:
        return read_audit(folder)
    except DamagedFile as error:
        raise FitbenchError(f"audit {audit_id}: {error}") from None


def page(runs_dir: Path, audit_id: str) -> dict[str, Any]:
    """What the audit page shows: the record, the grid of the first suspects' images (or the one
    line saying why there is none), and the first rows of the table."""
    audit = load(runs_dir, audit_id)
    try:
        cells, problem = _grid(audit, audit_images(_folder(runs_dir, audit_id), audit)), None
    except DamagedFile as error:
        cells, problem = [], str(error)
    return {"id": audit_id, "audit": audit, "cells": cells, "problem": problem, "rows": audit.suspects[:ROWS]}


def _folder(runs_dir: Path, audit_id: str) -> Path:
    folder = audit_under(root_of(runs_dir), audit_id)
    if folder is None:
        raise RunNotFound(f"no label audit {audit_id[:100]!r} under the runs directory")
    return folder


def _grid(audit: LabelAudit, shown: Any) -> list[Cell]:
    ranked = audit.suspects[:len(shown.indices)]
    if [s.index for s in ranked] != [int(index) for index in shown.indices]:
        raise DamagedFile("label_issues.npz does not match label_issues.json (other suspects); audit again")
    names = audit.class_names
    return [Cell(_png(image), f"#{s.index}: {names[s.given]} \u2192 {names[s.suggested]}?", s.path)
            for image, s in zip(shown.images, ranked, strict=True)]


def _png(image: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
