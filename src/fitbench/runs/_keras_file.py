"""A run's ``model.keras``, checked as a file before anything loads it (Keras is never imported).

A ``.keras`` file is a zip archive of ``metadata.json``, ``config.json`` and
``model.weights.h5``. ``check_model`` reads its directory and config within the budget
(``_budget``): the entry count, each entry's declared size by its role, arrays and widths in
the config, and the parameter count the config declares against a ceiling and against the
bytes of the weights that should fill it. The listing (``model_facts``) and every loader
(``fitbench.models.open_model``) go through it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from fitbench.runs import _json, _keras_config as kc
from fitbench.runs._archives import ZIP_ERRORS, open_zip
from fitbench.runs._budget import (HDF5_OVERHEAD, MAX_ASSET, MAX_MODEL_ENTRIES, MAX_MODEL_FILE, MAX_PARAMETERS,
                                   MODEL_ROLES, WEIGHT_BYTES)
from fitbench.runs._files import DamagedFile, first_line, open_regular

__all__ = ["CheckedModel", "ModelFacts", "check_model", "model_facts", "model_problem", "open_model_file"]

CONFIG, WEIGHTS = "config.json", "model.weights.h5"
ASSETS = "assets/"  # Keras' folder for a layer's files (a lookup vocabulary)


class CheckedModel(NamedTuple):
    """What ``check_model`` learned from a ``model.keras``, without loading it."""

    config: dict[str, Any]
    parameters: int  # as the config declares them
    weights_bytes: int


class ModelFacts(NamedTuple):
    input_shape: tuple[int | None, ...] | None  # without the batch axis; None: not recorded
    needs_code: str | None  # why the server will not load it
    problem: str | None  # the archive is damaged or over its budget, one line
    parameters: int | None = None


def open_model_file(path: Path) -> BinaryIO:
    """``path`` opened as ``open_regular`` does (no link, no special file), within the budget's size."""
    return open_regular(path, MAX_MODEL_FILE)


def check_model(file: BinaryIO, name: str) -> CheckedModel:
    """The checks of the module docstring on an opened ``model.keras``; DamagedFile, one line."""
    with open_zip(file, name, MAX_MODEL_ENTRIES) as archive:
        sizes = _role_sizes(archive, name)
        try:
            config = _json.loads(archive.read(CONFIG))
        except (*ZIP_ERRORS, RecursionError) as error:  # RecursionError: JSON nested too deeply
            raise DamagedFile(f"{name} is damaged ({CONFIG}: {first_line(error)})") from None
    if not isinstance(config, dict):
        raise DamagedFile(f"{name} is damaged ({CONFIG} is not an object)")
    if problem := kc.config_problem(config):
        raise DamagedFile(f"{name} is over its budget ({problem})")
    parameters = kc.declared_parameters(config)
    if parameters > MAX_PARAMETERS:
        raise DamagedFile(f"{name} is over its budget (its config declares {parameters:,} parameters; "
                          f"at most {MAX_PARAMETERS:,})")
    if parameters > sizes[WEIGHTS]:  # a weight takes a byte at least (float32: four)
        raise DamagedFile(f"{name} is damaged (its config declares {parameters:,} parameters but "
                          f"{WEIGHTS} holds {sizes[WEIGHTS]:,} bytes)")
    if sizes[WEIGHTS] > WEIGHT_BYTES * parameters + HDF5_OVERHEAD:
        raise DamagedFile(f"{name} is over its budget ({WEIGHTS} declares {sizes[WEIGHTS]:,} bytes for "
                          f"{parameters:,} parameters; at most {WEIGHT_BYTES} bytes each and "
                          f"{HDF5_OVERHEAD / 1e6:.0f} MB)")
    return CheckedModel(config, parameters, sizes[WEIGHTS])


def _role_sizes(archive: zipfile.ZipFile, name: str) -> dict[str, int]:
    """Each entry's declared size within its role's bound; config.json and the weights present."""
    sizes: dict[str, int] = {}
    for info in archive.infolist():
        limit = MODEL_ROLES.get(info.filename, MAX_ASSET if info.filename.startswith(ASSETS) else None)
        if limit is None:
            raise DamagedFile(f"{name} is damaged (an entry {ascii(info.filename[:80])} Keras does not write)")
        if info.file_size > limit:
            raise DamagedFile(f"{name} is over its budget ({info.filename} declares {info.file_size:,} bytes; "
                              f"at most {limit:,})")
        sizes[info.filename] = info.file_size
    for needed in (CONFIG, WEIGHTS):
        if needed not in sizes:
            raise DamagedFile(f"{name} is damaged (no {needed} inside: not a Keras 3 model)")
    return sizes


def model_facts(path: Path) -> ModelFacts:
    """Input shape, trust and parameters of ``path`` (a ``model.keras``); damage as ``problem``."""
    checked = _checked(path)
    if isinstance(checked, str):
        return ModelFacts(None, None, checked)
    config = checked.config
    return ModelFacts(kc.input_shape(config), kc.needs_code(config), None, checked.parameters)


def model_problem(path: Path) -> str | None:
    """Whether ``path`` (a ``model.keras``) is missing, damaged or over its budget, one line."""
    checked = _checked(path)
    return checked if isinstance(checked, str) else None


def _checked(path: Path) -> CheckedModel | str:
    """``check_model`` of the file at ``path``, or its damage in one line."""
    try:
        with open_model_file(path) as file:
            return check_model(file, path.name)
    except FileNotFoundError:
        return f"{path.name} is missing: the trained model is lost"
    except DamagedFile as error:
        return str(error)

