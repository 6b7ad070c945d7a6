"""Run folders: what one training run leaves behind, and how to read it back."""

from __future__ import annotations

from fitbench.runs._folder import create_run_folder, run_state
from fitbench.runs._run import Run, load_run

__all__ = ["Run", "create_run_folder", "load_run", "run_state"]
