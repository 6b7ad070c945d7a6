"""Workers: each one loops "count, then run one trial" against the shared storage.

The total is counted in the storage before every trial (COMPLETE and PRUNED count; RUNNING
and WAITING will), so ``--trials`` is the total over restarts and over any number of workers
and machines. ``--workers N`` starts N fresh interpreters (no copied JAX state), each with
single-threaded XLA: small-batch training is overhead-bound, and two single-threaded
processes beat one process with two threads.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from fitbench.errors import FitbenchError
from fitbench.tuning._objective import ACTIVE, COUNTED, Objective, SurplusTrial
from fitbench.tuning._schema import SearchConfig
from fitbench.tuning._storage import open_storage
from fitbench.tuning._tuning import Tuning

JAX_CACHE = ".jax-cache"  # beside studies.db in the runs directory
POLL_S = 1.0  # how often a worker with nothing to start looks again
SINGLE_THREADED_XLA = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs, as plain data (it crosses a process boundary)."""

    tuning: dict[str, Any]
    storage: str
    study: str
    runs_dir: str  # the study's own folder of run folders
    trials: int  # the total, over all workers and restarts
    deadline: float | None  # time.time() after which no trial starts
    index: int = 0
    workers: int = 1
    verbose: bool = True


def run_worker(spec: WorkerSpec) -> None:
    """Run trials until the study has ``spec.trials`` finished ones (or the deadline passes)."""
    tuning = Tuning.from_dict(spec.tuning)
    with quiet_optuna(), compilation_cache(Path(spec.runs_dir).parent / JAX_CACHE):
        storage = open_storage(spec.storage, tuning.search.heartbeat)
        study = optuna.load_study(study_name=spec.study, storage=storage)
        study.sampler = make_sampler(tuning.search, worker=spec.index, existing=len(study.trials))
        study.pruner = make_pruner(tuning.search, epochs=tuning.experiment.training.epochs)
        objective = Objective(tuning, study_name=spec.study, runs_dir=Path(spec.runs_dir), trials=spec.trials)
        progress = Progress(tuning.search, spec)
        while _next_step(study, spec) == "run":
            try:
                study.optimize(objective, n_trials=1, catch=(SurplusTrial,), callbacks=[progress])
            except optuna.exceptions.UpdateFinishedTrialError:
                # Another worker saw no heartbeat from this trial for the grace period and failed it;
                # its retry runs elsewhere. A longer search.heartbeat.grace_period avoids this.
                progress.say("a trial here was marked failed by another worker (no heartbeat); going on")


def _next_step(study: optuna.Study, spec: WorkerSpec) -> str:
    """``run`` a trial, or ``stop``; waits while the last trials run elsewhere (one may die)."""
    while True:
        if spec.deadline is not None and time.time() >= spec.deadline:
            return "stop"
        finished, running = count_trials(study)
        if finished >= spec.trials:
            return "stop"
        if finished + running < spec.trials:
            return "run"
        # A running trial whose worker died turns FAIL after the grace period and comes back
        # as a WAITING retry; this worker then runs it.
        fail_stale_trials(study)
        time.sleep(POLL_S)


def count_trials(study: optuna.Study) -> tuple[int, int]:
    """(finished trials that count, running ones) in the storage right now."""
    trials = study.get_trials(deepcopy=False, states=COUNTED + (optuna.trial.TrialState.RUNNING,))
    finished = sum(trial.state in COUNTED for trial in trials)
    return finished, len(trials) - finished


def fail_stale_trials(study: optuna.Study) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def make_sampler(search: SearchConfig, *, worker: int, existing: int) -> optuna.samplers.BaseSampler:
    """The configured sampler; a fresh single-worker study uses ``sampler.seed`` itself.

    Other workers, and a study continued after ``existing`` trials, derive their own seed from
    it: the same seed in two workers (or after a restart) would propose the same trials again.
    """
    seed = search.sampler.seed
    if seed is not None and (worker, existing) != (0, 0):
        seed = int(np.random.SeedSequence([seed, worker, existing]).generate_state(1)[0])
    if search.sampler.name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(search: SearchConfig, *, epochs: int) -> optuna.pruners.BasePruner:
    name = search.pruner_name
    if name == "median":
        # Optuna's defaults: the first 5 trials run in full; then a trial whose score after an
        # epoch is worse than the median of earlier trials at that epoch stops.
        return optuna.pruners.MedianPruner()
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs, reduction_factor=3)
    return optuna.pruners.NopPruner()


