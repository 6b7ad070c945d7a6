"""The JSON API's shapes, as pydantic models: FastAPI documents them at /openapi.json and checks answers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class RunSummary(BaseModel):
    """One run folder, as listed by ``GET /api/runs``."""

    id: str = Field(description="the run folder's path relative to the runs directory",
                    examples=["20260101-120000-first"])
    name: str
    state: str = Field(description="complete | interrupted | failed | running | incomplete")
    epochs: int
    val_accuracy: float | None
    test_accuracy: float | None
    model: str
    parameters: int | None
    modified: str = Field(description="the folder's last change, ISO 8601")
    has_model: bool = Field(description="model.keras is there, so the run can predict")
    drawable: bool = Field(description="has a model whose data set is 28x28 (a hint; the model decides)")
    input_hint: str = Field(description="image size the model takes, from its archive or config", examples=["28x28"])
    needs_code: str | None = Field(description="why the server will not load this run's model (custom code)")
    dataset: str | None = Field(description="the data set's name in the run's config", examples=["mnist"])
    problems: list[str] = Field(description="what is damaged or missing in the folder, one line each")


class RunDetail(BaseModel):
    """Everything recorded about one run (``GET /api/runs/{id}``)."""

    id: str
    name: str
    state: str
    config: dict[str, Any] = Field(description="config.yaml: the resolved experiment")
    metrics: dict[str, Any] = Field(description="metrics.json: scores per split, epochs, times")
    history: dict[str, list[float | None]] = Field(
        description="history.csv: per-epoch loss, accuracy, val_loss... (null where a value was NaN)")
    problems: list[str]
    has_model: bool
    input_hint: str
    needs_code: str | None


class Attribution(BaseModel):
    """What the model looked at to give its answer: integrated gradients of the predicted
    class's probability over the image it saw, with the sanity checks the map passed."""

    map: list[list[float]] = Field(description="one value per pixel of `image`, -1..1 (scaled by the largest): "
                                               "positive raised the class's probability, negative lowered it")
    method: str = Field(description="how the map was computed", examples=["integrated_gradients"])
    passed: list[str] = Field(description="the sanity checks the map passed: randomisation (it differs from a "
                                          "re-initialised model's map), deletion (its top 10% pixels matter more "
                                          "than 10% random ones)", examples=[["randomisation", "deletion"]])
    spearman: float = Field(description="rank correlation with the re-initialised model's map (passes below 0.5)")
    top_drop: float = Field(description="probability lost when the map's top 10% pixels are removed")
    random_drop: float = Field(description="probability lost when 10% random pixels are removed")


class Prediction(BaseModel):
    """What a run's model reads in one image (``POST /api/predict``)."""

    run: str = Field(description="the run id that predicted")
    label: int = Field(description="the most probable class")
    name: str = Field(description="its name", examples=["7", "Sneaker"])
    class_names: list[str] = Field(description="every class's name, in the order of probabilities")
    probabilities: list[float] = Field(description="one per class, summing to 1")
    image: list[list[float]] = Field(description="the 28x28 image the model saw, rows of 0..1 (white ink on black)")
    scale: float = Field(description="what the image was multiplied by for this run: 1 (0..1) or 255 (raw pixels)")
    attribution: Attribution | None = Field(None, description="what the model looked at (null when asked not "
                                                               "to explain, or its gradients say nothing)")
    elapsed_ms: float = Field(description="server time for decoding, preprocessing, predicting and explaining")


class ModelState(BaseModel):
    """How far loading a run's model got (``GET /api/model``); opening its draw page starts it."""

    run: str = Field(description="the run id")
    state: Literal["ready", "loading", "failed", "not loaded"] = Field(
        description="ready: the next prediction answers at once; failed: a prediction says why")


class Problem(BaseModel):
    """An error: why the request cannot be answered, in one line."""

    detail: str
