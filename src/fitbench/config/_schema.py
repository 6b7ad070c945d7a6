"""The experiment file, declared once: every field with its default, range and meaning.

Cross-field rules are small ``check_*`` validators. Messages from validators say what was
expected and how to fix it; ``_errors.py`` turns them into one line per problem.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args

from fitbench.errors import ConfigError, did_you_mean
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
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
    model_config = ConfigDict(extra="forbid", validate_default=True, defer_build=True)


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


def _absolute(value: Path) -> Path:
    # Relative paths resolve against the current directory, as on the command line; the
    # resolved config stores them absolute so the run can be evaluated from anywhere.
    try:
        return value.expanduser().resolve()
    except RuntimeError:  # "~name" for a user this machine does not have
        raise ValueError(f"expected a path, got {str(value)!r}, whose ~user is not known here") from None


class LabelIssuesSetting(_Strict):
    """Train on the labels an audit doubts, dropped or corrected: does the model improve?"""

    action: Literal["drop", "relabel"] = Field(
        description="drop: leave the suspects out of the train and validation splits; relabel: give them the "
        "label the audit suggests (the test split is never changed)", examples=["drop"])
    csv: Annotated[Path, AfterValidator(_absolute)] = Field(
        description="the audit's label_issues.csv (fitbench audit DATASET writes it), of this data set",
        examples=["runs/audit-digits/label_issues.csv"])
    top: Count | None = Field(None, le=10_000_000, description="only the N most doubtful suspects (default: all)",
                              examples=[50])


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
    label_issues: LabelIssuesSetting | None = Field(
        None, description="an audit's suspect labels, dropped or relabelled before training")

    @field_validator("data_dir", "images", "labels", "path", "cache_dir")
    @classmethod
    def check_path(cls, value: Path | None) -> Path | None:
        return None if value is None else _absolute(value)

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

def split_factory(spec: str) -> tuple[str, str]:
    """``("package.module", "function")`` from ``"package.module:function"``; imports nothing."""
    module, sep, attribute = str(spec).partition(":")
    if not sep or not module or not attribute:
        raise ConfigError(
            f"model factory: got {spec!r}, expected 'module:function' with a colon, "
            "e.g. 'mypackage.models:make_model'; write the module's import path, a colon, then the function"
        )
    return module, attribute


_SOURCES = ("zoo", "layers", "factory", "python")


class ModelSource(_Strict):
    """A ``model`` section of any kind: a zoo model, a list of layers, a factory, or a model from Python."""

    @classmethod
    def source(cls) -> str:
        """The key that names where the model comes from: zoo, layers, factory or python."""
        return next(key for key in _SOURCES if key in cls.model_fields)


class ZooModel(ModelSource):
    """A course model by name; each subclass declares the options its builder takes."""

    zoo: str = Field(description="a course model by name", examples=["first"])

    @model_validator(mode="before")
    @classmethod
    def check_options(cls, data: Any) -> Any:
        # Another zoo model's option: name the options this one takes. Any other unknown key is
        # pydantic's "unknown key (did you mean ...)".
        if isinstance(data, dict):
            for key in data:
                if key not in cls.model_fields and key in _zoo_options():
                    takes = ", ".join(sorted(cls.model_fields.keys() - {"zoo"})) or "no options"
                    raise ValueError(f"model.{key} is not used here: zoo model {cls.name()!r} takes {takes}; "
                                     f"remove model.{key}")
        return data

    @classmethod
    def name(cls) -> str:
        """The zoo name, the ``Literal`` of the subclass's ``zoo`` field."""
        return str(get_args(cls.model_fields["zoo"].annotation)[0])

    def zoo_kwargs(self) -> dict[str, Any]:
        """The options given, ready for ``build_model``."""
        return self.model_dump(exclude={"zoo"}, exclude_none=True)


Augment = Annotated[list[Literal["flip", "rotation"]] | None, Field(
    description="random image layers, active only while training: flip (horizontal), rotation",
    examples=[["rotation"]])]
Rotation = Annotated[float | None, Field(gt=0.0, le=1.0, description="largest rotation, a fraction of a full turn",
                                         examples=[0.05])]
L2 = Annotated[Finite | None, Field(ge=0.0, description="L2 penalty on Dense kernels", examples=[1e-4])]
DropoutRate = Annotated[Rate | None, Field(description="dropout rate after each hidden layer", examples=[0.2])]
Units = Annotated[list[Width] | None, Field(min_length=1, description="Dense relu layers' sizes, first to last",
                                            examples=[[128, 128]])]


class _Augmentable(ZooModel):
    # The dense nets of the course's tries: augmentation and L2 were tried on them.
    augment: Augment = None
    rotation: Rotation = None
    l2: L2 = None


class FirstModel(_Augmentable):
    """Flatten > Dense 128 > Dense 128 > softmax; the course's first model (118,282)"""

    zoo: Literal["first"]


class SmallModel(_Augmentable):
    """Flatten > Dense 64 > Dense 32 > softmax; the smaller model (52,650)"""

    zoo: Literal["small"]


