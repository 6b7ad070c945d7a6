"""Leaks between splits, checked against ground truth: 200 training images copied into the test
split of Fashion-MNIST (70,000 images), half of them as they are, a quarter resized and a quarter
re-encoded as JPEG with PIL; how many does ``fb.find_leaks`` find, how many pairs does it add that
are not copies, and how long does it take.

    python benchmarks/leaks.py              # /usr/share/datasets/fashion-mnist (apt dataset-fashion-mnist)
    python benchmarks/leaks.py --data-dir DIR --copies 200 --seed 0

Fashion-MNIST as published already has look-alike pairs across train and test (the same product
photographed in another colour); the run finds them first and counts a pair as false only if it
is neither injected nor found before the injection. The baseline timed in the same run: the
check on the untouched data.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from fitbench.data import Dataset, read_idx_pair
from fitbench.leaks import find_leaks

DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
RESIZED_SIDE, JPEG_QUALITY = 20, 75  # 28 -> 20 -> 28 loses detail; quality 75 is PIL's default


def _resized(image: np.ndarray) -> np.ndarray:
    small = Image.fromarray(image).resize((RESIZED_SIDE, RESIZED_SIDE), Image.Resampling.BILINEAR)
    return np.asarray(small.resize(image.shape[::-1], Image.Resampling.BILINEAR))


def _jpeg(image: np.ndarray) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=JPEG_QUALITY)
    return np.asarray(Image.open(buffer))


KINDS = ("exact", "exact", "resized", "jpeg")  # copy k is made the (k % 4)-th way


def inject(x_train: np.ndarray, x_test: np.ndarray, copies: int,
           seed: int) -> tuple[np.ndarray, dict[tuple[int, int], str]]:
    """The test images with ``copies`` of them replaced by training images (half exact, a quarter
    resized, a quarter JPEG), and the (train index, test index) pairs made, with how."""
    rng = np.random.default_rng(seed)
    sources = rng.choice(len(x_train), copies, replace=False)
    places = rng.choice(len(x_test), copies, replace=False)
    x_test = x_test.copy()
    changes = {"exact": lambda image: image, "resized": _resized, "jpeg": _jpeg}
    for k, (source, place) in enumerate(zip(sources, places)):
        x_test[place] = changes[KINDS[k % 4]](x_train[source])
    return x_test, {(int(s), int(p)): KINDS[k % 4] for k, (s, p) in enumerate(zip(sources, places))}


def _timed(dataset: Dataset) -> tuple[set[tuple[int, int]], float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    pairs = {(leak.index, leak.other_index) for leak in find_leaks(dataset)
             if (leak.split, leak.other_split) == ("train", "test")}
    return pairs, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    x_train, y_train = read_idx_pair(args.data_dir / "train-images-idx3-ubyte.gz", args.data_dir / "train-labels-idx1-ubyte.gz")
    x_test, y_test = read_idx_pair(args.data_dir / "t10k-images-idx3-ubyte.gz", args.data_dir / "t10k-labels-idx1-ubyte.gz")
    before, base_wall, base_cpu = _timed(Dataset.from_arrays((x_train, y_train), test=(x_test, y_test)))
    injected, truth = inject(x_train, x_test, args.copies, args.seed)
    found, wall, cpu = _timed(Dataset.from_arrays((x_train, y_train), test=(injected, y_test)))
    recall = len(found & truth.keys()) / len(truth)
    false = found - truth.keys() - before
    by_kind = {kind: f"{sum(pair in found for pair, k in truth.items() if k == kind)}/{list(truth.values()).count(kind)}"
               for kind in dict.fromkeys(KINDS)}
    print(f"{len(x_train) + len(x_test):,} images; {len(before)} look-alike pairs before injection")
    print(f"injected {len(truth)} copies: recall {recall:.3f} ({by_kind}), {len(false)} false pairs")
    print(f"time: {wall:.1f} s wall, {cpu:.1f} s CPU (untouched data, same run: {base_wall:.1f} s wall, "
          f"{base_cpu:.1f} s CPU); {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
