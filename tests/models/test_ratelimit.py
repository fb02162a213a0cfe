"""Pacing to a provider's rate limit: headers read, a shared limiter, AIMD, bounded 429 waits.

The provider is the OpenAI-compatible test server on 127.0.0.1 with OpenAI's rate-limit behaviour
(:mod:`harness.testing.stub.ratelimit`), driven through the real backends.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from backend_testing import ask, config, run

from harness.models.base import ModelError
from harness.models.ratelimit import Limiter, Quota, parse_duration, shared_limiter
from harness.models.retry import lower_keys, retry_after_s
from harness.plugins.models.openai_compat import OpenAICompatModel
from harness.testing.openai_stub import OpenAIStub, RateLimit, echo
from harness.testing.stub.ratelimit import format_duration


async def _all(model, *requests):
    try:
        return await asyncio.gather(*(model.generate(r) for r in requests))
    finally:
        await model.aclose()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("0.5", 0.5), ("soon", None), ("", None)],
)
def test_reset_durations_in_openai_format(text, seconds):
    assert parse_duration(text) == seconds


def test_durations_round_trip_through_the_servers_format():
    for seconds in (0.017, 1.5, 59.0, 360.0, 3723.5):
        assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, abs=0.001)


def test_quota_and_retry_after_from_headers():
    headers = lower_keys(
        {
            "X-RateLimit-Limit-Requests": "1200",
            "x-ratelimit-remaining-requests": "15",
            "x-ratelimit-reset-requests": "250ms",
            "llm_provider-retry-after-ms": "1500",  # litellm's prefix on the provider's headers
            "retry-after": "2",
        }
    )
    quota = Quota.from_headers(headers, "requests")
    assert quota is not None and quota.rate == 20.0 and quota.capacity == pytest.approx(20.0)
    assert Quota.from_headers(headers, "tokens") is None
    assert retry_after_s(headers) == 1.5  # the finer header wins
    assert retry_after_s({"Retry-After": "3"}) == 3.0


def test_a_429_halves_the_window_and_answers_grow_it_back():
    async def scenario():
        limiter = Limiter(64, probe=False)
        limiter.rate_limited(0.0)
        assert limiter.window == 32 and limiter.factor == pytest.approx(0.7)
        limiter.rate_limited(0.0)  # a second 429 of the same burst is not another halving
        assert limiter.window == 32
        for _ in range(32):
            limiter.succeeded()
        assert limiter.window == pytest.approx(33.0, abs=0.1)  # +1 per round trip (window answers)

    run(scenario())


def test_model_and_judge_on_one_endpoint_share_one_limiter():
    async def scenario():
        a = shared_limiter("http://h/v1/chat/completions", "k1", max_in_flight=8)
        b = shared_limiter("http://h/v1/chat/completions", "k1", max_in_flight=16)
        other_key = shared_limiter("http://h/v1/chat/completions", "k2", max_in_flight=8)
        return a, b, other_key

    a, b, other_key = run(scenario())
    assert a is b and a.max_in_flight == 16 and other_key is not a
    c, _, _ = run(scenario())
    assert c is not a  # a new event loop (a new run) starts fresh


def test_a_run_stays_under_the_providers_limit():
    """1,200 requests/minute, a burst of one second: 80 requests at C=40 all succeed, paced, almost never rejected."""
    with OpenAIStub(echo(), latency=0.05, rate_limit=RateLimit(rpm=1200)) as stub:
        # probe=True: the stub on 127.0.0.1 stands in for a remote provider (a loopback host is not probed by default)
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url, concurrency=40, probe=True))
        started = time.perf_counter()
        responses = run(_all(model, *(ask(f"q{i}", id=str(i)) for i in range(80))))
        elapsed = time.perf_counter() - started
        stats = stub.stats
    assert all(r.error is None for r in responses)
    rejected = stats.status_counts[429]
    assert rejected <= 2, f"{rejected} requests rejected"
    assert sum(r.rate_limited for r in responses) == rejected
    assert elapsed >= 2.5  # (80 - 20 burst) / 20 per second = 3 s: paced, not blasted
    assert elapsed < 8


def test_configured_rpm_paces_a_provider_that_sends_no_headers():
    with OpenAIStub(echo(), latency=0.01) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url, rpm=600))
        started = time.perf_counter()
        run(_all(model, *(ask(f"q{i}", id=str(i)) for i in range(30))))
        elapsed = time.perf_counter() - started
    assert elapsed >= 1.8  # 10 in the first second's bucket, then 10 per second: ~2 s


def test_tokens_per_minute_limit_is_respected():
    long = "word " * 200  # ~200 prompt tokens + max_tokens 50 = 250 per request; 30,000 tpm = 500 per second
    with OpenAIStub(echo(), latency=0.02, rate_limit=RateLimit(tpm=30_000)) as stub:
        model = OpenAICompatModel(
            config("openai_compat", base_url=stub.base_url, params={"max_tokens": 50}, probe=True)
        )
        started = time.perf_counter()
        responses = run(_all(model, *(ask(f"{long} {i}", id=str(i)) for i in range(12))))
        elapsed = time.perf_counter() - started
        rejected = stub.stats.status_counts[429]
    assert all(r.error is None for r in responses)
    assert rejected <= 2
    assert elapsed >= 3.0  # 12 x 250 tokens at 500/s, less the 2-request burst


def test_429s_with_retry_after_do_not_use_up_attempts():
    with OpenAIStub(echo(), faults={"429": "first:4"}, retry_after=0.05) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url, max_retries=1))
        (response,) = run(_all(model, ask("q")))
        assert stub.stats.status_counts[429] == 4
    assert response.error is None and response.rate_limited == 4 and response.retries == 4


def test_the_total_wait_on_429s_is_bounded():
    with OpenAIStub(echo(), faults={"429": 1.0}, retry_after=0.2) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url, max_rate_limit_wait_s=0.5))
        started = time.perf_counter()
        with pytest.raises(ModelError, match=r"still rate limited after waiting .*max_rate_limit_wait_s=0.5"):
            run(_all(model, ask("q")))
        assert time.perf_counter() - started < 5
        assert 2 <= stub.stats.status_counts[429] <= 5


@pytest.mark.parametrize(
    ("url", "probed"),
    [
        ("http://127.0.0.1:8000/v1/chat/completions", False),
        ("http://localhost:8000/v1/chat/completions", False),
        ("http://[::1]:8000/v1/chat/completions", False),
        ("https://api.openai.com/v1/chat/completions", True),
        ("http://10.0.0.5:8000/v1/chat/completions", True),  # another machine: it may rate-limit
    ],
)
def test_only_remote_endpoints_are_probed_by_default(url, probed):
    async def make():
        return shared_limiter(url, None, max_in_flight=64), shared_limiter(
            url + "?x", None, max_in_flight=64, probe=True
        )

    default, forced = run(make())
    assert default.probing is probed and default.window == (1.0 if probed else 64.0)
    assert forced.probing and forced.window == 1.0  # probe: true probes any endpoint


def test_a_local_server_gets_the_whole_window_at_once():
    """No probe on 127.0.0.1: the first 16 requests are in flight together (a probe would send one, wait, then 15)."""
    with OpenAIStub(echo(), latency=0.2) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url, concurrency=16))
        started = time.perf_counter()
        responses = run(_all(model, *(ask(f"q{i}", id=str(i)) for i in range(16))))
        elapsed = time.perf_counter() - started
    assert all(r.error is None for r in responses)
    assert elapsed < 0.38  # one round trip of 0.2 s, not two
