"""The architecture diagram: the bypass model's Concatenate branch is drawn, and every number in
the diagram equals what model.summary() prints."""

from __future__ import annotations

import re

import pytest

import fitbench as fb
from fitbench import models, plots

# "│ dense (Dense)   │ (None, 128)   │   100,480 │ ..." -> name, type, shape, params
ROW = re.compile(r"^│ (\S+) \((\w+)\)\s+│ ([^│]*?)\s+│\s+([\d,]+)")


def summary_rows(model) -> dict[str, tuple[str, str, int]]:
    text = models.model_summary(model, line_length=160)  # wide enough that no row wraps
    rows = [ROW.match(line) for line in text.splitlines()]
    return {m[1]: (m[2], m[3], int(m[4].replace(",", ""))) for m in rows if m}


def summary_total(model) -> int:
    return int(re.search(r"Total params: ([\d,]+)", models.model_summary(model))[1].replace(",", ""))


def diagram_numbers(arch: plots.Architecture) -> dict[str, tuple[str, str, int]]:
    return {node.name: (node.kind, node.output_shape, node.params) for node in arch.nodes}


@pytest.fixture(scope="module")
def bypass():
    return fb.build_model("bypass")


def test_bypass_diagram_shows_the_concatenate_branch(bypass):
    arch = models.architecture(bypass)
    names = [node.name for node in arch.nodes]
    concatenate = next(node for node in arch.nodes if node.kind == "Concatenate")
    assert arch.merges == [concatenate.name] and concatenate.output_shape == "(None, 28, 56)"
    source = arch.nodes[0]
    reshape = names[names.index(concatenate.name) - 1]
    assert source.kind == "InputLayer" and set(concatenate.inputs) == {source.name, reshape}
    skip = [route for route in plots.layout(arch) if route.lane > 0]
    assert skip == [plots.EdgeRoute(0, names.index(concatenate.name), 1)]  # input -> concatenate, at the side
    ax = plots.plot_architecture(arch)
    side = [line for line in ax.lines if len(line.get_xdata()) == 3]  # the routed branch
    assert len(side) == 1 and list(side[0].get_ydata()) == [0, 0, -names.index(concatenate.name)]


def test_bypass_diagram_numbers_equal_model_summary(bypass):
    arch = models.architecture(bypass)
    assert diagram_numbers(arch) == summary_rows(bypass)  # names, types, output shapes, parameters
    assert arch.total_params == summary_total(bypass) == 21_668_442
    drawn = [text.get_text() for text in plots.plot_architecture(arch).texts]
    for node in arch.nodes:
        assert f"{node.params:,} params" in drawn and f"output {node.output_shape}" in drawn
    assert any("Total params: 21,668,442" in text for text in drawn)


def test_sequential_diagram_adds_the_input_and_matches_the_summary():
    model = fb.build_model("first")
    arch = models.architecture(model)
    assert arch.kind == "Sequential" and arch.traced and arch.merges == []
    assert arch.nodes[0].kind == "InputLayer" and [r.lane for r in plots.layout(arch)] == [0, 0, 0, 0]
    numbers = diagram_numbers(arch)
    del numbers[arch.nodes[0].name]  # a Sequential's summary leaves its InputLayer out
    assert numbers == summary_rows(model)
    assert arch.total_params == summary_total(model) == 118_282


def test_trained_model_counts_optimizer_variables_like_the_summary():
    model = fb.build_model("functional", input_shape=(8, 8))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)  # as after training or loading model.keras
    arch = models.architecture(model)
    assert arch.optimizer_params > 0 and arch.total_params == summary_total(model)
    assert diagram_numbers(arch) == summary_rows(model)


def test_subclassed_model_is_drawn_in_creation_order():
    model = fb.build_model("subclass")
    arch = models.architecture(model)
    assert not arch.traced and [node.inputs for node in arch.nodes][1:] == [(n.name,) for n in arch.nodes[:-1]]
    assert sum(node.params for node in arch.nodes) == summary_total(model) == 52_650
    assert {name: params for name, (_, _, params) in summary_rows(model).items()} == \
        {node.name: node.params for node in arch.nodes}
    assert "subclassed model" in plots.plot_architecture(arch).texts[-1].get_text()
