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
from typing import Any

from harness.task.output_type import Extraction, Item


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


class MultiLabel:
    name = "multi_label"
    one_item_per_record = True

    def items(self, task: Any, doc: Any) -> list[Item]:
        from harness.errors import DataError, TaskFileError

        labels = task.spec.output.get("labels")
        if not isinstance(labels, list) or not labels:
            raise TaskFileError(
                f"{task.source}: output.labels: the multi_label output type needs a non-empty list of labels"
            )
        patterns = label_patterns(labels, task.spec.output.get("synonyms"))
        gold_value = task.reference(doc)
        gold = (
            sorted({str(g) for g in gold_value if str(g) in patterns})
            if isinstance(gold_value, list)
            else find_labels(str(gold_value), patterns)
        )
        if not gold:
            raise DataError(
                f"task '{task.spec.name}': sample {doc.id}: the gold answer {str(gold_value)[:80]!r} names none of the labels {labels}"
            )
        return [
            Item(
                id=doc.id,
                doc_id=doc.id,
                messages=task.messages(doc),
                reference=gold,
                doc=doc.fields,
                params=task.generation,
                meta={"labels": [str(x) for x in labels], "synonyms": task.spec.output.get("synonyms") or {}},
            )
        ]

    def extract(self, item: Item, text: str) -> Extraction:
        found = find_labels(text, label_patterns(item.meta["labels"], item.meta.get("synonyms")))
        return Extraction(found, unparseable=not found, note=None if found else "no label named")
