"""Read an experiment from a YAML file (or a bundled name), apply ``--set`` overrides, validate."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from fitbench.config._errors import validate
from fitbench.config._files import find_experiment
from fitbench.config._schema import DATASETS, Experiment, PythonModel
from fitbench.errors import ConfigError, did_you_mean, spelled

# Keys of the dataset section that belong to one kind of dataset only; --dataset drops them.
_DATASET_SPECIFIC = ("images", "labels", "num_classes", "train_size", "test_size", "data_dir", "path", "image_size",
                     "color_mode", "strict", "cache_dir", "class_names")


MAX_BYTES = 1_000_000  # an experiment file is a few hundred bytes; a megabyte is not a config
MAX_ALIASES = 100  # YAML anchors are handy (&base / *base); thousands are a "billion laughs" bomb
MAX_NODES = 100_000  # values in the document once every alias is expanded
MAX_DEPTH = 50


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with limits, so a small hostile file cannot take the machine:
    aliases (each one can double what validation and copying walk), nodes, nesting
    (deep ``[[[...`` recurses), and duplicate keys (refused: "the last one wins" hides typos)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> values under it, aliases expanded

    def compose_node(self, parent: Any, index: Any) -> Any:
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Limit(f"more than {MAX_ALIASES} aliases (*name)", mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Limit(f"nested more than {MAX_DEPTH} levels deep", mark)
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if self._size(node) > MAX_NODES:
            raise _Limit(f"more than {MAX_NODES:,} values once its aliases (*name) are expanded", mark)
        return node

    def _size(self, node: Any) -> int:
        # Children are composed (and sized) before their parent; an alias is its anchor's node.
        if id(node) not in self._sizes:
            if isinstance(node, yaml.SequenceNode):
                children = node.value
            elif isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            else:
                children = []
            self._sizes[id(node)] = 1 + sum(self._sizes.get(id(child), 1) for child in children)
        return self._sizes[id(node)]

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) or key is None:
                if key in seen:
                    raise _Limit(f"duplicate key {_excerpt(key)} (remove one of the two)", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _Limit(yaml.MarkedYAMLError):
    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


def _excerpt(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_yaml(text: str, where: str) -> Any:
    """The YAML document in ``text`` (read with the limits above); errors name ``where`` and the line."""
    if len(text) > MAX_BYTES:
        raise ConfigError(f"{where}: {len(text):,} characters, more than the {MAX_BYTES:,} an experiment may have")
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{where}: not valid YAML{at}: {_short(error.problem)}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{where}: not valid YAML: {_short(str(error))}") from None
    except RecursionError:  # the depth limit stops composing; the scanner/parser recurse too
        raise ConfigError(f"{where}: not valid YAML: nested too deeply") from None


def _short(text: str | None, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def read_yaml(path: Path) -> dict[str, Any]:
    """The YAML mapping in ``path``; a syntax error names the line."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read(MAX_BYTES + 1)  # bounded: a huge file is refused without reading it all
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read it: {_short(str(error))}") from None
    document = parse_yaml(text, str(path))
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
            value = parse_yaml(raw, f"--set {_short(item, 60)!r}")
        except ConfigError:
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

    ``SPEC`` is a name or ``idx:...``, ``folder:DIR``, ``csv:FILE`` (see ``dataset_section``).
    """
    section = dataset_section(spec)
    result = copy.deepcopy(document)
    dataset = result.get("dataset")
    dataset = dict(dataset) if isinstance(dataset, dict) else {}
    if dataset.get("name") != section["name"] or len(section) > 1:
        for key in _DATASET_SPECIFIC:
            dataset.pop(key, None)
    result["dataset"] = {**dataset, **section}
    return result


def customize(document: dict[str, Any], overrides: list[str] | None = None, *, dataset: str | None = None,
              data_dir: str | Path | None = None) -> dict[str, Any]:
    """An experiment (or tuning) document on another data set, with ``--set`` overrides applied."""
    if dataset is not None:
        document = switch_dataset(document, dataset)
    if data_dir is not None:
        document = apply_overrides(document, [f"dataset.data_dir={Path(data_dir).expanduser().resolve()}"])
    return apply_overrides(document, overrides or [])


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
    customized = customize(document, overrides, dataset=dataset, data_dir=data_dir)
    try:
        experiment = validate(Experiment, customized, where=str(path))
    except ConfigError:
        options = spelled_options(overrides, dataset)
        if not options or not _valid(Experiment, document):
            raise
        # The file alone is valid: the options broke it. Name them, not the file (which may be
        # a bundled one the user never opened).
        experiment = validate(Experiment, customized, where=options)
    if isinstance(experiment.model, PythonModel):  # what a run folder records for fb.fit(model, ...)
        raise ConfigError(f"{path}: model.python: a file cannot hold a Python model; "
                          "give model.zoo, model.layers or model.factory")
    return experiment


def spelled_options(overrides: list[str] | None, dataset: str | None) -> str:
    """The options that change a document, as they were given: ``--set a=1 --dataset digits`` on
    the command line, ``overrides=['a=1'], dataset='digits'`` in Python; empty if none."""
    command = [f"--set {item}" for item in overrides or []] + ([f"--dataset {dataset}"] if dataset is not None else [])
    python = ([f"overrides={overrides!r}"] if overrides else []) + ([f"dataset={dataset!r}"] if dataset is not None else [])
    return _short(spelled(", ".join(python), " ".join(command)), 120)


def _valid(model: type[BaseModel], document: Any) -> bool:
    try:
        model.model_validate(document)
    except ValidationError:
        return False
    return True


def dataset_section(spec: str) -> dict[str, Any]:
    """The ``dataset`` keys a ``--dataset`` value names: ``mnist``, ``fashion_mnist``, ``digits``,
    ``idx:IMAGES,LABELS``, ``idx:FOLDER``, ``folder:DIR`` or ``csv:FILE``."""
    name, colon, where = spec.partition(":")
    given = spelled(f"dataset={spec!r}", f"--dataset {spec}")  # as the reader wrote it
    if name not in DATASETS:
        raise ConfigError(f"{given}: expected one of {', '.join(DATASETS)} (idx:, folder: and csv: "
                          f"followed by a path){did_you_mean(name, DATASETS)}")
    if name in ("folder", "csv"):
        if not where:
            what = "DIR, a folder with one subfolder per class" if name == "folder" else "FILE, a Kaggle-layout CSV"
            raise ConfigError(f"{given}: expected {name}:{what}")
        return {"name": name, "path": where}
    if name == "idx":
        return {"name": name, **_idx_pair(where)}
    if colon:
        raise ConfigError(f"{given}: only idx:, folder: and csv: take a path; "
                          f"expected e.g. {spelled(repr('folder:~/scans'), '--dataset folder:~/scans')}")
    return {"name": name}


def _idx_pair(where: str) -> dict[str, str]:
    if "," in where:
        images, labels = (part.strip() for part in where.split(",", 1))
        return {"images": images, "labels": labels}
    folder = Path(where).expanduser()
    image_files, label_files = sorted(folder.glob("*images*")), sorted(folder.glob("*labels*"))
    if len(image_files) != 1 or len(label_files) != 1:
        given = spelled(f"dataset='idx:{where}'", f"--dataset idx:{where}")
        raise ConfigError(
            f"{given}: expected a folder with one *images* and one *labels* IDX file, or idx:IMAGES,LABELS; "
            f"e.g. {spelled('dataset=', '--dataset ')}idx:../shared/data/mnist"
        )
    return {"images": str(image_files[0]), "labels": str(label_files[0])}
