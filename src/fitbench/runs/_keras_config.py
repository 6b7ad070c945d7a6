"""What a ``model.keras``'s ``config.json`` declares, read as data (Keras is never imported).

Keras builds each saved layer from its own ``build_config`` input shape before any weight is
read, so the parameter count is known from the config alone: exact for the layers that carry
weights in the zoo and Keras' common ones, a generous estimate (an LSTM's four gates) for other
classes with a width argument. Widths, input sizes and arrays written into the config are
bounded too, so nothing it declares is allocated before it is checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from fitbench.runs._budget import MAX_CONFIG_ARRAY, MAX_WIDTH

__all__ = ["classes", "config_problem", "declared_parameters", "input_shape", "needs_code"]

OWN_MODULES = ("keras", "fitbench")  # classes the server can rebuild without running foreign code
CODE_CLASSES = ("Lambda", "JaxLayer", "TorchModuleWrapper", "TFSMLayer")  # wrap a function, not a config
# Arguments that size a layer's weights; each is at most MAX_WIDTH.
WIDTHS = ("units", "filters", "output_dim", "input_dim", "key_dim", "value_dim", "num_heads", "depth_multiplier",
          "kernel_size")
SHAPES = ("batch_shape", "input_shape", "target_shape", "shape")  # tensor shapes a config may name
MAX_INPUT = 1024 * 1024  # values in one input or reshaped tensor: a 1024x1024 image (the course's are 28x28)


def classes(node: Any) -> Iterator[dict[str, Any]]:
    """Every serialized object in a Keras config (a dict with a ``class_name``), depth first."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "class_name" in item:
                yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def needs_code(config: dict[str, Any]) -> str | None:
    """Why the model needs code beside Keras' and fitbench's own to load, if it does."""
    for item in classes(config):
        module, name = str(item.get("module") or ""), str(item.get("class_name"))
        if name in CODE_CLASSES:
            return f"its {name} layer wraps Python code"
        if module and module.split(".")[0] not in OWN_MODULES:
            return f"class {name} comes from {module}"
    return None


def input_shape(config: dict[str, Any]) -> tuple[int | None, ...] | None:
    """The model's input shape without the batch axis; None when the config does not say."""
    shape = (config.get("build_config") or {}).get("input_shape")
    if not _is_shape(shape):
        shape = next(((item.get("config") or {}).get("batch_shape") for item in classes(config)
                      if item.get("class_name") == "InputLayer"), None)
    return tuple(shape[1:]) if isinstance(shape, list) and _is_shape(shape) else None


def _is_shape(shape: Any) -> bool:
    return isinstance(shape, list) and 1 < len(shape) <= 5 and all(
        side is None or (isinstance(side, int) and not isinstance(side, bool)) for side in shape)


def config_problem(config: dict[str, Any]) -> str | None:
    """What in the config would allocate beyond the budget before it can be checked: an array
    value, a width or a tensor shape over its bound."""
    stack: list[Any] = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            size = _array_size(item)
            if size is not None and size > MAX_CONFIG_ARRAY:
                return f"an array of {size:,} values in config.json; at most {MAX_CONFIG_ARRAY:,}"
            stack += item
        elif isinstance(item, dict):
            if problem := _argument_problem(item):
                return problem
            stack.extend(item.values())
    return None


