"""The one retry policy every HTTP backend uses, so a model behaves the same whatever the transport.

A backend wraps one attempt in :func:`with_retries` and reports how the attempt failed by raising
one of the small exceptions below (or :func:`raise_for_status` does it from an HTTP status):

* :class:`Retryable` -- the server is busy or flaky (408, 409, 429, 5xx, dropped connection,
  timeout). Retried with exponential backoff and jitter, or after the server's ``Retry-After``.
* :class:`ConnectFailed` -- nothing answers at the address (connection refused, DNS failure).
  Retried too (a server may be starting); when the attempts run out the run cannot go on, so it
  becomes :class:`~harness.models.base.EndpointUnreachable`.
* :class:`~harness.models.base.ModelError` -- the request itself is wrong (other 4xx): retrying
  cannot help, so it propagates at once with the server's message.

* :class:`RateLimited` -- a 429. When the server says when to come back (``retry-after-ms`` /
  ``Retry-After``), the wait does not use up an attempt: only the total time waited is bounded
  (``max_rate_limit_wait_s``). With a :class:`~harness.models.ratelimit.Limiter` the whole endpoint
  pauses and slows down, not just the rejected request.

Each attempt gets ``config.timeout_s``; there are at most ``config.max_retries + 1`` attempts.
Error messages name the model config and the URL, never the API key.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from harness.models.base import EndpointUnreachable, ModelError

if TYPE_CHECKING:
    from harness.models.ratelimit import Limiter

T = TypeVar("T")

RETRYABLE_4XX = frozenset({408, 409, 429})
DEFAULT_BACKOFF_S = 0.5  # first backoff; doubles each attempt
MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 120.0  # a server asking for longer is treated as asking for this long
MAX_RATE_LIMIT_WAIT_S = 600.0  # total a request waits on 429s before it fails


@dataclass
class Attempts:
    """What it took to get one answer: counted into results.json's ``usage``."""

    retries: int = 0  # attempts after the first, 429s included
    rate_limited: int = 0  # 429 answers
    waited_s: float = 0.0  # time spent waiting on 429s


class Retryable(Exception):
    """One attempt failed in a way a later attempt may not."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConnectFailed(Retryable):
    """Nothing answered at the endpoint (connection refused, unknown host)."""


class RateLimited(Retryable):
    """HTTP 429: the provider's rate limit, with the wait it asked for (``retry_after``) if any."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def retry_after_s(headers: Mapping[str, str] | None) -> float | None:
    """The wait a 429 asks for: ``retry-after-ms`` (OpenAI's, finer) or ``retry-after`` (seconds or a date)."""
    headers = lower_keys(headers)
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"))


def lower_keys(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Header names in lower case, without the ``llm_provider-`` prefix litellm adds to the provider's."""
    out: dict[str, str] = {}
    for key, value in (headers or {}).items():
        name = str(key).lower()
        out[name.removeprefix("llm_provider-")] = str(value)
    return out


def backoff_delay(
    attempt: int, base: float = DEFAULT_BACKOFF_S, cap: float = MAX_BACKOFF_S, rng: random.Random | None = None
) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, so clients spread out."""
    ceiling = min(cap, base * (2**attempt))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def server_message(body: Any, limit: int = 500) -> str:
    """The human part of an error body: OpenAI's ``{"error": {"message": ...}}`` or the raw text."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        text = body.strip()
        try:
            import json

            body = json.loads(text)
        except ValueError:
            return text[:limit]
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping):
            for key in ("message", "detail", "msg"):
                if error.get(key):
                    return str(error[key])[:limit]
        elif error:
            return str(error)[:limit]
        if body.get("detail"):
            return str(body["detail"])[:limit]
    return str(body)[:limit]


