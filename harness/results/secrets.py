"""The one secret policy: what counts as a credential, for results, samples, logs and the leaderboard.

A key is secret when it names a credential (``api_key``, ``hf_token``, ``client_secret``,
``Authorization``, ``cookie``, ``private_key``, ...; counts such as ``max_tokens`` and words such
as ``tokenizer`` are not); a ``*_env`` key whose value is an environment variable's name only
names where the secret is, and is kept. A value is secret when it looks like a credential
(``sk-...``, ``hf_...``, GitHub and Slack tokens, AWS access key ids, ``Bearer ...``), carries
credentials in a URL (``https://user:key@host``, ``?key=...``), or equals a secret-named
environment variable of this process.

The writer (:func:`scrub`) replaces secrets in place with ``<redacted>``; the leaderboard checks
submissions again (:func:`scrub_results` drops secret keys and names what it removed,
:func:`scrub_text` replaces only the secret inside sample text, which is evidence).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any

REDACTED = "<redacted>"
# Markers other writers put in place of a secret: nothing is left to remove.
ALREADY_REDACTED = {REDACTED, "[secret removed]", "***", "[redacted]", "REDACTED"}

# A key is secret when its last word (split on _ - . and spaces) is one of these (`hf_token`,
# `access_token`; not `token_f1` or `tokenizer`) ...
_SECRET_LAST_WORDS = {"token", "bearer"}
# ... or when it contains one of these anywhere (`clientsecret`, `X-Api-Key`, `Set-Cookie`).
_SECRET_KEY = re.compile(
    r"api[_\-]?key|private[_\-]?key|passw(or)?d|secret|authori[sz]ation|credential|cookie", re.IGNORECASE
)
# Keys that only count or describe tokens, never hold one.
_SAFE_KEYS = {"max_tokens", "completion_tokens", "prompt_tokens", "total_tokens", "tokens", "max_completion_tokens"}
_ENV_NAME_KEY = re.compile(r"_env$", re.IGNORECASE)
_ENV_NAME_VALUE = re.compile(r"^[A-Z][A-Z0-9_]*$")

_SECRET_VALUE = re.compile(
    r"\bsk-[A-Za-z0-9_\-]{16,}"
    r"|\bhf_[A-Za-z0-9]{20,}"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"
    r"|\bgithub_pat_[A-Za-z0-9_]{30,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|\bxox[abprs]-[A-Za-z0-9\-]{10,}"
    r"|\b[Bb]earer\s+[A-Za-z0-9._\-]{16,}"
)
# Credentials inside URLs: `https://user:KEY@host/...` and secret-named query parameters (`?key=...`).
_URL_USERINFO = re.compile(r"(?<=://)[^/\s@]+@")
_URL_QUERY_SECRET = re.compile(
    r"([?&][^=&\s#]*(?:key|token|secret|sig|password|auth)[^=&\s#]*=)[^&\s#]+", re.IGNORECASE
)
# `name: value` entries of a Hydra dict literal on the command line (`+model.options.headers={...}`)
_LITERAL_ENTRY = re.compile(r"""(["']?)([A-Za-z0-9_\-]+)\1(\s*:\s*)("[^"]*"|'[^']*'|[^,}\]]+)""")

# Cheap pre-check on a raw JSON line: a superset of every key and value pattern above, as plain
# lower-case substrings, so most sample lines need no walk.
_MAYBE = (
    "api_key", "api-key", "apikey", "secret", "passw", "authoriz", "authoris", "credential", "private_key",
    "private-key", "privatekey", "cookie", "token", "bearer", "sk-", "hf_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
    "github_pat_", "akia", "xox", "://",
)  # fmt: skip


@lru_cache(maxsize=4096)  # the same few keys, every record
def _is_secret_name(key: Any) -> bool:
    if not isinstance(key, str) or key.lower() in _SAFE_KEYS:
        return False
    return bool(_SECRET_KEY.search(key)) or re.split(r"[_\-.\s]+", key.lower().strip("_-. "))[-1] in _SECRET_LAST_WORDS


def is_secret_key(key: Any, value: Any = None) -> bool:
    """Does ``key`` hold a credential (given its ``value``)? Names of environment variables
    (``api_key_env: OPENAI_API_KEY``), empty values and numbers are not credentials."""
    if not _is_secret_name(key) or value in (None, "", {}, []) or isinstance(value, (int, float, bool)):
        return False
    if isinstance(value, str) and value in ALREADY_REDACTED:
        return False
    return not (_ENV_NAME_KEY.search(key) and isinstance(value, str) and _ENV_NAME_VALUE.match(value))


def env_secrets() -> list[str]:
    """The values of secret-named environment variables (what a long writer computes once)."""
    return [v for k, v in os.environ.items() if _is_secret_name(k) and len(v) >= 8]


def scrub_string(value: str, env: list[str] = ()) -> tuple[str, int]:
    """``value`` with every secret-looking part replaced, and how many parts were replaced."""
    count = 0
    for secret in env:
        if secret in value:
            count += value.count(secret)
            value = value.replace(secret, REDACTED)
    value, n = _SECRET_VALUE.subn(REDACTED, value)
    count += n
    if "://" in value:
        value, n = _URL_USERINFO.subn(REDACTED + "@", value)
        count += n
        value, n = _URL_QUERY_SECRET.subn(lambda m: m.group(1) + REDACTED, value)
        count += n
    return value, count


def _walk(value: Any, path: str, env: list[str], hits: list[str], *, drop_keys: bool) -> Any:
    """The one walk: secret keys redacted (or dropped), secret text replaced; paths of both in ``hits``."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if is_secret_key(key, item):
                hits.append(where)
                if not drop_keys:
                    out[key] = REDACTED
                continue
            out[key] = _walk(item, where, env, hits, drop_keys=drop_keys)
        return out
    if isinstance(value, list):
        return [_walk(item, f"{path}[{i}]", env, hits, drop_keys=drop_keys) for i, item in enumerate(value)]
    if isinstance(value, str) and value not in ALREADY_REDACTED:
        cleaned, n = scrub_string(value, env)
        if n:
            hits.append(path)
        return cleaned
    return value


def scrub(value: Any, *, _env: list[str] | None = None) -> Any:
    """A copy of ``value`` with secret keys' values and secret-looking text replaced by ``<redacted>``."""
    return _walk(value, "", env_secrets() if _env is None else _env, [], drop_keys=False)


def find_secrets(value: Any) -> list[str]:
    """Where ``value`` still holds something secret-looking (paths), for a last check."""
    hits: list[str] = []
    _walk(value, "", [], hits, drop_keys=False)
    return hits


def scrub_results(document: Any) -> tuple[Any, list[str]]:
    """A results.json document as the leaderboard publishes it: secret keys dropped, secret text
    replaced; with the dotted paths of what was removed (never the values)."""
    removed: list[str] = []
    return _walk(document, "", [], removed, drop_keys=True), removed


def scrub_text(record: Any) -> tuple[Any, int]:
    """A sample record with only the secrets inside its text replaced (the text is evidence), and
    how many places were changed."""
    hits: list[str] = []
    return _walk(record, "", [], hits, drop_keys=False), len(hits)


def may_hold_secret(raw_line: str) -> bool:
    """False only when a raw JSON line cannot hold any secret key or value (most sample lines)."""
    if "\\u" in raw_line:  # JSON escapes could spell a key or value differently: walk it
        return True
    low = raw_line.lower()
    return any(s in low for s in _MAYBE)


def scrub_override(override: str) -> str:
    """A command-line override (``key=value``, as Hydra records it) without credentials: the whole
    value when the key names a secret, else secret-named entries of a dict literal and
    secret-looking text (tokens, URL credentials)."""
    key, sep, value = override.partition("=")
    if not sep:
        return override
    words = re.split(r"[./]", key.lstrip("+~"))
    if any(is_secret_key(w, value) for w in words):
        return f"{key}={REDACTED}"

    def entry(match: re.Match[str]) -> str:
        quote, name, colon, raw = match.groups()
        return f"{quote}{name}{quote}{colon}{REDACTED}" if is_secret_key(name, raw.strip("'\"")) else match.group(0)

    if value.startswith("{"):
        value = _LITERAL_ENTRY.sub(entry, value)
    return f"{key}={scrub(value)}"
