"""The one reading of a chat message's text, used by the runner, the judges, the backends and the stub."""

from __future__ import annotations

from harness.models.messages import IMAGE_PLACEHOLDER, content_text, last_user_text, prompt_text, text_only

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
MESSAGES = [
    {"role": "system", "content": "Answer briefly."},
    {
        "role": "user",
        "content": [{"type": "text", "text": "What rhythm?"}, IMAGE, {"type": "text", "text": "Lead II."}],
    },
    {"role": "assistant", "content": "Sinus."},
    {"role": "user", "content": "And the rate?"},
]


def test_text_parts_are_joined_and_images_left_out_or_replaced() -> None:
    assert content_text(MESSAGES[1]["content"]) == "What rhythm?\nLead II."
    assert content_text(MESSAGES[1]["content"], other="[img]") == "What rhythm?\n[img]\nLead II."
    assert content_text(None) == "" and content_text("plain") == "plain" and content_text(7) == "7"


def test_prompt_and_last_user_text() -> None:
    assert prompt_text(MESSAGES) == "Answer briefly.\nWhat rhythm?\nLead II.\nSinus.\nAnd the rate?"
    assert last_user_text(MESSAGES) == "And the rate?"
    assert last_user_text(MESSAGES[:3]) == "What rhythm?\nLead II."
    assert last_user_text(MESSAGES[:1]) == ""


def test_text_only_keeps_roles_and_marks_each_image() -> None:
    flat = text_only(MESSAGES)
    assert [m["role"] for m in flat] == ["system", "user", "assistant", "user"]
    assert flat[1]["content"] == f"What rhythm?\n{IMAGE_PLACEHOLDER}\nLead II."
    assert flat[3] == MESSAGES[3] and text_only([{"role": "user", "content": None}])[0]["content"] == ""
