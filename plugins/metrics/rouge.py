"""ROUGE-L, the ECG-Expert-QA paper's equation (3) with beta = 1.

``P = LCS / len(candidate)``, ``R = LCS / len(reference)``, ``F = 2PR / (P + R)`` (0 when the LCS
is empty), over the shared tokenisation. Equal to rouge-score's
``RougeScorer(["rougeL"]).score(reference, prediction)["rougeL"].fmeasure``: same tokens, same
formula, same operation order; the LCS length comes from rapidfuzz (C++) instead of a Python
dynamic-programming table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.plugins.metrics.text_base import TextPairMetric


class RougeL(TextPairMetric):
    name = "rouge_l"
    description = "ROUGE-L F-measure (beta = 1) over the longest common subsequence of tokens"
    min_parallel_batch = 50_000

    def score_tokens(self, hyps: Sequence[list[str]], refs: Sequence[list[str]]) -> list[Any]:
        from rapidfuzz.distance import LCSseq

        lcs_len = LCSseq.similarity
        out = []
        for hyp, ref in zip(hyps, refs):
            if not hyp:
                out.append(0.0)
                continue
            lcs = lcs_len(ref, hyp)
            precision = lcs / len(hyp)
            recall = lcs / len(ref)
            out.append(2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0)
        return out
