"""Pacing to a provider's rate limit, shared by every client of one endpoint.

Every API has a rate limit, and a run that bounces off it loses time (each rejected request costs a
round trip and a wait) or samples. A :class:`Limiter` keeps a run just under the limit instead:

* **Learned limits.** OpenAI-style headers (``x-ratelimit-limit-requests``, ``-remaining-requests``,
  ``-reset-requests`` and the same for ``-tokens``) give the allowed rate and how much is left
  now. The limiter mirrors the provider's bucket on the client: it starts from what the provider
  says remains and refills a little slower than the provider does, so it never asks for more than
  the provider would grant. Configured ``rpm``/``tpm`` (``model.options``) do the same for
  providers that send no headers.
* **A probe first.** Until the first answer from an endpoint arrives, one request is in flight: a
  full window of requests sent blind into a small bucket would be rejected together. Not for a
  server on this machine (a loopback host: local inference servers do not rate-limit, and one
  generation alone would hold the window), unless ``probe: true`` says otherwise.
* **AIMD.** The number of requests in flight is a window (at most the run's concurrency) that
  halves on a 429 and grows back by one per round trip; the pacing rate of known limits does the
  same (multiplicative decrease on a 429, additive recovery), so a limit the headers misstate, or
  a provider that states none, is still found.
* **Waits the provider asks for.** A 429's ``retry-after-ms``/``retry-after`` pauses every request to
  that endpoint, not just the one that was rejected.

Limiters are shared per endpoint (URL and API key), so the model under test and the judges on the
same account pace together. Hand-written because no maintained asyncio library reads these
headers (aiolimiter is a fixed leaky bucket; litellm's router limits only its own deployments).
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import re
import time
import weakref
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harness.hashing import fingerprint
from harness.models.config import ModelConfig
from harness.models.retry import lower_keys

UNBOUNDED = 1024  # requests in flight when neither the model config nor the run bounds them
SAFETY = 0.98  # pace at this share of the provider's refill rate
MIN_RATE_FACTOR = 0.1
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: str | None) -> float | None:
    """Seconds from a reset header: ``"1s"``, ``"6m0s"``, ``"20ms"``, ``"1h2m3.5s"`` or a bare number."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


@dataclass(frozen=True)
class Quota:
    """One limit as the provider states it: ``limit`` per minute, ``remaining`` now, full again in ``reset_s``."""

    limit: float
    remaining: float
    reset_s: float | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], unit: str) -> Quota | None:
        try:
            limit = float(headers[f"x-ratelimit-limit-{unit}"])
            remaining = float(headers[f"x-ratelimit-remaining-{unit}"])
        except (KeyError, ValueError):
            return None
        if limit <= 0:
            return None
        return cls(limit, max(0.0, remaining), parse_duration(headers.get(f"x-ratelimit-reset-{unit}")))

    @property
    def rate(self) -> float:
        """Refill per second. OpenAI's limits are per minute; a reset time refines it when it is consistent."""
        return self.limit / 60.0

    @property
    def capacity(self) -> float:
        """How much the bucket holds when full: what remains plus what refills before the reset."""
        if self.reset_s is None:
            return self.limit
        return min(self.limit, self.remaining + self.reset_s * self.rate)


class Bucket:
    """A client-side token bucket refilled at ``rate`` per second up to ``capacity``."""

    def __init__(self, rate: float, capacity: float, tokens: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self.tokens = min(tokens, self.capacity)
        self._at = time.monotonic()

    def refill(self, now: float, factor: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self._at) * self.rate * factor)
        self._at = now

    def wait_for(self, amount: float, factor: float) -> float:
        """Seconds until ``amount`` is available (an amount above capacity waits for a full bucket)."""
        need = min(amount, self.capacity) - self.tokens
        return 0.0 if need <= 0 else need / (self.rate * factor)


