"""Validity badges: every reason a published number is less than fully valid, from what the run
recorded (``validity.flags``, and ``status`` where a flag is missing, e.g. in an older or
hand-made file), from its samples (prompts repeated across samples) and from the cell itself
(small n, unscored share).

A badged cell is shown with its badges in words (no hover needed) and gets no ★ or ≈: a number
that is partial, text-only, from duplicate prompts, on a small sample, or judged by a judge that
could not tell good from bad, is not compared as if it were valid. The rule and thresholds are
stated on the page (``RULE``) and in ``docs/leaderboard.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.results.status import DUPLICATE_SHARE, JUDGE_UNSCORED_SHARE

SMALL_N = 30  # fewer scored samples: the interval is too wide to rank or mark significance
UNSCORED_SHARE = 0.2  # more unscored samples: the number covers too little of the run


def _of(extra: dict[str, Any], *keys: str) -> tuple[Any, ...] | None:
    values = tuple(extra.get(k) for k in keys)
    return values if all(isinstance(v, (int, float)) for v in values) else None


def _partial(x: dict[str, Any]) -> str:
    got = _of(x, "n_failed", "n_absent", "n_expected")
    return f"partial run: {got[0] + got[1]} of {got[2]} lost" if got else "partial run"


def _absent(x: dict[str, Any]) -> str:
    got = _of(x, "n_absent", "n_expected")
    return f"records absent ({got[0]} of {got[1]})" if got else "records absent"


def _weak_judge(x: dict[str, Any]) -> str:
    got = _of(x, "share_gold_not_above", "n")
    return f"weak judge: gold not above on {got[0]:.0%} of {got[1]}" if got else "weak judge"


def _share(label: str, key: str = "share") -> Callable[[dict[str, Any]], str]:
    return lambda x: f"{label} ({x[key]:.0%})" if isinstance(x.get(key), (int, float)) else label


# validity code -> the short label shown on the cell, from the flag's figures
LABELS: dict[str, Callable[[dict[str, Any]], str]] = {
    "partial": _partial,
    "absent_records": _absent,
    "text_only": lambda x: "text-only (no ECG)",
    "duplicate_prompts": _share("duplicate prompts"),
    "nothing_scored": lambda x: "nothing scored",
    "answers_truncated": lambda x: (
        f"answers truncated ({x['n_truncated']})" if "n_truncated" in x else "answers truncated"
    ),
    "weak_judge": _weak_judge,
    "judge_unscored": _share("judge left many unscored"),
    "not_comparable": lambda x: "not comparable",
}
METRIC_SCOPED = {"weak_judge", "judge_unscored"}  # flags that name the metric they concern

RULE = (
    f"A cell carries a badge when its run is partial, has absent records, ran an ECG task without the ECG, "
    f"repeated prompts (more than {DUPLICATE_SHARE:.0%} of samples sent a request another sample already sent), "
    f"cut answers, or its judge failed the validity check or left many samples unscored "
    f"(from results.json), when fewer than {SMALL_N} samples were scored, or when more than "
    f"{UNSCORED_SHARE:.0%} were unscored. A badged cell gets no ★ or ≈ and is left out of the ranking."
)


# Each badge as the page explains it in words (visible, not only on hover).
LEGEND = [
    ("partial run", "some selected samples failed or were skipped; the number covers the rest"),
    ("records absent (k of n)", "k of the n selected samples could not run: their data or ECG record is not here"),
    ("text-only (no ECG)", "an ECG task run without showing the model the ECG (allow_text_only=true)"),
    ("duplicate prompts", f"more than {DUPLICATE_SHARE:.0%} of samples sent a prompt another sample already sent"),
    ("nothing scored", "no sample was scored"),
    ("answers truncated", "answers longer than max_answer_bytes were cut before scoring"),
    (
        "weak judge: gold not above on x% of n",
        "the judge scored another sample's reference as high as this sample's own on x% of the n samples its "
        "validity check compared (the task page shows the check's figures)",
    ),
    (
        "judge left many unscored",
        f"the judge gave no usable verdict for more than {JUDGE_UNSCORED_SHARE:.0%} of samples",
    ),
    ("not comparable", "the run's setting differs from the one the paper's numbers use"),
    ("small n (k)", f"only k < {SMALL_N} samples were scored: too few to rank or to mark significance"),
    ("x% unscored", f"more than {UNSCORED_SHARE:.0%} of samples could not be scored"),
    ("verification mismatch", "built with --verify: the number is not what the run's own records give"),
]


@dataclass(frozen=True)
class Badge:
    code: str
    label: str
    message: str


def badges(
    results: Any, metric: str, n_scored: int, n_unscored: int, *, duplicate_share: float | None = None
) -> list[Badge]:
    """The badges of one cell (``results``: the run's validated results.json; ``duplicate_share``:
    the share of its samples whose prompt repeats another's, as read from samples.jsonl)."""
    out = _recorded(results, metric)
    out += _from_status(results, {b.code for b in out})
    if duplicate_share is not None and duplicate_share > DUPLICATE_SHARE and "duplicate_prompts" not in _codes(out):
        out.append(
            Badge(
                "duplicate_prompts",
                LABELS["duplicate_prompts"]({"share": duplicate_share}),
                f"{duplicate_share:.0%} of the samples repeat another sample's prompt (read from samples.jsonl)",
            )
        )
    if n_scored < SMALL_N:
        out.append(Badge("small_n", f"small n ({n_scored})", f"only {n_scored} samples scored (< {SMALL_N})"))
    total = n_scored + n_unscored
    if total and n_unscored / total > UNSCORED_SHARE and "judge_unscored" not in _codes(out):
        share = n_unscored / total
        out.append(Badge("unscored", f"{share:.0%} unscored", f"{n_unscored} of {total} samples unscored"))
    seen: set[str] = set()
    return [b for b in out if not (b.code in seen or seen.add(b.code))]


def _codes(found: list[Badge]) -> set[str]:
    return {b.code for b in found}


def _recorded(results: Any, metric: str) -> list[Badge]:
    """The run's own ``validity.flags`` (a judge's flags only on the metrics of its rubric)."""
    out: list[Badge] = []
    for flag in getattr(getattr(results, "validity", None), "flags", None) or []:
        extra = flag.model_extra or {}
        if flag.code in METRIC_SCOPED:
            scoped = extra.get("rubric") or extra.get("metric")
            if scoped is not None and not (metric == scoped or metric.startswith(f"{scoped}.")):
                continue
        label = LABELS.get(flag.code)
        out.append(Badge(flag.code, label(extra) if label else flag.code, flag.message))
    return out


def _from_status(results: Any, present: set[str]) -> list[Badge]:
    """What ``status`` says when the matching flag is missing (a file written by hand or elsewhere)."""
    status = getattr(results, "status", None)
    if status is None:
        return []
    figures = {"n_failed": status.n_failed, "n_absent": status.n_absent, "n_expected": status.n_expected}
    out = []
    if status.state == "empty" and "nothing_scored" not in present:
        out.append(Badge("nothing_scored", LABELS["nothing_scored"](figures), status.message or "nothing was scored"))
    if (status.state == "partial" or status.n_failed or status.n_absent) and "partial" not in present:
        out.append(Badge("partial", _partial(figures), status.message or "some selected samples were not scored"))
    if status.n_absent and "absent_records" not in present:
        out.append(Badge("absent_records", _absent(figures), f"{status.n_absent} samples absent"))
    return out
