"""Removing secrets before anything is written: results, samples, logs and the leaderboard."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any

REDACTED = "<redacted>"
# A key is secret when one of its words (split on _ - .) names a secret: `hf_token`, `api_key`,
# `client_secret`; `max_tokens` or `tokenization` are not.
_SECRET_WORDS = {
    "token",
    "secret",
    "password",
    "passwd",
    "authorization",
    "credential",
    "credentials",
    "apikey",
    "bearer",
}
_SECRET_KEY = re.compile(r"api[_\-]?key", re.IGNORECASE)
_SECRET_VALUE = re.compile(
    r"\b(sk-[A-Za-z0-9_\-]{16,}|sk-ant-[A-Za-z0-9_\-]{16,}|hf_[A-Za-z0-9]{20,}|Bearer\s+[A-Za-z0-9._\-]{16,})"
)
# Credentials inside URLs: `https://user:KEY@host/...` and secret-named query parameters (`?key=...`).
_URL_USERINFO = re.compile(r"(?<=://)[^/\s@]+@")
_URL_QUERY_SECRET = re.compile(
    r"([?&][^=&\s#]*(?:key|token|secret|sig|password|auth)[^=&\s#]*=)[^&\s#]+", re.IGNORECASE
)
# `name: value` entries of a Hydra dict literal on the command line (`+model.options.headers={...}`)
_LITERAL_ENTRY = re.compile(r"""(["']?)([A-Za-z0-9_\-]+)\1(\s*:\s*)("[^"]*"|'[^']*'|[^,}\]]+)""")
# Keys that only *name* a secret's environment variable are safe to keep.
_SAFE_KEYS = {
    "api_key_env",
    "base_url_env",
    "max_tokens",
    "completion_tokens",
    "prompt_tokens",
    "total_tokens",
    "tokens",
}


def env_secrets() -> list[str]:
    """The values of secret-named environment variables (what a long writer computes once)."""
    return [v for k, v in os.environ.items() if _is_secret_key(k) and len(v) >= 8]


def scrub(value: Any, *, _env: list[str] | None = None) -> Any:
    """A copy of ``value`` with secret-looking keys and values replaced by ``<redacted>``."""
    env = env_secrets() if _env is None else _env
    if isinstance(value, dict):
        return {
            k: (
                REDACTED
                if _is_secret_key(k) and v not in (None, "") and not isinstance(v, (int, float, bool))
                else scrub(v, _env=env)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(v, _env=env) for v in value]
    if isinstance(value, str):
        for secret in env:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return _scrub_text(value)
    return value


def _scrub_text(value: str) -> str:
    value = _SECRET_VALUE.sub(REDACTED, value)
    if "://" in value:
        value = _URL_QUERY_SECRET.sub(lambda m: m.group(1) + REDACTED, _URL_USERINFO.sub(REDACTED + "@", value))
    return value


def scrub_override(override: str) -> str:
    """A command-line override (``key=value``, as Hydra records it) without credentials: the whole
    value when the key names a secret, else secret-named entries of a dict literal and
    secret-looking text (tokens, URL credentials)."""
    key, sep, value = override.partition("=")
    if not sep:
        return override
    words = re.split(r"[./]", key.lstrip("+~"))
    if any(_is_secret_key(w) for w in words):
        return f"{key}={REDACTED}"

    def entry(match: re.Match[str]) -> str:
        quote, name, colon, _ = match.groups()
        return f"{quote}{name}{quote}{colon}{REDACTED}" if _is_secret_key(name) else match.group(0)

    if value.startswith("{"):
        value = _LITERAL_ENTRY.sub(entry, value)
    return f"{key}={scrub(value)}"


@lru_cache(maxsize=4096)  # the same few keys, every record
def _is_secret_key(key: Any) -> bool:
    if not isinstance(key, str) or key in _SAFE_KEYS:
        return False
    return bool(_SECRET_KEY.search(key)) or bool(_SECRET_WORDS.intersection(re.split(r"[_\-.\s]+", key.lower())))


def find_secrets(value: Any, path: str = "") -> list[str]:
    """Where ``value`` still holds something secret-looking (paths), for a last check."""
    hits: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            where = f"{path}.{k}" if path else str(k)
            if _is_secret_key(k) and v not in (None, "", REDACTED) and not isinstance(v, (int, float, bool)):
                hits.append(where)
            else:
                hits += find_secrets(v, where)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            hits += find_secrets(v, f"{path}[{i}]")
    elif isinstance(value, str) and _scrub_text(value) != value:
        hits.append(path)
    return hits
