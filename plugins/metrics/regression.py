"""Mean squared error of a predicted numeric sequence (signal forecasting)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.metrics.base import Metric, ScoreInput, Unscored


class MSE(Metric):
    """Per-sample MSE between a predicted and a reference sequence, averaged over samples.

    Lengths: the comparison runs over the reference's length. Values a prediction has beyond it
    are ignored; values it lacks are filled with 0.0, i.e. the mean of the standardised signal the
    tasks score on (a short answer is scored as if it forecast the mean for the rest, never
    rewarded by being shorter). Arrays of several leads (``leads x time``) must have the
    reference's number of leads; lengths are handled on the last (time) axis the same way.

    ``Unscored("unparseable")`` when the prediction is ``None`` or empty (no number could be
    read); ``Unscored("shape mismatch")`` when the lead counts differ; ``Unscored("non-finite
    prediction")`` for NaN or infinity. Standardising the signal is the task's job.
    """

    name = "mse"
    higher_is_better = False
    description = "mean squared error of the predicted vs reference sequence (reference length)"

    def compute(self, batch: Sequence[ScoreInput]) -> list[Any]:
        import numpy as np

        out: list[Any] = []
        for i, item in enumerate(batch):
            if item.reference is None:
                raise ValueError(f"mse: sample {i}: reference sequence is missing")
            ref = np.asarray(item.reference, dtype=float)
            if ref.size == 0:
                raise ValueError(f"mse: sample {i}: reference sequence is empty")
            if item.prediction is None:
                out.append(Unscored("unparseable"))
                continue
            try:
                pred = np.asarray(item.prediction, dtype=float)
            except (TypeError, ValueError):
                out.append(Unscored("unparseable"))
                continue
            if pred.size == 0:
                out.append(Unscored("unparseable"))
                continue
            if pred.ndim != ref.ndim or pred.shape[:-1] != ref.shape[:-1]:
                out.append(Unscored("shape mismatch"))
                continue
            if not np.isfinite(pred).all():
                out.append(Unscored("non-finite prediction"))
                continue
            length = ref.shape[-1]
            aligned = np.zeros_like(ref)
            take = min(length, pred.shape[-1])
            aligned[..., :take] = pred[..., :take]
            out.append(float(np.mean((aligned - ref) ** 2)))
        return out
