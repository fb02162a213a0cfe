"""Everything the site shows, computed once from the runs: the pages and ``leaderboard.json`` both
render this, so they never disagree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness.leaderboard import layout
from harness.leaderboard.collect import Rejection, Run
from harness.leaderboard.dedup import Resolved
from harness.leaderboard.ranking import Cell, Ranked, overall_ranking, task_scores
from harness.leaderboard.views import TaskView, compare


@dataclass
class SiteContent:
    tasks: dict[str, TaskView]
    resolved: Resolved
    ranking: list[Ranked]
    task_scores: dict[str, dict[str, float]]  # task -> model -> normalised task score
    generated: str
    rejected: list[dict[str, str]] = field(default_factory=list)  # {"file", "message"}, paths relative
    warnings: list[str] = field(default_factory=list)
    verified: bool = False  # every cell carries its verification verdict

    @property
    def models(self) -> list[str]:
        return sorted({m for m, _ in self.resolved.current})

    @property
    def sections(self) -> list[tuple[str, list[TaskView]]]:
        """Benchmark sections in their fixed order; groups after the tasks of a section."""
        by_name: dict[str, list[TaskView]] = defaultdict(list)
        for view in sorted(self.tasks.values(), key=lambda v: (v.is_group, v.key)):
            by_name[view.section].append(view)
        return sorted(by_name.items(), key=lambda kv: (layout.section_order(kv[0]), kv[0]))

    def runs_of(self, model: str) -> list[tuple[TaskView, Run]]:
        """The model's shown results, in section then task order."""
        entries = [(view, view.runs[model]) for view in self.tasks.values() if model in view.runs]
        return sorted(entries, key=lambda e: (layout.section_order(e[0].section), e[0].key))


def rank(tasks: dict[str, TaskView]) -> tuple[list[Ranked], dict[str, dict[str, float]]]:
    """Mark best and tied cells per task, then rank models over the valid cells of every task."""
    for view in tasks.values():
        compare(view)
    table = {key: _rankable(view) for key, view in tasks.items() if not view.is_group}
    excluded: dict[str, list[str]] = defaultdict(list)
    for key, view in sorted(tasks.items()):
        for model in view.models:
            if not view.is_group and any(c.badges for (m, _), c in view.cells.items() if m == model):
                excluded[model].append(key)
    ranking = [replace(r, excluded=excluded.get(r.model, [])) for r in overall_ranking(table)]
    return ranking, task_scores(table)


def _rankable(view: TaskView) -> dict[str, dict[str, Cell]]:
    """metric -> model -> the valid cells (a badged number ranks nobody), with their per-sample
    values where the reported value is their mean (so the ranking's bootstrap can resample them)."""
    out: dict[str, dict[str, Cell]] = {}
    for metric in view.metrics:
        means = view.mean_metrics.get(metric, set())
        out[metric] = {
            m: Cell(c.value, c.higher_is_better, view.exports[m].values[metric] if m in means else None)
            for (m, mm), c in view.cells.items()
            if mm == metric and c.value is not None and not c.badges
        }
    return out


def build_notes(rejected: list[Rejection], warnings: list[str]) -> tuple[list[dict[str, str]], list[str]]:
    """What the site says about the build: rejected files and warnings, without local paths."""
    return [{"file": _rel(r.path), "message": r.message} for r in rejected], [_strip_paths(w) for w in warnings]


def _rel(path: Path) -> str:
    """Rejected files are named on the site without the builder's absolute path."""
    parts = path.parts
    return "/".join(parts[-3:]) if len(parts) > 3 else path.as_posix()


def _strip_paths(text: str) -> str:
    head, sep, tail = text.partition(": ")
    return f"{_rel(Path(head))}{sep}{tail}" if sep and "/" in head else text
