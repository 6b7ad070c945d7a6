"""``fit``: train a Keras model with the course's settings and leave a complete run folder.

Training is ``keras.Model.fit`` itself; fitbench only compiles the model (its own settings when
the user compiled it, see ``_compile``), adds callbacks that watch (history, signals) or act as configured (early
stopping), and then scores the model and writes the run folder.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from fitbench import _io
from fitbench._keras import build_for_training, keras
from fitbench._log import log
from fitbench.config import TrainingConfig, validate
from fitbench.data import Dataset
from fitbench.diagnosis import check_before_training
from fitbench.errors import ConfigError, FitbenchError, FitbenchWarning
from fitbench.models import count_params, model_spec
from fitbench.runs import DamagedFile, RunConfig, _folder, _write
from fitbench.runs._read import parse
from fitbench.runs._environment import collect_environment
from fitbench.runs._lock import RunLock
from fitbench.runs._lock import acquire as acquire_lock
from fitbench.runs._preparation import measure as measure_preparation
from fitbench.progress import Estimate, LiveFigure, TrainingProgress, choose_mode, open_display, plural
from fitbench.trained import Run
from fitbench.training._callbacks import HistoryWriter, StopOnNaN, StopOnSignal, write_history
from fitbench.training._checkpoint import CHECKPOINT, Checkpoint, ResumableEarlyStopping, Saved
from fitbench.training._checkpoint import load as load_checkpoint
from fitbench.training._compile import OPTIMIZERS, SPARSE_CE, compile_model
from fitbench.training._compiled import CompiledFit, unsupported_reason
from fitbench.training._results import Persist, now, save_results

LOGITS_PROBE = 32  # training images run through a model whose last layer does not say if it outputs logits


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM stopped training; the run folder is saved, complete and resumable.

    A ``KeyboardInterrupt``, so whatever called ``fit`` (a script, a test suite, a loop over
    experiments) stops as the person asked, unless it catches this on purpose. SIGTERM raises
    it too: ``SystemExit`` would be reported by pytest as one failing test, and the suite would
    go on. ``run``: the saved Run; ``signal``: ``"SIGINT"`` or ``"SIGTERM"``.
    """

    def __init__(self, run: Run, signal: str) -> None:
        super().__init__(f"{signal}: training stopped; the run is saved in {run.path}, and "
                         f"fb.fit(..., resume={str(run.path)!r}) continues it")
        self.run, self.signal = run, signal


def fit(
    model: keras.Model,
    data: Dataset | tuple[Any, Any],
    *,
    epochs: int = 25,
    batch_size: int = 10,
    learning_rate: float | None = None,
    optimizer: str | None = None,
    early_stopping: int | dict[str, Any] | None = None,
    seed: int = 42,
    shuffle: bool = True,
    engine: str = "compiled",
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float | None = None,
    name: str | None = None,
    runs_dir: str | Path = "runs",
    callbacks: list[keras.callbacks.Callback] | None = None,
    verbose: bool = True,
    resume: str | Path | None = None,
    live_plot: bool | None = None,
) -> Run:
    """Train ``model`` on ``data`` and return the Run (its folder is under ``runs_dir``).

    Args:
        optimizer, learning_rate: None: a compiled model's own optimizer (and its learning
            rate), else Adam at 3e-4. A compiled model also keeps its loss and metrics.
        data: a ``Dataset`` (its train split is trained on, val is validated on) or, like
            Keras, a pair ``(x, y)`` with ``validation_data`` or ``validation_split``.
        early_stopping: patience in epochs (monitoring val_loss and restoring the best
            weights), or a dict of ``EarlyStoppingConfig`` keys; None: off.
        seed: seeds shuffling, dropout and augmentation, so a rerun gives the same history.
        resume: a run folder to continue from its last checkpoint, with the same model,
            data and settings (``epochs`` may grow).
        verbose: show progress (a bar in a terminal or notebook, a line per epoch in a log)
            and a summary line; False: write nothing (warnings aside: see FitbenchWarning).
        live_plot: in a notebook kernel, redraw loss and accuracy after every epoch
            (None: on in a notebook, off elsewhere).

    Raises:
        Interrupted: (a KeyboardInterrupt) Ctrl-C or SIGTERM during training, once the run is
            saved; ``error.run`` is the saved run, resumable with ``resume=error.run.path``.
    """
    training = validate(TrainingConfig, {
        "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
        "optimizer": optimizer, "early_stopping": early_stopping, "seed": seed,
        "shuffle": shuffle, "engine": engine,
    }, where="fit()")
    dataset = as_dataset(data, validation_data, validation_split)
    spec = model_spec(model) or {"python": f"{type(model).__name__} {model.name!r}"}
    if resume is not None:
        name = check_same_training(resume, training)
    return train(model, dataset, training, name=name or model.name, model_config=spec,
                 runs_dir=runs_dir, callbacks=callbacks, verbose=verbose, resume=resume, live_plot=live_plot)


