"""Images of one split that are copies of images of another: the same image saved twice, a
resized copy, a JPEG re-encoding.

Two steps: perceptual hashes at most ``max_distance`` bits apart propose candidates (fast, but
on a data set of look-alike garments or digits many distinct images hash alike); then each
image keeps its closest candidate only if their 8x8 thumbnails nearly coincide and no other
candidate comes close (a copy stands out; a look-alike has many neighbours as near).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from fitbench.leaks._hash import _resize_matrix, phash
from fitbench.leaks._index import near_pairs

if TYPE_CHECKING:
    from fitbench.data import Dataset

# Measured on Fashion-MNIST (benchmarks/leaks.py): JPEG quality 75 moves the pHash up to 6 bits,
# a resize up to 4; a resize to 20x20 and back leaves 8x8 thumbnails at least 0.988 correlated.
MAX_DISTANCE = 6
MAX_DIFFERENCE = 0.012  # 1 - correlation of the 8x8 thumbnails
# A copy is at least twice as close to its original as to any other image, unless it is
# (almost) the same pixels, as when the reference split holds the original twice.
RATIO, SAME = 0.5, 0.002
THUMB = 8
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


def thumbnails(images: np.ndarray) -> np.ndarray:
    """(n, 64) 8x8 thumbnails, each centred and of unit length (a blank image: zeros)."""
    x = np.asarray(images, dtype=np.float32)
    x = x.mean(axis=-1) if x.ndim == 4 else x
    t = (_resize_matrix(x.shape[1], THUMB) @ x @ _resize_matrix(x.shape[2], THUMB).T).reshape(len(x), -1)
    t -= t.mean(axis=1, keepdims=True)
    return t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-6)


class _Split(NamedTuple):
    hashes: np.ndarray  # (n,) uint64
    thumbs: np.ndarray  # (n, 64)


def _copies(reference: _Split, queries: _Split, max_distance: int,
            max_difference: float) -> list[tuple[int, int, int, float]]:
    """``(reference index, query index, bits, similarity)`` of each query image's original."""
    q, r, bits = near_pairs(queries.hashes, reference.hashes, max_distance)
    if not len(q):
        return []
    difference = 1 - np.einsum("ij,ij->i", queries.thumbs[q], reference.thumbs[r])
    order = np.lexsort((difference, q))  # by query, closest first
    q, r, bits, difference = q[order], r[order], bits[order], difference[order]
    first = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
    has_second = np.r_[first[1:], len(q)] - first > 1
    second = np.where(has_second, difference[np.minimum(first + 1, len(q) - 1)], np.inf)
    best = difference[first]
    kept = first[(best <= max_difference) & ((best <= SAME) | (best <= RATIO * second))]
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
    leaks = [Leak(a, i, b, j, bits, similarity)
             for a, b in SPLIT_PAIRS if a in prepared and b in prepared
             for i, j, bits, similarity in _copies(prepared[a], prepared[b], max_distance, max_difference)]
    return sorted(leaks, key=lambda leak: (-leak.similarity, leak.split, leak.index))
