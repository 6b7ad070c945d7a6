"""One budget for a run folder's binary files (issue 24): every ``.npz`` and ``model.keras`` is
checked from what it declares, before anything is inflated, allocated or built.

Memory is measured with tracemalloc, which sees NumPy's array buffers and zlib's output: a
refused file costs a few MB at most, however much it claims.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitbench.errors import FitbenchError
from fitbench.runs import read_run
from fitbench.runs._archives import read_npz
from fitbench.runs._budget import MAX_PARAMETERS, MAX_WIDTH, NPZ, NpzBudget
from fitbench.runs._files import DamagedFile
from fitbench.runs._keras_file import check_model, model_facts
from fitbench.runs._read import model_problem
from tests.conftest import ROOT
from tests.diagnosis.crafted import run_folder
from tests.web.hostile import save_model

MB = 1_000_000
BOMB = 300 * MB  # above every .npz budget but the checkpoint's general one; deflates to ~0.3 MB
SMALL = 16 * MB  # what a refused file may cost: headers, zip buffers, the tail of the archive


def peak(call: Callable[[], Any]) -> tuple[Any, int]:
    """``call()``'s result (or the exception it raised) and the most memory it held at once."""
    tracemalloc.start()
    try:
        result: Any = call()
    except Exception as error:  # the test looks at it
        result = error
    finally:
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, top


def zero_bomb(path: Path, member: str, nbytes: int, *, others: dict[str, np.ndarray] | None = None) -> Path:
    """An ``.npz`` whose ``member`` is ``nbytes`` of deflated zeros (an honest .npy, just large)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, array in (others or {}).items():
            with archive.open(f"{key}.npy", "w") as stream:
                np.lib.format.write_array(stream, array)
        with archive.open(f"{member}.npy", "w", force_zip64=True) as stream:
            np.lib.format.write_array_header_1_0(stream, {"descr": "<f8", "fortran_order": False,
                                                          "shape": (nbytes // 8,)})
            chunk = bytes(16 * 1024 * 1024)
            for _ in range(nbytes // len(chunk)):
                stream.write(chunk)
            stream.write(bytes(nbytes % len(chunk)))
    return path


def one_line(error: Any, name: str) -> str:
    assert isinstance(error, (DamagedFile, FitbenchError)), repr(error)
    text = str(error)
    assert name in text and "\n" not in text, text
    return text


# --- .npz: predictions and the checkpoint ---------------------------------------------------

@pytest.fixture(scope="module")
def bombed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = run_folder(tmp_path_factory.mktemp("runs"), "bombed")
    labels = np.zeros(10, np.int32)
    zero_bomb(folder / "predictions.npz", "val_probabilities", BOMB,
              others={"val_labels": labels, "val_indices": labels})
    return folder


def test_a_zero_bomb_in_predictions_is_refused_before_it_is_inflated(bombed: Path):
    assert (bombed / "predictions.npz").stat().st_size < 2 * MB
    record = read_run(bombed)
    error, top = peak(lambda: record.predictions("val"))
    assert "declare 300 MB uncompressed; at most 256 MB" in one_line(error, "predictions.npz")
    assert top < SMALL, f"{top / MB:.0f} MB held"


def test_an_npz_member_that_is_not_an_array_is_one_line_of_damage(tmp_path: Path):
    folder = run_folder(tmp_path / "runs", "odd-member")
    with zipfile.ZipFile(folder / "predictions.npz", "w") as archive:
        archive.writestr("val_labels.npy", _npy(np.zeros(3, np.int32)))
        archive.writestr("val_probabilities", b"not an array")
    with pytest.raises(DamagedFile) as error:
        read_run(folder).predictions("val")
    error = error.value
    assert "'val_probabilities' is not an array" in one_line(error, "predictions.npz")


def test_a_header_that_claims_more_than_the_member_holds_allocates_nothing(tmp_path: Path):
    path = tmp_path / "predictions.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**8,)})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("val_labels.npy", header.getvalue() + bytes(64))  # 800 MB declared, 64 bytes held
    error, top = peak(lambda: read_npz(path, NPZ["predictions.npz"]))
    assert "declares shape (100000000,)" in one_line(error, "predictions.npz")
    assert top < SMALL


def test_a_checkpoint_bomb_is_refused_before_resume_inflates_it(tmp_path: Path):
    from fitbench._keras import keras
    from fitbench.training import _checkpoint

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    zero_bomb(tmp_path / "checkpoint.npz", "model_0", 100 * MB)  # the model's checkpoint is ~0.1 kB and a record
    error, top = peak(lambda: _checkpoint.load(tmp_path, model))
    assert "at most 64 MB" in one_line(error, "checkpoint.npz")
    assert top < SMALL


# --- model.keras ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real model.keras (Flatten > Dense 10 on 28x28: 7,850 parameters)."""
    return save_model(tmp_path_factory.mktemp("model"))


