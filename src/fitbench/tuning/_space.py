"""The search space: sampling values from an Optuna trial and writing them into the experiment.

Optuna parameter names are the dotted keys themselves; a list-valued key ``model.units``
with a ``length`` becomes ``model.units.length`` plus ``model.units[0]``, ``model.units[1]``...,
where ``model.units[i]`` is only sampled when the length is greater than i (a conditional
parameter: a 2-layer trial has no third layer size).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fitbench.config import Experiment, validate
from fitbench.config._load import set_dotted
from fitbench.errors import ConfigError
from fitbench.tuning._schema import CategoricalParam, FloatParam, IntParam, Param, space_key

if TYPE_CHECKING:  # checking a space (fitbench tune's arguments) imports no Optuna
    import optuna


def suggest(trial: optuna.Trial, space: dict[str, Param]) -> dict[str, Any]:
    """``{dotted key: value}`` for one trial; list-valued keys get a list."""
    values: dict[str, Any] = {}
    for key, param in space.items():
        if param.length is None:
            values[key] = _suggest_one(trial, key, param)
            continue
        count = trial.suggest_int(f"{key}.length", param.length.low, param.length.high)
        values[key] = [_suggest_one(trial, f"{key}[{index}]", param) for index in range(count)]
    return values


def _suggest_one(trial: optuna.Trial, name: str, param: Param) -> Any:
    if isinstance(param, CategoricalParam):
        return trial.suggest_categorical(name, param.choices)
    if isinstance(param, IntParam):
        return trial.suggest_int(name, param.low, param.high, step=param.step, log=param.log)
    return trial.suggest_float(name, param.low, param.high, step=param.step, log=param.log)


def with_values(document: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with each dotted key set, like ``--set key=value``."""
    result = copy.deepcopy(document)
    for key, value in values.items():
        set_dotted(result, key, value, label=space_key(key))
    return result


def check_space(document: dict[str, Any], space: dict[str, Param], *, where: str) -> None:
    """Refuse, before any training, a key the experiment does not have or a value it cannot take.

    Each key's extreme values (low, high, every choice, shortest and longest list) are
    written into the experiment one at a time and validated as a plain experiment.
    """
    lines: list[str] = []
    for key, param in space.items():
        for value in probe_values(param):
            try:
                candidate = with_values(document, {key: value})
            except ConfigError as error:
                lines.append(f"{where}: {error}")
                break
            try:
                validate(Experiment, candidate, where=f"{where}: {space_key(key)} = {value!r} gives")
            except ConfigError as error:
                lines.append(str(error).splitlines()[0])
                break  # one message per key is enough
    if lines:
        raise ConfigError("\n".join(lines))


def probe_values(param: Param) -> Iterator[Any]:
    """The values that bound what ``param`` can produce."""
    if isinstance(param, CategoricalParam):
        singles: list[Any] = list(param.choices)
    elif isinstance(param, FloatParam):
        singles = [float(param.low), float(param.high)]
    else:
        singles = [param.low, param.high]
    if param.length is None:
        yield from singles
        return
    for value, count in itertools.product(singles, {param.length.low, param.length.high}):
        yield [value] * count


def space_summary(space: dict[str, Param]) -> dict[str, str]:
    """One readable line per key, for reports: ``{2..3} x {32, 64, 128}``."""
    return {key: _describe(param) for key, param in space.items()}


def _describe(param: Param) -> str:
    if isinstance(param, CategoricalParam):
        text = "{" + ", ".join(str(choice) for choice in param.choices) + "}"
    else:
        text = f"{param.low}..{param.high}" + (" (log)" if param.log else "")
    if param.length is None:
        return text
    return f"lists of {param.length.low}..{param.length.high} values, each in {text}"