class Limiter:
    """Admission control for one endpoint: ``async with limiter.slot(cost)`` around each attempt."""

    def __init__(
        self, max_in_flight: int, *, rpm: float | None = None, tpm: float | None = None, probe: bool = True
    ) -> None:
        self.max_in_flight = max(1, int(max_in_flight))
        self.window = 1.0 if probe else float(self.max_in_flight)
        self.probing = probe
        self.in_flight = 0
        self.factor = 1.0  # share of the learned rate paced at (AIMD on a 429)
        self.paused_until = 0.0
        self.requests: Bucket | None = Bucket(rpm / 60, rpm / 60, rpm / 60) if rpm else None
        self.tokens: Bucket | None = Bucket(tpm / 60, tpm / 60, tpm / 60) if tpm else None
        self._configured = (rpm is not None, tpm is not None)
        self._last_decrease = 0.0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.rejected = 0
        self.chars_per_token = 4.0  # refined from the usage answers report (see learn)

    def cost(self, body: Mapping[str, Any]) -> float:
        """What a provider counts against a tokens-per-minute limit at admission: the prompt's tokens
        (estimated from its characters) plus the completion budget asked for. 0 without such a limit."""
        if self.tokens is None:
            return 0.0
        return prompt_chars(body) / self.chars_per_token + completion_budget(body)

    def learn(self, chars: int, prompt_tokens: int) -> None:
        """Refine the characters-per-token estimate from an answer's reported prompt tokens."""
        if chars > 0 and prompt_tokens > 0:
            self.chars_per_token = 0.8 * self.chars_per_token + 0.2 * (chars / prompt_tokens)

    # ---- admission ----
    def slot(self, body: Mapping[str, Any] | None = None) -> _Slot:
        """Admission of one request (``body``: what it costs against a tokens-per-minute limit)."""
        return _Slot(self, body)

    async def acquire(self, body: Mapping[str, Any] | None = None) -> None:
        while True:
            now = time.monotonic()
            cost_tokens = self.cost(body) if body is not None else 0.0  # limits learned while waiting count
            wait = self._wait(now, cost_tokens)
            if wait is None:
                self.in_flight += 1
                if self.requests is not None:
                    self.requests.tokens -= 1
                if self.tokens is not None:
                    self.tokens.tokens -= cost_tokens
                return
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # this waiter was woken, then cancelled: pass the turn on
                waiter.cancel()
                raise

    def _wait(self, now: float, cost_tokens: float) -> float | None:
        """None: admit now; 0: wait for a request to finish; > 0: sleep that long."""
        if now < self.paused_until:
            return self.paused_until - now
        if self.in_flight >= max(1, math.floor(self.window)):
            return 0.0
        wait = 0.0
        for bucket, amount in ((self.requests, 1.0), (self.tokens, cost_tokens)):
            if bucket is not None:
                bucket.refill(now, SAFETY * self.factor)
                wait = max(wait, bucket.wait_for(amount, SAFETY * self.factor))
        return None if wait <= 0 else wait

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.get_loop().call_soon_threadsafe(_resolve, waiter)
                return

    # ---- feedback ----
    def observe(self, headers: Mapping[str, str] | None) -> None:
        """An answer arrived (any status): learn the limits its headers state and leave the probe."""
        if not self.probing and not (headers and _states_limits(headers)):
            return
        headers = lower_keys(headers)
        for unit, attr, configured in (
            ("requests", "requests", self._configured[0]),
            ("tokens", "tokens", self._configured[1]),
        ):
            quota = Quota.from_headers(headers, unit)
            if quota is None or configured:
                continue
            bucket: Bucket | None = getattr(self, attr)
            if bucket is None:  # first sight: start from what the provider says remains
                setattr(self, attr, Bucket(quota.rate, quota.capacity, quota.remaining))
            else:
                bucket.rate, bucket.capacity = quota.rate, max(1.0, quota.capacity)
        if self.probing:  # the endpoint answered: open the window (paced by the buckets, if any)
            self.probing = False
            self.window = float(self.max_in_flight)
            for _ in range(len(self._waiters)):
                self._wake()

    def succeeded(self) -> None:
        """Additive increase: one more request in flight per round trip, the pacing rate back towards 1."""
        if self.window < self.max_in_flight:
            self.window = min(float(self.max_in_flight), self.window + 1.0 / self.window)
            self._wake()
        if self.factor < 1.0:
            self.factor = min(1.0, self.factor + 0.01)

    def rate_limited(self, retry_after: float | None) -> None:
        """A 429: pause everyone for the wait asked, halve the window or the pace (once per wait)."""
        self.rejected += 1
        now = time.monotonic()
        wait = retry_after if retry_after is not None else 1.0
        self.paused_until = max(self.paused_until, now + wait)
        for bucket in (self.requests, self.tokens):
            if bucket is not None:
                bucket.refill(now, SAFETY * self.factor)
                bucket.tokens = min(bucket.tokens, 0.0)
        if now - self._last_decrease >= max(wait, 0.5):
            self._last_decrease = now
            self.window = max(1.0, self.window / 2)
            self.factor = max(MIN_RATE_FACTOR, self.factor * 0.7)