def rewrite(source: Path, target: Path, *, config: Callable[[dict], None] | None = None,
            extra: dict[str, bytes] | None = None) -> Path:
    """A copy of the ``source`` archive with its config changed and entries added (stored)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "config.json" and config:
                changed = json.loads(data)
                config(changed)
                data = json.dumps(changed).encode()
            new.writestr(info, data)
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return target


def dense(config: dict) -> dict:
    return next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense")


def test_a_saved_model_is_counted_exactly_and_opens(saved: Path):
    from fitbench.models._safe_load import open_model

    assert model_facts(saved) == (((28, 28)), None, None, 7850)
    assert open_model(saved).count_params() == 7850


@pytest.mark.parametrize("name", ["first", "small", "dropout", "rescaling", "functional", "bypass", "subclass",
                                  "mlp", "cnn"])
def test_the_zoo_models_declare_their_parameter_count(name: str, tmp_path: Path):
    from fitbench.models import build_model

    model = build_model(name, input_shape=(28, 28), num_classes=10)
    model.save(tmp_path / "model.keras")
    assert model_facts(tmp_path / "model.keras").parameters == model.count_params()


def test_a_million_units_in_a_small_file_is_not_built(saved: Path, tmp_path: Path):
    from fitbench.models import _safe_load

    path = rewrite(saved, tmp_path / "model.keras", config=lambda c: dense(c).update(
        config={**dense(c)["config"], "units": 1_000_000}))
    assert path.stat().st_size < 2 * MB
    assert f"units of 1,000,000; a layer's is at most {MAX_WIDTH:,}" in model_problem(path)
    with mock.patch.object(_safe_load, "load_model_file", side_effect=AssertionError("built")):
        error, top = peak(lambda: _safe_load.open_model(path))
    one_line(error, "model.keras")
    assert top < SMALL


def test_the_web_listing_shows_a_million_units_model_as_damaged_not_drawable(saved: Path, tmp_path: Path):
    from fitbench.web._catalog import summarize

    runs = tmp_path / "runs"
    rewrite(saved, run_folder(runs, "fine", dataset={"name": "mnist"}) / "model.keras")
    rewrite(saved, run_folder(runs, "wide", dataset={"name": "mnist"}) / "model.keras",
            config=lambda c: dense(c).update(config={**dense(c)["config"], "units": 1_000_000}))
    fine, wide = (summarize(read_run(runs / name), runs) for name in ("fine", "wide"))
    assert fine.drawable and not fine.problems
    assert not wide.drawable and [p for p in wide.problems if "model.keras" in p] == [
        f"model.keras is over its budget (units of 1,000,000; a layer's is at most {MAX_WIDTH:,})"]


@pytest.mark.parametrize(("units", "said"), [(65_000, f"parameters; at most {MAX_PARAMETERS:,}"),
                                             (3_000, "parameters but model.weights.h5 holds")])
def test_declared_parameters_beyond_the_ceiling_or_the_weights(saved: Path, tmp_path: Path, units: int, said: str):
    path = rewrite(saved, tmp_path / "model.keras", config=lambda c: dense(c).update(
        config={**dense(c)["config"], "units": units}))
    assert said in model_problem(path)


def test_a_layer_without_its_input_shape_counts_as_the_largest_input(saved: Path, tmp_path: Path):
    path = rewrite(saved, tmp_path / "model.keras", config=lambda c: dense(c).pop("build_config"))
    assert f"declares {1024 * 1024 * 10 + 10:,} parameters" in model_problem(path)  # Dense 10 on 1,048,576 values


def test_an_array_written_into_the_config_is_bounded(saved: Path, tmp_path: Path):
    value = {"class_name": "__numpy__", "config": {"value": [[0.0] * 200] * 100, "dtype": "float32"}}
    path = rewrite(saved, tmp_path / "model.keras", config=lambda c: dense(c)["config"].update(
        kernel_initializer={"class_name": "Constant", "config": {"value": value}}))
    assert "an array of 20,000 values in config.json" in model_problem(path)


def test_a_huge_compressed_config_or_weights_member_is_refused_unread(saved: Path, tmp_path: Path):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "{}")
        with archive.open("model.weights.h5", "w", force_zip64=True) as stream:
            for _ in range(10):
                stream.write(bytes(15 * MB))  # 150 MB of zeros
    assert path.stat().st_size < MB
    problem, top = peak(lambda: model_problem(path))
    assert "model.weights.h5 declares 150,000,000 bytes for 0 parameters" in problem
    assert top < SMALL


def test_an_archive_of_many_entries_is_refused_before_its_directory_is_parsed(tmp_path: Path):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for k in range(50_000):
            archive.writestr(f"e{k}", b"")
    problem, top = peak(lambda: model_problem(path))
    assert "declares 50,000 entries" in problem
    assert top < 1 * MB  # the archive's tail, not 50,000 parsed entries (~25 MB)


def test_runs_names_the_over_budget_model_in_one_line_and_lists_the_rest(saved: Path, tmp_path: Path):
    runs = tmp_path / "runs"
    rewrite(saved, run_folder(runs, "wide") / "model.keras", config=lambda c: dense(c).update(
        config={**dense(c)["config"], "units": 1_000_000}))
    rewrite(saved, run_folder(runs, "fine") / "model.keras")
    result = subprocess.run([sys.executable, "-m", "fitbench.cli", "runs", "--runs-dir", str(runs)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    said = [line for line in (result.stdout + result.stderr).splitlines() if "model.keras" in line]
    assert len(said) == 1 and "units of 1,000,000" in said[0], result.stdout + result.stderr
    assert "fine" in result.stdout


# --- properties ----------------------------------------------------------------------------

def _npy(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array(stream, array)
    return stream.getvalue()


TINY = NpzBudget(members=6, total=64_000)
METHODS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
DTYPES = [np.dtype(spec) for spec in ("<f8", "<f2", "u1", "<i4", "?", "O", "<U3", "V0", [("a", "<f4", (1000,))])]


@st.composite
def npz_files(draw: st.DrawFn) -> bytes:
    """An .npz of up to 8 members: each a header declaring some shape and dtype, followed by
    some number of bytes (what it declares, fewer, more), stored or deflated; some not .npy;
    a few bytes flipped, and the whole sometimes cut short."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        for k in range(draw(st.integers(0, TINY.members + 2))):
            dtype = draw(st.sampled_from(DTYPES))
            shape = tuple(draw(st.lists(st.integers(0, 10**6), max_size=3)))
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(header, {"descr": np.lib.format.dtype_to_descr(dtype),
                                                          "fortran_order": False, "shape": shape})
            size = draw(st.one_of(st.integers(0, 70_000), st.just(math.prod(shape) * dtype.itemsize)))
            name = f"m{k}" + draw(st.sampled_from([".npy", ".npy", ".txt"]))
            method = draw(st.sampled_from(METHODS))
            archive.writestr(zipfile.ZipInfo(name), header.getvalue() + bytes(min(size, 200_000)), method)
    data = bytearray(stream.getvalue())
    for at in draw(st.lists(st.integers(0, max(0, len(data) - 1)), max_size=3)) if data else []:
        data[at] ^= draw(st.integers(1, 255))  # a flipped byte: in a header, deflate data, the directory
    cut = draw(st.one_of(st.just(len(data)), st.integers(0, len(data))))
    return bytes(data[:cut])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=npz_files())
