"""From per-sample values to a reported number with its uncertainty."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.random import default_rng  # imported with the module: not in the seconds after a run's last answer

from harness.metrics.base import Metric, Unscored

BOOTSTRAP_RESAMPLES = 1000
CI_LEVEL = 0.95


def summarize(metric: Metric, values: Sequence[Any], *, seed: int = 0) -> dict[str, Any]:
    """Value, standard error, bootstrap CI and scored/unscored counts for one metric.

    ``values`` holds one entry per sample: a value, or :class:`Unscored`. Unscored samples are
    counted (with their reasons) and excluded from the value, which is stated in the output.
    """
    return summarize_all([metric], {metric.name: values}, seed=seed)[metric.name]


def summarize_all(metrics: Sequence[Metric], values: Mapping[str, Sequence[Any]], *, seed: int = 0) -> dict[str, dict[str, Any]]:
    """:func:`summarize` for each metric of a run, by name. Mean metrics with the same number of
    scored samples share one set of bootstrap draws (the seed makes them identical anyway), so a
    run's end pays for the random numbers once, not once per metric."""
    out: dict[str, dict[str, Any]] = {}
    means: dict[int, list[tuple[str, np.ndarray]]] = {}  # n scored -> (metric name, values) to bootstrap together
    for metric in metrics:
        entry, scored = _describe(metric, values[metric.name])
        out[metric.name] = entry
        if len(scored) < 2:
            continue
        numeric = all(isinstance(v, (int, float, bool, np.floating, np.integer)) for v in scored)
        if numeric and type(metric).aggregate is Metric.aggregate:
            arr = np.asarray(scored, dtype=float)
            entry["stderr"] = float(arr.std(ddof=1) / math.sqrt(len(arr)))
            means.setdefault(len(arr), []).append((metric.name, arr))
        else:
            entry["ci_low"], entry["ci_high"] = _bootstrap_generic(metric, scored, seed)
    for group in means.values():
        for name, interval in zip((name for name, _ in group), _bootstrap_means([arr for _, arr in group], seed)):
            out[name]["ci_low"], out[name]["ci_high"] = interval
    return out


def _describe(metric: Metric, values: Sequence[Any]) -> tuple[dict[str, Any], list[Any]]:
    scored = [v for v in values if not isinstance(v, Unscored)]
    reasons = Counter(v.reason for v in values if isinstance(v, Unscored))
    value = metric.aggregate(scored) if scored else None
    entry: dict[str, Any] = {
        "value": float(value) if value is not None else None,
        "stderr": None,
        "ci_low": None,
        "ci_high": None,
        "ci_level": CI_LEVEL,
        "n_scored": len(scored),
        "n_unscored": sum(reasons.values()),
        "unscored_reasons": dict(reasons),
        "higher_is_better": metric.higher_is_better,
    }
    return entry, scored


def _bootstrap_means(arrays: Sequence[np.ndarray], seed: int) -> list[tuple[float, float]]:
    """Percentile intervals of the mean for arrays of one length, from the same resamples."""
    rng = default_rng(seed)
    n = len(arrays[0])
    means = [np.empty(BOOTSTRAP_RESAMPLES) for _ in arrays]
    chunk = max(1, 200_000 // n)  # ~1.6 MB of indices at a time: cache-sized (faster) and flat in n; same draws as one block
    for start in range(0, BOOTSTRAP_RESAMPLES, chunk):
        stop = min(start + chunk, BOOTSTRAP_RESAMPLES)
        idx = rng.integers(0, n, size=(stop - start, n))
        for arr, out in zip(arrays, means):
            out[start:stop] = arr[idx].mean(axis=1)
    alpha = (1 - CI_LEVEL) / 2
    return [(float(np.quantile(m, alpha)), float(np.quantile(m, 1 - alpha))) for m in means]


def _bootstrap_generic(metric: Metric, scored: Sequence[Any], seed: int) -> tuple[float | None, float | None]:
    rng = default_rng(seed)
    n = len(scored)
    stats = []
    for _ in range(200):  # corpus metrics are costlier; 200 resamples suffice for a 95% interval
        idx = rng.integers(0, n, size=n)
        try:
            stats.append(metric.aggregate([scored[i] for i in idx]))
        except Exception:  # a resample may be degenerate (e.g. AUC with one class)
            continue
    stats = [s for s in stats if s is not None and not math.isnan(s)]
    if len(stats) < 20:
        return None, None
    alpha = (1 - CI_LEVEL) / 2
    return float(np.quantile(stats, alpha)), float(np.quantile(stats, 1 - alpha))
