"""Letter-choice accuracy with an explicit policy for unparseable answers.

``choice_accuracy`` equals ``accuracy`` by default: an answer from which no letter can be read
scores 0 (the task reports how many there were). ECG-Bench's released evaluation instead replaces
each unparseable answer with ``random.choice`` of the option letters after ``random.seed(42)``;
``args: {unparseable: random, seed: 42, letters: ABCD}`` reproduces that for comparison with
published numbers. Draws follow sample order (the runner scores in file order), as upstream's
loop does; a sharded run draws per shard, so only an unsharded run matches upstream exactly.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from harness.metrics.base import Metric, ScoreInput


class ChoiceAccuracy(Metric):
    name = "choice_accuracy"
    description = (
        "letter accuracy; unparseable answers wrong (default) or a seeded random letter (ECG-Bench compatibility)"
    )

    def __init__(self, unparseable: str = "wrong", seed: int = 42, letters: str = "ABCD"):
        if unparseable not in ("wrong", "random"):
            raise ValueError(f"choice_accuracy: unparseable must be 'wrong' or 'random', not {unparseable!r}")
        if not letters:
            raise ValueError("choice_accuracy: letters must not be empty")
        self.unparseable, self.seed, self.letters = unparseable, int(seed), str(letters).upper()
        self._rng = random.Random(self.seed)

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "unparseable": self.unparseable,
            **({"seed": self.seed, "letters": self.letters} if self.unparseable == "random" else {}),
        }

    def compute(self, batch: Sequence[ScoreInput]) -> list[Any]:
        out = []
        for item in batch:
            pred = item.prediction
            if pred is None and self.unparseable == "random":
                pred = self._rng.choice(list(self.letters))
            out.append(0.0 if pred is None else float(str(pred).strip().upper() == str(item.reference).strip().upper()))
        return out
