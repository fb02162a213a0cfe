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

``overall: [NORM, ABNORMAL]`` (code15-test) adds whole-record classes to the label set. The second,
the abnormal class, means "abnormal, none of the listed conditions" (a gold that is exactly
``ABNORMAL``, as upstream reads it): it is predicted when the answer names it and names no listed
condition, since "abnormal" is an ordinary word in an answer that goes on to name its findings
(:func:`fixed_labels`).

``compat: upstream`` reads labels as ECG-Bench's released ``evaluate_ecgbench.py`` does
(:func:`upstream_labels`): a case-sensitive substring test of each label name, no synonyms, in
the task's label order; with ``overall: [NORM, ABNORMAL]`` (code15-test) the text after the last
"Answer:" is read, ``NORM`` (without ``ABNORMAL``) or ``ABNORMAL`` comes first, and a gold that is
exactly one of them is that class alone. Proven on upstream's outputs in
``tests/data/upstream/ecgbench_labels.jsonl``.
"""

from __future__ import annotations

import re
from typing import Literal

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
        compat: Literal["fixed", "upstream"] = Field("fixed", description="upstream: ECG-Bench's released matching")
        overall: list[str] = Field(
            default_factory=list,
            max_length=2,
            description="whole-record classes [normal, abnormal], e.g. code15's [NORM, ABNORMAL]",
        )

    def items(self, ctx: ItemContext) -> list[Item]:
        labels, synonyms = ctx.settings.labels, ctx.settings.synonyms
        if ctx.settings.compat == "upstream":
            meta = {"labels": list(labels), "compat": "upstream", "overall": list(ctx.settings.overall)}
            return [ctx.item(reference=upstream_gold(str(ctx.reference), labels, ctx.settings.overall), meta=meta)]
        overall = list(ctx.settings.overall)
        known = [*labels, *(o for o in overall if o not in labels)]
        gold_value = ctx.reference
        gold = (
            sorted({str(g) for g in gold_value if str(g) in known})
            if isinstance(gold_value, list)
            else fixed_labels(str(gold_value), known, synonyms, overall)
        )
        if not gold:
            raise ctx.data_error(f"the gold answer {str(gold_value)[:80]!r} names none of the labels {known}")
        return [ctx.item(reference=gold, meta={"labels": known, "synonyms": dict(synonyms), "overall": overall})]

    def extract(self, item: Item, text: str) -> Extraction:
        overall = item.meta.get("overall") or []
        if item.meta.get("compat") == "upstream":
            found = upstream_labels(text, item.meta["labels"], overall)
        else:
            found = fixed_labels(text, item.meta["labels"], item.meta.get("synonyms"), overall)
        return Extraction(found, unparseable=not found, note=None if found else "no label named")


def fixed_labels(text: str, labels: list[str], synonyms: dict[str, list[str]] | None, overall: list[str]) -> list[str]:
    """The labels an answer names (whole words, any case, synonyms); the abnormal whole-record class
    only when no listed condition is named (module docstring)."""
    found = find_labels(text, label_patterns(labels, synonyms))
    if len(overall) == 2 and overall[1] in found and any(label not in overall for label in found):
        found.remove(overall[1])
    return found


def upstream_labels(text: str, labels: list[str], overall: list[str]) -> list[str]:
    """The labels ECG-Bench's released evaluation reads from an answer (module docstring), in its order."""
    space = [label for label in labels if label not in overall]
    if not overall:
        return [label for label in space if label in text]
    normal, abnormal = overall
    if "Answer:" in text:
        text = text.rsplit("Answer:", 1)[1]
    found = [label for label in space if label in text]
    if normal in text and abnormal not in text:
        return [normal, *found]
    if abnormal in text:
        return [abnormal, *found]
    return found


def upstream_gold(gold: str, labels: list[str], overall: list[str]) -> list[str]:
    """The gold labels as the released evaluation reads them: the whole-record class when the gold
    is exactly one, else every label name contained in it (possibly none)."""
    if gold in overall:
        return [gold]
    return [label for label in labels if label not in overall and label in gold]
