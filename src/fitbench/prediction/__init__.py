"""Predictions of a trained run on new images: files, folders, Kaggle-layout CSV files, uploads.

Every path (``run.predict``, ``fitbench predict``, the web page) decodes with ``decode_image``
and prepares with ``prepare``, as the run's recorded ``Preparation`` says.
"""

from __future__ import annotations

from fitbench.prediction._decode import ImageProblem, ImageTooLarge, UnreadableImage, decode_image
from fitbench.prediction._inputs import Inputs, read_inputs
from fitbench.prediction._predict import Prediction, compile_cache, load_model_safely, predict, prepare_inputs
from fitbench.prediction._prepare import NothingDrawn, Prepared, prepare

__all__ = ["ImageProblem", "ImageTooLarge", "Inputs", "NothingDrawn", "Prediction", "Prepared", "UnreadableImage",
           "compile_cache", "decode_image", "load_model_safely", "predict", "prepare", "prepare_inputs", "read_inputs"]
