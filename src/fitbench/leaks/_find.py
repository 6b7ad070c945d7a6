"""Images of one split that are copies of images of another: the same image saved twice, a
resized copy, a JPEG re-encoding.

Two steps: perceptual hashes at most ``max_distance`` bits apart propose candidates (fast, but
on a data set of look-alike garments or digits many distinct images hash alike); then each
image keeps its closest candidate only if their 8x8 thumbnails nearly coincide and no other
image of either split comes close (a copy stands out; a look-alike has neighbours as near).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from fitbench.leaks._hash import _resize_matrix, phash, shrink
from fitbench.leaks._index import near_pairs

if TYPE_CHECKING:
    from fitbench.data import Dataset

# Measured on Fashion-MNIST (benchmarks/leaks.py): JPEG quality 75 moves the pHash up to 6 bits,
# a resize up to 4; a resize to 20x20 and back leaves 8x8 thumbnails at least 0.988 correlated.
MAX_DISTANCE = 6
MAX_DIFFERENCE = 0.012  # 1 - correlation of the 8x8 thumbnails
# A copy is 2.5 times closer to its original than to any other image (of either split),
# unless it is (almost) the same pixels, as when the reference split holds the original twice.
RATIO, SAME = 0.4, 0.002
THUMB = 8
BLOCK = 512  # rows compared with a whole split at once: 512 x 60,000 float32 = 120 MB
# Which split's images are looked up in which: each later split in each earlier one.
SPLIT_PAIRS = (("train", "val"), ("train", "test"), ("val", "test"))


class Leak(NamedTuple):
    """An image of ``other_split`` that is a copy of one in ``split`` (positions in each)."""

    split: str
    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose: the public field name
    other_split: str
    other_index: int
    distance: int  # pHash bits apart
    similarity: float  # correlation of the two 8x8 thumbnails
    sharp_similarity: float  # correlation at full size: near 1 only for the same pixels (or a JPEG)


def thumbnails(images: np.ndarray) -> np.ndarray:
    """(n, 64) 8x8 thumbnails, each centred and of unit length (a blank image: zeros)."""
    height, width = np.shape(images)[1:3]
    t = shrink(images, _resize_matrix(height, THUMB), _resize_matrix(width, THUMB).T).reshape(len(images), -1)
    t -= t.mean(axis=1, keepdims=True)
    return t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-6)


class _Split(NamedTuple):
    hashes: np.ndarray  # (n,) uint64
    thumbs: np.ndarray  # (n, 64)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two images' pixels (0 when one is blank)."""
    x, y = (np.asarray(image, np.float64).ravel() for image in (a, b))
    x, y = x - x.mean(), y - y.mean()
    return float(x @ y / max(np.linalg.norm(x) * np.linalg.norm(y), 1e-12))


def _difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 - correlation of rows of thumbnails."""
    return np.asarray(1 - np.einsum("ij,ij->i", a, b))


def _nearest_but(rows: np.ndarray, among: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """For each thumbnail of ``rows``, the difference to the closest of ``among`` but the one at
    ``skip``: every image is compared, as look-alikes may hash apart. ``len(rows) x len(among)``
    products of 64 numbers, ``BLOCK`` rows at a time."""
    nearest = np.full(len(rows), np.inf)
    for start in range(0, len(rows), BLOCK):
        difference = 1 - rows[start:start + BLOCK] @ among.T  # (block, n)
        difference[np.arange(len(difference)), skip[start:start + BLOCK]] = np.inf
        nearest[start:start + BLOCK] = difference.min(axis=1, initial=np.inf)
    return nearest


def _copies(reference: _Split, queries: _Split, max_distance: int,
            max_difference: float) -> list[tuple[int, int, int, float]]:
    """``(reference index, query index, bits, similarity)`` of each query image's original."""
    q, r, bits = near_pairs(queries.hashes, reference.hashes, max_distance)
    if not len(q):
        return []
    difference = _difference(queries.thumbs[q], reference.thumbs[r])
    order = np.lexsort((difference, q))  # by query, closest first
    q, r, bits, difference = q[order], r[order], bits[order], difference[order]
    first = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
    second = np.full(len(first), np.inf)
    close = (difference[first] <= max_difference) & (difference[first] > SAME)
    # A look-alike (two similar 1s) has neighbours about as near in its own split too, on
    # either side; a copy is far nearer its original than to anything else.
    qs, rs = q[first[close]], r[first[close]]
    second[close] = np.minimum.reduce([
        _nearest_but(queries.thumbs[qs], reference.thumbs, rs),  # the next closest original
        _nearest_but(queries.thumbs[qs], queries.thumbs, qs),  # the copy's own split
        _nearest_but(reference.thumbs[rs], reference.thumbs, rs)])  # the original's own split
    best = difference[first]
    kept = first[(best <= SAME) | (close & (best <= RATIO * second))]
    return [(int(r[k]), int(q[k]), int(bits[k]), float(1 - difference[k])) for k in kept]


def find_leaks(dataset: Dataset, *, max_distance: int = MAX_DISTANCE,
               max_difference: float = MAX_DIFFERENCE) -> list[Leak]:
    """Validation and test images that are copies of training images (and test of validation),
    closest first. Each image of the later split names its one original.

    Args:
        dataset: the splits to compare (any image shape; colour is compared in gray).
        max_distance: pHash bits a copy may differ by (0 to 7).
        max_difference: how far below 1 the thumbnails' correlation may fall.
    """
    splits = {name: dataset.split(name)[0] for name in ("train", "val", "test")}
    prepared = {name: _Split(phash(x), thumbnails(x)) for name, x in splits.items()
                if len(x) and np.ndim(x) in (3, 4)}
    leaks = [Leak(a, i, b, j, bits, similarity, _correlation(splits[a][i], splits[b][j]))
             for a, b in SPLIT_PAIRS if a in prepared and b in prepared
             for i, j, bits, similarity in _copies(prepared[a], prepared[b], max_distance, max_difference)]
    return sorted(leaks, key=lambda leak: (-leak.similarity, leak.split, leak.index))
