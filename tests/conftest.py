"""Shared fixtures: paths to the real MNIST test set, small data sets, a runs directory, a notebook kernel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"
MNIST_IMAGES = SHARED_MNIST / "t10k-images-idx3-ubyte.gz"
MNIST_LABELS = SHARED_MNIST / "t10k-labels-idx1-ubyte.gz"


@pytest.fixture
def shared_mnist() -> tuple[Path, Path]:
    """The real MNIST test set (10,000 images) beside the repository, or a skip."""
    if not (MNIST_IMAGES.is_file() and MNIST_LABELS.is_file()):
        pytest.skip(f"real MNIST not found at {SHARED_MNIST} (a clone without ../shared); "
                    "the same code runs on digits in the other tests")
    return MNIST_IMAGES, MNIST_LABELS


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return tmp_path / "runs"


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits, split 0.2 test / 0.2 val: real data, no download, trains in a second."""
    import fitbench as fb

    return fb.load_dataset("digits", seed=0)


def digits_subset(digits, train: int = 300, val: int | None = None, *, val_scale: float = 1.0, test: bool = True):
    """The first ``train`` training and ``val`` validation images of ``digits`` (all of val by default,
    multiplied by ``val_scale``), and its test split unless ``test`` is False: a run takes a second."""
    import fitbench as fb

    x_val = digits.x_val[:val] if val_scale == 1.0 else digits.x_val[:val] * val_scale
    splits = [(digits.x_train[:train], digits.y_train[:train]), (x_val, digits.y_val[:val])]
    if test:
        splits.append((digits.x_test, digits.y_test))
    return fb.Dataset.from_arrays(*splits)


@pytest.fixture(scope="session")
def tiny_digits():
    """200 training images of digits, the rest split for val and test; a run on it reloads its data
    from its config (unlike a Dataset made from arrays)."""
    import fitbench as fb

    return fb.load_dataset("digits", seed=0, train_limit=200)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, tiny_digits) -> Path:
    """One finished run folder for the whole session: the small model, 3 epochs on ``tiny_digits``,
    named small-digits. Read it only; a test that writes into a run works on ``copy_run(tiny_run, ...)``."""
    import fitbench as fb

    return fb.fit(fb.build_model("small", tiny_digits), tiny_digits, epochs=3, batch_size=20, early_stopping=3,
                  runs_dir=tmp_path_factory.mktemp("runs"), name="small-digits", verbose=False).path


def copy_run(folder: Path, into: Path) -> Path:
    """A copy of the run ``folder`` at ``into/runs/<its name>``, to damage or write into."""
    return Path(shutil.copytree(folder, into / "runs" / folder.name))


def heavy_modules_after(statement: str) -> list[str]:
    """Which of keras and jax a fresh interpreter has loaded after running ``statement``."""
    code = f"import json, sys; {statement}; print(json.dumps(sorted(m for m in ('keras', 'jax') if m in sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class Kernel:
    """IPython's InteractiveShell made to look like a kernel, its displays recorded, fitbench's
    displays registered (``import fitbench`` does it in a kernel; this shell is made after that)."""

    def __init__(self) -> None:
        from IPython.core.displaypub import DisplayPublisher
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        from fitbench._notebook import register_displays

        messages = self.messages = []

        class Recorder(DisplayPublisher):
            def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
                messages.append(((transient or {}).get("display_id"), update, data))

        self.shell = InteractiveShell.instance()
        self.shell.display_pub = Recorder()
        self.shell.config["IPKernelApp"] = Config()  # what ipykernel's shell carries
        self.showwarning = warnings.showwarning  # a kernel shows fitbench's warnings as notes: put back on close
        register_displays(self.shell)

    def shown(self, obj) -> dict[str, str]:
        """What the notebook shows for ``obj`` as a cell's last value: mime type -> content."""
        return self.shell.display_formatter.format(obj)[0]

    def close(self) -> None:
        from IPython.core.interactiveshell import InteractiveShell

        InteractiveShell.clear_instance()
        warnings.showwarning = self.showwarning


@pytest.fixture
def kernel():
    kernel = Kernel()
    yield kernel
    kernel.close()
