"""The ranked suspects of an audit: a CSV, an HTML page with their images, a notebook display."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from fitbench import _io, _templates

COLUMNS = ["rank", "index", "split", "path", "given", "suggested", "confidence", "given_probability"]
SHOWN = 50  # suspects drawn in the page's grid; the CSV lists them all
CSV, PAGE = "label_issues.csv", "label_issues.html"  # what ``save`` writes into the audit's folder


class Suspect(NamedTuple):
    """One image whose label confident learning doubts.

    ``index``: the image's position in the data set's source, in the order it stores them (an
    IDX or CSV file's rows; a folder's files, sorted; an official set's training, then test
    images). ``confidence``: the out-of-sample probability of ``suggested``;
    ``given_probability``: that of the given label (the lower, the more suspect).
    """

    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose: the CSV's column name
    split: str
    path: str | None
    given: int
    suggested: int
    confidence: float
    given_probability: float


@dataclass(frozen=True, eq=False)
class LabelIssues:
    """Suspects ranked most doubtful first, with their images as the models saw them, and what was audited."""

    suspects: list[Suspect]
    images: np.ndarray  # (len(suspects), h, w[, 3]), in rank order
    class_names: tuple[str, ...]
    audited: int  # images examined
    folds: int
    dataset: str
    folder: Path  # the folds' run folders

    def summary(self) -> str:
        return (f"{len(self.suspects):,} suspect labels among {self.audited:,} images of {self.dataset} "
                f"({self.folds}-fold out-of-sample probabilities, confident learning)")

    def describe(self, rank: int = 1) -> str:
        """``image 71 (val): labelled 4, looks like 9 (p 0.93)``: the suspect of that rank (1: the most doubtful)."""
        s = self.suspects[rank - 1]
        return (f"image {s.index} ({s.path or s.split}): labelled {self.class_names[s.given]}, looks like "
                f"{self.class_names[s.suggested]} (p {s.confidence:.2f})")

    def save(self) -> tuple[Path, ...]:
        """``label_issues.csv`` and ``label_issues.html`` in the audit's folder (beside its folds),
        then the record the web page reads (``write_record``)."""
        return self.to_csv(self.folder / CSV), self.report(self.folder / PAGE), *self.write_record()

    def rows(self) -> list[list[Any]]:
        return [[rank, s.index, s.split, s.path or "", self.class_names[s.given], self.class_names[s.suggested],
                 float(f"{s.confidence:.4g}"), float(f"{s.given_probability:.4g}")]
                for rank, s in enumerate(self.suspects, start=1)]

    def to_csv(self, path: str | Path) -> Path:
        _io.write_csv(Path(path), COLUMNS, self.rows())
        return Path(path)

    def html(self) -> str:
        """A whole page: the summary, the grid of the first suspects, the table."""
        return _templates.render("fitbench.audit", "label_issues.html.j2", issues=self, grid=self._grid_uri(),
                                 rows=self.rows(), columns=COLUMNS, standalone=True)

    def report(self, path: str | Path) -> Path:
        from fitbench.report._html import write_html

        return write_html(Path(path), self.html())

    def write_record(self, folder: str | Path | None = None) -> tuple[Path, Path]:
        """``label_issues.json`` and ``label_issues.npz`` (the declared record the web page reads,
        ``fitbench.runs._label_audit``) in ``folder``, default the audit's folder beside its folds."""
        from fitbench.plots import as_images
        from fitbench.runs._label_audit import MAX_SUSPECTS, AuditSuspect, LabelAudit, write_audit
        from fitbench.runs._record import ImageSet
        from fitbench.runs._write import as_uint8

        record = LabelAudit(dataset=self.dataset, audited=self.audited, folds=self.folds,
                            class_names=list(self.class_names), count=len(self.suspects),
                            suspects=[AuditSuspect(**s._asdict()) for s in self.suspects[:MAX_SUSPECTS]])
        shown = self.suspects[:SHOWN]
        pixels = np.asarray(self.images[:len(shown)], np.float64)
        images = as_uint8(as_images(pixels), float(pixels.min(initial=0.0)), float(pixels.max(initial=1.0)))
        return write_audit(Path(folder) if folder is not None else self.folder, record,
                           ImageSet(images, np.array([s.given for s in shown], np.int64),
                                    np.array([s.index for s in shown], np.int64)))

    def _repr_html_(self) -> str:
        return _templates.render("fitbench.audit", "label_issues.html.j2", issues=self, grid=self._grid_uri(),
                                 rows=self.rows()[:SHOWN], columns=COLUMNS, standalone=False)

    def _grid_uri(self) -> str | None:
        """The first suspects drawn as one PNG, titled ``given 4 -> 9?``, from the saved pixels."""
        if not self.suspects:
            return None
        import matplotlib.pyplot as plt

        from fitbench.plots import ImageGrid, plot_image_grid, png_bytes
        from fitbench.report._html import data_uri

        shown = self.suspects[:SHOWN]
        titles = [f"#{s.index}: {self.class_names[s.given]} \u2192 {self.class_names[s.suggested]}?" for s in shown]
        grid = ImageGrid(self.images[:len(shown)], titles, [s.index for s in shown], [True] * len(shown), 10)
        figure = plot_image_grid(grid).figure.figure
        try:
            return data_uri(png_bytes(figure))
        finally:
            plt.close(figure)
