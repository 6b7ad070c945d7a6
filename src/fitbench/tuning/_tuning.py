"""Read a tuning file (or a bundled one by name), or build one from Python, and validate it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fitbench.config import Experiment, validate
from fitbench.config._files import bundled_files, find_file
from fitbench.config._load import customize, read_yaml
from fitbench.errors import ConfigError
from fitbench.tuning._schema import Param, SearchConfig, parse_search
from fitbench.tuning._space import check_space, with_values


@dataclass(frozen=True)
class Tuning:
    """A validated tuning file: the base experiment, the search settings and the space."""

    experiment: Experiment
    search: SearchConfig
    space: dict[str, Param]
    source: str

    @property
    def document(self) -> dict[str, Any]:
        # The validated experiment (defaults filled, paths absolute) is the base of every trial,
        # so all workers start from the same document.
        return self.experiment.model_dump(mode="json")

    def trial_experiment(self, values: dict[str, Any], *, name: str) -> Experiment:
        """The experiment one trial trains: the base with the sampled values written in."""
        document = with_values(self.document, values) | {"name": name}
        return validate(Experiment, document, where=f"{self.source}: trial {name}")

    def to_dict(self) -> dict[str, Any]:
        """Everything a worker process needs to rebuild this tuning (plain data: picklable, JSON)."""
        return {"experiment": self.document, "search": self.search.model_dump(mode="json"), "source": self.source}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tuning:
        return load_tuning({**data["experiment"], "search": data["search"]}, where=data["source"])


def bundled_tunings() -> dict[str, Path]:
    """The tuning files shipped inside the package, by name (``tune``, ``tune-wide``).

    They live in ``experiments/tuning/`` so that ``fitbench train`` (which lists
    ``experiments/*.yaml``) never picks up a file with a ``search`` section.
    """
    return bundled_files("tuning")


def find_tuning(source: str | Path) -> Path:
    """A path to an existing file, or the bundled tuning file of that name."""
    return find_file(source, bundled_tunings(), kind="tuning file",
                     give="a path to a YAML file with a search section, or one of the bundled ones")


def load_tuning(
    source: str | Path | Experiment | dict[str, Any] | Tuning,
    search: dict[str, Any] | None = None,
    *,
    where: str | None = None,
    overrides: list[str] | None = None,
    dataset: str | None = None,
    data_dir: str | Path | None = None,
) -> Tuning:
    """Validate a tuning file, a document, or an ``Experiment`` plus a ``search`` mapping.

    Args:
        search: the ``search`` section, replacing the source's own (required for an Experiment).
        overrides, dataset, data_dir: as ``fitbench tune``'s ``--set KEY=VALUE``, ``--dataset``
            (e.g. ``"digits"``, offline) and ``--data-dir``.
    """
    if isinstance(source, Tuning):
        if search is None and not (overrides or dataset is not None or data_dir is not None):
            return source
        data = source.to_dict()
        return load_tuning(data["experiment"], search or data["search"], where=where or source.source,
                           overrides=overrides, dataset=dataset, data_dir=data_dir)
    if isinstance(source, Experiment):
        document, where = source.model_dump(mode="json"), where or "fb.tune()"
    elif isinstance(source, dict):
        document, where = dict(source), where or "fb.tune()"
    else:
        path = find_tuning(source)
        document, where = read_yaml(path), where or str(path)
    if search is not None:
        document["search"] = search
    tuning = check_tuning(customize(document, overrides, dataset=dataset, data_dir=data_dir), where=where)
    from fitbench.training import check_model  # Keras: only once the file is known good

    check_model(tuning.experiment.model, where=where)
    return tuning


def check_tuning(document: dict[str, Any], *, where: str) -> Tuning:
    """``document`` (an experiment and its ``search`` section) validated without Optuna, Keras
    or JAX: the search settings, the experiment, and every value the space can give it."""
    document = dict(document)
    section = document.pop("search", None)
    if section is None:
        raise ConfigError(
            f"{where}: search: required section is missing; add e.g. "
            "`search: {space: {training.seed: {type: int, low: 1, high: 46}}}` "
            "(see fitbench/experiments/tuning/tune.yaml)"
        )
    parsed, space = parse_search(section, where=where)
    experiment = validate(Experiment, document, where=where)
    check_space(experiment.model_dump(mode="json"), space, where=where)
    return Tuning(experiment=experiment, search=parsed, space=space, source=where)
