"""The lean OpenAI-compatible backend against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest
from backend_testing import ask, config, run

from harness.models.base import EndpointUnreachable, Model, ModelError
from harness.plugins.models.openai_compat import OpenAICompatModel
from harness.testing.openai_stub import OpenAIStub, Reply, echo, fixed, rules

SECRET = "sk-test-0123456789abcdef"


async def _generate_and_close(model, *requests):
    try:
        return await asyncio.gather(*(model.generate(r) for r in requests))
    finally:
        await model.aclose()


def test_answer_and_usage_are_parsed():
    with OpenAIStub(echo("echo: ")) as stub:
        model = OpenAICompatModel(
            config("openai_compat", base_url=stub.base_url, params={"temperature": 0, "max_tokens": 32})
        )
        assert isinstance(model, Model)
        (response,) = run(_generate_and_close(model, ask("what is a P wave", temperature=0.5)))
        body = stub.stats.bodies[0]
        sent_usage = (stub.stats.prompt_tokens, stub.stats.completion_tokens)
    assert response.text == "echo: what is a P wave" and response.error is None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == sent_usage
    assert min(sent_usage) > 0
    assert response.usage.cost_usd is None
    assert response.latency_s > 0
    assert body["model"] == "stub" and body["max_tokens"] == 32
    assert body["temperature"] == 0.5  # the request's parameters override the config's defaults
    assert body["messages"] == [{"role": "user", "content": "what is a P wave"}]


def test_image_parts_pass_through():
    png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    message = {
        "role": "user",
        "content": [{"type": "text", "text": "rhythm?"}, {"type": "image_url", "image_url": {"url": png}}],
    }
    with OpenAIStub(fixed("sinus")) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url))
        from harness.models.base import Request

        (response,) = run(_generate_and_close(model, Request(id="img", messages=[message])))
        assert stub.image_check().valid == 1
    assert response.text == "sinus"


def test_retries_429_with_retry_after_and_503():
    with OpenAIStub(echo(), faults={"429": "first:1"}, retry_after=0.3) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url, max_retries=2))
        started = time.perf_counter()
        responses = run(_generate_and_close(model, *(ask(f"q{i}", id=str(i)) for i in range(8))))
        elapsed = time.perf_counter() - started
        stats = stub.stats
        assert stats.status_counts[429] == 8 and stats.completed == 8 and stats.requests == 16
    assert [r.text for r in responses] == [f"q{i}" for i in range(8)]
    assert elapsed >= 0.3  # Retry-After was honoured

    with OpenAIStub(echo(), faults={"503": "first:2"}) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url, max_retries=2))
        responses = run(_generate_and_close(model, *(ask(f"q{i}", id=str(i)) for i in range(8))))
        assert stub.stats.status_counts[503] == 16 and stub.stats.completed == 8
    assert all(r.error is None for r in responses)


def test_dropped_connections_are_retried():
    with OpenAIStub(echo(), faults={"drop": "first:1"}) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url, max_retries=1))
        responses = run(_generate_and_close(model, *(ask(f"q{i}", id=str(i)) for i in range(4))))
        assert stub.stats.dropped == 4 and stub.stats.completed == 4
    assert [r.text for r in responses] == ["q0", "q1", "q2", "q3"]


def test_retries_are_bounded_and_the_failure_is_explained():
    with OpenAIStub(echo(), faults={"503": 1.0}) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url, max_retries=2))
        with pytest.raises(ModelError) as info:
            run(_generate_and_close(model, ask("q")))
        assert stub.stats.requests == 3
    assert not isinstance(info.value, EndpointUnreachable)
    assert "test_openai_compat" in str(info.value) and "503" in str(info.value) and "3 attempts" in str(info.value)


def test_client_errors_fail_at_once_with_the_server_message():
    answer = Reply(status=400, content="This model's maximum context length is 4096 tokens")
    with OpenAIStub(rules({"too long": answer}, default="fine")) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url, max_retries=5))
        with pytest.raises(ModelError, match="maximum context length is 4096"):
            run(_generate_and_close(model, ask("this prompt is too long")))
        assert stub.stats.requests == 1


def test_closed_port_is_endpoint_unreachable(closed_port, monkeypatch):
    monkeypatch.setenv("TEST_KEY", SECRET)
    url = f"http://127.0.0.1:{closed_port}/v1"
    model = OpenAICompatModel(config("openai_compat", base_url=url, api_key_env="TEST_KEY", max_retries=1))
    with pytest.raises(EndpointUnreachable) as info:
        run(_generate_and_close(model, ask("q")))
    message = str(info.value)
    assert "test_openai_compat" in message and f"127.0.0.1:{closed_port}/v1/chat/completions" in message
    assert SECRET not in message


def test_timeout_bounds_each_attempt():
    with OpenAIStub(echo(), faults={"hang": 1.0}) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url, timeout_s=0.3, max_retries=1))
        started = time.perf_counter()
        with pytest.raises(ModelError, match="no answer within 0.3 s"):
            run(_generate_and_close(model, ask("q")))
        assert time.perf_counter() - started < 3
        assert stub.stats.hung == 2


def test_requests_run_in_parallel_on_one_keep_alive_pool():
    with OpenAIStub(echo(), latency=0.2) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url))
        started = time.perf_counter()
        responses = run(_generate_and_close(model, *(ask(f"q{i}", id=str(i)) for i in range(48))))
        elapsed = time.perf_counter() - started
        assert stub.stats.max_in_flight == 48  # a server on this machine: no probe, everything at once
    assert elapsed < 1.5  # 48 x 0.2 s one at a time would be 9.6 s
    assert len({r.text for r in responses}) == 48


def test_config_concurrency_caps_the_pool():
    with OpenAIStub(echo(), latency=0.05) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url, concurrency=4))
        run(_generate_and_close(model, *(ask(f"q{i}", id=str(i)) for i in range(16))))
        assert stub.stats.max_in_flight == 4


def test_api_key_comes_from_the_environment_and_never_shows(monkeypatch):
    monkeypatch.setenv("TEST_KEY", SECRET)
    with OpenAIStub(fixed("ok"), api_key=SECRET) as stub:
        cfg = config("openai_compat", base_url=stub.base_url, api_key_env="TEST_KEY")
        model = OpenAICompatModel(cfg)
        (response,) = run(_generate_and_close(model, ask("q")))
        assert response.text == "ok"
        assert SECRET not in repr(model) and SECRET not in str(model.identity) and SECRET not in cfg.model_dump_json()
        assert model.identity == {"backend": "openai_compat", "model": "stub", "base_url": stub.base_url, "params": {}}

        monkeypatch.setenv("TEST_KEY", "sk-wrong")
        wrong = OpenAICompatModel(cfg)
        with pytest.raises(ModelError, match="401") as info:
            run(_generate_and_close(wrong, ask("q")))
        assert "sk-wrong" not in str(info.value)


def test_missing_api_key_or_url_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("TEST_KEY", raising=False)
    with pytest.raises(ModelError, match="environment variable TEST_KEY, which is not set"):
        OpenAICompatModel(config("openai_compat", base_url="http://127.0.0.1:1/v1", api_key_env="TEST_KEY"))
    monkeypatch.delenv("TEST_BASE_URL", raising=False)
    with pytest.raises(ModelError, match="needs a base_url or set the environment variable TEST_BASE_URL"):
        OpenAICompatModel(config("openai_compat", base_url_env="TEST_BASE_URL"))


def test_base_url_env_overrides_the_config(monkeypatch):
    with OpenAIStub(fixed("from env")) as stub:
        monkeypatch.setenv("TEST_BASE_URL", stub.base_url + "/")
        model = OpenAICompatModel(
            config("openai_compat", base_url="http://127.0.0.1:1/v1", base_url_env="TEST_BASE_URL")
        )
        (response,) = run(_generate_and_close(model, ask("q")))
    assert response.text == "from env"
    assert model.identity["base_url"] == stub.base_url


def test_the_model_can_be_reused_from_a_new_event_loop():
    with OpenAIStub(echo()) as stub:
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url))
        assert run(model.generate(ask("first"))).text == "first"
        assert run(_generate_and_close(model, ask("second")))[0].text == "second"


def test_a_lone_surrogate_goes_through_the_json_fallback():
    """orjson refuses lone surrogates, which json (and servers built on it) accept."""
    from harness import fastjson

    request = {"messages": [{"role": "user", "content": "broken \ud800 text"}]}
    assert fastjson.loads(fastjson.dumps(request)) == request
    assert fastjson.loads(b'{"text": "\\ud800"}') == {"text": "\ud800"}
    assert fastjson.dumps({"a": [1, 2.5, None]}) == b'{"a":[1,2.5,null]}'  # the fast path when orjson takes it
