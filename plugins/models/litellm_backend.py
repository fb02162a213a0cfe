"""The universal backend: any provider litellm speaks (OpenAI, Anthropic, DeepSeek, Gemini, ...).

litellm's own retries are switched off (``num_retries=0``) so the harness's retry policy
(:mod:`harness.models.retry`) is the only one: bounded attempts, backoff with jitter, Retry-After.
litellm is imported on first use (it costs ~2.5 s) with its cost map read from the installed
package (no internet) and its logging silenced: its error messages can echo request details.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from typing import Any

from harness.models.base import ModelError, Request, Response, Usage
from harness.models.config import ModelConfig
from harness.models.ratelimit import Limiter, endpoint_limiter
from harness.models.retry import (
    Attempts,
    ConnectFailed,
    RateLimited,
    Retryable,
    describe,
    lower_keys,
    retry_after_s,
    safe_url,
    with_retries,
)
from harness.plugins.models.endpoint import required_api_key, resolve_base_url

BACKEND = "litellm"
HARNESS_OPTIONS = {"retry_backoff_s"}  # options the harness reads; the rest go to litellm.acompletion
PLACEHOLDER_KEY = "no-key"  # local OpenAI-compatible servers need *a* key in the client, not a real one
_CONNECT_HINTS = (
    "connection refused",
    "cannot connect to host",
    "connect call failed",
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "getaddrinfo failed",
)


def import_litellm() -> Any:
    """Import litellm once, offline and quiet."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOG", "CRITICAL")
    import litellm

    litellm.suppress_debug_info = True
    litellm.set_verbose = False
    litellm.turn_off_message_logging = True
    litellm.telemetry = False
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return litellm


def _is_connect_failure(exc: BaseException) -> bool:
    """litellm reports a refused connection or a DNS failure as a 500 or an APIConnectionError:
    look for the transport's exception underneath."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (ConnectionRefusedError, socket.gaierror)):
            return True
        if type(current).__name__ in {"ConnectError", "ClientConnectorError", "ClientConnectorDNSError"}:
            return True
        current = current.__cause__ or current.__context__
    return False


def _error_headers(exc: BaseException) -> dict[str, str]:
    """The provider's response headers carried by a litellm exception (rate-limit state, retry-after)."""
    headers = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
    try:
        return lower_keys(dict(headers or {}))
    except Exception:  # noqa: BLE001 - malformed headers are simply no hint
        return {}


def _result_headers(result: Any) -> dict[str, str]:
    hidden = getattr(result, "_hidden_params", None) or {}
    return lower_keys(hidden.get("additional_headers") or {})


