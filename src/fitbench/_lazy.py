"""A package's public names, imported from their modules on first use (PEP 562).

``fitbench.config``, ``fitbench.runs`` and ``fitbench.tuning`` keep their command-line paths
light this way: a misspelt experiment is answered from the file list, ``fitbench runs`` reads
folders without NumPy, and a tuning file is checked without Optuna, Keras or JAX.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, homes: Mapping[str, tuple[str, ...]]
               ) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package``, whose ``homes`` maps each of its
    modules (``"_schema"``) to the public names it defines. A name is imported once, on first
    use, then kept in the package's namespace."""
    home = {name: module for module, names in homes.items() for name in names}
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home[name]}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *home})

    return __getattr__, __dir__, sorted(home)
