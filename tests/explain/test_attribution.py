"""Integrated gradients, occlusion and the two sanity checks, on small models (fast)."""

from __future__ import annotations

import numpy as np
import pytest

import fitbench as fb
from fitbench.explain import deletion_drops, integrated_gradients, occlusion, random_weights, rank_correlations
from fitbench.models import predict


@pytest.fixture(scope="module")
def model():
    """The course's `first` network shaped for 8x8 digits, untrained: its gradients are real."""
    return fb.build_model("first", input_shape=(8, 8), num_classes=10, seed=1)


def _inputs(count: int = 4) -> np.ndarray:
    x = np.random.default_rng(0).uniform(0, 1, (count, 8, 8)).astype(np.float32)
    x[:, :2] = 0.0  # a black band, as the background of a digit
    return x


def test_integrated_gradients_add_up_to_the_change_in_probability(model) -> None:
    # Completeness (Sundararajan et al., 2017): the map sums to p(x) - p(baseline).
    x, targets = _inputs(), np.array([0, 3, 5, 9])
    maps = integrated_gradients(model, x, targets, steps=128)
    rows = np.arange(len(x))
    change = predict(model, x)[rows, targets] - predict(model, np.zeros_like(x))[rows, targets]
    assert maps.shape == x.shape
    np.testing.assert_allclose(maps.reshape(len(x), -1).sum(axis=1), change, atol=2e-3)
    assert np.all(maps[:, :2] == 0)  # no attribution where the input equals the baseline


def test_occlusion_is_the_drop_when_the_patch_is_blacked_out(model) -> None:
    x, targets = _inputs(1), np.array([2])
    maps = occlusion(model, x, targets, size=(8, 8), patch=4)
    covered = x.copy()
    covered[0, 4:, 4:] = 0.0
    drop = predict(model, x)[0, 2] - predict(model, covered)[0, 2]
    assert maps.shape == (1, 8, 8)
    np.testing.assert_allclose(maps[0, 4:, 4:], drop, atol=1e-5)


def test_random_weights_are_new_and_seeded(model) -> None:
    first, again = random_weights(model, seed=3), random_weights(model, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    kernel = model.trainable_variables[0]
    assert first[0].shape == tuple(kernel.shape) and not np.allclose(first[0], np.asarray(kernel.value))


def test_rank_correlation_ignores_the_background_and_catches_maps_that_show_the_image() -> None:
    images = _inputs()
    # A "map" that is the image itself is the same for every model: correlation 1, the check fails.
    assert np.allclose(rank_correlations(images, images * 2, images), 1.0)
    noise = np.random.default_rng(1).normal(size=images.shape) * (images > 0)
    assert np.all(np.abs(rank_correlations(images, noise, images)) < 0.5)


def test_deletion_removes_the_most_attributed_pixels() -> None:
    x = np.ones((3, 10, 10), np.float32)

    def probability(inputs: np.ndarray) -> np.ndarray:  # the class lives in the top-left 3x3 corner
        return inputs[:, :3, :3].mean(axis=(1, 2))

    maps = np.zeros((3, 10, 10))
    maps[:, :3, :3] = 1.0
    top, random = deletion_drops(probability, x, maps, seed=0)
    np.testing.assert_allclose(top, 1.0)  # 10 pixels removed: the 9 of the corner among them
    assert np.all(random < top)
    corner = maps > 0  # random pixels drawn among the corner's 9 (and one more): as harmful as the top ones
    _, among = deletion_drops(probability, x, maps, seed=0, among=corner)
    np.testing.assert_allclose(among, 1.0)


def test_cascading_randomisation_ends_with_the_whole_model_re_initialised(model) -> None:
    from fitbench.explain import cascading_randomisation, sanity_checks

    x, targets = _inputs(), np.array([0, 3, 5, 9])
    maps = integrated_gradients(model, x, targets, steps=8)
    stages = cascading_randomisation(model, x, maps, targets, size=(8, 8), steps=8, seed=2)
    weighted = [layer.name for layer in model.layers if layer.trainable_variables]
    assert [name for name, _ in stages] == weighted[::-1]  # output layer first
    whole = sanity_checks(model, x, maps, targets, size=(8, 8), steps=8, seed=2).mean_spearman
    assert stages[-1][1] == pytest.approx(whole)
