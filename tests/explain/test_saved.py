"""The report's mistakes and top losses with attribution maps: computed once into the run
folder's ``explanations.npz`` (``Run.save_explanations`` / ``fitbench explain RUN``), validated
when read, drawn by the report from the folder alone, each map titled with the checks it passed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fitbench as fb
from fitbench import plots
from fitbench._sanity import SanityChecks
from fitbench.errors import DataError
from fitbench.report import write_report
from fitbench.runs import DamagedFile, ExplanationSet, read_run
from fitbench.runs._record import EXPLANATIONS
from fitbench.runs._write import write_explanations
from tests.cli.test_cli import fitbench
from tests.conftest import copy_run


@pytest.fixture(scope="module")
def explained(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's tiny run with its mistakes and top losses explained."""
    folder = copy_run(tiny_run, tmp_path_factory.mktemp("explained"))
    assert fb.load_run(folder).save_explanations(steps=8) == folder / EXPLANATIONS
    return folder


def test_maps_are_saved_for_every_image_the_report_shows(explained: Path) -> None:
    record = read_run(explained)
    for split in ("val", "test"):
        shown, saved, p = record.images(split), record.explanations(split), record.predictions(split)
        assert np.array_equal(saved.indices, shown.indices)  # one map per saved mistake or top loss
        assert saved.maps.shape == shown.images.shape[:3] and np.abs(saved.maps).max() > 0
        assert np.array_equal(saved.labels, p.predicted[shown.indices])  # the class the report says was predicted
        assert np.all(np.abs(saved.spearman) <= 1) and set(saved.method) == {0}  # integrated gradients
    # the trained model's maps pass both checks for most images (the full test: test_sanity.py)
    assert record.explanations("val").checks.deletion_fraction >= 0.6


def _picture_count(html: str, section: str) -> int:
    part = html.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]
    return len(re.findall(r'<img src="data:image/png;base64,', part))


def test_the_report_shows_them_with_the_checks_passed(explained: Path, tmp_path: Path) -> None:
    html = write_report(explained, tmp_path / "report.html").read_text(encoding="utf-8")
    assert _picture_count(html, "attributions") == 2  # top losses and mistakes, each map over its image
    checks = read_run(explained).explanations("val").checks
    assert f"passed by {int(checks.randomisation_passed.sum())} of {len(checks.spearman)}" in html
    assert (explained / "figures" / "top_losses_val_attributions.png").is_file()


def test_a_run_without_maps_says_how_to_make_them(tiny_run: Path, tmp_path: Path) -> None:
    html = write_report(copy_run(tiny_run, tmp_path), tmp_path / "report.html").read_text(encoding="utf-8")
    assert _picture_count(html, "attributions") == 0 and "`fitbench explain` with this run" in html


@pytest.mark.parametrize(("damage", "message"), [
    (lambda sets: sets["val"]._replace(spearman=sets["val"].spearman + 5), "val_spearman holds values outside -1..1"),
    (lambda sets: sets["val"]._replace(maps=sets["val"].maps * np.nan), "val_maps holds NaN"),
    (lambda sets: sets["val"]._replace(method=sets["val"].method + 7), "val_method holds method codes outside"),
    (lambda sets: sets["val"]._replace(maps=sets["val"].maps[:, :3, :3]), "maps of (3, 3) pixels for images of"),
])
def test_damaged_maps_are_one_line_naming_the_file(explained: Path, tmp_path: Path, damage, message) -> None:
    folder = Path(shutil.copytree(explained, tmp_path / "run"))
    record = read_run(folder)
    sets = {split: record.explanations(split) for split in ("val", "test")}
    write_explanations(folder, {**sets, "val": damage(sets)})
    html = write_report(folder, tmp_path / "report.html").read_text(encoding="utf-8")
    section = html.split('<section id="attributions">', 1)[1].split("</section>", 1)[0]
    assert EXPLANATIONS in section and message in section and _picture_count(html, "attributions") == 0
    assert '<section id="top-losses">' in html  # the rest of the report is there


