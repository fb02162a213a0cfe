"""The response cache: answers handed to the writer thread are found at once, committed in order,
and all on disk after close; lookups come in batches; a failing writer is reported, not lost."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.models.base import Response, Usage
from harness.models.cache import ResponseCache, request_key


def _answer(text: str) -> Response:
    return Response(text=text, usage=Usage(3, 5), latency_s=0.25)


def test_put_is_found_at_once_and_committed_by_close(tmp_path: Path) -> None:
    path = tmp_path / "responses.sqlite"
    cache = ResponseCache(path)
    for i in range(300):
        cache.put(f"k{i}", _answer(f"answer {i}"))
    hit = cache.get("k7")  # queued or written: found either way
    assert hit is not None and hit.text == "answer 7" and hit.cached and hit.usage.completion_tokens == 5
    assert cache.seen("k299") and not cache.seen("other")
    cache.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 300
    again = ResponseCache(path)
    assert again.get("k299").text == "answer 299"
    again.close()


def test_get_many_finds_written_and_queued_answers(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    for i in range(1200):  # more keys than one lookup query takes
        cache.put(f"k{i}", _answer(str(i)))
    cache.close()
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put("fresh", _answer("new"))
    keys = [f"k{i}" for i in range(0, 1300, 3)] + ["fresh", "missing"]
    found = cache.get_many(keys)
    assert set(found) == {f"k{i}" for i in range(0, 1200, 3)} | {"fresh"}
    assert found["k999"].text == "999" and found["fresh"].text == "new"
    cache.close()


def test_an_answer_with_a_lone_surrogate_is_cached(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put("k", _answer("broken \ud800 text"))  # what json.loads makes of a "\\ud800" escape
    cache.close()
    cache = ResponseCache(tmp_path / "c.sqlite")
    assert cache.get("k").text == "broken \ud800 text"
    cache.close()


def test_failed_answers_are_not_cached(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put("bad", Response(text=None, error="HTTP 500"))
    assert cache.get("bad") is None and not cache.seen("bad")
    cache.close()


def test_a_failing_writer_is_reported_at_close(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cache = ResponseCache(path)
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE responses")  # the writer's INSERT now fails
    cache.put("k", _answer("x"))
    with pytest.raises(HarnessError, match=r"c\.sqlite: writing failed: no such table"):
        cache.close()


def test_no_path_means_no_cache() -> None:
    cache = ResponseCache(None)
    cache.put("k", _answer("x"))
    assert cache.get("k") is None and cache.get_many(["k"]) == {}
    cache.close()


def _key_as_json_writes_it(identity, messages, params) -> str:
    text = json.dumps([identity, messages, params], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    "params",
    [
        {"max_tokens": 256, "temperature": 0.0, "top_p": 0.95, "stop": ["\n\n"], "seed": None, "logprobs": False},
        {"temperature": 1e-07, "presence_penalty": -0.0, "top_k": 2**63},  # exponent form, beyond int64
        {"temperature": float("nan"), "big": 2**70, "logit_bias": {50256: -100}},  # json writes these its own way
        {"nested": {"b": [1, 2.5, {"z": None, "a": True}], "a": "é"}},
    ],
)
def test_request_keys_stay_what_json_made_them(params) -> None:
    """Keys made with orjson equal those json made (the cache outlives versions), whatever the data."""
    identity = {"backend": "openai_compat", "model": "stub", "base_url": "http://127.0.0.1:1/v1", "params": params}
    messages = [
        {"role": "system", "content": 'You are a cardiologist.\u2028Answer "briefly".'},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Réponse ? \x00\x1f\x7f 心电图 😀 \\ /"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            ],
        },
    ]
    assert request_key(identity, messages, params) == _key_as_json_writes_it(identity, messages, params)


def test_a_prompt_with_a_lone_surrogate_has_a_key() -> None:
    messages = [{"role": "user", "content": "broken \ud800 text"}]
    key = request_key({"model": "m"}, messages, {})
    assert len(key) == 64 and key != request_key({"model": "m"}, [{"role": "user", "content": "broken  text"}], {})
