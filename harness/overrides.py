"""Checking a run's command-line overrides before Hydra composes them.

Hydra answers a misspelt key (``limt=5``) by suggesting ``+limt=5``, which it then accepts and
ignores: the run silently evaluates every sample, which with a paid model costs money. Here an
unknown top-level key is an error with close matches, with or without ``+``, and a value of the
wrong type (``limit=abc``) is one line naming the key, before anything is built.

The known keys are those of ``configs/config.yaml`` (the one place they are declared) plus the
config groups; nested keys are Hydra's to check, except under ``generation`` where ``+`` is the
documented way to pass a parameter the config does not list.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files
from typing import Any

from harness.errors import HarnessError, suggest

GROUPS = ("task", "model", "hydra")  # config groups and Hydra's own node
INT_KEYS = ("limit", "sample", "seed", "concurrency", "judge_concurrency", "max_answer_bytes")
BOOL_KEYS = ("use_cache", "offline", "allow_text_only")
CHOICES = {"scoring": ("auto", "process", "thread")}
_SHARD = re.compile(r"^\d+/\d+$")
_OVERRIDE = re.compile(r"^(?P<op>\+\+|\+|~)?(?P<key>[A-Za-z_][\w.\-/@]*)(?:=(?P<value>.*))?$", re.DOTALL)


@lru_cache(maxsize=1)
def run_config() -> dict[str, Any]:
    """``configs/config.yaml`` as data (Hydra's interpolations left as text)."""
    import yaml

    return yaml.safe_load((files("harness.configs") / "config.yaml").read_text(encoding="utf-8"))


def known_keys() -> list[str]:
    return sorted({*run_config(), *GROUPS} - {"defaults"})


def check_overrides(args: list[str]) -> None:
    """Raise a one-line :class:`HarnessError` for the first override a run would misread."""
    known = known_keys()
    for arg in args:
        match = _OVERRIDE.match(arg)
        if match is None:
            continue  # not key=value: Hydra's grammar reports it
        key, value = match["key"], match["value"]
        top = re.split(r"[./@]", key, maxsplit=1)[0]
        if top not in known:
            raise HarnessError(f"{arg}: " + suggest(top, known, what="key"))
        if top == "generation" and "." in key and match["op"] is None:
            _check_generation(arg, key.split(".", 1)[1])
        if value is not None and key == top:
            check_value(key, value)


def _check_generation(arg: str, name: str) -> None:
    listed = list(run_config().get("generation") or {})
    if name not in listed:
        raise HarnessError(
            f"{arg}: "
            + suggest(name, listed, what="generation key")
            + f" (pass another one with +generation.{name}=...)"
        )


def check_value(key: str, value: str) -> None:
    """The value of a top-level key has the type the run needs (``null`` is always allowed)."""
    text = value.strip().strip("'\"")
    if re.match(r"^\w+\(", text):  # a sweep function (range(...), choice(...)): Hydra expands it
        return
    if "," in text and not text.startswith(("[", "{")):  # a multirun sweep: each value on its own
        for part in text.split(","):
            check_value(key, part)
        return
    if text.lower() in ("null", "none", ""):
        return
    if key in INT_KEYS:
        try:
            number = int(text)
        except ValueError:
            raise HarnessError(f"{key}={value}: expected a whole number, e.g. {key}=20") from None
        if number < 0 or (number == 0 and key in ("concurrency", "judge_concurrency")):
            raise HarnessError(f"{key}={value}: expected a positive number")
    elif key == "judge_check":
        if text.lower() not in ("auto", "true", "false") and not text.isdigit():
            raise HarnessError(f"{key}={value}: expected auto, true, false or a number of samples, e.g. {key}=20")
    elif key in BOOL_KEYS:
        if text.lower() not in ("true", "false"):
            raise HarnessError(f"{key}={value}: expected true or false")
    elif key in CHOICES:
        if text not in CHOICES[key]:
            raise HarnessError(f"{key}={value}: expected one of {', '.join(CHOICES[key])}")
    elif key == "shard" and not _SHARD.match(text):
        raise HarnessError(f"shard={value}: expected i/n, e.g. shard=0/4")
