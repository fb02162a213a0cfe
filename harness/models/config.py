"""The validated form of a model config (``configs/model/NAME.yaml``)."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ModelConfig(BaseModel):
    """How to reach one model. Secrets are never stored here: only the *name* of the
    environment variable that holds the API key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="config name, as in model=NAME")
    backend: str = Field(description="a registered backend: litellm, openai_compat, lm_eval, llama_cpp, ...")
    model: str = Field("", description="the backend's model id, e.g. 'gpt-4o' or 'openai/Qwen/Qwen2.5-7B-Instruct'")
    base_url: str | None = None
    base_url_env: str | None = Field(None, description="environment variable that overrides base_url")
    api_key_env: str | None = Field(None, description="environment variable holding the API key")
    concurrency: int | None = Field(None, ge=1, description="max requests in flight; default: the run's")
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(5, ge=0)
    rpm: float | None = Field(
        None, gt=0, description="requests per minute allowed, for providers that send no rate-limit headers"
    )
    tpm: float | None = Field(None, gt=0, description="tokens per minute allowed (prompt + max_tokens), likewise")
    probe: bool | None = Field(
        None,
        description="send one request alone until the endpoint first answers, to learn its rate-limit headers "
        "before a full window goes out; default: on, except for a server on this machine (loopback address), "
        "where inference servers (vLLM, llama.cpp, Ollama) do not rate-limit and a probe would hold the whole "
        "window for one generation",
    )
    max_rate_limit_wait_s: float = Field(
        600.0, ge=0, description="total wait on 429s (with a retry-after) before a request fails"
    )
    vision: bool = Field(False, description="accepts image content parts")
    params: dict[str, Any] = Field(default_factory=dict, description="default generation parameters")
    options: dict[str, Any] = Field(default_factory=dict, description="backend-specific settings")

    @field_validator("options", "params")
    @classmethod
    def _no_inline_secrets(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if key.lower() in {"api_key", "token", "password", "secret"}:
                raise ValueError(
                    f"'{key}' must not be written in a config: put it in an environment variable and name it in api_key_env"
                )
        return value

    def resolved_base_url(self) -> str | None:
        if self.base_url_env and os.environ.get(self.base_url_env):
            return os.environ[self.base_url_env]
        return self.base_url

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None
