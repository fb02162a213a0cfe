"""Answers that name a set of the options listed in the question (ECG-Bench's ecgqa-test).

ECG-QA questions (as ECG-Bench asks them) end with their own option list, ``... Options: yes, no,
not sure. Only answer based on the given Options without any explanation.``; some questions have
several right options (``lead I, lead V1``). ECG-Bench's released evaluation reads the candidates
from the text after the last ``Options:`` (the closing instruction removed, split at commas), takes
as the prediction every candidate that occurs in the lower-cased answer (a substring test), and
counts the sample right when that set equals the gold set.

Here the same reading gives the prediction; the gold answer is read as its comma-separated options
(each must be one of the candidates, or the sample is an error naming it). Both are written as
their sorted options joined by ", " so ``accuracy`` compares sets. Differences from the released
code, on purpose: a candidate's trailing period is dropped (the option list ends with one), and
the gold is read as options, where the released code builds ``set()`` of the gold string, i.e. of
its characters. An answer naming no option is unparseable (counted, and wrong).

``output:`` settings: ``question`` (the field holding the question, default ``question``).
"""

from __future__ import annotations

import re

from pydantic import Field

from harness.settings import Settings
from harness.task.output_type import Extraction, Item, ItemContext, OutputType

_CLOSING = re.compile(r"only answer based on the given options without any explanation\.?", re.IGNORECASE)


def candidates(question: str) -> list[str]:
    """The options listed after the last ``Options:`` of the question, lower-cased, in order."""
    if "options:" not in question.lower():
        return []
    tail = re.split(r"options:", question, flags=re.IGNORECASE)[-1]
    tail = _CLOSING.sub("", tail)
    out = []
    for part in tail.split(","):
        option = part.strip().rstrip(".").strip().lower()
        if option and option not in out:
            out.append(option)
    return out


def named(text: str, options: list[str]) -> list[str]:
    """The options occurring in ``text`` (lower-cased substring test, as the released evaluation reads answers)."""
    lowered = (text or "").lower()
    return sorted(o for o in options if o in lowered)


class OptionSet(OutputType):
    name = "option_set"

    class Settings(Settings):
        question: str = Field("question", description="the record field holding the question (with its 'Options:')")

    def items(self, ctx: ItemContext) -> list[Item]:
        question = str(ctx.doc.fields.get(ctx.settings.question) or "")
        options = candidates(question)
        if not options:
            raise ctx.data_error("the question lists no 'Options:'")
        gold_text = ctx.reference
        parts = gold_text if isinstance(gold_text, list) else str(gold_text).split(",")
        gold = sorted({str(p).strip().rstrip(".").strip().lower() for p in parts if str(p).strip()})
        unknown = [g for g in gold if g not in options]
        if not gold or unknown:
            raise ctx.data_error(
                f"the gold answer {str(gold_text)[:80]!r} is not a set of the question's options {options}"
            )
        return [ctx.item(reference=", ".join(gold), meta={"options": options})]

    def extract(self, item: Item, text: str) -> Extraction:
        text = re.sub(r"<think>.*?</think>", "", text or "", flags=re.DOTALL)
        found = named(text, item.meta["options"])
        return Extraction(
            ", ".join(found) if found else None, unparseable=not found, note=None if found else "no option named"
        )
