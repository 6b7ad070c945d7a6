"""Time loading a folder of 70,000 28x28 PNGs (MNIST's size), first and cached.

    python benchmarks/folders.py              # 10 classes x 7,000 images in a temporary folder
    python benchmarks/folders.py --count 7000

Writes the PNGs (a stroke on black, MNIST-like in size and compression) into a new temporary
folder, then loads it twice with ``fitbench.data._folder.load_folder``: the first load decodes
every file in a thread pool and writes the cache; the second reads the cache. Targets: first
under 30 s, cached under 2 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

FIRST_TARGET_S, CACHED_TARGET_S = 30.0, 2.0


def write_pngs(root: Path, count: int, classes: int = 10, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for label in range(classes):
        (root / str(label)).mkdir(parents=True)
    for k in range(count):
        image = np.zeros((28, 28), np.uint8)
        top, left = rng.integers(4, 16, 2)
        image[top:top + 10, left:left + 3] = 255  # a vertical stroke
        image[top + rng.integers(0, 10), left:left + 8] = 200  # and a bar across it
        Image.fromarray(image).save(root / str(k % classes) / f"{k:05d}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=70_000, help="images in all (default: 70,000)")
    args = parser.parse_args()
    from fitbench.data._folder import load_folder

    work = Path(tempfile.mkdtemp(prefix="fitbench-folders-"))
    try:
        started = time.perf_counter()
        write_pngs(work / "images", args.count)
        print(f"wrote {args.count:,} PNGs in {time.perf_counter() - started:.1f} s ({work / 'images'}); "
              f"{os.cpu_count()} CPUs")
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            data = load_folder(work / "images", cache_dir=work / "cache")
            timings.append(time.perf_counter() - started)
        assert len(data.y_train) == args.count
        first, cached = timings
        print(f"first load   {first:6.2f} s  ({first / FIRST_TARGET_S:.2f} of the {FIRST_TARGET_S:.0f} s target)")
        print(f"cached load  {cached:6.2f} s  ({cached / CACHED_TARGET_S:.2f} of the {CACHED_TARGET_S:.0f} s target); "
              f"{first / cached:.0f}x faster than the first")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
