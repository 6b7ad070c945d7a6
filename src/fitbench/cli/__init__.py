"""The ``fitbench`` command line."""

from __future__ import annotations

from fitbench.cli._main import build_parser, main, run

__all__ = ["build_parser", "main", "run"]
