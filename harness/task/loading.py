"""Reading task YAML files into validated specs, with errors that name the file and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from harness.errors import TaskFileError
from harness.settings import describe
from harness.task.spec import GroupSpec, TaskSpec


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaskFileError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
        problem = getattr(exc, "problem", None) or str(exc)
        raise TaskFileError(f"{path}{where}: not valid YAML: {problem}") from None


def parse_definition(path: Path, data: Any) -> TaskSpec | GroupSpec:
    if not isinstance(data, dict):
        raise TaskFileError(
            f"{path}: expected a mapping of keys (name, dataset, prompt, ...), got {type(data).__name__}"
        )
    model = GroupSpec if "group" in data and "dataset" not in data else TaskSpec
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise TaskFileError(describe(str(path), exc, model)) from None


def load_task_file(path: Path) -> TaskSpec | GroupSpec:
    """Parse and validate one task (or group) YAML file."""
    return parse_definition(path, read_yaml(path))
