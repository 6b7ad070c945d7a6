"""The tuning file, declared once: an experiment plus a ``search`` section.

``search.space`` maps dotted keys of the experiment (``model.units``, ``training.seed``) to
what to try there. Each entry is validated on its own, so a message names the key:
``tune.yaml: search.space['model.units'].choices: ...``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from fitbench.config import validate
from fitbench.config._errors import show
from fitbench.errors import ConfigError, did_you_mean

TEST_OBJECTIVES = ("test_macro_f1", "test_accuracy", "test_loss")

# A categorical choice Optuna can store as is.
Choice = Union[bool, int, float, str, None]


class _Strict(BaseModel):
    # A typo such as `chioces:` must not be silently ignored.
    model_config = ConfigDict(extra="forbid", validate_default=True)


def _length_shorthand(value: Any) -> Any:
    # `length: 3` is short for a fixed length, `{type: int, low: 3, high: 3}`.
    if isinstance(value, int) and not isinstance(value, bool):
        return {"low": value, "high": value}
    return value


class LengthSpec(_Strict):
    """How many values a list-valued key gets; value i exists only when the length is > i."""

    type: Literal["int"] = "int"
    low: PositiveInt = Field(description="fewest values (layers)", examples=[2])
    high: PositiveInt = Field(description="most values (layers)", examples=[3])

    @model_validator(mode="after")
    def check_range(self) -> LengthSpec:
        _check_low_high(self.low, self.high)
        return self


Length = Annotated[LengthSpec | None, BeforeValidator(_length_shorthand)]


class CategoricalParam(_Strict):
    type: Literal["categorical"]
    choices: list[Choice] = Field(description="the values to try", examples=[[32, 64, 128]])
    length: Length = Field(None, description="a list of this many choices (e.g. layer sizes)")

    @field_validator("choices")
    @classmethod
    def check_not_empty(cls, value: list[Choice]) -> list[Choice]:
        if not value:
            raise ValueError("expected at least one value to try, got []; e.g. `choices: [32, 64, 128]`")
        return value

    @model_validator(mode="after")
    def check_unique(self) -> CategoricalParam:
        seen = [choice for index, choice in enumerate(self.choices) if choice in self.choices[:index]]
        if seen:
            raise ValueError(f"choices repeat {seen[0]!r}; list each value once")
        return self


class IntParam(_Strict):
    type: Literal["int"]
    low: int = Field(description="smallest value", examples=[1])
    high: int = Field(description="largest value (included)", examples=[46])
    step: PositiveInt = Field(1, description="spacing between values")
    log: bool = Field(False, description="sample on a log scale")
    length: Length = None

    @model_validator(mode="after")
    def check_range(self) -> IntParam:
        _check_low_high(self.low, self.high)
        _check_log(self.log, self.low)
        if self.log and self.step != 1:
            raise ValueError("log: true needs step: 1 (Optuna cannot combine them); drop one")
        return self


class FloatParam(_Strict):
    type: Literal["float"]
    low: float = Field(description="smallest value", examples=[1e-4])
    high: float = Field(description="largest value", examples=[1e-2])
    step: PositiveFloat | None = Field(None, description="spacing between values; null: continuous")
    log: bool = Field(False, description="sample on a log scale (learning rates)")
    length: Length = None

    @model_validator(mode="after")
    def check_range(self) -> FloatParam:
        _check_low_high(self.low, self.high)
        _check_log(self.log, self.low)
        if self.log and self.step is not None:
            raise ValueError("log: true and step cannot be combined (Optuna refuses it); drop one")
        return self


Param = Union[CategoricalParam, IntParam, FloatParam]
PARAM_TYPES: dict[str, type[Param]] = {"categorical": CategoricalParam, "int": IntParam, "float": FloatParam}


def _check_low_high(low: float, high: float) -> None:
    if low > high:
        raise ValueError(f"low ({low}) is greater than high ({high}); swap them")


def _check_log(log: bool, low: float) -> None:
    if log and low <= 0:
        raise ValueError(f"log: true needs low > 0, got low: {low}; use a positive low such as 1.0e-5")


class SamplerConfig(_Strict):
    name: Literal["tpe", "random"] = Field("tpe", description="tpe: learns from finished trials")
    seed: int | None = Field(0, description="same seed, same trials (one worker); null: random", examples=[0])


class PruningConfig(_Strict):
    """When the median pruner starts judging (Optuna's ``n_startup_trials`` and ``n_warmup_steps``)."""

    startup_trials: NonNegativeInt = Field(
        5, description="trials that run in full before any is pruned: the median needs them", examples=[5])
    warmup_epochs: NonNegativeInt = Field(
        0, description="epochs every trial runs before it can be pruned", examples=[0])


class HeartbeatConfig(_Strict):
    """How a dead worker is noticed: its trial is marked failed and tried again."""

    interval: PositiveInt = Field(10, description="seconds between a running trial's heartbeats", examples=[10])
    grace_period: PositiveInt = Field(60, description="seconds without a heartbeat before the trial is failed",
                                      examples=[60])
    max_retry: NonNegativeInt = Field(2, description="how often a failed trial is tried again", examples=[2])

    @model_validator(mode="after")
    def check_grace(self) -> HeartbeatConfig:
        if self.grace_period <= self.interval:
            raise ValueError(
                f"grace_period ({self.grace_period} s) must be longer than interval ({self.interval} s), "
                "or live trials get failed; e.g. grace_period: 60 with interval: 10"
            )
        return self


class SearchConfig(_Strict):
    """The ``search`` section: what is optimised, how, and over which keys."""

    # force_test and multi_objective come first: the checks of objective and pruner read them.
    force_test: bool = Field(False, description="allow a test_* objective (a leak; reports say so)")
    objective: Literal[
        "val_macro_f1", "val_accuracy", "val_loss", "test_macro_f1", "test_accuracy", "test_loss"
    ] = Field("val_macro_f1", description="the validation score to optimise", examples=["val_macro_f1"])
    trials: PositiveInt = Field(20, description="trials in total, finished ones included", examples=[20])
    timeout: PositiveFloat | None = Field(None, description="seconds after which no new trial starts",
                                          examples=[600])
    multi_objective: bool = Field(False, description="also minimise the parameter count (Pareto front)")
    pruner: Literal["none", "median", "hyperband"] | None = Field(
        None, description="stops poor trials after an epoch; default median (none when multi-objective)",
        examples=["median"])
    pruning: PruningConfig = Field(default_factory=PruningConfig)
    sampler: SamplerConfig = Field(default_factory=SamplerConfig)
    heartbeat: HeartbeatConfig = Field(default_factory=HeartbeatConfig)
    space: dict[str, Any] = Field(description="dotted key: what to try there",
                                  examples=[{"training.seed": {"type": "int", "low": 1, "high": 46}}])

    @field_validator("objective")
    @classmethod
    def check_test_objective(cls, value: str, info: ValidationInfo) -> str:
        if value in TEST_OBJECTIVES and not info.data.get("force_test"):
            honest = value.replace("test_", "val_")
            raise ValueError(
                f"{value} would choose the model on the test split, so its test score would no longer "
                f"estimate how it does on new images (the course's leak); use {honest}, or set "
                "search.force_test: true to do it anyway (the report will say so)"
            )
        return value

    @field_validator("pruner")
    @classmethod
    def check_pruner(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("multi_objective") and value not in (None, "none"):
            raise ValueError(
                f"{value} cannot judge a multi-objective trial (Optuna prunes on one score); "
                "set pruner: none or remove multi_objective"
            )
        return value

    @field_validator("space")
    @classmethod
    def check_space_not_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("expected at least one key to search, got {}; "
                             "e.g. `space: {training.seed: {type: int, low: 1, high: 46}}`")
        return value

    @property
    def split(self) -> str:
        """``val`` or ``test``: the split the objective reads."""
        return self.objective.split("_", 1)[0]

    @property
    def metric(self) -> str:
        """``macro_f1``, ``accuracy`` or ``loss``."""
        return self.objective.split("_", 1)[1]

    @property
    def direction(self) -> Literal["minimize", "maximize"]:
        return "minimize" if self.metric == "loss" else "maximize"

    @property
    def directions(self) -> list[Literal["minimize", "maximize"]]:
        """One direction per objective value: the score, then (multi-objective) the parameter count."""
        return [self.direction, "minimize"] if self.multi_objective else [self.direction]

    @property
    def pruner_name(self) -> str:
        if self.pruner is not None:
            return self.pruner
        return "none" if self.multi_objective else "median"


def parse_search(section: Any, *, where: str) -> tuple[SearchConfig, dict[str, Param]]:
    """The validated ``search`` section and its space; every bad entry is one line naming its key."""
    search = validate(SearchConfig, section, where=where, prefix="search")
    lines: list[str] = []
    space: dict[str, Param] = {}
    for key, entry in search.space.items():
        try:
            space[key] = parse_param(key, entry, where=where)
        except ConfigError as error:
            lines.append(str(error))
    if lines:
        raise ConfigError("\n".join(lines))
    return search, space


def parse_param(key: str, entry: Any, *, where: str) -> Param:
    """One space entry, e.g. ``{type: int, low: 1, high: 46}``."""
    prefix = space_key(key)
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: {prefix}: expected a mapping like `{{type: int, low: 1, high: 46}}` "
                          f"or `{{type: categorical, choices: [32, 64]}}`, got {show(entry)}")
    kind = entry.get("type")
    if not isinstance(kind, str) or kind not in PARAM_TYPES:  # `type: [int]` is a list: no dict key
        hint = did_you_mean(kind, PARAM_TYPES) if isinstance(kind, str) else ""
        got = "no type" if kind is None else f"type: {show(kind)}"
        raise ConfigError(f"{where}: {prefix}.type: expected one of {', '.join(PARAM_TYPES)}, got {got}{hint}; "
                          "e.g. `{type: int, low: 1, high: 46}`")
    try:
        return validate(PARAM_TYPES[kind], entry, where=where, prefix=_PLACEHOLDER)
    except ConfigError as error:
        # validate() takes one identifier as prefix; the real one holds dots: put it back.
        raise ConfigError(str(error).replace(_PLACEHOLDER, prefix)) from None


_PLACEHOLDER = "SPACE_ENTRY"


def space_key(key: str) -> str:
    """How messages name a space entry: ``search.space['model.units']``."""
    return f"search.space[{key!r}]"
