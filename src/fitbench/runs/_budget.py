"""The budget of a run folder's binary files, declared once: the command line, the web pages and
resume all read through the checks that use these numbers (``_archives``, ``_keras_file``).

Each bound is checked from what a file declares (its zip directory, an ``.npy`` header, the
model's ``config.json``) before anything is decompressed, allocated or built, so a small file
cannot claim a large amount of memory. The README's run-folder section lists them.
"""

from __future__ import annotations

from typing import NamedTuple

from fitbench.runs._record import AUDIT_IMAGES, EXPLANATIONS, IMAGES, PREDICTIONS

MB = 1_000_000
CHECKPOINT = "checkpoint.npz"

# The largest model fitbench loads or resumes: 200 MB of float32 weights, twice the zoo's
# largest (bypass, 21.7 M on 28x28 images; the others are under 0.3 M).
MAX_PARAMETERS = 50_000_000
# What model.weights.h5 may hold per declared parameter: float32 weights and up to three
# optimizer slots (Adam's two moments, AMSGrad's maximum), which Keras saves beside them,
# plus HDF5's own tables.
WEIGHT_BYTES = 16
HDF5_OVERHEAD = 16 * MB


class NpzBudget(NamedTuple):
    """What one ``.npz`` may hold: its entries, and the bytes its arrays declare, all together."""

    members: int
    total: int


NPZ = {
    # validation and test: labels, float16 probabilities, indices (6 arrays). 70,000 images of
    # 1,000 classes (MAX_CLASSES) as float16 are 140 MB.
    PREDICTIONS: NpzBudget(members=64, total=256 * MB),
    # a few sets (train, each split's mistakes and top losses) of at most a few hundred images
    IMAGES: NpzBudget(members=64, total=128 * MB),
    # per split, a float32 map of each image images.npz keeps (a few dozen) and 5 numbers each
    EXPLANATIONS: NpzBudget(members=64, total=256 * MB),
    # a label audit's first suspects' images (runs/_label_audit): 50 images, uint8
    AUDIT_IMAGES: NpzBudget(members=8, total=64 * MB),
    # one array per model and optimizer variable and per best weight: the weights four times
    # (weights, best weights, Adam's two moments) plus the JSON record and the random state.
    CHECKPOINT: NpzBudget(members=20_000, total=4 * 4 * MAX_PARAMETERS + 64 * MB),
}

# model.keras: Keras writes metadata.json, config.json and model.weights.h5 (an assets/ entry
# or two for a few preprocessing layers). A million empty entries cost a listing 18 s.
MAX_MODEL_ENTRIES = 16
MODEL_ROLES = {  # bytes each entry may declare, uncompressed
    "metadata.json": 64_000,  # the Keras version and a date
    "config.json": 4 * MB,  # a model of thousands of layers
    "model.weights.h5": WEIGHT_BYTES * MAX_PARAMETERS + HDF5_OVERHEAD,
}
MAX_ASSET = 1 * MB  # any other entry (a lookup layer's vocabulary)
MAX_MODEL_FILE = sum(MODEL_ROLES.values()) + MAX_MODEL_ENTRIES * MAX_ASSET  # the file on disk
# An array written into config.json (Keras' "__numpy__" values, e.g. a Normalization's mean):
# a few per-feature numbers, never weights. One of (20000, 10000) took predict to 12.6 GB.
MAX_CONFIG_ARRAY = 10_000
# The widest layer argument (units, filters, an embedding's rows): 1,000,000 units in a 1.45 MB
# file held the server at 12.8 GB while it built the model.
MAX_WIDTH = 65_536

