"""Can the judge tell a good answer from a bad one? The judge validity check of a judged run.

A judged number says nothing about the judge unless the judge is tested on answers whose quality
is known. At the end of a run, on up to ``items`` samples (the first ones with a text reference),
each judge grades answers built from the references, through the same judging path as the run
(prompts, cache, repairs, the reading rule):

* **discrimination**: the sample's own reference as the answer (``gold``, should score near the
  top) and another sample's reference (``mismatched``, should score low); ``gap`` is the mean
  difference and ``share_gold_above`` the share of samples where gold scored higher. The judge is
  ``weak`` when gold is not above mismatched on more than :data:`WEAK_SHARE` of them;
* **verbosity**: the reference padded with neutral filler (:data:`FILLER`); ``score_change`` is
  the mean change against gold (a judge that rewards length scores it higher);
* **position_bias** (pairwise rubrics, asked in both orders): ``flip_share``, the share of
  probes whose preference changed with the order;
* **stability** (a sampled judge: temperature above 0 or the provider's default): the gold probe
  asked a second time (a distinct cache entry); ``mean_abs_diff`` and ``share_same``.

Each probe's values are kept per sample (``items``), so the figures of merged shards are
recomputed from all of them (:func:`figures`). Hand-written: no library checks an LLM judge.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from harness.judging.rubric import JudgeInput

N_ITEMS = 20  # samples probed per judge: 3 probes each (4 with stability), each one verdict (two if pairwise)
AUTO_MIN_SAMPLES = 50  # judge_check=null: checked from this many samples on
WEAK_SHARE = 0.20  # gold not above mismatched on more than this share of samples: a weak judge
FILLER = (
    "The points above are given in the order in which they were considered. Each statement is meant "
    "to be read as part of the whole answer, and the wording has been kept plain so that it can be "
    "followed easily. Nothing further is added here beyond what has already been stated, and no "
    "part of it should be read as more or less important because of where it appears."
)
PROBES = ("gold", "mismatched", "padded")


@dataclass(frozen=True)
class Probe:
    """One probe's outcome: the sample total (``None``: unscored) and, for a pairwise rubric,
    whether both orders agreed (``None``: not asked in both orders, or not both valid)."""

    value: float | None
    consistent: bool | None = None
    calls: int = 0


Ask = Callable[[JudgeInput, str, bool], Awaitable[Probe]]  # (input, probe label, repeat) -> outcome


def wanted(setting: bool | None, n_samples: int) -> bool:
    """``judge_check``: true / false, or ``None`` (auto): on for runs of at least :data:`AUTO_MIN_SAMPLES`."""
    return bool(setting) if setting is not None else n_samples >= AUTO_MIN_SAMPLES


class CheckItems:
    """The samples a run offers the check, keeping only the ``limit`` first (by position) with a text reference."""

    def __init__(self, limit: int = N_ITEMS):
        self.limit = limit
        self._kept: dict[tuple[int, ...], JudgeInput] = {}

    def offer(self, position: tuple[int, ...], inp: JudgeInput) -> None:
        if self.limit <= 0 or not isinstance(inp.reference, str) or not inp.reference.strip():
            return
        self._kept[position] = inp
        if len(self._kept) > 2 * self.limit:  # bounded memory: drop the later half
            for late in sorted(self._kept)[self.limit :]:
                del self._kept[late]

    def selected(self) -> list[JudgeInput]:
        return [self._kept[p] for p in sorted(self._kept)[: self.limit]]


def probes(items: Sequence[JudgeInput]) -> list[tuple[JudgeInput, dict[str, JudgeInput]]]:
    """Each sample with its probe inputs; the mismatched answer is the next sample's reference that
    differs from its own (none if every reference is the same)."""
    out = []
    for k, inp in enumerate(items):
        own = inp.reference.strip()
        other = next((o.reference for o in [*items[k + 1 :], *items[:k]] if o.reference.strip() != own), None)
        answers = {"gold": inp.reference, "padded": f"{inp.reference}\n\n{FILLER}"}
        if other is not None:
            answers["mismatched"] = other
        out.append((inp, {label: replace(inp, answer=text) for label, text in answers.items()}))
    return out


async def run_check(items: Sequence[JudgeInput], ask: Ask, *, sampled: bool) -> dict[str, Any]:
    """Every probe of every sample for one judge (concurrently; the judge's own bound applies):
    the per-sample rows and the figures."""

    async def one(inp: JudgeInput, inputs: dict[str, JudgeInput]) -> dict[str, Any]:
        labels = [label for label in PROBES if label in inputs]
        asks = [ask(inputs[label], label, False) for label in labels]
        if sampled:
            labels.append("repeat")
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
        flips = sum(r.get("flips", 0) for r in rows)
        out["position_bias"] = {"n": compared, "flip_share": flips / compared}
    if any("repeat" in r for r in rows):
        out["stability"] = stability(_pairs(rows, "gold", "repeat"))
    return out


def _pairs(rows: list[dict[str, Any]], a: str, b: str) -> list[tuple[float, float]]:
    return [(r[a], r[b]) for r in rows if r.get(a) is not None and r.get(b) is not None]


def discrimination(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Gold vs mismatched: means, gap, share of samples with gold above; ``weak`` (None: nothing to compare)."""
    if not pairs:
        return {"n": 0, "gold_mean": None, "mismatched_mean": None, "gap": None, "share_gold_above": None, "weak": None}
    gold = statistics.fmean(g for g, _ in pairs)
    mismatched = statistics.fmean(m for _, m in pairs)
    above = sum(g > m for g, m in pairs) / len(pairs)
    return {
        "n": len(pairs),
        "gold_mean": gold,
        "mismatched_mean": mismatched,
        "gap": gold - mismatched,
        "share_gold_above": above,
        "weak": 1 - above > WEAK_SHARE,
    }


def verbosity(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Padded minus gold, averaged (positive: the judge rewards the filler)."""
    return {"n": len(pairs), "score_change": statistics.fmean(p - g for g, p in pairs) if pairs else None}


def stability(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """The same gold probe asked twice: mean absolute difference and share of identical totals."""
    if not pairs:
        return {"n": 0, "mean_abs_diff": None, "share_same": None}
    return {
        "n": len(pairs),
        "mean_abs_diff": statistics.fmean(abs(a - b) for a, b in pairs),
        "share_same": sum(a == b for a, b in pairs) / len(pairs),
    }


def sampled(params: dict[str, Any]) -> bool:
    """Whether judge calls with these parameters are sampled: a temperature above 0, or none set
    (the provider's default, which for the common APIs is 1)."""
    temperature = params.get("temperature")
    return temperature is None or float(temperature) > 0
