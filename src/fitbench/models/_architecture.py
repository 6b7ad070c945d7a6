"""What a live Keras model is made of, read the way ``model.summary()`` reads it: layers,
connections, output shapes and parameter counts (an ``Architecture``, which run folders save and
``fitbench.plots.plot_architecture`` draws), and the summary text itself.

The graph comes from each layer's inbound nodes, which Keras records when a Sequential or
Functional model is built.
"""

from __future__ import annotations

import math
import os
from typing import Any

from fitbench._keras import build_shapes, inbound_nodes
from fitbench.plots import Architecture, LayerNode


def _weights(weights: list[Any]) -> int:
    return int(sum(math.prod(weight.shape) for weight in weights))


def _shape_text(shape: Any) -> str:
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _output_shape(layer: Any) -> str:
    # As Keras' summary: the last inbound node's outputs, else the shapes the layer was built on.
    nodes = inbound_nodes(layer)
    if nodes:
        outputs = nodes[-1].output_tensors
        shapes = [tuple(t.shape) for t in outputs]
        return _shape_text(shapes[0] if len(shapes) == 1 else shapes)
    try:
        built_on = build_shapes(layer)
        if built_on:
            return _shape_text(layer.compute_output_shape(**built_on))
    except Exception:  # layers that cannot say: the summary prints "?" too
        pass
    return "?"


def _node(layer: Any, inputs: tuple[str, ...]) -> LayerNode:
    built = bool(getattr(layer, "built", False))
    params = int(layer.count_params()) if built else 0
    return LayerNode(layer.name, type(layer).__name__, _output_shape(layer), params, built, inputs)


def _parents(layer: Any) -> list[Any]:
    return [parent.operation for node in inbound_nodes(layer) for parent in node.parent_nodes]


def _graph_layers(model: Any) -> list[Any]:
    """The model's layers in order, with the InputLayer a Sequential keeps out of ``layers``."""
    layers = list(getattr(model, "operations", None) or model.layers)
    known = {id(layer) for layer in layers}
    inputs = []
    for layer in layers:
        for parent in _parents(layer):
            if id(parent) not in known and type(parent).__name__ == "InputLayer":
                inputs.append(parent)
                known.add(id(parent))
    return inputs + layers


def architecture(model: Any) -> Architecture:
    """Layers, connections, output shapes and parameter counts of a Keras model."""
    layers = _graph_layers(model)
    known = {id(layer) for layer in layers}
    nodes = [_node(layer, tuple(dict.fromkeys(p.name for p in _parents(layer) if id(p) in known)))
             for layer in layers]
    traced = any(node.inputs for node in nodes) or len(nodes) < 2
    if not traced:  # subclassed: call() is Python code, so assume the layers run in creation order
        nodes = [node._replace(inputs=(nodes[k - 1].name,) if k else ()) for k, node in enumerate(nodes)]
    optimizer = getattr(model, "optimizer", None)
    optimizer_params = (_weights(optimizer.variables) if getattr(model, "compiled", False) and optimizer is not None
                        and getattr(optimizer, "built", False) else 0)
    kind = type(model).__name__ if type(model).__name__ in ("Sequential", "Functional") else \
        ("Functional" if getattr(model, "operations", None) else type(model).__name__)
    return Architecture(model.name, kind, nodes, _weights(model.trainable_weights),
                        _weights(model.non_trainable_weights), optimizer_params, traced)


def model_summary(model: Any, *, line_length: int = 100) -> str:
    """Keras' own ``model.summary()`` text (a fixed width, so it does not depend on the terminal)."""
    lines: list[str] = []
    # Keras renders with rich, which cuts lines at the terminal's width (80 in a pipe)
    # unless COLUMNS says otherwise: widen it for this call only.
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(line_length + 4)
    try:
        model.summary(line_length=line_length, print_fn=lambda text, *args, **kwargs: lines.append(text))
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous
    return "\n".join(lines).rstrip() + "\n"