# Compared through what the model was compiled with (config.yaml's `compiled`), which they may leave out.
_COMPARED_AS_COMPILED = ("epochs", "optimizer", "learning_rate")


def check_same_training(folder: str | Path, training: TrainingConfig) -> str:
    """The run's name, after checking that ``training`` continues it (only epochs may change);
    ``check_same_compiled`` compares the optimizer, once the model is compiled."""
    from fitbench.runs import load_saved_run

    stored = load_saved_run(folder).config
    before = {key: value for key, value in (stored.get("training") or {}).items() if key not in _COMPARED_AS_COMPILED}
    now = {key: value for key, value in training.model_dump(mode="json").items() if key not in _COMPARED_AS_COMPILED}
    _refuse_changes(folder, "training.", before, now)
    return str(stored.get("name", Path(folder).name))


def check_same_compiled(folder: str | Path, compiled: dict[str, Any]) -> None:
    """Refuse to resume a run with another optimizer, learning rate or loss than it was trained with."""
    from fitbench.runs import load_saved_run

    stored = load_saved_run(folder).config
    _refuse_changes(folder, "", stored.get("compiled") or _compiled_before_0_2(stored.get("training") or {}), compiled)


def _compiled_before_0_2(training: dict[str, Any]) -> dict[str, Any]:
    # Folders written before config.yaml had `compiled`: fitbench compiled every model alike.
    return {"optimizer": OPTIMIZERS.get(training.get("optimizer", "adam")),
            "learning_rate": float(f"{training.get('learning_rate', 3e-4):.7g}"),
            "loss": SPARSE_CE, "from_logits": False}


def _refuse_changes(folder: str | Path, prefix: str, before: dict[str, Any], now: dict[str, Any]) -> None:
    changed = [key for key in now if before.get(key) != now[key]]
    if changed:
        key = changed[0]
        raise ConfigError(
            f"{folder}: cannot resume with {prefix}{key}={now[key]!r}: the run used {before.get(key)!r}; "
            "a resumed run keeps its settings (only epochs may grow)"
        )


def as_dataset(data: Any, validation_data: Any = None, validation_split: float | None = None) -> Dataset:
    """A Dataset from a Dataset or from Keras-style arrays."""
    if isinstance(data, Dataset):
        if validation_data is not None or validation_split is not None:
            raise ConfigError("fit(): validation_data and validation_split apply to arrays; a Dataset brings its own val split")
        return data
    _check_pair(data)
    if validation_split is not None and validation_data is not None:
        raise ConfigError("fit(): give validation_data or validation_split, not both")
    if validation_split is not None:
        return _split_last(data, validation_split)
    return Dataset.from_arrays(data, validation_data)


_TABLE_HINT = "; for a table, give (table[feature_columns].to_numpy(), table[label_column].to_numpy())"


def _check_pair(data: Any) -> None:
    """Refuse what is no pair (x, y) before indexing it: a table would fail inside pandas (KeyError: 0)."""
    if not isinstance(data, (tuple, list)):
        raise ConfigError(f"fit(): data: expected a Dataset or a pair (x, y) of arrays, got {type(data).__name__}"
                          f"{_TABLE_HINT if hasattr(data, 'columns') else ''}")


