"""The attribution sanity checks' figures on a trained `first` model (issue 27).

    python benchmarks/explain.py                 # the shared MNIST test set, else digits
    python benchmarks/explain.py --dataset digits

Trains `first` (3 epochs, batch 64) on 6,000 of the 10,000 shared MNIST test images (the
others: 1,000 validation, 3,000 test) or on scikit-learn's 8x8 digits, explains 200 test
images with integrated gradients (32 steps), and prints: the mean Spearman correlation
against a re-initialised model over the inked pixels (the check's figure) and, for
contrast, over all pixels, of the signed maps and of their magnitudes (|maps|, also over
inked pixels), and the share of maps whose top 10% pixels lower the predicted class's
probability more than 10% random ones (and, a harder bar, 10% random inked pixels), and
the mean Spearman after each stage of the cascade (layers re-initialised from the output down).
With `uptime`'s load.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
CHECKED = 200


def load(name: str):  # noqa: ANN201  a fitbench Dataset
    import fitbench as fb
    from fitbench.data import Dataset
    from fitbench.data._idx import read_idx_pair

    if name == "digits":
        return fb.load_dataset("digits", seed=0)
    x, y = read_idx_pair(SHARED / "t10k-images-idx3-ubyte.gz", SHARED / "t10k-labels-idx1-ubyte.gz")
    x = x.astype(np.float32) / np.float32(255.0)
    return Dataset.from_arrays((x[:6000], y[:6000]), (x[6000:7000], y[6000:7000]), (x[7000:], y[7000:]),
                               num_classes=10, name="mnist-t10k")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = "mnist" if (SHARED / "t10k-images-idx3-ubyte.gz").is_file() else "digits"
    parser.add_argument("--dataset", choices=["mnist", "digits"], default=default)
    args = parser.parse_args()
    import fitbench as fb
    from fitbench.explain import (
        cascading_randomisation, deletion_drops, integrated_gradients, random_weights, rank_correlations,
    )
    from fitbench.models import predict

    data = load(args.dataset)
    run = fb.fit(fb.build_model("first", data), data, epochs=3, batch_size=64, verbose=False,
                 runs_dir=Path(tempfile.mkdtemp(prefix="fitbench-explain-")) / "runs")
    x = data.x_test[:CHECKED]
    started = time.perf_counter()
    explanation = run.explain(x)
    seconds = time.perf_counter() - started
    checks = explanation.checks
    other = integrated_gradients(run.model, x, explanation.predicted, trainable=random_weights(run.model, 0))
    other = other.reshape(explanation.maps.shape)
    everywhere = rank_correlations(explanation.maps, other, np.ones_like(x))
    magnitudes = rank_correlations(np.abs(explanation.maps), np.abs(other), np.ones_like(x))
    inked = rank_correlations(np.abs(explanation.maps), np.abs(other), x)
    print(f"{args.dataset}: test accuracy {run.evaluate('test').accuracy:.3f}; {CHECKED} maps and both checks "
          f"in {seconds:.1f} s")
    print(f"randomisation: mean Spearman {checks.mean_spearman:.3f} over inked pixels "
          f"({int(checks.randomisation_passed.sum())}/{CHECKED} below 0.5); over all pixels {everywhere.mean():.3f}; "
          f"of |maps| over all pixels {magnitudes.mean():.3f}, over inked pixels {inked.mean():.3f}")
    print(f"deletion: top 10% beat random on {checks.deletion_fraction:.1%} "
          f"(mean drop {checks.top_drop.mean():.3f} against {checks.random_drop.mean():.3f})")
    rows, predicted = np.arange(CHECKED), explanation.predicted
    top, inked_drop = deletion_drops(lambda inputs: predict(run.model, inputs)[rows, predicted], x,
                                     explanation.maps, seed=0, among=explanation.images > 0)
    print(f"deletion against random inked pixels (a harder bar): top 10% beat them on {np.mean(top > inked_drop):.1%} "
          f"(mean drop {inked_drop.mean():.3f})")
    stages = cascading_randomisation(run.model, x, explanation.maps, predicted, size=explanation.maps.shape[1:])
    print("cascading randomisation, output layer first: "
          + ", ".join(f"{name} {mean:.3f}" for name, mean in stages))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
