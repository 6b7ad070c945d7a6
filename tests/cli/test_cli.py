"""The command line, through subprocess (as users run it) and in-process for the many bad inputs."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from fitbench.cli import main
from fitbench.data import _sources, write_idx
from tests.conftest import ROOT
from tests.report.test_figures import stats

DIGITS_EXPERIMENT = {
    "name": "first-digits",
    "dataset": {"name": "digits", "seed": 0},
    "model": {"zoo": "first"},
    "training": {"epochs": 2, "batch_size": 10, "early_stopping": {"patience": 3}},
}


def fitbench(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fitbench.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


def write_experiment(folder: Path, document: dict, name: str = "exp.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.slow
def test_train_then_evaluate(tmp_path: Path):
    experiment = write_experiment(tmp_path, DIGITS_EXPERIMENT)
    trained = fitbench("train", str(experiment), "--runs-dir", str(tmp_path / "runs"), "--set", "training.epochs=3")
    assert trained.returncode == 0, trained.stderr
    lines = trained.stdout.strip().splitlines()
    run = Path(lines[-1])
    assert run.parent == tmp_path / "runs" and (run / "model.keras").is_file()
    assert lines[-3].startswith("first-digits: 3 epochs in")  # the one-line summary
    assert lines[-2] == f"report: {run / 'report.html'}"  # written when training ended
    assert "epoch 3/3" in trained.stdout  # per-epoch progress
    assert "data:image/png;base64," in (run / "report.html").read_text(encoding="utf-8")
    drawn = stats(run / "figures")
    assert len([name for name in drawn if name.endswith(".png")]) == 8
    again = fitbench("report", str(run), "-o", str(tmp_path / "again.html"))
    assert again.returncode == 0, again.stderr
    assert stats(run / "figures") == drawn  # every picture reused: nothing drawn or rewritten
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs_run"] == 3

    evaluated = fitbench("evaluate", str(run), "--split", "test", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    payload = json.loads(evaluated.stdout)
    assert payload["split"] == "test" and payload["matches_recorded"] is True
    assert payload["accuracy"] == metrics["splits"]["test"]["accuracy"]
    assert payload["confusion_matrix"] == metrics["splits"]["test"]["confusion_matrix"]
    assert payload["macro_f1"] == metrics["splits"]["test"]["macro_f1"]


def test_datasets_lists_every_source():
    listed = fitbench("datasets")
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == ["mnist", "fashion_mnist", "digits", "idx", "folder", "csv"]


@pytest.mark.slow
def test_bundled_experiment_on_digits_needs_no_download(tmp_path: Path):
    trained = fitbench("train", "first", "--dataset", "digits", "--set", "training.epochs=1",
                       "--runs-dir", str(tmp_path / "runs"), "--quiet", "--no-report")
    assert trained.returncode == 0, trained.stderr
    run = Path(trained.stdout.strip().splitlines()[-1])
    assert run.is_dir()
    assert "epoch 1/" not in trained.stdout  # --quiet: summary and path only
    assert not (run / "report.html").exists() and not (run / "figures").exists()  # --no-report


@pytest.mark.slow
def test_bad_config_is_one_line_exit_2_no_traceback(tmp_path: Path):
    experiment = write_experiment(tmp_path, {**DIGITS_EXPERIMENT, "training": {"epochs": -3}})
    result = fitbench("train", str(experiment), "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (f"fitbench: error: {experiment}: training.epochs: expected greater than 0, "
                                     "got -3; set it like `epochs: 25`")
    assert not (tmp_path / "runs").exists()


def idx_files(folder: Path, labels: list[int]) -> tuple[Path, Path]:
    images = folder / "images.gz"
    write_idx(images, np.zeros((len(labels), 4, 4), np.uint8))
    write_idx(folder / "labels.gz", np.array(labels, np.uint8))
    return images, folder / "labels.gz"


def bad_documents(folder: Path) -> dict[str, tuple[dict, str]]:
    images, labels = idx_files(folder, [0, 1, 2, 9] * 10)
    idx = {"name": "idx", "images": str(images), "labels": str(labels), "num_classes": 3}
    return {
        "unknown key": ({**DIGITS_EXPERIMENT, "trainig": {}}, "trainig: unknown key (did you mean 'training'?)"),
        "wrong type": ({**DIGITS_EXPERIMENT, "training": {"batch_size": "ten"}}, "training.batch_size: expected a valid integer"),
        "negative epochs": ({**DIGITS_EXPERIMENT, "training": {"epochs": -1}}, "training.epochs: expected greater than 0, got -1"),
        "validation size 1.5": ({**DIGITS_EXPERIMENT, "dataset": {"name": "digits", "val_size": 1.5}},
                                "dataset.val_size: expected a fraction strictly between 0 and 1"),
        "dense with 0 units": ({**DIGITS_EXPERIMENT, "model": {"layers": ["flatten", {"type": "dense", "units": 0}]}},
                               "model.layers[1].units: expected greater than 0, got 0"),
        "missing factory": ({**DIGITS_EXPERIMENT, "model": {"factory": "fitbench.models:no_such_builder"}},
                            "model.factory:"),
        "labels outside the class range": ({**DIGITS_EXPERIMENT, "dataset": idx},
                                           "labels.gz: labels must be integers in 0..2, got 10 outside that range (e.g. 9)"),
        "missing data file": ({**DIGITS_EXPERIMENT, "dataset": {**idx, "images": str(folder / "nope.gz")}}, "nope.gz"),
    }


@pytest.mark.parametrize("case", ["unknown key", "wrong type", "negative epochs", "validation size 1.5",
                                  "dense with 0 units", "missing factory", "labels outside the class range",
                                  "missing data file"])
def test_every_bad_input_is_refused_before_anything_is_written(tmp_path: Path, capsys, case: str):
    document, expected = bad_documents(tmp_path)[case]
    experiment = write_experiment(tmp_path, document)
    code = main(["train", str(experiment), "--runs-dir", str(tmp_path / "runs")])
    error = capsys.readouterr().err
    assert code == 2
    assert expected in error, error
    assert error.startswith("fitbench: error: ") and error.count("\n") == 1  # one line
    assert not (tmp_path / "runs").exists()


def test_offline_without_data_names_the_remedies(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(_sources, "MNIST_ORIGIN", "http://127.0.0.1:9/")  # a closed port: fails at once
    code = main(["train", "first", "--runs-dir", str(tmp_path / "runs")])
    error = capsys.readouterr().err
    assert code == 2
    assert "--data-dir DIR" in error and "--dataset digits" in error
    assert "data_dir=" not in error  # the Python spelling is for Python callers
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_data_dir_points_at_local_files(tmp_path: Path, capsys):
    rng = np.random.default_rng(0)
    for stem, n in (("train", 60), ("t10k", 20)):
        write_idx(tmp_path / f"{stem}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{stem}-labels-idx1-ubyte.gz", (np.arange(n) % 10).astype(np.uint8))
    code = main(["train", "first", "--data-dir", str(tmp_path), "--set", "training.epochs=1",
                 "--runs-dir", str(tmp_path / "runs"), "--quiet"])
    assert code == 0, capsys.readouterr().err
    run = Path(capsys.readouterr().out.strip().splitlines()[-1])
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["dataset"]["data_dir"] == str(tmp_path.resolve())


def test_evaluate_a_folder_that_is_not_a_run(tmp_path: Path, capsys):
    assert main(["evaluate", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.real_data
def test_real_mnist_end_to_end(shared_mnist, tmp_path: Path):
    """The issue's check: `first`, 6,000/2,000/2,000 real MNIST images, 5 epochs, batch 10."""
    trained = fitbench("train", "experiments/first-mnist10k.yaml", "--runs-dir", str(tmp_path / "runs"))
    assert trained.returncode == 0, trained.stderr
    run = Path(trained.stdout.strip().splitlines()[-1])
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["parameters"] == 118_282
    assert metrics["splits"]["test"]["accuracy"] >= 0.92
    assert {split: metrics["splits"][split]["n"] for split in ("train", "val", "test")} == {
        "train": 6000, "val": 2000, "test": 2000}
    for name in ("config.yaml", "history.csv", "metrics.json", "model.keras", "environment.json", "status.json"):
        assert (run / name).is_file()
    evaluated = json.loads(fitbench("evaluate", str(run), "--split", "test", "--json").stdout)
    assert evaluated["accuracy"] == metrics["splits"]["test"]["accuracy"] and evaluated["matches_recorded"]