def _split_last(data: Any, fraction: float) -> Dataset:
    # Like Keras' validation_split: the last `fraction` of the samples, taken before shuffling.
    if not 0.0 < float(fraction) < 1.0:
        raise ConfigError(f"fit(): validation_split: expected a fraction between 0 and 1, got {fraction!r}")
    x, y = np.asarray(data[0]), np.asarray(data[1])
    cut = int(len(y) * (1.0 - float(fraction)))
    return Dataset.from_arrays((x[:cut], y[:cut]), (x[cut:], y[cut:]))


def train(
    model: keras.Model,
    dataset: Dataset,
    training: TrainingConfig,
    *,
    name: str,
    model_config: dict[str, Any],
    runs_dir: str | Path = "runs",
    callbacks: list[keras.callbacks.Callback] | None = None,
    verbose: bool = True,
    resume: str | Path | None = None,
    live_plot: bool | None = None,
    persist: Persist = now,
) -> Run:
    """Train an already-validated setup; every check that can fail runs before the folder exists.

    With ``resume``, training continues in that run folder from its last checkpoint.
    ``persist``: runs the folder's last writes (the model, the views' files, the final status);
    a study's worker passes a writer thread's, so that the next trial need not wait for them.
    """
    check_compatible(model, dataset)
    _check_validation(training, dataset)
    # Warns (FitbenchWarning) of e.g. scale_mismatch; the findings are saved with the run.
    findings = check_before_training(model, dataset)
    engine = choose_engine(model, training.engine)
    compiled = compile_model(model, training, dataset.x_train[:LOGITS_PROBE])
    # The handler is in place before the folder exists, so a signal at any moment from here
    # on ends with a complete folder (state interrupted), never a half-written one.
    with StopOnSignal() as stop:
        path, lock = _open_folder(runs_dir, name, model, dataset, model_config, training, compiled, findings,
                                  resume)
        with lock:
            resumed = _load_checkpoint(path, model, dataset) if resume is not None else None
            if resume is not None:
                _record_epochs(path, resumed, training.epochs)
            try:
                progress = _train_in(path, model, dataset, training, engine, stop, resumed, callbacks,
                                     _progress(training, resumed, verbose, live_plot), persist)
            except Exception as error:  # any failure after training starts: say so in the folder
                _mark_failed(path, error)
                if isinstance(error, OSError):  # disk full, folder made read-only: the last checkpoint is intact
                    raise FitbenchError(
                        f"{path}: cannot write the run folder ({error.strerror or error}); its last checkpoint "
                        f"is intact: free some space, then fitbench train --resume {path}") from None
                raise
    # Drawn live: the run's own display (a notebook cell's result) would draw the same curves again.
    run = Run(path, model=model, data=dataset, curves_shown=progress.figure is not None and progress.figure.drawn)
    progress.display.note(summary_line(run))
    if stop.received:
        # Saved first, then stopped: the caller (a script, pytest, a curriculum) stops as asked.
        # A signal that came while the finished run was saved leaves it complete, not interrupted.
        raise Interrupted(run, stop.received)
    return run


def _progress(training: TrainingConfig, resumed: Saved | None, verbose: bool,
              live_plot: bool | None) -> TrainingProgress:
    """The epochs left, shown where this process writes (nowhere if not verbose)."""
    left = training.epochs - _first_epoch(resumed, training)
    mode = choose_mode(verbose)
    figure = LiveFigure() if mode == "notebook" and live_plot is not False else None
    return TrainingProgress(open_display(mode, total=left), training.epochs, estimate=Estimate(left), figure=figure)


def _open_folder(runs_dir: str | Path, name: str, model: keras.Model, dataset: Dataset,
                 model_config: dict[str, Any], training: TrainingConfig, compiled: dict[str, Any],
                 findings: list[Any], resume: str | Path | None) -> tuple[Path, RunLock]:
    """The run folder, locked by this process: a new one, or ``resume`` when it can be resumed."""
    if resume is None:
        path = _new_folder(runs_dir, name, model, dataset, model_config, training, compiled, findings)
        return path, acquire_lock(path)
    path = _folder.resumable(Path(resume))  # also before locking: never put a lock file in a non-run folder
    check_same_compiled(path, compiled)
    lock = acquire_lock(path)  # then again: two resumes of one run must not both pass the checks
    try:
        _folder.resumable(path, locked=True)  # it may have completed while we waited for the lock
        _io.remove_leftovers(path)  # temporary files of writes a kill cut short
    except BaseException:
        lock.release()
        raise
    return path, lock


