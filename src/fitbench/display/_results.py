"""HTML for a comparison of runs: the table with the noise stated, the curves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fitbench.display._render import picture, render

if TYPE_CHECKING:
    from fitbench.report import Comparison

def comparison_html(comparison: Comparison) -> str:
    """The runs, best first, with each validation accuracy's 95% interval: the noise, stated."""
    rows = [[row.name, row.model, row.parameters, row.epochs_run, _interval(row.val_accuracy, row.val_half_width),
             row.val_macro_f1, row.test_accuracy] for row in comparison.rows]
    widths = [row.val_half_width for row in comparison.rows if row.val_half_width is not None]
    noise = (f"± is the 95% interval of each validation accuracy (up to {100 * max(widths):.1f} points here): "
             "runs whose intervals overlap are not shown to differ." if widths else
             "No validation split recorded: the noise of these scores is unknown.")
    return render("comparison.html.j2", rows=rows, noise=noise, verdicts=comparison.verdicts(),
                  headings=["run", "model", "params", "epochs", "val accuracy", "val F1", "test accuracy"],
                  curves=picture(comparison.plot_curves))


def _interval(value: float | None, half_width: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.4f} ± {half_width:.4f}" if half_width is not None else f"{value:.4f}"
