"""Saved models for prediction: loaded safely, once per run, kept in a small LRU cache.

Only ``model.keras`` is loaded, in Keras' safe mode, and only when its archive names no code
but Keras' and fitbench's own (``fitbench.runs._keras_file``), through the one checked opener
(``fitbench.models._safe_load.open_model``: within the run-folder budget, opened once as a regular
file, no symlink, no FIFO, and Keras reads that open file, so nothing can be swapped in between);
a run built by a factory is never loaded, since the server imports nothing a run folder names.

Loads run on a few threads of their own (``_isolation.Outcomes``): no lock is held while a file
is opened or a model built, a request stops waiting at a time limit while the load goes on, and
a model that cannot load is kept as such, like a loaded one, until its files change.

Predictions from many threads at once: each loaded model gets one jitted forward function over
its weights, captured once as immutable JAX arrays and never donated. Keras' own
``predict_on_batch`` donates the model's state buffers to each call, so two concurrent calls
fail with "Buffer has been deleted or donated".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from fitbench.errors import FitbenchError
from fitbench.runs import DamagedFile, RunRecord, read_run
from fitbench.runs._preparation import Preparation, read_preparation
from fitbench.runs._record import MODEL
from fitbench.web._catalog import RunInfo
from fitbench.web._isolation import Limits, Outcomes

CACHED_MODELS = 4  # a class's handful of runs; each `first` model is ~1.5 MB of weights


class CannotPredict(FitbenchError):
    """The run exists but its model cannot read this image (no model, needs its code, other input size)."""


@dataclass(frozen=True)
class Loaded:
    """A run's model, ready to predict, with what prediction needs to know about the run."""

    forward: Callable[[np.ndarray], np.ndarray]  # (batch, *input_shape) -> (batch, classes)
    scale: float  # 1.0: pixels in 0..1; 255.0: the run was trained on raw pixels
    input_shape: tuple[int, ...]  # without the batch axis
    class_names: tuple[str, ...]  # "0".."9", or Fashion-MNIST's "T-shirt/top", "Trouser"...
    logits: bool  # the model ends without a softmax: its outputs go through one
    preparation: Preparation  # how an upload becomes the model's input (fitbench.prediction.prepare)
    attributor: Any = None  # fitbench.explain.Attributor compiled at load; None: its gradients do not compute


class ModelCache:
    """Bounded LRU of loaded models (and of models that cannot load), keyed by run folder and the
    versions of its files; a retrained run's new model replaces its old one."""

    def __init__(self, size: int = CACHED_MODELS, limits: Limits = Limits()) -> None:
        self.limits = limits
        busy = f"the server is loading {limits.loaders} other models; try again in a moment"
        self._models: Outcomes[Loaded] = Outcomes(size, limits.loaders, busy, family=lambda key: key[0])

    def warm(self, path: Path, version: tuple[Any, ...], info: RunInfo) -> Future[Loaded]:
        """Start loading the model of the run folder ``path`` at ``version`` (its files' stamps, see
        ``_catalog``) unless it is kept or loading; returns at once. ``CannotPredict`` for a run
        whose model the server does not load, ``Busy`` when every loader is busy."""
        _check_loadable(info)
        return self._models.start((path, version), lambda: _load_run(path, info))

    async def get(self, path: Path, version: tuple[Any, ...], info: RunInfo) -> Loaded:
        """The loaded model (``warm``), waited for up to the load time limit (``TooSlow``)."""
        _check_loadable(info)
        return await self._models.get((path, version), lambda: _load_run(path, info), self.limits.load_s,
                                      f"{info.name}'s model is still loading after {self.limits.load_s:g} s; "
                                      "try again in a moment")

    def state(self, path: Path, version: tuple[Any, ...]) -> Literal["ready", "loading", "failed", "not loaded"]:
        """``ready``, ``loading``, ``failed`` or ``not loaded``: how far a draw page's warm-up got."""
        state = self._models.state((path, version))
        if state is None:
            return "not loaded"
        return "loading" if state == "running" else "ready" if state == "done" else "failed"

    def __len__(self) -> int:
        return len(self._models)


def import_soon() -> None:
    """Import Keras and JAX on a thread of their own now (seconds), so that a draw page's
    warm-up, and with it the first prediction, does not wait for them."""
    threading.Thread(target=_import_models, name="fitbench-import", daemon=True).start()


def _import_models() -> None:
    try:
        import fitbench.models  # noqa: F401  Keras and JAX, as loading a model needs them
    except Exception:  # noqa: S110  the first load says what is wrong, in its request
        pass


def warm(models: ModelCache, path: Path, version: tuple[Any, ...], info: RunInfo) -> None:
    """Load a run's model into ``models`` ahead of its first prediction (its draw page opened);
    a run that cannot predict says why when it is asked to, so nothing is said here."""
    try:
        models.warm(path, version, info)  # returns at once; the load goes on on a loader thread
    except FitbenchError:  # CannotPredict, Busy: said when a prediction asks
        pass


