"""Benchmark tuning: workers, pruning, and memory over many trials, measured in this one run.

    python benchmarks/tuning.py                  # all three (about 15 minutes on 2 cores)
    python benchmarks/tuning.py workers --trials 20 [--engine keras] [--caches empty]
    python benchmarks/tuning.py pruning --trials 20 [--engine keras]
    python benchmarks/tuning.py memory --trials 50
    python benchmarks/tuning.py cost --trials 20      # offline: MNIST's 10,000 test images, else digits

- workers: Fashion-MNIST full size, the course's search (bundled ``tune``), the same 20
  configurations enqueued for both runs (pruning off, so both do identical work), run as
  ``fitbench tune --workers 1`` and ``--workers 2``; wall time ratio (target >= 1.7).
- pruning: Fashion-MNIST full size, 20 trials of the course's search with the default
  (median) pruner and with none, same TPE seed; time ratio (target <= 0.6) and the
  difference of the best validation macro F1 (target within 0.005).
- cost: what a trial costs besides its epochs, and what pruning saves, on one network shape
  (128-128, the init seed searched: shapes seen before reuse their compiled programs).
  Per trial: its duration in the study less its epochs' times (history.csv ``time_s``), the
  median over the trials after the first (which compiles); target < 0.3 s. Then the same 20
  trials (random sampler, seed 0: the same seeds and learning rates in both runs; two of the
  three rates barely learn) with the median pruner judging from epoch 1 and with none: the
  ratio of the studies' times, first trial start to last trial end (target <= 0.6), and how
  many trials the pruner stopped after one epoch.
  Data: Fashion-MNIST where Keras has it or in /usr/share/datasets/fashion-mnist, else
  ``../shared/data/mnist`` (6,000 / 2,000 / 2,000), else digits: the shorter the epochs, the
  more a trial's fixed cost weighs in the ratio.
- memory: 50 tiny digits trials in one process through the trial code the workers run,
  resident memory after each trial, with the Keras clean-up and without it.

Every run starts from empty run folders and an empty compilation cache, in its own process.
The machine's load average is printed with each timing: other work on the machine skews it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    args = parse()
    print(f"fitbench tuning benchmark; {os.cpu_count()} CPUs; engine: {engine_name()}", flush=True)
    if args.what in ("workers", "all"):
        workers(args.trials or 20, args.engine, tuple(args.caches.split(",")))
    if args.what in ("pruning", "all"):
        pruning(args.trials or 20, args.engine)
    if args.what in ("memory", "all"):
        memory(args.trials or 50)
    if args.what in ("cost", "all"):
        cost(args.trials or 20)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", default="all", choices=("workers", "pruning", "memory", "cost", "all"))
    parser.add_argument("--trials", type=int, help="trials per run (default: 20, 20, 50)")
    parser.add_argument("--engine", choices=("compiled", "keras"),
                        help="workers and pruning: the training engine (default: fitbench's default)")
    parser.add_argument("--caches", default="empty,warm",
                        help="workers: with an empty and/or a warm compilation cache (default: empty,warm)")
    parser.add_argument("--memory-worker", choices=("clean", "no-clean"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_worker:
        memory_worker(args.memory_worker, args.trials or 50)
        sys.exit(0)
    return args


def engine_name() -> str:
    from fitbench.config import TrainingConfig

    return str(TrainingConfig().engine)


def fitbench_tune(*args: str) -> tuple[float, str]:
    """Run ``fitbench tune`` quietly; (wall seconds, its output with its CPU seconds appended)."""
    started, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run([sys.executable, "-m", "fitbench.cli", "tune", *args, "--quiet"], cwd=ROOT,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"fitbench tune failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout + f"\ncpu {children_cpu() - cpu:.1f} s"


def children_cpu() -> float:
    """CPU seconds (user + system) of finished child processes and theirs: independent of the load."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


# ---------------------------------------------------------------- workers