def _record_epochs(path: Path, resumed: Saved | None, epochs: int) -> None:
    """Make config.yaml say the epochs this resume trains to: the saved config is the truth,
    so a later plain resume continues to the same end. Fewer epochs than are done: refused."""
    done = 0 if resumed is None else resumed.epoch + 1
    if epochs < done:
        raise FitbenchError(f"{path}: cannot resume with training.epochs={epochs}: {done} epochs are "
                            f"already done; give --set training.epochs={done} or more")
    config_path = path / _folder.CONFIG
    try:
        config = parse(config_path, RunConfig)
    except DamagedFile as error:
        raise FitbenchError(f"{path}: {error}; the run cannot be resumed") from None
    if config.training.get("epochs") == epochs:
        return
    try:
        _write.write_config(path, config.model_copy(update={"training": {**config.training, "epochs": epochs}}))
    except OSError as error:
        raise FitbenchError(f"{config_path}: cannot write it ({error.strerror or error}); "
                            "copy the run folder somewhere writable and resume the copy") from None


def _train_in(path: Path, model: keras.Model, dataset: Dataset, training: TrainingConfig, engine: str,
              stop: StopOnSignal, resumed: Saved | None, callbacks: list[keras.callbacks.Callback] | None,
              progress: TrainingProgress, persist: Persist = now) -> TrainingProgress:
    """Train in the locked folder from ``resumed`` (or the start), then score and save;
    the progress, its display finished, for the summary line."""
    _folder.write_status(path, "running")
    history = HistoryWriter(path, *((resumed.rows, resumed.times, resumed.wall_time_s) if resumed else ()))
    stopper = _early_stopping(training)
    nan = StopOnNaN()
    checkpoint = Checkpoint(path, history, stopper, stop, engine=engine, resumed=resumed)
    # `stop` comes last: a signal that arrives during another callback's epoch end (or the
    # checkpoint's write) still stops training after this epoch, not one epoch later.
    watchers = [*([stopper] if stopper else []), history, nan, checkpoint, *(callbacks or []), progress, stop]
    try:
        _fit_with(engine, model, dataset, training, watchers, _first_epoch(resumed, training))
    finally:
        progress.display.close()
    _finish(path, model, dataset, history, stopper, stop, engine, persist)
    return progress


def _mark_failed(path: Path, error: Exception) -> None:
    try:
        _folder.write_status(path, "failed", reason=_one_line(error))
    except OSError:  # the disk that failed the run may fail this too; the error itself still reaches the user
        pass


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:300] if text else ''}".rstrip(": ")


def _new_folder(runs_dir: str | Path, name: str, model: keras.Model, dataset: Dataset,
                model_config: dict[str, Any], training: TrainingConfig, compiled: dict[str, Any],
                findings: list[Any]) -> Path:
    path = _folder.create_run_folder(runs_dir, name, need_bytes=_bytes_needed(model, dataset))
    try:
        _write.write_config(path, RunConfig(name=name, dataset=_dataset_record(dataset), model=model_config,
                                            training=training.model_dump(mode="json"),
                                            compiled=compiled))
        _write.write_environment(path, collect_environment(backend=keras.backend.backend(), devices=_devices(),
                                                           seed=training.seed))
        _write.write_findings(path, findings)  # the checks' findings are part of the run
        _write.write_preparation(path, measure_preparation(dataset.x_train, white=1.0 if dataset.normalized
                                                           else dataset.pixel_max))
        _folder.write_status(path, "running")
    except OSError as error:  # read-only or full: say so before any training, leave nothing
        raise _folder.unwritable(path, error) from None
    return path


def _devices() -> list[str]:
    try:
        import jax

        return [str(device) for device in jax.devices()]
    except Exception:  # another backend, or JAX without a usable device: not worth failing a run
        return []


