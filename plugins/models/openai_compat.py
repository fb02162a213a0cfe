"""The lean direct path to OpenAI-compatible servers (vLLM, SGLang, llama.cpp server, Ollama, OpenAI).

litellm spends ~3.5 ms of CPU per call; against a local server that caps a run at ~280 req/s.
This backend does one POST to ``{base_url}/chat/completions`` with aiohttp and parses the JSON
without pydantic, which keeps a 2-core client near the C/L ceiling. ``HTTP(S)_PROXY``, ``NO_PROXY``
and ``.netrc`` work as in any other client (read once per session with aiohttp's own helpers).

Options (``model.options``): ``headers`` (sent with every request, never logged or recorded),
``stream`` (server-sent events: a server that stops sending for ``idle_timeout_s`` is dead, one
that is slow but sending is not), ``retry_backoff_s``. A base URL may carry a query string
(``?api-version=...``): it is kept on every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from aiohttp.helpers import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
from yarl import URL

from harness import fastjson
from harness.models.base import ModelError, Request, Response, Usage
from harness.models.config import ModelConfig
from harness.models.ratelimit import UNBOUNDED, Limiter, endpoint_limiter, prompt_chars
from harness.models.retry import Attempts, ConnectFailed, Retryable, describe, raise_for_status, safe_url, with_retries
from harness.plugins.models.endpoint import required_api_key, resolve_base_url

BACKEND = "openai_compat"
CONNECT_TIMEOUT_S = 30.0
DEFAULT_IDLE_TIMEOUT_S = 60.0


def endpoint_url(base_url: str, path: str) -> str:
    """``base_url`` + ``path``, keeping the base URL's query string (``?api-version=...``) at the end."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ModelError(f"invalid base URL {safe_url(base_url)!r}: expected http://host[:port]/path or https://...")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + path, parts.query, ""))


def extra_headers(config: ModelConfig) -> dict[str, str]:
    """``options.headers``: a mapping of header names to strings, checked up front."""
    headers = config.options.get("headers") or {}
    if not isinstance(headers, Mapping) or not all(isinstance(v, (str, int, float)) for v in headers.values()):
        raise ModelError(f"model config '{config.name}': options.headers must map header names to strings")
    return {str(name): str(value) for name, value in headers.items()}


def environment_options(url: str, *, netrc: bool) -> dict[str, Any]:
    """``proxy``/``proxy_auth`` from ``HTTP(S)_PROXY`` and ``NO_PROXY``, and ``auth`` from ``.netrc``
    (``netrc``: no Authorization header of our own), with aiohttp's own readers of the environment."""
    options: dict[str, Any] = {}
    with contextlib.suppress(LookupError):
        options["proxy"], options["proxy_auth"] = get_env_proxy_for_url(URL(url))
    if netrc:
        with contextlib.suppress(LookupError):
            host = urlsplit(url).hostname
            options["auth"] = basicauth_from_netrc(netrc_from_env(), host)
    return options


def parse_completion(data: Any, where: str, started: float) -> Response:
    """A chat-completions JSON body -> :class:`Response`."""
    try:
        choice = data["choices"][0]
        message = choice.get("message") or {}
        text = message.get("content")
    except (KeyError, IndexError, TypeError, AttributeError):
        raise ModelError(f"{where} answered without choices[0].message: {str(data)[:300]}") from None
    return _response(text, choice.get("finish_reason"), data.get("usage"), started)


def _response(text: str | None, finish_reason: Any, usage: Any, started: float) -> Response:
    usage = usage if isinstance(usage, Mapping) else {}
    response = Response(
        text=text,
        usage=Usage(usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0),
        latency_s=time.perf_counter() - started,
    )
    if text is None:
        response.error = f"no text in the answer (finish_reason={finish_reason!r})"
    return response