def _array_size(value: list[Any]) -> int | None:
    """The count of numbers in a nested list of numbers (an array), None for anything else."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack += item
        elif isinstance(item, (int, float)) or item is None:
            count += 1
        else:
            return None
    return count


_BOUNDED = frozenset(WIDTHS + SHAPES)


def _argument_problem(arguments: dict[str, Any]) -> str | None:
    if arguments.keys().isdisjoint(_BOUNDED):  # most objects of a config: checked at C speed
        return None
    for key in WIDTHS:
        if key in arguments and any(width > MAX_WIDTH for width in _ints(arguments[key])):
            return f"{key} of {max(_ints(arguments[key])):,}; a layer's is at most {MAX_WIDTH:,}"
    for key in SHAPES:
        sides = _ints(arguments[key]) if key in arguments else []
        if math.prod(sides) > MAX_INPUT:
            return f"{key} {tuple(sides)} of {math.prod(sides):,} values; at most {MAX_INPUT:,}"
    return None


def _ints(value: Any) -> list[int]:
    """The integers of a width or shape argument (a number or a list of them; None sides skipped)."""
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


# --- the parameter count ----------------------------------------------------------------------

Counter = Callable[[dict[str, Any], list[int]], int]


def declared_parameters(config: dict[str, Any]) -> int:
    """The parameters Keras creates when it builds this config (run ``config_problem`` first:
    it bounds the widths and shapes multiplied here). A layer without a recorded input shape
    is counted as if its input were the largest allowed."""
    total = 0
    for item in classes(config):
        arguments, built = item.get("config"), item.get("build_config")
        # No recorded input shape: Keras builds the layer from what reaches it, as large as an input may be.
        shape = (_ints(built.get("input_shape")) if isinstance(built, dict) else []) or [MAX_INPUT]
        count = COUNTERS.get(str(item.get("class_name")), _generic)
        total += count(arguments if isinstance(arguments, dict) else {}, shape)
    return total


def _width(arguments: dict[str, Any], key: str, default: int = 1) -> int:
    values = _ints(arguments.get(key))
    return math.prod(values) if values else default


def _bias(arguments: dict[str, Any], size: int) -> int:
    return size if arguments.get("use_bias", True) else 0


def _channels(arguments: dict[str, Any], shape: list[int]) -> int:
    """Input channels."""
    return shape[0] if arguments.get("data_format") == "channels_first" and len(shape) > 1 else shape[-1]


def _dense(arguments: dict[str, Any], shape: list[int]) -> int:
    units = _width(arguments, "units")
    return shape[-1] * units + _bias(arguments, units)


def _conv(arguments: dict[str, Any], shape: list[int]) -> int:
    filters, groups = _width(arguments, "filters"), max(1, _width(arguments, "groups"))
    kernel = _width(arguments, "kernel_size") * (_channels(arguments, shape) // groups or 1) * filters
    return kernel + _bias(arguments, filters)


def _depthwise(arguments: dict[str, Any], shape: list[int]) -> int:
    out = _channels(arguments, shape) * _width(arguments, "depth_multiplier")
    return _width(arguments, "kernel_size") * out + _bias(arguments, out)


def _separable(arguments: dict[str, Any], shape: list[int]) -> int:
    filters = _width(arguments, "filters")
    middle = _channels(arguments, shape) * _width(arguments, "depth_multiplier")
    return _width(arguments, "kernel_size") * middle + middle * filters + _bias(arguments, filters)


def _normalization(factor: int) -> Counter:
    return lambda arguments, shape: factor * shape[-1]


def _embedding(arguments: dict[str, Any], shape: list[int]) -> int:
    return _width(arguments, "input_dim") * _width(arguments, "output_dim")


def _small_net(arguments: dict[str, Any], shape: list[int]) -> int:
    """fitbench's SmallNet: Flatten, Dense per ``units``, then the head (its layers are not in its config)."""
    widths = [math.prod(shape), *_ints(arguments.get("units")), _width(arguments, "num_classes", 10)]
    return sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))


def _generic(arguments: dict[str, Any], shape: list[int]) -> int:
    """Another class with a width: an LSTM's count (four gates over input and state), which
    bounds the common recurrent and attention layers; none without a width."""
    if arguments.keys().isdisjoint(WIDTHS):  # most objects: initializers, activations, shapes
        return 0
    widths = [width for key in WIDTHS for width in _ints(arguments.get(key))]
    if not widths:
        return 0
    width = max(widths)
    return 4 * (shape[-1] + width + 1) * width


CONV = ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
COUNTERS: dict[str, Counter] = {
    "Dense": _dense, **dict.fromkeys(CONV, _conv),
    "DepthwiseConv1D": _depthwise, "DepthwiseConv2D": _depthwise,
    "SeparableConv1D": _separable, "SeparableConv2D": _separable,
    "BatchNormalization": _normalization(4), "LayerNormalization": _normalization(2),
    "Embedding": _embedding, "SmallNet": _small_net,
}
