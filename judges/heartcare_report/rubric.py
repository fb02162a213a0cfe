"""Heartcare-Bench's 17-item report score: the rubric's custom logic (``rubric.yaml`` holds the rest).

What differs from a plain weighted-mean rubric:

- **Two weightings.** ``rubric.yaml``'s weights are the paper's Table 7 (item 3 = 10, item 4 = 8;
  sum 100), the default total. The released scoring notebook used item 3 = 8, item 4 = 7 (sum 97);
  :data:`RELEASED_WEIGHTS` keeps them and the total under them is reported beside the default as
  ``heartcare_report.total_released``.
- **Grade bands** (Excellent 90-100, Acceptable 80-89, Review Required 60-79, Unusable < 60) per
  sample and weighting, reported as shares: ``heartcare_report.grade_paper_excellent`` is the
  share of scored reports graded Excellent under the paper's weights, etc.
- **The released verdict format** ``{"item_scores": {"1": s1, ..., "17": s17}, "total_score": t}``
  is accepted besides the flat ``item_1 ... item_17``. The judge's ``total_score`` is never used:
  totals are computed from the item scores. A verdict missing an item or with an out-of-range
  score is invalid (repair prompt, then unscored) -- never scored 0 as upstream did.
"""

from __future__ import annotations

from typing import Any

from harness.judging.rubric import Rubric

# process/report_score_prompt.ipynb @ b1dc8606 (DCDmllm/Heartcare-Suite): item -> weight (sum 97)
RELEASED_WEIGHTS = {
    1: 10,
    2: 10,
    3: 8,
    4: 7,
    5: 7,
    6: 8,
    7: 7,
    8: 4,
    9: 4,
    10: 4,
    11: 3,
    12: 5,
    13: 4,
    14: 3,
    15: 3,
    16: 5,
    17: 5,
}
GRADES = ((90.0, "excellent"), (80.0, "acceptable"), (60.0, "review_required"), (float("-inf"), "unusable"))
GRADE_LABELS = {
    "excellent": "Excellent",
    "acceptable": "Acceptable",
    "review_required": "Review Required",
    "unusable": "Unusable",
}
WEIGHTINGS = ("paper", "released")


def grade(total: float) -> str:
    """The paper's grade band of a 0-100 total (a key of :data:`GRADE_LABELS`)."""
    return next(band for lower, band in GRADES if total >= lower)


class HeartcareReportRubric(Rubric):
    """The 17-item rubric with both weightings and grade bands as derived per-sample quantities."""

    def weights(self, weighting: str) -> dict[str, float]:
        if weighting == "paper":
            return {c.name: float(c.weight) for c in self.criteria}
        if weighting == "released":
            return {f"item_{k}": float(v) for k, v in RELEASED_WEIGHTS.items()}
        raise ValueError(f"unknown weighting {weighting!r}; expected one of {WEIGHTINGS}")

    def weighted_total(self, scores: dict[str, float], weighting: str) -> float:
        w = self.weights(weighting)
        return sum(float(scores[k]) * w[k] for k in w) / sum(w.values())

    @property
    def derived_quantities(self) -> list[str]:
        """Extra per-sample quantities the judge stage reports beside the items and the total."""
        names = ["total_released"]
        for weighting in WEIGHTINGS:
            names += [f"grade_{weighting}_{band}" for _, band in GRADES]
        return names

    def derived(self, scores: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {"total_released": self.weighted_total(scores, "released")}
        for weighting in WEIGHTINGS:
            band = grade(self.weighted_total(scores, weighting))
            out.update({f"grade_{weighting}_{b}": float(b == band) for _, b in GRADES})
        return out

    def grades(self, scores: dict[str, float]) -> dict[str, str]:
        """Grade labels of a sample under both weightings (for records and reports)."""
        return {w: GRADE_LABELS[grade(self.weighted_total(scores, w))] for w in WEIGHTINGS}

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "weightings": {w: self.weights(w) for w in WEIGHTINGS},
            "default_weighting": "paper",
            "grade_bands": {
                "Excellent": "90-100",
                "Acceptable": "80-89",
                "Review Required": "60-79",
                "Unusable": "<60",
            },
            "judge_total_used": False,
        }

    def canonical(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The released ``{"item_scores": {"1": ...}}`` form, flattened to ``item_1 ...``."""
        if not isinstance(obj.get("item_scores"), dict):
            return obj
        flat = {k: v for k, v in obj.items() if k != "item_scores"}
        flat.update({(k if str(k).startswith("item_") else f"item_{k}"): v for k, v in obj["item_scores"].items()})
        return flat
