"""Issue 25: in a notebook, a FitbenchWarning is a small note under the cell (HTML, and the
terminal's one line as text), not the red stderr box; the ``warnings`` filters still decide."""

from __future__ import annotations

import warnings

import pytest

from fitbench._notebook import register_displays
from fitbench.errors import FitbenchWarning

FINDING = "warning [label_changing_augmentation] flips turn a 2 into <a 5>; & more"


def notes(kernel) -> list[dict[str, str]]:
    return [data for _, _, data in kernel.messages if "fitbench-warning" in data.get("text/html", "")]


def warn_from_one_place(message: str, category: type[Warning] = FitbenchWarning) -> None:
    warnings.warn(message, category, stacklevel=1)


def test_a_fitbench_warning_is_a_note_and_nothing_reaches_stderr(kernel, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warn_from_one_place(FINDING)
        warn_from_one_place("the model has 12 outputs")
    (finding, plain) = notes(kernel)
    assert finding["text/plain"] == f"fitbench: {FINDING}"  # the line `fitbench train` prints
    assert "flips turn a 2 into &lt;a 5&gt;; &amp; more" in finding["text/html"]  # escaped, not markup
    assert plain["text/plain"] == "fitbench: warning: the model has 12 outputs"
    assert capsys.readouterr().err == ""


def test_other_warnings_keep_pythons_way(recwarn, kernel):  # recwarn first: the kernel's hook passes to it
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warn_from_one_place("not ours", UserWarning)
        warn_from_one_place("ours")
    assert [str(warning.message) for warning in recwarn] == ["not ours"]
    assert [note["text/plain"] for note in notes(kernel)] == ["fitbench: warning: ours"]


def test_the_filters_still_decide(kernel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitbenchWarning)
        warn_from_one_place("hidden")
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # once per place
        for _ in range(3):
            warn_from_one_place("said once")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitbenchWarning)
        with pytest.raises(FitbenchWarning, match="raised"):
            warn_from_one_place("raised")
    assert [note["text/plain"] for note in notes(kernel)] == ["fitbench: warning: said once"]


def test_ipython_on_a_terminal_keeps_pythons_way(kernel):
    kernel.shell.config.pop("IPKernelApp")
    previous = warnings.showwarning
    warnings.showwarning = kernel.showwarning  # as before the kernel was made
    try:
        register_displays(kernel.shell)
        assert warnings.showwarning is kernel.showwarning
    finally:
        warnings.showwarning = previous
