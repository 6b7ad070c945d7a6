"""The run folder's files, declared once: what each holds, its types and its bounds.

A folder is a versioned format (``FORMAT``). Folders written by fitbench 0.1.0 carry no
``format`` field: they are format 1 and still load (they lack predictions, images, the
architecture and the pre-training findings, which views then say are missing).
Everything here is plain pydantic: reading a folder never imports Keras (nor NumPy, until an array is read).
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, NonNegativeInt, TypeAdapter, ValidationError,
                      model_validator)

if TYPE_CHECKING:  # the arrays of predictions.npz and images.npz; a listing never imports NumPy
    import numpy as np

    from fitbench._sanity import SanityChecks

FORMAT = 2  # 1: fitbench 0.1.0 (no format field); 2: predictions, images, architecture, findings

# Bounds on what a folder may claim, checked when it is read (a folder is untrusted input).
MAX_CLASSES = 1000
MAX_EPOCHS = 100_000
MAX_SAMPLES = 100_000_000
# The most classes a report or the web page draws, the same for both: EMNIST by class, the most
# of any MNIST-like set, has 62; 700 classes took a report over 7 GB.
# (Kept here until the one limits table of issue 24 takes them.)
MAX_DRAWN_CLASSES = 62
MAX_LAYERS = 2_000  # in architecture.json (ResNet-152 has ~520, EfficientNet-B7 ~810)
MAX_LAYER_INPUTS = 64  # inputs of one layer (a Concatenate of many branches)
MAX_EDGES = 4 * MAX_LAYERS
MAX_NUMBER = 10**18  # no count, id or size in a folder is larger; bigger is damage, never a slow print
MAX_NAME = 200  # characters of a class, layer, model or run name

Split = Literal["train", "val", "test"]
SPLITS: tuple[Split, ...] = ("train", "val", "test")
State = Literal["running", "complete", "interrupted", "failed", "incomplete"]

# File names, and the most bytes each may have before it is parsed.
CONFIG, STATUS, HISTORY, METRICS, ENVIRONMENT = (
    "config.yaml", "status.json", "history.csv", "metrics.json", "environment.json")
MODEL, PREDICTIONS, IMAGES, ARCHITECTURE, FINDINGS, EXPLANATIONS = (
    "model.keras", "predictions.npz", "images.npz", "architecture.json", "findings.json", "explanations.npz")
AUDIT, AUDIT_IMAGES = "label_issues.json", "label_issues.npz"  # a label audit's, beside its folds (_label_audit)
MAX_BYTES = {
    CONFIG: 1_000_000, STATUS: 100_000, HISTORY: 20_000_000, METRICS: 2_000_000,  # three splits of ~250 classes
    ENVIRONMENT: 1_000_000, ARCHITECTURE: 10_000_000, FINDINGS: 1_000_000,
    PREDICTIONS: 500_000_000, IMAGES: 200_000_000, EXPLANATIONS: 100_000_000,
    AUDIT: 25_000_000, AUDIT_IMAGES: 50_000_000,  # 100,000 suspects of ~200 bytes; 50 images
}
# What each file holds, for the README's table and `fitbench runs schema`.
FILES = {
    STATUS: "state (running, complete, interrupted, failed), times, process, reason, format",
    CONFIG: "what was trained: name, dataset, model and training settings",
    ENVIRONMENT: "Python and package versions, backend, devices, machine, seed",
    HISTORY: "one row per epoch: loss, accuracy, val_loss, val_accuracy, seconds",
    METRICS: "scores per split (accuracy, macro F1, per-class precision/recall/F1, confusion matrix), "
             "parameters, epochs, best epoch, early stop, wall time",
    FINDINGS: "what the checks before training found (e.g. scale_mismatch)",
    ARCHITECTURE: "layers, types, output shapes, parameters, connections, and the summary text",
    PREDICTIONS: "validation and test predictions: labels, float16 probabilities, sample indices",
    IMAGES: "the images the report shows (first training images, mistakes, top losses) as uint8",
    EXPLANATIONS: "attribution maps of the mistakes and top losses images.npz keeps, with their sanity checks "
                  "(written by `fitbench explain RUN`; optional)",
    MODEL: "the trained Keras model (only new computations load it)",
}

Count = Annotated[int, Field(ge=0, le=MAX_SAMPLES)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Number = Annotated[int, Field(ge=0, le=MAX_NUMBER)]


def _printable(text: str) -> str:
    """A name drawn in a picture or printed on a line: no line breaks or other control characters
    (5,000 newlines in one class name took a report to 21 GB)."""
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in text):  # Cf: bidi overrides, zero widths
        raise ValueError("holds a line break or another control character")
    return text


Name = Annotated[str, Field(max_length=MAX_NAME), AfterValidator(_printable)]
ClassNames = Annotated[list[Annotated[Name, Field(min_length=1)]], Field(max_length=MAX_CLASSES)]
_CLASS_NAMES: TypeAdapter[list[str]] = TypeAdapter(ClassNames)


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Status(_Record):
    """``status.json``: written ``running`` first and replaced last."""

    model_config = ConfigDict(extra="allow", frozen=True)
    format: int = Field(1, ge=1, le=1000)
    state: State
    started: str | None = Field(None, max_length=100)
    updated: str | None = Field(None, max_length=100)
    pid: Number | None = None
    host: str | None = Field(None, max_length=300)
    reason: str | None = Field(None, max_length=5000)
    pruned: str | None = Field(None, max_length=5000)  # a tuning trial the pruner stopped, and why


class RunConfig(_Record):
    """``config.yaml``: the snapshot of what was trained (sections as validated at training)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str = Field(max_length=300)
    dataset: dict[str, Any] = {}
    model: dict[str, Any] = {}
    training: dict[str, Any] = {}
    compiled: dict[str, Any] = {}  # what the model was compiled with (optimizer, learning rate, loss)

    @model_validator(mode="after")
    def _nested_sections(self) -> RunConfig:
        """The nested values views read with ``.get`` or iterate are of the shapes training wrote."""
        if self.training.get("early_stopping") not in (None, False) and not isinstance(
                self.training["early_stopping"], dict):
            raise ValueError("training.early_stopping: expected a mapping (patience, monitor...) or null")
        layers = self.model.get("layers")
        if layers is not None and not (isinstance(layers, list) and all(isinstance(x, (str, dict)) for x in layers)):
            raise ValueError("model.layers: expected a list of layer names or mappings")
        return self

    @model_validator(mode="after")
    def _class_names_bounded(self) -> RunConfig:
        names = self.dataset.get("class_names")
        if names is not None:
            try:
                _CLASS_NAMES.validate_python(names)
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(part) for part in ("dataset", "class_names", *first["loc"]))
                raise ValueError(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None
        return self

    @property
    def dataset_name(self) -> str:
        return str(self.dataset.get("name", "?"))


class SplitScores(_Record):
    """One split's scores. ``confusion_matrix[i][j]`` counts true class i predicted as j."""

    split: Split
    n: Count
    loss: float | None = None
    accuracy: Fraction
    macro_f1: Fraction
    per_class_f1: list[Fraction] = Field(max_length=MAX_CLASSES)
    per_class_precision: list[Fraction] | None = Field(None, max_length=MAX_CLASSES)  # None: format 1
    per_class_recall: list[Fraction] | None = Field(None, max_length=MAX_CLASSES)
    confusion_matrix: list[list[Count]] = Field(max_length=MAX_CLASSES)

    @model_validator(mode="after")
    def _shapes_agree(self) -> SplitScores:
        classes = len(self.confusion_matrix)
        if any(len(row) != classes for row in self.confusion_matrix):
            raise ValueError(f"confusion_matrix is not square ({classes} rows)")
        for name in ("per_class_f1", "per_class_precision", "per_class_recall"):
            values = getattr(self, name)
            if values is not None and len(values) != classes:
                raise ValueError(f"{name} has {len(values)} values for {classes} classes")
        if sum(map(sum, self.confusion_matrix)) != self.n:
            raise ValueError(f"the confusion matrix counts {sum(map(sum, self.confusion_matrix))} images, n says {self.n}")
        return self

    @property
    def classes(self) -> int:
        return len(self.confusion_matrix)


class Metrics(_Record):
    """``metrics.json``: what training ended with."""

    format: int = Field(1, ge=1, le=1000)
    parameters: Number | None = None  # trainable
    total_parameters: Number | None = None
    engine: str | None = Field(None, max_length=100)
    epochs_run: int = Field(0, ge=0, le=MAX_EPOCHS)
    best_epoch: int | None = Field(None, ge=1, le=MAX_EPOCHS)  # 1-based
    monitor: str | None = Field(None, max_length=100)
    stopped_early: bool = False
    interrupted: str | None = Field(None, max_length=100)  # the signal's name when a person stopped it
    wall_time_s: float | None = Field(None, ge=0)
    time_per_epoch_s: float | None = Field(None, ge=0)
    splits: dict[Split, SplitScores] = {}

    @model_validator(mode="after")
    def _splits_agree(self) -> Metrics:
        if any(name != scores.split for name, scores in self.splits.items()):
            raise ValueError("a split's scores are filed under another split's name")
        if len({scores.classes for scores in self.splits.values()}) > 1:
            raise ValueError("the splits' confusion matrices have different numbers of classes")
        return self

    @property
    def classes(self) -> int | None:
        return next((scores.classes for scores in self.splits.values()), None)

    def split(self, name: str) -> SplitScores | None:
        return self.splits.get(name)  # type: ignore[call-overload]


class Environment(_Record):
    """``environment.json``: what the run ran on."""

    model_config = ConfigDict(extra="allow", frozen=True)
    python: str | None = None
    packages: dict[str, str | None] = {}
    backend: str | None = None
    devices: list[str] = []
    seed: int | None = Field(None, ge=-MAX_NUMBER, le=MAX_NUMBER)
    machine: dict[str, Any] = {}
    xla_flags: str | None = None


class History(NamedTuple):
    """``history.csv``: Keras-style ``{column: per-epoch values}`` and each epoch's seconds."""

    columns: dict[str, list[float]]
    epoch_times: list[float]

    @property
    def epochs(self) -> int:
        return len(self.epoch_times) if self.epoch_times else max(map(len, self.columns.values()), default=0)


class Layer(_Record):
    name: Name
    kind: Name
    output_shape: Annotated[str, Field(max_length=1000), AfterValidator(_printable)]  # "[(None, 10), (None, 1)]"
    params: Number
    built: bool
    inputs: tuple[Name, ...] = Field((), max_length=MAX_LAYER_INPUTS)


class Architecture(_Record):
    """``architecture.json``: the model's layers and how they connect, and its summary text."""

    format: int = Field(FORMAT, ge=1, le=1000)
    name: Name
    kind: Name
    nodes: list[Layer] = Field(max_length=MAX_LAYERS)
    trainable_params: Number
    non_trainable_params: Number
    optimizer_params: Number
    traced: bool
    summary: str = Field("", max_length=2_000_000)

    @model_validator(mode="after")
    def _a_graph(self) -> Architecture:
        """Every input names a layer of the file; the connections are bounded."""
        layers = {node.name for node in self.nodes}
        for node in self.nodes:
            unknown = next((name for name in node.inputs if name not in layers), None)
            if unknown is not None:
                raise ValueError(f"layer {node.name!r} takes {unknown!r}, which is no layer of the model")
        edges = sum(len(node.inputs) for node in self.nodes)
        if edges > MAX_EDGES:
            raise ValueError(f"{edges:,} connections; at most {MAX_EDGES:,} are read")
        return self


# A leakage finding's pairs: (split, position, other split, position), the original first.
SplitName = Literal["train", "val", "test"]
LeakPair = tuple[SplitName, NonNegativeInt, SplitName, NonNegativeInt]
MAX_PAIRS = 100  # kept in findings.json; the finding's evidence gives the full count


class FindingRecord(_Record):
    code: str = Field(max_length=100)
    severity: Literal["error", "warning", "info"]
    verdict: str = Field(max_length=5000)
    evidence: str = Field(max_length=5000)
    advice: str = Field(max_length=5000)
    pairs: list[LeakPair] = Field([], max_length=MAX_PAIRS)  # leakage: the copies found


class Findings(_Record):
    """``findings.json``: what the checks before training found (they are part of the run)."""

    format: int = FORMAT
    before_training: list[FindingRecord] = Field([], max_length=1000)


class SplitPredictions(NamedTuple):
    """One split's predictions in ``predictions.npz``."""

    labels: np.ndarray  # (n,) true classes
    probabilities: np.ndarray  # (n, classes) float16
    indices: np.ndarray  # (n,) positions in the split

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)


