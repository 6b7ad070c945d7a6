"""Predictions of a trained run on new images: files, folders, Kaggle-layout CSV files."""

from __future__ import annotations

from fitbench.prediction._inputs import Inputs, read_inputs
from fitbench.prediction._predict import Prediction, image_size, load_model_safely, predict, prepare_inputs

__all__ = ["Inputs", "Prediction", "image_size", "load_model_safely", "predict", "prepare_inputs", "read_inputs"]