def _bytes_needed(model: keras.Model, dataset: Dataset) -> int:
    # model.keras, plus a checkpoint with the weights, best weights and Adam's two moments,
    # plus the saved predictions (float16 per class, labels and indices) and a few images.
    predictions = (len(dataset.y_val) + len(dataset.y_test)) * (2 * dataset.num_classes + 8)
    return 5 * 4 * int(model.count_params()) + predictions + 1_000_000


def _load_checkpoint(path: Path, model: keras.Model, dataset: Dataset) -> Saved | None:
    """The checkpoint's state, loaded into ``model``; None when the run died before one."""
    if not (path / CHECKPOINT).is_file():
        return None
    # The optimizer's variables exist only once it is built, as fit() would do.
    build_for_training(model, dataset.x_train, dataset.y_train)
    return load_checkpoint(path, model)


def _first_epoch(resumed: Saved | None, training: TrainingConfig) -> int:
    if resumed is None:
        return 0
    if resumed.early_stopping and resumed.early_stopping["stopped_epoch"] > 0:
        return training.epochs  # early stopping had already ended it: only the finishing is left
    return resumed.epoch + 1


def choose_engine(model: keras.Model, requested: str) -> str:
    """The engine that will train ``model``: the requested one, or keras with a one-line notice."""
    if requested != "compiled":
        return requested
    reason = unsupported_reason(model)
    if reason is None:
        return "compiled"
    log.info(f"the compiled engine cannot train {model.name!r}: {reason}; using engine: keras")
    return "keras"


def _fit_with(engine: str, model: keras.Model, dataset: Dataset, training: TrainingConfig,
              callbacks: list[keras.callbacks.Callback], initial_epoch: int) -> None:
    validation = (dataset.x_val, dataset.y_val) if len(dataset.y_val) else None
    keras.utils.set_random_seed(training.seed)
    if engine == "compiled":
        CompiledFit(model, batch_size=training.batch_size, shuffle=training.shuffle, seed=training.seed).fit(
            dataset.x_train, dataset.y_train, epochs=training.epochs, validation_data=validation,
            callbacks=callbacks, initial_epoch=initial_epoch)
        return
    model.fit(dataset.x_train, dataset.y_train, batch_size=training.batch_size, epochs=training.epochs,
              validation_data=validation, shuffle=training.shuffle, verbose=0,  # fitbench.progress shows it
              callbacks=callbacks, initial_epoch=initial_epoch)


def check_compatible(model: keras.Model, dataset: Dataset) -> None:
    """Refuse, before training, data the model cannot take: wrong input shape, too few outputs."""
    expected = _input_shape(model)
    if expected is not None and tuple(expected) != dataset.input_shape:
        raise ConfigError(
            f"the model takes inputs of shape {tuple(expected)} but the {dataset.name} images are "
            f"{dataset.input_shape}; build the model for this data (fb.build_model(name, data))"
        )
    outputs = _output_classes(model, dataset)
    end = f"end the model with Dense({dataset.num_classes}, activation='softmax')"
    if dataset.num_classes > outputs:
        raise ConfigError(f"labels go up to {dataset.num_classes - 1} but the model has {_outputs(outputs)}; {end}")
    if outputs > dataset.num_classes:
        warnings.warn(f"the model has {_outputs(outputs)} but the labels are classes 0..{dataset.num_classes - 1}: "
                      f"the extra outputs are never right, yet they take probability; {end}",
                      FitbenchWarning, stacklevel=4)  # the user's fb.fit


def _outputs(count: int) -> str:
    """``1 output (class 0 only)``, ``12 outputs (classes 0..11)``."""
    return f"{plural(count, 'output')} ({'class 0 only' if count == 1 else f'classes 0..{count - 1}'})"


def _output_classes(model: keras.Model, dataset: Dataset) -> int:
    if _input_shape(model) is not None and isinstance(getattr(model, "outputs", None), list):
        return int(model.outputs[0].shape[-1])  # a built functional or Sequential model knows, without compiling
    # One forward pass on two images: works for every kind of model, subclassed ones included.
    try:
        output = model(dataset.x_train[:2], training=False)
    except Exception as error:  # Keras raises ValueError, TypeError... for incompatible inputs
        raise ConfigError(
            f"the model cannot take the {dataset.name} images of shape {dataset.input_shape}: "
            f"{str(error).splitlines()[0]}"
        ) from None
    return int(output.shape[-1])


