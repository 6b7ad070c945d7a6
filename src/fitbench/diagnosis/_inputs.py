"""Rules about what goes into the model: the scale of each split, scaling layers, augmentation."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from fitbench.diagnosis._finding import Finding

# Maxima this many times apart are different scales (0..1 against 0..255 or 0..16), not
# different images.
SCALE_RATIO = 10.0
# A Rescaling this small is made for raw 0..255 pixels (1/255, 1/127.5).
RAW_PIXEL_SCALE = 1 / 50
DIGITS = tuple(str(d) for d in range(10))


class Rescale(NamedTuple):
    scale: float
    offset: float


def value_ranges(splits: Mapping[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    """``{split: (min, max)}`` of every non-empty split."""
    return {name: (float(np.min(x)), float(np.max(x))) for name, x in splits.items() if np.size(x)}


def scale_mismatch(ranges: Mapping[str, tuple[float, float]]) -> Finding | None:
    """Splits whose largest values are an order of magnitude apart (0..1 against 0..255)."""
    if len(ranges) < 2:
        return None
    highs = {name: high for name, (_, high) in ranges.items()}
    top, bottom = max(highs, key=highs.__getitem__), min(highs, key=highs.__getitem__)
    if highs[top] < SCALE_RATIO * max(highs[bottom], 1e-12) or highs[top] <= 1.5:
        return None
    shown = ", ".join(f"{name} in [{low:g}, {high:g}]" for name, (low, high) in ranges.items())
    return Finding(
        "scale_mismatch", "error", f"the {top} inputs are on a different scale from the {bottom} inputs",
        shown, f"scale every split the same way: divide {top} by {highs[top]:g} too, as train was "
        "(the course's bug: x_val left at 0..255), or pass raw pixels everywhere with Rescaling in the model",
        {"ranges": dict(ranges)})


def _all_layers(model: Any) -> Iterator[Any]:
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _all_layers(layer)  # nested models


def rescalings(model: Any) -> list[Rescale]:
    """Every Rescaling layer's (scale, offset), nested models included."""
    found = []
    for layer in _all_layers(model):
        if type(layer).__name__ == "Rescaling":
            found.append(Rescale(float(np.max(np.asarray(layer.scale))), float(np.max(np.asarray(layer.offset)))))
    return found


def normalizes_inside(model: Any) -> bool:
    """Whether the model scales its inputs itself (Rescaling or Normalization)."""
    return any(type(layer).__name__ in ("Rescaling", "Normalization") for layer in _all_layers(model))


def flip_modes(model: Any) -> list[str]:
    """The mode of every RandomFlip layer ("horizontal", ...)."""
    return [str(layer.mode) for layer in _all_layers(model) if type(layer).__name__ == "RandomFlip"]


def unscaled_inputs(input_max: float, *, scales_inside: bool) -> Finding | None:
    """Raw pixels (up to 255, or 16 for digits) into a model that does not scale them."""
    if input_max <= 1.5 or scales_inside:
        return None
    return Finding(
        "unscaled_inputs", "warning", "raw pixel values go into a model with no Rescaling layer",
        f"inputs reach {input_max:g}; Dense layers initialised for inputs near 0..1 start with huge activations",
        f"divide every split by {input_max:g} (dataset normalize: true) or start the model with "
        f"Rescaling(1/{input_max:g}) (the rescaling model)", {"input_max": input_max})


def double_scaling(input_max: float, rescales: Sequence[Rescale]) -> Finding | None:
    """Inputs already in 0..1 and then a Rescaling made for 0..255: everything lands near one value."""
    raw = [r for r in rescales if abs(r.scale) <= RAW_PIXEL_SCALE]
    if input_max > 1.5 or not raw:
        return None
    r = raw[0]
    low, high = r.offset, r.scale * input_max + r.offset
    return Finding(
        "double_scaling", "warning", "inputs are scaled twice: already 0..1, then Rescaling for 0..255",
        f"inputs reach {input_max:g}; Rescaling(scale={r.scale:.5g}, offset={r.offset:g}) squeezes them into "
        f"[{low:.4g}, {high:.4g}]", "keep one: pass raw pixels (dataset normalize: false) or drop the Rescaling "
        "layer; fb.build_model('rescaling', data) sizes it for the data it gets",
        {"input_max": input_max, "range": (low, high)})


def label_changing_augmentation(modes: Sequence[str], class_names: Sequence[str]) -> Finding | None:
    """A flip on digits: a mirrored 2 is not a 2, and a flipped 6 may read as a 9."""
    if not modes or tuple(class_names) != DIGITS[:len(class_names)] or len(class_names) < 2:
        return None
    return Finding(
        "label_changing_augmentation", "warning", "the augmentation flips digits, which changes what they mean",
        f"RandomFlip({modes[0]!r}) on classes {class_names[0]}..{class_names[-1]}: the model is taught that a "
        "mirrored digit keeps its label", "drop the flip and keep a small rotation (augment: [rotation], "
        "RandomRotation(0.05))", {"modes": list(modes)})
