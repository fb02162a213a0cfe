"""ECG-Bench's judge verdicts: ``{Aspect: {Score: s, Explanation: e}, ...}``, 0-10 per aspect, total = mean x 10.

Shared by ``ecgbench_report`` (Diagnosis, Waveform, Rhythm) and ``ecgbench_arena`` (Accuracy,
Completeness, Instruction Adherence). The released prompts show the format with unquoted keys
(``{Diagnosis: {Score: $SCORE$, ...}}``) and call the waveform aspect "form", so the reader
accepts JSON, a Python literal, or that loose form, and each aspect under any spelling in
:attr:`EcgBenchRubric.aliases` (case, spaces, hyphens and underscores ignored). An aspect still
missing or out of 0-10 is a problem (repair prompt, then unscored), never 0.
"""

from __future__ import annotations

import re
from typing import Any

from harness.judging.rubric import Rubric
from harness.judging.verdict import normalise_key, rename_spellings


class EcgBenchRubric(Rubric):
    """Nested ``{Score, Explanation}`` aspects; subclasses name the aliases."""

    aliases: dict[str, tuple[str, ...]] = {}

    def _canonical(self) -> dict[str, str]:
        table = {normalise_key(c.name): c.name for c in self.criteria}
        for name, others in self.aliases.items():
            table.update({normalise_key(o): name for o in others})
        return table

    def verdict_example(self) -> str:
        return "{" + ", ".join(f'"{c.name}": {{"Score": <0-10>, "Explanation": "<text>"}}' for c in self.criteria) + "}"

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "aliases": {k: list(v) for k, v in self.aliases.items()},
            "total": "mean of the aspects x 10 (0-100)",
        }

    def loose_object(self, text: str) -> dict[str, Any] | None:
        """``{Diagnosis: {Score: 7, ...}, ...}`` with unquoted keys: the aspects' Scores by pattern."""
        found: dict[str, Any] = {}
        table = self._canonical()
        for match in re.finditer(
            r"[\"']?([A-Za-z][A-Za-z _\-]*?)[\"']?\s*:\s*\{\s*[\"']?Score[\"']?\s*:\s*[\"']?([-+]?\d+(?:\.\d+)?)", text
        ):
            name = table.get(normalise_key(match.group(1)))
            if name is not None:
                found[name] = float(match.group(2))
        return found or None

    def canonical(self, obj: dict[str, Any]) -> dict[str, Any]:
        return rename_spellings(obj, self._canonical())

    def spellings(self) -> dict[str, str]:
        return {**super().spellings(), **{o: name for name, others in self.aliases.items() for o in others}}

    def check_value(self, key: str, value: Any) -> tuple[Any, Any]:
        if isinstance(value, dict):
            value = value.get("Score", value.get("score"))
        if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+(?:\.\d+)?\s*", value):
            value = float(value)
        return super().check_value(key, value)

    def sample_score(self, scores: dict[str, float]) -> float:
        """ECG-Bench's 0-100 score: the aspects' mean (0-10) x 10."""
        return 10.0 * sum(float(scores[c.name]) for c in self.criteria) / len(self.criteria)


class ReportRubric(EcgBenchRubric):
    aliases = {"Waveform": ("Form", "Wave form", "Waveform morphology")}


class ArenaRubric(EcgBenchRubric):
    aliases = {"InstructionAdherence": ("Instruction Adherence", "Instruction-Adherence", "Adherence")}
