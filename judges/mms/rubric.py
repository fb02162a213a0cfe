"""The MMS rubric: its prompt, the verdict it expects, and how sub-scores become MMS.

Kept independent of any particular judge runner: :meth:`MMSRubric.messages` builds the judge
request, :meth:`MMSRubric.validate` checks a parsed verdict criterion by criterion, and
:func:`combine` / :meth:`MMSRubric.aggregate` turn valid sub-scores into sample and task scores.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

MMS_NAME = "mms"
CRITERIA = ("semantic_consistency", "content_coverage", "language_fluency")
SCALE = (0, 10)  # integer points per criterion
TEMPLATE = Path(__file__).with_name("prompt.jinja")


@lru_cache(maxsize=1)
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
    return env.from_string(TEMPLATE.read_text(encoding="utf-8"))


def criterion_value(value: Any) -> tuple[float | None, str | None]:
    """A criterion's points as a fraction in [0, 1], or the reason it is invalid.

    Integers 0-10 are accepted, also as numeric strings ("7") or integral floats (7.0);
    booleans, fractions like 7.5, and anything outside 0-10 are invalid, never clamped.
    """
    if isinstance(value, bool):
        return None, f"not a number: {value!r}"
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None, f"not a number: {value!r}"
    if not isinstance(value, (int, float)) or math.isnan(value):
        return None, f"not a number: {value!r}"
    if value != int(value):
        return None, f"not an integer: {value!r}"
    low, high = SCALE
    if not low <= value <= high:
        return None, f"out of range {low}-{high}: {value!r}"
    return float(value) / high, None


def combine(scores: Mapping[str, float]) -> float | None:
    """A sample's MMS: the unweighted mean of the three criteria (each in [0, 1]); None if any is missing."""
    if any(c not in scores for c in CRITERIA):
        return None
    return sum(scores[c] for c in CRITERIA) / len(CRITERIA)


@dataclass
class MMSRubric:
    """The MMS rubric as data: name, criteria, prompt template, scale."""

    name: str = MMS_NAME
    criteria: tuple[str, ...] = CRITERIA
    scale: tuple[int, int] = SCALE
    description: str = "ECG-Expert-QA model-to-model score: semantic consistency, content coverage, language fluency (0-10 each), mean / 10"
    template: Path = field(default=TEMPLATE)

    def messages(self, *, answer: str, reference: str, question: str = "", nonce: str = "0") -> list[dict[str, str]]:
        """The judge request for one sample (system: the rubric; user: question, reference, delimited answer)."""
        variables = {"question": question or "", "reference": reference, "answer": answer, "nonce": nonce}
        return [{"role": "system", "content": _template().render(part="system", **variables)},
                {"role": "user", "content": _template().render(part="user", **variables)}]

    def validate(self, verdict: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
        """Valid sub-scores (fractions in [0, 1]) and, per invalid or missing criterion, why."""
        scores: dict[str, float] = {}
        problems: dict[str, str] = {}
        for criterion in self.criteria:
            if criterion not in verdict:
                problems[criterion] = "missing criterion"
                continue
            value, problem = criterion_value(verdict[criterion])
            if problem is not None:
                problems[criterion] = problem
            else:
                scores[criterion] = value  # type: ignore[assignment]
        return scores, problems

    def sample_scores(self, verdict: Mapping[str, Any]) -> dict[str, Any]:
        """Everything a sample record keeps: each sub-score, the MMS, and any problems."""
        scores, problems = self.validate(verdict)
        out: dict[str, Any] = {c: scores.get(c) for c in self.criteria}
        out[self.name] = combine(scores)
        if problems:
            out["problems"] = problems
        return out

    def aggregate(self, samples: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        """Task-level MMS and sub-scores: means over the samples where each was valid.

        A sample whose verdict lacks a valid value is counted as unscored for that entry (and for
        MMS, which needs all three); it never counts as 0.
        """
        from harness.metrics.aggregate import summarize
        from harness.metrics.base import Metric, Unscored

        names = [self.name, *self.criteria]
        values: dict[str, list[Any]] = {n: [] for n in names}
        for sample in samples:
            problems = sample.get("problems") or {}
            for n in names:
                v = sample.get(n)
                if v is None:
                    reason = problems.get(n) or ("a criterion is invalid" if n == self.name else "missing criterion")
                    values[n].append(Unscored(reason.split(":")[0]))
                else:
                    values[n].append(float(v))
        out = {}
        for n in names:
            entry = summarize(Metric(), values[n], seed=0)
            entry["kind"] = "judge"
            out[n if n == self.name else f"{self.name}/{n}"] = entry
        return out