class LiteLLMModel:
    """One model reached through ``litellm.acompletion``."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self._api_base = resolve_base_url(config, required=False)
        self._where = describe(config.name, self._api_base or f"litellm:{config.model}")
        key = required_api_key(config)
        self._api_key = key or (PLACEHOLDER_KEY if self._api_base else None)
        self._backoff_s = float(config.options.get("retry_backoff_s", 0.5))
        self._extra = {k: v for k, v in config.options.items() if k not in HARNESS_OPTIONS}
        self._litellm: Any = None
        self._limiter: tuple[asyncio.AbstractEventLoop, Limiter] | None = None
        self._priced = True  # False once litellm's cost map has failed to price this model

    def __repr__(self) -> str:
        api_base = safe_url(self._api_base) if self._api_base else None
        return f"LiteLLMModel(config={self.config.name!r}, model={self.config.model!r}, api_base={api_base!r})"

    @property
    def identity(self) -> dict[str, Any]:
        return {
            "backend": BACKEND,
            "model": self.config.model,
            "base_url": safe_url(self._api_base) if self._api_base else None,
            "params": dict(self.config.params),
        }

    def _scrub(self, text: str) -> str:
        if self._api_key and self._api_key != PLACEHOLDER_KEY:
            text = text.replace(self._api_key, "***")
        return text[:800]

    async def _attempt(self, kwargs: dict[str, Any], limiter: Limiter) -> Any:
        litellm = self._litellm
        try:
            result = await litellm.acompletion(**kwargs)
            limiter.observe(_result_headers(result))
            return result
        except litellm.exceptions.Timeout as exc:
            raise Retryable(f"timed out: {self._scrub(str(exc))}") from None
        except Exception as exc:  # noqa: BLE001 - classify every provider error once, here
            status = getattr(exc, "status_code", None)
            message = self._scrub(f"{type(exc).__name__}: {exc}")
            if _is_connect_failure(exc):
                raise ConnectFailed(message) from None
            if isinstance(exc, litellm.exceptions.APIConnectionError):
                if any(hint in message.lower() for hint in _CONNECT_HINTS):
                    raise ConnectFailed(message) from None
                raise Retryable(message) from None
            if not isinstance(status, int):
                raise ModelError(f"{self._where}: {message}") from None
            headers = _error_headers(exc)
            limiter.observe(headers)
            if status == 429:
                raise RateLimited(message, retry_after_s(headers)) from None
            if status in (408, 409) or status >= 500:
                raise Retryable(message, retry_after_s(headers)) from None
            raise ModelError(f"{self._where} refused the request: {message}") from None

    async def generate(self, request: Request) -> Response:
        if self._litellm is None:
            self._litellm = import_litellm()
        kwargs: dict[str, Any] = {
            **self._extra,
            **self.config.params,
            **request.params,
            "model": self.config.model,
            "messages": request.messages,
            "num_retries": 0,
            "timeout": self.config.timeout_s,
        }
        if self._api_base:
            kwargs["api_base"] = self._api_base
        if self._api_key:
            kwargs["api_key"] = self._api_key
        started = time.perf_counter()
        config = self.config
        endpoint = self._api_base or f"litellm:{config.model}"
        loop = asyncio.get_running_loop()
        if self._limiter is None or self._limiter[0] is not loop:  # one fingerprint per run, not per call
            self._limiter = (loop, endpoint_limiter(config, endpoint, self._api_key))
        limiter = self._limiter[1]
        attempts = Attempts()
        result = await with_retries(
            lambda: self._attempt(kwargs, limiter),
            config_name=config.name,
            url=endpoint,
            max_retries=config.max_retries,
            timeout_s=config.timeout_s,
            backoff_s=self._backoff_s,
            limiter=limiter,
            body=kwargs,
            max_rate_limit_wait_s=config.max_rate_limit_wait_s,
            attempts=attempts,
        )
        response = self._response(result, started)
        response.retries, response.rate_limited = attempts.retries, attempts.rate_limited
        return response

    def _response(self, result: Any, started: float) -> Response:
        try:
            choice = result.choices[0]
            text = choice.message.content
        except (AttributeError, IndexError, TypeError):
            raise ModelError(f"{self._where} answered without choices[0].message") from None
        usage = getattr(result, "usage", None)
        response = Response(
            text=text,
            usage=Usage(
                getattr(usage, "prompt_tokens", 0) or 0,
                getattr(usage, "completion_tokens", 0) or 0,
                self._cost(result),
            ),
            latency_s=time.perf_counter() - started,
        )
        if text is None:
            response.error = f"no text in the answer (finish_reason={getattr(choice, 'finish_reason', None)!r})"
        return response

    def _cost(self, result: Any) -> float | None:
        """USD cost when litellm's cost map knows the model; ``None`` (not 0) when it does not."""
        hidden = getattr(result, "_hidden_params", None) or {}
        cost = hidden.get("response_cost")
        if cost is None:
            if not self._priced:  # the cost map did not know this model before: do not ask again (costs ~3 ms)
                return None
            try:
                cost = self._litellm.completion_cost(completion_response=result)
            except Exception:  # noqa: BLE001 - unknown model / provider: cost is unknown, not an error
                self._priced = False
                return None
        try:
            cost = float(cost)
        except (TypeError, ValueError):
            return None
        return cost if cost >= 0 else None

    async def aclose(self) -> None:
        self._litellm = None
