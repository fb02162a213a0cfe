"""The lean direct path to OpenAI-compatible servers (vLLM, SGLang, llama.cpp server, Ollama).

litellm spends ~3.5 ms of CPU per call; against a local server that caps a run at ~280 req/s.
This backend does one POST to ``{base_url}/chat/completions`` on a single aiohttp session whose
keep-alive pool grows to the concurrency, and parses the JSON by hand (no pydantic on the hot
path), which keeps a 2-core client near the C/L ceiling.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp  # imported with the backend (when a run builds its model), not per request

from harness import fastjson
from harness.models.base import ModelError, Request, Response, Usage
from harness.models.config import ModelConfig
from harness.models.retry import ConnectFailed, Retryable, describe, raise_for_status, safe_url, with_retries
from harness.plugins.models.endpoint import required_api_key, resolve_base_url

BACKEND = "openai_compat"
CONNECT_TIMEOUT_S = 30.0


def parse_completion(data: Any, where: str, started: float) -> Response:
    """A chat-completions JSON body -> :class:`Response`."""
    try:
        choice = data["choices"][0]
        message = choice.get("message") or {}
        text = message.get("content")
    except (KeyError, IndexError, TypeError, AttributeError):
        raise ModelError(f"{where} answered without choices[0].message: {str(data)[:300]}") from None
    usage = data.get("usage") or {}
    response = Response(
        text=text,
        usage=Usage(usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0),
        latency_s=time.perf_counter() - started,
    )
    if text is None:
        response.error = f"no text in the answer (finish_reason={choice.get('finish_reason')!r})"
    return response


class OpenAICompatModel:
    """One model behind an OpenAI-compatible ``/chat/completions`` endpoint."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self._base_url = resolve_base_url(config)
        self._url = self._base_url + "/chat/completions"
        self._where = describe(config.name, self._url)
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = required_api_key(config)
        if key:
            self._headers["Authorization"] = f"Bearer {key}"  # lives only here; never logged or reported
        self._defaults: dict[str, Any] = {"model": config.model, **config.params}
        self._backoff_s = float(config.options.get("retry_backoff_s", 0.5))
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"OpenAICompatModel(config={self.config.name!r}, model={self.config.model!r}, url={safe_url(self._url)!r})"

    @property
    def identity(self) -> dict[str, Any]:
        return {"backend": BACKEND, "model": self.config.model, "base_url": safe_url(self._base_url), "params": dict(self.config.params)}

    def _open(self) -> Any:
        self._loop = asyncio.get_running_loop()
        # limit=0: the pool holds as many keep-alive connections as there are requests in flight,
        # which the runner bounds; a config's ``concurrency`` caps it explicitly.
        connector = aiohttp.TCPConnector(limit=self.config.concurrency or 0, limit_per_host=0, ttl_dns_cache=300, keepalive_timeout=60,
                                         ssl=self._url.startswith("https:"))
        self._session = aiohttp.ClientSession(
            connector=connector,
            # with_retries bounds each attempt; a connect that hangs (a black-holed host) is an unreachable endpoint
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=min(self.config.timeout_s, CONNECT_TIMEOUT_S)),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self._session

    async def _post(self, payload: bytes) -> Any:
        session = self._session
        if session is None or self._loop is not asyncio.get_running_loop():
            session = self._open()  # first call, or the model is reused from another event loop
        try:
            async with session.post(self._url, data=payload, headers=self._headers) as resp:
                raw = await resp.read()
                status = resp.status
                if status >= 400:
                    raise_for_status(status, raw, resp.headers, self._where)
        except aiohttp.ClientConnectorError as exc:
            raise ConnectFailed(str(exc)) from None
        except aiohttp.ConnectionTimeoutError:
            raise ConnectFailed(f"no connection within {min(self.config.timeout_s, CONNECT_TIMEOUT_S):g} s") from None
        except aiohttp.InvalidURL as exc:
            raise ModelError(f"{self._where}: invalid URL ({exc})") from None
        except aiohttp.ClientError as exc:  # dropped connection, reset, truncated body
            raise Retryable(f"{type(exc).__name__}: {exc}") from None
        try:
            return fastjson.loads(raw)
        except ValueError:
            raise ModelError(f"{self._where} answered HTTP {status} with a body that is not JSON: {raw[:200]!r}") from None

    async def generate(self, request: Request) -> Response:
        body = {**self._defaults, **request.params, "messages": request.messages}
        payload = fastjson.dumps(body)
        started = time.perf_counter()
        data = await with_retries(
            lambda: self._post(payload),
            config_name=self.config.name,
            url=self._url,
            max_retries=self.config.max_retries,
            timeout_s=self.config.timeout_s,
            backoff_s=self._backoff_s,
        )
        return parse_completion(data, self._where, started)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


