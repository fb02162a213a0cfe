"""The built-in backends register through the plugin hook, import lazily, and the shipped configs validate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from backend_testing import config

from harness.models.base import Model
from harness.models.config import ModelConfig
from harness.plugins import models as builtin_models
from harness.registry import build_registry

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs" / "model"


def test_all_backends_are_registered():
    names = dict(builtin_models.harness_model_backends())
    assert set(names) == {"litellm", "openai_compat", "lm_eval", "llama_cpp", "retrieval"}


@pytest.mark.parametrize(
    "backend,fields",
    [
        ("litellm", {"model": "openai/x", "base_url": "http://127.0.0.1:1/v1"}),
        ("openai_compat", {"base_url": "http://127.0.0.1:1/v1"}),
        ("lm_eval", {"options": {"lm_eval_model": "hf"}}),
        ("llama_cpp", {}),
        ("retrieval", {}),
    ],
)
def test_factories_build_models_without_touching_the_network(backend, fields):
    factory = dict(builtin_models.harness_model_backends())[backend]
    model = factory(config(backend, **fields))
    assert isinstance(model, Model)
    assert model.identity["backend"] == backend
    executor = getattr(model, "_executor", None)
    if executor is not None:
        executor.shutdown()


def test_registering_imports_no_heavy_library():
    code = (
        "import sys, harness.plugins.models as m; m.harness_model_backends(); "
        "heavy = [x for x in ('litellm', 'lm_eval', 'llama_cpp', 'sklearn', 'aiohttp', 'torch') if x in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_model_configs_validate(path):
    data = yaml.safe_load(path.read_text())
    cfg = ModelConfig(**data)
    assert cfg.name == path.stem
    assert cfg.backend in build_registry(entry_points=False).backends
    if "_upstream_" in cfg.name:  # a judge preset with a benchmark's released settings, said in its header
        assert path.read_text().startswith("# Judge preset") and "upstream" not in cfg.params
    elif (
        cfg.backend in dict(builtin_models.harness_model_backends()) and cfg.backend != "retrieval"
    ):  # the language models
        assert cfg.params.get("temperature") == 0 and cfg.params.get("max_tokens")


def test_the_required_configs_are_shipped():
    shipped = {p.stem: ModelConfig(**yaml.safe_load(p.read_text())) for p in CONFIG_DIR.glob("*.yaml")}
    assert {"smollm2", "gpt4o", "deepseek_v3", "claude", "qwen7b", "local_server", "retrieval", "lm_eval_hf"} <= set(
        shipped
    )
    assert shipped["smollm2"].backend == "llama_cpp"
    assert shipped["gpt4o"].vision and shipped["gpt4o"].api_key_env == "OPENAI_API_KEY"
    assert shipped["qwen7b"].base_url_env == "QWEN7B_BASE_URL" and shipped["qwen7b"].backend == "openai_compat"
    assert shipped["local_server"].base_url_env == "HARNESS_BASE_URL"
