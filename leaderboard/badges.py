"""Validity badges: every reason a published number is less than fully valid, from what the run
recorded (``status``, ``validity.flags``) and from the cell itself (small n, unscored share).

A badged cell is shown with its badges in words (no hover needed) and gets no ★ or ≈: a number
that is partial, text-only, from duplicate prompts, on a small sample, or judged by a judge that
could not tell good from bad, is not compared as if it were valid. The rule and thresholds are
stated on the page (``RULE``) and in ``docs/leaderboard.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SMALL_N = 30  # fewer scored samples: the interval is too wide to rank or mark significance
UNSCORED_SHARE = 0.2  # more unscored samples: the number covers too little of the run

# validity code -> (short label shown on the cell, whether it applies to every metric of the run)
LABELS = {
    "partial": "partial run",
    "absent_records": "records absent",
    "text_only": "text-only (no ECG)",
    "duplicate_prompts": "duplicate prompts",
    "nothing_scored": "nothing scored",
    "answers_truncated": "answers truncated",
    "weak_judge": "weak judge",
    "judge_unscored": "judge left many unscored",
    "not_comparable": "not comparable",
}
METRIC_SCOPED = {"weak_judge", "judge_unscored"}  # flags that name the metric they concern

RULE = (
    f"A cell carries a badge when its run is partial, has absent records, ran an ECG task without the ECG, "
    f"repeated prompts, cut answers, or its judge failed the validity check or left many samples unscored "
    f"(from results.json), when fewer than {SMALL_N} samples were scored, or when more than "
    f"{UNSCORED_SHARE:.0%} were unscored. A badged cell gets no ★ or ≈ and is left out of the ranking."
)


@dataclass(frozen=True)
class Badge:
    code: str
    label: str
    message: str


def badges(results: Any, metric: str, n_scored: int, n_unscored: int) -> list[Badge]:
    """The badges of one cell (``results``: the run's validated results.json)."""
    out: list[Badge] = []
    flags = getattr(getattr(results, "validity", None), "flags", None) or []
    for flag in flags:
        code = flag.code
        extra = flag.model_extra or {}
        if code in METRIC_SCOPED:
            scoped = extra.get("rubric") or extra.get("metric")
            if scoped is not None and not (metric == scoped or metric.startswith(f"{scoped}.")):
                continue
        out.append(Badge(code, LABELS.get(code, code), flag.message))
    if n_scored < SMALL_N:
        out.append(Badge("small_n", f"small n ({n_scored})", f"only {n_scored} samples scored (< {SMALL_N})"))
    total = n_scored + n_unscored
    if total and n_unscored / total > UNSCORED_SHARE and not any(b.code == "judge_unscored" for b in out):
        share = n_unscored / total
        out.append(Badge("unscored", f"{share:.0%} unscored", f"{n_unscored} of {total} samples unscored"))
    seen: set[str] = set()
    return [b for b in out if not (b.code in seen or seen.add(b.code))]
