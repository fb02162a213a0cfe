"""The judge validity check: can this judge tell a good answer from a bad one, here?

A judged number means little if the judge cannot separate the reference answer from a wrong one.
After a rubric has judged the run's samples, each judge grades, on up to ``items`` of them (the
first in the task's order that have a text reference), answers whose quality is known, through
the same path as the run's verdicts (prompts, delimiters, cache, concurrency, retries, rate
limits, repairs, the reading rule), so the calls are cached and count in the judge's usage:

* **discrimination**: the sample's own reference as the answer (``gold``: it should score near
  the top) and the reference of another sample (``mismatched``: fluent, on topic, wrong; it should
  score low). Reported: both means, their ``gap``, and the shares of samples where gold scored
  (not) above mismatched. Not above on more than :data:`WEAK_SHARE` of them: the judge is
  ``weak`` on this task, and the run gets the ``weak_judge`` flag;
* **verbosity**: the reference padded with neutral filler (:data:`FILLER`); ``mean_change``
  against gold (a judge that rewards length scores it higher);
* **position_bias** (pairwise rubrics, asked in both orders): ``share_flipped``, the share of
  the probes' verdicts whose preference changed with the order;
* **stability** (a sampled judge: temperature above 0, or none set): the gold request asked a
  second time, cached under its own key; ``mean_abs_change`` and ``share_changed``.

Each probe's scores are kept per sample (``items``), so the figures of merged shards are
recomputed over all of them (:func:`figures`). Costs at most ``items x (3 or 4)`` verdicts per
judge and rubric (twice the calls for a pairwise rubric), plus repairs. Hand-written: no library
checks an LLM judge.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from harness.judging.rubric import JudgeInput

CHECK_ITEMS = 20
MIN_SAMPLES = 50  # judge_check=auto checks runs of at least this many samples
WEAK_SHARE = 0.2  # gold not above mismatched on more than this share of samples: a weak judge
FILLER = (
    "The points above are given in the order in which they were considered. Each statement is meant "
    "to be read as part of the whole answer, and the wording has been kept plain so that it can be "
    "followed easily. Nothing further is added here beyond what has already been stated, and no "
    "part of it should be read as more or less important because of where it appears."
)
PROBES = ("gold", "mismatched", "padded")


@dataclass(frozen=True)
class Probe:
    """One probe's outcome: the sample total (``None``: unscored), for a pairwise rubric whether
    both orders agreed (``None``: not both valid), and the calls it took."""

    value: float | None
    consistent: bool | None = None
    calls: int = 0


Ask = Callable[[JudgeInput, str, bool], Awaitable[Probe]]  # (input, probe label, repeat) -> outcome


def items_setting(value: Any, n_samples: int) -> int:
    """``judge_check`` (auto / true / false / a number of items) -> samples to check (0: none)."""
    if value is None or value == "auto":
        return CHECK_ITEMS if n_samples >= MIN_SAMPLES else 0
    if isinstance(value, bool):
        return CHECK_ITEMS if value else 0
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return CHECK_ITEMS if value.lower() == "true" else 0
    return max(0, int(value))


class CheckItems:
    """The samples a run offers the check: the ``limit`` first (by position) with a text reference."""

    def __init__(self, limit: int = CHECK_ITEMS):
        self.limit = limit
        self._kept: dict[tuple[int, ...], JudgeInput] = {}

    def offer(self, position: tuple[int, ...], inp: JudgeInput) -> None:
        if self.limit <= 0 or not isinstance(inp.reference, str) or not inp.reference.strip():
            return
        self._kept[position] = inp
        if len(self._kept) > 2 * self.limit:  # bounded memory: drop the later half
            for late in sorted(self._kept)[self.limit :]:
                del self._kept[late]

    def selected(self, limit: int | None = None) -> list[JudgeInput]:
        return [self._kept[p] for p in sorted(self._kept)[: self.limit if limit is None else limit]]


def probes(items: Sequence[JudgeInput]) -> list[tuple[JudgeInput, dict[str, JudgeInput]]]:
    """Each sample with its probe inputs; the mismatched answer is the next sample's reference that
    differs from its own (none when every reference is the same)."""
    out = []
    for k, inp in enumerate(items):
        own = inp.reference.strip()
        other = next((o.reference for o in [*items[k + 1 :], *items[:k]] if o.reference.strip() != own), None)
        answers = {"gold": inp.reference, "padded": f"{inp.reference}\n\n{FILLER}"}
        if other is not None:
            answers["mismatched"] = other
        out.append((inp, {label: replace(inp, answer=text) for label, text in answers.items()}))
    return out


async def check_judge(items: Sequence[JudgeInput], ask: Ask, *, sampled: bool) -> dict[str, Any]:
    """Every probe of every sample for one judge (concurrently; the judge's own bound applies):
    the figures and the per-sample rows."""

    async def one(inp: JudgeInput, inputs: dict[str, JudgeInput]) -> dict[str, Any]:
        labels = [label for label in PROBES if label in inputs]
        asks = [ask(inputs[label], label, False) for label in labels]
        if sampled:
            labels.append("again")
            asks.append(ask(inputs["gold"], "gold", True))
        outcomes = dict(zip(labels, await asyncio.gather(*asks)))
        row: dict[str, Any] = {"id": inp.item_id, **{label: p.value for label, p in outcomes.items()}}
        consistent = [p.consistent for p in outcomes.values() if p.consistent is not None]
        if consistent:
            row["flips"] = sum(not c for c in consistent)
            row["orders_compared"] = len(consistent)
        row["calls"] = sum(p.calls for p in outcomes.values())
        return row

    rows = await asyncio.gather(*(one(inp, inputs) for inp, inputs in probes(items)))
    return {**figures(rows), "items": list(rows)}


def figures(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The report's figures from the per-sample rows (also over the rows of merged shards)."""
    rows = list(rows)
    out: dict[str, Any] = {
        "n_items": len(rows),
        "n_calls": sum(r.get("calls", 0) for r in rows),
        "discrimination": discrimination(_pairs(rows, "gold", "mismatched")),
        "verbosity": verbosity(_pairs(rows, "gold", "padded")),
    }
    compared = sum(r.get("orders_compared", 0) for r in rows)
    if compared:
        out["position_bias"] = {"n": compared, "share_flipped": sum(r.get("flips", 0) for r in rows) / compared}
    if any("again" in r for r in rows):
        out["stability"] = stability(_pairs(rows, "gold", "again"))
    return out


def _pairs(rows: list[dict[str, Any]], a: str, b: str) -> list[tuple[float, float]]:
    return [(r[a], r[b]) for r in rows if r.get(a) is not None and r.get(b) is not None]


def discrimination(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Gold vs mismatched: means, gap, shares of samples with gold (not) above; ``weak`` (None: nothing compared)."""
    if not pairs:
        keys = ("gold_mean", "mismatched_mean", "gap", "share_gold_above", "share_gold_not_above", "weak")
        return {"n": 0, **dict.fromkeys(keys)}
    gold = statistics.fmean(g for g, _ in pairs)
    mismatched = statistics.fmean(m for _, m in pairs)
    not_above = sum(g <= m for g, m in pairs) / len(pairs)
    return {
        "n": len(pairs),
        "gold_mean": gold,
        "mismatched_mean": mismatched,
        "gap": gold - mismatched,
        "share_gold_above": 1 - not_above,
        "share_gold_not_above": not_above,
        "weak": not_above > WEAK_SHARE,
    }


def verbosity(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Padded minus gold, averaged (positive: the judge rewards the filler)."""
    return {"n": len(pairs), "mean_change": statistics.fmean(p - g for g, p in pairs) if pairs else None}


def stability(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """The same gold request answered twice: mean absolute change, share of changed totals."""
    if not pairs:
        return {"n": 0, "mean_abs_change": None, "share_changed": None}
    return {
        "n": len(pairs),
        "mean_abs_change": statistics.fmean(abs(a - b) for a, b in pairs),
        "share_changed": sum(a != b for a, b in pairs) / len(pairs),
    }


def sampled(params: dict[str, Any]) -> bool:
    """Whether judge calls with these parameters are sampled: a temperature above 0, or none set
    (the provider's default, which for the common APIs is 1)."""
    temperature = params.get("temperature")
    return temperature is None or float(temperature) > 0


def summary(figures: dict[str, Any]) -> str:
    """One line for the console and the site: the discrimination figure first."""
    d = figures.get("discrimination") or {}
    if not d.get("n"):
        return f"no sample had both answers scored (of {figures.get('n_items', 0)} checked)"
    line = (
        f"gold {d['gold_mean']:.3g} vs mismatched {d['mismatched_mean']:.3g} (gap {d['gap']:.3g}); "
        f"gold higher on {d['share_gold_above']:.0%} of {d['n']} items"
    )
    if (figures.get("verbosity") or {}).get("n"):
        line += f"; filler {figures['verbosity']['mean_change']:+.3g}"
    if figures.get("position_bias"):
        line += f"; order flips {figures['position_bias']['share_flipped']:.0%}"
    if (figures.get("stability") or {}).get("n"):
        line += f"; asked again, changes by {figures['stability']['mean_abs_change']:.3g}"
    return line
