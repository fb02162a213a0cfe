"""Helpers for the backend tests: model configs pointing at a stub server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from harness.models.base import Request
from harness.models.config import ModelConfig

T = TypeVar("T")


def config(backend: str, model: str = "stub", **fields: Any) -> ModelConfig:
    fields.setdefault("max_retries", 2)
    fields.setdefault("timeout_s", 30.0)  # generous: a loaded CI machine is slow; timeout tests set their own
    options = fields.pop("options", {})
    if backend in ("openai_compat", "litellm"):
        options.setdefault("retry_backoff_s", 0.02)  # keep backoff waits short in tests
    return ModelConfig(name=f"test_{backend}", backend=backend, model=model, options=options, **fields)


def ask(text: str, id: str = "q", **params: Any) -> Request:
    return Request(id=id, messages=[{"role": "user", "content": text}], params=params)


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]
