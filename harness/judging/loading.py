"""Reading rubric files: ``rubric.yaml`` (criteria, totals, Jinja2 prompts) into a :class:`Rubric`.

A pairwise rubric (``kind: pairwise``) becomes a :class:`~harness.judging.pairwise.PairwiseRubric`;
a benchmark's custom logic is a ``class: package.module:ClassName`` naming a Rubric subclass.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from harness.errors import TaskFileError
from harness.judging.pairwise import PairwiseRubric
from harness.judging.rubric import Rubric, RubricSpec
from harness.settings import describe


def load_rubric(path: Path, default: type[Rubric] = Rubric) -> Rubric:
    """Load ``rubric.yaml``; template values ending in ``.j2`` are read from files beside it."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TaskFileError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise TaskFileError(f"{path}: a rubric file must be a mapping")
    cls = _rubric_class(data.pop("class", None), path) or default
    prompt = data.get("prompt")
    if isinstance(prompt, dict):
        for key, value in list(prompt.items()):
            if isinstance(value, str) and value.strip().endswith(".j2") and "\n" not in value.strip():
                file = path.parent / value.strip()
                if not file.is_file():
                    raise TaskFileError(f"{path}: prompt.{key}: template file not found: {file}")
                prompt[key] = file.read_text(encoding="utf-8")
    try:
        spec = RubricSpec.model_validate(data)
    except ValidationError as exc:
        raise TaskFileError(describe(str(path), exc, RubricSpec)) from None
    if spec.kind == "pairwise" and not issubclass(cls, PairwiseRubric):
        cls = PairwiseRubric
    return cls(spec, source=path)


def load_rubric_dir(folder: Path) -> list[Rubric]:
    """Every ``<folder>/*/rubric.yaml``: how ``judges/`` (and a plugin's own folder) registers rubrics."""
    return [load_rubric(path) for path in sorted(Path(folder).glob("*/rubric.yaml"))]


def _rubric_class(ref: Any, path: Path) -> type[Rubric] | None:
    """``class: package.module:ClassName`` in a rubric file: a Rubric subclass with custom logic."""
    if ref is None:
        return None
    module_name, _, attr = str(ref).partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise TaskFileError(f"{path}: class: cannot import '{ref}' ({exc})") from None
    if not (isinstance(found, type) and issubclass(found, Rubric)):
        raise TaskFileError(f"{path}: class: '{ref}' is not a Rubric subclass")
    return found