def _check_validation(training: TrainingConfig, dataset: Dataset) -> None:
    config = training.early_stopping
    if config is not None and config.monitor.startswith("val_") and len(dataset.y_val) == 0:
        raise ConfigError(
            f"training.early_stopping.monitor: {config.monitor} needs validation data, and this data has "
            f"no val split; give validation_data / validation_split, or monitor loss"
        )


def _input_shape(model: keras.Model) -> tuple[int | None, ...] | None:
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):  # subclassed models may not know theirs
        return None
    if isinstance(shape, list) or any(dim is None for dim in shape[1:]):
        return None
    return tuple(shape[1:])


def _early_stopping(training: TrainingConfig) -> ResumableEarlyStopping | None:
    config = training.early_stopping
    if config is None:
        return None
    return ResumableEarlyStopping(
        monitor=config.monitor, patience=config.patience, min_delta=config.min_delta,
        restore_best_weights=config.restore_best_weights,
    )


def _finish(path: Path, model: keras.Model, dataset: Dataset, history: HistoryWriter, stopper: Any,
            stop: StopOnSignal, engine: str, persist: Persist = now) -> None:
    """Score every split, save the model and what the views need, and mark the folder complete
    (the model and the views' files through ``persist``, the status last)."""
    received = stop.received  # once: a signal during saving must not make metrics and status disagree
    wall = history.wall_time_s()
    write_history(path, history.rows, history.epoch_times)
    epochs_run = len(history.rows)
    monitor, best = _best_epoch(history.rows, stopper)
    save_results(path, model, dataset, {
        "parameters": count_params(model), "total_parameters": int(model.count_params()),
        "engine": engine, "epochs_run": epochs_run, "best_epoch": best, "monitor": monitor,
        "stopped_early": bool(stopper is not None and stopper.stopped_epoch > 0 and received is None),
        "interrupted": received,
        "wall_time_s": wall, "time_per_epoch_s": float(np.mean(history.epoch_times)) if epochs_run else None,
    }, persist=persist if not received else now)

    def last_writes() -> None:
        _io.atomic_write(path / _folder.MODEL, model.save)
        _folder.write_status(path, "interrupted" if received else "complete",
                             reason=f"stopped by {received}" if received else None)
        if not received:
            (path / CHECKPOINT).unlink(missing_ok=True)  # complete: nothing left to resume

    (persist if not received else now)(last_writes)


def _best_epoch(rows: list[dict[str, float]], stopper: Any) -> tuple[str, int | None]:
    """The monitored quantity and its best epoch (1-based)."""
    if stopper is not None:
        # EarlyStopping knows which epoch it kept (it honours min_delta).
        return stopper.monitor, stopper.best_epoch + 1
    monitor = "val_loss" if rows and "val_loss" in rows[0] else "loss"
    values = [row[monitor] for row in rows if monitor in row]
    return monitor, int(np.argmin(values)) + 1 if values else None


def _dataset_record(dataset: Dataset) -> dict[str, Any]:
    if dataset.config is not None:
        return dataset.config.model_dump(mode="json")
    return {"name": "arrays", "input_shape": list(dataset.input_shape),
            "num_classes": dataset.num_classes, "sizes": dataset.sizes()}


def summary_line(run: Run) -> str:
    """One line: epochs, time, best epoch, and the scores of each split."""
    m = run.metrics
    scores = ", ".join(f"{split} accuracy {s.accuracy:.4f} (macro F1 {s.macro_f1:.4f})"
                       for split, s in m.splits.items() if split != "train")
    flags = " (stopped early)" if m.stopped_early else ""
    flags += f" (interrupted by {m.interrupted})" if m.interrupted else ""
    return (f"{run.name}: {plural(m.epochs_run, 'epoch')} in {m.wall_time_s or 0:.1f} s "
            f"({m.time_per_epoch_s or 0:.2f} s/epoch){flags}, best epoch {m.best_epoch}; {scores}")