class DropoutModel(_Augmentable):
    """first with Dropout(rate) after each hidden layer (118,282)"""

    zoo: Literal["dropout"]
    rate: DropoutRate = None


class RescalingModel(ZooModel):
    """dropout model with Rescaling to -1..1 inside; feed raw pixels (118,282)"""

    zoo: Literal["rescaling"]
    rate: DropoutRate = None


class FunctionalModel(ZooModel):
    """small written with the Functional API (52,650)"""

    zoo: Literal["functional"]


class BypassModel(ZooModel):
    """wide net whose reconstruction is concatenated with the input (21,668,442)"""

    zoo: Literal["bypass"]


class SubclassModel(ZooModel):
    """small as a keras.Model subclass with its own call() (52,650)"""

    zoo: Literal["subclass"]


class MlpModel(ZooModel):
    """tuning model: optional Rescaling, Dense relu per units, softmax"""

    zoo: Literal["mlp"]
    units: Units = None
    rescale: bool | None = Field(None, description="Rescaling to -1..1 inside the model")
    rate: DropoutRate = None
    l2: L2 = None


class CnnModel(ZooModel):
    """small conv net: Conv2D 3x3 + MaxPooling per filters, Dense, softmax"""

    zoo: Literal["cnn"]
    filters: list[Width] | None = Field(None, min_length=1, description="Conv2D filters per block, first to last",
                                        examples=[[32, 64]])
    units: Units = None
    rate: DropoutRate = None
    l2: L2 = None


class LayersModel(ModelSource):
    """A Sequential model from a list of layers."""

    layers: list[LayerSpec] = Field(min_length=1, description="layers, first to last")


class FactoryModel(ModelSource):
    """The keras.Model returned by your own function."""

    factory: str = Field(description="package.module:function returning a keras.Model",
                         examples=["mypkg.models:build"])
    kwargs: dict[str, Any] = Field(default_factory=dict, description="arguments for the factory")

    @field_validator("factory")
    @classmethod
    def check_factory(cls, value: str) -> str:
        # Its syntax only: importing it is for the code that builds the model (fitbench.training),
        # so validating a file imports neither the user's code nor Keras.
        split_factory(value)
        return value


class PythonModel(ModelSource):
    """A model passed from Python (set by fitbench)."""

    python: str = Field(description="set by fitbench: a model passed from Python")


def _one_source(value: Any) -> Any:
    # Keys set to null count as not given: run folders written before each model had its own
    # schema list every option of every model, mostly null.
    if not isinstance(value, dict):
        return value
    given = {key: item for key, item in value.items() if item is not None and not (key == "kwargs" and item == {})}
    sources = [key for key in _SOURCES if key in given]
    if len(sources) != 1:
        raise ValueError(
            f"expected exactly one of model.zoo, model.layers or model.factory, got "
            f"{', '.join(sources) or 'none'}; e.g. `model: {{zoo: first}}`"
        )
    return given


def _source_tag(value: Any) -> str | None:
    """The union's branch: the zoo name, or which of layers, factory, python is given."""
    if isinstance(value, ZooModel):
        return value.name()
    if isinstance(value, ModelSource):
        return value.source()
    if not isinstance(value, dict):
        return None
    if "zoo" in value:
        return value["zoo"] if isinstance(value["zoo"], str) and value["zoo"] in ZOO_MODELS else None
    return next((key for key in _SOURCES if key in value), None)


# One branch per zoo model plus layers, factory and python: editors complete each model's own
# options from the JSON Schema's oneOf.
_Sources = Union[
    Annotated[FirstModel, Tag("first")], Annotated[SmallModel, Tag("small")], Annotated[DropoutModel, Tag("dropout")],
    Annotated[RescalingModel, Tag("rescaling")], Annotated[FunctionalModel, Tag("functional")],
    Annotated[BypassModel, Tag("bypass")], Annotated[SubclassModel, Tag("subclass")], Annotated[MlpModel, Tag("mlp")],
    Annotated[CnnModel, Tag("cnn")],
    Annotated[LayersModel, Tag("layers")], Annotated[FactoryModel, Tag("factory")], Annotated[PythonModel, Tag("python")],
]
# The zoo, declared once: each model's options (and its description, the docstring) are its
# class's fields, so checking an experiment file needs no Keras; tests/config/test_keras_free.py
# checks them against the builders' signatures.
ZOO_MODELS: dict[str, type[ZooModel]] = {
    model.name(): model for model in (get_args(option)[0] for option in get_args(_Sources))
    if issubclass(model, ZooModel)
}


def _zoo_options() -> set[str]:
    return {key for model in ZOO_MODELS.values() for key in model.model_fields} - {"zoo"}


# An unknown zoo name (or a value that is no mapping) is the error `unknown_name`, which
# _errors.py words as "model.zoo: expected one of first, small, ...".
ModelConfig = Annotated[
    _Sources,
    Discriminator(_source_tag, custom_error_type="unknown_name", custom_error_message="unknown zoo model",
                  custom_error_context={"key": "zoo", "expected": ", ".join(ZOO_MODELS), "example": "{zoo: first}"}),
    BeforeValidator(_one_source),
]


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
