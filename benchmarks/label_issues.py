"""Suspect labels against ground truth, on the 10,000 MNIST test images.

    python benchmarks/label_issues.py                                  # ../shared/data/mnist
    python benchmarks/label_issues.py --dataset idx:../shared/data/mnist --folds 5 --epochs 10
    python benchmarks/label_issues.py --set model.zoo=cnn            # a stronger model than `first`

1. By construction: 2% of the labels flipped at random to another class (seeded). The audit's
   first k suspects (k = the number flipped) are scored by precision, beside chance (k / n).
2. Published errors: the same images with their own labels. How many of the MNIST test-set
   label errors that Northcutt, Athalye and Mueller (2021, labelerrors.com) confirmed are among
   the first 100 suspects, and among all of them.

Each audit trains the `first` model on k folds (fitbench's cross-validation, compiled engine).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# The MNIST test-set images whose given label fewer than 3 of 5 Mechanical Turk workers chose:
# cleanlab/label-errors, mturk/mnist_mturk.json (the 100 candidates shown to workers). This
# criterion gives 14; the paper's table counts 15 for MNIST, so one confirmed error is not here.
PUBLISHED_ERRORS = (1621, 1901, 2130, 2462, 2597, 2654, 3520, 3558, 5937, 6651, 6783, 8527, 9679, 9729)
FIRST = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default=f"idx:{ROOT.parent / 'shared' / 'data' / 'mnist'}")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--flip", type=float, default=0.02, help="share of labels flipped (default: 0.02)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="another override of the `first` experiment, e.g. --set model.zoo=cnn")
    parser.add_argument("--out", help="output folder (default: a new temporary one)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="fitbench-labels-"))
    out.mkdir(parents=True, exist_ok=True)
    overrides = [f"training.epochs={args.epochs}", "training.batch_size=32", "training.learning_rate=0.001",
                 *args.overrides]

    from fitbench.config import load_experiment
    from fitbench.data import read_idx, write_idx

    dataset = load_experiment("first", dataset=args.dataset).dataset
    if dataset.images is None or dataset.labels is None:
        parser.error("--dataset: expected idx:IMAGES,LABELS or idx:FOLDER (the labels are flipped in an IDX copy)")
    labels = read_idx(dataset.labels, kind="labels")
    flipped, noisy = flip(labels, args.flip, args.seed)
    write_idx(out / "flipped-labels.idx", noisy)

    found = audit(f"idx:{dataset.images},{out / 'flipped-labels.idx'}", args, overrides, out / "flipped")
    truth, suspects = set(flipped.tolist()), [s.index for s in found.suspects]
    precision = len(truth & set(suspects[:len(truth)])) / len(truth)
    verdict = "met" if precision >= 0.7 else "NOT met"
    print(f"flipped {len(truth)} of {len(labels):,} labels: precision of the first {len(truth)} suspects "
          f"{precision:.3f} (target 0.7: {verdict}; chance {len(truth) / len(labels):.3f}); "
          f"{len(suspects)} suspects in all, recall of all suspects {len(truth & set(suspects)) / len(truth):.3f}")

    clean = audit(args.dataset, args, overrides, out / "clean")
    ranks = {s.index: rank for rank, s in enumerate(clean.suspects, start=1)}
    hits = sorted((ranks[i], i) for i in PUBLISHED_ERRORS if i in ranks)
    print(f"own labels: {sum(rank <= FIRST for rank, _ in hits)} of the {len(PUBLISHED_ERRORS)} published errors "
          f"among the first {FIRST} suspects, {len(hits)} among all {len(clean.suspects)} suspects "
          f"(rank, index: {', '.join(f'{rank}:{index}' for rank, index in hits)})")
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}; {out}")


def flip(labels: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Which labels were changed (sorted), and the labels with each of those moved to another class."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(labels), round(share * len(labels)), replace=False))
    noisy = labels.copy()
    noisy[chosen] = (labels[chosen] + rng.integers(1, 10, len(chosen))) % 10
    return chosen, noisy


def audit(spec: str, args: argparse.Namespace, overrides: list[str], runs_dir: Path):  # -> LabelIssues
    from fitbench.audit import find_label_issues

    started = time.perf_counter()
    issues = find_label_issues(spec, args.folds, overrides=overrides, runs_dir=runs_dir)
    print(f"{spec}: {issues.summary()} in {time.perf_counter() - started:.0f} s")
    issues.to_csv(issues.folder / "label_issues.csv")
    issues.report(issues.folder / "label_issues.html")
    return issues


if __name__ == "__main__":
    main()
