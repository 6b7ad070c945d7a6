"""A run with its trained model at hand: ``Run`` (what ``fitbench.fit`` returns) and ``load_run``.

A ``Run`` is a ``fitbench.runs.SavedRun`` (the folder's numbers, all that reports and the
diagnosis need) that also loads its model and data set on first use, to evaluate, predict and
draw. Importing this package imports neither Keras nor JAX: only a method that needs the model does.

>>> run = fb.load_run("runs/...")
>>> run.evaluate("test").accuracy
"""

from __future__ import annotations

from fitbench.trained._run import Run, load_run

__all__ = ["Run", "load_run"]
