"""``fitbench predict`` imports Keras without the optional packages Keras would import (pandas,
scikit-learn, matplotlib, IPython: 1 to 2 s), and predicts exactly as with them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from fitbench._backend import KERAS_EXTRAS
from tests.conftest import ROOT


def predict_in_fresh_process(run: Path, images: list[Path], output: Path, *, extras: bool) -> list[str]:
    """``fitbench predict`` in a fresh interpreter (with Keras' extras when ``extras``): which
    extras it loaded."""
    code = ("import json, sys; import fitbench._backend as backend; "
            f"backend.KERAS_EXTRAS = backend.KERAS_EXTRAS if {not extras} else (); "
            "from fitbench.cli import main; "
            f"code = main(['predict', {str(run)!r}, *{[str(path) for path in images]!r}, '-o', {str(output)!r}]); "
            f"print(json.dumps([code, sorted(m for m in {KERAS_EXTRAS!r} if sys.modules.get(m))]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.stdout, result.stderr
    exit_code, loaded = json.loads(result.stdout.splitlines()[-1])
    assert exit_code == 0, result.stderr
    return loaded


def test_predict_skips_kerass_optional_imports_and_predicts_the_same(tiny_run: Path, tiny_digits, tmp_path: Path):
    images = []
    for k in range(3):  # the run's own kind of image (8x8 digits in 0..1) as PNGs
        images.append(tmp_path / f"{k}.png")
        Image.fromarray((np.asarray(tiny_digits.x_val[k]) * 255).astype(np.uint8)).save(images[-1])
    assert predict_in_fresh_process(tiny_run, images, tmp_path / "lean.csv", extras=False) == []
    full = predict_in_fresh_process(tiny_run, images, tmp_path / "full.csv", extras=True)
    assert full and set(full) <= set(KERAS_EXTRAS)  # which ones depends on Keras' version (3.3: no scikit-learn)
    assert (tmp_path / "lean.csv").read_text() == (tmp_path / "full.csv").read_text()


def test_the_extras_import_again_after_keras_did():
    code = ("import sys; from fitbench._backend import keras_without_extras\n"
            "with keras_without_extras():\n    import keras\n"
            "import pandas, sklearn, matplotlib, IPython\n"
            "from keras.src.trainers.data_adapters import array_slicing\n"
            "print(array_slicing.pandas is None, sys.modules['pandas'] is pandas)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.stdout.split() == ["True", "True"], result.stderr  # Keras saw no pandas; fitbench's code still can
