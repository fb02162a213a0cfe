"""Jinja2 prompt templates: compiled once per task, rendered per record with strict variables."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import jinja2

from harness.errors import DataError, TaskFileError


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    # StrictUndefined: a template that names a field the record lacks is an error, not "".
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)
    env.filters["tojson_compact"] = lambda v: json.dumps(v, ensure_ascii=False)
    return env


# A template that is one variable ("{{ question }}") or an expression that is one name ("answer"):
# the most common case, looked up directly (Jinja2 would build a render context per record).
_ONE_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_ONE_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*")
_LITERALS = {"true", "false", "none", "True", "False", "None"}


def _single_name(pattern: re.Pattern[str], source: str) -> str | None:
    match = pattern.fullmatch(source)
    return match.group(1) if match and match.group(1) not in _LITERALS else None


class Template:
    """One compiled template; errors name the task file and the template's key."""

    def __init__(self, source: str, *, where: str):
        self.where = where
        try:
            self._template = environment().from_string(source)
        except jinja2.TemplateSyntaxError as exc:
            raise TaskFileError(f"{where}: template syntax error on line {exc.lineno}: {exc.message}") from None
        # Plain text (a typical system prompt) renders the same for every record: once, here.
        self._constant = None if any(mark in source for mark in ("{{", "{%", "{#")) else self._template.render()
        self._name = _single_name(_ONE_VARIABLE, source)

    def render(self, variables: dict[str, Any], *, sample: str) -> str:
        if self._constant is not None:
            return self._constant
        if self._name is not None:
            value = variables.get(self._name)
            if isinstance(value, str):  # Jinja2 renders a string as itself; anything else goes through it
                return value
        try:
            return self._template.render(**variables)
        except jinja2.UndefinedError as exc:
            raise DataError(f"{self.where}: sample {sample}: {exc.message}") from None


class Expression:
    """A Jinja2 expression such as ``answer`` or ``options[label]`` (the task's ``reference``)."""

    def __init__(self, source: str, *, where: str):
        self.where = where
        try:
            self._expr = environment().compile_expression(source, undefined_to_none=False)
        except jinja2.TemplateSyntaxError as exc:
            raise TaskFileError(f"{where}: expression syntax error: {exc.message}") from None
        self._name = _single_name(_ONE_NAME, source)

    def evaluate(self, variables: dict[str, Any], *, sample: str) -> Any:
        if self._name is not None and self._name in variables:  # what Jinja2 returns for a bare name
            return variables[self._name]
        try:
            value = self._expr(**variables)
        except jinja2.UndefinedError as exc:
            raise DataError(f"{self.where}: sample {sample}: {exc.message}") from None
        if isinstance(value, jinja2.Undefined):
            raise DataError(f"{self.where}: sample {sample}: the expression is undefined for this record")
        return value
