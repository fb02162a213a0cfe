"""Finding model configs by name and instantiating their backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from harness.errors import HarnessError, suggest
from harness.models.base import Model
from harness.models.config import ModelConfig


def model_config_files(registry: Any) -> dict[str, Path]:
    """Every model config file the plugins contribute, by name (file stem)."""
    found: dict[str, Path] = {}
    for folder in registry.model_config_dirs:
        for path in sorted(Path(folder).glob("*.yaml")):
            found.setdefault(path.stem, path)
    return found


def parse_model_config(data: Any, *, where: str, name: str) -> ModelConfig:
    if not isinstance(data, dict):
        raise HarnessError(f"{where}: a model config must be a mapping")
    data = {"name": name, **data}
    try:
        return ModelConfig.model_validate(data)
    except ValidationError as exc:
        problems = "\n".join(f"  - {'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise HarnessError(f"{where}: invalid model config\n{problems}") from None


def load_model_config(name: str, registry: Any) -> ModelConfig:
    files = model_config_files(registry)
    if name not in files:
        raise HarnessError(suggest(name, list(files), what="model config"))
    path = files[name]
    return parse_model_config(yaml.safe_load(path.read_text(encoding="utf-8")), where=str(path), name=name)


def build_model(config: ModelConfig, registry: Any) -> Model:
    factory = registry.backends.get(config.backend)
    if factory is None:
        raise HarnessError(
            f"model config '{config.name}': " + suggest(config.backend, registry.backends, what="backend")
        )
    return factory(config)
