"""``fitbench predict`` and ``run.predict``: new images in, one row per image out."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

import fitbench as fb
from fitbench.cli import main
from tests.cli.test_cli import fitbench
from tests.data.test_csv import write_kaggle_csv
from tests.data.test_folder import CLASSES, write_tree


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A run trained with ``fitbench train --dataset folder:DIR``, and its folder of images."""
    tmp = tmp_path_factory.mktemp("predict")
    root = write_tree(tmp / "shapes")
    (root / "cross" / "broken.png").unlink()
    done = fitbench("train", "first", "--dataset", f"folder:{root}", "--runs-dir", str(tmp / "runs"), "--quiet",
                    "--set", "training.epochs=2", "--set", f"dataset.cache_dir={tmp / 'cache'}",
                    "--set", "dataset.test_size=3", "--set", "dataset.val_size=3")
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip().splitlines()[-1]), root


@pytest.mark.slow  # shares a run trained by `fitbench train` in a subprocess
def test_predict_writes_one_row_per_input(trained: tuple[Path, Path], tmp_path: Path) -> None:
    run, root = trained
    odd = tmp_path / "odd.jpg"  # another size and format: resized like the training images
    Image.fromarray(np.full((30, 24, 3), 200, np.uint8)).save(odd)
    (tmp_path / "broken.png").write_bytes(b"")
    out = tmp_path / "predictions.csv"
    done = fitbench("predict", str(run), str(root / "circle"), str(odd), str(tmp_path / "broken.png"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    assert "warning: skipped 1 unreadable image file(s)" in done.stderr and "empty file" in done.stderr
    rows = _rows(out)
    assert [row["input"] for row in rows] == [*(str(root / "circle" / f"{k}.png") for k in range(6)),
                                              str(root / "circle" / "rgba.png"), str(odd)]
    assert list(rows[0]) == ["input", "predicted", "probability", "top2", "top2_probability", "top3",
                             "top3_probability"]
    for row in rows:
        assert row["predicted"] in CLASSES and {row["predicted"], row["top2"], row["top3"]} == set(CLASSES)
        assert 1 / 3 <= float(row["probability"]) <= 1 and float(row["top2_probability"]) <= float(row["probability"])


@pytest.mark.slow  # shares a run trained by `fitbench train` in a subprocess
def test_predict_matches_the_model_on_the_training_arrays(trained: tuple[Path, Path]) -> None:
    run_path, root = trained
    run = fb.load_run(run_path)
    files = run.predict(root / "square")
    data = fb.load_dataset("folder", path=root, cache_dir=run.config["dataset"]["cache_dir"],
                           image_size=[12, 12], color_mode="grayscale")
    arrays = run.predict(data.x_train[:4])
    assert files.probabilities.shape == (7, 3) and arrays.probabilities.shape == (4, 3)
    expected = run.model.predict(data.x_train[:4], verbose=0)
    assert np.allclose(arrays.probabilities, expected, atol=1e-5)
    top = files.top(3)[0]
    assert [name for name, _ in top] == sorted(CLASSES, key=lambda c: -files.probabilities[0][CLASSES.index(c)])


@pytest.mark.slow
def test_kaggle_csv_in_and_submission_out(tmp_path: Path) -> None:
    data = fb.load_dataset("csv", path=write_kaggle_csv(tmp_path / "train.csv"))
    run = fb.fit(fb.build_model("small", data), data, epochs=1, runs_dir=tmp_path / "runs", verbose=False)
    test_csv = write_kaggle_csv(tmp_path / "test.csv", count=7, labelled=False, seed=3)
    out = tmp_path / "submission.csv"
    assert main(["predict", str(run.path), str(test_csv), "--kaggle", "-o", str(out)]) == 0
    rows = _rows(out)
    assert [row["ImageId"] for row in rows] == [str(k) for k in range(1, 8)]
    assert all(0 <= int(row["Label"]) < 5 for row in rows)
    labels = run.predict(test_csv).labels
    assert [int(row["Label"]) for row in rows] == labels.tolist()


@pytest.mark.slow  # shares a run trained by `fitbench train` in a subprocess
def test_predict_never_imports_the_factory_a_folder_names(trained: tuple[Path, Path], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    run_path, root = trained
    copy = shutil.copytree(run_path, tmp_path / "run")
    (tmp_path / "planted.py").write_text(f"open({str(tmp_path / 'imported')!r}, 'w').close()\n"
                                         "def build(*a, **k): pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = yaml.safe_load((copy / "config.yaml").read_text())
    config["model"] = {"factory": "planted:build"}
    (copy / "config.yaml").write_text(yaml.safe_dump(config))
    assert fb.load_run(copy).predict(root / "circle" / "0.png").labels.shape == (1,)
    assert not (tmp_path / "imported").exists()


@pytest.mark.slow  # shares a run trained by `fitbench train` in a subprocess
def test_bad_inputs_are_one_line_exit_2(trained: tuple[Path, Path], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    run, _ = trained
    assert main(["predict", str(run), str(tmp_path / "missing.png")]) == 2
    assert "missing.png: no such file or folder" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("x")
    assert main(["predict", str(run), str(tmp_path / "notes.txt")]) == 2
    assert "not an image" in capsys.readouterr().err