class ImageSet(NamedTuple):
    """Some images of a split in ``images.npz``, kept so pictures draw without the data set."""

    images: np.ndarray  # (k, height, width[, 3]) uint8
    labels: np.ndarray  # (k,)
    indices: np.ndarray  # (k,) positions in the split

    def __getitem__(self, positions: Any) -> Any:
        """NamedTuple fields by number; by an array of split positions, their images."""
        if isinstance(positions, (int, slice)):
            return tuple.__getitem__(self, positions)
        import numpy as np

        where = {int(index): k for k, index in enumerate(self.indices)}
        return self.images[[where[int(index)] for index in np.atleast_1d(positions)]]


METHODS = ("integrated_gradients", "occlusion")  # explanations.npz's method codes, in this order


class ExplanationSet(NamedTuple):
    """Attribution maps of some images of a split in ``explanations.npz`` (those ``images.npz``
    keeps), with the numbers of the sanity checks each map was put to (``fitbench._sanity``)."""

    labels: np.ndarray  # (k,) the class each map explains: the one predicted
    maps: np.ndarray  # (k, height, width) float32: positive pixels raised the class's probability
    indices: np.ndarray  # (k,) positions in the split
    spearman: np.ndarray  # (k,) rank correlation with the re-initialised model's map, -1..1
    top_drop: np.ndarray  # (k,) probability lost when the top 10% pixels are removed
    random_drop: np.ndarray  # (k,) ... when 10% random pixels are
    method: np.ndarray  # (k,) int8: a position in METHODS

    @property
    def checks(self) -> SanityChecks:
        from fitbench._sanity import SanityChecks  # NumPy: not for a listing

        return SanityChecks(self.spearman, self.top_drop, self.random_drop)

    def map_of(self, index: int) -> int | None:
        """Where the map of the split's image ``index`` is, None when it has none."""
        import numpy as np  # the arrays were read: NumPy is there

        found = np.flatnonzero(self.indices == index)
        return int(found[0]) if len(found) else None


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every JSON or YAML file of a run folder."""
    models: dict[str, type[BaseModel]] = {STATUS: Status, CONFIG: RunConfig, METRICS: Metrics,
                                          ENVIRONMENT: Environment, ARCHITECTURE: Architecture,
                                          FINDINGS: Findings}
    return {name: model.model_json_schema() for name, model in models.items()}
