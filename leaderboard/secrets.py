"""Build-time secret check: results are scrubbed when written, and checked again here,
because a third-party submission (or an older writer) may not have been."""

from __future__ import annotations

import re
from typing import Any

# Key names that hold credentials. Counts such as `max_tokens` / `prompt_tokens` are not
# matched (they end in "tokens"), nor is `tokenizer`.
SECRET_KEY = re.compile(
    r"(api[_\-]?key|apikey|secret|passw(or)?d|authori[sz]ation|credential|private[_\-]?key|cookie"
    r"|(^|[_\-.])(access[_\-]?|auth[_\-]?|bearer[_\-]?|hf[_\-]?|refresh[_\-]?|session[_\-]?|id[_\-]?)?token$)",
    re.IGNORECASE,
)
# A key such as `api_key_env: OPENAI_API_KEY` names an environment variable, not a secret.
ENV_NAME_KEY = re.compile(r"_env$", re.IGNORECASE)
ENV_NAME_VALUE = re.compile(r"^[A-Z][A-Z0-9_]*$")

SECRET_VALUE = re.compile(
    r"(\bsk-[A-Za-z0-9_\-]{16,}"
    r"|\bhf_[A-Za-z0-9]{30,}"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"
    r"|\bgithub_pat_[A-Za-z0-9_]{30,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|\bxox[abprs]-[A-Za-z0-9\-]{10,}"
    r"|\b[Bb]earer\s+[A-Za-z0-9._\-]{16,})"
)
REDACTED = "[secret removed]"
# What the results writer already put in place of a secret: nothing left to remove.
ALREADY_REDACTED = {REDACTED, "<redacted>", "***", "[redacted]", "REDACTED"}


# Cheap pre-check on a raw JSON line: if no credential-like key or value can be in it, the
# record needs no walk (most sample lines). A superset of both patterns, as plain substrings.
_MAYBE = (
    "api_key",
    "api-key",
    "apikey",
    "secret",
    "passw",
    "authoriz",
    "authoris",
    "credential",
    "private_key",
    "private-key",
    "privatekey",
    "cookie",
    'token"',
    "sk-",
    "hf_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "akia",
    "xox",
    "bearer",
)


def may_hold_secret(raw_line: str) -> bool:
    if "\\u" in raw_line:  # JSON escapes could spell a key or value differently: walk it
        return True
    low = raw_line.lower()
    return any(s in low for s in _MAYBE)


def is_secret_key(key: str, value: Any) -> bool:
    if not SECRET_KEY.search(key):
        return False
    if ENV_NAME_KEY.search(key) and isinstance(value, str) and ENV_NAME_VALUE.match(value):
        return False
    return True


def scrub_results(obj: Any, path: str = "") -> tuple[Any, list[str]]:
    """Remove credential-named keys and secret-looking values from a results.json document.

    Returns the cleaned copy and the dotted paths of what was removed (never the values).
    """
    removed: list[str] = []
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(value, str) and value in ALREADY_REDACTED:
                out[key] = value
                continue
            if is_secret_key(str(key), value) and value not in (None, "", {}, []):
                removed.append(here)
                continue
            if isinstance(value, str) and SECRET_VALUE.search(value):
                removed.append(here)
                continue
            out[key], sub = scrub_results(value, here)
            removed += sub
        return out, removed
    if isinstance(obj, list):
        out_list = []
        for i, value in enumerate(obj):
            here = f"{path}[{i}]"
            if isinstance(value, str) and SECRET_VALUE.search(value):
                removed.append(here)
                out_list.append(REDACTED)
                continue
            cleaned, sub = scrub_results(value, here)
            out_list.append(cleaned)
            removed += sub
        return out_list, removed
    return obj, removed


def scrub_text(obj: Any) -> tuple[Any, int]:
    """Redact secret-looking substrings (and credential-named keys) inside a sample record.

    Sample text is evidence, so only the secret itself is replaced, not the whole field.
    """
    if isinstance(obj, str):
        cleaned, n = SECRET_VALUE.subn(REDACTED, obj)
        return cleaned, n
    if isinstance(obj, dict):
        total = 0
        out = {}
        for key, value in obj.items():
            if is_secret_key(str(key), value) and isinstance(value, str) and value and value not in ALREADY_REDACTED:
                out[key] = REDACTED
                total += 1
                continue
            out[key], n = scrub_text(value)
            total += n
        return out, total
    if isinstance(obj, list):
        total = 0
        out_list = []
        for value in obj:
            cleaned, n = scrub_text(value)
            out_list.append(cleaned)
            total += n
        return out_list, total
    return obj, 0
