"""The OpenAI stub is a real HTTP server: these tests talk to it over 127.0.0.1 with aiohttp and litellm."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from typing import Any

import aiohttp
import pytest

from harness.testing.openai_stub import (
    FaultRule,
    OpenAIStub,
    Reply,
    by_model,
    check_images,
    cycle,
    echo,
    fixed,
    last_user_text,
    parse_faults,
    rules,
)


def chat(text: str, model: str = "stub", **params: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": text}],
        **params,
    }


async def _post(url: str, body: Any, timeout: float = 10.0, headers: dict | None = None) -> tuple[int, dict, Any]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        kwargs = {"data": body} if isinstance(body, (bytes, str)) else {"json": body}
        async with session.post(url, headers=headers, **kwargs) as resp:
            return resp.status, dict(resp.headers), await resp.json(content_type=None)


def post(url: str, body: Any, **kw: Any) -> tuple[int, dict, Any]:
    return asyncio.run(_post(url, body, **kw))


def post_many(url: str, bodies: list[Any], timeout: float = 30.0) -> list[Any]:
    """Send all bodies concurrently; each result is (status, json) or the exception."""

    async def run() -> list[Any]:
        connector = aiohttp.TCPConnector(limit=len(bodies) or 1)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:

            async def one(body: Any) -> Any:
                try:
                    async with session.post(url, json=body) as resp:
                        return resp.status, await resp.json(content_type=None)
                except aiohttp.ClientError as exc:
                    return exc

            return await asyncio.gather(*(one(b) for b in bodies))

    return asyncio.run(run())


def content(payload: dict) -> str:
    return payload["choices"][0]["message"]["content"]


# ---- protocol ------------------------------------------------------------------------------


def test_chat_completion_has_the_openai_shape_and_counts_tokens() -> None:
    with OpenAIStub(echo("you said: ")) as stub:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", stub.base_url)
        status, headers, payload = post(stub.base_url + "/chat/completions", chat("sinus rhythm at 72 bpm"))
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert payload["object"] == "chat.completion" and payload["id"].startswith("chatcmpl-")
    assert isinstance(payload["created"], int) and payload["model"] == "stub"
    assert payload["choices"][0]["message"] == {"role": "assistant", "content": "you said: sinus rhythm at 72 bpm"}
    assert payload["choices"][0]["finish_reason"] == "stop"
    # whitespace tokens: prompt "be brief" + "sinus rhythm at 72 bpm" = 2 + 5; answer 7 words
    assert payload["usage"] == {"prompt_tokens": 7, "completion_tokens": 7, "total_tokens": 14}
    assert stub.stats.requests == 1 and stub.stats.completed == 1 and stub.stats.status_counts[200] == 1
    assert stub.stats.prompt_tokens == 7 and stub.stats.completion_tokens == 7
    assert stub.stats.bodies[0]["messages"][1]["content"] == "sinus rhythm at 72 bpm"


def test_paths_without_v1_models_listing_and_unknown_routes() -> None:
    with OpenAIStub(fixed("ok"), models=("a", "b")) as stub:
        root = stub.base_url[: -len("/v1")]
        status, _, payload = post(root + "/chat/completions", chat("x"))
        assert status == 200 and content(payload) == "ok"

        async def get(url: str) -> tuple[int, Any]:
            async with aiohttp.ClientSession() as s, s.get(url) as r:
                return r.status, await r.json(content_type=None)

        status, models = asyncio.run(get(stub.base_url + "/models"))
        assert status == 200 and [m["id"] for m in models["data"]] == ["a", "b"]
        assert asyncio.run(get(stub.base_url + "/nowhere"))[0] == 404
        assert asyncio.run(get(stub.base_url + "/chat/completions"))[0] == 405
        status, _, text = post(stub.base_url + "/completions", {"model": "a", "prompt": "legacy prompt"})
        assert status == 200 and text["object"] == "text_completion" and text["choices"][0]["text"] == "ok"


def test_bad_requests_get_400_and_are_recorded() -> None:
    with OpenAIStub() as stub:
        status, _, payload = post(stub.base_url + "/chat/completions", b"{not json")
        assert status == 400 and "not JSON" in payload["error"]["message"]
        status, _, payload = post(stub.base_url + "/chat/completions", {"model": "stub", "messages": []})
        assert status == 400 and "messages" in payload["error"]["message"]
        status, _, payload = post(stub.base_url + "/chat/completions", chat("x", n="two"))
        assert status == 400 and "'n'" in payload["error"]["message"]
        status, _, payload = post(stub.base_url + "/chat/completions", chat("x", n=2))
        assert status == 200 and [c["index"] for c in payload["choices"]] == [0, 1]
    assert stub.stats.status_counts[400] == 3 and len(stub.stats.errors) == 3


def test_api_key_is_enforced_when_set() -> None:
    with OpenAIStub(fixed("ok"), api_key="sk-test") as stub:
        url = stub.base_url + "/chat/completions"
        assert post(url, chat("x"))[0] == 401
        assert post(url, chat("x"), headers={"Authorization": "Bearer wrong"})[0] == 401
        assert post(url, chat("x"), headers={"Authorization": "Bearer sk-test"})[0] == 200


def test_max_tokens_truncates_with_finish_reason_length() -> None:
    with OpenAIStub(fixed("one two three four five")) as stub:
        _, _, payload = post(stub.base_url + "/chat/completions", chat("x", max_tokens=3))
    assert content(payload) == "one two three"
    assert payload["choices"][0]["finish_reason"] == "length" and payload["usage"]["completion_tokens"] == 3


# ---- responders ----------------------------------------------------------------------------


def test_rules_first_match_wins_callable_answers_and_unmatched_is_loud() -> None:
    responder = rules(
        [
            (r"rate of (\d+)", lambda m: f"rate={m.group(1)}"),
            (r"atrial fibrillation", "Answer: C"),
            (r"fibrillation", "never reached for AF"),
        ]
    )
    with OpenAIStub(responder) as stub:
        url = stub.base_url + "/chat/completions"
        assert content(post(url, chat("Is this Atrial Fibrillation?"))[2]) == "Answer: C"
        assert content(post(url, chat("a rate of 130 bpm"))[2]) == "rate=130"
        status, _, payload = post(url, chat("what about QT?"))
    assert status == 500 and "no rule matched" in payload["error"]["message"] and "QT" in payload["error"]["message"]
    with pytest.raises(ValueError, match="target"):
        rules([], target="everything")


def test_rules_on_the_whole_conversation_and_default() -> None:
    responder = rules({r"system: be brief": "short"}, default="long", target="conversation")
    assert responder(chat("anything")) == "short"
    assert responder({"messages": [{"role": "user", "content": "hi"}]}) == "long"


def test_cycle_hands_out_scripted_verdicts_in_order() -> None:
    verdicts = ['{"score": 4}', "not json at all", Reply(status=503, content="overloaded")]
    with OpenAIStub(cycle(verdicts)) as stub:
        url = stub.base_url + "/chat/completions"
        got = [post(url, chat(f"judge {i}")) for i in range(4)]
    assert [g[0] for g in got] == [200, 200, 503, 200]
    assert content(got[0][2]) == '{"score": 4}' and content(got[1][2]) == "not json at all"
    assert got[2][2]["error"]["message"] == "overloaded" and content(got[3][2]) == '{"score": 4}'


def test_by_model_lets_one_server_play_a_jury() -> None:
    responder = by_model({"judge-a": fixed("7"), "judge-b": fixed("8"), "judge-broken": fixed(Reply(hang=True))})
    with OpenAIStub(responder) as stub:
        url = stub.base_url + "/chat/completions"
        assert content(post(url, chat("x", model="judge-a"))[2]) == "7"
        assert content(post(url, chat("x", model="judge-b"))[2]) == "8"
        assert post(url, chat("x", model="judge-c"))[0] == 404
        with pytest.raises(asyncio.TimeoutError):
            post(url, chat("x", model="judge-broken"), timeout=0.5)
        t0 = time.perf_counter()
    assert time.perf_counter() - t0 < 5  # stopping releases the hanging request
    assert stub.stats.models == {"judge-a": 1, "judge-b": 1, "judge-c": 1, "judge-broken": 1}
    assert stub.stats.hung == 1


def test_async_responder_and_responder_errors() -> None:
    async def slow_upper(request: dict) -> str:
        await asyncio.sleep(0.01)
        if "boom" in last_user_text(request):
            raise KeyError("boom")
        return last_user_text(request).upper()

    with OpenAIStub(slow_upper) as stub:
        url = stub.base_url + "/chat/completions"
        assert content(post(url, chat("st elevation"))[2]) == "ST ELEVATION"
        status, _, payload = post(url, chat("boom"))
    assert status == 500 and "KeyError" in payload["error"]["message"]
    assert any("KeyError" in e for e in stub.stats.errors)


def test_reply_carries_status_headers_and_delay() -> None:
    replies = {
        "slow": Reply("late", delay=0.3),
        "custom": Reply(status=429, content="slow down", headers={"Retry-After": "7"}),
    }
    with OpenAIStub(lambda req: replies[last_user_text(req)]) as stub:
        url = stub.base_url + "/chat/completions"
        t0 = time.perf_counter()
        assert content(post(url, chat("slow"))[2]) == "late"
        assert time.perf_counter() - t0 >= 0.3
        status, headers, payload = post(url, chat("custom"))
    assert status == 429 and headers["Retry-After"] == "7" and payload["error"]["type"] == "rate_limit_error"


# ---- latency and concurrency ---------------------------------------------------------------


def test_latency_is_fixed_plus_per_completion_token() -> None:
    with OpenAIStub(fixed("a b c d e f g h i j"), latency=0.05, per_token_latency=0.04) as stub:
        url = stub.base_url + "/chat/completions"
        t0 = time.perf_counter()
        post(url, chat("x"))
        ten_tokens = time.perf_counter() - t0
        t0 = time.perf_counter()
        post(url, chat("x", max_tokens=1))
        one_token = time.perf_counter() - t0
    assert ten_tokens >= 0.05 + 10 * 0.04
    assert 0.09 <= one_token < ten_tokens


def test_wait_for_sees_requests_made_by_another_thread() -> None:
    import threading

    with OpenAIStub(echo(), latency=0.05) as stub:
        client = threading.Thread(
            target=post_many, args=(stub.base_url + "/chat/completions", [chat(str(i)) for i in range(8)])
        )
        client.start()
        seen = stub.wait_for(lambda st: st.completed >= 4, timeout=20)
        client.join()
    assert seen.completed >= 4 and stub.stats.completed == 8


def test_parallel_requests_are_served_concurrently() -> None:
    with OpenAIStub(echo(), latency=0.2) as stub:
        t0 = time.perf_counter()
        results = post_many(stub.base_url + "/chat/completions", [chat(f"q{i}") for i in range(64)])
        wall = time.perf_counter() - t0
    assert all(r[0] == 200 for r in results)
    assert sorted(content(r[1]) for r in results) == sorted(f"q{i}" for i in range(64))
    assert stub.stats.max_in_flight > 1 and stub.stats.max_in_flight >= 32
    assert stub.stats.in_flight == 0
    assert wall < 64 * 0.2 / 4  # far from serial (12.8 s)


# ---- faults --------------------------------------------------------------------------------


def test_429_every_other_request_with_retry_after() -> None:
    with OpenAIStub(fixed("ok"), faults={"429": 2}, retry_after=0.25) as stub:
        url = stub.base_url + "/chat/completions"
        got = [post(url, chat(str(i))) for i in range(4)]
        assert post(url, b"not json")[0] == 400  # malformed requests do not count towards every:N
        assert [post(url, chat("x"))[0] for _ in range(2)] == [200, 429]
    assert [g[0] for g in got] == [200, 429, 200, 429]
    assert got[1][1]["Retry-After"] == "0.25" and got[1][1]["retry-after-ms"] == "250"
    assert got[1][2]["error"]["code"] == "429"
    assert stub.stats.faults == {"429": 3} and stub.stats.status_counts == {200: 3, 429: 3, 400: 1}


def test_rate_faults_are_deterministic_for_a_seed() -> None:
    def statuses(seed: int) -> list[int]:
        with OpenAIStub(fixed("ok"), faults="503=0.3,429=0.2", seed=seed) as stub:
            url = stub.base_url + "/chat/completions"
            return [post(url, chat("same"))[0] for _ in range(40)]

    first, again, other = statuses(1), statuses(1), statuses(2)
    assert first == again and first != other
    assert {200, 429, 503} == set(first)
    assert 4 <= first.count(503) <= 22 and 2 <= first.count(429) <= 16


def test_first_attempts_fail_per_distinct_request_under_concurrency() -> None:
    bodies = [chat(f"sample {i}") for i in range(20)]
    with OpenAIStub(echo(), faults={"503": "first:2"}, latency=0.01) as stub:
        url = stub.base_url + "/chat/completions"
        rounds = [post_many(url, bodies) for _ in range(3)]
    assert all(r[0] == 503 for r in rounds[0] + rounds[1])
    assert all(r[0] == 200 for r in rounds[2])
    assert stub.stats.status_counts == {503: 40, 200: 20}


def test_dropped_connection_and_hang() -> None:
    with OpenAIStub(fixed("ok"), faults=[FaultRule("drop", every=2)]) as stub:
        url = stub.base_url + "/chat/completions"
        assert post(url, chat("a"))[0] == 200
        with pytest.raises(aiohttp.ServerDisconnectedError):
            post(url, chat("b"))
        assert post(url, chat("c"))[0] == 200
    assert stub.stats.dropped == 1 and stub.stats.completed == 2

    with OpenAIStub(fixed("ok"), faults={"hang": "every:1"}) as stub:
        t0 = time.perf_counter()
        with pytest.raises(asyncio.TimeoutError):
            post(stub.base_url + "/chat/completions", chat("x"), timeout=0.3)
        assert time.perf_counter() - t0 < 2
        t0 = time.perf_counter()
    assert time.perf_counter() - t0 < 5
    assert stub.stats.hung == 1 and stub.stats.completed == 0


def test_fault_specs_are_validated() -> None:
    assert parse_faults("429=0.1, 503=every:20,drop=first:1") == [
        FaultRule("429", rate=0.1),
        FaultRule("503", every=20),
        FaultRule("drop", first=1),
    ]
    assert parse_faults({"hang": 0.5, 500: 3}) == [FaultRule("hang", rate=0.5), FaultRule("500", every=3)]
    for bad, message in [
        ({"429": 0.7, "503": 0.5}, "add up to 1.2"),
        ({"200": 0.1}, "HTTP error status"),
        ({"teapot": 0.1}, "HTTP error status"),
        ("429=sometimes", "not a rate"),
        ("429", "KIND=VALUE"),
        ({"503": "every:x"}, "integer"),
        ({"429": 1.5}, r"\[0, 1\]"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_faults(bad)


def test_reset_and_bounded_recording() -> None:
    with OpenAIStub(echo(), record=3, faults={"429": 3}) as stub:
        url = stub.base_url + "/chat/completions"
        for i in range(5):
            post(url, chat(f"m{i}"))
        assert [last_user_text(b) for b in stub.stats.bodies] == ["m2", "m3", "m4"]
        assert stub.stats.requests == 5 and stub.stats.faults["429"] == 1
        stub.reset()
        assert stub.stats.requests == 0 and not stub.stats.bodies
        statuses = [post(url, chat("again"))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]  # the schedule restarted with the counters


def test_stats_are_snapshots_with_mapping_access() -> None:
    with OpenAIStub(fixed("ok"), faults={"503": 2}) as stub:
        url = stub.base_url + "/chat/completions"
        post(url, chat("a"))
        before = stub.stats
        post(url, chat("b"))
        after = stub.stats
    assert before.requests == 1 and before["status"] == {200: 1} and len(before.bodies) == 1
    assert after["requests"] == 2 and after["status"] == {200: 1, 503: 1} and after["faults"] == {"503": 1}
    with pytest.raises(TimeoutError, match="not met within 0.1 s"):
        stub.wait_for(lambda st: st.requests > 5, timeout=0.1)
    with pytest.raises(KeyError, match="requests"):
        after["requets"]
    summary = after.as_dict()
    assert summary["status_counts"] == {"200": 1, "503": 1} and "bodies" not in summary
    json.dumps(summary)


def test_async_context_manager_on_the_callers_loop() -> None:
    async def run() -> tuple[int, dict, Any]:
        async with OpenAIStub(fixed("in-loop")) as stub:
            return await _post(stub.base_url + "/chat/completions", chat("x"))

    status, _, payload = asyncio.run(run())
    assert status == 200 and content(payload) == "in-loop"


# ---- streaming -----------------------------------------------------------------------------


def test_streaming_sends_sse_chunks_with_usage_and_done() -> None:
    async def run(url: str) -> list[str]:
        async with aiohttp.ClientSession() as s:
            body = chat("x", stream=True, stream_options={"include_usage": True})
            async with s.post(url, json=body) as r:
                assert r.headers["Content-Type"].startswith("text/event-stream")
                return [line.decode().strip() async for line in r.content if line.strip()]

    with OpenAIStub(fixed("Sinus  rhythm, normal axis."), per_token_latency=0.01) as stub:
        lines = asyncio.run(run(stub.base_url + "/chat/completions"))
    assert lines[-1] == "data: [DONE]" and all(line.startswith("data: ") for line in lines)
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Sinus  rhythm, normal axis."
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] == 4 and stub.stats.streamed == 1


# ---- images --------------------------------------------------------------------------------


def _png(width: int = 300, height: int = 200) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
    t = np.linspace(0, 2, 500)
    plt.plot(t, np.sin(2 * np.pi * 1.2 * t))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def _image_message(url: str) -> dict[str, Any]:
    return {
        "model": "stub",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Describe this ECG."},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    }


def test_image_check_decodes_real_pngs_and_rejects_fakes() -> None:
    png = _png()
    good = "data:image/png;base64," + base64.b64encode(png).decode()
    not_png = "data:image/png;base64," + base64.b64encode(b"GIF89a" + png[8:]).decode()
    truncated = "data:image/png;base64," + base64.b64encode(png[:200]).decode()
    bad_b64 = "data:image/png;base64,@@@not-base64@@@"
    remote = "https://example.org/ecg.png"

    infos = check_images(_image_message(good))
    assert len(infos) == 1 and infos[0].valid and infos[0].format == "PNG"
    assert (infos[0].width, infos[0].height) == (300, 200) and infos[0].n_bytes == len(png)

    with OpenAIStub(echo()) as stub:
        url = stub.base_url + "/chat/completions"
        for image in (good, not_png, truncated, bad_b64, remote, good):
            status, _, payload = post(url, _image_message(image))
            assert status == 200 and content(payload) == "Describe this ECG."
        result = stub.image_check()
    assert result.valid == 2 and result.invalid == 4
    joined = " | ".join(result.errors)
    for reason in ("not a PNG file", "does not decode", "base64 does not decode", "not a base64 data URL"):
        assert reason in joined


# ---- litellm (the client the harness uses) ---------------------------------------------------


@pytest.fixture(scope="module")
def litellm():
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch of the cost map
    import litellm as module

    module.suppress_debug_info = True
    return module


def test_litellm_gets_scripted_answers_and_usage(litellm) -> None:
    responder = rules({r"\bAF\b": "atrial fibrillation"}, default="normal")
    with OpenAIStub(responder) as stub:

        async def ask(text: str) -> Any:
            return await litellm.acompletion(
                model="openai/stub", api_base=stub.base_url, api_key="x", messages=[{"role": "user", "content": text}]
            )

        async def both() -> list[Any]:
            return await asyncio.gather(ask("is this AF?"), ask("and this one?"))

        first, second = asyncio.run(both())
    assert first.choices[0].message.content == "atrial fibrillation"
    assert second.choices[0].message.content == "normal"
    assert first.usage.prompt_tokens == 3 and first.usage.completion_tokens == 2
    assert stub.stats.completed == 2


def test_litellm_sees_429_503_and_retries_honour_retry_after(litellm) -> None:
    messages = [{"role": "user", "content": "hello"}]
    with OpenAIStub(fixed("ok"), faults={"429": "first:1"}, retry_after=0.2) as stub:
        kw = {"model": "openai/stub", "api_base": stub.base_url, "api_key": "x", "messages": messages}
        with pytest.raises(litellm.RateLimitError, match="injected 429"):
            asyncio.run(litellm.acompletion(**kw, max_retries=0))
        stub.reset()
        t0 = time.perf_counter()
        answer = asyncio.run(litellm.acompletion(**kw, max_retries=2))  # the SDK waits Retry-After, then retries
        assert answer.choices[0].message.content == "ok" and time.perf_counter() - t0 >= 0.2
        assert stub.stats.status_counts == {429: 1, 200: 1}
        stub.faults = {"503": 1}
        with pytest.raises(litellm.ServiceUnavailableError):
            asyncio.run(litellm.acompletion(**kw, max_retries=0))


def test_litellm_times_out_on_a_hanging_server_and_reports_a_dropped_connection(litellm) -> None:
    with OpenAIStub(fixed("ok"), faults={"hang": 1}) as stub:
        kw = {
            "model": "openai/stub",
            "api_base": stub.base_url,
            "api_key": "x",
            "messages": [{"role": "user", "content": "hi"}],
            "max_retries": 0,
        }
        t0 = time.perf_counter()
        with pytest.raises(litellm.Timeout):
            asyncio.run(litellm.acompletion(**kw, timeout=0.5))
        assert time.perf_counter() - t0 < 5
        stub.faults = {"drop": 1}
        # litellm 1.106 maps the SDK's APIConnectionError on a closed socket to InternalServerError
        with pytest.raises((litellm.APIConnectionError, litellm.InternalServerError), match="Connection error"):
            asyncio.run(litellm.acompletion(**kw, timeout=5))
    assert stub.stats.hung == 1 and stub.stats.dropped == 1


def test_litellm_streaming(litellm) -> None:
    with OpenAIStub(fixed("QT interval is prolonged")) as stub:

        async def run() -> str:
            stream = await litellm.acompletion(
                model="openai/stub",
                api_base=stub.base_url,
                api_key="x",
                stream=True,
                messages=[{"role": "user", "content": "hi"}],
            )
            return "".join([chunk.choices[0].delta.content or "" async for chunk in stream])

        assert asyncio.run(run()) == "QT interval is prolonged"


# ---- command line --------------------------------------------------------------------------


def test_cli_serves_in_its_own_process_and_prints_stats_on_sigterm() -> None:
    cmd = [
        sys.executable,
        "-m",
        "harness.testing.openai_stub",
        "--port",
        "0",
        "--faults",
        "429=every:2",
        "--responder",
        "fixed:hello",
        "--retry-after",
        "0",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        base_url = re.search(r"(http://127\.0\.0\.1:\d+/v1)", line).group(1)
        url = base_url + "/chat/completions"
        got = [post(url, chat("x")) for _ in range(2)]
        assert [g[0] for g in got] == [200, 429] and content(got[0][2]) == "hello"
        assert got[1][1]["Retry-After"] == "0"

        async def stats() -> dict:
            async with aiohttp.ClientSession() as s, s.get(base_url[:-3] + "/stub/stats") as r:
                return await r.json()

        assert asyncio.run(stats())["status_counts"] == {"200": 1, "429": 1}
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["requests"] == 2


def test_cli_rejects_bad_faults_with_a_clear_message() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "harness.testing.openai_stub", "--faults", "429=often"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and "429" in proc.stderr and "not a rate" in proc.stderr
