"""What a run ran on: versions, backend, devices, machine. Saved as environment.json.

The backend and its devices come from the caller (training, which has Keras loaded): run
folders are written and read without importing Keras or JAX."""

from __future__ import annotations

import functools
import os
import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Any

_PACKAGES = ("fitbench", "keras", "jax", "jaxlib", "numpy", "scikit-learn", "pydantic")


def collect_environment(*, backend: str, devices: Sequence[str], seed: int | None = None) -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "packages": {name: _version(name) for name in _PACKAGES},
        "backend": backend,
        "devices": list(devices),
        "seed": seed,
        "machine": {
            "hostname": platform.node(),
            "platform": platform.platform(),
            "processor": platform.machine(),
            "cpu_count": os.cpu_count(),
        },
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
    }


@functools.cache  # importlib.metadata scans sys.path: 5 ms a package, for every run of a study
def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None

