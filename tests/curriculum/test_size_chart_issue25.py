"""The curriculum report's size chart: no label over another, none over the title (issue 25)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from fitbench.curriculum._report import Point, plot_score_by_parameters, text_box  # noqa: E402

# A quick course's points: many experiments of one size, close scores, sizes close on a log axis.
POINTS = [Point("try01-small-data", 118_282, 0.91, 0.0), Point("try02-more-data", 118_282, 0.93, 0.0),
          Point("try03-flip-rotation", 118_282, 0.905, 0.0), Point("try03b-rotation", 118_282, 0.915, 0.0),
          Point("try04-smaller-model", 52_650, 0.92, 0.0), Point("try05-early-stopping", 118_282, 0.925, 0.0),
          Point("try06-dropout-0.2", 118_282, 0.92, 0.0), Point("try06-dropout-0.5", 118_282, 0.918, 0.0),
          Point("try06-l2", 118_282, 0.922, 0.0), Point("try07-rescaling", 118_282, 0.93, 0.0),
          Point("try08-functional", 52_650, 0.921, 0.0), Point("try08-bypass", 160_000, 0.94, 0.0),
          Point("try09-subclass", 52_650, 0.919, 0.0)]


def test_no_label_overlaps_another_or_the_title():
    ax = plot_score_by_parameters(POINTS)
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    boxes = [text_box(text, renderer) for text in ax.texts]  # the words, not the lines to the dots
    assert len(boxes) == len(POINTS)
    title = ax.title.get_window_extent(renderer)
    for index, box in enumerate(boxes):
        assert not box.overlaps(title), ax.texts[index].get_text()
        for other in boxes[index + 1:]:
            assert not box.overlaps(other), ax.texts[index].get_text()
