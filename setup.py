"""Ships ``src/fitbench-keras-backend.pth`` at the top of site-packages, beside the packages.

Everything else is in pyproject.toml; setuptools has no pyproject.toml key for a file outside
the packages there, so ``build_py`` copies it: into the wheel, and for ``pip install -e .``
into the editable wheel's root. The .pth makes a plain ``import keras`` run on JAX
(see src/_fitbench_keras_backend.py).
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = Path(__file__).parent / "src" / "fitbench-keras-backend.pth"


class BuildPyWithPth(build_py):
    def run(self) -> None:
        super().run()
        # Editable: build_lib is thrown away; the editable wheel is made of install_lib.
        root = self.get_finalized_command("install").install_lib if self.editable_mode else self.build_lib
        self.copy_file(str(PTH), str(Path(root, PTH.name)))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib, PTH.name))]


setup(cmdclass={"build_py": BuildPyWithPth})
