"""What a run ran on: versions, backend, devices, machine. Saved as environment.json."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

_PACKAGES = ("fitbench", "keras", "jax", "jaxlib", "numpy", "scikit-learn", "pydantic")


def collect_environment(seed: int | None = None) -> dict[str, Any]:
    from fitbench._keras import keras

    return {
        "python": sys.version.split()[0],
        "packages": {name: _version(name) for name in _PACKAGES},
        "backend": keras.backend.backend(),
        "devices": _devices(),
        "seed": seed,
        "machine": {
            "hostname": platform.node(),
            "platform": platform.platform(),
            "processor": platform.machine(),
            "cpu_count": os.cpu_count(),
        },
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _devices() -> list[str]:
    try:
        import jax

        return [str(device) for device in jax.devices()]
    except Exception:  # another backend, or JAX without a usable device: not worth failing a run
        return []
