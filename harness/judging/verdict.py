"""Reading a judge's reply: find the judge's own final JSON object, never text it echoed.

A judge often reasons in prose, quotes the answer it grades, or wraps its verdict in a code
fence. The rule is deliberately narrow so that an answer cannot smuggle a score in:

* every span the judge echoed between the answer's delimiters (``<answer-NONCE> ...
  </answer-NONCE>``, or from an opening delimiter to the end) is removed first;
* of what remains, only the *last* balanced top-level ``{...}`` is read. A code fence
  (```json ... ```) is just prose around it. If that last object is malformed or cut off, the
  reply is invalid: the parser never falls back to an earlier object, which could be an echo.

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


def strip_echoes(text: str, tags: Iterable[str]) -> str:
    """``text`` without any span the judge echoed between one of the answer delimiters."""
    for tag in tags:
        open_, close = f"<{tag}>", f"</{tag}>"
        pattern = re.compile(re.escape(open_) + r".*?(?:" + re.escape(close) + r"|\Z)", re.DOTALL)
        text = pattern.sub(" ", text)
        text = text.replace(close, " ")  # a stray closing tag carries nothing either
    return text


def top_level_objects(text: str) -> tuple[list[tuple[int, int]], bool]:
    """Spans of the balanced top-level ``{...}`` in ``text`` and whether one is left open at the end.

    Quotes count only inside an object (prose apostrophes do not); braces inside JSON strings
    do not count.
    """
    spans: list[tuple[int, int]] = []
    depth = 0
    start = -1
    in_string = False
    escaped = False
    for i, ch in enumerate(text):
        if depth == 0:
            if ch == "{":
                depth, start = 1, i
            continue
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans, depth > 0


def final_object(text: str | None, *, echo_tags: Iterable[str] = ()) -> tuple[dict[str, Any] | None, Problem | None]:
    """The judge's final JSON object, or the problem that prevents reading it."""
    if not text or not text.strip():
        return None, Problem(NO_JSON, "the reply is empty")
    cleaned = strip_echoes(text, echo_tags)
    spans, left_open = top_level_objects(cleaned)
    if left_open:  # an object opened after the last complete one and never closed
        return None, Problem(INCOMPLETE, "the last JSON object is not closed (reply cut off?)")
    if not spans:
        return None, Problem(NO_JSON, "the reply contains no JSON object")
    start, end = spans[-1]
    snippet = cleaned[start:end]
    try:
        obj = json.loads(snippet)
    except json.JSONDecodeError as exc:
        return None, Problem(MALFORMED, f"{exc.msg} at character {exc.pos} of the last JSON object")
    if not isinstance(obj, dict):  # pragma: no cover - a balanced {...} that parses is an object
        return None, Problem(MALFORMED, "the last JSON value is not an object")
    return obj, None


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


def claimed_values(text: str | None, keys: Iterable[str]) -> list[dict[str, Any]]:
    """Verdict-like claims inside ``text``: JSON objects, and ``key: value`` runs in any quoting."""
    keys = list(keys)
    claims = [{k: obj[k] for k in keys if k in obj} for obj in embedded_objects(text)]
    if text:
        loose: dict[str, Any] = {}
        for key in keys:
            match = re.search(r"[\"']?" + re.escape(key) + r"[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9.\-]+)", text)
            if match:
                value = match.group(1)
                try:
                    loose[key] = json.loads(value)
                except ValueError:
                    loose[key] = value
        claims.append(loose)
    return [c for c in claims if c]
