"""``Explanation``: attribution maps with the sanity checks each passed; drawn from the numbers."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fitbench.explain._checks import SanityChecks

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["Explanation"]


@dataclass(frozen=True)
class Explanation:
    """What the model looked at for each input: a map per image, the class it explains (the
    predicted one), and the checks it passed (None when they were not run)."""

    names: list[str]
    images: np.ndarray  # (n, h, w) or (n, h, w, 3), 0..1: the inputs as drawn
    maps: np.ndarray  # (n, h, w): positive pixels raise the class's probability
    predicted: np.ndarray  # (n,) class ids
    probabilities: np.ndarray  # (n,) the predicted class's probability
    class_names: tuple[str, ...]
    method: str  # "integrated_gradients" or "occlusion"
    checks: SanityChecks | None = None

    def __len__(self) -> int:
        return len(self.names)

    def passed(self, k: int) -> list[str]:
        """The sanity checks map ``k`` passed (``[]`` when none were run)."""
        return [] if self.checks is None else self.checks.passed(k)

    def title(self, k: int) -> str:
        passed = ", ".join(self.passed(k)) or "none"
        checks = "" if self.checks is None else f"; checks passed: {passed}"
        return f"{self.class_names[self.predicted[k]]} ({self.probabilities[k]:.0%}){checks}"

    def summary(self) -> str:
        """One line: how many maps, and how they fared in the checks."""
        line = f"{len(self)} {self.method.replace('_', ' ')} map(s)"
        if self.checks is None:
            return line
        checks = self.checks
        return (f"{line}; randomisation: mean Spearman {checks.mean_spearman:.2f} against a re-initialised model "
                f"({int(checks.randomisation_passed.sum())}/{len(self)} below 0.5); deletion: top 10% beat random "
                f"on {int(checks.deletion_passed.sum())}/{len(self)}")

    def plot(self, k: int = 0, ax: Axes | None = None) -> Axes:
        """Map ``k`` over its image: red raised the class's probability, blue lowered it."""
        from fitbench.plots._figure import new_axes

        ax = new_axes(ax, (3.2, 3.6))
        image = self.images[k]
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0.0, vmax=1.0)
        bound = float(np.abs(self.maps[k]).max()) or 1.0
        shown = np.ma.masked_equal(self.maps[k], 0.0)  # no attribution: the image shows through unchanged
        ax.imshow(shown, cmap="bwr", vmin=-bound, vmax=bound, alpha=0.6)
        ax.set_title(self.title(k), fontsize=8, wrap=True)
        ax.set_axis_off()
        return ax

    def save_png(self, k: int, path: str | Path) -> Path:
        """Map ``k``'s picture, written atomically."""
        from fitbench.plots import save_png

        return save_png(self._figure(k), Path(path))

    def _figure(self, k: int) -> Figure:
        from fitbench.plots._figure import new_figure

        figure = new_figure((3.2, 3.6))
        self.plot(k, figure.add_subplot())
        return figure

    def _repr_html_(self) -> str:
        from fitbench.plots import png_bytes

        cells = []
        for k in range(len(self)):
            picture = base64.b64encode(png_bytes(self._figure(k))).decode("ascii")
            cells.append(f'<figure style="display:inline-block;margin:4px"><img src="data:image/png;base64,{picture}" '
                         f'width="200"><figcaption>{html.escape(self.names[k])}</figcaption></figure>')
        return f"<div><p>{html.escape(self.summary())}</p>{''.join(cells)}</div>"
