"""How requests leave the machine: through HTTP(S)_PROXY, with the configured headers, to a base URL
that may carry a query string. A forward proxy and the OpenAI-compatible server both run on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest
from backend_testing import ask, config, run

from harness.models.base import ModelError
from harness.plugins.models.litellm_backend import LiteLLMModel
from harness.plugins.models.openai_compat import OpenAICompatModel, endpoint_url
from harness.testing.forward_proxy import ForwardProxy
from harness.testing.openai_stub import OpenAIStub, echo


async def _all(model, *requests):
    try:
        return await asyncio.gather(*(model.generate(r) for r in requests))
    finally:
        await model.aclose()


@pytest.fixture
def no_proxy_env(monkeypatch):
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("backend", ["openai_compat", "litellm"])
def test_requests_go_through_the_proxy_in_the_environment(no_proxy_env, backend):
    factory = OpenAICompatModel if backend == "openai_compat" else LiteLLMModel
    model_id = "stub" if backend == "openai_compat" else "openai/stub"
    with OpenAIStub(echo()) as stub, ForwardProxy() as proxy:
        no_proxy_env.setenv("HTTP_PROXY", proxy.url)
        no_proxy_env.setenv("http_proxy", proxy.url)
        model = factory(config(backend, model=model_id, base_url=stub.base_url))
        responses = run(_all(model, ask("a"), ask("b", id="b")))
        served = stub.stats.requests
    assert [r.text for r in responses] == ["a", "b"]
    assert served == 2 and len(proxy.seen) == 2
    assert all(url == f"{stub.base_url}/chat/completions" for url in proxy.seen)


def test_no_proxy_bypasses_it(no_proxy_env):
    with OpenAIStub(echo()) as stub, ForwardProxy() as proxy:
        no_proxy_env.setenv("HTTP_PROXY", proxy.url)
        no_proxy_env.setenv("NO_PROXY", "127.0.0.1")
        model = OpenAICompatModel(config("openai_compat", base_url=stub.base_url))
        (response,) = run(_all(model, ask("direct")))
    assert response.text == "direct" and proxy.seen == []


def test_configured_headers_are_sent_and_the_query_string_kept(no_proxy_env):
    with OpenAIStub(echo()) as stub, ForwardProxy() as proxy:
        no_proxy_env.setenv("HTTP_PROXY", proxy.url)
        model = OpenAICompatModel(
            config(
                "openai_compat",
                base_url=stub.base_url + "/?api-version=2024-06-01",
                options={"headers": {"X-Tenant": "cardiology", "api-key": "hdr-secret-123"}},
            )
        )
        assert "hdr-secret-123" not in repr(model) and "hdr-secret-123" not in str(model.identity)
        (response,) = run(_all(model, ask("q")))
    assert response.text == "q"
    assert proxy.seen == [f"{stub.base_url}/chat/completions?api-version=2024-06-01"]
    assert proxy.headers[0]["x-tenant"] == "cardiology" and proxy.headers[0]["api-key"] == "hdr-secret-123"


def test_endpoint_url_keeps_the_query_and_rejects_non_http():
    assert endpoint_url("https://h.example/openai/?v=1", "/chat/completions") == (
        "https://h.example/openai/chat/completions?v=1"
    )
    with pytest.raises(ModelError, match="invalid base URL"):
        endpoint_url("ftp://h.example", "/chat/completions")


def test_headers_must_be_strings():
    with pytest.raises(ModelError, match="options.headers must map header names to strings"):
        OpenAICompatModel(config("openai_compat", base_url="http://127.0.0.1:9/v1", options={"headers": ["x"]}))


def test_streaming_joins_the_deltas_and_reads_usage(no_proxy_env):
    with OpenAIStub(echo(), per_token_latency=0.02) as stub:
        model = OpenAICompatModel(
            config("openai_compat", base_url=stub.base_url, options={"stream": True, "idle_timeout_s": 1.0})
        )
        (response,) = run(_all(model, ask("a slow but steady answer of several words")))
        assert stub.stats.streamed == 1
        assert stub.stats.bodies[0]["stream"] is True
    assert response.text == "a slow but steady answer of several words"
    assert response.usage.completion_tokens == 8 and response.usage.prompt_tokens > 0


def test_a_stream_that_goes_silent_is_a_dead_server(no_proxy_env):
    with OpenAIStub(echo(), per_token_latency=0.5) as stub:
        model = OpenAICompatModel(
            config(
                "openai_compat",
                base_url=stub.base_url,
                max_retries=1,
                options={"stream": True, "idle_timeout_s": 0.2},
            )
        )
        with pytest.raises(ModelError, match=r"the stream stalled: nothing for 0.2 s"):
            run(_all(model, ask("two words")))
        assert stub.stats.requests == 2  # retried once, then given up
