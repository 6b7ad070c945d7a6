"""The rule about copies across splits: validation or test images that are training images
(saved twice, resized, re-encoded), found by ``fitbench.leaks``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from fitbench.diagnosis._finding import Finding
from fitbench.leaks import Leak
from fitbench.runs._record import MAX_PAIRS

NAMED = 3  # pairs written out in the evidence


def _pair(leak: Leak) -> str:
    return f"{leak.split} #{leak.index} = {leak.other_split} #{leak.other_index}"


def leakage(leaks: Sequence[Leak]) -> Finding | None:
    """Some images of a later split are copies of images of an earlier one: their scores are
    partly scores on training images."""
    if not leaks:
        return None
    counts = Counter(f"{leak.other_split} in {leak.split}" for leak in leaks)
    split_counts = ", ".join(f"{n} {where}" for where, n in counts.items())
    named = "; ".join(_pair(leak) for leak in leaks[:NAMED]) + ("; ..." if len(leaks) > NAMED else "")
    pairs = [(leak.split, leak.index, leak.other_split, leak.other_index) for leak in leaks[:MAX_PAIRS]]
    return Finding(
        "leakage", "warning", f"{len(leaks)} images of one split are copies of images of another",
        f"{split_counts} (same image, resized or re-encoded): {named}",
        "drop the copies from the later split (or from train) so each score is on unseen images; "
        "fb.find_leaks(data) lists them all", {"count": len(leaks), "pairs": pairs})
