"""GEM's Grounded ECG Understanding judge: the 8-criterion rubric, scored as GEM's released notebook does.

The judge (GEM's exact prompt, ``user.j2``) answers one JSON object with a *list* of
``{"Score": s, "Explanation": e}`` entries per criterion (one entry per diagnosis, feature or
lead). Each list becomes one per-sample value, as the released evaluation notebook computes it:

==========================  ================================================  =============
criterion                   per-sample value                                  range
==========================  ================================================  =============
DiagnosisAccuracy           share of entries with Score > 0, x 100            0-100
AnalysisCompleteness        sum of Scores                                     0-
AnalysisRelevance           sum of Scores                                     0-
LeadAssessmentCoverage      min(sum, 12) / 12 x 100                           0-100
LeadAssessmentAccuracy      sum / 24 x 100                                    0-
ECGFeatureGrounding         the 0-100 Score (entries summed)                  0-100
EvidenceBasedReasoning      the 0-100 Score (entries summed)                  0-100
ClinicalDiagnosticFidelity  the 0-100 Score (entries summed)                  0-100
==========================  ================================================  =============

and each is averaged over the scored samples (the paper's Tables 1-2). The sample total
(``gem_grounding``) is the Tables' "Average": the mean of the last three, scored whenever those
three are (:meth:`GemGroundingRubric.total_needs`). The released notebook has no Average: it
prints each criterion's mean (pandas skips a sample without that criterion), and the paper's
Average is the mean of the three column means (PULSE: (50.18 + 52.40 + 51.63) / 3 = 51.40). Ours is
the mean over samples of each sample's Average: the two agree whenever the three criteria are
scored on the same samples (a sample missing one of them counts in the other two column means
upstream, and in no Average here).

Fixed, not copied, from upstream: the prompt's JSON names two criteria
``GroundedECGUnderstanding`` and ``RealisticDiagnosticProcess`` while the notebook parses
``ECGFeatureGrounding`` and ``ClinicalDiagnosticFidelity``, so upstream silently drops them. Both
spellings are accepted here (and ``Evidence-BasedReasoning``); a criterion still missing, an entry
without a numeric Score, or a negative Score is a problem (repair prompt, then unscored), never 0.
An empty list is a valid judgement (no diagnosis / feature / lead credited): 0, as upstream.
"""

from __future__ import annotations

import ast
import json
import math
import re
from typing import Any

from harness.judging.rubric import Rubric
from harness.judging.verdict import (
    INVALID_VALUE,
    NOT_A_NUMBER,
    OUT_OF_RANGE,
    Problem,
    normalise_key,
    rename_spellings,
)

# canonical name (the paper's and the notebook's) -> other spellings seen in prompts and notebooks
ALIASES: dict[str, tuple[str, ...]] = {
    "DiagnosisAccuracy": (),
    "AnalysisCompleteness": (),
    "AnalysisRelevance": (),
    "LeadAssessmentCoverage": (),
    "LeadAssessmentAccuracy": (),
    "ECGFeatureGrounding": ("GroundedECGUnderstanding",),
    "EvidenceBasedReasoning": ("Evidence-BasedReasoning",),
    "ClinicalDiagnosticFidelity": ("RealisticDiagnosticProcess",),
}
PERCENT = ("ECGFeatureGrounding", "EvidenceBasedReasoning", "ClinicalDiagnosticFidelity")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


_CANONICAL = {normalise_key(alias): name for name, aliases in ALIASES.items() for alias in (name, *aliases)}


def canonical_keys(obj: dict[str, Any]) -> dict[str, Any]:
    """The verdict with every known spelling of a criterion renamed to its canonical name.

    When a verdict carries two spellings of one criterion, the canonical one wins.
    """
    return rename_spellings(obj, _CANONICAL)


def entry_score(entry: Any) -> float | None:
    """One entry's Score: a number, or a string holding one number ("+2", "2 points"); else None."""
    score = entry.get("Score", entry.get("score", entry.get(" Score"))) if isinstance(entry, dict) else entry
    if isinstance(score, bool):
        return None
    if isinstance(score, (int, float)):
        return float(score) if math.isfinite(score) else None
    if isinstance(score, str):
        numbers = _NUMBER.findall(score)
        return float(numbers[0]) if len(numbers) == 1 else None
    return None


