"""Chat messages (OpenAI format): the text they hold, and a text-only form for backends that read no images.

The one place that knows a message's ``content`` is a string or a list of content parts.
"""

from __future__ import annotations

from typing import Any

IMAGE_PLACEHOLDER = "[image omitted: this model reads text only]"


def content_text(content: Any) -> str:
    """The text of one message's content: the string, or its text parts joined by newlines."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
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
    flat = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = "\n".join(
                part.get("text", "") if part.get("type") == "text" else IMAGE_PLACEHOLDER for part in content
            )
        flat.append({**message, "content": "" if content is None else str(content)})
    return flat