def test_version():
    shown = fitbench("--version")
    assert shown.returncode == 0 and shown.stdout.strip() == f"fitbench {importlib.metadata.version('fitbench')}"


@pytest.mark.slow
def test_a_misspelt_dataset_gets_a_did_you_mean(tmp_path: Path):
    result = fitbench("train", "first", "--dataset", "mnsit", "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("fitbench: error: --dataset mnsit: expected one of mnist, fashion_mnist")
    assert "(did you mean 'mnist'?)" in result.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_train_takes_an_idx_dataset_as_curriculum_does(tmp_path: Path, capsys):
    idx_files(tmp_path, [0, 1, 2] * 20)
    trained = fitbench("train", "first", "--dataset", f"idx:{tmp_path}", "--set", "training.epochs=1",
                       "--runs-dir", str(tmp_path / "runs"), "--quiet")
    assert trained.returncode == 0, trained.stderr
    config = yaml.safe_load((Path(trained.stdout.strip().splitlines()[-1]) / "config.yaml").read_text())
    assert config["dataset"]["name"] == "idx" and config["dataset"]["images"] == str(tmp_path / "images.gz")
    images, labels = tmp_path / "images.gz", tmp_path / "labels.gz"  # the other form, in this process
    assert main(["train", "first", "--dataset", f"idx:{images},{labels}", "--set", "training.epochs=1",
                 "--runs-dir", str(tmp_path / "runs"), "--quiet"]) == 0, capsys.readouterr().err
