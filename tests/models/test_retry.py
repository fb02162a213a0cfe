"""The shared retry policy: Retry-After parsing, backoff, classification, attempts, timeouts."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time

import pytest

from harness.models.base import EndpointUnreachable, ModelError
from harness.models.retry import (
    ConnectFailed,
    Retryable,
    backoff_delay,
    parse_retry_after,
    raise_for_status,
    safe_url,
    server_message,
    with_retries,
)


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-4") == 0.0
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(7.0, abs=1.0)
    assert parse_retry_after(email.utils.formatdate(now - 60, usegmt=True), now=now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    rng = random.Random(1)
    for attempt in range(8):
        ceiling = min(30.0, 0.5 * 2**attempt)
        delays = {backoff_delay(attempt, 0.5, 30.0, rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered, not fixed


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_busy_statuses_are_retryable(status):
    with pytest.raises(Retryable) as info:
        raise_for_status(
            status, b'{"error": {"message": "slow down"}}', {"Retry-After": "2"}, "model config 'm' at http://h/v1"
        )
    assert info.value.retry_after == 2.0
    assert "slow down" in str(info.value)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_client_errors_fail_at_once_with_the_server_message(status):
    with pytest.raises(ModelError) as info:
        raise_for_status(status, b'{"error": {"message": "context too long"}}', {}, "model config 'm' at http://h/v1")
    assert not isinstance(info.value, Retryable)
    assert (
        "context too long" in str(info.value)
        and "model config 'm'" in str(info.value)
        and str(status) in str(info.value)
    )


def test_server_message_reads_openai_errors_and_plain_text():
    assert server_message({"error": {"message": "bad"}}) == "bad"
    assert server_message(b"upstream timed out") == "upstream timed out"
    assert server_message('{"detail": "Not Found"}') == "Not Found"


def test_safe_url_drops_credentials_and_query():
    assert safe_url("https://user:sk-secret@api.example.com:8443/v1?key=sk-secret") == "https://api.example.com:8443/v1"


def _script(*outcomes):
    """An attempt function that raises/returns the given outcomes in order and counts calls."""
    calls = []

    async def attempt():
        outcome = outcomes[len(calls)]
        calls.append(time.perf_counter())
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome == "hang":
            await asyncio.sleep(60)
        return outcome

    return attempt, calls


def test_retries_until_success_honouring_retry_after():
    attempt, calls = _script(Retryable("429", retry_after=0.2), Retryable("503"), "ok")
    result = asyncio.run(
        with_retries(attempt, config_name="m", url="http://h", max_retries=3, timeout_s=1, backoff_s=0.01)
    )
    assert result == "ok" and len(calls) == 3
    assert calls[1] - calls[0] >= 0.2  # waited as long as the server asked
    assert calls[2] - calls[1] < 0.2  # then a short backoff


def test_attempts_are_bounded():
    attempt, calls = _script(*[Retryable("HTTP 503: busy")] * 10)
    with pytest.raises(ModelError) as info:
        asyncio.run(
            with_retries(attempt, config_name="m", url="http://h/v1", max_retries=2, timeout_s=1, backoff_s=0.01)
        )
    assert len(calls) == 3
    assert not isinstance(info.value, EndpointUnreachable)
    assert "3 attempts" in str(info.value) and "busy" in str(info.value) and "model config 'm'" in str(info.value)


def test_connect_failures_become_endpoint_unreachable():
    attempt, calls = _script(*[ConnectFailed("Connection refused")] * 3)
    with pytest.raises(EndpointUnreachable) as info:
        asyncio.run(
            with_retries(
                attempt, config_name="qwen7b", url="http://localhost:1/v1", max_retries=2, timeout_s=1, backoff_s=0.01
            )
        )
    assert len(calls) == 3
    assert "qwen7b" in str(info.value) and "http://localhost:1/v1" in str(info.value)


def test_permanent_errors_are_not_retried():
    attempt, calls = _script(ModelError("HTTP 400: bad request"), "never")
    with pytest.raises(ModelError, match="bad request"):
        asyncio.run(with_retries(attempt, config_name="m", url="http://h", max_retries=5, timeout_s=1))
    assert len(calls) == 1


def test_each_attempt_is_bounded_by_the_timeout():
    attempt, calls = _script("hang", "hang")
    started = time.perf_counter()
    with pytest.raises(ModelError, match="no answer within 0.2 s"):
        asyncio.run(
            with_retries(attempt, config_name="m", url="http://h", max_retries=1, timeout_s=0.2, backoff_s=0.01)
        )
    assert len(calls) == 2
    assert time.perf_counter() - started < 2
