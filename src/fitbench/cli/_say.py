"""What the command line prints: the one place fitbench writes to a terminal (the library never
prints), every part made printable first (``fitbench._inert``)."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from fitbench._inert import printable


def say(*parts: Any, file: TextIO | None = None) -> None:
    """``print`` for the command line: each part made printable (newlines kept, so a block of
    lines stays one), so nothing a folder holds reaches the terminal as a control character."""
    print(*(printable(str(part), keep_newlines=True) for part in parts), file=file or sys.stdout)
