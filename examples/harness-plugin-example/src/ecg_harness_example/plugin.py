"""The plugin module named by the `ecg_harness` entry point.

It contributes, through the hooks of ``harness/hookspecs.py``: a task folder, two metrics (one
defined by a function, one with arguments), an output type with typed settings, and a judge rubric.
Nothing in the harness is edited; ``pip install`` this package and its names appear in
``python -m harness list``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import Field

from harness.hookspecs import hookimpl
from harness.metrics.base import Metric, ScoreInput, Unscored, sample_metric
from harness.settings import Settings
from harness.task.output_type import Extraction, Item, ItemContext, OutputType

HERE = Path(__file__).parent


@sample_metric("length_ratio")
def length_ratio(prediction: str, reference: str) -> float | Unscored:
    """Words in the answer divided by words in the reference (1.0 = same length). A sample without
    an answer never reaches this function: the harness reports it unscored."""
    ref_words = len(str(reference).split())
    if ref_words == 0:
        return Unscored("empty reference")
    return len(str(prediction).split()) / ref_words


class KeywordRecall(Metric):
    """Share of the given keywords that the answer mentions; the keywords are the metric's argument
    (``metrics: [{name: keyword_recall, args: {keywords: [...]}}]``): its constructor's keyword
    arguments are what a task may pass, so a misspelt argument is an error naming the task file."""

    name = "keyword_recall"
    description = "share of the configured keywords the answer mentions"

    def __init__(self, keywords: Sequence[str] = ("sinus", "rhythm"), case_sensitive: bool = False):
        if not keywords:
            raise ValueError("keyword_recall: keywords must not be empty")
        self.keywords, self.case_sensitive = tuple(keywords), bool(case_sensitive)

    def compute(self, batch: Sequence[ScoreInput]) -> list[float | Unscored]:
        out: list[float | Unscored] = []
        for sample in batch:
            if sample.prediction is None:
                out.append(Unscored("no prediction"))
                continue
            text = str(sample.prediction) if self.case_sensitive else str(sample.prediction).lower()
            words = self.keywords if self.case_sensitive else [k.lower() for k in self.keywords]
            out.append(sum(w in text for w in words) / len(words))
        return out

    def info(self) -> dict:
        return {"keywords": list(self.keywords), "case_sensitive": self.case_sensitive}


class YesNo(OutputType):
    """Yes/no questions: the prediction is ``yes``, ``no`` or unparseable; the words that count as
    each are the task's ``output:`` settings."""

    name = "yes_no"

    class Settings(Settings):
        yes: list[str] = Field(default_factory=lambda: ["yes", "true"], description="words read as yes")
        no: list[str] = Field(default_factory=lambda: ["no", "false"], description="words read as no")

    def items(self, ctx: ItemContext) -> list[Item]:
        gold = self._read(str(ctx.reference), ctx.settings.yes, ctx.settings.no)
        if gold is None:
            raise ctx.data_error(f"the gold answer {str(ctx.reference)[:60]!r} is neither yes nor no")
        return [ctx.item(reference=gold, meta={"yes": list(ctx.settings.yes), "no": list(ctx.settings.no)})]

    def extract(self, item: Item, text: str) -> Extraction:
        answer = self._read(text, item.meta["yes"], item.meta["no"])
        return Extraction(answer, unparseable=answer is None)

    @staticmethod
    def _read(text: str, yes: list[str], no: list[str]) -> str | None:
        first = re.findall(r"[a-z]+", text.lower())[:3]
        said_yes, said_no = any(w in yes for w in first), any(w in no for w in first)
        return "yes" if said_yes and not said_no else "no" if said_no and not said_yes else None


@hookimpl
def harness_task_dirs() -> list[Path]:
    return [HERE / "tasks"]


@hookimpl
def harness_metrics():
    return [length_ratio, KeywordRecall()]


@hookimpl
def harness_output_types():
    return [YesNo()]


@hookimpl
def harness_judges():
    from harness.judging.loading import load_rubric_dir

    return load_rubric_dir(HERE / "judges")
