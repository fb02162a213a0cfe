"""Merging the run directories of a sharded task (``shard=i/n``) into one result.

The merged ``samples.jsonl`` is the shards' records in the unsharded order, and every metric is
re-aggregated from the stored per-sample values with the same seed, so the merged
``results.json`` equals an unsharded run's in everything but run id, timings and shard fields.
The shards' attachments (logged images) are copied beside the merged log.
"""

from __future__ import annotations

import argparse
import heapq
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.metrics.aggregate import summarize
from harness.metrics.base import Unscored
from harness.results.attachments import copy_attachments
from harness.results.writer import JsonlWriter, write_json_atomic

# Fields every shard must agree on: the same task, data, prompt, model and settings.
_SAME = [
    ("task", "name"),
    ("task", "version"),
    ("task", "prompt_sha256"),
    ("task", "data"),
    ("model", "identity_sha256"),
]


def _load(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "results.json"
    if not path.is_file():
        raise HarnessError(f"{run_dir}: no results.json (did that shard finish?)")
    return json.loads(path.read_text(encoding="utf-8"))


def _records(run_dir: Path) -> Iterator[tuple[tuple[int, int], dict[str, Any]]]:
    """A shard's records in position order. A run writes them in order unless a slow request let
    later samples go first; then the file is read again through an index of line offsets."""
    path = run_dir / "samples.jsonl"
    index: list[tuple[tuple[int, ...], int]] = []
    with open(path, "rb") as fh:
        offset = 0
        for line in fh:
            index.append((tuple(json.loads(line)["position"]), offset))
            offset += len(line)
    in_order = all(a[0] <= b[0] for a, b in zip(index, index[1:]))
    with open(path, "rb") as fh:
        for position, offset in index if in_order else sorted(index):
            if not in_order:
                fh.seek(offset)
            yield position, json.loads(fh.readline())  # type: ignore[misc]


def merge_shards(run_dirs: list[Path], out_dir: Path, *, registry: Any = None) -> dict[str, Any]:
    from harness.registry import get_registry

    registry = registry or get_registry()
    shards = [_load(d) for d in run_dirs]
    first = shards[0]
    for d, other in zip(run_dirs, shards):
        for section, key in _SAME:
            if other[section][key] != first[section][key]:
                raise HarnessError(f"{d}: {section}.{key} differs from {run_dirs[0]}; these are not shards of one run")
    seen = sorted(tuple(s["task"].get("shard") or (0, 1)) for s in shards)
    count = seen[0][1]
    if seen != [(i, count) for i in range(count)]:
        raise HarnessError(f"shards {seen} do not cover 0..{count - 1} of {count} exactly once")

    metric_names = [n for n, m in first["metrics"].items() if m.get("kind", "metric") == "metric"]
    judged = [n for n, m in first["metrics"].items() if m.get("kind") == "judge"]
    values: dict[str, list[Any]] = {n: [] for n in metric_names}
    writer = JsonlWriter(out_dir / "samples.jsonl")
    n_items = 0
    requests: set[str] = set()  # distinct request keys: duplicates are counted over all shards
    n_truncated = 0
    judge_records: list[dict[str, Any]] = []
    try:
        for _, record in heapq.merge(*(_records(d) for d in run_dirs), key=lambda pair: pair[0]):
            n_items += 1
            requests.add(record.get("request_key") or record["id"])
            n_truncated += bool(record.get("truncated"))
            for name in metric_names:
                value = record["metrics"].get(name)
                values[name].append(
                    Unscored(value["unscored"]) if isinstance(value, dict) and "unscored" in value else value
                )
            if judged:
                judge_records.append(record)
            writer.write(record)
        writer.commit()
    finally:
        writer.close()
    copy_attachments(run_dirs, out_dir)  # the images the merged lines refer to

    seed = int(first["config"].get("seed", 1234))
    merged = json.loads(json.dumps(first))
    for name in metric_names:
        metric = registry.metrics[name]
        entry = summarize(metric, values[name], seed=seed)
        entry["info"] = first["metrics"][name].get("info", {})
        merged["metrics"][name] = {**first["metrics"][name], **entry}
    if judged:
        from harness.judging.merge import judged_metric_results, merged_judges_info

        merged["metrics"].update(judged_metric_results(first, judge_records))
        merged["judges"] = merged_judges_info(shards, judge_records)
    summarize_records = getattr(registry.output_types.get(first["task"].get("output_type", "")), "summarize", None)
    if callable(summarize_records):  # e.g. per-dialogue scores: recomputed over all shards' samples
        from harness.runner.evaluate import read_jsonl

        merged["metrics"].update(summarize_records(read_jsonl(out_dir / "samples.jsonl"), seed=seed))
    merged["task"]["n_samples"] = n_items
    merged["task"]["shard"] = None
    if "shard" in merged["config"]:
        merged["config"]["shard"] = None
    merged["task"]["n_unparseable"] = sum(s["task"].get("n_unparseable", 0) for s in shards)
    for key in ("requests", "cache_hits", "failed", "prompt_tokens", "completion_tokens"):
        merged["usage"][key] = sum(s["usage"].get(key) or 0 for s in shards)
    costs = [s["usage"].get("cost_usd") for s in shards if s["usage"].get("cost_usd") is not None]
    merged["usage"]["cost_usd"] = sum(costs) if costs else None
    merged["errors"] = dict(sum((Counter(s.get("errors", {})) for s in shards), Counter()))
    merged["timings"] = {
        "started_at": min(s["timings"]["started_at"] for s in shards),
        "finished_at": max(s["timings"]["finished_at"] for s in shards),
        "wall_s": sum(s["timings"]["wall_s"] for s in shards),
        "merged_from": [str(d) for d in run_dirs],
    }
    merged.update(_outcome(first, merged, n_items, len(requests), n_truncated))
    merged["run_id"] = first["run_id"] + "-merged"
    write_json_atomic(out_dir / "results.json", merged)
    return merged


def _outcome(first: dict[str, Any], merged: dict[str, Any], n_items: int, n_distinct: int, n_truncated: int) -> dict:
    """``status`` and ``validity`` of the merged run, as the unsharded run would have recorded them."""
    from harness.results.status import RunCounts, outcome

    validity = first.get("validity") or {}
    counts = RunCounts(
        n_samples=n_items,
        n_failed=merged["usage"]["failed"],
        n_absent=int(((first["task"].get("ecg") or {}).get("n_absent")) or 0),  # every shard saw the same records
        n_duplicates=n_items - n_distinct,
        n_truncated=n_truncated,
        max_answer_bytes=first["config"].get("max_answer_bytes"),
        text_only=any(f.get("code") == "text_only" for f in validity.get("flags", [])),
    )
    allow_text_only = bool(validity.get("allow_text_only"))
    return outcome(counts, merged["metrics"], allow_text_only=allow_text_only, judges=merged.get("judges"))


def main(args: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m harness merge", description="Merge the run directories of a sharded task."
    )
    parser.add_argument("run_dirs", nargs="+", type=Path, help="one run directory per shard (each with results.json)")
    parser.add_argument(
        "--out", type=Path, required=True, help="directory for the merged results.json and samples.jsonl"
    )
    ns = parser.parse_args(args)
    merged = merge_shards(ns.run_dirs, ns.out)
    print(
        f"merged {len(ns.run_dirs)} shards of {merged['task']['name']} ({merged['task']['n_samples']} samples) into {ns.out}"
    )
