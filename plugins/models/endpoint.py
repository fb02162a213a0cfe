"""Where a served model lives and how it authenticates: base URL and API key, from config + environment.

Shared by the HTTP backends so that a missing URL or key reads the same whichever backend is used.
"""

from __future__ import annotations

from harness.models.base import ModelError
from harness.models.config import ModelConfig


def resolve_base_url(config: ModelConfig, required: bool = True) -> str | None:
    """``config.base_url``, overridden by the ``base_url_env`` variable; trailing slash removed."""
    url = config.resolved_base_url()
    if not url:
        if not required:
            return None
        hint = f" or set the environment variable {config.base_url_env}" if config.base_url_env else ""
        raise ModelError(f"model config '{config.name}' (backend {config.backend}) needs a base_url{hint}")
    return url.rstrip("/")


def required_api_key(config: ModelConfig) -> str | None:
    """The API key from the environment. A config that names a variable which is unset is an error
    (said once, up front, instead of a 401 on every sample); a config naming none needs no key."""
    key = config.api_key()
    if config.api_key_env and not key:
        raise ModelError(
            f"model config '{config.name}' reads its API key from the environment variable {config.api_key_env}, which is not set"
        )
    return key
