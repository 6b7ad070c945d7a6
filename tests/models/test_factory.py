from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from fitbench.errors import ConfigError
from fitbench.models import build_from_factory, model_spec, resolve_factory

MODULE = "fitbench_test_factories"


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Import name of factories.py; tests/ is not a package, so copy it onto sys.path."""
    shutil.copy(Path(__file__).with_name("factories.py"), tmp_path / f"{MODULE}.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    return MODULE


@pytest.mark.slow
def test_good_spec_passes_shape_classes_and_kwargs(module: str) -> None:
    model = build_from_factory(f"{module}:make_model", (8, 8), 5, {"units": 7})
    assert model.output_shape == (None, 5)
    assert model.layers[1].units == 7


def test_var_kwargs_factory_gets_shape_and_classes(module: str) -> None:
    model = build_from_factory(f"{module}:make_from_kwargs", (6, 6), 3)
    assert model.input_shape == (None, 6, 6)
    assert model.output_shape == (None, 3)


def test_factory_without_parameters_is_called_bare(module: str) -> None:
    assert build_from_factory(f"{module}:make_fixed", (28, 28), 10).output_shape == (None, 5)


def test_resolve_returns_the_function(module: str) -> None:
    assert resolve_factory(f"{module}:make_model").__name__ == "make_model"


def test_missing_colon() -> None:
    with pytest.raises(ConfigError, match="expected 'module:function' with a colon"):
        resolve_factory("mypackage.models.make_model")


def test_missing_module() -> None:
    with pytest.raises(ConfigError, match="module 'no_such_module_xyz' does not import"):
        resolve_factory("no_such_module_xyz:make")


def test_missing_function_suggests_closest(module: str) -> None:
    with pytest.raises(ConfigError, match="no attribute 'make_modle'.*did you mean 'make_model'"):
        resolve_factory(f"{module}:make_modle")


def test_not_callable(module: str) -> None:
    with pytest.raises(ConfigError, match="is a int, expected a Python function"):
        resolve_factory(f"{module}:NOT_CALLABLE")


def test_non_model_return(module: str) -> None:
    with pytest.raises(ConfigError, match="returned a dict, expected a keras.Model"):
        build_from_factory(f"{module}:make_dict", (8, 8), 5)


def test_unknown_kwarg(module: str) -> None:
    with pytest.raises(ConfigError, match="unknown argument 'unit'.*did you mean 'units'"):
        build_from_factory(f"{module}:make_model", (8, 8), 5, {"unit": 3})


def test_model_spec_keeps_factory_and_kwargs(module: str) -> None:
    model = build_from_factory(f"{module}:make_model", (8, 8), 5, {"units": 7})
    assert model_spec(model) == {"factory": f"{module}:make_model", "kwargs": {"units": 7}}


def test_a_builtin_is_not_a_factory() -> None:
    with pytest.raises(ConfigError, match="'os:system' is a builtin_function_or_method, expected a Python function"):
        resolve_factory("os:system")


def test_a_run_folder_never_makes_fitbench_import_its_factory(module: str, tmp_path: Path) -> None:
    """Resuming needs --trust MODULE:FUNCTION; loading, listing and reporting never import it."""
    import fitbench as fb
    from fitbench.cli import main

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(f"name: r\ndataset: {{name: digits}}\nmodel: {{factory: '{module}:make_model'}}\n")
    (run / "status.json").write_text('{"state": "interrupted"}')
    with pytest.raises(ConfigError, match=f"does not import code because a run folder names it; if you trust it, "
                                          f"name it yourself: --trust {module}:make_model"):
        fb.training.resume_run(run)
    with pytest.raises(fb.errors.FitbenchError, match="no model.keras"):
        fb.load_run(run).model
    assert main(["runs", "--runs-dir", str(tmp_path)]) == 0
    assert module not in sys.modules