def raise_for_status(status: int, body: Any, headers: Mapping[str, str] | None, where: str) -> None:
    """Classify a non-2xx HTTP answer: :class:`Retryable` or an immediate :class:`ModelError`.

    ``where`` names the model config and URL for the error message (see :func:`describe`).
    """
    if status < 400:
        return
    message = f"HTTP {status}: {server_message(body)}"
    if status == 429:
        raise RateLimited(message, retry_after_s(headers))
    if status in RETRYABLE_4XX or status >= 500:
        retry_after = parse_retry_after(_header(headers, "retry-after"))
        raise Retryable(message, retry_after)
    raise ModelError(f"{where} refused the request: {message}")


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header by its lower-case name from any mapping (HTTP header names are case-insensitive)."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def safe_url(url: str | None) -> str:
    """The URL without user info or query string: those are where secrets hide."""
    if not url:
        return "<no url>"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def describe(config_name: str, url: str | None) -> str:
    return f"model config '{config_name}' at {safe_url(url)}"


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    config_name: str,
    url: str | None,
    max_retries: int,
    timeout_s: float | None,
    backoff_s: float = DEFAULT_BACKOFF_S,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    limiter: Limiter | None = None,
    body: Mapping[str, Any] | None = None,
    max_rate_limit_wait_s: float = MAX_RATE_LIMIT_WAIT_S,
    attempts: Attempts | None = None,
) -> T:
    """Run ``attempt`` until it succeeds, fails for good, or the attempts run out.

    ``timeout_s`` bounds each attempt once admitted (``None``: the caller's transport enforces it);
    ``limiter`` admits each attempt (the request ``body`` is what it costs against a tokens-per-minute
    limit) and hears of every 429; ``attempts`` collects the counts.
    """
    attempts = attempts if attempts is not None else Attempts()
    last: Retryable | None = None
    failures = 0  # attempts that count toward max_retries
    while True:
        try:
            slot: AbstractAsyncContextManager[Any] = limiter.slot(body) if limiter else nullcontext()
            async with slot:
                if timeout_s is None:
                    result = await attempt()
                else:
                    async with asyncio.timeout(timeout_s):
                        result = await attempt()
            if limiter is not None:
                limiter.succeeded()
            return result
        except TimeoutError:
            last = Retryable(f"no answer within {timeout_s:g} s")
        except Retryable as exc:
            last = exc
        if limiter is not None:
            limiter.observe(None)  # an answer or a failure, the endpoint is no longer unknown
        if isinstance(last, RateLimited):
            attempts.rate_limited += 1
            if limiter is not None:
                limiter.rate_limited(last.retry_after)
            if last.retry_after is not None and attempts.waited_s + last.retry_after <= max_rate_limit_wait_s:
                attempts.retries += 1
                attempts.waited_s += last.retry_after
                if limiter is None:  # a limiter makes the next admission wait; alone, wait here
                    await sleep(min(last.retry_after, MAX_RETRY_AFTER_S))
                continue
            if last.retry_after is not None:
                break  # waited as long as allowed
        if failures == max_retries:
            break
        failures += 1
        attempts.retries += 1
        if last.retry_after is not None:
            delay = min(last.retry_after, MAX_RETRY_AFTER_S)
            delay += random.uniform(0, 0.1 * delay + 0.01)  # a little jitter so clients do not stampede
        else:
            delay = backoff_delay(failures - 1, backoff_s)
        await sleep(delay)
    assert last is not None
    where = describe(config_name, url)
    if isinstance(last, RateLimited) and last.retry_after is not None:
        raise ModelError(
            f"{where} still rate limited after waiting {attempts.waited_s:.0f} s "
            f"(max_rate_limit_wait_s={max_rate_limit_wait_s:g}): {last}"
        )
    count = failures + 1
    tries = f"{count} attempt{'s' if count > 1 else ''}"
    if isinstance(last, ConnectFailed):
        raise EndpointUnreachable(
            f"cannot reach {where} after {tries}: {last}. Is the server running and the base URL right?"
        )
    raise ModelError(f"{where} failed after {tries}: {last}")
