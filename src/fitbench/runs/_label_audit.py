"""A label audit's saved result, declared once: what ``fitbench audit`` (``LabelIssues``) writes
beside its folds and what the web page reads, never running an audit itself.

- ``label_issues.json`` (``LabelAudit``): what was audited and the ranked suspects;
- ``label_issues.npz``: the first suspects' images as uint8 (an ``ImageSet`` named ``suspects``).

An audit folder is untrusted like a run folder: its files are opened without following a link,
bounded, validated, and their damage is one line naming the file (``DamagedFile``). The CSV
and HTML page written beside them are for people; no view reads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pydantic import Field, model_validator

from fitbench import _io
from fitbench.runs import _record as r
from fitbench.runs._record import AUDIT, AUDIT_IMAGES
from fitbench.runs._files import MAX_DEPTH, DamagedFile, folder_under, holds_config
from fitbench.runs._read import _read_npz, parse
from fitbench.runs._write import _write_npz

__all__ = ["AUDIT", "AUDIT_IMAGES", "AuditSuspect", "LabelAudit", "audit_images", "audit_under", "find_audits",
           "read_audit", "write_audit"]

MAX_SUSPECTS = 100_000  # kept in the file (all of them for 70,000 images); `count` says how many were found
SUSPECTS = "suspects"  # the ImageSet's name in label_issues.npz


class AuditSuspect(r._Record):
    """One image whose label confident learning doubts (``fitbench.audit.Suspect``)."""

    index: r.Number  # position in the data set's source
    split: r.SplitName
    path: str | None = Field(None, max_length=4096)  # a folder's file; shown escaped, never opened
    given: int = Field(ge=0, lt=r.MAX_CLASSES)
    suggested: int = Field(ge=0, lt=r.MAX_CLASSES)
    confidence: r.Fraction  # out-of-sample probability of `suggested`
    given_probability: r.Fraction  # ... of the given label: the ranking key


class LabelAudit(r._Record):
    """``label_issues.json``: the suspects, most doubtful first, and what was audited."""

    format: int = Field(1, ge=1, le=1000)
    dataset: r.Name
    audited: r.Count  # images examined
    folds: int = Field(ge=2, le=1000)
    class_names: r.ClassNames = Field(min_length=2)
    count: r.Count  # suspects found; the first MAX_SUSPECTS are kept
    suspects: list[AuditSuspect] = Field(max_length=MAX_SUSPECTS)

    @model_validator(mode="after")
    def _consistent(self) -> LabelAudit:
        classes = len(self.class_names)
        wrong = next((s for s in self.suspects if max(s.given, s.suggested) >= classes), None)
        if wrong is not None:
            raise ValueError(f"suspect #{wrong.index} names class {max(wrong.given, wrong.suggested)} "
                             f"of {classes} classes")
        if not len(self.suspects) <= self.count <= self.audited:
            raise ValueError(f"{self.count} suspects among {self.audited} images, {len(self.suspects)} listed")
        return self


def write_audit(folder: Path, audit: LabelAudit, images: r.ImageSet) -> tuple[Path, Path]:
    """Both files, atomically; ``images``: the first suspects' pictures, uint8, in rank order."""
    _io.write_json(folder / AUDIT, audit.model_dump(mode="json"))
    _write_npz(folder / AUDIT_IMAGES, {SUSPECTS: images}, {"images": np.uint8})
    return folder / AUDIT, folder / AUDIT_IMAGES


def read_audit(folder: Path) -> LabelAudit:
    """``label_issues.json`` validated; DamagedFile (one line naming it) otherwise."""
    return parse(folder / AUDIT, LabelAudit)


def audit_images(folder: Path, audit: LabelAudit) -> r.ImageSet:
    """The first suspects' images; DamagedFile (one line naming the file) when missing or damaged."""
    arrays = _read_npz(folder / AUDIT_IMAGES, r.FORMAT, len(audit.class_names))
    keys = [f"{SUSPECTS}_{field}" for field in r.ImageSet._fields]
    if not all(key in arrays for key in keys):
        raise DamagedFile(f"{AUDIT_IMAGES} holds no suspects' images")
    images = r.ImageSet(*(arrays[key] for key in keys))
    if images.images.ndim not in (3, 4) or images.images.dtype != np.uint8:
        raise DamagedFile(f"{AUDIT_IMAGES} is damaged (images of shape {images.images.shape}, {images.images.dtype}; "
                        "expected (n, height, width[, 3]) uint8)")
    return images


def find_audits(root: Path) -> Iterator[str]:
    """The ids (paths relative to ``root``) of the folders under ``root`` holding an audit, never
    through a symlink or a hidden folder, never inside a run folder, to a bounded depth."""
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False) or holds_config(entry.path):
                continue
            if os.path.lexists(os.path.join(entry.path, AUDIT)):
                yield Path(entry.path).relative_to(root).as_posix()
            if depth + 1 < MAX_DEPTH:
                stack.append((Path(entry.path), depth + 1))


def audit_under(root: Path, audit_id: str) -> Path | None:
    """``root/audit_id`` when it is an audit folder really under ``root`` (as ``folder_under``
    checks a run folder's id), else None."""
    return folder_under(root, audit_id, marker=AUDIT)