class Progress:
    """One line per finished trial: trial n of N, its state and value, the best so far."""

    def __init__(self, search: SearchConfig, spec: WorkerSpec) -> None:
        self.search, self.spec = search, spec
        self.tag = f" [worker {spec.index + 1}/{spec.workers}]" if spec.workers > 1 else ""

    def say(self, text: str) -> None:
        if self.spec.verbose:
            print(f"{text}{self.tag}", flush=True)

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.user_attrs.get("surplus"):
            return
        finished, _ = count_trials(study)
        seconds = trial.duration.total_seconds() if trial.duration else 0.0
        state = trial.state.name.lower()
        if trial.state == optuna.trial.TrialState.FAIL:
            self.say(f"trial #{trial.number} failed (not counted, {seconds:.1f} s)")
            return
        epochs = trial.user_attrs.get("epochs_run")
        detail = f" after epoch {epochs}" if trial.state == optuna.trial.TrialState.PRUNED and epochs else ""
        self.say(f"trial {finished} of {self.spec.trials}: #{trial.number} {state}{detail}, "
                 f"{self._value(trial)} ({seconds:.1f} s); {self._best(study)}")

    def _value(self, trial: optuna.trial.FrozenTrial) -> str:
        if trial.values is None:
            return f"{self.search.objective} -"
        text = f"{self.search.objective} {trial.values[0]:.4f}"
        return text + (f", {int(trial.values[1]):,} parameters" if len(trial.values) > 1 else "")

    def _best(self, study: optuna.Study) -> str:
        if self.search.multi_objective:
            return f"Pareto front: {len(study.best_trials)} trials"
        try:
            best = study.best_trial
        except ValueError:  # no complete trial yet
            return "no complete trial yet"
        return f"best {best.value:.4f} (#{best.number})"


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """Optuna's own INFO lines would repeat ours; its warnings for surplus trials are noise."""
    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)


def worker_main(spec: WorkerSpec) -> None:
    """Entry point of a worker process: one-line errors, exit codes like the CLI's."""
    try:
        run_worker(spec)
    except FitbenchError as error:
        print(f"fitbench: error (worker {spec.index + 1}): {error}", file=sys.stderr, flush=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


def run_processes(spec: WorkerSpec, workers: int) -> list[str]:
    """Run ``workers`` worker processes to the end; returns notes about workers that were killed.

    Each is a fresh ``python -c`` (like the 'spawn' start method, but without re-running the
    caller's main module, so an unguarded script or a notebook works too), with single-threaded
    XLA set in its environment before JAX is imported.
    """
    environment = {**os.environ, "XLA_FLAGS": single_threaded_xla_flags(os.environ.get("XLA_FLAGS"))}
    processes = []
    for index in range(workers):
        process = subprocess.Popen([sys.executable, "-c", _ENTRY], stdin=subprocess.PIPE, env=environment, text=True)
        assert process.stdin is not None
        process.stdin.write(json.dumps(asdict(replace(spec, index=index, workers=workers))))
        process.stdin.close()
        processes.append(process)
    try:
        for process in processes:
            process.wait()
    except KeyboardInterrupt:
        for process in processes:  # they got the Ctrl-C too: let them mark their trials and go
            process.wait(timeout=60)
        raise
    return _check_exits([process.returncode for process in processes])


_ENTRY = "import json, sys; from fitbench.tuning._worker import WorkerSpec, worker_main; " \
         "worker_main(WorkerSpec(**json.load(sys.stdin)))"


def _check_exits(codes: list[int]) -> list[str]:
    notes = []
    for index, code in enumerate(codes, start=1):
        if code == 0:
            continue
        if code < 0:
            # Killed from outside (kill -9, OOM killer): its trial is failed and retried by the others.
            notes.append(f"worker {index} was killed by {signal.Signals(-code).name}; "
                         "its trial was marked failed and retried")
            continue
        if code == 130:
            raise KeyboardInterrupt
        raise FitbenchError(f"worker {index} stopped with exit code {code} (its error is printed above); "
                            "finished trials are kept: run the same command again to continue")
    return notes


@contextlib.contextmanager
def compilation_cache(folder: Path) -> Iterator[None]:
    """JAX's persistent compilation cache in ``folder``, unless the user configured one.

    Trials of the same shape compile the same XLA programs (the seed changes the weights,
    not the program); without the cache every trial spends about 2 s compiling them again,
    more than a small trial's training. Workers and restarts share the folder.
    """
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cache

    if jax.config.jax_compilation_cache_dir is not None:
        yield
        return
    previous = jax.config.jax_persistent_cache_min_compile_time_secs
    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # ours take ~0.4 s each
    cache.reset_cache()  # JAX decides once per process whether to use a cache: let it decide again
    try:
        yield
    finally:
        jax.config.update("jax_compilation_cache_dir", None)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", previous)
        cache.reset_cache()


def single_threaded_xla_flags(previous: str | None) -> str:
    """``XLA_FLAGS`` for a worker: the user's own, plus single-threaded XLA unless they chose."""
    if "xla_cpu_multi_thread_eigen" in (previous or ""):
        return previous or ""
    return f"{previous or ''} {SINGLE_THREADED_XLA}".strip()
