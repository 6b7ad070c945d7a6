"""fb.find_leaks: copies across splits (exact, resized, JPEG) found, distinct images left alone,
and the multi-index search equal to comparing every pair."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

import fitbench as fb
from fitbench.leaks import Leak, find_leaks, hamming, near_pairs, phash


def _grown(images: np.ndarray, side: int = 32) -> np.ndarray:
    """scikit-learn's 8x8 digits as (n, 32, 32) uint8 images, big enough to resize and JPEG."""
    return np.stack([np.asarray(Image.fromarray(np.uint8(x * 255)).resize((side, side), Image.Resampling.BILINEAR))
                     for x in images])


def _resized(image: np.ndarray) -> np.ndarray:
    small = Image.fromarray(image).resize((24, 24), Image.Resampling.BILINEAR)
    return np.asarray(small.resize(image.shape[::-1], Image.Resampling.BILINEAR))


def _jpeg(image: np.ndarray) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=75)
    return np.asarray(Image.open(buffer))


@pytest.fixture(scope="module")
def grown(digits):
    return _grown(digits.x_train[:300]), digits.y_train[:300], _grown(digits.x_test[:100]), digits.y_test[:100]


def test_exact_resized_and_jpeg_copies_are_found_and_nothing_else(grown):
    x_train, y_train, x_test, y_test = grown
    x_test = x_test.copy()
    x_test[10], x_test[20], x_test[30] = x_train[5], _resized(x_train[6]), _jpeg(x_train[7])
    data = fb.Dataset.from_arrays((x_train, y_train), test=(x_test, y_test))
    leaks = find_leaks(data)
    assert {(leak.index, leak.other_index) for leak in leaks} == {(5, 10), (6, 20), (7, 30)}
    assert all(leak.split == "train" and leak.other_split == "test" for leak in leaks)
    assert leaks[0] == Leak("train", 5, "test", 10, 0, pytest.approx(1.0, abs=1e-5), pytest.approx(1.0))  # exact first


def test_distinct_images_are_not_paired(digits, grown):
    assert find_leaks(digits) == []  # 1,797 real digits: look-alikes, no copies
    x_train, y_train, x_test, y_test = grown
    assert find_leaks(fb.Dataset.from_arrays((x_train, y_train), test=(x_test, y_test))) == []


def test_a_validation_copy_of_test_is_found_in_every_split_pair(grown):
    x_train, y_train, x_test, y_test = grown
    data = fb.Dataset.from_arrays((x_train[:200], y_train[:200]), (x_test[:50], y_test[:50]),
                                  (np.concatenate([x_test[:2], x_train[:1]]), np.concatenate([y_test[:2], y_train[:1]])))
    found = {(leak.split, leak.index, leak.other_split, leak.other_index) for leak in find_leaks(data)}
    assert found == {("val", 0, "test", 0), ("val", 1, "test", 1), ("train", 0, "test", 2)}


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=40), st.integers(0, 7), st.randoms())
def test_the_index_finds_exactly_the_pairs_a_full_comparison_finds(values, max_distance, rnd):
    a = np.array(values, dtype=np.uint64)
    # b: near copies of a (a few bits flipped) and random hashes, so both sides of the bound occur
    flips = [sum(1 << bit for bit in rnd.sample(range(64), rnd.randrange(10))) for _ in values]
    b = np.concatenate([a ^ np.array(flips, dtype=np.uint64), np.array([rnd.getrandbits(64) for _ in range(10)], dtype=np.uint64)])
    i, j, d = near_pairs(a, b, max_distance)
    every = hamming(a[:, None], b[None, :])
    assert set(zip(i.tolist(), j.tolist())) == set(zip(*np.nonzero(every <= max_distance)))
    assert (d == every[i, j]).all() and (np.diff(d) >= 0).all()


def test_a_distance_the_index_cannot_promise_is_refused():
    with pytest.raises(ValueError, match="max_distance"):
        near_pairs(np.zeros(1, np.uint64), np.zeros(1, np.uint64), 8)


images = hnp.arrays(np.uint8, st.tuples(st.integers(6, 40), st.integers(6, 40)), elements=st.integers(0, 255))


@settings(max_examples=40, deadline=None)
@given(images)
def test_any_image_and_its_lossless_copy_pair_and_hashing_is_deterministic(image):
    assume(image.std() >= 1)  # a blank image has no shape to compare: no one's copy
    copy = image.astype(np.float32) / 255  # the same pixels on another scale: 0..1 against 0..255
    train = np.stack([image, 255 - image])  # and its negative, a distinct image of the same shape
    found = find_leaks(fb.Dataset.from_arrays((train, np.array([0, 1])), test=(copy[None], np.array([0]))))
    assert [(leak.index, leak.other_index, leak.distance) for leak in found] == [(0, 0, 0)]
    assert phash(image[None]) == phash(image[None].copy()) == phash(copy[None])
