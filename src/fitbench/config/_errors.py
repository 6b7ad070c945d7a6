"""Turn pydantic's validation errors into one-line ``ConfigError`` messages.

Every message has one shape: ``<where>: <key>: expected <what>, got <value>; <fix>``.
"""

from __future__ import annotations

import json
import re
import reprlib
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, Tag, ValidationError
from pydantic_core import ErrorDetails

from fitbench.errors import ConfigError, did_you_mean

M = TypeVar("M", bound=BaseModel)


MAX_LINES = 10  # one line per problem, but a list of a thousand bad values is not a thousand lines


def validate(model: type[M], data: Any, *, where: str, prefix: str = "") -> M:
    """``model.model_validate(data)``, raising one ``ConfigError`` line per problem.

    Args:
        where: what is being validated, e.g. the file name or ``"fb.fit()"``.
        prefix: dotted key that ``data`` sits under, e.g. ``"training"``.
    """
    try:
        return model.model_validate(data)
    except ValidationError as error:
        lines = _unique(_lines(model, error.errors(), where=where, prefix=prefix))
        if len(lines) > MAX_LINES:
            lines = [*lines[:MAX_LINES], f"{where}: (top level): {len(lines) - MAX_LINES} more problems not shown"]
        raise ConfigError("\n".join(lines)) from None


def _lines(model: type[BaseModel], details: list[ErrorDetails], *, where: str, prefix: str) -> list[str]:
    """One line per problem. A value that fits no alternative of a union (a search choice: bool,
    int, float, str or null) is one problem, of which pydantic reports one error per alternative:
    their expectations are joined in one line."""
    groups: dict[tuple[str, str], list[ErrorDetails]] = {}  # by key and value; insertion-ordered
    for index, detail in enumerate(details):
        groups.setdefault(_type_error_of(model, detail, prefix) or (str(index), ""), []).append(detail)
    lines = []
    for (key, got), group in groups.items():
        if len(group) == 1:
            lines.append(format_error(model, group[0], where=where, prefix=prefix))
        else:
            expected = " or ".join(dict.fromkeys(_expected(detail) for detail in group))
            lines.append(f"{where}: {key}: expected {expected}, got {got}")
    return lines


def _type_error_of(model: type[BaseModel], detail: ErrorDetails, prefix: str) -> tuple[str, str] | None:
    """``(key, value shown)`` of a wrong-type error (``int_parsing``, ``string_type``...), else None."""
    if not str(detail.get("type", "")).endswith(("_type", "_parsing")):
        return None
    try:
        return _key([prefix] * bool(prefix) + _resolve(model, detail["loc"])[0]), show(detail.get("input"))
    except Exception:  # noqa: BLE001 - an unexpected location: format_error's plain line says it
        return None


def _expected(detail: ErrorDetails) -> str:
    return str(detail["msg"]).removeprefix("Input should be ").removeprefix("Value should be ")


def format_error(model: type[BaseModel], detail: ErrorDetails, *, where: str, prefix: str = "") -> str:
    """One line for one of pydantic's errors, whatever the shape of the input and the location.

    The wording below reads pydantic's context and the schema to name the fix; should any of
    that meet a shape it does not expect, the line falls back to pydantic's own words, which
    are still one line naming the key: a bad file must never end in a traceback.
    """
    try:
        return _format(model, detail, where=where, prefix=prefix)
    except Exception:  # noqa: BLE001 - see above: the plain line is the answer, not a crash
        return _plain(detail, where=where, prefix=prefix)


def _plain(detail: ErrorDetails, *, where: str, prefix: str) -> str:
    key = _key([prefix] * bool(prefix) + [part for part in detail.get("loc", ()) if isinstance(part, (str, int))])
    message = " ".join(str(detail.get("msg", "invalid value")).split())
    return f"{where}: {key}: {message}, got {show(detail.get('input'))}"