def aggregate(name: str, scores: list[float]) -> float:
    """The notebook's per-sample value of criterion ``name`` from its entry scores."""
    total = float(sum(scores))
    if name == "DiagnosisAccuracy":
        return 100.0 * sum(1 for s in scores if s > 0) / len(scores) if scores else 0.0
    if name == "LeadAssessmentCoverage":
        return min(total, 12.0) / 12.0 * 100.0
    if name == "LeadAssessmentAccuracy":
        return total / 24.0 * 100.0
    return total  # AnalysisCompleteness, AnalysisRelevance (counts); the three 0-100 criteria


def _literal_object(text: str) -> dict[str, Any] | None:
    """The reply's last ``{...}`` read as a Python literal (the prompt's own example uses single quotes)."""
    end = text.rfind("}")
    for start in [i for i, ch in enumerate(text[: end + 1]) if ch == "{"][:200]:
        try:
            obj = ast.literal_eval(text[start : end + 1])
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(obj, dict):
            return obj
    return None


class GemGroundingRubric(Rubric):
    """Lists of scored entries per criterion -> the notebook's per-sample values (module docstring)."""

    def verdict_example(self) -> str:
        entry = '[{"Score": <number>, "Explanation": "<text>"}, ...]'
        return "{" + ", ".join(f'"{c.name}": {entry}' for c in self.criteria) + "}"

    def verdict_schema(self) -> dict[str, Any]:
        entry = {
            "type": "object",
            "properties": {"Score": {"type": "number", "minimum": 0}, "Explanation": {"type": "string"}},
            "required": ["Score"],
        }
        props = {c.name: {"type": "array", "items": entry, "description": c.description} for c in self.criteria}
        return {"type": "object", "properties": props, "required": self.fields}

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "aliases": {k: list(v) for k, v in ALIASES.items() if v},
            "total_of": list(PERCENT),
            "aggregation": "GEM evaluation notebook: DiagnosisAccuracy = share of entries > 0 x100; AnalysisCompleteness, "
            "AnalysisRelevance = sums; LeadAssessmentCoverage = min(sum,12)/12 x100; LeadAssessmentAccuracy = "
            "sum/24 x100; the last three = their 0-100 score; each averaged over samples",
        }

    def loose_object(self, text: str) -> dict[str, Any] | None:
        """The prompt's own example uses single quotes: the last ``{...}`` read as a Python literal."""
        return _literal_object(text)

    def canonical(self, obj: dict[str, Any]) -> dict[str, Any]:
        return canonical_keys(obj)

    def spellings(self) -> dict[str, str]:
        return {alias: name for name, aliases in ALIASES.items() for alias in (name, *aliases)}

    def check_value(self, key: str, value: Any) -> tuple[Any, Problem | None]:
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            return None, Problem(
                INVALID_VALUE,
                f'\'{key}\' is {json.dumps(value)[:40]}, not a list of {{"Score", "Explanation"}} entries',
            )
        scores = []
        for n, entry in enumerate(value):
            score = entry_score(entry)
            if score is None:
                return None, Problem(NOT_A_NUMBER, f"'{key}' entry {n + 1} has no numeric Score")
            if score < 0:
                return None, Problem(OUT_OF_RANGE, f"'{key}' entry {n + 1} has a negative Score ({score:g})")
            scores.append(score)
        if key in PERCENT and not scores:
            return None, Problem(INVALID_VALUE, f"'{key}' has no Score (a 0-100 score is required)")
        result = aggregate(key, scores)
        c = next(c for c in self.criteria if c.name == key)
        if not c.min <= result <= c.max:
            return None, Problem(OUT_OF_RANGE, f"'{key}' is {result:g}, outside {c.min:g}-{c.max:g}")
        return result, None

    def total_needs(self) -> list[str]:
        """The Average needs only the three 0-100 criteria: a sample missing e.g. DiagnosisAccuracy
        still has an Average (that criterion alone is unscored)."""
        return list(PERCENT)

    def sample_score(self, scores: dict[str, float]) -> float:
        """The paper's "Average" (Table 2): mean of the three 0-100 criteria."""
        return float(sum(scores[k] for k in PERCENT) / len(PERCENT))
