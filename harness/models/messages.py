"""Chat messages for backends that read text only."""

from __future__ import annotations

from typing import Any

IMAGE_PLACEHOLDER = "[image omitted: this model reads text only]"


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
