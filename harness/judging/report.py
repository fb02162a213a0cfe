"""From per-sample judged values to results.json entries (used by a run and by a shard merge).

Judged quantities are reported exactly like metrics (``harness.metrics.aggregate.summarize``:
value, CI, ``n_scored``, ``n_unscored``, ``unscored_reasons``) with ``kind="judge"``.
Samples store values the way ``record["metrics"]`` does: a number, or ``{"unscored": reason}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.metrics.aggregate import summarize
from harness.metrics.base import Metric, Unscored


class JudgeMetric(Metric):
    """Lets :func:`summarize` report a judged quantity like any metric (mean: the fast bootstrap)."""

    def __init__(self, name: str, higher_is_better: bool = True):
        self.name = name
        self.higher_is_better = higher_is_better


class MedianJudgeMetric(JudgeMetric):
    def aggregate(self, values: Sequence[Any]) -> float:
        import numpy as np

        return float(np.median(values))


def metric_for(name: str, *, task_aggregate: str = "mean", higher_is_better: bool = True) -> Metric:
    cls = MedianJudgeMetric if task_aggregate == "median" else JudgeMetric
    return cls(name, higher_is_better)


def metric_entry(
    name: str, values: Sequence[Any], *, info: dict[str, Any], higher_is_better: bool, seed: int
) -> dict[str, Any]:
    """One ``results.json['metrics']`` entry for a judged quantity."""
    metric = metric_for(name, task_aggregate=info.get("task_aggregate", "mean"), higher_is_better=higher_is_better)
    entry = summarize(metric, values, seed=seed)
    entry["kind"] = "judge"
    entry["info"] = info
    return entry


def judge_metrics(series: dict[str, Sequence[Any]], spec: Any, *, seed: int) -> dict[str, dict[str, Any]]:
    """One judge's own numbers (before the jury combines them)."""
    out = {}
    for name, values in series.items():
        s = summarize(
            metric_for(name, task_aggregate=spec.task_aggregate, higher_is_better=spec.higher_is_better),
            values,
            seed=seed,
        )
        out[name] = {k: s[k] for k in ("value", "n_scored", "n_unscored", "unscored_reasons")}
    return out


def values_to_record(values: dict[str, Any]) -> dict[str, Any]:
    return {k: {"unscored": v.reason} if isinstance(v, Unscored) else v for k, v in values.items()}


def value_from_record(value: Any) -> Any:
    return Unscored(value["unscored"]) if isinstance(value, dict) and "unscored" in value else value


_COUNTS = (
    "requests",
    "cache_hits",
    "failed",
    "repairs",
    "prompt_tokens",
    "completion_tokens",
    "retries",
    "rate_limited",
)


def sum_usage(usages: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Add up usage dicts (``harness.models.cached.Tally.as_dict`` form); a cost is None only if no part had one."""
    out: dict[str, Any] = {k: sum(u.get(k) or 0 for u in usages) for k in _COUNTS}
    costs = [u["cost_usd"] for u in usages if u.get("cost_usd") is not None]
    out["cost_usd"] = sum(costs) if costs else None
    runs = [u.get("this_run") or {} for u in usages]
    run_costs = [r["cost_usd"] for r in runs if r.get("cost_usd") is not None]
    out["this_run"] = {
        "prompt_tokens": sum(r.get("prompt_tokens") or 0 for r in runs),
        "completion_tokens": sum(r.get("completion_tokens") or 0 for r in runs),
        "cost_usd": sum(run_costs) if run_costs else None,
    }
    return out
