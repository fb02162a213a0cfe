"""The litellm backend against a real OpenAI-compatible server on 127.0.0.1 (litellm's openai/ provider)."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from backend_testing import ask, config, run

from harness.models.base import EndpointUnreachable, Model, ModelError, Request
from harness.plugins.models.litellm_backend import LiteLLMModel
from harness.testing.openai_stub import OpenAIStub, Reply, echo, fixed, rules

SECRET = "sk-litellm-test-fedcba9876543210"
PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


async def _generate_and_close(model, *requests):
    try:
        return await asyncio.gather(*(model.generate(r) for r in requests))
    finally:
        await model.aclose()


def test_chat_with_usage_and_images_through_litellm():
    message = {
        "role": "user",
        "content": [{"type": "text", "text": "rhythm?"}, {"type": "image_url", "image_url": {"url": PNG}}],
    }
    with OpenAIStub(echo("seen: ")) as stub:
        model = LiteLLMModel(
            config("litellm", model="openai/stub", base_url=stub.base_url, params={"temperature": 0, "max_tokens": 20})
        )
        assert isinstance(model, Model)
        text_response, image_response = run(
            _generate_and_close(model, ask("what is a QRS complex"), Request(id="img", messages=[message]))
        )
        assert stub.image_check().valid == 1  # the image part reached the server intact
        assert stub.stats.bodies[0]["temperature"] == 0 and stub.stats.bodies[0]["max_tokens"] == 20
        sent = stub.stats.prompt_tokens + stub.stats.completion_tokens
    assert os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP") == "True"  # no internet for the cost map
    assert text_response.text == "seen: what is a QRS complex"
    assert image_response.text == "seen: rhythm?"
    got = sum(r.usage.prompt_tokens + r.usage.completion_tokens for r in (text_response, image_response))
    assert got == sent and got > 0
    assert text_response.usage.cost_usd is None  # a model litellm does not price: unknown, not 0, no crash


def test_known_models_are_priced_from_the_local_cost_map():
    with OpenAIStub(fixed("one two three")) as stub:
        model = LiteLLMModel(config("litellm", model="openai/gpt-4o", base_url=stub.base_url))
        (response,) = run(_generate_and_close(model, ask("q")))
    assert response.usage.cost_usd is not None and response.usage.cost_usd > 0


def test_retries_are_ours_alone_429_and_503():
    with OpenAIStub(echo(), faults={"429": "first:1", "503": "every:5"}, retry_after=0.3) as stub:
        model = LiteLLMModel(config("litellm", model="openai/stub", base_url=stub.base_url, max_retries=3))
        started = time.perf_counter()
        responses = run(_generate_and_close(model, *(ask(f"q{i}", id=str(i)) for i in range(10))))
        elapsed = time.perf_counter() - started
        stats = stub.stats
        assert stats.completed == 10 and stats.status_counts[429] == 10
        assert stats.requests == 10 + stats.status_counts[429] + stats.status_counts[503]  # one retry per failure
    assert [r.text for r in responses] == [f"q{i}" for i in range(10)]
    assert elapsed >= 0.3  # Retry-After honoured


def test_bounded_retries_then_model_error():
    with OpenAIStub(echo(), faults={"503": 1.0}) as stub:
        model = LiteLLMModel(config("litellm", model="openai/stub", base_url=stub.base_url, max_retries=1))
        with pytest.raises(ModelError) as info:
            run(_generate_and_close(model, ask("q")))
        assert stub.stats.requests == 2
    assert not isinstance(info.value, EndpointUnreachable) and "2 attempts" in str(info.value)


def test_client_error_is_not_retried_and_keeps_the_server_message():
    with OpenAIStub(rules({"x": Reply(status=400, content="unsupported parameter foo")}, default="ok")) as stub:
        model = LiteLLMModel(config("litellm", model="openai/stub", base_url=stub.base_url, max_retries=4))
        with pytest.raises(ModelError, match="unsupported parameter foo"):
            run(_generate_and_close(model, ask("x")))
        assert stub.stats.requests == 1


def test_closed_port_is_endpoint_unreachable_without_the_key(closed_port, monkeypatch):
    monkeypatch.setenv("TEST_KEY", SECRET)
    url = f"http://127.0.0.1:{closed_port}/v1"
    model = LiteLLMModel(config("litellm", model="openai/stub", base_url=url, api_key_env="TEST_KEY", max_retries=1))
    with pytest.raises(EndpointUnreachable) as info:
        run(_generate_and_close(model, ask("q")))
    assert "test_litellm" in str(info.value) and url in str(info.value)
    assert SECRET not in str(info.value)


def test_timeout(monkeypatch):
    with OpenAIStub(echo(), faults={"hang": 1.0}) as stub:
        model = LiteLLMModel(
            config("litellm", model="openai/stub", base_url=stub.base_url, timeout_s=0.5, max_retries=1)
        )
        started = time.perf_counter()
        with pytest.raises(ModelError, match="no answer within 0.5 s|timed out"):
            run(_generate_and_close(model, ask("q")))
        assert time.perf_counter() - started < 5
        assert stub.stats.hung == 2


def test_concurrent_requests_and_key_from_env(monkeypatch):
    monkeypatch.setenv("TEST_KEY", SECRET)
    with OpenAIStub(echo(), latency=0.5, api_key=SECRET) as stub:
        cfg = config("litellm", model="openai/stub", base_url=stub.base_url, api_key_env="TEST_KEY")
        model = LiteLLMModel(cfg)
        responses = run(_generate_and_close(model, *(ask(f"q{i}", id=str(i)) for i in range(24))))
        assert stub.stats.max_in_flight >= 12
        assert stub.stats.status_counts[401] == 0
    assert len({r.text for r in responses}) == 24
    assert SECRET not in repr(model) and SECRET not in str(model.identity)
    assert model.identity == {"backend": "litellm", "model": "openai/stub", "base_url": stub.base_url, "params": {}}
