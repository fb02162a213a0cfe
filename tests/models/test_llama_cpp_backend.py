"""The embedded default model (SmolLM2-135M-Instruct via llama.cpp): real, offline, deterministic."""

from __future__ import annotations

import asyncio

import pytest
from backend_testing import ask, config, run

from harness.models.base import Model, Request
from harness.models.messages import IMAGE_PLACEHOLDER
from harness.plugins.models.llama_cpp_backend import TRUNCATION_MARKER, LlamaCppModel, flatten, packaged_model_path

pytestmark = pytest.mark.slow


def test_the_weights_ship_in_the_package():
    path = packaged_model_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000


def test_image_parts_become_a_placeholder_and_text_is_kept():
    messages = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "Describe"}, {"type": "image_url", "image_url": {"url": "data:,"}}],
        }
    ]
    assert flatten(messages) == [{"role": "user", "content": f"Describe\n{IMAGE_PLACEHOLDER}"}]


def test_generates_the_same_non_empty_text_twice_and_survives_a_long_prompt():
    model = LlamaCppModel(config("llama_cpp", model="smollm2", params={"max_tokens": 8}, options={"n_ctx": 256}))
    assert isinstance(model, Model)
    long_prompt = "The ECG shows sinus rhythm. " * 200 + "Question: what is the rhythm?"
    image = Request(
        id="img",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is an ECG?"},
                    {"type": "image_url", "image_url": {"url": "data:,"}},
                ],
            }
        ],
    )

    async def go():
        try:
            first = await model.generate(ask("What does an ECG measure?"))
            second = await model.generate(ask("What does an ECG measure?"))
            together = await asyncio.gather(model.generate(ask(long_prompt, id="long")), model.generate(image))
            return first, second, together
        finally:
            await model.aclose()

    first, second, (long_answer, image_answer) = run(go())
    assert first.text and first.text.strip() and first.error is None
    assert first.text == second.text  # greedy and seeded: deterministic
    assert 0 < first.usage.completion_tokens <= 8 and first.usage.prompt_tokens > 5
    assert long_answer.text is not None and long_answer.usage.prompt_tokens <= 256  # cut to fit instead of failing
    assert image_answer.text is not None


def test_truncation_keeps_the_end_of_the_user_message():
    model = LlamaCppModel(config("llama_cpp", options={"n_ctx": 256}))
    model._llm = model._load()
    try:
        messages = [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "filler " * 1000 + "FINAL QUESTION"},
        ]
        cut = model.fit_context(messages, max_tokens=32)
        assert cut[0] == messages[0]
        assert cut[1]["content"].startswith(TRUNCATION_MARKER) and cut[1]["content"].endswith("FINAL QUESTION")
        assert sum(model._count(m["content"]) for m in cut) <= 256 - 32
        short = [{"role": "user", "content": "hi"}]
        assert model.fit_context(short, max_tokens=32) == short
    finally:
        model._release()
        model._executor.shutdown()
