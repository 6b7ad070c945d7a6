"""Issue 25: every command, and every process it starts, shows a library warning as one
``fitbench: warning...`` line on stderr, never Python's ``file:line: UserWarning:`` form."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.cli.test_cli import fitbench
from tests.data.test_folder import write_tree

PYTHON_FORM = re.compile(r"\.py:\d+: |Warning:")  # `file.py:12: FitbenchWarning: ...` and its source line


def stray_warnings(stderr: str) -> list[str]:
    """The lines of ``stderr`` that warn in another form than `fitbench: warning...`, or are a
    warning's quoted source line (indented)."""
    return [line for line in stderr.splitlines() if PYTHON_FORM.search(line) or line.startswith(" ")
            or ("warning" in line.lower() and not line.startswith("fitbench: warning"))]


@pytest.mark.parametrize(("command", "output"), [("predict", "predictions.csv"), ("explain", "pictures")])
def test_predict_and_explain_say_their_warnings_in_one_line_each(command: str, output: str, tiny_run: Path, digits,
                                                                   tmp_path: Path):
    # Light paper, dark ink: the run trained on the reverse, so the inputs are inverted and it says so.
    pixels = digits.x_test[:3].reshape(-1, 8, 8)
    paper = (255 - pixels / pixels.max() * 255).astype(np.uint8)
    inputs = []
    for index, image in enumerate(paper):
        inputs.append(tmp_path / f"{index}.png")
        Image.fromarray(image).save(inputs[-1])
    (tmp_path / "empty.png").write_bytes(b"")
    done = fitbench(command, str(tiny_run), *map(str, inputs), str(tmp_path / "empty.png"),
                    "-o", str(tmp_path / output))
    assert done.returncode == 0, done.stderr
    assert stray_warnings(done.stderr) == [], done.stderr
    said = done.stderr.splitlines()
    assert "fitbench: warning: 3 of 3 input(s) had the other background than the training images (dark on " \
           "light, or the reverse): inverted them" in said
    assert f"fitbench: warning: skipped 1 unreadable image file(s): {tmp_path / 'empty.png'}: empty file" in said


@pytest.mark.slow  # a study of two trials in two worker processes, each importing Optuna and Keras: ~30 s
def test_tune_and_its_workers_say_a_folder_warning_in_one_line(tmp_path: Path):
    root = write_tree(tmp_path / "shapes")  # holds a broken PNG: loading warns, in the command and each worker
    done = fitbench("tune", "tune", "--dataset", f"folder:{root}", "--trials", "2", "--workers", "2", "--quiet",
                    "--runs-dir", str(tmp_path / "runs"), "--set", "training.epochs=1",
                    "--set", f"dataset.cache_dir={tmp_path / 'cache'}",
                    "--set", "dataset.test_size=3", "--set", "dataset.val_size=3")
    assert done.returncode == 0, done.stderr
    assert stray_warnings(done.stderr) == [], done.stderr
    said = f"fitbench: warning: skipped 1 unreadable image file(s) in {root}: cross/broken.png"
    assert done.stderr.count(said) >= 3  # the command's own, then one per worker
