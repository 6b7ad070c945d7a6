"""Each diagnosis rule on a crafted history or crafted numbers: it fires with this run's numbers,
and it stays silent on a healthy run."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from fitbench import diagnosis as dx
from tests.diagnosis.crafted import HEALTHY, OVERFIT, STOPPING, run_folder

NO_RESTORE = {**STOPPING, "restore_best_weights": False}


def test_every_rule_is_silent_on_a_healthy_early_stopped_history():
    found = [
        dx.overfitting(HEALTHY, early_stopping=STOPPING, stopped_early=True),
        dx.underfitting(HEALTHY),
        dx.divergence(HEALTHY, learning_rate=3e-4),
        dx.metric_loss_disagree(HEALTHY),
        dx.scale_mismatch_in_history(HEALTHY),
        dx.no_best_weights(HEALTHY, STOPPING, best_epoch=6),
        dx.noisy_stop(HEALTHY, STOPPING, stopped_early=True),
        dx.noisy_validation(2000, 0.918),
        dx.scale_mismatch({"train": (0.0, 1.0), "val": (0.0, 1.0), "test": (0.0, 1.0)}),
        dx.unscaled_inputs(1.0, scales_inside=False),
        dx.double_scaling(1.0, []),
        dx.label_changing_augmentation([], [str(d) for d in range(10)]),
        dx.test_leakage_in_config({"training": {"early_stopping": STOPPING}, "dataset": {"test_size": 2000}}),
    ]
    assert found == [None] * len(found)


def test_overfitting_names_the_epoch_it_began_and_the_final_gap():
    finding = dx.overfitting(OVERFIT)
    assert finding.code == "overfitting" and finding.severity == "warning"
    assert finding.numbers["best_epoch"] == 8 and finding.numbers["began_epoch"] == 9
    assert finding.numbers["accuracy_gap"] == pytest.approx(1.0 - 0.9)  # at the last epoch, 15
    assert not finding.numbers["caught"]
    assert "began at epoch 9" in finding.verdict and "10.0 points at epoch 15" in finding.evidence


def test_overfitting_caught_by_early_stopping_is_information_only():
    stopped = {key: values[:11] for key, values in OVERFIT.items()}  # patience 3 after epoch 8
    finding = dx.overfitting(stopped, early_stopping=STOPPING, stopped_early=True)
    assert finding.severity == "info" and finding.numbers["caught"] and finding.numbers["restored"]
    assert "restored epoch 8's weights" in finding.verdict
    kept_last = dx.overfitting(stopped, early_stopping=NO_RESTORE, stopped_early=True)
    assert kept_last.severity == "warning" and not kept_last.numbers["restored"]


def test_underfitting_when_both_curves_still_fall():
    short = {key: values[:3] for key, values in HEALTHY.items()}  # stopped after 3 epochs
    finding = dx.underfitting(short)
    assert finding.code == "underfitting" and finding.numbers["epochs"] == 3
    assert "epochs: 6" in finding.advice
    converged = {**short, "accuracy": [0.9, 0.98, 0.99]}  # falling, but nothing left to learn
    assert dx.underfitting(converged) is None


@pytest.mark.parametrize("loss, epoch, nan", [([2.3, 0.9, float("nan"), float("nan")], 3, True),
                                              ([2.3, 0.9, 0.8, 2.5], 4, False)])
def test_divergence_names_the_epoch_and_the_learning_rate(loss, epoch, nan):
    finding = dx.divergence({"loss": loss}, learning_rate=0.5, optimizer="sgd")
    assert finding.code == "divergence" and finding.severity == "error"
    assert finding.numbers == {"epoch": epoch, "learning_rate": 0.5, "nan": nan}
    assert "learning rate 0.5 (sgd)" in finding.evidence and "try 0.05" in finding.advice


def test_metric_loss_disagree_when_accuracy_holds_and_loss_climbs():
    finding = dx.metric_loss_disagree(OVERFIT)
    assert finding.code == "metric_loss_disagree" and finding.severity == "info"
    assert finding.numbers["best_loss_epoch"] == 8 and finding.numbers["rise"] == pytest.approx(0.52 / 0.38 - 1)


def test_scale_mismatch_from_the_curves_of_the_course_bug():
    # The course: validation loss 20-90 while the training loss is below 1.
    course = {"loss": [0.45, 0.2, 0.12], "val_loss": [21.0, 48.0, 88.0], "val_accuracy": [0.8, 0.82, 0.83]}
    assert dx.scale_mismatch_in_history(course).code == "scale_mismatch"
    # A short run of the bug: loss only just above guessing, at 85% accuracy.
    short = {"loss": [1.7, 0.68, 0.39], "val_loss": [3.6, 2.8, 2.35], "val_accuracy": [0.77, 0.81, 0.85]}
    assert dx.scale_mismatch_in_history(short).numbers["saturated"]
    assert dx.scale_mismatch_in_history(OVERFIT) is None


def test_scale_mismatch_from_the_value_ranges():
    finding = dx.scale_mismatch({"train": (0.0, 1.0), "val": (0.0, 255.0), "test": (0.0, 1.0)})
    assert finding.code == "scale_mismatch" and finding.severity == "error"
    assert "val in [0, 255]" in finding.evidence and "divide val by 255" in finding.advice
    assert dx.scale_mismatch({"train": (0.0, 255.0), "val": (0.0, 250.0)}) is None  # raw, but alike


def test_unscaled_inputs_and_double_scaling():
    unscaled = dx.unscaled_inputs(255.0, scales_inside=False)
    assert unscaled.code == "unscaled_inputs" and unscaled.numbers["input_max"] == 255.0
    assert dx.unscaled_inputs(255.0, scales_inside=True) is None  # the rescaling model takes raw pixels
    course_rescaling = [dx._inputs.Rescale(1 / 127.5, -1.0)]
    double = dx.double_scaling(1.0, course_rescaling)
    assert double.code == "double_scaling"
    assert double.numbers["range"] == pytest.approx((-1.0, 1 / 127.5 - 1))
    assert dx.double_scaling(255.0, course_rescaling) is None
    assert dx.double_scaling(1.0, [dx._inputs.Rescale(2.0, -1.0)]) is None  # sized for 0..1 inputs


def test_label_changing_augmentation_on_digits_only():
    digits = [str(d) for d in range(10)]
    finding = dx.label_changing_augmentation(["horizontal"], digits)
    assert finding.code == "label_changing_augmentation" and "RandomFlip('horizontal')" in finding.evidence
    assert dx.label_changing_augmentation(["horizontal"], ["T-shirt/top", "Trouser"]) is None


def test_no_best_weights_when_the_last_epoch_is_kept():
    finding = dx.no_best_weights(HEALTHY, NO_RESTORE, best_epoch=6)
    assert finding.code == "no_best_weights"
    assert finding.numbers == {"best_epoch": 6, "kept_epoch": 9, "best": 0.282, "kept": 0.290}
    assert dx.no_best_weights(HEALTHY, NO_RESTORE, best_epoch=9) is None  # the last was the best
    assert dx.no_best_weights(HEALTHY, None, best_epoch=6) is None  # no early stopping at all


def test_noisy_stop_after_a_lucky_dip():
    dip = {"val_loss": [0.50, 0.45, 0.40, 0.33, 0.36, 0.35, 0.34]}  # still falling 2.9% per epoch
    finding = dx.noisy_stop(dip, STOPPING, stopped_early=True)
    assert finding.code == "noisy_stop" and finding.numbers["best_epoch"] == 4
    assert finding.numbers["rate"] == pytest.approx(-0.01 / 0.35)
    plateau = {"val_loss": [0.50, 0.40, 0.316, 0.3174, 0.3126, 0.3141, 0.3132]}  # a real plateau: fine
    assert dx.noisy_stop(plateau, STOPPING, stopped_early=True) is None
    assert dx.noisy_stop(dip, STOPPING, stopped_early=False) is None


def test_noisy_validation_200_images_is_about_4_points():
    assert dx.interval_half_width(0.9, 200) == pytest.approx(1.96 * math.sqrt(0.9 * 0.1 / 200), abs=0.002)
    finding = dx.noisy_validation(200, 0.9)
    assert finding.code == "noisy_validation" and "+/- 4.2 points" in finding.evidence
    assert dx.noisy_validation(2000, 0.9) is None  # +/- 1.3 points
    assert dx.interval_half_width(1.0, 50) > 0.02  # a perfect score on 50 images is not certain


def test_one_interval_wilson_stays_inside_0_1():
    from fitbench._interval import wilson_interval

    low, high = wilson_interval(1.0, 50)  # the normal approximation would say 1.0 +/- 0
    assert 0.9 < low < 1.0 and high == pytest.approx(1.0)
    low, high = wilson_interval(0.9, 200)
    assert (high - low) / 2 == pytest.approx(dx.interval_half_width(0.9, 200))
    assert low < 0.9 < high


def test_test_leakage_from_records_config_and_arrays():
    from fitbench.runs import SplitScores
    from tests.diagnosis.crafted import split_record

    same = SplitScores.model_validate(split_record("val", 500, 0.9))
    assert dx.test_leakage_in_records(same, same.model_copy(update={"split": "test"})).code == "test_leakage"
    other = SplitScores.model_validate(split_record("test", 500, 0.88))
    assert dx.test_leakage_in_records(same, other) is None
    finding = dx.test_leakage_in_config({"tuning": {"score_split": "test"}})
    assert finding.code == "test_leakage" and finding.numbers == {"key": "tuning.score_split"}
    x = np.random.default_rng(0).random((50, 4, 4)).astype(np.float32)
    assert dx.test_leakage_in_arrays(x, x[::-1]).numbers == {"shared": 50, "n_val": 50}
    assert dx.test_leakage_in_arrays(x[:25], x[25:]) is None


def test_finding_json_has_exactly_the_documented_keys():
    finding = dx.noisy_validation(200, 0.9)
    assert list(finding.to_dict()) == ["code", "severity", "verdict", "evidence", "advice"]
    assert set(dx.CODES) >= {finding.code}


def test_divergence_names_the_optimizer_a_compiled_model_trained_with(tmp_path):
    path = run_folder(tmp_path, history={"loss": [0.9, 0.5, float("nan")]}, stopping=None, stopped_early=False,
                      training={"optimizer": None, "learning_rate": None})  # fit() left them to the model
    config = yaml.safe_load((path / "config.yaml").read_text())
    config["compiled"] = {"optimizer": "SGD", "learning_rate": 0.1, "loss": "sparse_categorical_crossentropy",
                          "from_logits": False}
    (path / "config.yaml").write_text(yaml.safe_dump(config))
    finding = next(f for f in dx.diagnose(path) if f.code == "divergence")
    assert "with learning rate 0.1 (SGD)" in finding.evidence and "try 0.01" in finding.advice
