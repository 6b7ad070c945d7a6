"""Words for counts, shared by the progress lines, the displays and the reports."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """``1 epoch``, ``2 epochs``, ``1,000 trials``."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"
