"""The one way a model is asked anything during a run: through the response cache, within a
concurrency bound, with every answer counted.

The runner (the model under test) and the judges both hold a :class:`CachedModel`, so a judge
call is cached, bounded, capped, priced and tallied exactly like a model call, and a failure
reads the same in ``results.json`` wherever it happened.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from harness.hashing import fingerprint
from harness.models.base import EndpointUnreachable, Model, ModelError, Request, Response, Usage
from harness.models.cache import ResponseCache, request_key
from harness.models.config import ModelConfig
from harness.models.retry import safe_url

_HTTP_STATUS = re.compile(r"\b(?:HTTP|status|Error code:?)\s*(\d{3})\b", re.IGNORECASE)
_KINDS = (
    ("timeout", re.compile(r"time(?:d)?\s*out|timeout|deadline", re.IGNORECASE)),
    ("connection", re.compile(r"connect|connection|unreachable|refused|reset by peer", re.IGNORECASE)),
    ("rate limit", re.compile(r"rate.?limit|too many requests", re.IGNORECASE)),
    ("context length", re.compile(r"context (?:length|window)|too long|maximum context", re.IGNORECASE)),
    ("no text", re.compile(r"returned no text", re.IGNORECASE)),
)


_WHERE = re.compile(r"^(?:judge '[^']*': )?model config '[^']*'(?: \([^)]*\))?(?: at \S+?)?:\s*")


def error_kind(message: str) -> str:
    """The kind of a failure, for grouping: ``HTTP 401``, ``timeout``, ``connection``, ... or, for
    anything else, the message's first clause after the model's name and endpoint."""
    status = _HTTP_STATUS.search(message)
    if status:
        return f"HTTP {status.group(1)}"
    for kind, pattern in _KINDS:
        if pattern.search(message):
            return kind
    return _WHERE.sub("", message).split(":", 1)[0].strip()[:80] or "other"


@dataclass
class Tally:
    """What one model cost and how it failed, over one run (or one rubric)."""

    requests: int = 0  # issued in this run
    cache_hits: int = 0
    failed: int = 0
    usage: Usage = field(default_factory=Usage)  # every answer used, cached or not
    issued_usage: Usage = field(default_factory=Usage)  # only what this run paid for
    errors: Counter = field(default_factory=Counter)  # failures by kind
    error_examples: dict[str, str] = field(default_factory=dict)  # kind -> the first failure's whole message
    counters: Counter = field(default_factory=Counter)  # e.g. truncated answers, repair prompts

    def hit(self, response: Response) -> None:
        self.cache_hits += 1
        self.usage.add(response.usage)
        self._count(response)

    def issued(self, response: Response) -> None:
        self.requests += 1
        self._count(response)
        if response.error is not None:
            self.failed += 1
            kind = error_kind(response.error)
            self.errors[kind] += 1
            self.error_examples.setdefault(kind, response.error[:500])
            return
        self.usage.add(response.usage)
        self.issued_usage.add(response.usage)

    def _count(self, response: Response) -> None:
        if response.truncated:
            self.counters["truncated"] += 1
        for name in ("retries", "rate_limited"):  # transport counters, where a backend reports them
            value = getattr(response, name, 0)
            if isinstance(value, int) and value:
                self.counters[name] += value

    def as_dict(self) -> dict[str, Any]:
        """The ``usage`` entry of results.json."""
        return {
            "requests": self.requests,
            "cache_hits": self.cache_hits,
            "failed": self.failed,
            "prompt_tokens": self.usage.prompt_tokens,
            "completion_tokens": self.usage.completion_tokens,
            "cost_usd": self.usage.cost_usd,
            **dict(self.counters),
            "this_run": {
                "prompt_tokens": self.issued_usage.prompt_tokens,
                "completion_tokens": self.issued_usage.completion_tokens,
                "cost_usd": self.issued_usage.cost_usd,
            },
        }


class CachedModel:
    """A model backend behind the response cache, a concurrency bound and an answer cap.

    The cache key is the model's identity (read once, after any ``fit``) plus the request's
    messages and parameters, so anything that could change an answer misses. Failed requests are
    not cached. ``label`` (e.g. ``judge 'gpt4o'``) prefixes an unreachable-endpoint error.
    """

    def __init__(
        self,
        model: Model,
        cache: ResponseCache,
        *,
        concurrency: int | None = None,
        max_answer_bytes: int | None = None,
        label: str | None = None,
    ):
        self.model = model
        self.cache = cache
        self.max_answer_bytes = max_answer_bytes
        self.label = label
        self.tally = Tally()
        self._bound = asyncio.Semaphore(concurrency) if concurrency else None
        self._identity: dict[str, Any] | None = None
        self._in_flight: dict[str, asyncio.Future[Response]] = {}  # one request per key at a time

    @property
    def config(self) -> ModelConfig:
        return self.model.config

    @property
    def identity(self) -> dict[str, Any]:
        if self._identity is None:
            self._identity = self.model.identity
        return self._identity

    def key(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        return request_key(self.identity, messages, params)

    async def ask(
        self,
        request: Request,
        *,
        key: str | None = None,
        found: Response | None = None,
        looked_up: bool = False,
        tally: Tally | None = None,
    ) -> Response:
        """The answer to ``request``: ``found`` (a batched lookup's result), the cache's, or the
        model's. ``looked_up``: the caller already searched the cache for ``key`` (only an answer
        stored since then is looked for). ``tally``: where to count it (default: this model's own;
        a judge shared by several rubrics counts per rubric)."""
        tally = self.tally if tally is None else tally
        key = key or self.key(request.messages, request.params)
        if found is None and (not looked_up or self.cache.seen(key)):
            found = self.cache.get(key)
        if found is None and key in self._in_flight:  # the same request is under way: share its answer
            found = await asyncio.shield(self._in_flight[key])
            if found.error is not None:  # its failure is counted once, where it was asked
                found = None
            else:
                found = replace(found, cached=True, retries=0, rate_limited=0)
        if found is not None:
            tally.hit(found)
            return found
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            response = await self._generate(request)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a waiter re-raises it, nobody else must
            raise
        finally:
            del self._in_flight[key]
        future.set_result(response)
        tally.issued(response)
        if response.error is None:
            self.cache.put(key, response)
        return response

    async def _generate(self, request: Request) -> Response:
        start = time.perf_counter()
        try:
            if self._bound is None:
                response = await self.model.generate(request)
            else:
                async with self._bound:
                    response = await self.model.generate(request)
        except EndpointUnreachable as exc:
            if self.label:
                raise EndpointUnreachable(f"{self.label}: {exc}") from None
            raise
        except ModelError as exc:
            response = Response(text=None, error=str(exc))
        if response.error is None and response.text is None:
            response.error = "the model returned no text"
        response.latency_s = response.latency_s or (time.perf_counter() - start)
        _price(response, self.config)
        return response.capped(self.max_answer_bytes)

    def record(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The model as results.json records it (``params``: what was sent), never secrets."""
        config = self.config
        base_url = config.resolved_base_url()
        return {
            "name": config.name,
            "backend": config.backend,
            "model": config.model,
            "base_url": safe_url(base_url) if base_url else None,
            "params": dict(config.params) if params is None else params,
            "identity_sha256": fingerprint(self.identity),
        }

    async def aclose(self) -> None:
        await self.model.aclose()


def _price(response: Response, config: ModelConfig) -> None:
    """Cost from ``options.price_per_mtok: {prompt, completion}`` when the backend reports none."""
    price = config.options.get("price_per_mtok")
    if response.usage.cost_usd is None and isinstance(price, dict):
        response.usage.cost_usd = (
            response.usage.prompt_tokens * float(price.get("prompt", 0))
            + response.usage.completion_tokens * float(price.get("completion", 0))
        ) / 1e6
