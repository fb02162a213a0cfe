"""Registers the built-in task folder and model config folder, like any plugin would."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from harness.hookspecs import hookimpl


@hookimpl
def harness_task_dirs() -> list[Path]:
    return [Path(str(files("harness.tasks")))]


@hookimpl
def harness_model_config_dirs() -> list[Path]:
    return [Path(str(files("harness.configs"))) / "model"]
