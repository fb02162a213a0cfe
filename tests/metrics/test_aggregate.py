"""Aggregation: one run's metrics share bootstrap draws without changing any interval."""

from __future__ import annotations

import numpy as np
from numpy.random import default_rng

from harness.metrics.aggregate import BOOTSTRAP_RESAMPLES, CI_LEVEL, summarize, summarize_all
from harness.metrics.base import Metric, Unscored
from harness.plugins.metrics.classification import F1


class _Mean(Metric):
    higher_is_better = True

    def __init__(self, name: str) -> None:
        self.name = name


def _reference_interval(values: list[float], seed: int) -> tuple[float, float]:
    """The percentile bootstrap of the mean, spelled out in one block of draws."""
    arr = np.asarray(values)
    idx = default_rng(seed).integers(0, len(arr), size=(BOOTSTRAP_RESAMPLES, len(arr)))
    means = arr[idx].mean(axis=1)
    alpha = (1 - CI_LEVEL) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def test_shared_draws_give_each_metric_its_own_interval():
    rng = np.random.default_rng(7)
    values = {
        "a": list(rng.random(3000)),
        "b": list(rng.integers(0, 2, 3000).astype(float)),
        "c": [Unscored("request failed")] * 5 + list(rng.random(2995)),  # another n: its own draws
        "one": [0.5],  # too few for an interval
    }
    metrics = [_Mean(name) for name in values]
    together = summarize_all(metrics, values, seed=1234)
    for metric in metrics:
        assert together[metric.name] == summarize(metric, values[metric.name], seed=1234)
    for name in ("a", "b"):
        assert (together[name]["ci_low"], together[name]["ci_high"]) == _reference_interval(values[name], 1234)
    scored_c = [v for v in values["c"] if not isinstance(v, Unscored)]
    assert (together["c"]["ci_low"], together["c"]["ci_high"]) == _reference_interval(scored_c, 1234)
    assert together["c"]["n_unscored"] == 5 and together["c"]["unscored_reasons"] == {"request failed": 5}
    assert together["one"]["ci_low"] is None and together["one"]["value"] == 0.5
    assert together["a"]["ci_low"] < together["a"]["value"] < together["a"]["ci_high"]
    assert summarize_all(metrics, values, seed=99)["a"]["ci_low"] != together["a"]["ci_low"]


def test_corpus_metrics_keep_their_own_bootstrap_beside_means():
    labels = ["A", "B", "C"] * 20
    preds = labels[:50] + ["A"] * 10
    f1 = F1("macro")
    per_sample = f1.compute(_inputs(preds, labels))
    mean = _Mean("m")
    out = summarize_all([f1, mean], {f1.name: per_sample, "m": [1.0, 0.0] * 30}, seed=3)
    assert out[f1.name] == summarize(f1, per_sample, seed=3)
    assert out[f1.name]["ci_low"] is not None and out[f1.name]["stderr"] is None


def _inputs(preds, golds):
    from harness.metrics.base import ScoreInput

    return [ScoreInput(prediction=p, reference=g) for p, g in zip(preds, golds)]
