"""A model's architecture as boxes and arrows (Sequential, Functional, subclassed): output
shapes and parameter counts per layer, as ``model.summary()`` gives them.

Drawn from an ``Architecture`` (saved in a run folder's architecture.json, or read from a live
model by ``fitbench.models.architecture``), so drawing needs no Keras; no graphviz. Layers are
drawn one per row in the model's order; an edge that skips rows (the ``bypass`` model's input
into Concatenate) is routed at the side.
"""

from __future__ import annotations

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


# The most a diagram draws: one row per layer (300 rows make a 255-inch figure), and routing
# compares every skipping edge with those already routed (200 layers each taking all earlier
# ones, 19,900 edges, took 140 s and then a MemoryError).
MAX_DRAWN_LAYERS, MAX_DRAWN_EDGES, MAX_DRAWN_LANES = 300, 600, 40


def drawing_problem(arch: Architecture) -> str | None:
    """Why ``arch`` is too large to draw, or None; checked before any layout work."""
    edges = sum(len(node.inputs) for node in arch.nodes)
    if len(arch.nodes) > MAX_DRAWN_LAYERS or edges > MAX_DRAWN_EDGES:
        return (f"{len(arch.nodes):,} layers and {edges:,} connections; a diagram draws at most "
                f"{MAX_DRAWN_LAYERS} layers and {MAX_DRAWN_EDGES} connections")
    lanes = max((route.lane for route in layout(arch)), default=0)
    if lanes > MAX_DRAWN_LANES:
        return f"{lanes} connections run beside each other; a diagram draws at most {MAX_DRAWN_LANES}"
    return None


def layout(arch: Architecture) -> list[EdgeRoute]:
    """One route per edge; side lanes are shared only by edges whose rows do not overlap.
    An edge from a layer the model does not hold is left out (a damaged record)."""
    row = {node.name: k for k, node in enumerate(arch.nodes)}
    routes = []
    taken: list[list[tuple[int, int]]] = []  # per side lane: the row spans already routed there
    known = [(row[s], row[t]) for s, t in arch.edges if s in row]
    for source, target in sorted(known, key=lambda e: e[1] - e[0]):
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


def plot_architecture(arch: Architecture, ax: Axes | None = None) -> Axes:
    """Boxes (name, type, output shape, parameters) and arrows (for a live Keras model:
    ``plot_architecture(fitbench.models.architecture(model))``); ValueError when it is too
    large to draw (``drawing_problem``)."""
    if problem := drawing_problem(arch):
        raise ValueError(f"{arch.name}: {problem}")
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
