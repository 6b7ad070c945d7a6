"""Tiny tuning studies on scikit-learn's digits: a few hundred images, one or two epochs.

All tuning tests share one runs directory, so they share its JAX compilation cache
(``runs/.jax-cache``): each network shape compiles once for the whole test session. Each
test gets its own storage file and study name.
"""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import pytest

TINY: dict[str, Any] = {
    "name": "tiny",
    "dataset": {"name": "digits", "seed": 0, "train_limit": 200, "normalize": False},
    "model": {"zoo": "mlp", "rescale": True, "units": [16]},
    "training": {"epochs": 2, "batch_size": 20, "learning_rate": 1.0e-3, "early_stopping": {"patience": 3}},
    "search": {
        "objective": "val_macro_f1",
        "trials": 3,
        "pruner": "median",
        "sampler": {"name": "tpe", "seed": 0},
        # The seed only: one network shape (each new shape costs seconds of XLA compilation).
        "space": {"training.seed": {"type": "int", "low": 1, "high": 46}},
    },
}
SHAPES = {"type": "categorical", "choices": [16, 32], "length": {"type": "int", "low": 1, "high": 1}}


def tiny(shapes: bool = False, **search: Any) -> dict[str, Any]:
    """A copy of TINY with some ``search`` keys replaced; ``shapes``: also search one layer of 16 or 32."""
    document = copy.deepcopy(TINY)
    document["search"].update(search)
    if shapes:
        document["search"]["space"] = {"model.units": copy.deepcopy(SHAPES), **document["search"]["space"]}
    return document


@pytest.fixture(scope="session")
def shared_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tuning-runs")


@pytest.fixture
def storage(tmp_path: Path) -> str:
    """A fresh SQLite storage for one test."""
    return f"sqlite:///{tmp_path / 'studies.db'}"


@pytest.fixture
def study_name() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"
