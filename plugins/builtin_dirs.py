"""Registers the built-in task folder and model config folder, like any plugin would."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from harness.hookspecs import hookimpl


@hookimpl
def harness_task_dirs() -> list[Path]:
    """The built-in tasks, then any folders on HARNESS_TASK_PATH (an environment input, like
    lm-eval's --include_path; a run's own ``include=`` folders are passed to the task index)."""
    extra = [Path(p) for p in os.environ.get("HARNESS_TASK_PATH", "").split(os.pathsep) if p]
    return [Path(str(files("harness.tasks"))), *extra]


@hookimpl
def harness_model_config_dirs() -> list[Path]:
    return [Path(str(files("harness.configs"))) / "model"]
