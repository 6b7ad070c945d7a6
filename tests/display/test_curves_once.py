"""A notebook's ``fb.fit`` cell shows its loss and accuracy curves once: live as it trains, and
not again in the run's display below (issue 25: every such cell showed them twice)."""

from __future__ import annotations

from pathlib import Path

import pytest

import fitbench as fb
from fitbench.progress import LiveFigure
from tests.conftest import digits_subset


class Handle:
    """A notebook display's handle, as the progress bar updates it."""

    def update(self, obj) -> None:
        pass


@pytest.mark.slow  # trains: about 10 s
def test_a_run_drawn_live_leaves_its_curves_out_of_its_display(digits, tmp_path: Path, monkeypatch):
    drawn: list[int] = []

    def draw(self, history):  # what a kernel would show, counted instead of sent to a front end
        drawn.append(len(history["loss"]))
        self.handle = self.handle or object()

    monkeypatch.setattr(LiveFigure, "draw", draw)
    monkeypatch.setattr("fitbench.training._fit.choose_mode", lambda verbose: "notebook")
    monkeypatch.setattr("fitbench.progress._show._display", lambda *args, **kwargs: Handle())
    data = digits_subset(digits)
    run = fb.fit(fb.build_model("small", data), data, epochs=2, runs_dir=tmp_path)
    assert drawn == [1, 2] and run.curves_shown
    page = run._repr_html_()
    assert "<img" not in page and "drawn as it trained" in page  # once, above
    assert "<img" in fb.load_run(run.path)._repr_html_()  # read back later, it shows them
