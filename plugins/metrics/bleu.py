"""BLEU-1, the ECG-Expert-QA paper's equations (1)-(2): ``BP * exp(log p1)``.

``p1`` is the modified (clipped) unigram precision and ``BP = 1`` if ``c > r`` else
``exp(1 - r/c)`` (``c``, ``r``: candidate and reference lengths in tokens; ``BP = 0`` when
``c = 0``). The arithmetic follows nltk's ``sentence_bleu(..., weights=(1,))`` step by step
(integer counts, then ``bp * exp(log(p1))``), so values are identical, not merely close.

- ``bleu_1``: per sample, then averaged over samples. This is what the paper's Tables II-VIII
  report (one BLEU-1 per answer, averaged per task).
- ``bleu_1_corpus``: corpus-level, as nltk's ``corpus_bleu(..., weights=(1,))``: clipped counts and
  lengths summed over the samples first, one precision and one brevity penalty for the corpus.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from harness.plugins.metrics.text_base import TextPairMetric


def brevity_penalty(ref_len: int, hyp_len: int) -> float:
    if hyp_len > ref_len:
        return 1.0
    if hyp_len == 0:
        return 0.0
    return math.exp(1 - ref_len / hyp_len)


def clipped_matches(hyp: list[str], ref: list[str]) -> int:
    """Sum over hypothesis words of min(count in hypothesis, count in reference)."""
    if not hyp or not ref:
        return 0
    left = Counter(ref)
    get = left.get
    matches = 0
    for word in hyp:  # each hypothesis word uses up one occurrence in the reference
        n = get(word)
        if n:
            matches += 1
            left[word] = n - 1
    return matches


class Bleu1(TextPairMetric):
    name = "bleu_1"
    description = "BLEU-1 per sample (clipped unigram precision x brevity penalty), averaged"
    min_parallel_batch = 50_000

    def score_tokens(self, hyps: Sequence[list[str]], refs: Sequence[list[str]]) -> list[Any]:
        out = []
        for hyp, ref in zip(hyps, refs):
            c = len(hyp)
            m = clipped_matches(hyp, ref)
            if m == 0:
                out.append(0.0)
                continue
            bp = 1.0 if c > len(ref) else math.exp(1 - len(ref) / c)
            out.append(bp * math.exp(math.log(m / c)))
        return out


class Bleu1Corpus(TextPairMetric):
    """Per-sample value: ``[clipped matches, hypothesis length, reference length]`` (JSON-able);
    :meth:`aggregate` sums them into one corpus BLEU-1."""

    name = "bleu_1_corpus"
    description = "corpus BLEU-1 (nltk corpus_bleu, weights (1,)): counts summed before the ratio"
    min_parallel_batch = 50_000

    def score_tokens(self, hyps: Sequence[list[str]], refs: Sequence[list[str]]) -> list[Any]:
        return [[clipped_matches(h, r), len(h), len(r)] for h, r in zip(hyps, refs)]

    def aggregate(self, values: Sequence[Any]) -> float:
        if not values:
            return math.nan
        matches = sum(int(v[0]) for v in values)
        denominator = sum(max(1, int(v[1])) for v in values)  # nltk: max(1, len) per sample
        hyp_len = sum(int(v[1]) for v in values)
        ref_len = sum(int(v[2]) for v in values)
        if matches == 0:
            return 0.0
        return brevity_penalty(ref_len, hyp_len) * math.exp(math.log(matches / denominator))
