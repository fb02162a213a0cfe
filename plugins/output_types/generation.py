"""Free-text generation: one request per record; the prediction is the response text."""

from __future__ import annotations

import re
from typing import Any

from harness.task.output_type import Extraction, Item


class Generation:
    """``output:`` settings: ``strip_thinking`` (drop ``<think>...</think>``, default true)."""

    name = "generation"
    one_item_per_record = True

    def items(self, task: Any, doc: Any) -> list[Item]:
        return [
            Item(
                id=doc.id,
                doc_id=doc.id,
                messages=task.messages(doc),
                reference=task.reference(doc),
                doc=doc.fields,
                params=task.generation,
            )
        ]

    def extract(self, item: Item, text: str) -> Extraction:
        return Extraction(_THINK.sub("", text).strip())


_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
