"""Typed settings of everything a task configures: validated with one-line errors that name the
file and the key, with close matches for a typo.

The task schema (:mod:`harness.task.spec`) keeps plugin blocks (``output:``, ``ecg:``, a metric's
or a judge's ``args``) as data, because third-party plugins define them. Each plugin declares a
pydantic model for its block (extra keys forbidden); :func:`validate_settings` applies it when a
task is loaded, so ``output.optins`` fails before anything runs, as ``dataset.pth`` does.
"""

from __future__ import annotations

import difflib
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import TaskFileError

M = TypeVar("M", bound=BaseModel)


class Settings(BaseModel):
    """Base of a plugin's settings block: unknown keys are errors, values are validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def validate_settings(model: type[M], data: Any, *, where: str) -> M:
    """``data`` (a YAML block) as ``model``; a :class:`TaskFileError` naming ``where`` and the key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise TaskFileError(f"{where}: expected a mapping of settings, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise TaskFileError(describe(where, exc, model)) from None


def describe(where: str, exc: ValidationError, model: type[BaseModel]) -> str:
    """One line per problem, joined: ``tasks/x.yaml: output.optins: unknown key; did you mean 'options'?``."""
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        path = ".".join(loc)
        head = where if not path else (f"{where}.{path}" if ": " in where else f"{where}: {path}")
        if err["type"] == "extra_forbidden":
            known = _fields_at(model, loc[:-1])
            close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else (f"known: {', '.join(known)}" if known else "")
            problems.append(f"{head}: unknown key" + (f"; {hint}" if hint else ""))
        elif err["type"] == "missing":
            problems.append(f"{head}: required key is missing")
        else:
            problems.append(f"{head}: {err['msg']}")
    return "; ".join(problems)


def _fields_at(model: Any, loc: list[str]) -> list[str]:
    """The keys a model accepts at ``loc`` (through nested models, lists and dicts of them)."""
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(part)
        if field is None:
            if part.isdigit():
                continue
            return []
        model = _inner_model(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(f.alias or name for name, f in model.model_fields.items())
    return []


def _inner_model(annotation: Any) -> Any:
    """The model inside ``X | None``, ``list[X]``, ``dict[str, X]``."""
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) or origin in (list, tuple, set, frozenset):
        return _inner_model(args[0]) if args else annotation
    if origin is dict:
        return _inner_model(args[-1]) if args else annotation
    return annotation


def call_with_args(factory: Callable[..., Any], args: dict[str, Any], *, where: str) -> Any:
    """``factory(**args)`` where the factory's own signature is the schema of the arguments
    (inspect-ai style): an unknown name gets a close match, a wrong value the factory's own message."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        signature = None
    if signature is not None and not any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        known = [n for n, p in signature.parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        for name in args:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                hint = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else (f"it takes: {', '.join(known)}" if known else "it takes none")
                )
                raise TaskFileError(f"{where}.{name}: unknown argument; {hint}")
    try:
        return factory(**args)
    except (TypeError, ValueError) as exc:
        raise TaskFileError(f"{where}: {exc}") from None