def test_reading_any_npz_stays_within_its_budget(tmp_path_factory: pytest.TempPathFactory, data: bytes):
    path = tmp_path_factory.mktemp("npz") / "images.npz"
    path.write_bytes(data)
    result, top = peak(lambda: read_npz(path, TINY))
    if isinstance(result, dict):
        assert sum(array.nbytes for array in result.values()) <= TINY.total
    else:
        one_line(result, "images.npz")
    assert top < TINY.total + 1 * MB, f"{top:,} bytes held"


@st.composite
def keras_files(draw: st.DrawFn) -> bytes:
    """Zip archives around model.keras' bounds (scaled down): entries by role and junk, sizes
    under and over each role's limit, a config with widths and arrays of any size, any
    compression method, a byte or two flipped."""
    stream = io.BytesIO()
    warnings.simplefilter("ignore", UserWarning)  # zipfile warns of a duplicate name: one is drawn on purpose
    units = draw(st.integers(1, 3 * MAX_WIDTH))
    config = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Dense", "config": {"units": units, "bias": [0.0] * draw(st.integers(0, 200))},
         "build_config": {"input_shape": [None, draw(st.integers(1, 5000))]}}]}}
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in draw(st.lists(st.sampled_from(["config.json", "model.weights.h5", "metadata.json",
                                                   "assets/vocab.txt", "evil.py"]), max_size=12)):
            data = json.dumps(config).encode() if name == "config.json" else bytes(draw(st.integers(0, 300_000)))
            archive.writestr(name, data, draw(st.sampled_from(METHODS)))
    data = bytearray(stream.getvalue())
    for at in draw(st.lists(st.integers(0, len(data) - 1), max_size=2)):
        data[at] ^= draw(st.integers(1, 255))
    return bytes(data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=keras_files())
