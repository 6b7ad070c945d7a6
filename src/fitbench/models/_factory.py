"""Build a model from the user's own function, named as ``"package.module:function"``.

A factory is code: naming one imports its module and calls the function, with whatever
rights the user has. So fitbench imports a factory only where the user named it (an
experiment file or tuning file they give, a Python call, ``--trust module:function``), never
because a run folder's config.yaml says so: resuming a factory run needs ``--trust`` naming
that exact ``module:function``, and views (runs, reports, diagnosis, the web page) never
import one. No module is trusted for being fitbench's: some of fitbench's own functions
(this module's ``build_from_factory``, ``fitbench._io.write_text``) do whatever their
arguments say, so a folder naming them is as dangerous as one naming ``subprocess``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from fitbench._keras import keras
from fitbench.config import split_factory
from fitbench.errors import ConfigError, did_you_mean

__all__ = ["resolve_factory", "build_from_factory", "check_trusted", "check_trust_names"]

def _import(module_name: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigError(
            f"model factory: module {module_name!r} does not import ({error}); check the "
            "spelling and that its folder is on PYTHONPATH or installed"
        ) from error


def _lookup(module: Any, attribute: str) -> Any:
    # Allow "module:Class.method" by walking the dotted path.
    target = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            names = [n for n in dir(target) if not n.startswith("_")]
            raise ConfigError(
                f"model factory: {getattr(target, '__name__', target)!r} has no attribute "
                f"{part!r}{did_you_mean(part, names)}; define it or fix the name after ':'"
            )
        target = getattr(target, part)
    return target


def resolve_factory(spec: str) -> Callable[..., Any]:
    """Import and return the callable named by ``"package.module:function"``."""
    module_name, attribute = split_factory(spec)
    target = _lookup(_import(module_name), attribute)
    # A Python function or class, not a builtin such as os:system: a factory builds a model.
    if not (inspect.isfunction(target) or inspect.ismethod(target) or inspect.isclass(target)):
        raise ConfigError(
            f"model factory: {spec!r} is a {type(target).__name__}, expected a Python function "
            "that returns a keras.Model; point to a function"
        )
    return target


def check_trust_names(trusted: tuple[str, ...] | list[str]) -> None:
    """Refuse a ``--trust`` value that is not one ``module:function``: trusting a whole module
    would trust every function it holds or imports (``mymodule:subprocess.getoutput``)."""
    for name in trusted:
        module_name, _, attribute = str(name).partition(":")
        if not module_name or not attribute:
            raise ConfigError(
                f"--trust {name!r}: name the exact factory the run's config.yaml names, "
                "as module:function (e.g. --trust mypackage.models:make_model); a whole module is not trusted"
            )


def check_trusted(spec: str, trusted: tuple[str, ...] | list[str], *, where: str) -> None:
    """Refuse a factory named by a run folder unless the user named that exact
    ``module:function`` (``trusted``, from ``--trust``); nothing is imported here."""
    module_name, attribute = split_factory(spec)
    if f"{module_name}:{attribute}" in trusted:
        return
    raise ConfigError(
        f"{where}: model.factory {spec!r}: fitbench does not import code because a run folder names it; "
        f"if you trust it, name it yourself: --trust {module_name}:{attribute}"
    )


def _accepted(function: Callable[..., Any]) -> tuple[set[str], bool]:
    """The keyword names a function accepts, and whether it takes **kwargs."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature: pass everything
        return set(), True
    names = {
        p.name
        for p in parameters
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    return names, any(p.kind is p.VAR_KEYWORD for p in parameters)


def _arguments(
    spec: str,
    function: Callable[..., Any],
    input_shape: tuple[int, ...],
    num_classes: int,
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    names, takes_any = _accepted(function)
    for key in kwargs:
        if not takes_any and key not in names:
            raise ConfigError(
                f"model factory {spec!r} got an unknown argument {key!r}"
                f"{did_you_mean(key, sorted(names))}; it takes: {', '.join(sorted(names))}"
            )
    known = {"input_shape": tuple(input_shape), "num_classes": num_classes}
    passed = {k: v for k, v in known.items() if takes_any or k in names}
    return {**passed, **kwargs}


def build_from_factory(
    spec: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    kwargs: dict[str, Any] | None = None,
) -> keras.Model:
    """Call the user's factory and check it returns a ``keras.Model``.

    ``input_shape`` and ``num_classes`` are passed only if the function's signature
    accepts them (by name, or through ``**kwargs``); ``kwargs`` are passed as given.
    """
    function = resolve_factory(spec)
    model = function(**_arguments(spec, function, input_shape, num_classes, kwargs or {}))
    if not isinstance(model, keras.Model):
        raise ConfigError(
            f"model factory {spec!r} returned a {type(model).__name__}, expected a "
            "keras.Model; make the function return the model it builds"
        )
    return model
