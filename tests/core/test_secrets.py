"""Secrets never reach results: keys naming a secret and key-shaped values are redacted."""

from harness.results.secrets import REDACTED, find_secrets, scrub


def test_secret_keys_and_values_are_redacted(monkeypatch):
    monkeypatch.setenv("MY_SERVICE_TOKEN", "plain-looking-value-123")
    data = {
        "api_key": "abc",
        "hf_token": "x1",
        "client_secret": "s",
        "Authorization": "Bearer q",
        "max_tokens": 256,
        "prompt_tokens": 10,
        "tokenization": "rouge words",
        "api_key_env": "OPENAI_API_KEY",
        "note": "key sk-abcdefghijklmnopqrstuv and plain-looking-value-123 inside",
    }
    out = scrub(data)
    assert out["api_key"] == out["hf_token"] == out["client_secret"] == out["Authorization"] == REDACTED
    assert out["max_tokens"] == 256 and out["prompt_tokens"] == 10 and out["tokenization"] == "rouge words"
    assert out["api_key_env"] == "OPENAI_API_KEY"
    assert "sk-abc" not in out["note"] and "plain-looking-value-123" not in out["note"]
    assert find_secrets(out) == [] and set(find_secrets(data)) >= {
        "api_key",
        "hf_token",
        "client_secret",
        "Authorization",
        "note",
    }
