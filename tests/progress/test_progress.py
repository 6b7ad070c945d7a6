"""The one progress component: silent with verbose=0, a line per epoch in a log, one bar
updating in place in a terminal, and in a notebook kernel one HTML bar and one live figure
updated in place (IPython's own display machinery, with a recording publisher)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

import fitbench as fb
from fitbench import _log
from fitbench.errors import FitbenchWarning
from fitbench.progress import Estimate, Terminal, choose_mode, in_notebook, plural
from fitbench.training._fit import summary_line
from tests.conftest import digits_subset


@pytest.fixture(scope="module")
def small(digits):
    return digits_subset(digits, train=200, val=100, test=False)


@pytest.mark.slow
def test_verbose_0_writes_nothing(small, runs_dir: Path, capfd):
    run = fb.fit(fb.build_model("small", small), small, epochs=1, batch_size=50, runs_dir=runs_dir, verbose=0)
    assert capfd.readouterr() == ("", "")
    assert " 1 epoch in " in summary_line(run)  # not "1 epochs"


def test_a_log_gets_one_line_per_epoch_and_a_summary(small, runs_dir: Path, capfd):
    fb.fit(fb.build_model("small", small), small, epochs=5, batch_size=50, runs_dir=runs_dir)
    out, err = capfd.readouterr()
    lines = out.splitlines()
    assert "\r" not in out and err == ""
    assert [line.split(" - ")[0] for line in lines[:5]] == [f"epoch {i}/5" for i in range(1, 6)]
    assert all("val_accuracy" in line and "left ~" in line for line in lines[:5])
    assert len(lines) == 6 and lines[5].startswith("small: 5 epochs in ")


def test_the_first_estimate_waits_for_a_steady_epoch():
    estimate = Estimate(total=5)
    estimate.epoch_done(30.0, compiled=True)  # the compile
    assert estimate.left() is None
    estimate.epoch_done(1.0, compiled=False)
    assert estimate.left() == pytest.approx(3.0)  # 3 epochs left at 1 s, not at 15.5 s


def test_plurals():
    assert (plural(1, "epoch"), plural(2, "epoch"), plural(1_000, "trial")) == ("1 epoch", "2 epochs", "1,000 trials")


def test_a_terminal_gets_one_bar_updated_in_place(capsys):
    bar = Terminal(total=3)
    for epoch in range(1, 4):
        bar.step(f"epoch {epoch}/3")
    bar.close()
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.count("\r") >= 3 and "epoch 3/3" in out and "100%" in out


def test_the_cli_prints_notices_and_warnings_as_one_line(capsys):
    previous = warnings.showwarning
    try:
        _log.to_console()
        _log.log.info("a notice")
        warnings.warn("error [scale_mismatch] ...", FitbenchWarning)
    finally:
        warnings.showwarning = previous
        _log.log.handlers = [h for h in _log.log.handlers if isinstance(h, logging.NullHandler)]
        _log.log.setLevel(logging.NOTSET)
    assert capsys.readouterr().err == "fitbench: a notice\nfitbench: error [scale_mismatch] ...\n"


@pytest.mark.parametrize(("hook", "when"), [("on_epoch_end", "after this epoch"),  # the compiled engine
                                             ("on_train_batch_end", "after this batch")])  # keras
def test_the_interrupt_notice_says_when_training_stops(hook, when, caplog):
    import signal

    from fitbench.training._callbacks import StopOnSignal

    class Model:
        stop_training = False

    stop = StopOnSignal()
    stop.set_model(Model())
    with caplog.at_level("WARNING", logger="fitbench"):
        stop._handle(signal.SIGINT, None)
        getattr(stop, hook)(0)
    assert caplog.messages == [f"SIGINT: stopping {when} and saving the run (Ctrl-C again to stop at once)"]


def test_no_notebook_outside_a_kernel():
    assert not in_notebook() and choose_mode(False) == "off"


@pytest.mark.slow
def test_a_5_epoch_fit_in_a_kernel_updates_one_bar_and_one_figure(small, runs_dir: Path, kernel, capfd):
    assert in_notebook() and choose_mode(True) == "notebook"
    fb.fit(fb.build_model("small", small), small, epochs=5, batch_size=50, runs_dir=runs_dir)
    ids = list(dict.fromkeys(display_id for display_id, _, _ in kernel.messages))
    assert len(ids) == 2 and None not in ids  # two displays, both updated in place, nothing else shown
    bar, figure = ([m for m in kernel.messages if m[0] == display_id] for display_id in ids)
    assert [update for _, update, _ in bar] == [False] + [True] * 5
    assert 'value="5" max="5"' in bar[-1][2]["text/html"] and "epoch 5/5" in bar[-1][2]["text/html"]
    assert [update for _, update, _ in figure] == [False] + [True] * 4
    assert all("image/png" in data for _, _, data in figure)
    assert capfd.readouterr().out.startswith("small: 5 epochs in ")  # the summary, as text below


def test_live_plot_false_keeps_only_the_bar(small, runs_dir: Path, kernel):
    fb.fit(fb.build_model("small", small), small, epochs=2, batch_size=50, runs_dir=runs_dir, live_plot=False)
    assert all("image/png" not in data for _, _, data in kernel.messages)
