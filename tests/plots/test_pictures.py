"""Pictures: the numbers each one is drawn from, and that drawing uses them (texts, lines, sizes)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

from fitbench import plots
from fitbench.errors import DataError, FitbenchError
from fitbench.runs import Metrics
from tests.diagnosis.crafted import HEALTHY, STOPPING

DIGITS = [str(d) for d in range(10)]


def texts(ax) -> list[str]:
    return [text.get_text() for text in ax.texts]


def test_sample_grid_is_the_first_images_with_their_labels():
    x = np.arange(30 * 28 * 28, dtype=np.float32).reshape(30, 28, 28)
    y = np.arange(30) % 10
    grid = plots.sample_grid(x, y)
    assert grid.titles == [str(label) for label in y[:25]] and grid.indices == list(range(25))
    assert grid.images.shape == (25, 28, 28) and grid.columns == 5
    ax = plots.plot_image_grid(grid)
    assert texts(ax) == grid.titles
    assert ax.images[0].get_array().shape == (5 * (28 + 14), 5 * (28 + 3))  # 5x5 cells, title gap above each


def test_flat_and_channel_images_are_shown_as_squares():
    assert plots.as_images(np.zeros((3, 64))).shape == (3, 8, 8)
    assert plots.as_images(np.zeros((3, 28, 28, 1))).shape == (3, 28, 28)
    with pytest.raises(DataError, match="cannot show"):
        plots.as_images(np.zeros((3, 10)))


def test_mistake_grid_titles_predicted_over_true():
    y_true, y_pred = np.array([4, 1, 9, 4, 7]), np.array([4, 7, 9, 9, 7])
    grid = plots.mistake_grid(np.zeros((5, 8, 8)), y_true, y_pred, class_names=DIGITS)
    assert grid.indices == [1, 3] and grid.titles == ["pred 7 / true 1", "pred 9 / true 4"]
    assert all(grid.wrong)


def test_top_losses_are_the_most_confidently_wrong():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.99, 0.01], [0.6, 0.4]])
    y = np.array([0, 0, 1, 1])  # image 0 is right; 2 is wrong with p(true) 0.01, 1 with 0.2, 3 with 0.4
    worst = plots.top_losses(y, probabilities, n=2)
    assert [t.index for t in worst] == [2, 1]
    assert worst[0].predicted == 0 and worst[0].probability == 0.99 and worst[0].loss == pytest.approx(-np.log(0.01))
    grid = plots.top_loss_grid(np.zeros((4, 8, 8)), worst)
    assert grid.titles[0] == "0 (p 0.99)\ntrue 1, loss 4.6"


def test_history_curves_mark_the_best_epoch_and_the_stop():
    metrics = Metrics.model_validate({"best_epoch": 6, "monitor": "val_loss", "stopped_early": True})
    curves = plots.history_curves(HEALTHY, metrics, {"training": {"early_stopping": STOPPING}})
    assert curves.epochs == list(range(1, 10)) and curves.best_epoch == 6
    assert curves.stopped_epoch == 9 and curves.restored
    figure = plots.plot_history(curves)
    loss, accuracy = figure.axes[:2]
    assert [line.get_label() for line in loss.lines] == ["train", "validation", "best epoch 6 (weights restored)",
                                                         "early stop at 9"]
    assert list(loss.lines[1].get_ydata()) == HEALTHY["val_loss"]
    assert list(accuracy.lines[0].get_ydata()) == HEALTHY["accuracy"]


def test_history_without_metrics_marks_the_lowest_validation_loss():
    curves = plots.history_curves({"loss": [1.0, 0.5, 0.4], "val_loss": [0.9, 0.6, 0.7]})
    assert curves.best_epoch == 2 and curves.stopped_epoch is None and not curves.restored
    with pytest.raises(FitbenchError, match="no recorded epochs"):
        plots.plot_history(plots.history_curves({}))


def test_plot_history_draws_on_given_axes():
    from fitbench.plots._figure import new_figure

    axes = new_figure((8, 3)).subplots(1, 2)
    figure = plots.plot_history(plots.history_curves(HEALTHY), axes)
    assert figure is axes[0].figure and len(axes[1].lines) >= 2
    with pytest.raises(FitbenchError, match="one Axes per panel"):
        plots.plot_history(plots.history_curves(HEALTHY), axes[0])


COUNTS = [[50, 0, 3], [2, 40, 8], [23, 1, 30]]


def test_per_class_scores_are_scikit_learns():
    matrix = plots.confusion_matrix(COUNTS, ["a", "b", "c"], "test")
    y_true = np.repeat([0, 0, 1, 1, 1, 2, 2, 2], [50, 3, 2, 40, 8, 23, 1, 30])
    y_pred = np.repeat([0, 2, 0, 1, 2, 0, 1, 2], [50, 3, 2, 40, 8, 23, 1, 30])
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred)
    scores = plots.per_class_scores(matrix)
    assert [s.label for s in scores] == ["a", "b", "c"] and [s.support for s in scores] == list(support)
    np.testing.assert_allclose([s.precision for s in scores], precision)
    np.testing.assert_allclose([s.recall for s in scores], recall)
    np.testing.assert_allclose([s.f1 for s in scores], f1)
    assert matrix.accuracy == pytest.approx(120 / 157)


def test_most_confused_pairs_read_like_the_course():
    pairs = plots.confused_pairs(plots.confusion_matrix(COUNTS, ["4", "7", "9"]), top=3)
    assert [str(pair) for pair in pairs] == ["9 read as 4: 23 times", "7 read as 9: 8 times", "4 read as 9: 3 times"]
    assert pairs[0].share == pytest.approx(23 / 54)
    assert plots.confused_pairs(plots.confusion_matrix(np.eye(3, dtype=int) * 5)) == []


def test_confusion_heatmap_is_labelled_with_its_counts():
    ax = plots.plot_confusion_matrix(plots.confusion_matrix(COUNTS, split="val"))
    assert sorted(texts(ax), key=int) == sorted((str(c) for row in COUNTS for c in row if c), key=int)
    assert ax.get_title() == f"val confusion matrix: accuracy {120 / 157:.4f}"
    with pytest.raises(DataError, match="square"):
        plots.confusion_matrix([[1, 2, 3]])


def test_tables_and_bars_draw_their_numbers():
    matrix = plots.confusion_matrix(COUNTS, ["4", "7", "9"])
    table = plots.plot_per_class_table(plots.per_class_scores(matrix)).tables[0]
    assert table.get_celld()[(1, 0)].get_text().get_text() == "4"
    bars = plots.plot_confused_pairs(plots.confused_pairs(matrix))
    assert [patch.get_width() for patch in bars.patches] == [1, 2, 3, 8, 23]  # largest on top


def test_score_against_training_set_size():
    def scores(split: str, n: int, accuracy: float) -> dict:
        right = round(n * accuracy)  # two classes: the matrix must count n images
        return {"split": split, "n": n, "accuracy": accuracy, "macro_f1": accuracy, "per_class_f1": [1.0, 0.0],
                "confusion_matrix": [[right, n - right], [0, 0]]}

    def metrics(n: int, train: float, val: float) -> Metrics:
        return Metrics.model_validate({"splits": {"train": scores("train", n, train), "val": scores("val", 200, val)}})

    points = plots.score_by_train_size([("big", metrics(48000, 0.99, 0.97)), ("small", metrics(1000, 1.0, 0.9)),
                                        ("no train split", Metrics.model_validate({}))])
    assert points == [plots.SizePoint(1000, 1.0, 0.9, "small"), plots.SizePoint(48000, 0.99, 0.97, "big")]
    ax = plots.plot_score_by_train_size(points)
    assert list(ax.lines[1].get_ydata()) == [0.9, 0.97] and ax.get_xscale() == "log"


def test_png_bytes_are_a_png():
    ax = plots.plot_confused_pairs([])
    assert plots.png_bytes(ax.figure).startswith(b"\x89PNG\r\n\x1a\n")


FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


@pytest.mark.parametrize("labels", [DIGITS, FASHION])
def test_every_text_fits_inside_its_picture(labels: list[str]):
    # The pictures use fixed margins sized from their labels, not a layout engine: check the fit.
    matrix = plots.confusion_matrix(np.full((10, 10), 3) + 50 * np.eye(10, dtype=int), labels, "val")
    scores = plots.per_class_scores(matrix)
    grid = plots.top_loss_grid(np.zeros((10, 28, 28)), plots.top_losses(np.arange(10) % 2, np.full((10, 2), 0.5)),
                               class_names=labels)
    figures = [plots.plot_history(plots.history_curves(HEALTHY)), plots.plot_confusion_matrix(matrix).figure,
               plots.plot_confused_pairs(plots.confused_pairs(matrix, top=8)).figure,
               plots.plot_per_class_table(scores).figure, plots.plot_image_grid(grid).figure]
    for figure in figures:
        inside = figure.get_tightbbox(figure.canvas.get_renderer())  # inches
        width, height = figure.get_size_inches()
        assert inside.x0 >= -0.01 and inside.y0 >= -0.01 and inside.x1 <= width + 0.01 and inside.y1 <= height + 0.01