def test_attribution_grid_keeps_the_images_with_maps_and_titles_their_checks() -> None:
    images = np.zeros((3, 4, 4))
    grid = plots.ImageGrid(images, ["a", "b", "c"], [5, 9, 2], [True, True, False], columns=3)
    maps = np.arange(32, dtype=np.float32).reshape(2, 4, 4)
    explained = ExplanationSet(np.array([1, 2]), maps, np.array([2, 5]), np.array([0.1, 0.9]), np.array([0.5, 0.1]),
                               np.array([0.1, 0.2]), np.array([0, 0]))
    shown = plots.attribution_grid(grid, explained)
    assert shown.titles == ["a\nchecks passed: none", "c\nchecks passed: both"] and shown.indices == [5, 2]
    assert shown.overlays is not None and np.array_equal(shown.overlays, maps[[1, 0]])
    assert plots.plot_image_grid(shown).figure is not None
    with pytest.raises(DataError, match="maps of"):
        plots.attribution_grid(grid._replace(images=np.zeros((3, 5, 5))), explained)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=6))
def test_checks_numbers_are_read_back_only_within_their_bounds(tmp_path_factory, values: list[float]) -> None:
    """What the views decide with (``SanityChecks``) is read as written, or refused in one line."""
    folder = tmp_path_factory.mktemp("maps")
    n = len(values)
    numbers = np.asarray(values, np.float32)
    sets = {"val": ExplanationSet(np.zeros(n, int), np.ones((n, 2, 2), np.float32), np.arange(n), numbers,
                                  np.zeros(n), np.zeros(n), np.zeros(n, int))}
    write_explanations(folder, sets)
    record = read_run(folder)
    if np.all(np.isfinite(numbers)) and np.all(np.abs(numbers) <= 1):
        assert np.array_equal(record.explanations("val").spearman, numbers)
    else:
        with pytest.raises(DamagedFile, match=r"^explanations\.npz is damaged \(val_spearman holds [^\n]*\)$"):
            record.explanations("val")


def test_sanity_verdicts_are_one_definition() -> None:
    from fitbench.explain import SanityChecks as Explained

    assert Explained is SanityChecks  # the views and the computation decide with the same thresholds


@pytest.mark.slow  # the command imports Keras in a subprocess
def test_explain_command_without_images_explains_the_run(tiny_run: Path, tmp_path: Path) -> None:
    folder = copy_run(tiny_run, tmp_path)
    done = fitbench("explain", str(folder), "--steps", "8")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("attribution maps of the run's mistakes and top losses in")
    assert len(read_run(folder).explanations("test").indices) > 0


def test_a_run_without_saved_images_is_one_line(tiny_run: Path, tmp_path: Path) -> None:
    folder = copy_run(tiny_run, tmp_path)
    (folder / "images.npz").unlink()
    with pytest.raises(fb.FitbenchError, match=r"images\.npz is missing; nothing explained$"):
        fb.load_run(folder).save_explanations(steps=4)
    assert not (folder / EXPLANATIONS).exists()  # nothing half-written


def test_maps_over_a_folder_named_explanations_npz_are_one_line(tiny_run: Path, tmp_path: Path) -> None:
    # Found by the folder fuzzer at 2,000 folders (fuzz-01860): `fitbench explain FOLDER` raised
    # IsADirectoryError from the atomic write's rename.
    folder = copy_run(tiny_run, tmp_path)
    (folder / EXPLANATIONS).mkdir()
    with pytest.raises(fb.FitbenchError, match=r"explanations\.npz: not a plain file \(a folder or a link\)"):
        fb.load_run(folder).save_explanations(steps=4)
    assert (folder / EXPLANATIONS).is_dir() and not list((folder / EXPLANATIONS).iterdir())
