"""``Explanation`` draws saved numbers; ``explain`` falls back to occlusion when gradients vanish."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from fitbench._keras import keras
from fitbench.errors import ConfigError
from fitbench.explain import Explanation, SanityChecks, explain, rank_correlations


def _explanation() -> Explanation:
    maps = np.zeros((2, 6, 6))
    maps[:, 2:4, 2:4] = [[1.0, -0.5], [0.25, 2.0]]
    checks = SanityChecks(spearman=np.array([0.1, 0.7]), top_drop=np.array([0.5, 0.1]),
                          random_drop=np.array([0.0, 0.2]))
    return Explanation(["a.png", "<b>.png"], np.full((2, 6, 6), 0.5), maps, np.array([1, 0]), np.array([0.9, 0.6]),
                       ("zero", "one"), "integrated_gradients", checks)


def test_each_map_records_the_checks_it_passed(tmp_path: Path) -> None:
    explanation = _explanation()
    assert explanation.passed(0) == ["randomisation", "deletion"] and explanation.passed(1) == []
    assert explanation.title(0) == "one (90%); checks passed: randomisation, deletion"
    assert "mean Spearman 0.40" in explanation.summary() and "1/2 below 0.5" in explanation.summary()
    path = explanation.save_png(1, tmp_path / "b.png")
    assert Image.open(path).format == "PNG"
    page = explanation._repr_html_()
    assert page.count("<img") == 2 and "&lt;b&gt;.png" in page and "<b>.png" not in page


class _Round(keras.layers.Layer):
    """Rounds its inputs: the gradient through it is zero everywhere."""

    def call(self, x):
        return keras.ops.round(x * 4.0)


def test_auto_uses_occlusion_when_gradients_vanish() -> None:
    model = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(16, "relu"), _Round(),
                              keras.layers.Dense(3, "softmax")])
    run = SimpleNamespace(config={}, path=Path("."))
    x = np.random.default_rng(0).uniform(0, 1, (3, 8, 8)).astype(np.float32)
    explanation = explain(run, x, model=model, checks=False)  # type: ignore[arg-type]
    assert explanation.method == "occlusion" and explanation.checks is None
    assert explanation.maps.shape == (3, 8, 8) and np.abs(explanation.maps).max() > 0
    with pytest.raises(ConfigError, match="steps=0"):
        explain(run, x, model=model, steps=0)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (2, 5, 5), elements=st.floats(-1e6, 1e6)),
       arrays(np.float64, (2, 5, 5), elements=st.floats(-1e6, 1e6)),
       arrays(np.float64, (2, 5, 5), elements=st.sampled_from([0.0, 1.0])))
def test_rank_correlations_are_always_between_minus_one_and_one(a, b, images) -> None:
    rho = rank_correlations(a, b, images)
    assert rho.shape == (2,) and np.all(np.isfinite(rho)) and np.all(np.abs(rho) <= 1.0 + 1e-9)
