"""The one writer of run folder files: typed records in, atomic files out (fitbench._io).

Training (both engines), interruption and resume all write through these functions, so
every folder has the shape ``_record`` declares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fitbench import _io
from fitbench._confusion import confusion_matrix, per_class_scores
from fitbench.runs import _record as r
from fitbench.runs._preparation import PREPARATION, Preparation


def write_config(folder: Path, config: r.RunConfig) -> None:
    _io.write_yaml(folder / r.CONFIG, config.model_dump(mode="json"))


def write_environment(folder: Path, environment: Mapping[str, Any]) -> None:
    _io.write_json(folder / r.ENVIRONMENT, r.Environment.model_validate(environment).model_dump(mode="json"))


def write_preparation(folder: Path, preparation: Preparation | None) -> None:
    """How new inputs are prepared for prediction (nothing when the training data were no images)."""
    if preparation is not None:
        _io.write_json(folder / PREPARATION, preparation.model_dump(mode="json"))


def write_findings(folder: Path, findings: Sequence[Any]) -> None:
    """The pre-training checks' findings (``Finding`` objects or their dicts)."""
    records = [r.FindingRecord.model_validate(f if isinstance(f, Mapping) else f.to_dict()) for f in findings]
    _io.write_json(folder / r.FINDINGS, r.Findings(before_training=records).model_dump(mode="json"))


def write_metrics(folder: Path, metrics: r.Metrics) -> None:
    _io.write_json(folder / r.METRICS, metrics.model_dump(mode="json"))


def write_architecture(folder: Path, architecture: r.Architecture) -> None:
    _io.write_json(folder / r.ARCHITECTURE, architecture.model_dump(mode="json"))


def write_predictions(folder: Path, predictions: Mapping[str, r.SplitPredictions]) -> None:
    _write_npz(folder / r.PREDICTIONS, predictions, {"probabilities": np.float16})


def write_images(folder: Path, images: Mapping[str, r.ImageSet]) -> None:
    _write_npz(folder / r.IMAGES, images, {"images": np.uint8})


def write_explanations(folder: Path, explanations: Mapping[str, r.ExplanationSet]) -> None:
    _write_npz(folder / r.EXPLANATIONS, explanations,
               {"maps": np.float32, "spearman": np.float32, "top_drop": np.float32, "random_drop": np.float32,
                "method": np.int8})  # float32 maps: integrated gradients' small values underflow float16


def _write_npz(path: Path, sets: Mapping[str, Any], dtypes: Mapping[str, type]) -> None:
    """Each named tuple's fields as ``<name>_<field>`` arrays (int32 unless ``dtypes`` says otherwise)."""
    arrays: dict[str, np.ndarray] = {f"{name}_{key}": np.asarray(value, dtype=dtypes.get(key, np.int32))
              for name, record in sets.items() for key, value in record._asdict().items()}
    _io.atomic_write(path, lambda tmp: np.savez_compressed(tmp, **arrays))  # type: ignore[arg-type, unused-ignore]  # NumPy 2's stub: a **dict might fill allow_pickle


def mark_pruned(folder: Path, why: str) -> None:
    """A tuning trial the pruner stopped: complete, but say so (``fitbench runs`` lists it pruned)."""
    from fitbench.runs._folder import write_status

    write_status(folder, "complete", pruned=why)


def split_scores(evaluation: Mapping[str, Any]) -> r.SplitScores:
    """A split's record from an evaluation's dict, with per-class precision and recall added
    from its confusion matrix, so views never recompute them."""
    scores = per_class_scores(confusion_matrix(evaluation["confusion_matrix"]))
    return r.SplitScores.model_validate({**evaluation, "per_class_precision": [s.precision for s in scores],
                                         "per_class_recall": [s.recall for s in scores]})


def as_uint8(images: np.ndarray, low: float, high: float) -> np.ndarray:
    """Images in ``low..high`` as 0..255 bytes (what a picture needs, a quarter of float32)."""
    scaled = (np.asarray(images, dtype=np.float64) - low) / ((high - low) or 1.0)
    return np.clip(np.rint(255.0 * scaled), 0, 255).astype(np.uint8)
