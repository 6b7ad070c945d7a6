"""Attribution maps through JAX on the model's stateless call: integrated gradients, occlusion.

Both attribute the probability of one class to the input pixels, against a black baseline
(zeros: the background of MNIST-like images). Maps are ``(n, h, w)``: the channels of an
RGB model summed per pixel, a flat model's inputs laid out as the image it was trained on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from fitbench.models import outputs_logits

__all__ = ["STEPS", "Attributor", "class_probability", "integrated_gradients", "occlusion", "pixel_shape"]

STEPS = 32  # interpolation steps: IG's sum converges to within a few percent by 20-50 (Sundararajan et al.)
_VALUES = 2 ** 22  # input values per compiled call (16 MB of float32, times each layer's width): bounds memory
_CHUNK = 64  # images per compiled call at most
Score = Callable[[Any, Any, jax.Array, jax.Array], jax.Array]


def class_probability(model: Any, probe: np.ndarray) -> Score:
    """``score(trainable, non_trainable, x, target)``: the probability of class ``target`` for
    one input ``x``; the model's outputs go through softmax when they are logits."""
    return _score(model, outputs_logits(model, lambda: np.asarray(model(probe[:8], training=False))))


def _score(model: Any, logits: bool) -> Score:
    def score(trainable: Any, non_trainable: Any, x: jax.Array, target: jax.Array) -> jax.Array:
        outputs, _ = model.stateless_call(trainable, non_trainable, x[None], training=False)
        outputs = jax.nn.softmax(outputs, axis=-1) if logits else outputs
        return outputs[0, target]
    return score


def weights(model: Any) -> tuple[list[jax.Array], list[jax.Array]]:
    """The model's trainable and non-trainable values, as the stateless call takes them."""
    return ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables])


class Attributor:
    """A model's integrated gradients compiled once, for its own weights or others of the same
    shapes (the randomisation check's): kept by a caller that explains again and again (the web
    server's loaded models), so only the first call compiles. Safe to call from many threads:
    the weights are captured as immutable arrays and passed as arguments, never donated.

    ``logits``: whether the model's outputs are logits (softmax applied), as
    ``fitbench.models.outputs_logits`` decides it."""

    def __init__(self, model: Any, *, logits: bool, steps: int = STEPS) -> None:
        self.model, self.steps = model, steps
        self.trainable, non_trainable = weights(model)
        gradient = jax.grad(_score(model, logits), argnums=2)
        alphas = (jnp.arange(steps, dtype=jnp.float32) + 0.5) / steps

        def attribute(trainable: Any, images: jax.Array, classes: jax.Array) -> jax.Array:
            def one(image: jax.Array, target: jax.Array) -> jax.Array:
                path = alphas.reshape((steps,) + (1,) * image.ndim) * image  # baseline 0 + alpha * (x - 0)
                grads = jax.vmap(gradient, in_axes=(None, None, 0, None))(trainable, non_trainable, path, target)
                return image * grads.mean(axis=0)
            return jax.vmap(one)(images, classes)
        self._attribute = jax.jit(attribute)

    def __call__(self, x: np.ndarray, targets: np.ndarray, trainable: list[Any] | None = None) -> np.ndarray:
        """Attributions of class ``targets[i]``'s probability for each ``x[i]``, shaped as ``x``."""
        use = self.trainable if trainable is None else trainable
        chunk = _per_call(self.steps * int(np.prod(x.shape[1:])))
        return np.concatenate([
            np.asarray(self._attribute(use, jnp.asarray(x[k:k + chunk], jnp.float32),
                                       jnp.asarray(targets[k:k + chunk])))
            for k in range(0, len(x), chunk)])


def integrated_gradients(model: Any, x: np.ndarray, targets: np.ndarray, *, steps: int = STEPS,
                         trainable: list[jax.Array] | None = None) -> np.ndarray:
    """Integrated gradients of class ``targets[i]``'s probability for each ``x[i]`` (inputs shaped
    as the model takes them), from a black baseline, midpoint rule over ``steps`` steps.
    ``trainable``: other weights for the same model (the randomisation check's)."""
    logits = outputs_logits(model, lambda: np.asarray(model(x[:8], training=False)))
    return Attributor(model, logits=logits, steps=steps)(x, targets, trainable)


def occlusion(model: Any, x: np.ndarray, targets: np.ndarray, *, size: tuple[int, int], patch: int = 4,
              trainable: list[jax.Array] | None = None) -> np.ndarray:
    """Per pixel, the drop in class ``targets[i]``'s probability when the ``patch`` x ``patch``
    square holding it is set to the baseline: for models whose gradients say nothing
    (flat or undefined, as after rounding). ``size``: the images' (h, w)."""
    score = class_probability(model, x)
    own, non_trainable = weights(model)
    trainable = own if trainable is None else trainable
    masks = _patches(size, patch)  # (patches, h, w), 1 where occluded
    batched = jax.jit(jax.vmap(score, in_axes=(None, None, 0, None)))
    maps = []
    for image, target in zip(x, targets, strict=True):
        pixels = image.reshape((*size, -1))
        occluded = (pixels[None] * (1 - masks[..., None])).reshape((len(masks), *image.shape))
        full = batched(trainable, non_trainable, jnp.asarray(image[None], jnp.float32), target)[0]
        chunk = _per_call(image.size)
        scores = [batched(trainable, non_trainable, jnp.asarray(occluded[k:k + chunk], jnp.float32), target)
                  for k in range(0, len(occluded), chunk)]
        maps.append(np.tensordot(full - np.concatenate(scores), masks, axes=1))
    return np.stack(maps)


def pixel_shape(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Attributions shaped as the model's inputs, as ``(n, h, w)``: channels summed per pixel."""
    return np.asarray(x, np.float64).reshape((len(x), *size, -1)).sum(axis=-1)


def _per_call(values: int) -> int:
    """How many items of ``values`` input values each to send per compiled call."""
    return max(1, min(_CHUNK, _VALUES // max(1, values)))


def _patches(size: tuple[int, int], patch: int) -> np.ndarray:
    h, w = size
    masks = []
    for top in range(0, h, patch):
        for left in range(0, w, patch):
            mask = np.zeros(size, np.float32)
            mask[top:top + patch, left:left + patch] = 1
            masks.append(mask)
    return np.stack(masks)
