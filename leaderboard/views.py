"""What the pages show: one cell per model, task and metric, with best and tie marks.

A tie is decided by a paired bootstrap against the best model, and only where the reported
value is the mean of the per-sample values (otherwise the test would not test that number).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from harness.leaderboard.badges import SMALL_N, Badge
from harness.leaderboard.collect import Run
from harness.leaderboard.items import ItemCollector
from harness.leaderboard.paired import PairedResult, paired_bootstrap
from harness.leaderboard.samples import SampleExport
from harness.results.verify import Check


@dataclass
class CellView:
    model: str
    task: str
    metric: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    ci_level: float
    n_scored: int
    n_unscored: int
    unscored_reasons: dict[str, int]
    higher_is_better: bool
    kind: str
    samples_href: str | None
    subset: str | None = None  # e.g. "limit 20 of 2592 records": not the full benchmark
    best: bool = False
    tie: PairedResult | None = None  # not significantly different from the best
    vs_best: PairedResult | None = None
    testable: bool = False
    badges: list[Badge] = field(default_factory=list)  # reasons the number is less than valid: no ★ / ≈
    verification: Check | None = None  # set by a build with --verify


@dataclass
class TaskView:
    key: str
    name: str
    section: str
    metrics: list[str]
    is_group: bool
    description: str = ""
    cells: dict[tuple[str, str], CellView] = field(default_factory=dict)  # (model, metric)
    runs: dict[str, Run] = field(default_factory=dict)  # model -> current run
    exports: dict[str, SampleExport] = field(default_factory=dict)  # model -> samples
    pairs: dict[str, list[tuple[str, str, PairedResult]]] = field(default_factory=dict)  # metric -> (a, b, result)
    mean_metrics: dict[str, set[str]] = field(default_factory=dict)  # metric -> models whose value is a per-sample mean
    items: ItemCollector | None = None  # the item view: every model's sample per item id

    @property
    def models(self) -> list[str]:
        return sorted(self.runs)

    def run_badges(self, model: str) -> list[tuple[Badge, list[str]]]:
        """Each badge of the model's cells on this task, with the metrics it applies to."""
        found: dict[tuple[str, str], tuple[Badge, list[str]]] = {}
        for metric in self.metrics:
            cell = self.cells.get((model, metric))
            for badge in cell.badges if cell else []:
                found.setdefault((badge.code, badge.label), (badge, []))[1].append(metric)
        return list(found.values())

    def higher_is_better(self, metric: str) -> bool:
        return next((c.higher_is_better for (_, m), c in sorted(self.cells.items()) if m == metric), True)


def is_mean(reported: float | None, values: dict[str, float]) -> bool:
    """A metric is paired-testable when its reported value is the mean of the per-sample values."""
    if reported is None or not values:
        return False
    mean = math.fsum(values.values()) / len(values)
    return math.isclose(mean, reported, rel_tol=1e-6, abs_tol=1e-9)


def compare(task: TaskView) -> None:
    """Best per metric, ties with the best, and all pairwise paired bootstraps, among valid cells
    (a badged cell is shown but never marked best or tied)."""
    for metric in task.metrics:
        cells = {m: c for (m, mm), c in task.cells.items() if mm == metric and c.value is not None and not c.badges}
        if not cells:
            continue
        testable = task.mean_metrics.get(metric, set())
        for model in cells:
            cells[model].testable = model in testable
        hib = next(iter(cells.values())).higher_is_better
        best_value = max(c.value for c in cells.values()) if hib else min(c.value for c in cells.values())
        bests = [m for m, c in cells.items() if c.value == best_value]
        for m in bests:
            cells[m].best = True
        pairs: list[tuple[str, str, PairedResult]] = []
        ordered = sorted(cells, key=lambda m: (-cells[m].value if hib else cells[m].value, m))
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                if a in testable and b in testable:
                    result = paired_bootstrap(task.exports[a].values[metric], task.exports[b].values[metric])
                    if result is not None and result.n_shared >= SMALL_N:  # fewer shared samples decide nothing
                        pairs.append((a, b, result))
        task.pairs[metric] = pairs
        best = bests[0]
        for a, b, result in pairs:
            if best in (a, b):
                other = b if a == best else a
                if cells[other].best:
                    continue
                cells[other].vs_best = result
                if not result.significant:
                    cells[other].tie = result


def subset(run: Run) -> str | None:
    """Say so when a number comes from part of the data (limit=, sample=)."""
    task = run.results.task
    total = task.data.n_records
    if task.limit is None and getattr(task, "sample", None) is None and task.n_samples >= total:
        return None
    return f"{task.n_samples} of {total} records"
