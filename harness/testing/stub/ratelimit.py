"""A provider's rate limit, the way OpenAI applies and announces it, for the test server.

Requests and tokens each drain a bucket that refills continuously at ``rpm/60`` (``tpm/60``) per
second and holds ``burst_s`` seconds of refill (OpenAI enforces its per-minute limits over short
windows). An admitted request costs one request and its prompt tokens plus its ``max_tokens``
(what OpenAI counts at admission). Every answer carries ``x-ratelimit-limit-*``,
``x-ratelimit-remaining-*`` and ``x-ratelimit-reset-*`` (time until the bucket is full, as
``"1s"``, ``"120ms"``, ``"6m0s"``); a rejected request gets 429 with ``retry-after`` (whole
seconds) and ``retry-after-ms``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


def format_duration(seconds: float) -> str:
    """OpenAI's reset format: ``"17ms"`` below a second, else ``"1.5s"``, ``"6m0s"``, ``"1h0m0s"``."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{secs:.3f}".rstrip("0").rstrip(".") + "s"
    if minutes or hours:
        text = f"{int(minutes)}m{text}"
    if hours:
        text = f"{int(hours)}h{text}"
    return text


@dataclass
class _Bucket:
    per_minute: float
    burst_s: float
    tokens: float = field(init=False)
    at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    @property
    def rate(self) -> float:
        return self.per_minute / 60.0

    @property
    def capacity(self) -> float:
        return max(1.0, self.rate * self.burst_s)

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def wait(self, cost: float) -> float:
        need = min(cost, self.capacity) - self.tokens
        return 0.0 if need <= 0 else need / self.rate

    def headers(self, unit: str) -> dict[str, str]:
        return {
            f"x-ratelimit-limit-{unit}": str(int(self.per_minute)),
            f"x-ratelimit-remaining-{unit}": str(max(0, math.floor(self.tokens))),
            f"x-ratelimit-reset-{unit}": format_duration((self.capacity - self.tokens) / self.rate),
        }


class RateLimit:
    """``rpm`` and/or ``tpm`` limits; :meth:`admit` decides and gives the headers to send."""

    def __init__(self, rpm: float | None = None, tpm: float | None = None, burst_s: float = 1.0) -> None:
        if not rpm and not tpm:
            raise ValueError("a rate limit needs rpm or tpm")
        if burst_s <= 0:
            raise ValueError("burst_s must be > 0")
        self.requests = _Bucket(rpm, burst_s) if rpm else None
        self.tokens = _Bucket(tpm, burst_s) if tpm else None

    def admit(self, cost_tokens: float) -> tuple[bool, dict[str, str]]:
        """(admitted, headers). A request is admitted only when both buckets can pay for it."""
        now = time.monotonic()
        wait = 0.0
        for bucket, cost in ((self.requests, 1.0), (self.tokens, cost_tokens)):
            if bucket is not None:
                bucket.refill(now)
                wait = max(wait, bucket.wait(cost))
        if wait <= 0:
            for bucket, cost in ((self.requests, 1.0), (self.tokens, cost_tokens)):
                if bucket is not None:
                    bucket.tokens -= min(cost, bucket.capacity)
        headers = {**self._headers("requests", self.requests), **self._headers("tokens", self.tokens)}
        if wait > 0:
            headers["retry-after"] = str(max(1, math.ceil(wait)))
            headers["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
        return wait <= 0, headers

    @staticmethod
    def _headers(unit: str, bucket: _Bucket | None) -> dict[str, str]:
        return bucket.headers(unit) if bucket is not None else {}
