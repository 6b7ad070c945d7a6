"""The experiment file, declared once: every field with its default, range and meaning.

Cross-field rules are small ``check_*`` validators. Messages from validators say what was
expected and how to fix it; ``_errors.py`` turns them into one line per problem.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args

from fitbench.errors import did_you_mean
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

DatasetName = Literal["mnist", "fashion_mnist", "digits", "idx", "folder", "csv"]
DATASETS: tuple[str, ...] = get_args(DatasetName)  # --dataset's choices
OFFICIAL = ("mnist", "fashion_mnist")
# Sources split three ways (test, then validation) from one pool of images.
_SPLIT_ALL = ("idx", "digits", "folder", "csv")


class _Strict(BaseModel):
    # Unknown keys are errors: a typo such as `epoch:` must not be silently ignored.
    model_config = ConfigDict(extra="forbid", validate_default=True)


def _refuse_bool(value: Any) -> Any:
    # YAML's `yes`/`true` would otherwise pass as the count 1.
    if isinstance(value, bool):
        raise ValueError(f"expected a fraction in (0, 1) or a whole number of images, got {value!r}")
    return value


def _check_size(value: float | int) -> float | int:
    # Same convention as scikit-learn's train_test_split: a float is a fraction, an int a count.
    if isinstance(value, int) and value < 1:
        raise ValueError(f"expected a whole number of images >= 1, got {value}")
    if isinstance(value, float) and not 0.0 < value < 1.0:
        raise ValueError(
            f"expected a fraction strictly between 0 and 1 (e.g. 0.2) or a whole number of "
            f"images (e.g. 2000), got {value}"
        )
    return value


def _whole_number(value: Any) -> Any:
    # YAML's `yes`/`true` are booleans, which pydantic would otherwise count as 1.
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


Size = Annotated[Union[int, float], BeforeValidator(_refuse_bool), AfterValidator(_check_size)]
# Bounds that keep a config from validating and then crashing: NumPy, JAX and scikit-learn
# seeds are unsigned 32-bit; counts and sizes far beyond any sensible experiment are typos.
Seed = Annotated[int, BeforeValidator(_whole_number), Field(ge=0, lt=2**32)]
Whole = Annotated[int, BeforeValidator(_whole_number)]
Count = Annotated[int, BeforeValidator(_whole_number), Field(gt=0)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Width = Annotated[int, BeforeValidator(_whole_number), Field(gt=0, le=65_536)]  # units, filters
Rate = Annotated[float, Field(ge=0.0, lt=1.0)]


class DatasetConfig(_Strict):
    """Which images, how they are split into train/val/test, and how they are scaled."""

    name: DatasetName = Field(
        "mnist", description="mnist | fashion_mnist | digits | idx | folder | csv", examples=["mnist"]
    )
    data_dir: Path | None = Field(
        None, description="folder with the four IDX files or a .npz (mnist, fashion_mnist)",
        examples=["~/data/mnist"],
    )
    images: Path | None = Field(None, description="IDX image file (idx only)",
                                examples=["t10k-images-idx3-ubyte.gz"])
    labels: Path | None = Field(None, description="IDX label file (idx only)",
                                examples=["t10k-labels-idx1-ubyte.gz"])
    path: Path | None = Field(
        None, description="folder: one subfolder of images per class (optionally under train/ and test/); "
        "csv: a file with a label column and pixel0..pixelN", examples=["~/data/scans"],
    )
    image_size: Annotated[list[Annotated[int, Field(ge=1, le=4096)]], Field(min_length=2, max_length=2)] | None = Field(
        None, description="folder: [height, width] every image is resized to (default: the most common size)",
        examples=[[28, 28]],
    )
    color_mode: Literal["grayscale", "rgb"] | None = Field(
        None, description="folder: grayscale or rgb (default: the most common of the images)", examples=["grayscale"]
    )
    strict: bool = Field(False, description="folder: refuse unreadable image files instead of skipping them")
    cache_dir: Path | None = Field(
        None, description="folder: where decoded images are cached (default: ~/.cache/fitbench)",
        examples=["~/.cache/fitbench"],
    )
    class_names: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        None, min_length=2, max_length=10_000,
        description="the classes' names in label order (folder: set from the subfolder names)",
        examples=[["cat", "dog"]],
    )
    train_size: Size | None = Field(None, description="train split size (idx, digits, folder, csv)",
                                    examples=[6000])
    val_size: Size = Field(0.2, description="validation split: fraction or count of the training images",
                           examples=[0.2])
    test_size: Size | None = Field(None, description="test split size (idx, digits, folder, csv; default 0.2; "
                                   "folder: its test/ subfolder when it has one)",
                                   examples=[2000])
    seed: Seed = Field(42, description="seed of the random split (the course uses 42)", examples=[42])
    stratify: bool = Field(False, description="keep class proportions in every split", examples=[False])
    train_limit: Count | None = Field(None, description="use only the first N training images",
                                            examples=[1000])
    val_limit: Count | None = Field(None, description="use only the first N validation images",
                                          examples=[200])
    normalize: bool = Field(True, description="scale every split to 0..1 (false: raw pixels)",
                            examples=[True])
    num_classes: Count | None = Field(None, le=10_000, description="number of classes (idx, csv; default: max label + 1)",
                                            examples=[10])
    folds: Whole | None = Field(None, ge=2, description="k-fold cross-validation: train+val split into this many "
                              "stratified folds", examples=[5])
    fold: Whole | None = Field(None, ge=0, description="which fold (0-based) is the validation split",
                                        examples=[0])

    @field_validator("data_dir", "images", "labels", "path", "cache_dir")
    @classmethod
    def check_path(cls, value: Path | None) -> Path | None:
        # Relative paths resolve against the current directory, as on the command line;
        # the resolved config stores them absolute so the run can be evaluated from anywhere.
        if value is None:
            return None
        try:
            return value.expanduser().resolve()
        except RuntimeError:  # "~name" for a user this machine does not have
            raise ValueError(f"expected a path, got {str(value)!r}, whose ~user is not known here") from None

    @model_validator(mode="after")
    def check_keys_fit_the_dataset(self) -> DatasetConfig:
        only = {
            "images": ("idx",), "labels": ("idx",), "num_classes": ("idx", "csv"),
            "train_size": _SPLIT_ALL, "test_size": _SPLIT_ALL,
            "data_dir": OFFICIAL, "path": ("folder", "csv"),
            "image_size": ("folder",), "color_mode": ("folder",), "cache_dir": ("folder",),
        }
        for key, names in only.items():
            if getattr(self, key) is not None and self.name not in names:
                raise ValueError(
                    f"dataset.{key} applies to name: {' or '.join(names)}, not to name: {self.name}; "
                    f"remove dataset.{key} or change dataset.name"
                )
        if (self.folds is None) != (self.fold is None) or (self.folds is not None and self.fold is not None
                                                            and self.fold >= self.folds):
            raise ValueError(
                f"dataset.folds and dataset.fold go together, with 0 <= fold < folds; got folds={self.folds}, "
                f"fold={self.fold}"
            )
        if self.strict and self.name != "folder":
            raise ValueError(f"dataset.strict applies to name: folder, not to name: {self.name}; remove dataset.strict")
        if self.name in ("folder", "csv") and self.path is None:
            what = "a folder with one subfolder of images per class" if self.name == "folder" else "a CSV file"
            raise ValueError(f"dataset name: {self.name} needs dataset.path ({what})")
        if self.name == "idx" and (self.images is None or self.labels is None):
            raise ValueError(
                "dataset name: idx needs both dataset.images and dataset.labels "
                "(paths to an IDX image file and its label file)"
            )
        return self


class _Layer(_Strict):
    pass


Activation = Literal["relu", "sigmoid", "tanh", "softmax", "linear", "gelu", "elu", "selu", "swish"]


class FlattenLayer(_Layer):
    type: Literal["flatten"]


class DenseLayer(_Layer):
    type: Literal["dense"]
    units: Width = Field(description="number of neurons", examples=[128])
    activation: Activation = "relu"
    l2: Finite | None = Field(None, ge=0.0, description="L2 weight penalty", examples=[1e-4])


class DropoutLayer(_Layer):
    type: Literal["dropout"]
    rate: Rate = Field(description="fraction of units dropped while training", examples=[0.2])


class RescalingLayer(_Layer):
    type: Literal["rescaling"]
    scale: Finite = Field(description="multiplier", examples=[1 / 127.5])
    offset: Finite = 0.0


class RandomFlipLayer(_Layer):
    type: Literal["random_flip"]
    mode: Literal["horizontal", "vertical", "horizontal_and_vertical"] = "horizontal"


class RandomRotationLayer(_Layer):
    type: Literal["random_rotation"]
    factor: float = Field(gt=0.0, le=1.0, description="fraction of a full turn", examples=[0.05])


class ReshapeLayer(_Layer):
    type: Literal["reshape"]
    target_shape: list[Width] = Field(min_length=1, max_length=8, examples=[[28, 28, 1]])


class Conv2DLayer(_Layer):
    type: Literal["conv2d"]
    filters: Width = Field(examples=[32])
    kernel_size: Count = Field(3, le=256)
    strides: Count = Field(1, le=256)
    padding: Literal["valid", "same"] = "valid"
    activation: Activation = "relu"
    l2: Finite | None = Field(None, ge=0.0)


class MaxPooling2DLayer(_Layer):
    type: Literal["max_pooling2d"]
    pool_size: Count = Field(2, le=256)


class BatchNormLayer(_Layer):
    type: Literal["batch_norm"]


def _layer_shorthand(value: Any) -> Any:
    # `- flatten` in YAML is short for `- {type: flatten}`.
    return {"type": value} if isinstance(value, str) else value


LayerSpec = Annotated[
    Union[
        FlattenLayer, DenseLayer, DropoutLayer, RescalingLayer, RandomFlipLayer,
        RandomRotationLayer, ReshapeLayer, Conv2DLayer, MaxPooling2DLayer, BatchNormLayer,
    ],
    Field(discriminator="type"),
    BeforeValidator(_layer_shorthand),
]

# Options a zoo model may take.
ZOO_OPTIONS = ("augment", "rotation", "rate", "l2", "units", "rescale", "filters")
# Each zoo model and the options it takes, declared here so that checking an experiment file
# needs no Keras (tests/models checks this table against the builders' signatures).
ZOO_MODELS: dict[str, tuple[str, ...]] = {
    "first": ("augment", "rotation", "l2"),
    "small": ("augment", "rotation", "l2"),
    "dropout": ("rate", "augment", "rotation", "l2"),
    "rescaling": ("rate",),
    "functional": (),
    "bypass": (),
    "subclass": (),
    "mlp": ("units", "rescale", "rate", "l2"),
    "cnn": ("filters", "units", "rate", "l2"),
}


def _zoo_schema(schema: dict[str, Any]) -> None:
    # Editors complete the zoo names and flag an option the chosen model does not take.
    schema["properties"]["zoo"] = {"enum": [*ZOO_MODELS, None], "description": "a course model by name",
                                   "default": None}
    schema["allOf"] = [
        {"if": {"properties": {"zoo": {"const": name}}, "required": ["zoo"]},
         "then": {"not": {"anyOf": [{"required": [option]} for option in ZOO_OPTIONS if option not in takes]}}}
        for name, takes in ZOO_MODELS.items() if len(takes) < len(ZOO_OPTIONS)
    ]


class ModelConfig(_Strict):
    """One of: a zoo model by name (with its options), a list of layers, or a factory."""

    model_config = ConfigDict(extra="forbid", validate_default=True, json_schema_extra=_zoo_schema)

    zoo: str | None = Field(None, description="a course model by name", examples=["first"])
    layers: list[LayerSpec] | None = Field(None, min_length=1, description="layers, first to last")
    factory: str | None = Field(None, description="package.module:function returning a keras.Model",
                                examples=["mypkg.models:build"])
    kwargs: dict[str, Any] = Field(default_factory=dict, description="arguments for the factory")
    python: str | None = Field(None, description="set by fitbench: a model passed from Python")
    augment: list[Literal["flip", "rotation"]] | None = Field(None, examples=[["rotation"]])
    rotation: float | None = Field(None, gt=0.0, le=1.0, examples=[0.05])
    rate: Rate | None = Field(None, description="dropout rate", examples=[0.2])
    l2: Finite | None = Field(None, ge=0.0, description="L2 penalty on Dense kernels", examples=[1e-4])
    units: list[Width] | None = Field(None, min_length=1, examples=[[128, 128]])
    rescale: bool | None = Field(None, description="Rescaling to -1..1 inside the model")
    filters: list[Width] | None = Field(None, min_length=1, examples=[[32, 64]])

    @field_validator("zoo")
    @classmethod
    def check_zoo_name(cls, value: str | None) -> str | None:
        if value is not None and value not in ZOO_MODELS:
            raise ValueError(f"expected one of {', '.join(ZOO_MODELS)}, got {value!r}{did_you_mean(value, ZOO_MODELS)}")
        return value

    @field_validator("factory")
    @classmethod
    def check_factory(cls, value: str | None) -> str | None:
        if value is not None:
            from fitbench.models import resolve_factory  # the factory's own module needs Keras anyway

            resolve_factory(value)  # its ConfigError (a ValueError) becomes this key's message
        return value

    @model_validator(mode="after")
    def check_one_source(self) -> ModelConfig:
        given = [key for key in ("zoo", "layers", "factory", "python") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(
                f"expected exactly one of model.zoo, model.layers or model.factory, got "
                f"{', '.join(given) or 'none'}; e.g. `model: {{zoo: first}}`"
            )
        return self

    @model_validator(mode="after")
    def check_options_fit_the_source(self) -> ModelConfig:
        used = [key for key in ZOO_OPTIONS if getattr(self, key) is not None]
        accepted = set(ZOO_MODELS.get(self.zoo or "", ()))
        for key in used:
            if key not in accepted:
                takes = ", ".join(sorted(accepted)) or "no options"
                where = f"zoo model {self.zoo!r} takes {takes}" if self.zoo else "options apply to zoo models only"
                raise ValueError(f"model.{key} is not used here: {where}; remove model.{key}")
        if self.kwargs and self.factory is None:
            raise ValueError("model.kwargs applies to model.factory only; remove model.kwargs")
        return self

    def zoo_kwargs(self) -> dict[str, Any]:
        """The options given for a zoo model, ready for ``build_model``."""
        return {key: getattr(self, key) for key in ZOO_OPTIONS if getattr(self, key) is not None}


def _early_stopping_shorthand(value: Any) -> Any:
    # `early_stopping: 3` is short for `early_stopping: {patience: 3}`, like fb.fit(early_stopping=3).
    if isinstance(value, int) and not isinstance(value, bool):
        return {"patience": value}
    return value


class EarlyStoppingConfig(_Strict):
    patience: Whole = Field(3, ge=0, le=100_000, description="epochs without improvement before stopping",
                            examples=[3])
    monitor: Literal["val_loss", "val_accuracy", "loss", "accuracy"] = "val_loss"
    min_delta: Finite = Field(0.0, ge=0.0, description="smallest change that counts as improvement")
    restore_best_weights: bool = Field(True, description="go back to the best epoch's weights")


class TrainingConfig(_Strict):
    """How the model is trained: the course's settings are the defaults."""

    # null (fit() with optimizer/learning_rate left out): a compiled model's own, else adam at 3e-4.
    optimizer: Literal["adam", "sgd", "rmsprop"] | None = Field(
        "adam", description="null: a compiled model's own optimizer, else adam")
    learning_rate: Annotated[Finite, Field(gt=0.0, le=10.0)] | None = Field(
        3e-4, description="step size (null: the optimizer's own, else 3e-4)", examples=[3e-4])
    batch_size: Count = Field(10, le=1_000_000, description="images per step (the course uses 10)", examples=[10])
    epochs: Count = Field(25, le=100_000, description="passes over the training data", examples=[25])
    early_stopping: Annotated[EarlyStoppingConfig | None, BeforeValidator(_early_stopping_shorthand)] = Field(
        None, description="null: off", examples=[{"patience": 3}]
    )
    shuffle: bool = Field(True, description="reshuffle the training data every epoch")
    seed: Seed = Field(42, description="seeds weights, shuffling, dropout and augmentation", examples=[42])
    engine: Literal["compiled", "keras"] = Field(
        "compiled", description="compiled: one XLA call per epoch (falls back to keras when it cannot); "
        "keras: plain keras.Model.fit", examples=["compiled"])


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


class Experiment(_Strict):
    """A whole experiment file."""

    name: str = Field(description="run name: letters, digits, '.', '_' and '-'", examples=["first-mnist"])
    description: str | None = None
    dataset: DatasetConfig = Field(default_factory=DatasetConfig)
    model: ModelConfig
    training: TrainingConfig = Field(default_factory=TrainingConfig)

    @field_validator("name")
    @classmethod
    def check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"expected 1-80 letters, digits, '.', '_' or '-' (it names the run folder), got {value!r}"
            )
        return value
