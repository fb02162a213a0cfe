"""The overall ranking rule, in one place so the page can state exactly what it does.

For every task and every metric of it, the models that have a value are ranked (best = 1,
equal values share the mean rank, direction from ``higher_is_better``); rank r among n
models becomes the normalised score (n - r) / (n - 1): 1 for the best, 0 for the worst.
A task's score for a model is the mean over that task's metrics; the overall score is the
mean over the tasks the model was evaluated on, reported with that number of tasks.
Tasks with fewer than two models and group summaries are left out: they rank nobody.
Normalised ranks make metrics on different scales (BLEU in [0,1], judge scores in [0,100])
comparable, and one task counts once however many metrics it reports.

Coverage: a model ranked on fewer than half of the tasks the broadest model was ranked on is
listed below the ranked models, unranked, with its coverage: a model that ran one easy task cannot
outrank one that ran them all by coverage alone. Badged cells (partial, text-only, small n, weak
judge, ...) never enter the table this ranks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

RULE = (
    "Overall score = mean over the tasks a model was evaluated on of its task score; a task score is the "
    "mean over the task's metrics of the normalised rank (n − r)/(n − 1), where r is the model's rank among "
    "the n models with a value for that metric (best = 1, equal values share the mean rank). "
    "1 means best on every task it ran, 0 worst. Tasks with a single model and task-group summaries are left out; "
    "the number of tasks behind each score is shown. A model evaluated on fewer than half as many tasks as the "
    "broadest model is listed below the ranking, unranked. Cells with a validity badge (partial run, text-only run "
    "of an ECG task, small n, weak judge, ...) are not counted."
)
MIN_COVERAGE = 0.5


@dataclass(frozen=True)
class Cell:
    value: float
    higher_is_better: bool


@dataclass(frozen=True)
class Ranked:
    model: str
    score: float
    n_tasks: int
    task_scores: dict[str, float]
    ranked: bool = True  # False: too few tasks to rank (coverage below MIN_COVERAGE of the broadest model)


def normalised_ranks(values: dict[str, float], higher_is_better: bool) -> dict[str, float]:
    """model -> (n - r) / (n - 1) with mean ranks for ties; empty if fewer than two models."""
    n = len(values)
    if n < 2:
        return {}
    ordered = sorted(values.items(), key=lambda kv: kv[1], reverse=higher_is_better)
    ranks: dict[str, float] = {}
    i = 0
    while i < n:
        j = i
        while j + 1 < n and ordered[j + 1][1] == ordered[i][1]:
            j += 1
        mean_rank = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[ordered[k][0]] = mean_rank
        i = j + 1
    return {m: (n - r) / (n - 1) for m, r in ranks.items()}


def task_scores(table: dict[str, dict[str, dict[str, Cell]]]) -> dict[str, dict[str, float]]:
    """``table[task][metric][model]`` -> ``{task: {model: task score}}``."""
    out: dict[str, dict[str, float]] = {}
    for task, metrics in table.items():
        per_model: dict[str, list[float]] = defaultdict(list)
        for cells in metrics.values():
            if not cells:
                continue
            hib = next(iter(cells.values())).higher_is_better
            for model, score in normalised_ranks({m: c.value for m, c in cells.items()}, hib).items():
                per_model[model].append(score)
        if per_model:
            out[task] = {m: sum(s) / len(s) for m, s in per_model.items()}
    return out


def overall_ranking(table: dict[str, dict[str, dict[str, Cell]]]) -> list[Ranked]:
    by_task = task_scores(table)
    per_model: dict[str, dict[str, float]] = defaultdict(dict)
    for task, scores in by_task.items():
        for model, score in scores.items():
            per_model[model][task] = score
    widest = max((len(t) for t in per_model.values()), default=0)
    ranked = [
        Ranked(m, sum(t.values()) / len(t), len(t), dict(t), ranked=len(t) >= MIN_COVERAGE * widest)
        for m, t in per_model.items()
    ]
    return sorted(ranked, key=lambda r: (not r.ranked, -r.score, -r.n_tasks, r.model))
