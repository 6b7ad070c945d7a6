"""The declared version bounds are the ones CI tests, and Keras' private attributes are read in
one module (fitbench/_keras.py), where each says which Keras versions need it."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from fitbench._keras import keras
from tests.conftest import ROOT

SOURCE = ROOT / "src" / "fitbench"
# What .ci/run installs at their oldest: the dependencies whose API fitbench leans on.
PINNED = ("keras", "jax", "jaxlib", "numpy", "scikit-learn", "optuna", "pydantic")


def _release(version: str) -> tuple[int, ...]:
    numbers = [int(part) for part in version.split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:  # 1.26 == 1.26.0
        numbers.pop()
    return tuple(numbers)


def _lower_bounds() -> dict[str, str]:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    found = (re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?\s*>=\s*([0-9.]+)(?:\s*,.*)?", d) for d in dependencies)
    return {match[1].lower(): match[2] for match in found if match}


def _pins() -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in (ROOT / ".ci" / "constraints-min.txt").read_text().splitlines())
    return dict(line.split("==") for line in lines if line)


def test_the_minimum_constraints_pin_each_declared_lower_bound():
    bounds, pins = _lower_bounds(), _pins()
    assert sorted(pins) == sorted(PINNED)
    for name in PINNED:
        declared = bounds["jax" if name == "jaxlib" else name]  # jax[cpu] brings the jaxlib of its version
        assert _release(pins[name]) == _release(declared), f"{name}: pinned {pins[name]}, declared >={declared}"


def _keras_private_names() -> set[str]:
    """Private attribute names that Keras models, layers, optimizers and callbacks have."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    objects = [model, *model.layers, model.optimizer, keras.callbacks.EarlyStopping(), model.layers[0].kernel]
    return {name for thing in objects for name in dir(thing) if name.startswith("_") and not name.endswith("__")}


def _private_reads(tree: ast.AST) -> list[tuple[int, str]]:
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            reads.append((node.lineno, node.attr))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr")
              and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            reads.append((node.lineno, node.args[1].value))
    return reads


def test_only_fitbench_keras_reads_private_keras_attributes():
    private = _keras_private_names()
    found = [f"{path.relative_to(SOURCE)}:{line}: {name}"
             for path in sorted(SOURCE.rglob("*.py")) if path.name != "_keras.py"
             for line, name in _private_reads(ast.parse(path.read_text())) if name in private]
    assert found == [], "read them through a helper in fitbench/_keras.py"
