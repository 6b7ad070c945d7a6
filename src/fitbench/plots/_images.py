"""Grids of images: the first N of a split, the mistakes, and the most confident mistakes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from fitbench._sanity import passed_line
from fitbench.errors import DataError
from fitbench.plots._figure import Margins, new_axes
from fitbench.runs._record import ExplanationSet, ImageSet

if TYPE_CHECKING:
    from matplotlib.axes import Axes


# How many images the report shows: the course's 5x5 grids, the ten worst mistakes, and 12
# pairs of copies across splits.
GRID_IMAGES, TOP_LOSSES, LEAK_PAIRS = 25, 10, 12


class ImageGrid(NamedTuple):
    """Images to show in a grid, each with a title; ``wrong`` titles are drawn in red."""

    images: np.ndarray  # (n, height, width) or (n, height, width, 3)
    titles: list[str]
    indices: list[int]  # positions in the split, so a user can look an image up
    wrong: list[bool]
    columns: int
    overlays: np.ndarray | None = None  # (n, height, width): attribution maps drawn over the images


class TopLoss(NamedTuple):
    """One confidently wrong prediction: ``loss`` is -log p(true class)."""

    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose: the public field name
    true: int
    predicted: int
    probability: float  # of the predicted class
    loss: float


def as_images(x: np.ndarray) -> np.ndarray:
    """``x`` as displayable images: (n, h, w), (n, h, w, 3); flat square rows are reshaped."""
    x = np.asarray(x)
    if x.ndim == 4 and x.shape[-1] == 1:
        return x[..., 0]
    if x.ndim == 3 or (x.ndim == 4 and x.shape[-1] == 3):
        return x
    side = math.isqrt(x.shape[-1]) if x.ndim == 2 else 0
    if x.ndim == 2 and side * side == x.shape[-1]:
        return x.reshape(len(x), side, side)  # (n, 784) -> (n, 28, 28)
    raise DataError(f"cannot show inputs of shape {x.shape[1:]} as images; expected (height, width[, channels])")


def _name(label: int, class_names: Sequence[str] | None) -> str:
    return class_names[label] if class_names is not None and 0 <= label < len(class_names) else str(label)


def sample_grid(x: np.ndarray, y: np.ndarray, *, n: int = 25, columns: int = 5,
                class_names: Sequence[str] | None = None) -> ImageGrid:
    """The first ``n`` images titled with their labels (the course's 5x5 look at the data)."""
    count = min(n, len(y))
    titles = [_name(int(label), class_names) for label in y[:count]]
    return ImageGrid(as_images(x[:count]), titles, list(range(count)), [False] * count, columns)


def shown_indices(y_true: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Positions of the images a report shows for a split: the first mistakes and the top
    losses (sorted, unique); a run folder keeps just these images."""
    wrong = np.flatnonzero(np.asarray(probabilities).argmax(axis=1) != np.asarray(y_true))[:GRID_IMAGES]
    worst = [loss.index for loss in top_losses(y_true, probabilities, n=TOP_LOSSES)]
    return np.unique(np.concatenate([wrong, np.asarray(worst, dtype=np.int64)])).astype(np.int64)


def mistake_grid(x: np.ndarray | ImageSet, y_true: np.ndarray, y_pred: np.ndarray, *, n: int = 25, columns: int = 5,
                 class_names: Sequence[str] | None = None) -> ImageGrid:
    """The first ``n`` misclassified images, titled ``pred 9 / true 4``."""
    wrong = np.flatnonzero(np.asarray(y_pred) != np.asarray(y_true))[:n]
    titles = [f"pred {_name(int(y_pred[i]), class_names)} / true {_name(int(y_true[i]), class_names)}"
              for i in wrong]
    images = as_images(x[wrong]) if len(wrong) else np.zeros((0, 1, 1))
    return ImageGrid(images, titles, wrong.tolist(), [True] * len(wrong), columns)


def top_losses(y_true: np.ndarray, probabilities: np.ndarray, *, n: int = 9) -> list[TopLoss]:
    """The ``n`` wrong predictions with the highest loss: the model was surest and wrong."""
    probabilities = np.asarray(probabilities, dtype=np.float64)  # (n, classes)
    y_true = np.asarray(y_true)
    predicted = probabilities.argmax(axis=1)
    p_true = probabilities[np.arange(len(y_true)), y_true]
    losses = -np.log(np.clip(p_true, 1e-12, 1.0))
    wrong = np.flatnonzero(predicted != y_true)
    order = wrong[np.argsort(-losses[wrong], kind="stable")][:n]
    return [TopLoss(int(i), int(y_true[i]), int(predicted[i]), float(probabilities[i, predicted[i]]),
                    float(losses[i])) for i in order]


def top_loss_grid(x: np.ndarray | ImageSet, losses: Sequence[TopLoss], *, columns: int = 5,
                  class_names: Sequence[str] | None = None) -> ImageGrid:
    """Images of ``top_losses``, titled ``9 (p 0.98)`` over ``true 4, loss 4.1``."""
    titles = [f"{_name(t.predicted, class_names)} (p {t.probability:.2f})\n"
              f"true {_name(t.true, class_names)}, loss {t.loss:.1f}" for t in losses]
    indices = [t.index for t in losses]
    images = as_images(x[np.asarray(indices, dtype=np.int64)]) if indices else np.zeros((0, 1, 1))
    return ImageGrid(images, titles, indices, [True] * len(indices), columns)


def mosaic(images: np.ndarray, columns: int, *, pad: int, gap: int) -> np.ndarray:
    """One array holding every image, ``gap`` pixels above each row for titles (NaN = background)."""
    count, height, width = images.shape[:3]
    rows = max(1, math.ceil(count / columns))
    cell_h, cell_w = height + gap, width + pad
    canvas = np.full((rows * cell_h, columns * cell_w, *images.shape[3:]), np.nan, dtype=np.float64)
    for k, image in enumerate(images):
        top, left = (k // columns) * cell_h + gap, (k % columns) * cell_w
        canvas[top:top + height, left:left + width] = image
    return canvas


def plot_image_grid(grid: ImageGrid, ax: Axes | None = None) -> Axes:
    """Draw the grid on one Axes: the images as one mosaic, titles above each image."""
    if not grid.titles:
        ax = new_axes(ax, (4.0, 1.0), Margins())
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no images to show", ha="center", va="center", transform=ax.transAxes)
        return ax
    columns = max(1, min(grid.columns, len(grid.titles)))
    height, width = grid.images.shape[1:3]
    lines = 1 + max(title.count("\n") for title in grid.titles)
    pad, gap = max(1, width // 8), max(4, height // 2) + (lines - 1) * max(3, height // 3)
    canvas = mosaic(grid.images, columns, pad=pad, gap=gap)
    # Size a new figure to the mosaic's aspect so the images fill it; titles lie inside the mosaic.
    ax = new_axes(ax, (1.45 * columns, 1.45 * columns * canvas.shape[0] / canvas.shape[1] + 0.2), Margins())
    ax.set_axis_off()
    finite = grid.images[np.isfinite(grid.images)]
    if canvas.ndim == 3 and finite.max() > 1.0:
        canvas = canvas / float(finite.max())  # imshow takes colour as 0..1 (raw 0..255 pixels: scale)
    # gray_r: ink dark on white paper, as digits are usually shown; NaN background stays white.
    ax.imshow(canvas, cmap="gray_r", vmin=float(finite.min()), vmax=float(finite.max()), interpolation="nearest")
    if grid.overlays is not None:
        _overlay(ax, grid.overlays, columns, pad=pad, gap=gap)
    size = 8 if max(len(line) for title in grid.titles for line in title.split("\n")) <= 18 else 7
    for k, title in enumerate(grid.titles):
        x = (k % columns) * (width + pad) + width / 2
        y = (k // columns) * (height + gap) + gap - 1
        ax.text(x, y, title, ha="center", va="bottom", fontsize=size,
                color="#c0392b" if grid.wrong[k] else "black")
    return ax


def _overlay(ax: Axes, maps: np.ndarray, columns: int, *, pad: int, gap: int) -> None:
    """Each map scaled to its own largest value, red where it raised the class's probability,
    blue where it lowered it; pixels without attribution let the image show through."""
    bound = np.abs(maps).reshape(len(maps), -1).max(axis=1, initial=0.0)
    scaled = np.asarray(maps, np.float64) / np.where(bound > 0, bound, 1.0)[:, None, None]
    canvas = mosaic(np.where(scaled == 0, np.nan, scaled), columns, pad=pad, gap=gap)
    ax.imshow(np.ma.masked_invalid(canvas), cmap="bwr", vmin=-1.0, vmax=1.0, alpha=0.6, interpolation="nearest")


def attribution_grid(grid: ImageGrid, explained: ExplanationSet) -> ImageGrid:
    """``grid``'s images that have a map in ``explained``, each map laid over its image and the
    sanity checks it passed added to its title."""
    found = [(k, explained.map_of(index)) for k, index in enumerate(grid.indices)]
    kept = [(k, j) for k, j in found if j is not None]
    if kept and explained.maps.shape[1:] != grid.images.shape[1:3]:
        raise DataError(f"attribution maps of {explained.maps.shape[1:]} pixels for images of "
                        f"{grid.images.shape[1:3]}; explain the run again")
    checks = explained.checks
    return ImageGrid(grid.images[[k for k, _ in kept]] if kept else np.zeros((0, 1, 1)),
                     [f"{grid.titles[k]}\n{passed_line(checks.passed(j))}" for k, j in kept],
                     [grid.indices[k] for k, _ in kept], [grid.wrong[k] for k, _ in kept], grid.columns,
                     overlays=explained.maps[[j for _, j in kept]] if kept else np.zeros((0, 1, 1)))


def leak_grid(shown: ImageSet, pairs: Sequence[Sequence[object]]) -> ImageGrid:
    """Copies across splits side by side, each original then its copy, titled ``train #12``.

    ``shown`` holds the pairs' images in that order (a run folder's ``leaks`` images); ``pairs``
    are the leakage finding's ``(split, index, other split, other index)``."""
    count = min(len(pairs), len(shown.images) // 2)
    titles = [f"{pair[k]} #{pair[k + 1]}" for pair in pairs[:count] for k in (0, 2)]
    indices = [int(index) for index in shown.indices[:2 * count]]
    return ImageGrid(as_images(shown.images[:2 * count]), titles, indices, [False] * 2 * count, columns=4)