class OpenAICompatModel:
    """One model behind an OpenAI-compatible ``/chat/completions`` endpoint."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self._base_url = resolve_base_url(config)
        self._url = endpoint_url(self._base_url, "/chat/completions")
        self._where = describe(config.name, self._url)
        key = required_api_key(config)
        self._headers = {"Content-Type": "application/json", "Accept": "application/json", **extra_headers(config)}
        if key:
            self._headers["Authorization"] = f"Bearer {key}"  # lives only here; never logged or reported
        self._defaults: dict[str, Any] = {"model": config.model, **config.params}
        self._backoff_s = float(config.options.get("retry_backoff_s", 0.5))
        self._stream = bool(config.options.get("stream", False))
        self._idle_timeout_s = float(config.options.get("idle_timeout_s", DEFAULT_IDLE_TIMEOUT_S))
        self._key = key
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._limiter: Limiter | None = None
        self._request_options: dict[str, Any] = {}

    def __repr__(self) -> str:
        return (
            f"OpenAICompatModel(config={self.config.name!r}, model={self.config.model!r}, url={safe_url(self._url)!r})"
        )

    @property
    def identity(self) -> dict[str, Any]:
        return {
            "backend": BACKEND,
            "model": self.config.model,
            "base_url": safe_url(self._base_url),
            "params": dict(self.config.params),
        }

    def _client(self) -> tuple[aiohttp.ClientSession, Limiter]:
        """The session and the endpoint's limiter of the running event loop (a model may be reused
        from another loop). The proxy and ``.netrc`` credentials are looked up here, once, as
        aiohttp's ``trust_env`` would on every request (two thread hops per request)."""
        session, loop = self._session, asyncio.get_running_loop()
        if session is None or session.closed or self._session_loop is not loop:
            self._session_loop = loop  # kept here: aiohttp's session.loop warns (deprecated) on every read
            connector = aiohttp.TCPConnector(limit=self.config.concurrency or UNBOUNDED, ttl_dns_cache=300)
            session = self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=min(self.config.timeout_s, CONNECT_TIMEOUT_S)),
            )
            self._request_options = environment_options(self._url, netrc="Authorization" not in self._headers)
            self._limiter = endpoint_limiter(self.config, self._url, self._key)
        assert self._limiter is not None
        return session, self._limiter

    async def _post(self, payload: bytes, started: float, session: aiohttp.ClientSession, limiter: Limiter) -> Response:
        try:
            async with session.post(self._url, data=payload, headers=self._headers, **self._request_options) as answer:
                limiter.observe(answer.headers)
                if answer.status >= 400:
                    raise_for_status(answer.status, await answer.read(), answer.headers, self._where)
                if self._stream:
                    return await self._read_stream(answer, started)
                body = await answer.read()
        except aiohttp.ClientConnectorCertificateError as exc:
            raise ModelError(f"{self._where}: TLS certificate rejected: {exc}") from None
        except aiohttp.ClientConnectorError as exc:
            raise ConnectFailed(f"cannot connect: {exc}") from None
        except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
            raise Retryable(f"connection dropped: {type(exc).__name__}: {exc}") from None
        except ssl.SSLError as exc:
            raise ModelError(f"{self._where}: TLS failed: {exc}") from None
        try:
            data = fastjson.loads(body)
        except ValueError:
            raise ModelError(
                f"{self._where} answered HTTP {answer.status} with a body that is not JSON: {body[:200]!r}"
            ) from None
        return parse_completion(data, self._where, started)

    async def _read_stream(self, answer: aiohttp.ClientResponse, started: float) -> Response:
        """Server-sent events: the text is the deltas joined; a silence of ``idle_timeout_s`` is a dead server."""
        pieces: list[str] = []
        finish: Any = None
        usage: Any = None
        while True:
            try:
                async with asyncio.timeout(self._idle_timeout_s):
                    line = await answer.content.readline()
            except TimeoutError:
                raise Retryable(f"the stream stalled: nothing for {self._idle_timeout_s:g} s") from None
            if not line:
                raise Retryable("the stream ended before [DONE]")
            line = line.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                break
            try:
                event = fastjson.loads(data)
            except ValueError:
                raise ModelError(f"{self._where} streamed an event that is not JSON: {data[:200]!r}") from None
            usage = event.get("usage") or usage
            for choice in event.get("choices") or ():
                delta = choice.get("delta") or {}
                if delta.get("content"):
                    pieces.append(delta["content"])
                finish = choice.get("finish_reason") or finish
        return _response("".join(pieces) if pieces or finish else None, finish, usage, started)

    async def generate(self, request: Request) -> Response:
        body = {**self._defaults, **request.params, "messages": request.messages}
        if self._stream:
            body["stream"] = True
            body.setdefault("stream_options", {"include_usage": True})
        payload = fastjson.dumps(body)
        started = time.perf_counter()
        attempts = Attempts()
        session, limiter = self._client()
        response = await with_retries(
            lambda: self._post(payload, started, session, limiter),
            config_name=self.config.name,
            url=self._url,
            max_retries=self.config.max_retries,
            timeout_s=self.config.timeout_s,
            backoff_s=self._backoff_s,
            limiter=limiter,
            body=body,
            max_rate_limit_wait_s=self.config.max_rate_limit_wait_s,
            attempts=attempts,
        )
        response.retries, response.rate_limited = attempts.retries, attempts.rate_limited
        if limiter.tokens is not None:
            limiter.learn(prompt_chars(body), response.usage.prompt_tokens)
        return response

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            if not session.closed and self._session_loop is asyncio.get_running_loop():
                await session.close()
