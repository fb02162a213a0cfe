"""Re-aggregating judged numbers when the shards of a run are merged.

Each sample record keeps its judged values (``record["judges"][rubric]``: the jury's and every
judge's, as a number or ``{"unscored": reason}``), so the merged metrics, per-judge numbers and
agreement are recomputed from the samples exactly as an unsharded run computes them.
"""

from __future__ import annotations

from typing import Any

from harness.judging.check import figures
from harness.judging.jury import FEW_JUDGES, agreement
from harness.judging.report import metric_entry, metric_for, sum_usage, value_from_record
from harness.metrics.aggregate import summarize
from harness.metrics.base import Unscored

JURY = "jury"


def _seed(results: dict[str, Any]) -> int:
    return int((results.get("config") or {}).get("seed", 1234))


def judged_metric_results(first: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The ``kind="judge"`` entries of ``results.json['metrics']`` from the merged records (in order)."""
    out = {}
    for name, entry in first["metrics"].items():
        if entry.get("kind") != "judge":
            continue
        info = entry.get("info") or {}
        rubric = info.get("rubric", name.split(".")[0])
        values = [
            value_from_record(
                ((r.get("judges") or {}).get(rubric, {}).get(JURY, {}).get("values") or {}).get(
                    name, {"unscored": "not judged"}
                )
            )
            for r in records
        ]
        out[name] = metric_entry(
            name, values, info=info, higher_is_better=entry.get("higher_is_better", True), seed=_seed(first)
        )
    return out


def merged_judges_info(shards: list[dict[str, Any]], records: list[dict[str, Any]]) -> dict[str, Any]:
    """``results.json['judges']`` for merged shards: usage summed, per-judge numbers and agreement recomputed."""
    first = shards[0]
    merged: dict[str, Any] = {}
    for rubric, block in (first.get("judges") or {}).items():
        block = dict(block)
        names = list(block.get("agreement") or {})
        aggregate = (block.get("rubric") or {}).get("task_aggregate", "mean")
        judges = {}
        series: dict[str, dict[str, list[Any]]] = {}
        for judge, jinfo in (block.get("judges") or {}).items():
            series[judge] = {
                n: [
                    value_from_record(
                        (((r.get("judges") or {}).get(rubric) or {}).get(judge) or {})
                        .get("values", {})
                        .get(n, {"unscored": "request failed"})
                    )
                    for r in records
                ]
                for n in names
            }
            metrics = {}
            for n in names:
                s = summarize(metric_for(n, task_aggregate=aggregate), series[judge][n], seed=_seed(first))
                metrics[n] = {k: s[k] for k in ("value", "n_scored", "n_unscored", "unscored_reasons")}
            usage = sum_usage(
                [
                    ((s.get("judges") or {}).get(rubric, {}).get("judges", {}).get(judge) or {}).get("usage", {})
                    for s in shards
                ]
            )
            judges[judge] = {**jinfo, "usage": usage, "metrics": metrics}
        block["judges"] = judges
        block["agreement"] = {n: agreement({j: series[j][n] for j in series}) for n in names}
        jury_totals = [
            value_from_record(
                (((r.get("judges") or {}).get(rubric) or {}).get(JURY) or {}).get("values", {}).get(rubric, {})
            )
            for r in records
        ]
        if isinstance(block.get("jury"), dict):
            block["jury"] = {
                **block["jury"],
                "unscored_for_too_few_judges": sum(
                    isinstance(v, Unscored) and v.reason == FEW_JUDGES for v in jury_totals
                ),
            }
        flags = [
            (((r.get("judges") or {}).get(rubric) or {}).get(j) or {}).get("scores", {}).get("position_consistent")
            for r in records
            for j in series
        ]
        flags = [f for f in flags if f is not None]
        if flags:
            block["position_consistency"] = {"rate": sum(map(bool, flags)) / len(flags), "n": len(flags)}
        block["usage"] = sum_usage([(s.get("judges") or {}).get(rubric, {}).get("usage", {}) for s in shards])
        block.pop("check", None)
        checked = merged_checks([((s.get("judges") or {}).get(rubric) or {}).get("check") or {} for s in shards])
        if checked:
            block["check"] = checked
        merged[rubric] = block
    return merged


def merged_checks(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Each judge's validity check over the checked samples of every shard (figures recomputed)."""
    out = {}
    for judge in dict.fromkeys(j for report in reports for j in report):
        rows = [row for report in reports for row in (report.get(judge) or {}).get("items", [])]
        out[judge] = {**figures(rows), "items": rows}
    return out
