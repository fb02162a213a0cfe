"""What the stub answers: :class:`Reply` and the built-in responders.

A responder is any ``(request_json) -> str | Reply``, sync or async; these cover what tests script
most (echo, one answer, regex rules, a cycle of judge verdicts, one responder per model).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.models.messages import content_text


@dataclass(frozen=True)
class Reply:
    """A scripted answer with everything a server can do besides returning text.

    ``status`` != 200 sends an OpenAI-style error body whose message is ``content``.
    ``delay`` replaces the server's latency model for this answer (seconds).
    ``drop`` closes the connection without an answer; ``hang`` never answers (until the stub stops).
    """

    content: str = ""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float | None = None
    drop: bool = False
    hang: bool = False
    finish_reason: str = "stop"


Answer = str | Reply
Responder = Callable[[dict[str, Any]], Answer | Awaitable[Answer]]


def last_user_text(request: Mapping[str, Any]) -> str:
    """Text of the last user message (text parts joined); the ``prompt`` of a legacy completion."""
    messages = request.get("messages")
    if not messages:
        prompt = request.get("prompt", "")
        return prompt if isinstance(prompt, str) else "\n".join(map(str, prompt))
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def conversation_text(request: Mapping[str, Any]) -> str:
    """Every message's text, one per line as ``role: text`` (what a rule on the whole chat sees)."""
    messages = request.get("messages")
    if not messages:
        return last_user_text(request)
    return "\n".join(f"{m.get('role')}: {content_text(m.get('content'))}" for m in messages if isinstance(m, dict))


def echo(prefix: str = "") -> Responder:
    """Answer with the last user message (optionally prefixed)."""

    def respond(request: dict[str, Any]) -> str:
        return prefix + last_user_text(request)

    return respond


def fixed(answer: Answer) -> Responder:
    """Always give the same answer."""

    def respond(request: dict[str, Any]) -> Answer:
        return answer

    return respond


RuleAnswer = Answer | Callable[[re.Match[str]], Answer]


def rules(
    table: Iterable[tuple[str | re.Pattern[str], RuleAnswer]] | Mapping[str | re.Pattern[str], RuleAnswer],
    default: Answer | None = None,
    *,
    target: str = "last_user",
    flags: int = re.IGNORECASE | re.DOTALL,
) -> Responder:
    """First regex that matches (``re.search``) decides the answer.

    ``target`` is ``"last_user"`` (the last user message) or ``"conversation"`` (all messages).
    An answer may be a callable taking the match. With no match and no ``default`` the stub answers
    500 naming the unmatched text, so a mis-scripted test fails loudly instead of scoring "".
    """
    if target not in ("last_user", "conversation"):
        raise ValueError(f"rules(target=...) must be 'last_user' or 'conversation', got {target!r}")
    items = table.items() if isinstance(table, Mapping) else table
    compiled = [(re.compile(p, flags) if isinstance(p, str) else p, a) for p, a in items]
    text_of = last_user_text if target == "last_user" else conversation_text

    def respond(request: dict[str, Any]) -> Answer:
        text = text_of(request)
        for pattern, answer in compiled:
            match = pattern.search(text)
            if match:
                return answer(match) if callable(answer) else answer
        if default is not None:
            return default
        return Reply(status=500, content=f"openai_stub: no rule matched {text[:200]!r}")

    return respond


def cycle(answers: Sequence[Answer]) -> Responder:
    """Hand out the answers in order, starting over at the end (e.g. a judge's scripted verdicts).

    The order follows request arrival, so with concurrent clients pair it with ``concurrency=1``
    or make every answer acceptable for every request.
    """
    if not answers:
        raise ValueError("cycle() needs at least one answer")
    it = itertools.cycle(list(answers))

    def respond(request: dict[str, Any]) -> Answer:
        return next(it)

    return respond


def by_model(routes: Mapping[str, Responder], default: Responder | None = None) -> Responder:
    """Dispatch on the request's ``model`` field: one server plays several models (e.g. a jury)."""

    def respond(request: dict[str, Any]) -> Answer | Awaitable[Answer]:
        model = request.get("model", "")
        responder = routes.get(model, default)
        if responder is None:
            return Reply(status=404, content=f"openai_stub: unknown model {model!r}; known: {sorted(routes)}")
        return responder(request)

    return respond
