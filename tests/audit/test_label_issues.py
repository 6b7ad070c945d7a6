"""Suspect labels: digits with labels flipped on purpose must come out on top."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fitbench as fb
from fitbench.audit import LabelIssues, Suspect, find_label_issues
from fitbench.config import DatasetConfig
from fitbench.data import load_from_config, source_files, source_positions
from tests.conftest import ROOT

FAST = ["training.epochs=10", "training.batch_size=32", "training.learning_rate=0.003"]


def flipped_digits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's digits as 0..255 pixels, ``count`` labels changed to another class; and which."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    y = digits.target.astype(np.uint8)
    rng = np.random.default_rng(seed)
    flipped = np.sort(rng.choice(len(y), count, replace=False))
    y[flipped] = (y[flipped] + rng.integers(1, 10, count)) % 10
    return np.round(digits.images * (255 / 16)).astype(np.uint8), y, flipped


def write_folder(root: Path, x: np.ndarray, y: np.ndarray) -> list[Path]:
    from PIL import Image

    paths = []
    for k, (image, label) in enumerate(zip(x, y, strict=True)):
        path = root / f"class{label}" / f"{k:04d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(path)
        paths.append(path)
    return paths


def write_csv(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    flat = x.reshape(len(x), -1)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["label"] + [f"pixel{i}" for i in range(flat.shape[1])])
        writer.writerows([[int(label), *row] for label, row in zip(y, flat.tolist(), strict=True)])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), val=st.floats(0.1, 0.5), test=st.floats(0.1, 0.5), stratify=st.booleans(),
       folds=st.integers(2, 5))
def test_source_positions_name_every_image_once_with_its_label(seed, val, test, stratify, folds):
    config = DatasetConfig(name="digits", seed=seed, val_size=val, test_size=test, stratify=stratify)
    data = load_from_config(config)
    where = source_positions(config)
    everything = np.concatenate([where["train"], where["val"], where["test"]])
    from sklearn.datasets import load_digits

    digits = load_digits()
    source = digits.target
    np.testing.assert_array_equal(np.sort(everything), np.arange(len(source)))  # a partition of the source
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(source[where[split]], data.split(split)[1])
        np.testing.assert_array_equal((digits.images[where[split]] / 16).astype(np.float32), data.split(split)[0])
    held = [source_positions(config.model_copy(update={"folds": folds, "fold": f}))["val"] for f in range(folds)]
    assert sorted(np.concatenate(held).tolist()) == sorted(np.concatenate([where["train"], where["val"]]).tolist())


def test_source_files_are_a_folders_files_in_image_order(tmp_path: Path):
    x, y, _ = flipped_digits(0)
    paths = write_folder(tmp_path / "digits", x[:60], y[:60])
    (tmp_path / "digits" / "class0" / "broken.png").write_bytes(b"not an image")  # skipped: not in the list
    config = DatasetConfig(name="folder", path=tmp_path / "digits", cache_dir=tmp_path / "cache")
    with pytest.warns(UserWarning, match="broken.png"):
        files = source_files(config)
        data = load_from_config(config)
        where = source_positions(config)
    assert files is not None and sorted(files) == sorted(str(p) for p in paths)
    for split in ("train", "val", "test"):
        labels = [data.class_names.index(Path(files[i]).parent.name) for i in where[split]]
        assert labels == data.split(split)[1].tolist()
    assert source_files(DatasetConfig(name="digits")) is None


def test_the_csv_page_and_notebook_display_show_the_suspects(tmp_path: Path):
    suspects = [Suspect(7, "val", "a/7.png", 4, 9, 0.97, 0.01), Suspect(2, "test", None, 1, 7, 0.8, 0.05)]
    issues = LabelIssues(suspects, np.zeros((2, 8, 8), np.float32), tuple("0123456789"), 100, 3, "digits", tmp_path)
    rows = list(csv.reader(issues.to_csv(tmp_path / "issues.csv").open()))
    assert rows[0] == ["rank", "index", "split", "path", "given", "suggested", "confidence", "given_probability"]
    assert rows[1] == ["1", "7", "val", "a/7.png", "4", "9", "0.97", "0.01"]
    page = issues.report(tmp_path / "issues.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page and "a/7.png" in page
    shown = issues._repr_html_()
    assert "<html" not in shown and "data:image/png;base64," in shown and "2 suspect labels among 100" in shown


def test_too_few_folds_are_refused_before_training(tmp_path: Path):
    with pytest.raises(fb.ConfigError, match="at least 2 folds"):
        find_label_issues("digits", folds=1, runs_dir=tmp_path)
    assert not tmp_path.joinpath("audit-digits").exists()


@pytest.mark.slow
def test_flipped_labels_of_an_image_folder_top_the_list(tmp_path: Path):
    x, y, flipped = flipped_digits(36)
    paths = write_folder(tmp_path / "digits", x, y)
    issues = find_label_issues(f"folder:{tmp_path / 'digits'}", folds=3, overrides=FAST, runs_dir=tmp_path / "runs")
    top = issues.suspects[:len(flipped)]
    found = {s.path for s in top} & {str(paths[i]) for i in flipped}
    assert len(found) / len(flipped) >= 0.6, len(found)  # 0.86 measured; chance is 0.02
    assert all(s.given != s.suggested for s in issues.suspects)
    assert issues.audited == len(y) and issues.images.shape[1:] == (8, 8)
    folds = sorted(p.name for p in issues.folder.iterdir())
    again = find_label_issues(f"folder:{tmp_path / 'digits'}", folds=3, overrides=FAST, runs_dir=tmp_path / "runs")
    assert sorted(p.name for p in issues.folder.iterdir()) == folds  # the fold runs were reused
    assert again.suspects == issues.suspects
    fold_run = next(p for p in issues.folder.iterdir() if p.name.endswith("-fold1"))
    from_run = find_label_issues(fold_run, folds=3, runs_dir=tmp_path / "runs")  # the run's experiment, its data whole
    assert sorted(p.name for p in issues.folder.iterdir()) == folds and from_run.suspects == issues.suspects


@pytest.mark.slow
def test_audit_command_writes_the_csv_and_the_page(tmp_path: Path):
    x, y, flipped = flipped_digits(36, seed=1)
    write_csv(tmp_path / "train.csv", x, y)
    command = [sys.executable, "-m", "fitbench.cli", "audit", f"csv:{tmp_path / 'train.csv'}", "--folds", "3",
               "--runs-dir", str(tmp_path / "runs"), "--quiet"] + [f"--set={item}" for item in FAST]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "suspect labels among 1,797 images" in done.stdout
    folder = tmp_path / "runs" / "audit-csv-train"
    rows = list(csv.DictReader((folder / "label_issues.csv").open()))
    top = {int(row["index"]) for row in rows[:len(flipped)]}
    assert len(top & set(flipped.tolist())) / len(flipped) >= 0.6
    assert (folder / "label_issues.html").read_text().count("<tr>") == len(rows) + 1


def test_audit_command_refuses_a_bad_dataset_in_one_line(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "fitbench.cli", "audit", "mnst", "--runs-dir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "did you mean" in done.stderr and "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir())