def _states_limits(headers: Mapping[str, str]) -> bool:
    """Whether an answer's headers state a rate limit (cheap: checked on every answer)."""
    return any("ratelimit" in str(name).lower() for name in headers)


class _Slot:
    def __init__(self, limiter: Limiter, body: Mapping[str, Any] | None) -> None:
        self.limiter = limiter
        self.body = body

    async def __aenter__(self) -> Limiter:
        await self.limiter.acquire(self.body)
        return self.limiter

    async def __aexit__(self, *exc: object) -> None:
        self.limiter.release()


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Limiter]] = weakref.WeakKeyDictionary()


def shared_limiter(
    url: str,
    api_key: str | None,
    *,
    max_in_flight: int,
    rpm: float | None = None,
    tpm: float | None = None,
    probe: bool | None = None,
) -> Limiter:
    """The one limiter of an endpoint (URL + API key) on the running event loop; the first caller's
    settings make it. Everything a run asks concurrently shares a loop, so the model and its judges
    share the limiter; a new loop (a new run, a test) starts without a previous run's penalties.

    A later caller with a larger concurrency widens its ceiling, so a judge on the model's endpoint
    can use the model's window once the model is done."""
    limiters = _SHARED.setdefault(asyncio.get_running_loop(), {})
    key = fingerprint({"url": url, "key": fingerprint(api_key or "")})
    limiter = limiters.get(key)
    if limiter is None:
        probe = not is_loopback(url) if probe is None else probe
        limiter = limiters[key] = Limiter(max_in_flight, rpm=rpm, tpm=tpm, probe=probe)
    elif max_in_flight > limiter.max_in_flight:
        limiter.max_in_flight = max_in_flight
    return limiter


def endpoint_limiter(config: ModelConfig, url: str, api_key: str | None) -> Limiter:
    """The shared limiter of a model config's endpoint, with the config's ``concurrency``, ``rpm`` and ``tpm``."""
    return shared_limiter(
        url, api_key, max_in_flight=config.concurrency or UNBOUNDED, rpm=config.rpm, tpm=config.tpm, probe=config.probe
    )


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine (``localhost`` or a loopback address)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prompt_chars(body: Mapping[str, Any]) -> int:
    """Characters of text in a chat request's messages: the basis of its token estimate."""
    chars = 0
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            chars += sum(len(part.get("text") or "") for part in content if isinstance(part, Mapping))
    return chars


def completion_budget(body: Mapping[str, Any]) -> float:
    budget = body.get("max_completion_tokens") or body.get("max_tokens") or 0
    return float(budget) if isinstance(budget, (int, float)) else 0.0
