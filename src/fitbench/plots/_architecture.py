"""Any Keras model as boxes and arrows (Sequential, Functional, subclassed), with output shapes
and parameter counts taken the way ``model.summary()`` takes them, and the summary text itself.

The graph comes from each layer's inbound nodes, which Keras records when a Sequential or
Functional model is built; no graphviz. Layers are drawn one per row in the model's order;
an edge that skips rows (the ``bypass`` model's input into Concatenate) is routed at the side.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any, NamedTuple

from fitbench.plots._figure import Margins, format_count, new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes


class LayerNode(NamedTuple):
    name: str
    kind: str  # the layer's class name, as in the summary's "name (Kind)"
    output_shape: str  # "(None, 784)", as the summary writes it; "?" when unknown
    params: int  # layer.count_params(): the summary's "Param #"
    built: bool
    inputs: tuple[str, ...]  # names of the layers feeding this one


class Architecture(NamedTuple):
    name: str
    kind: str  # "Sequential", "Functional" or the subclass's name
    nodes: list[LayerNode]
    trainable_params: int
    non_trainable_params: int
    optimizer_params: int  # counted in the summary's total once the model has trained
    traced: bool  # False: a subclassed model, drawn in the order its layers were created

    @property
    def total_params(self) -> int:
        return self.trainable_params + self.non_trainable_params + self.optimizer_params

    @property
    def edges(self) -> list[tuple[str, str]]:
        return [(source, node.name) for node in self.nodes for source in node.inputs]

    @property
    def merges(self) -> list[str]:
        """Layers with more than one input: where branches join (Concatenate, Add...)."""
        return [node.name for node in self.nodes if len(node.inputs) > 1]


class EdgeRoute(NamedTuple):
    """How an edge is drawn: lane 0 straight down to the next row, lane k > 0 at the side."""

    source: int  # row of the source layer
    target: int
    lane: int


def _weights(weights: list[Any]) -> int:
    return int(sum(math.prod(weight.shape) for weight in weights))


def _shape_text(shape: Any) -> str:
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _output_shape(layer: Any) -> str:
    # As Keras' summary: the last inbound node's outputs, else the shapes the layer was built on.
    from fitbench._keras import build_shapes, inbound_nodes  # a live model means Keras is loaded already

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
    from fitbench._keras import inbound_nodes

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


def layout(arch: Architecture) -> list[EdgeRoute]:
    """One route per edge; side lanes are shared only by edges whose rows do not overlap."""
    row = {node.name: k for k, node in enumerate(arch.nodes)}
    routes = []
    taken: list[list[tuple[int, int]]] = []  # per side lane: the row spans already routed there
    for source, target in sorted(((row[s], row[t]) for s, t in arch.edges), key=lambda e: e[1] - e[0]):
        if target - source == 1:
            routes.append(EdgeRoute(source, target, 0))
            continue
        lane = next((k for k, spans in enumerate(taken)
                     if all(target <= lo or source >= hi for lo, hi in spans)), len(taken))
        if lane == len(taken):
            taken.append([])
        taken[lane].append((source, target))
        routes.append(EdgeRoute(source, target, lane + 1))
    return sorted(routes)


_WIDTH, _HEIGHT, _LANE = 6.0, 0.62, 0.45  # box width and height, side-lane spacing (data units)


def plot_architecture(model: Any, ax: Axes | None = None) -> Axes:
    """Boxes (name, type, output shape, parameters) and arrows; ``model`` may be an Architecture."""
    arch = model if isinstance(model, Architecture) else architecture(model)
    routes = layout(arch)
    lanes = max((route.lane for route in routes), default=0)
    ax = new_axes(ax, (7.5 + 0.4 * lanes, 0.85 * len(arch.nodes) + 1.3), Margins(0.05, 0.05, 0.05, 0.35))
    merges = set(arch.merges)
    for k, node in enumerate(arch.nodes):
        _draw_box(ax, k, node, node.name in merges)
    for route in routes:
        _draw_edge(ax, route)
    ax.set_xlim(-0.2, _WIDTH + _LANE * (lanes + 1))
    ax.set_ylim(-(len(arch.nodes) - 1) - 1.0, 0.9)
    ax.set_axis_off()
    ax.set_title(f'{arch.name} ({arch.kind})', loc="left", fontsize=11)
    ax.text(0.0, -(len(arch.nodes) - 1) - 0.75, _totals(arch), fontsize=9, va="center")
    return ax


def _totals(arch: Architecture) -> str:
    text = (f"Total params: {format_count(arch.total_params)}   Trainable: {format_count(arch.trainable_params)}"
            f"   Non-trainable: {format_count(arch.non_trainable_params)}")
    if arch.optimizer_params:
        text += f"   Optimizer: {format_count(arch.optimizer_params)}"
    if not arch.traced:
        text += "\n(subclassed model: layers drawn in creation order; call() decides the real flow)"
    return text


def _draw_box(ax: Axes, row: int, node: LayerNode, merge: bool) -> None:
    from matplotlib.patches import FancyBboxPatch

    colour = "#f5b041" if merge else "#d5d8dc" if node.kind == "InputLayer" else "#aed6f1"
    y = -row
    ax.add_patch(FancyBboxPatch((0, y - _HEIGHT / 2), _WIDTH, _HEIGHT, boxstyle="round,pad=0.02",
                                facecolor=colour, edgecolor="#34495e", linewidth=1))
    params = format_count(node.params) + ("" if node.built else " (unbuilt)")
    ax.text(0.15, y + 0.1, f"{node.name} ({node.kind})", fontsize=9, fontweight="bold", va="center")
    ax.text(0.15, y - 0.15, f"output {node.output_shape}", fontsize=8, va="center", family="monospace")
    ax.text(_WIDTH - 0.15, y, f"{params} params", fontsize=9, va="center", ha="right", family="monospace")


def _draw_edge(ax: Axes, route: EdgeRoute) -> None:
    top, bottom = -route.source, -route.target
    style = dict(arrowstyle="-|>", color="#2c3e50", linewidth=1.2, mutation_scale=12)
    if route.lane == 0:
        ax.annotate("", xy=(_WIDTH / 2, bottom + _HEIGHT / 2), xytext=(_WIDTH / 2, top - _HEIGHT / 2),
                    arrowprops=style)
        return
    side = _WIDTH + _LANE * route.lane
    ax.plot([_WIDTH, side, side], [top, top, bottom], color="#e67e22", linewidth=1.5)
    ax.annotate("", xy=(_WIDTH, bottom), xytext=(side, bottom), arrowprops={**style, "color": "#e67e22"})
