"""Leaks between splits: validation or test images that are copies of training images (the same
image saved twice, a resized copy, a JPEG re-encoding), found by perceptual hash and checked on
thumbnails.

>>> for leak in fb.find_leaks(data)[:5]:
...     print(leak.split, leak.index, "->", leak.other_split, leak.other_index)
"""

from __future__ import annotations

from fitbench.leaks._find import MAX_DIFFERENCE, MAX_DISTANCE, Leak, find_leaks, thumbnails
from fitbench.leaks._hash import hamming, phash
from fitbench.leaks._index import near_pairs

__all__ = [
    "MAX_DIFFERENCE",
    "MAX_DISTANCE",
    "Leak",
    "find_leaks",
    "hamming",
    "near_pairs",
    "phash",
    "thumbnails",
]
