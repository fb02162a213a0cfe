"""Built-in model backends, registered through the same hook third-party plugins use.

Each factory imports its backend module (and with it the heavy library) only when a model
config selects it, so ``python -m harness --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.hookspecs import hookimpl

if TYPE_CHECKING:
    from harness.models.base import Model
    from harness.models.config import ModelConfig


def _litellm(config: ModelConfig) -> Model:
    from harness.plugins.models.litellm_backend import LiteLLMModel

    return LiteLLMModel(config)


def _openai_compat(config: ModelConfig) -> Model:
    from harness.plugins.models.openai_compat import OpenAICompatModel

    return OpenAICompatModel(config)


def _lm_eval(config: ModelConfig) -> Model:
    from harness.plugins.models.lm_eval_adapter import LMEvalModel

    return LMEvalModel(config)


def _llama_cpp(config: ModelConfig) -> Model:
    from harness.plugins.models.llama_cpp_backend import LlamaCppModel

    return LlamaCppModel(config)


def _retrieval(config: ModelConfig) -> Model:
    from harness.plugins.models.retrieval import RetrievalModel

    return RetrievalModel(config)


@hookimpl
def harness_model_backends() -> list[tuple[str, object]]:
    return [
        ("litellm", _litellm),
        ("openai_compat", _openai_compat),
        ("lm_eval", _lm_eval),
        ("llama_cpp", _llama_cpp),
        ("retrieval", _retrieval),
    ]
