"""In a notebook, importing Optuna (``fb.tune`` does) showed a red "TqdmWarning: IProgress not
found" box: Optuna imports ``tqdm.auto``, which warns in a kernel without ipywidgets (issue 25)."""

from __future__ import annotations

import warnings

from fitbench._notebook import register_displays


class Formatter:
    def for_type_by_name(self, module, name, function) -> None:
        pass


class Shell:
    """What ``register_displays`` uses of an IPython shell."""

    class display_formatter:  # noqa: N801  IPython's attribute name
        formatters = {"text/html": Formatter()}


def tqdm_auto_warns() -> list[warnings.WarningMessage]:
    from tqdm import TqdmWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        register_displays(Shell())  # as `import fitbench` does in a kernel
        warnings.warn_explicit("IProgress not found. Please update jupyter and ipywidgets.", TqdmWarning,
                               "tqdm/auto.py", 21, module="tqdm.auto")  # as tqdm.autonotebook warns
        warnings.warn_explicit("IProgress not found.", UserWarning, "mine.py", 1, module="mine")  # others still show
    return caught


def test_the_ipywidgets_warning_of_tqdm_is_not_shown_in_a_notebook():
    assert [str(w.message) for w in tqdm_auto_warns()] == ["IProgress not found."]
