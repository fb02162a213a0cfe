"""What the three text-overlap metrics share: input checks, tokenisation, edge cases, batching.

Edge cases, identical for ``bleu_1``, ``bleu_1_corpus``, ``rouge_l`` and ``meteor``:

- prediction ``None`` (no answer could be extracted, or the model call failed): ``Unscored("no
  prediction")``;
- reference with no token (empty, or only punctuation / non-ASCII): ``Unscored("empty reference")``
  — a data problem, not a model score;
- prediction with no token (``""``, ``"..."``): a real answer that shares nothing, scored ``0.0``,
  as nltk and rouge-score also score it;
- a prediction or reference that is not a string: ``TypeError`` naming the metric and sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.metrics.base import Metric, ScoreInput, Unscored
from harness.plugins.metrics import parallel
from harness.plugins.metrics.tokenize import DESCRIPTION as TOKENIZATION
from harness.plugins.metrics.tokenize import tokenize_many

NO_PREDICTION = "no prediction"
EMPTY_REFERENCE = "empty reference"


class TextPairMetric(Metric):
    """A metric of (prediction text, reference text) pairs over the shared tokenisation.

    Subclasses implement :meth:`score_tokens` on aligned token lists (references non-empty).
    """

    # Below this many pairs a process pool costs more than it saves (measured by
    # benchmarks/text_metrics.py); subclasses tune it.
    min_parallel_batch: int = 4000

    def compute(self, batch: Sequence[ScoreInput]) -> list[Any]:
        return self.score([item.prediction for item in batch], [item.reference for item in batch])

    def score(self, predictions: Sequence[str | None], references: Sequence[str]) -> list[Any]:
        """One value (or :class:`Unscored`) per pair, in order."""
        if len(predictions) != len(references):
            raise ValueError(f"{self.name}: {len(predictions)} predictions but {len(references)} references")
        out: list[Any] = [None] * len(predictions)
        todo: list[int] = []
        for i, (pred, ref) in enumerate(zip(predictions, references)):
            if not isinstance(ref, str):
                raise TypeError(f"{self.name}: sample {i}: reference must be a string, got {type(ref).__name__}")
            if pred is None:
                out[i] = Unscored(NO_PREDICTION)
            elif not isinstance(pred, str):
                raise TypeError(
                    f"{self.name}: sample {i}: prediction must be a string or None, got {type(pred).__name__}"
                )
            else:
                todo.append(i)
        if todo:
            self.prepare()
            values = parallel.map_chunks(
                self.score_texts,
                [predictions[i] for i in todo],
                [references[i] for i in todo],
                min_batch=self.min_parallel_batch,
                initializer=self.after_fork,
            )
            for i, value in zip(todo, values):
                out[i] = value
        return out

    def score_texts(self, predictions: Sequence[str], references: Sequence[str]) -> list[Any]:
        """Tokenise and score string pairs (runs in a worker for large batches)."""
        hyps = tokenize_many(predictions)
        refs = tokenize_many(references)
        keep = [i for i, ref in enumerate(refs) if ref]
        values = self.score_tokens([hyps[i] for i in keep], [refs[i] for i in keep]) if keep else []
        out: list[Any] = [Unscored(EMPTY_REFERENCE)] * len(refs)
        for i, value in zip(keep, values):
            out[i] = value
        return out

    def score_tokens(self, hyps: Sequence[list[str]], refs: Sequence[list[str]]) -> list[Any]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Load what scoring needs once, in the parent, before any worker is forked."""

    def after_fork(self) -> None:
        """Run in each forked worker before it scores (e.g. reopen inherited file handles)."""

    def info(self) -> dict[str, Any]:
        return {"word_split": TOKENIZATION}  # not "token...": results scrubbing redacts such keys