def _format(model: type[BaseModel], detail: ErrorDetails, *, where: str, prefix: str = "") -> str:
    loc, _ = _resolve(model, detail["loc"])
    key = _key([prefix] * bool(prefix) + loc)
    kind = detail["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, detail["loc"][:-1])
        name = str(detail["loc"][-1]) if detail["loc"] else ""
        hint = did_you_mean(name, allowed)
        return (f"{where}: {key}: unknown key{hint}; "
                f"expected one of: {', '.join(allowed) or '(none)'}")
    if kind == "missing":
        return f"{where}: {key}: required key is missing; add it{_example(model, detail['loc'])}"
    if kind in ("value_error", "assertion_error"):
        message = str(detail["ctx"].get("error", detail["msg"])) if "ctx" in detail else detail["msg"]
        return f"{where}: {key}: {message}"
    if kind == "union_tag_invalid":
        tag, expected = detail["ctx"]["tag"], detail["ctx"]["expected_tags"]
        return f"{where}: {key}.type: expected one of {expected}, got {tag!r}{did_you_mean(tag, _words(expected))}"
    if kind == "unknown_name":  # the model union's discriminator: a zoo name (config._schema.ModelConfig)
        return _unknown_name(detail, where=where, key=key)
    if kind == "literal_error":
        expected = detail["ctx"]["expected"]
        got = detail["input"]
        hint = did_you_mean(str(got), _words(expected)) if isinstance(got, str) else ""
        return f"{where}: {key}: expected {expected}, got {show(got)}{hint}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):  # pydantic: "a valid dictionary or instance of X"
        return f"{where}: {key}: expected a section of `key: value` lines, got {show(detail['input'])}{_fix(model, detail['loc'])}"
    expected = _expected(detail)
    return f"{where}: {key}: expected {expected}, got {show(detail['input'])}{_fix(model, detail['loc'])}"


# A name written bare in a dotted key: letters, digits and _ (not Python's wider identifiers,
# which take characters such as the middle dot in `A·` that read as punctuation).
_PLAIN_NAME = re.compile(r"[^\W\d]\w*")


def _key(parts: list[Any]) -> str:
    """``training.epochs``, ``model.layers[1].units``; odd names quoted: ``dataset['']``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_NAME.fullmatch(str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f"[{str(part)!r}]"
    return text or "(top level)"


def _fix(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    example = _example(model, loc)
    return f"; set it{example}" if example else ""


_SHORT = reprlib.Repr()  # keyword arguments need Python 3.12
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 2, 4, 4, 50, 50


def show(value: Any) -> str:
    """A short repr of a value a user gave: at most 60 characters, however big the value."""
    # reprlib stops early: the repr of a huge value is never built just to be cut.
    text = _SHORT.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _words(expected: str) -> list[str]:
    return [word.strip("'\" ") for word in expected.replace(" or ", ",").split(",") if word.strip("'\" ")]


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _example(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """`` like `epochs: 25` `` from the field's declared example, or an empty string."""
    field = _field(model, loc)
    if field is None or not field.examples:
        return ""
    value = field.examples[0]
    shown = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return f" like `{loc[-1]}: {shown}`"


def _unknown_name(detail: ErrorDetails, *, where: str, key: str) -> str:
    context, given = detail.get("ctx", {}), detail["input"]
    if not isinstance(given, dict):
        return f"{where}: {key}: expected a mapping like `{context['example']}`, got {show(given)}"
    name, expected = context["key"], context["expected"]
    got = given.get(name)
    hint = did_you_mean(got, _words(expected)) if isinstance(got, str) else ""
    return f"{where}: {key}.{name}: expected one of {expected}, got {show(got)}{hint}"


def _field(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    if not loc:  # the whole section, e.g. `search: 5`: no field of its own to take an example from
        return None
    _, parent = _resolve(model, loc[:-1])
    if parent is None or not isinstance(loc[-1], str):
        return None
    return parent.model_fields.get(loc[-1])


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    _, parent = _resolve(model, loc)
    return list(parent.model_fields) if parent is not None else []


def _resolve(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[list[Any], type[BaseModel] | None]:
    """The key as the user wrote it, and the pydantic model found at ``loc`` inside ``model``.

    pydantic puts a discriminated union's tag in the location (model.first.rate,
    model.layers.layers.0.dense.units); the user wrote model.rate and model.layers[0].units.
    """
    current: Any = model
    shown: list[Any] = []
    for part in loc:
        branches = _branches(current)
        if isinstance(part, str) and part in branches:
            current = branches[part]
            continue
        if part == "[key]" or isinstance(part, str) and part in _member_names(current):
            continue  # pydantic's word for "the key itself", or the alternative of a union it tried
        shown.append(part)
        current = _step(current, part)
    return shown, _model_in(current)


def _step(current: Any, part: Any) -> Any:
    model = _model_in(current)
    if isinstance(part, str) and model is not None and part in model.model_fields:
        return model.model_fields[part].annotation
    if isinstance(part, int):
        return next((typing.get_args(option)[0] for option in _options(current) if typing.get_origin(option) is list),
                    None)
    return None


def _options(annotation: Any) -> list[Any]:
    """The alternatives of a Union/Optional/Annotated annotation (or the annotation itself)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _options(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [option for arg in typing.get_args(annotation) for option in _options(arg)]
    return [annotation]


def _member_names(annotation: Any) -> set[str]:
    """How pydantic names the alternatives of a plain union in a location: ``bool``, ``int``..."""
    options = _options(annotation)
    return {option.__name__ for option in options if isinstance(option, type)} if len(options) > 1 else set()


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for option in _options(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel):
            return option
    return None


def _branches(annotation: Any) -> dict[str, Any]:
    """A discriminated union's alternatives by tag: a ``Tag`` (callable discriminator) or the
    ``type`` literal (the layers); empty for any other annotation."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _branches(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return {}
    return {tag: option for option in typing.get_args(annotation) if (tag := _tag(option)) is not None}


def _tag(option: Any) -> str | None:
    if typing.get_origin(option) is typing.Annotated:
        return next((meta.tag for meta in typing.get_args(option)[1:] if isinstance(meta, Tag)), None)
    field = option.model_fields.get("type") if isinstance(option, type) and issubclass(option, BaseModel) else None
    if field is None or typing.get_origin(field.annotation) is not typing.Literal:
        return None
    return str(typing.get_args(field.annotation)[0])
