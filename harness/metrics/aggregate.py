"""From per-sample values to a reported number with its uncertainty."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
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


def summarize_all(
    metrics: Sequence[Metric],
    values: Mapping[str, Sequence[Any]],
    *,
    seed: int = 0,
    draws: Mapping[int, Sequence[np.ndarray]] | None = None,
) -> dict[str, dict[str, Any]]:
    """:func:`summarize` for each metric of a run, by name. Mean metrics with the same number of
    scored samples share one set of bootstrap draws (the seed makes them identical anyway), so a
    run's end pays for the random numbers once, not once per metric; ``draws`` maps a number of
    samples to its :func:`draw_indices` drawn in advance."""
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
    for n, group in means.items():
        intervals = _bootstrap_means([arr for _, arr in group], seed, (draws or {}).get(n))
        for name, interval in zip((name for name, _ in group), intervals):
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


def draw_indices(n: int, seed: int) -> list[np.ndarray]:
    """Every bootstrap resample's indices for ``n`` samples, in the chunks :func:`summarize_all` uses.
    They depend on ``n`` and the seed alone, so a worker with idle time draws them before the values
    exist (``draws=``) and a run's end only gathers."""
    import numpy.ma  # noqa: F401  np.quantile imports it on first use: 15 ms, here rather than at the end

    return list(_index_chunks(n, seed))


def _index_chunks(n: int, seed: int) -> Iterator[np.ndarray]:
    rng = default_rng(seed)
    chunk = max(
        1, 200_000 // n
    )  # ~1.6 MB of indices at a time: cache-sized (faster) and flat in n; same draws as one block
    for start in range(0, BOOTSTRAP_RESAMPLES, chunk):
        yield rng.integers(0, n, size=(min(start + chunk, BOOTSTRAP_RESAMPLES) - start, n))


def _bootstrap_means(
    arrays: Sequence[np.ndarray], seed: int, chunks: Iterable[np.ndarray] | None = None
) -> list[tuple[float, float]]:
    """Percentile intervals of the mean for arrays of one length, from the same resamples."""
    n = len(arrays[0])
    means = [np.empty(BOOTSTRAP_RESAMPLES) for _ in arrays]
    resampled: np.ndarray | None = None  # one buffer, the first (largest) chunk's size: no fresh pages per chunk
    start = 0
    for idx in chunks if chunks is not None else _index_chunks(n, seed):
        if resampled is None:
            resampled = np.empty(idx.shape)
        stop = start + len(idx)
        rows = resampled[: len(idx)]
        for arr, out in zip(arrays, means):
            np.take(
                arr, idx, out=rows, mode="clip"
            )  # = arr[idx]; "clip" writes straight into out (the indices are in range)
            out[start:stop] = rows.mean(axis=1)
        start = stop
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
