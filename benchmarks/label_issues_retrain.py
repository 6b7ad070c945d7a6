"""Retraining without the suspects: does `dataset.label_issues` (drop or relabel) help?

    python benchmarks/label_issues_retrain.py                    # ../shared/data/mnist, 10% flipped
    python benchmarks/label_issues_retrain.py --flip 0.2 --epochs 10

The 10,000 MNIST test images with a share of their labels flipped at random (seeded), audited
(`first`, k folds), then `first` trained three times on the same split: on the labels as given
(the baseline, measured in the same run), with the suspects dropped, and with them relabelled.
Each run is scored on its test split against the TRUE labels (from its saved predictions):
the setting never changes the test split, whose given labels are noisy too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from label_issues import ROOT, audit, flip  # noqa: E402  (the flipping and the audit of the other benchmark)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default=f"idx:{ROOT.parent / 'shared' / 'data' / 'mnist'}")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--flip", type=float, default=0.1, help="share of labels flipped (default: 0.1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="output folder (default: a new temporary one)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="fitbench-retrain-"))
    out.mkdir(parents=True, exist_ok=True)
    overrides = [f"training.epochs={args.epochs}", "training.batch_size=32", "training.learning_rate=0.001"]

    from fitbench.config import load_experiment
    from fitbench.data import read_idx, write_idx

    dataset = load_experiment("first", dataset=args.dataset).dataset
    if dataset.images is None or dataset.labels is None:
        parser.error("--dataset: expected idx:IMAGES,LABELS or idx:FOLDER (the labels are flipped in an IDX copy)")
    true = read_idx(dataset.labels, kind="labels")
    flipped, noisy = flip(true, args.flip, args.seed)
    write_idx(out / "flipped-labels.idx", noisy)
    spec = f"idx:{dataset.images},{out / 'flipped-labels.idx'}"
    issues = audit(spec, args, overrides, out / "audit")
    csv = issues.to_csv(issues.folder / "label_issues.csv")
    caught = len(set(flipped.tolist()) & {s.index for s in issues.suspects})
    print(f"{len(flipped)} labels flipped; {len(issues.suspects)} suspects, {caught} of them flipped ones")

    baseline = None
    for name, setting in (("as given", []), ("drop", ["dataset.label_issues.action=drop"]),
                          ("relabel", ["dataset.label_issues.action=relabel"])):
        more = [*setting, f"dataset.label_issues.csv={csv}"] if setting else []
        accuracy, seconds, trained = train(spec, [*overrides, *more], true, out / "runs")
        baseline = accuracy if baseline is None else baseline
        print(f"{name:9s}: test accuracy against the true labels {accuracy:.4f} ({accuracy - baseline:+.4f}), "
              f"{trained:,} training images, {seconds:.0f} s")
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}; {out}")


def train(spec: str, overrides: list[str], true: np.ndarray, runs_dir: Path) -> tuple[float, float, int]:
    """Test accuracy of a `first` run against the true labels, its wall time, its training images."""
    from fitbench.config import load_experiment
    from fitbench.data import source_positions
    from fitbench.training import run_experiment

    experiment = load_experiment("first", overrides, dataset=spec)
    started = time.perf_counter()
    run = run_experiment(experiment, runs_dir=runs_dir, verbose=False)
    seconds = time.perf_counter() - started
    saved = run.record.predictions("test")
    where = source_positions(experiment.dataset)["test"][saved.indices]
    accuracy = float(np.mean(saved.probabilities.argmax(axis=1) == true[where]))
    return accuracy, seconds, run.metrics.splits["train"].n


if __name__ == "__main__":
    main()
