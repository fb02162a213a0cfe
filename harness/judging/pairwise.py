"""Pairwise comparison: is the answer better than a baseline answer? Asked in both orders.

Judges prefer whichever answer comes first (or second) and the longer one. Asking twice with
the positions swapped and averaging cancels the position effect: a judge that always picks
"A" gives 0.5, not a win. How often both orders agree is reported as ``position_consistency``.

The sample score is the answer's preference in [0, 1]: 1 = better than the baseline in both
orders, 0.5 = tie or inconsistent, 0 = worse in both.
"""

from __future__ import annotations

from typing import Any

from harness.judging.rubric import Criterion, JudgeCall, JudgeInput, Rubric, RubricSpec, delimit, fenced_answers
from harness.judging.verdict import INVALID_VALUE, Problem, Verdict
from harness.task.prompt import Expression

PREFERENCE = "preference"
WINNER = "winner"
CHOICES = ("A", "B", "tie")
ORDERS = ("answer_first", "baseline_first")


class PairwiseRubric(Rubric):
    """Verdict ``{"winner": "A" | "B" | "tie"}``; the template places ``{{ answer_a }}`` and ``{{ answer_b }}``."""

    def __init__(self, spec: RubricSpec, *, source: Any = None):
        if not spec.criteria:
            spec = spec.model_copy(
                update={
                    "criteria": [
                        Criterion(
                            name=PREFERENCE,
                            min=0,
                            max=1,
                            integer=False,
                            description="share of orders in which the answer won",
                        )
                    ]
                }
            )
        super().__init__(spec, source=source)
        self._baseline = Expression(spec.baseline or "reference", where=f"{source or spec.name}: baseline")

    @property
    def fields(self) -> list[str]:
        return [WINNER]

    def verdict_example(self) -> str:
        return '{"rationale": "<one or two sentences>", "winner": "A" or "B" or "tie"}'

    def verdict_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {"rationale": {"type": "string"}, WINNER: {"enum": list(CHOICES)}},
            "required": [WINNER],
        }

    def calls(self, inp: JudgeInput) -> list[JudgeCall]:
        baseline = self._baseline.evaluate({**inp.doc, "doc": inp.doc, "reference": inp.reference}, sample=inp.item_id)
        baseline = "" if baseline is None else str(baseline)
        out = []
        for order in ORDERS:
            first, second = (inp.answer, baseline) if order == "answer_first" else (baseline, inp.answer)
            tag_a, block_a = delimit(first, "answer_a", self.name, inp.item_id)
            tag_b, block_b = delimit(second, "answer_b", self.name, inp.item_id)
            own_tag = (
                tag_a if order == "answer_first" else tag_b
            )  # a conversation's earlier answers are the tested model's
            messages = self._messages(
                inp,
                {"answer_a": block_a, "answer_b": block_b, "messages": fenced_answers(inp, own_tag)},
                [tag_a, tag_b],
                sample=inp.item_id,
            )
            out.append(
                JudgeCall(order, messages, [tag_a, tag_b], [*inp.answers, inp.answer])
            )  # only the tested model's answers are adversarial
        return out

    def check_value(self, key: str, value: Any) -> tuple[Any, Problem | None]:
        text = str(value).strip().strip("\"'").upper() if isinstance(value, str) else None
        if text in ("A", "B"):
            return text, None
        if text == "TIE":
            return "tie", None
        return None, Problem(INVALID_VALUE, f'\'{key}\' is {value!r}; expected "A", "B" or "tie"')

    def combine(self, verdicts: dict[str, Verdict]) -> tuple[dict[str, Any], dict[str, Problem]]:
        prefs = []
        for order in ORDERS:
            verdict = verdicts[order]
            if WINNER not in verdict.scores:
                problem = verdict.problems.get(WINNER) or verdict.problems.get("*")
                return {}, {PREFERENCE: problem or Problem(INVALID_VALUE, "no winner")}
            answer_slot = "A" if order == "answer_first" else "B"
            winner = verdict.scores[WINNER]
            prefs.append(0.5 if winner == "tie" else float(winner == answer_slot))
        return {PREFERENCE: sum(prefs) / 2, "position_consistent": prefs[0] == prefs[1]}, {}

    def sample_score(self, scores: dict[str, float]) -> float:
        return float(scores[PREFERENCE])
