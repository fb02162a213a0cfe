"""The duplicate rule: for one model and one task, the run that finished last is shown;
older runs stay listed (with their dates) on the model's page."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from harness.leaderboard.collect import Run

Key = tuple[str, str]  # (model, task)


@dataclass
class Resolved:
    current: dict[Key, Run] = field(default_factory=dict)
    superseded: dict[Key, list[Run]] = field(default_factory=dict)


def resolve_duplicates(runs: list[Run]) -> Resolved:
    """Newest ``timings.finished_at`` wins; equal times are broken by run_id, then path,
    so the same inputs always give the same site."""
    by_key: dict[Key, list[Run]] = defaultdict(list)
    for run in runs:
        by_key[(run.model_key, run.task_key)].append(run)
    out = Resolved()
    for key, group in by_key.items():
        ordered = sorted(group, key=lambda r: (r.finished_at, r.results.run_id, r.rel_path), reverse=True)
        out.current[key] = ordered[0]
        if len(ordered) > 1:
            out.superseded[key] = ordered[1:]
    return out
