"""The MMS rubric's one piece of custom logic: the score is reported in [0, 1].

The judge grades each criterion 0-10 (kept as given in samples.jsonl, and reported per criterion
as ``mms.<criterion>`` on that scale); a sample's MMS is the unweighted mean of the three / 10,
the [0, 1] scale of the paper's tables. A sample missing any valid criterion is unscored, never 0
(the judge framework's rule).
"""

from __future__ import annotations

from harness.judging.rubric import Rubric


class MMSRubric(Rubric):
    def sample_score(self, scores: dict[str, float]) -> float:
        top = max(c.max for c in self.criteria)
        return super().sample_score(scores) / top
