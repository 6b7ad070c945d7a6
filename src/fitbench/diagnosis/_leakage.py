"""The rule about copies across splits: validation or test images that are training images
(saved twice, resized, re-encoded), found by ``fitbench.leaks``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from fitbench.diagnosis._finding import Finding
from fitbench.leaks import Leak
from fitbench.runs._record import MAX_PAIRS

NAMED = 3  # pairs written out in the evidence
# Full-size pixels this correlated: the same image, saved again or re-encoded (JPEG at quality 75
# keeps 0.994 on MNIST); two similar 1s reach 0.982, and a resized copy less.
NEAR_EXACT = 0.99


def _pair(leak: Leak) -> str:
    return f"{leak.split} #{leak.index} = {leak.other_split} #{leak.other_index}"


def leakage(leaks: Sequence[Leak]) -> Finding | None:
    """Some images of a later split are copies of images of an earlier one: their scores are
    partly scores on training images. A warning when some are near-exact copies; only
    information when all are blurred ones, which two similar simple shapes (two 1s) can mimic."""
    if not leaks:
        return None
    exact = sum(leak.sharp_similarity >= NEAR_EXACT for leak in leaks)
    counts = Counter(f"{leak.other_split} in {leak.split}" for leak in leaks)
    split_counts = ", ".join(f"{n} {where}" for where, n in counts.items())
    named = "; ".join(_pair(leak) for leak in leaks[:NAMED]) + ("; ..." if len(leaks) > NAMED else "")
    pairs = [(leak.split, leak.index, leak.other_split, leak.other_index) for leak in leaks[:MAX_PAIRS]]
    verdict = (f"{len(leaks)} images of one split are copies of images of another" if exact else
               f"{len(leaks)} images of one split may be blurred copies of images of another (or look-alikes)")
    return Finding(
        "leakage", "warning" if exact else "info", verdict,
        f"{split_counts}; {exact} near-exact (same image or re-encoded), {len(leaks) - exact} blurred "
        f"(resized?): {named}",
        "look at the pairs; drop the copies from the later split (or from train) so each score is on unseen "
        "images; fb.find_leaks(data) lists them all", {"count": len(leaks), "exact": exact, "pairs": pairs})
