"""Fixtures of the judging tests (helpers are in judge_env.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from judge_env import JudgedRun

from harness.testing.openai_stub import OpenAIStub, by_model


@pytest.fixture
def judged(tmp_path: Path, data_dir: Path) -> Callable[..., JudgedRun]:
    stubs: list[OpenAIStub] = []

    def start(
        candidate: Callable[[dict[str, Any]], Any],
        judges: dict[str, Callable[[dict[str, Any]], Any]],
        plugins: tuple = (),
    ) -> JudgedRun:
        stub = OpenAIStub(by_model({"candidate": candidate, **judges}), models=["candidate", *judges])
        stub.__enter__()
        stubs.append(stub)
        return JudgedRun(tmp_path, data_dir, stub, plugins)

    yield start
    for stub in stubs:
        stub.__exit__(None, None, None)