def test_checking_any_model_archive_is_bounded_and_one_line(data: bytes):
    from fitbench.runs import _keras_file as kf

    roles = {"metadata.json": 1000, "config.json": 20_000, "model.weights.h5": 200_000}
    with mock.patch.dict(kf.MODEL_ROLES, roles), mock.patch.object(kf, "MAX_MODEL_ENTRIES", 6), \
            mock.patch("fitbench.runs._keras_config.MAX_CONFIG_ARRAY", 100):
        result, top = peak(lambda: check_model(io.BytesIO(data), "model.keras"))
    if isinstance(result, kf.CheckedModel):
        assert result.parameters <= min(MAX_PARAMETERS, result.weights_bytes)
        assert result.weights_bytes <= roles["model.weights.h5"]
    else:
        one_line(result, "model.keras")
    assert top < 2 * MB


@pytest.mark.slow  # a fresh process that imports Keras and JAX
def test_predict_refuses_a_functional_model_with_a_large_config_array_in_one_line(tmp_path: Path):
    from PIL import Image

    from fitbench._keras import keras

    inputs = keras.Input((28, 28))
    model = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(inputs)))
    folder = run_folder(tmp_path / "runs", "functional")
    model.save(tmp_path / "plain.keras")
    array = {"class_name": "__numpy__", "config": {"value": [[0.0] * 100] * 200, "dtype": "float32"}}
    rewrite(tmp_path / "plain.keras", folder / "model.keras", config=lambda c: next(
        layer for layer in c["config"]["layers"] if layer["class_name"] == "Dense")["config"].update(
        kernel_initializer={"class_name": "Constant", "config": {"value": array}}))
    Image.new("L", (28, 28)).save(tmp_path / "digit.png")
    result = subprocess.run([sys.executable, "-m", "fitbench.cli", "predict", str(folder), str(tmp_path / "digit.png")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "model.keras is over its budget (an array of 20,000 values" in lines[0], lines
