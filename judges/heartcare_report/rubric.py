"""Heartcare-Bench's 17-item weighted report score, as a judge rubric.

The judge scores each of 17 criteria 0-100 against the reference report. We compute the total
ourselves, never trusting the judge's own ``total_score`` (recorded only for comparison):

    total = sum(score_i * weight_i) / sum(weight_i)        (0-100)

under both published weightings -- ``paper`` (Table 7: item 3 = 10, sum 100; the default) and
``released`` (the released scoring notebook: item 3 = 8, sum 97) -- and map it to the paper's
grade bands: Excellent (90-100), Acceptable (80-89), Review Required (60-79), Unusable (<60).

A verdict missing an item, with a non-numeric or out-of-range score, or that is not a JSON object
is invalid: the sample is unscored for this rubric with the reason (the released code scores a
parse failure as 0; we do not).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WEIGHTINGS = ("paper", "released")
DEFAULT_WEIGHTING = "paper"


@dataclass(frozen=True)
class Criterion:
    item: int
    text: str
    dimension: str
    weights: dict[str, float]


class InvalidVerdict(ValueError):
    """A verdict that cannot be scored; the message says why."""


class HeartcareReportRubric:
    """The rubric: templates, verdict schema, validation and score aggregation."""

    name = "heartcare_report"
    description = "Heartcare-Bench 17-item weighted ECG report score (0-100) with grade bands"

    def __init__(self, weighting: str = DEFAULT_WEIGHTING):
        if weighting not in WEIGHTINGS:
            raise ValueError(f"heartcare_report: weighting must be one of {WEIGHTINGS}, got {weighting!r}")
        self.weighting = weighting

    # -- definition -----------------------------------------------------------------------

    @cached_property
    def _spec(self) -> dict[str, Any]:
        import yaml

        return yaml.safe_load((HERE / "criteria.yaml").read_text(encoding="utf-8"))

    @cached_property
    def criteria(self) -> list[Criterion]:
        return [Criterion(int(c["item"]), c["text"], c["dimension"], {w: float(c[w]) for w in WEIGHTINGS}) for c in self._spec["items"]]

    @cached_property
    def grades(self) -> list[tuple[float, str]]:
        return [(float(g["min"]), g["grade"]) for g in self._spec["grades"]]

    def weight_sum(self, weighting: str) -> float:
        return sum(c.weights[weighting] for c in self.criteria)

    @property
    def system_template(self) -> str:
        return (HERE / "system.j2").read_text(encoding="utf-8")

    @property
    def user_template(self) -> str:
        return (HERE / "user.j2").read_text(encoding="utf-8")

    def template_variables(self) -> dict[str, Any]:
        """Variables of the system template: the criteria with the prompt's weighting."""
        return {"criteria": [{"item": c.item, "text": c.text, "weight": int(c.weights[self.weighting])} for c in self.criteria]}

    def render(self, *, reference: str, response: str) -> list[dict[str, str]]:
        """The judge's chat messages for one sample (the answer delimited as untrusted text)."""
        import jinja2

        env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
        system = env.from_string(self.system_template).render(**self.template_variables())
        user = env.from_string(self.user_template).render(reference=reference, response=response)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def json_schema(self) -> dict[str, Any]:
        items = {str(c.item): {"type": "number", "minimum": 0, "maximum": 100} for c in self.criteria}
        return {"type": "object", "required": ["item_scores"],
                "properties": {"item_scores": {"type": "object", "required": list(items), "properties": items},
                               "total_score": {"type": "number"}}}

    # -- scoring --------------------------------------------------------------------------

    def item_scores(self, verdict: Any) -> dict[int, float]:
        """The 17 item scores of a verdict (a dict or its JSON text); :class:`InvalidVerdict` if unusable."""
        if isinstance(verdict, str):
            try:
                verdict = json.loads(verdict)
            except json.JSONDecodeError as exc:
                raise InvalidVerdict(f"not JSON: {exc.msg}") from None
        if not isinstance(verdict, dict):
            raise InvalidVerdict(f"expected a JSON object, got {type(verdict).__name__}")
        raw = verdict.get("item_scores")
        if not isinstance(raw, dict):
            raise InvalidVerdict("no 'item_scores' object")
        scores: dict[int, float] = {}
        problems = []
        for c in self.criteria:
            value = raw.get(str(c.item), raw.get(c.item))
            if value is None:
                problems.append(f"item {c.item} missing")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                problems.append(f"item {c.item}: not a number ({value!r})")
                continue
            try:
                number = float(value)
            except ValueError:
                problems.append(f"item {c.item}: not a number ({value!r})")
                continue
            if not math.isfinite(number) or not 0 <= number <= 100:
                problems.append(f"item {c.item}: {value} outside 0-100")
                continue
            scores[c.item] = number
        if problems:
            raise InvalidVerdict("; ".join(problems))
        return scores

    def total(self, scores: dict[int, float], weighting: str | None = None) -> float:
        w = weighting or self.weighting
        return sum(scores[c.item] * c.weights[w] for c in self.criteria) / self.weight_sum(w)

    def grade(self, total: float) -> str:
        for lower, band in self.grades:
            if total >= lower:
                return band
        return self.grades[-1][1]

    def score_verdict(self, verdict: Any) -> dict[str, Any]:
        """Per-sample result: item scores, both weighted totals, grade bands, per-dimension means."""
        scores = self.item_scores(verdict)
        judge_total = verdict.get("total_score") if isinstance(verdict, dict) else None
        out: dict[str, Any] = {"item_scores": {str(k): v for k, v in sorted(scores.items())}}
        for w in WEIGHTINGS:
            total = self.total(scores, w)
            out[f"total_{w}"] = total
            out[f"grade_{w}"] = self.grade(total)
        out["total"] = out[f"total_{self.weighting}"]
        out["grade"] = out[f"grade_{self.weighting}"]
        dims: dict[str, list[float]] = {}
        for c in self.criteria:
            dims.setdefault(c.dimension, []).append(scores[c.item])
        out["dimensions"] = {d: sum(v) / len(v) for d, v in dims.items()}
        out["judge_total_score"] = judge_total if isinstance(judge_total, (int, float)) else None
        return out

    def aggregate(self, per_sample: list[dict[str, Any]]) -> dict[str, Any]:
        """Task level: mean totals under both weightings, the grade distribution, mean item scores."""
        if not per_sample:
            return {"n_scored": 0}
        n = len(per_sample)
        out: dict[str, Any] = {"n_scored": n, "weighting": self.weighting}
        for w in WEIGHTINGS:
            mean = sum(s[f"total_{w}"] for s in per_sample) / n
            out[f"total_{w}"] = mean
            bands: dict[str, int] = {band: 0 for _, band in self.grades}
            for s in per_sample:
                bands[s[f"grade_{w}"]] += 1
            out[f"grades_{w}"] = bands
        out["item_means"] = {str(c.item): sum(s["item_scores"][str(c.item)] for s in per_sample) / n for c in self.criteria}
        return out
