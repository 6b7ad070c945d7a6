"""What a run's ``model.keras`` says about itself, read from its ``config.json`` without loading it.

A ``.keras`` file is a zip archive; its ``config.json`` names every layer's class and module.
From it the listing learns the input shape (can this model read a 28x28 drawing?) and whether
the model needs code that is not Keras' or fitbench's own (a custom layer, a ``Lambda``): such
a model is shown as "needs its code" and the server never loads it.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from fitbench.runs._files import DamagedFile, open_regular

MAX_ARCHIVE = 2 * 1024**3  # 2 GB: far above any model this course trains
MAX_CONFIG = 4 * 1024**2  # config.json of a model with thousands of layers
OWN_MODULES = ("keras", "fitbench")  # classes the server can rebuild without running foreign code
CODE_CLASSES = ("Lambda", "JaxLayer", "TorchModuleWrapper", "TFSMLayer")  # wrap a function, not a config


class ModelFacts(NamedTuple):
    input_shape: tuple[int | None, ...] | None  # without the batch axis; None: not recorded
    needs_code: str | None  # why the server will not load it
    problem: str | None  # the archive is damaged


def model_facts(path: Path) -> ModelFacts:
    """Input shape and trust of ``path`` (a ``model.keras``); damage as ``problem``, one line."""
    try:
        with open_regular(path, MAX_ARCHIVE) as file, zipfile.ZipFile(file) as archive:
            member = archive.getinfo("config.json")
            if member.file_size > MAX_CONFIG:
                return ModelFacts(None, None, f"{path.name} is damaged (config.json of {member.file_size:,} bytes)")
            config = json.loads(archive.read(member))
    except DamagedFile as error:  # a link or special file put there since it was listed
        return ModelFacts(None, None, str(error))
    except KeyError:
        return ModelFacts(None, None, f"{path.name} is damaged (no config.json inside: not a Keras 3 model)")
    except (OSError, zipfile.BadZipFile, ValueError, RecursionError, EOFError) as error:
        return ModelFacts(None, None, f"{path.name} is damaged (not a readable Keras archive: {_short(error)})")
    if not isinstance(config, dict):
        return ModelFacts(None, None, f"{path.name} is damaged (config.json is not an object)")
    return ModelFacts(_input_shape(config), _needs_code(config), None)


def _classes(node: Any) -> Iterator[dict[str, Any]]:
    """Every serialized object in a Keras config (a dict with a ``class_name``), depth first."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "class_name" in item:
                yield item
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item


def _needs_code(config: dict[str, Any]) -> str | None:
    for item in _classes(config):
        module, name = str(item.get("module") or ""), str(item.get("class_name"))
        if name in CODE_CLASSES:
            return f"its {name} layer wraps Python code"
        if module and module.split(".")[0] not in OWN_MODULES:
            return f"class {name} comes from {module}"
    return None


def _input_shape(config: dict[str, Any]) -> tuple[int | None, ...] | None:
    shape = (config.get("build_config") or {}).get("input_shape")
    if not _is_shape(shape):
        shape = next((item.get("config", {}).get("batch_shape") for item in _classes(config)
                      if item.get("class_name") == "InputLayer"), None)
    return tuple(shape[1:]) if isinstance(shape, list) and _is_shape(shape) else None


def _is_shape(shape: Any) -> bool:
    return isinstance(shape, list) and 1 < len(shape) <= 5 and all(side is None or isinstance(side, int)
                                                                   for side in shape)


def _short(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:160]
