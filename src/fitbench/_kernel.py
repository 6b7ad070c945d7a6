"""Whether an IPython shell is a Jupyter kernel's: a leaf module, so that the notebook displays
(``fitbench._notebook``) and the progress display (``fitbench.progress``) ask the same question
without importing each other."""

from __future__ import annotations

import sys
from typing import Any


def is_kernel(shell: Any) -> bool:
    """True for a Jupyter kernel's shell (JupyterLab, VS Code, Colab), False for IPython on a terminal."""
    return "IPKernelApp" in getattr(shell, "config", {}) or "google.colab" in sys.modules
