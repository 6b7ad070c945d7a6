"""Benchmark the training engines: time per epoch and final validation accuracy.

Same model, data, seeds and settings for every engine, measured in this one run, each
training in its own process (a Keras backend is fixed per process, and XLA's thread count
is set before JAX starts). Prints a table and the ratios against plain ``keras.Model.fit``
on JAX.

    python benchmarks/engine.py                 # Fashion-MNIST full size, 3 seeds
    python benchmarks/engine.py --seeds 1 --epochs 2 --quick

Data: Fashion-MNIST full size (48,000 train / 12,000 val) from Debian's
dataset-fashion-mnist or the Keras cache; the shared MNIST 10,000 when it is missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

SINGLE_THREAD = "--xla_cpu_multi_thread_eigen=false"  # fitbench._keras.SINGLE_THREAD_XLA (importing it would start Keras)
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"

# (label, zoo model, options, batch size, training images or None for all). Plain Keras fit
# runs RandomRotation at about 70 ms a step on this machine (300 s an epoch at batch 10), so
# that case uses 6,000 images: the same for every engine, so its ratio stands.
CASES = [
    ("first @ batch 10", "first", {}, 10, None),
    ("dropout+rotation @ batch 10 (6,000 images)", "dropout", {"rate": 0.2, "augment": ["rotation"]}, 10, 6000),
    ("first @ batch 128", "first", {}, 128, None),
    ("cnn @ batch 32 (12,000 images)", "cnn", {}, 32, 12000),  # ~1 TFLOP an epoch at full size
]
# (label, engine, backend, XLA flags): what each case is trained with.
ENGINES = [
    ("compiled (fitbench default)", "compiled", "jax", SINGLE_THREAD),
    ("compiled, XLA all threads", "compiled", "jax", ""),
    ("keras fit (jax)", "keras", "jax", ""),
    ("keras fit (jax), XLA 1 thread", "keras", "jax", SINGLE_THREAD),
    ("keras fit (tensorflow)", "keras", "tensorflow", ""),
    ("keras fit (torch)", "keras", "torch", ""),
]
BASELINE = "keras fit (jax)"  # what a user gets from plain Keras on JAX, XLA as it comes


def main() -> None:
    args = parse()
    if args.worker:
        print(json.dumps(train_once(json.loads(args.worker))))
        return
    dataset = dataset_spec()
    print(f"data: {dataset['name']}{' (quick: 6,000 training images)' if args.quick else ''}; "
          f"{args.epochs} epochs; seeds {list(range(1, args.seeds + 1))}; one process per training\n")
    for label, zoo, options, batch, limit in CASES:
        results = {}
        for engine_label, engine, backend, flags in ENGINES:
            if backend != "jax" and importlib.util.find_spec(backend) is None:
                results[engine_label] = None
                continue
            if "1 thread" in engine_label and label != CASES[0][0]:
                continue  # plain Keras with one XLA thread: measured once, for the course's setting
            results[engine_label] = [run_worker(dict(dataset=dataset, zoo=zoo, options=options, batch=batch,
                                                     engine=engine, epochs=args.epochs, seed=seed,
                                                     limit=6000 if args.quick else limit), backend, flags)
                                     for seed in range(1, args.seeds + 1)]
        report(label, results)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2, help="epochs per training (the first includes compiling)")
    parser.add_argument("--quick", action="store_true", help="6,000 training images instead of all")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args()


def dataset_spec() -> dict:
    from fitbench.data import where

    if not where("fashion_mnist").startswith("not on this machine"):
        return {"name": "fashion_mnist"}
    return {"name": "idx", "images": str(SHARED / "t10k-images-idx3-ubyte.gz"),
            "labels": str(SHARED / "t10k-labels-idx1-ubyte.gz"), "train_size": 6000, "val_size": 2000,
            "test_size": 2000}


def run_worker(job: dict, backend: str, flags: str) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend, "XLA_FLAGS": flags, "FITBENCH_XLA_THREADS": "all"}
    done = subprocess.run([sys.executable, __file__, "--worker", json.dumps(job)], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker failed ({backend}, {job['engine']}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def train_once(job: dict) -> dict:
    import fitbench as fb

    limits = {"train_limit": job["limit"]} if job["limit"] else {}
    data = fb.load_dataset(**job["dataset"], **limits)
    model = fb.build_model(job["zoo"], data, seed=job["seed"], **job["options"])
    run = fb.fit(model, data, epochs=job["epochs"], batch_size=job["batch"], seed=job["seed"],
                 engine=job["engine"], runs_dir=os.environ.get("TMPDIR", "/tmp") + "/fitbench-bench",
                 verbose=False)
    return {"epoch_times": run.epoch_times, "val_accuracy": run.history["val_accuracy"][-1],
            "engine": run.metrics["engine"]}


def steady(result: dict) -> float:
    # The first epoch includes compiling; the steady state is what the rest of a run costs.
    times = result["epoch_times"]
    return statistics.median(times[1:] if len(times) > 1 else times)


def report(label: str, results: dict[str, list[dict] | None]) -> None:
    print(label)
    base = results.get(BASELINE)
    base_time = statistics.mean(steady(r) for r in base) if base else None
    for engine_label, runs in results.items():
        if runs is None:
            print(f"  {engine_label:34s} skipped: not installed")
            continue
        seconds = statistics.mean(steady(r) for r in runs)
        accuracies = [r["val_accuracy"] for r in runs]
        spread = f"+/- {statistics.stdev(accuracies):.4f}" if len(runs) > 1 else ""
        ratio = f"{base_time / seconds:5.2f}x" if base_time else "  -  "
        ran = {r["engine"] for r in runs}
        engine_label += f" [ran {', '.join(sorted(ran))}]" if engine_label.startswith("compiled") and "keras" in ran else ""
        print(f"  {engine_label:34s} {seconds:7.3f} s/epoch  {ratio} vs {BASELINE}   "
              f"val accuracy {statistics.mean(accuracies):.4f} {spread}  (first epoch "
              f"{statistics.mean(r['epoch_times'][0] for r in runs):.2f} s)")
    print(flush=True)


if __name__ == "__main__":
    main()
