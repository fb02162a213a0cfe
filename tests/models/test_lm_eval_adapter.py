"""The lm-eval adapter driving lm-eval's ``local-chat-completions`` class against a server on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest
from backend_testing import ask, config, run

from harness.models.base import Model, ModelError
from harness.plugins.models.lm_eval_adapter import LMEvalModel, gen_kwargs
from harness.testing.openai_stub import OpenAIStub, echo


def lm_eval_config(url: str, **fields):
    args = "model=stub,num_concurrent=8,max_retries=1,tokenizer_backend=none,timeout=10"
    return config(
        "lm_eval",
        model="stub",
        base_url=f"{url}/chat/completions",
        options={"lm_eval_model": "local-chat-completions", "model_args": args},
        **fields,
    )


def test_generation_parameters_map_to_lm_eval_keywords():
    assert gen_kwargs({"max_tokens": 16, "temperature": 0, "stop": "\n"}) == {
        "max_gen_toks": 16,
        "temperature": 0,
        "until": ["\n"],
        "do_sample": False,
    }


def test_requests_that_arrive_together_are_batched_and_answered_in_order():
    with OpenAIStub(echo("A: "), latency=0.1) as stub:
        model = LMEvalModel(lm_eval_config(stub.base_url, params={"temperature": 0, "max_tokens": 12}))
        assert isinstance(model, Model)
        batches = []
        original = model._generate_batch
        model._generate_batch = lambda requests: batches.append(len(requests)) or original(requests)

        async def go():
            try:
                first = await asyncio.gather(*(model.generate(ask(f"question {i}", id=str(i))) for i in range(16)))
                second = await model.generate(ask("one more"))
                return first, second
            finally:
                await model.aclose()

        first, second = run(go())
        body = next(b for b in stub.stats.bodies if b["messages"][0]["content"] == "question 3")
        assert stub.stats.max_in_flight > 1  # lm-eval issued the batch concurrently
    assert [r.text for r in first] == [f"A: question {i}" for i in range(16)]
    assert second.text == "A: one more"
    assert batches == [16, 1]
    assert body["messages"] == [{"role": "user", "content": "question 3"}]  # chat messages passed as JSON
    assert body["max_tokens"] == 12 and body["temperature"] == 0
    assert model.identity["lm_eval_model"] == "local-chat-completions"


def test_server_failure_reaches_every_waiting_request():
    with OpenAIStub(echo(), faults={"503": 1.0}) as stub:
        model = LMEvalModel(lm_eval_config(stub.base_url))

        async def go():
            try:
                return await asyncio.gather(
                    *(model.generate(ask(f"q{i}", id=str(i))) for i in range(3)), return_exceptions=True
                )
            finally:
                await model.aclose()

        results = run(go())
    assert all(isinstance(r, ModelError) for r in results)
    assert "test_lm_eval" in str(results[0])


def test_unknown_lm_eval_model_is_a_clear_error():
    model = LMEvalModel(config("lm_eval", options={"lm_eval_model": "no-such-model"}))

    async def go():
        try:
            return await model.generate(ask("q"))
        finally:
            await model.aclose()

    with pytest.raises(ModelError, match="cannot create lm-eval model 'no-such-model'"):
        run(go())
    with pytest.raises(ModelError, match="needs options.lm_eval_model"):
        LMEvalModel(config("lm_eval"))


def test_secrets_in_model_args_stay_out_of_the_identity():
    model = LMEvalModel(
        config(
            "lm_eval",
            options={
                "lm_eval_model": "local-chat-completions",
                "model_args": "model=x,auth_token=abc123,num_concurrent=2",
            },
        )
    )
    assert "abc123" not in str(model.identity)
    model._executor.shutdown()