def _check_loadable(info: RunInfo) -> None:
    if not info.has_model:
        raise CannotPredict(f"{info.name} has no {MODEL} (state: {info.state}); choose a complete run")
    if info.problems:
        raise CannotPredict(f"{info.name} is damaged ({info.problems[0]}); choose another run")
    if info.needs_code:
        raise CannotPredict(f"{info.name}: its model needs its code ({info.needs_code}); the server loads only "
                            "models made of Keras' and fitbench's own layers; predict in Python instead")


def _load_run(path: Path, info: RunInfo) -> Loaded:
    return load(read_run(path), info)


def load(record: RunRecord, info: RunInfo) -> Loaded:
    """Load ``<run>/model.keras`` in Keras safe mode (no Lambda, no pickled code) and compile its forward pass."""
    from fitbench.models._safe_load import open_model  # registers fitbench's own layers and models
    from fitbench.prediction import compile_cache

    try:
        with compile_cache():
            return _ready(open_model(record.path / MODEL), record)
    except CannotPredict:
        raise
    except DamagedFile as error:  # a link or special file put there since it was listed, damaged, over budget
        raise CannotPredict(f"{info.name}: {error}; the server does not load it") from None
    except FileNotFoundError:
        raise CannotPredict(f"{MODEL} is gone; reload the page") from None
    except Exception as error:  # Keras raises many types for a damaged, foreign or unsafe file
        text = _first_line(error)
        if "Could not locate" in text or "safe_mode" in text or "Lambda" in text:
            raise CannotPredict(f"{info.name}: its model needs its code ({text[:160]})") from None
        raise CannotPredict(f"{info.name}: {MODEL} is damaged ({text[:160]})") from None


def _ready(model: Any, record: RunRecord) -> Loaded:
    """The loaded model's forward pass compiled for one image, with what predicting needs."""
    from fitbench.models import outputs_logits
    from fitbench.report import class_names

    config = record.config.model_dump(mode="json")
    shape = tuple(side or 0 for side in model.input_shape[1:]) if hasattr(model, "input_shape") else ()
    classes = int(model.output_shape[-1]) if hasattr(model, "output_shape") else 10
    try:
        preparation = read_preparation(record.path, config, shape)
    except FitbenchError as error:
        raise CannotPredict(f"{record.path.name}: {error}") from None
    forward = _forward(model)
    outputs = forward(np.zeros((1, *shape), np.float32))  # compiled now, for the one image predict sends
    logits = outputs_logits(model, lambda: outputs)
    if logits:
        _softmax(outputs)  # compiled now too (0.2 s), on the (1, classes) batch a prediction gives it
    return Loaded(forward, preparation.white, shape, tuple(class_names(config, classes)), logits, preparation,
                  _attributor(model, logits, shape))


def _attributor(model: Any, logits: bool, shape: tuple[int, ...]) -> Any:
    """The model's integrated gradients (``fitbench.explain``), compiled now as the forward pass
    is, so an explained prediction costs milliseconds; None for a model whose gradients cannot
    be taken (its predictions are still served)."""
    from fitbench.explain import Attributor

    try:
        attributor = Attributor(model, logits=logits)
        attributor(np.zeros((1, *shape), np.float32), np.zeros(1, np.int32))
    except Exception:  # a layer JAX cannot differentiate: the answer goes without its map
        return None
    return attributor


def _forward(model: Any) -> Callable[[np.ndarray], np.ndarray]:
    """One compiled forward pass over weights captured now; safe to call from many threads."""
    import jax

    trainable = [variable.value for variable in model.trainable_variables]
    frozen = [variable.value for variable in model.non_trainable_variables]
    # Weights as arguments (not constants baked into the program); no donate_argnums.
    step = jax.jit(lambda weights, states, x: model.stateless_call(weights, states, x, training=False)[0])
    return lambda x: np.asarray(step(trainable, frozen, x), dtype=np.float64)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def predict(loaded: Loaded, image: np.ndarray) -> np.ndarray:
    """Class probabilities of one image prepared as ``loaded.preparation`` says."""
    try:
        batch = image.reshape((1, *loaded.input_shape)).astype(np.float32)
        outputs = probabilities(loaded, batch)[0]
    except Exception as error:  # a model whose layers do not accept this input after all
        raise CannotPredict(f"this run's model cannot read the image: {_first_line(error)[:160]}") from None
    if not np.isfinite(outputs).all():
        raise CannotPredict("this run's model answers NaN (its training diverged); choose another run")
    return outputs


def probabilities(loaded: Loaded, batch: np.ndarray) -> np.ndarray:
    """Class probabilities ``(n, classes)`` of inputs shaped as the model takes them."""
    outputs = loaded.forward(batch)
    if loaded.logits:  # a model without a softmax; `logits` was decided once, when it loaded
        return _softmax(outputs)
    return outputs


def _softmax(outputs: np.ndarray) -> np.ndarray:
    import jax  # a model is loaded already: JAX is there

    return np.asarray(jax.nn.softmax(outputs))
