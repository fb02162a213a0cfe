"""Free-text generation: one request per record; the prediction is the response text."""

from __future__ import annotations

import re

from harness.task.output_type import Extraction, Item, ItemContext, OutputType


class Generation(OutputType):
    """The answer text is the prediction (a reasoning model's ``<think>...</think>`` removed)."""

    name = "generation"

    def items(self, ctx: ItemContext) -> list[Item]:
        return [ctx.item()]

    def extract(self, item: Item, text: str) -> Extraction:
        return Extraction(_THINK.sub("", text).strip())


_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
