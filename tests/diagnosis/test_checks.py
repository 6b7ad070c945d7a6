"""check_arrays before training (and through fb.fit), and diagnose() on run folders."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import fitbench as fb
from fitbench._keras import keras
from fitbench.diagnosis import check_arrays, diagnose
from fitbench.cli import main
from fitbench.errors import FitbenchError, FitbenchWarning
from tests.conftest import digits_subset
from tests.diagnosis.crafted import OVERFIT, run_folder, split_record


def codes(findings) -> list[str]:
    return [finding.code for finding in findings]


def test_healthy_arrays_and_model_have_no_findings(digits):
    assert check_arrays(fb.build_model("first", digits), digits) == []


def test_the_course_bug_is_a_scale_mismatch(digits):
    data = digits_subset(digits, val_scale=16.0)  # digits' raw scale is 0..16, as MNIST's is 0..255
    findings = check_arrays(fb.build_model("first", data), data)
    assert codes(findings) == ["scale_mismatch"]
    assert findings[0].numbers["ranges"]["val"] == (0.0, 16.0)


def test_raw_pixels_double_scaling_and_flips(digits):
    raw = fb.Dataset.from_arrays((digits.x_train * 16, digits.y_train))
    assert codes(check_arrays(fb.build_model("first", raw), raw)) == ["unscaled_inputs"]
    assert check_arrays(fb.build_model("rescaling", raw), raw) == []  # Rescaling inside: fine
    made_for_raw = fb.build_model("rescaling", input_shape=(8, 8), num_classes=10, pixel_max=255.0)
    assert codes(check_arrays(made_for_raw, digits)) == ["double_scaling"]
    flipping = fb.build_model("first", digits, augment=["flip", "rotation"])
    assert codes(check_arrays(flipping, digits)) == ["label_changing_augmentation"]


@pytest.mark.slow
def test_validating_on_the_test_images_is_leakage(digits):
    data = fb.Dataset.from_arrays((digits.x_train, digits.y_train), (digits.x_test, digits.y_test),
                                  (digits.x_test, digits.y_test))
    # leakage too: which validation images the test images copy
    assert codes(check_arrays(fb.build_model("small", data), data)) == ["test_leakage", "leakage"]


class TrainBegins(keras.callbacks.Callback):
    """Records the FitbenchWarnings raised before Keras started training (as one text)."""

    def __init__(self, caught: list[warnings.WarningMessage]) -> None:
        super().__init__()
        self.caught, self.before = caught, ""

    def on_train_begin(self, logs=None) -> None:
        self.before = "\n".join(str(w.message) for w in self.caught if issubclass(w.category, FitbenchWarning))


@pytest.mark.slow
def test_fit_reports_the_course_bug_before_training_and_keeps_it(digits, runs_dir: Path, capsys):
    data = digits_subset(digits, val_scale=16.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        probe = TrainBegins(caught)
        run = fb.fit(fb.build_model("first", data), (data.x_train, data.y_train),
                     validation_data=(data.x_val, data.y_val), epochs=1, batch_size=50, runs_dir=runs_dir,
                     callbacks=[probe], verbose=False)
    lines = probe.before.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error [scale_mismatch] the val inputs")
    assert "val in [0, 16]" in lines[0]
    # 19.2: the finding is part of the run, in every later diagnosis and report.
    assert codes(run.diagnose())[0] == "scale_mismatch"
    (run.path / "model.keras").unlink()  # the saved finding needs neither the model nor the data
    assert codes(diagnose(run.path))[0] == "scale_mismatch"
    assert main(["diagnose", str(run.path)]) == 0
    assert "[scale_mismatch] the val inputs" in capsys.readouterr().out
    assert "error · scale_mismatch" in fb.load_run(run.path).report().read_text(encoding="utf-8")


def test_diagnose_a_healthy_run_folder_finds_nothing(tmp_path: Path):
    assert diagnose(run_folder(tmp_path)) == []


def test_diagnose_reads_the_folder_alone(tmp_path: Path):
    path = run_folder(tmp_path, history=OVERFIT, stopping=None, stopped_early=False,
                      splits={"train": split_record("train", 1000, 1.0), "val": split_record("val", 200, 0.9)})
    found = diagnose(str(path))  # a path works as well as a Run
    assert codes(found) == ["overfitting", "noisy_validation", "metric_loss_disagree"]  # most serious first
    assert found[0].numbers["began_epoch"] == 9 and found[1].numbers["n"] == 200


def test_scale_mismatch_silences_the_curve_shape_rules(tmp_path: Path):
    bug = {"loss": [0.45, 0.2, 0.12, 0.08], "val_loss": [21.0, 48.0, 70.0, 88.0],
           "accuracy": [0.88, 0.94, 0.96, 0.97], "val_accuracy": [0.8, 0.82, 0.83, 0.83]}
    found = diagnose(run_folder(tmp_path, history=bug, stopping=None, stopped_early=False))
    assert codes(found) == ["scale_mismatch"]  # not also "overfitting": fix the scale first


def test_recorded_validation_equal_to_test_is_leakage(tmp_path: Path):
    same = split_record("val", 2000, 0.93)
    path = run_folder(tmp_path, splits={"val": same, "test": {**same, "split": "test"}})
    assert codes(diagnose(path)) == ["test_leakage"]


def test_diagnose_refuses_a_folder_that_is_not_a_run(tmp_path: Path):
    with pytest.raises(FitbenchError, match="not a run folder"):
        diagnose(tmp_path)


def test_a_damaged_metrics_file_is_never_nothing_to_report(tmp_path: Path):
    path = run_folder(tmp_path)
    (path / "metrics.json").write_text('{"splits": {"val": {"split": "val", "n": 3', encoding="utf-8")
    found = diagnose(path)
    assert codes(found) == ["damaged_folder"] and found[0].severity == "error"
    assert found[0].verdict.startswith("metrics.json is damaged (") and "\n" not in found[0].verdict
