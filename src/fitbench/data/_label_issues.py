"""``dataset.label_issues``: an audit's suspects dropped from, or relabelled in, the train and
validation splits. The test split is never changed, so a run trained on cleaned labels is
scored on the same images and labels as one trained on the labels as given."""

from __future__ import annotations

import csv
from typing import NamedTuple

import numpy as np

from fitbench.config import LabelIssuesSetting
from fitbench.errors import DataError

MAX_BYTES = 512 * 2**20  # an audit of 10 million images writes about 1 GB; anything beyond is not an audit's CSV
COLUMNS = ("index", "given", "suggested")  # the audit's CSV also has rank, split, path, confidence...


class Suspects(NamedTuple):
    """The audit's suspects: positions in the source, and the suggested class of each."""

    positions: np.ndarray  # (n,) int64
    suggested: np.ndarray  # (n,) class ids


def read_suspects(setting: LabelIssuesSetting, source_labels: np.ndarray, names: tuple[str, ...]) -> Suspects:
    """The first ``setting.top`` rows of the audit's CSV, each checked against the data set:
    its image exists, carries the given label, and the suggested class is one of the data set's."""
    path = setting.csv
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DataError(f"dataset.label_issues.csv: {path} is over {MAX_BYTES // 2**20} MB; expected the "
                            "label_issues.csv that fitbench audit writes")
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(_rows(csv.DictReader(file), setting.top))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"dataset.label_issues.csv: cannot read {path} ({error}); run fitbench audit on the "
                        "data set first, then point to its label_issues.csv") from None
    ids = {name: k for k, name in enumerate(names)}
    return Suspects(np.array([_position(row, k, path, source_labels, names) for k, row in enumerate(rows, 2)],
                             np.int64),
                    np.array([_suggested(row, k, path, ids) for k, row in enumerate(rows, 2)], np.int64))


def _rows(reader: csv.DictReader[str], top: int | None) -> list[dict[str, str]]:
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise DataError(f"dataset.label_issues.csv: no {', '.join(missing)} column; expected the label_issues.csv "
                        "that fitbench audit writes")
    rows: list[dict[str, str]] = []
    for row in reader:
        if top is not None and len(rows) >= top:
            break
        rows.append(row)
    return rows


def _position(row: dict[str, str], line: int, path: object, labels: np.ndarray, names: tuple[str, ...]) -> int:
    text = row.get("index") or ""
    if not text.isdigit() or int(text) >= len(labels):
        raise DataError(f"dataset.label_issues.csv: {path} line {line}: index {text[:20]!r} is not an image of this "
                        f"data set (0..{len(labels) - 1})")
    position = int(text)
    held = names[int(labels[position])]
    if row.get("given") != held:
        raise DataError(f"dataset.label_issues.csv: {path} line {line}: image {position} is labelled {held!r} here, "
                        f"{str(row.get('given'))[:40]!r} in the audit; it audits another data set (or other labels)")
    return position


def _suggested(row: dict[str, str], line: int, path: object, ids: dict[str, int]) -> int:
    name = row.get("suggested")
    if name not in ids:
        raise DataError(f"dataset.label_issues.csv: {path} line {line}: suggested class {str(name)[:40]!r} is not "
                        f"one of the data set's classes")
    return ids[name]


def clean(pair: tuple[np.ndarray, np.ndarray], positions: np.ndarray, suspects: Suspects,
          action: str) -> tuple[np.ndarray, np.ndarray]:
    """One split ``(x, y)`` whose images sit at ``positions`` in the source, with the suspects
    among them dropped or given their suggested label."""
    x, y = pair
    hit = np.isin(positions, suspects.positions)
    if action == "drop":
        return x[~hit], y[~hit]
    order = np.argsort(suspects.positions)
    found = order[np.searchsorted(suspects.positions, positions[hit], sorter=order)]
    relabelled = y.copy()
    relabelled[hit] = suspects.suggested[found]
    return x, relabelled
