"""The one opener of a run's ``model.keras``: checked within the budget, then loaded in safe mode.

Every loader (the web server's predictions, ``fitbench predict``, ``Run.model``) calls
``open_model``. The file is opened once, without following a link; its directory, config and
declared parameter count are checked (``fitbench.runs._keras_file``), then the datasets of
its weights file by their declared shapes; only then does Keras build the model, from that
same open file.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import h5py

from fitbench._keras import load_model_file, saved_weights_only
from fitbench.runs._archives import ZIP_ERRORS
from fitbench.runs._files import DamagedFile, first_line
from fitbench.runs._keras_file import WEIGHTS, check_model, open_model_file

__all__ = ["open_model"]

MAX_DATASETS = 20_000  # one per model and optimizer variable; a model has a few hundred


def open_model(path: Path, *, compile: bool = False) -> Any:
    """The Keras model saved at ``path`` (safe mode: no Lambda, no pickled code).

    FileNotFoundError when it is absent; DamagedFile (one line) when it is a link, a special
    file, damaged or over its budget. Keras' own errors (a class it cannot find) pass through.
    """
    with open_model_file(path) as file:
        checked = check_model(file, path.name)
        _check_weights(file, path.name, checked.weights_bytes)
        file.seek(0)
        if compile:  # Run.model, for evaluate and training: Keras' own loading, optimizer included
            return load_model_file(file, compile=True)
        with saved_weights_only():  # prediction: no random weights drawn for the saved ones to replace
            return load_model_file(file, compile=False)


def _check_weights(file: BinaryIO, name: str, stored: int) -> None:
    """The weights' HDF5 datasets declare no more bytes than the file stores: Keras writes them
    uncompressed, and a compressed dataset could inflate far past it when read."""
    declared: list[int] = []

    def visit(_: str, item: Any) -> bool | None:
        if isinstance(item, h5py.Dataset):
            declared.append(int(item.size) * item.dtype.itemsize)
        return len(declared) > MAX_DATASETS or None  # anything but None stops the walk

    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive, archive.open(WEIGHTS) as member, h5py.File(member, "r") as weights:
            weights.visititems(visit)
    except (*ZIP_ERRORS, KeyError) as error:  # KeyError: h5py on a damaged file
        raise DamagedFile(f"{name} is damaged ({WEIGHTS}: {first_line(error)})") from None
    if len(declared) > MAX_DATASETS:
        raise DamagedFile(f"{name} is over its budget ({WEIGHTS} holds over {MAX_DATASETS:,} arrays)")
    if sum(declared) > stored:
        raise DamagedFile(f"{name} is over its budget ({WEIGHTS} declares {sum(declared):,} bytes of weights "
                          f"in {stored:,})")
