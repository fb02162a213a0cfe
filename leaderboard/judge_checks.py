"""The judge validity check as the site shows it: one row per run, rubric and judge, read from
results.json (``judges[RUBRIC].check[JUDGE]``, written by :mod:`harness.judging.check`).

A judged number is only as good as its judge; the task page prints, beside the numbers, whether
each judge scored the reference above a mismatched answer, and by how much, so a reader can weigh
a judged cell without opening results.json.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.judging.check import summary
from harness.leaderboard.collect import Run


@dataclass(frozen=True)
class JudgeCheckRow:
    model: str
    rubric: str
    judge: str
    n_items: int
    n_compared: int  # items with both the gold and the mismatched answer scored
    gold_mean: float | None
    mismatched_mean: float | None
    gap: float | None
    share_gold_above: float | None
    filler_change: float | None  # mean score change when the reference is padded with filler
    order_flips: float | None  # pairwise rubrics: share of verdicts that flip with the order
    repeat_change: float | None  # sampled judges: mean absolute change when asked again
    weak: bool | None  # None: nothing compared
    summary: str

    def figures(self) -> dict[str, Any]:
        """The row without the model, for leaderboard.json (the model is the result's own)."""
        return {k: v for k, v in self.__dict__.items() if k != "model"}


def judge_check_rows(runs: Iterable[tuple[str, Run]]) -> list[JudgeCheckRow]:
    """Every judge check the runs recorded, ordered by model, rubric and judge."""
    rows = []
    for model, run in runs:
        for rubric, block in sorted((run.results.judges or {}).items()):
            for judge, report in sorted(((block or {}).get("check") or {}).items()):
                rows.append(_row(model, rubric, judge, report or {}))
    return rows


def _row(model: str, rubric: str, judge: str, report: dict[str, Any]) -> JudgeCheckRow:
    disc = report.get("discrimination") or {}
    return JudgeCheckRow(
        model=model,
        rubric=rubric,
        judge=judge,
        n_items=int(report.get("n_items") or 0),
        n_compared=int(disc.get("n") or 0),
        gold_mean=disc.get("gold_mean"),
        mismatched_mean=disc.get("mismatched_mean"),
        gap=disc.get("gap"),
        share_gold_above=disc.get("share_gold_above"),
        filler_change=(report.get("verbosity") or {}).get("mean_change"),
        order_flips=(report.get("position_bias") or {}).get("share_flipped"),
        repeat_change=(report.get("stability") or {}).get("mean_abs_change"),
        weak=disc.get("weak"),
        summary=summary(report),
    )