def workers(trials: int, engine: str | None = None, caches: tuple[str, ...] = ("empty", "warm")) -> None:
    with_engine = f", engine {engine}" if engine else ""
    print(f"\n== workers: {trials} trials of the course's search on Fashion-MNIST (48,000 / 12,000), "
          f"the same configurations in both runs, pruning off{with_engine}", flush=True)
    configurations = sample_configurations(trials)
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        folders = {1: one, 2: two}
        # First with an empty compilation cache (a first study), then again with the cache the
        # first run left in its runs folder (a continued study, or shapes seen before).
        for cache in ("empty", "warm"):
            runs = {count: workers_run(count, folders[count], configurations, cache, engine) for count in (1, 2)}
            if cache in caches:
                (one, _), (two, cpu_two) = runs[1], runs[2]
                # Two workers cannot do the CPU work of their run in less than half its CPU seconds.
                print(f"workers 2 vs 1, {cache} compilation cache: {one / two:.2f}x faster (target >= 1.7); "
                      f"ceiling for this work on 2 cores: 2 x {one:.1f} s / {cpu_two:.1f} CPU s = "
                      f"{2 * one / cpu_two:.2f}x", flush=True)
            if tuple(caches) == ("empty",):
                break


def workers_run(count: int, folder: str, configurations: list[dict], cache: str,
                engine: str | None) -> tuple[float, float]:
    """One ``fitbench tune --workers count`` run: (wall seconds, CPU seconds of all its processes)."""
    trials = len(configurations)
    storage = f"sqlite:///{folder}/studies-{cache}.db"
    overrides = ["search.pruner=none", *([f"training.engine={engine}"] if engine else [])]
    enqueue(storage, "bench", configurations, overrides)
    before = load()
    settings = [part for override in overrides for part in ("--set", override)]
    seconds, output = fitbench_tune("tune", "--dataset", "fashion_mnist", *settings,
                                    "--trials", str(trials), "--workers", str(count), "--storage", storage,
                                    "--study", "bench", "--runs-dir", folder)
    cpu = float(last_line(output, "cpu").split()[1])
    print(f"--workers {count}, {cache} cache: {seconds:.1f} s ({seconds / trials:.1f} s per trial, "
          f"{cpu:.1f} s CPU: {cpu / seconds:.2f} cores busy); {before}; {last_line(output, 'best value')}", flush=True)
    return seconds, cpu


def sample_configurations(trials: int) -> list[dict]:
    """``trials`` configurations of the course's space, drawn once with a seeded random sampler."""
    import optuna

    from fitbench.tuning import load_tuning
    from fitbench.tuning._space import suggest

    space = load_tuning("tune").space
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    configurations = []
    for _ in range(trials):
        trial = study.ask()
        suggest(trial, space)
        configurations.append(trial.params)
        study.tell(trial, 0.0)
    return configurations


def enqueue(storage: str, name: str, configurations: list[dict], overrides: list[str]) -> None:
    """Create the study as ``fitbench tune`` would, with these trials waiting to run in order."""
    import optuna

    from fitbench.config import apply_overrides
    from fitbench.config._load import read_yaml, switch_dataset
    from fitbench.tuning import find_tuning, load_tuning
    from fitbench.tuning._storage import open_storage, open_study

    document = apply_overrides(switch_dataset(read_yaml(find_tuning("tune")), "fashion_mnist"),
                               overrides)
    tuning = load_tuning(document, where=str(find_tuning("tune")))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(tuning, open_storage(storage), name)
    for params in configurations:
        study.enqueue_trial(params)


def last_line(output: str, prefix: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(prefix)]
    return lines[-1] if lines else "(no complete trial)"


# ---------------------------------------------------------------- pruning


def pruning(trials: int, engine: str | None = None) -> None:
    with_engine = f", engine {engine}" if engine else ""
    print(f"\n== pruning: {trials} trials of the course's search on Fashion-MNIST, TPE seed 0, one worker"
          f"{with_engine}", flush=True)
    results = {}
    for pruner in ("median", "none"):
        with tempfile.TemporaryDirectory() as folder:
            before = load()
            extra = ["--set", f"training.engine={engine}"] if engine else []
            seconds, output = fitbench_tune("tune", "--dataset", "fashion_mnist", "--set", f"search.pruner={pruner}",
                                            *extra, "--trials", str(trials), "--runs-dir", folder)
            best = float(last_line(output, "best value").split()[-1])
            states = last_line(output, "study ")
            epochs = epochs_trained(folder, "course-tuning")
            results[pruner] = (seconds, best, epochs)
            print(f"pruner {pruner}: {seconds:.1f} s ({last_line(output, 'cpu')} CPU), {epochs} epochs trained, "
                  f"best val macro F1 {best:.4f}; {states}; {before}", flush=True)
    (with_pruning, best_pruned, epochs_pruned), (without, best_full, epochs_full) = results["median"], results["none"]
    print(f"pruning time ratio median/none: {with_pruning / without:.2f} (target <= 0.6); "
          f"best val macro F1 difference: {best_pruned - best_full:+.4f} (target within 0.005)", flush=True)
    # What the ratio would be if a trial cost nothing but its epochs (no start-up, compiling, evaluation):
    print(f"epochs trained median/none: {epochs_pruned}/{epochs_full} = {epochs_pruned / epochs_full:.2f}", flush=True)


