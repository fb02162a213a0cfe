"""Multi-label answers: the labels a free-text answer names, out of a fixed label set.

``output:`` settings:
  ``labels``: the label set (e.g. ``[NORM, MI, STTC, CD, HYP]``), required;
  ``synonyms``: label -> other phrases that name it (``{MI: ["myocardial infarction"]}``).
A label is found when one of its names occurs as a whole word, case-insensitively (ECG-Bench
reads labels off the answer text the same way). The prediction is the sorted list of labels
found; the reference is read from the gold answer with the same rule (a gold naming no label is
an error naming the sample). An answer naming no label predicts the empty set (every label
"absent", as upstream scores it) and is counted as unparseable, so the count is reported.
Scored with ``f1_macro``, ``auc_macro`` and ``hamming_loss``.
"""

from __future__ import annotations

import re

from pydantic import Field

from harness.settings import Settings
from harness.task.output_type import Extraction, Item, ItemContext, OutputType


def label_patterns(labels: list[str], synonyms: dict[str, list[str]] | None = None) -> dict[str, re.Pattern[str]]:
    """One whole-word, case-insensitive pattern per label over its name and synonyms."""
    out = {}
    for label in labels:
        names = sorted({str(label), *map(str, (synonyms or {}).get(label, []))}, key=len, reverse=True)
        alternatives = "|".join(re.escape(n) for n in names)
        out[str(label)] = re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])", re.IGNORECASE)
    return out


def find_labels(text: str, patterns: dict[str, re.Pattern[str]]) -> list[str]:
    text = re.sub(r"<think>.*?</think>", "", text or "", flags=re.DOTALL)
    return sorted(label for label, pattern in patterns.items() if pattern.search(text))


class MultiLabel(OutputType):
    name = "multi_label"

    class Settings(Settings):
        labels: list[str] = Field(min_length=1, description="the label set, e.g. [NORM, MI, STTC, CD, HYP]")
        synonyms: dict[str, list[str]] = Field(default_factory=dict, description="label -> other phrases naming it")

    def items(self, ctx: ItemContext) -> list[Item]:
        labels, synonyms = ctx.settings.labels, ctx.settings.synonyms
        patterns = label_patterns(labels, synonyms)
        gold_value = ctx.reference
        gold = (
            sorted({str(g) for g in gold_value if str(g) in patterns})
            if isinstance(gold_value, list)
            else find_labels(str(gold_value), patterns)
        )
        if not gold:
            raise ctx.data_error(f"the gold answer {str(gold_value)[:80]!r} names none of the labels {labels}")
        return [ctx.item(reference=gold, meta={"labels": list(labels), "synonyms": dict(synonyms)})]

    def extract(self, item: Item, text: str) -> Extraction:
        found = find_labels(text, label_patterns(item.meta["labels"], item.meta.get("synonyms")))
        return Extraction(found, unparseable=not found, note=None if found else "no label named")
