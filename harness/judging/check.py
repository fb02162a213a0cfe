"""The judge validity check: can this judge tell a good answer from a bad one, here?

A judged number means little if the judge cannot separate the reference answer from a wrong one.
After a rubric has judged the run's samples, each judge grades, on up to ``items`` of them (the
first in the task's order that have a reference):

* *discrimination*: the item's reference as the answer (it should score near the top) and the
  reference of another item (it should score low). Reported: both means, their gap, and the share
  of items where the gold answer did not score above the mismatched one. Above
  :data:`WEAK_SHARE` the judge is *weak* on this task: the run gets the ``weak_judge`` flag.
* *verbosity*: the reference padded with neutral filler; the mean change of the score.
* *stability*: where the judge samples (temperature > 0), the gold answer asked again in a
  differently delimited prompt; the mean absolute change.
* *position bias* (pairwise rubrics): the share of samples whose verdict flipped with the order,
  from the run's own both-order calls.

The extra calls go through the same judge path as the run's (cache, concurrency, retries, rate
limits, repairs, quotation removal) and count in the judge's usage. Costs at most
``items x (3 or 4)`` calls per judge and rubric.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from harness.judging.rubric import JudgeInput
from harness.metrics.base import Unscored

CHECK_ITEMS = 20
MIN_SAMPLES = 50  # judge_check=auto checks runs of at least this many samples
WEAK_SHARE = 0.2
FILLER = (
    " To restate the above in other words: these are the findings as described, reported without"
    " further interpretation, and nothing else is added to them here."
)

Score = Callable[[str, JudgeInput], Awaitable[Any]]  # (judge, input) -> the sample total or Unscored


@dataclass(frozen=True)
class Probe:
    """One item kept for the check: what a judge input needs, without the model's answer."""

    item_id: str
    question: str
    messages: list[dict[str, Any]]
    reference: str
    doc: dict[str, Any]

    def asking(self, answer: str, label: str) -> JudgeInput:
        return JudgeInput(
            item_id=f"judge-check/{label}/{self.item_id}",
            question=self.question,
            messages=self.messages,
            answer=answer,
            reference=self.reference,
            doc=self.doc,
        )


def items_setting(value: Any, n_samples: int) -> int:
    """``judge_check`` (auto / true / false / a number of items) -> items to check (0: none)."""
    if value is None or value == "auto":
        return CHECK_ITEMS if n_samples >= MIN_SAMPLES else 0
    if isinstance(value, bool):
        return CHECK_ITEMS if value else 0
    return max(0, int(value))


async def check_judge(judge: str, probes: list[Probe], score: Score, *, sampled: bool) -> dict[str, Any]:
    """The figures of one judge on one rubric (module docstring)."""
    n = len(probes)
    if n < 2:
        return {"n_items": n, "note": "fewer than two items with a reference: nothing to compare"}
    asks: list[Awaitable[Any]] = []
    for i, probe in enumerate(probes):
        other = probes[(i + 1) % n].reference
        asks += [
            score(judge, probe.asking(probe.reference, "gold")),
            score(judge, probe.asking(other, "mismatched")),
            score(judge, probe.asking(probe.reference + FILLER, "padded")),
        ]
        if sampled:
            asks.append(score(judge, probe.asking(probe.reference, "again")))
    values = await asyncio.gather(*asks)
    step = 4 if sampled else 3
    rows = [values[i : i + step] for i in range(0, len(values), step)]
    return {"n_items": n, **_discrimination(rows), **_verbosity(rows), **(_stability(rows) if sampled else {})}


def _ok(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, Unscored) for v in values)


def _discrimination(rows: list[list[Any]]) -> dict[str, Any]:
    pairs = [(r[0], r[1]) for r in rows if _ok(r[0], r[1])]
    if not pairs:
        return {"discrimination": {"n": 0, "note": "no item had both answers scored"}}
    not_above = sum(gold <= mismatched for gold, mismatched in pairs) / len(pairs)
    gold_mean = statistics.fmean(g for g, _ in pairs)
    mis_mean = statistics.fmean(m for _, m in pairs)
    return {
        "discrimination": {
            "n": len(pairs),
            "gold_mean": gold_mean,
            "mismatched_mean": mis_mean,
            "gap": gold_mean - mis_mean,
            "share_gold_above": 1 - not_above,
            "share_gold_not_above": not_above,
            "weak": not_above > WEAK_SHARE,
        }
    }


def _verbosity(rows: list[list[Any]]) -> dict[str, Any]:
    changes = [r[2] - r[0] for r in rows if _ok(r[0], r[2])]
    return {"verbosity": {"n": len(changes), "mean_change": statistics.fmean(changes) if changes else None}}


def _stability(rows: list[list[Any]]) -> dict[str, Any]:
    changes = [abs(r[3] - r[0]) for r in rows if _ok(r[0], r[3])]
    return {
        "stability": {
            "n": len(changes),
            "mean_abs_change": statistics.fmean(changes) if changes else None,
            "share_changed": sum(c > 0 for c in changes) / len(changes) if changes else None,
        }
    }


def summary(figures: dict[str, Any]) -> str:
    """One line for the console: the discrimination figure."""
    d = figures.get("discrimination") or {}
    if not d.get("n"):
        return d.get("note") or figures.get("note") or "not checked"
    return (
        f"gold {d['gold_mean']:.3g} vs mismatched {d['mismatched_mean']:.3g} (gap {d['gap']:.3g}); "
        f"gold higher on {d['share_gold_above']:.0%} of {d['n']} items"
    )