def epochs_trained(runs_dir: str, study: str) -> int:
    """Epochs trained over the study's counted trials, from the default storage in ``runs_dir``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trials = optuna.load_study(study_name=study, storage=f"sqlite:///{runs_dir}/studies.db").trials
    return sum(int(trial.user_attrs.get("epochs_run", 0)) for trial in trials if not trial.user_attrs.get("surplus"))


# ---------------------------------------------------------------- cost

MNIST10K = ROOT.parent / "shared" / "data" / "mnist"
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def cost(trials: int) -> None:
    data = cost_dataset()
    print(f"\n== cost: trials of one shape (mlp 128-128, batch 10, the seed searched) on {data['name']}"
          f"{' (MNIST 10k)' if data['name'] == 'idx' else ''}, one worker", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        seconds, besides, first, _ = cost_run(folder, data, "none", epochs=2, trials=max(4, trials // 2))
        epoch = statistics.median(epoch_seconds(run) / 2 for run in Path(folder, "cost").iterdir() if run.is_dir())
        # The load skews both alike: the cost in epochs of this data says more than seconds on a busy machine.
        print(f"per trial besides its epochs: median {besides:.3f} s (target < 0.3 s) = {besides / epoch:.1f} epochs "
              f"of {epoch:.3f} s; first trial {first:.2f} s (it compiles); {load()}", flush=True)
    spans = {}
    for pruner in ("median", "none"):
        with tempfile.TemporaryDirectory() as folder:
            before = load()
            spans[pruner], besides, _, states = cost_run(folder, data, pruner, epochs=5, trials=trials,
                                                         space=LEARNING_RATES)
            print(f"pruner {pruner}: study {spans[pruner]:.1f} s, {besides:.3f} s per trial besides epochs; "
                  f"{states}; {before}", flush=True)
    print(f"pruned study / unpruned: {spans['median'] / spans['none']:.2f} (target <= 0.6); {load()}", flush=True)


def cost_dataset() -> dict:
    """Fashion-MNIST where Keras has it or Debian installed it (48,000 training images: epochs as
    long as the course's), else MNIST's 10,000 test images beside the repository (6,000 to train on), else digits."""
    images, labels = MNIST10K / "t10k-images-idx3-ubyte.gz", MNIST10K / "t10k-labels-idx1-ubyte.gz"
    if (Path.home() / ".keras" / "datasets" / "fashion-mnist").is_dir():
        return {"name": "fashion_mnist", "val_size": 0.2, "seed": 42, "normalize": False}
    if FASHION_MNIST.is_dir():  # Debian's dataset-fashion-mnist: the same files, offline
        return {"name": "fashion_mnist", "data_dir": str(FASHION_MNIST), "val_size": 0.2, "seed": 42,
                "normalize": False}
    if images.is_file() and labels.is_file():
        return {"name": "idx", "images": str(images), "labels": str(labels), "train_size": 6000, "val_size": 2000,
                "test_size": 2000, "seed": 42, "normalize": False}
    return {"name": "digits", "seed": 0, "normalize": False}


SEEDS = {"training.seed": {"type": "int", "low": 1, "high": 1000}}
# Two of three learning rates learn next to nothing in an epoch: the pruner stops those trials
# after their first epoch once one good trial has finished, as it would a poor region of a real
# search. (Each rate compiles its programs once; then trials of a rate reuse them.)
LEARNING_RATES = {**SEEDS, "training.learning_rate": {"type": "categorical", "choices": [1e-4, 1e-6, 1e-7]}}


def cost_run(folder: str, data: dict, pruner: str, *, epochs: int, trials: int,
             space: dict = SEEDS) -> tuple[float, float, float, str]:
    """One ``fitbench tune`` study: (seconds from the first trial's start to the last one's end,
    the median cost of a trial besides its epochs after the first, the first trial's, its states)."""
    import optuna
    import yaml

    document = {
        "name": "cost", "dataset": data, "model": {"zoo": "mlp", "rescale": True, "units": [128, 128]},
        "training": {"epochs": epochs, "batch_size": 10, "learning_rate": 1e-4, "seed": 1},
        "search": {"objective": "val_macro_f1", "pruner": pruner, "pruning": {"startup_trials": 1, "warmup_epochs": 0},
                   "sampler": {"name": "random", "seed": 0},
                   "space": space},
    }
    path = Path(folder) / "cost.yaml"
    path.write_text(yaml.safe_dump(document))
    _, output = fitbench_tune(str(path), "--trials", str(trials), "--runs-dir", folder)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    done = [trial for trial in optuna.load_study(study_name="cost", storage=f"sqlite:///{folder}/studies.db").trials
            if trial.datetime_complete is not None and "run" in trial.user_attrs]
    besides = [trial.duration.total_seconds() - epoch_seconds(Path(trial.user_attrs["run"])) for trial in done]
    span = (max(t.datetime_complete for t in done) - min(t.datetime_start for t in done)).total_seconds()
    one_epoch = sum(1 for trial in done if trial.state.name == "PRUNED" and max(trial.intermediate_values) == 1)
    states = f"{last_line(output, 'study ').split(':')[1].split('(')[0].strip()}, {one_epoch} stopped after epoch 1"
    return span, statistics.median(besides[1:]), besides[0], states


def epoch_seconds(run: Path) -> float:
    with (run / "history.csv").open() as rows:
        return sum(float(row["time_s"]) for row in csv.DictReader(rows))


# ---------------------------------------------------------------- memory


def memory(trials: int) -> None:
    print(f"\n== memory: {trials} tiny digits trials in one process, resident memory after each", flush=True)
    for variant in ("clean", "no-clean"):
        done = subprocess.run([sys.executable, __file__, "--memory-worker", variant, "--trials", str(trials)],
                              cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"memory run failed:\n{done.stderr}")
        rss = json.loads(done.stdout.strip().splitlines()[-1])
        marks = sorted({1, 10, len(rss) // 2, len(rss)})
        half = rss[-1] - rss[len(rss) // 2 - 1]
        label = "keras.backend.clear_session() + gc after each trial" if variant == "clean" else "no clean-up"
        print(f"{label}: " + ", ".join(f"{rss[mark - 1]:.0f} MiB after trial {mark}" for mark in marks)
              + f"; over the last {len(rss) - len(rss) // 2} trials {half:+.0f} MiB", flush=True)


def memory_worker(variant: str, trials: int) -> None:
    """Run ``trials`` tiny trials through the workers' ``Objective``; print RSS (MiB) after each, as JSON."""
    import optuna

    from fitbench.tuning import Objective, _objective, load_tuning
    from fitbench.tuning._worker import frozen_heap

    if variant == "no-clean":
        _objective.clean_keras_state = lambda: None  # what a hand-written notebook loop does
    document = {
        "name": "memory", "dataset": {"name": "digits", "seed": 0, "train_limit": 300, "normalize": False},
        "model": {"zoo": "mlp", "rescale": True, "units": [32, 32]},
        "training": {"epochs": 1, "batch_size": 10, "learning_rate": 1e-3},
        "search": {"pruner": "none", "space": {
            "model.units": {"type": "categorical", "choices": [16, 32, 64], "length": {"low": 1, "high": 2}},
            "training.seed": {"type": "int", "low": 1, "high": 46}}},
    }
    tuning = load_tuning(document)
    rss: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        objective = Objective(tuning, study_name="memory", runs_dir=Path(folder), trials=trials)
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        with frozen_heap():  # as in a worker
            study.optimize(objective, n_trials=trials, callbacks=[lambda *_: rss.append(resident_mib())])
    print(json.dumps(rss))


def resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    main()
