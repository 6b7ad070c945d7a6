"""A local web page for fitbench: browse runs, open reports, compare, and draw a digit for a model.

>>> from fitbench.web import create_app
>>> app = create_app("runs")            # serve with uvicorn, or: fitbench serve --runs-dir runs

``preprocess`` turns image bytes into the 28x28 white-on-black 0..1 digit an MNIST model
expects (crop to the ink, fit a 20x20 box, centre by mass), as MNIST itself was made.
"""

from __future__ import annotations

from fitbench.web._app import create_app
from fitbench.web._connections import server_config
from fitbench.web._preprocess import ImageProblem, NothingDrawn, UnreadableImage, decode_image, preprocess, to_mnist

__all__ = ["ImageProblem", "NothingDrawn", "UnreadableImage", "create_app", "decode_image", "preprocess",
           "server_config", "to_mnist"]
