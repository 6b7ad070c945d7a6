"""Colour images end to end: a generated 32x32x3 ten-class folder trains, evaluates and reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import fitbench as fb

PALETTE = np.array([[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
                    [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [128, 128, 128]], np.uint8)


def write_colour_tree(root: Path, per_class: int = 12, size: int = 32) -> Path:
    """Ten classes, each a noisy square of its own colour on black."""
    rng = np.random.default_rng(0)
    for label, colour in enumerate(PALETTE):
        folder = root / f"c{label}"
        folder.mkdir(parents=True)
        for k in range(per_class):
            image = rng.integers(0, 30, (size, size, 3)).astype(np.uint8)
            top, left = rng.integers(0, size // 2, 2)
            image[top:top + size // 2, left:left + size // 2] = colour
            Image.fromarray(image).save(folder / f"{k}.png")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("zoo", ["mlp", "cnn"])
def test_colour_folder_trains_evaluates_and_reports(tmp_path: Path, zoo: str) -> None:
    root = write_colour_tree(tmp_path / "colours")
    data = fb.load_dataset("folder", path=root, cache_dir=tmp_path / "cache", val_size=0.2, test_size=0.2)
    assert data.input_shape == (32, 32, 3) and data.num_classes == 10
    model = fb.build_model(zoo, data, units=[32], **({"filters": [8]} if zoo == "cnn" else {}))
    run = fb.fit(model, data, epochs=2, batch_size=16, learning_rate=3e-3, runs_dir=tmp_path / "runs", verbose=False)
    assert run.state == "complete" and set(run.metrics.splits) == {"train", "val", "test"}
    assert run.evaluate("test").accuracy >= 0.0
    report = run.report().read_text(encoding="utf-8")
    assert "c0" in report and "<img" in report  # class names from the folders; pictures drawn
    assert run.config["dataset"]["color_mode"] == "rgb" and run.config["dataset"]["image_size"] == [32, 32]


@pytest.mark.parametrize("scale", [1.0, 255.0])
def test_colour_grid_keeps_the_colours(scale: float) -> None:
    from fitbench.plots import plot_image_grid, sample_grid

    x = np.zeros((7, 4, 4, 3), np.float32)
    x[:, :, :, 0] = scale  # pure red images, as 0..1 or raw 0..255 pixels
    canvas = np.ma.getdata(plot_image_grid(sample_grid(x, np.arange(7) % 3, n=7, columns=5)).images[0].get_array())
    drawn = canvas[np.isfinite(canvas).all(axis=-1)]
    assert canvas.shape[-1] == 3 and len(drawn) == 7 * 16
    assert np.allclose(drawn, [1.0, 0.0, 0.0])  # red, in imshow's 0..1 colour range
