"""Jinja2 prompt templates: compiled once per task, rendered per record with strict variables."""

from __future__ import annotations

import hashlib
import json
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

    def render(self, variables: dict[str, Any], *, sample: str) -> str:
        if self._constant is not None:
            return self._constant
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

    def evaluate(self, variables: dict[str, Any], *, sample: str) -> Any:
        try:
            value = self._expr(**variables)
        except jinja2.UndefinedError as exc:
            raise DataError(f"{self.where}: sample {sample}: {exc.message}") from None
        if isinstance(value, jinja2.Undefined):
            raise DataError(f"{self.where}: sample {sample}: the expression is undefined for this record")
        return value


def fingerprint(*parts: Any) -> str:
    """sha256 of the canonical JSON of the parts (prompt templates, reference, output settings)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
