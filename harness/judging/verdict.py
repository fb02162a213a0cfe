"""Reading a judge's reply: find the judge's own final JSON object, never text it echoed.

A judge often reasons in prose, quotes the answer it grades, or wraps its verdict in a code
fence. The rule is deliberately narrow so that an answer cannot smuggle a score in:

* every span the judge echoed between the answer's delimiters (``<answer-NONCE> ...
  </answer-NONCE>``, or from an opening delimiter to the end) is removed first;
* of what remains, only the object that ends at the *last* ``}`` is read (a code fence,
  ```json ... ```, is just prose around it). If that object is malformed, or another one is
  opened after it and cut off, the reply is invalid: the parser never falls back to an earlier
  object, which could be an echo.

The object is then checked against the rubric (see :meth:`Rubric.validate`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Short, fixed categories: they are what results.json counts in ``unscored_reasons``.
NO_JSON = "no JSON object"
MALFORMED = "malformed JSON"
INCOMPLETE = "incomplete JSON"
MISSING = "missing criterion"
OUT_OF_RANGE = "out of range"
NOT_A_NUMBER = "not a number"
INVALID_VALUE = "invalid value"
COPIED = "verdict copies the answer"
JUDGE_FAILED = "judge request failed"
REQUEST_FAILED = "request failed"


@dataclass(frozen=True)
class Problem:
    """Why (part of) a verdict cannot be used: a fixed category and the specifics."""

    category: str
    detail: str

    def __str__(self) -> str:
        return f"{self.category}: {self.detail}"


@dataclass
class Verdict:
    """One judge reply, read and checked. ``scores`` holds only the values that passed."""

    raw: str | None
    obj: dict[str, Any] | None = None
    scores: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)  # criterion (or "*" for the whole reply) -> problem

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """All problems in one line, as the repair prompt and the sample record state them."""
        return "; ".join(f"{k}: {p}" if k != "*" else str(p) for k, p in self.problems.items())


def normalise_key(key: Any) -> str:
    """A criterion name compared loosely: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(key).lower())


def rename_spellings(obj: dict[str, Any], canonical: dict[str, str]) -> dict[str, Any]:
    """``obj`` with every key whose :func:`normalise_key` is in ``canonical`` renamed to that name.

    When a verdict carries two spellings of one criterion, the canonical spelling wins; unknown
    keys are kept as they are.
    """
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = canonical.get(normalise_key(key))
        if name is None:
            out.setdefault(key, value)
        elif name not in out or key == name:
            out[name] = value
    return out


def strip_echoes(text: str, tags: Iterable[str]) -> str:
    """``text`` without any span the judge echoed between one of the answer delimiters."""
    for tag in tags:
        open_, close = f"<{tag}>", f"</{tag}>"
        pattern = re.compile(re.escape(open_) + r".*?(?:" + re.escape(close) + r"|\Z)", re.DOTALL)
        text = pattern.sub(" ", text)
        text = text.replace(close, " ")  # a stray closing tag carries nothing either
    return text


MAX_STARTS = 500  # candidate openings tried, from the left, for the object ending at the last brace


def final_object(text: str | None, *, echo_tags: Iterable[str] = ()) -> tuple[dict[str, Any] | None, Problem | None]:
    """The judge's final JSON object, or the problem that prevents reading it.

    The final object is the outermost JSON object that ends at the reply's last ``}``. An
    object opened after that brace means the reply was cut off (incomplete), and a last
    ``{...}`` that is not JSON is malformed: neither falls back to an earlier object.
    """
    if not text or not text.strip():
        return None, Problem(NO_JSON, "the reply is empty")
    cleaned = strip_echoes(text, echo_tags)
    end = cleaned.rfind("}")
    if cleaned.find("{", end + 1) != -1:
        return None, Problem(INCOMPLETE, "the last JSON object is not closed (reply cut off?)")
    if end == -1:
        return None, Problem(NO_JSON, "the reply contains no JSON object")
    decoder = json.JSONDecoder()
    starts = [i for i, ch in enumerate(cleaned[: end + 1]) if ch == "{"][-MAX_STARTS:]
    if not starts:
        return None, Problem(NO_JSON, "the reply contains no JSON object")
    for start in starts:
        try:
            obj, stop = decoder.raw_decode(cleaned, start)
        except json.JSONDecodeError:
            continue
        if stop == end + 1 and isinstance(obj, dict):
            return obj, None
    return None, Problem(MALFORMED, "the last {...} of the reply is not a valid JSON object")


def embedded_objects(text: str | None) -> list[dict[str, Any]]:
    """Every JSON object that can be read from ``text`` (top-level and nested), e.g. fake verdicts in an answer."""
    found: list[dict[str, Any]] = []
    if not text:
        return found
    decoder = json.JSONDecoder()
    i = text.find("{")
    while i != -1:
        try:
            obj, _ = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict):
            found.append(obj)
        i = text.find("{", i + 1)
    return found
