"""Predicting from a run folder reads the folder and the new images, never the training data:
the preparation is recorded in the run (or follows from its config), not measured again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

import fitbench as fb
import fitbench.data
from fitbench.cli import main
from fitbench.data import _dataset, _folder, _idx, _sources
from fitbench.web import create_app
from tests.conftest import copy_run
from tests.web.conftest import LOCAL

LOADERS = [(_sources, "load_digits_arrays"), (_sources, "load_official"), (_idx, "read_idx_pair"),
           (_folder, "load_folder"), (_dataset, "load_from_config"), (_dataset, "load_dataset"),
           (fitbench.data, "load_from_config"), (fitbench.data, "load_dataset")]


@pytest.fixture
def no_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way fitbench loads a data set raises."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("predicting loaded the training data")

    for module, name in LOADERS:
        monkeypatch.setattr(module, name, refuse)


def images(folder: Path) -> list[Path]:
    folder.mkdir()
    paths = []
    for k in range(3):
        path = folder / f"{k}.png"
        Image.fromarray(np.random.default_rng(k).integers(0, 256, (8, 8), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "older-folder"])
def test_no_path_loads_the_training_data(recorded: bool, tiny_run: Path, tmp_path: Path, no_data: None,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    run = copy_run(tiny_run, tmp_path)
    if not recorded:
        (run / "preparation.json").unlink()  # a folder from before the record: the config decides
    paths = images(tmp_path / "new")
    with pytest.raises(AssertionError, match="loaded the training data"):
        fb.load_run(run).data  # the spies work: this is what loading the data would do
    assert fb.load_run(run).predict(paths).labels.shape == (3,)
    assert main(["predict", str(run), *map(str, paths), "-o", str(tmp_path / "out.csv")]) == 0, capsys.readouterr().err
    client = TestClient(create_app(run.parent, cache_dir=tmp_path / "cache"), base_url=LOCAL)
    answer = client.post("/api/predict", params={"run": run.name}, files={"file": ("0.png", paths[0].read_bytes())})
    assert answer.status_code == 200, answer.text
