"""Read an experiment from a YAML file (or a bundled name), apply ``--set`` overrides, validate."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from fitbench.config._errors import validate
from fitbench.config._schema import Experiment
from fitbench.errors import ConfigError, did_you_mean

# Keys of the dataset section that belong to one kind of dataset only; --dataset drops them.
_DATASET_SPECIFIC = ("images", "labels", "num_classes", "train_size", "test_size", "data_dir", "path", "image_size",
                     "color_mode", "strict", "cache_dir", "class_names")


def bundled_files(*folders: str) -> dict[str, Path]:
    """YAML files shipped in ``fitbench/experiments/<folder>`` (``""``: the top), by name."""
    root = resources.files("fitbench") / "experiments"
    return {Path(item.name).stem: Path(str(item)) for folder in folders
            for item in (root / folder if folder else root).iterdir() if item.name.endswith(".yaml")}


def bundled_experiments() -> dict[str, Path]:
    """The experiment files shipped inside the package, by name: the examples and the
    course's experiments (``fitbench curriculum`` runs those in order)."""
    return bundled_files("", "curriculum")


def find_file(source: str | Path, bundled: dict[str, Path], *, kind: str, give: str) -> Path:
    """A path to an existing file, or the bundled file of that name; else a one-line error."""
    try:
        path = Path(source).expanduser()
    except RuntimeError:  # "~name" for a user this machine does not have
        path = Path(source)
    if path.is_file():
        return path
    if str(source) in bundled:
        return bundled[str(source)]
    hint = did_you_mean(str(source), bundled)
    raise ConfigError(f"{source}: no such {kind}{hint}; give {give}: {', '.join(sorted(bundled))}")


def find_experiment(source: str | Path) -> Path:
    """A path to an existing file, or the bundled experiment of that name."""
    return find_file(source, bundled_experiments(), kind="experiment file",
                     give="a path to a YAML file or one of the bundled experiments")


def read_yaml(path: Path) -> dict[str, Any]:
    """The YAML mapping in ``path``; a syntax error names the line."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {error.problem}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: cannot read it: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(
            f"{path}: expected a mapping with keys name, dataset, model, training, "
            f"got {type(document).__name__}"
        )
    return document


def apply_overrides(document: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """A copy of ``document`` with each ``dotted.key=value`` set (values parsed as YAML)."""
    result = copy.deepcopy(document)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. --set training.epochs=5")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        set_dotted(result, key.strip(), value, label=f"--set {item!r}")
    return result


def set_dotted(document: dict[str, Any], key: str, value: Any, *, label: str) -> None:
    """``document[a][b][c] = value`` for ``key`` ``"a.b.c"``, making missing or null sections;
    ``label`` (the override or search key as the user wrote it) starts the error message."""
    parts = key.split(".")
    node = document
    for depth, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if child is None:  # e.g. `early_stopping: null` in the file, now given a patience
            child = node[part] = {}
        if not isinstance(child, dict):
            where = ".".join(parts[: depth + 1])
            raise ConfigError(f"{label}: {where} is a value ({child!r}), not a section with keys")
        node = child
    node[parts[-1]] = copy.deepcopy(value)


def switch_dataset(document: dict[str, Any], spec: str) -> dict[str, Any]:
    """``--dataset SPEC``: the same experiment on another dataset, keeping split seed and limits.

    ``SPEC`` is a name or ``idx:...``, ``folder:DIR``, ``csv:FILE`` (see ``data.dataset_section``).
    """
    from fitbench.data._sources import dataset_section

    section = dataset_section(spec)
    result = copy.deepcopy(document)
    dataset = result.get("dataset")
    dataset = dict(dataset) if isinstance(dataset, dict) else {}
    if dataset.get("name") != section["name"] or len(section) > 1:
        for key in _DATASET_SPECIFIC:
            dataset.pop(key, None)
    result["dataset"] = {**dataset, **section}
    return result


def load_experiment(
    source: str | Path,
    overrides: list[str] | None = None,
    *,
    dataset: str | None = None,
    data_dir: str | Path | None = None,
) -> Experiment:
    """Read, override and validate an experiment; raises ``ConfigError`` naming the key."""
    path = find_experiment(source)
    document = read_yaml(path)
    if dataset is not None:
        document = switch_dataset(document, dataset)
    if data_dir is not None:
        document = apply_overrides(document, [f"dataset.data_dir={Path(data_dir).expanduser().resolve()}"])
    document = apply_overrides(document, overrides or [])
    return validate(Experiment, document, where=str(path))

