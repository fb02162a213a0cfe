"""Chat messages (OpenAI format): the text they hold, and a text-only form for backends that read no images.

The one place that knows a message's ``content`` is a string or a list of content parts.
"""

from __future__ import annotations

from typing import Any

IMAGE_PLACEHOLDER = "[image omitted: this model reads text only]"


def content_text(content: Any, *, other: str | None = None) -> str:
    """The text of one message's content: the string, or its text parts joined by newlines; any
    other part (an image) is left out, or written as ``other`` when given."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            elif other is not None:
                texts.append(other)
        return "\n".join(texts)
    return "" if content is None else str(content)


def prompt_text(messages: list[dict[str, Any]]) -> str:
    """The text a reader sees in the prompt: every message's text, images left out."""
    return "\n".join(content_text(m.get("content")) for m in messages)


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """The text of the last user message ("" when there is none)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def text_only(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages whose list contents are flattened to one string; image parts become a placeholder."""
    return [{**m, "content": content_text(m.get("content"), other=IMAGE_PLACEHOLDER)} for m in messages]
