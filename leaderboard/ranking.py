"""The overall ranking rule, in one place so the page can state exactly what it does.

Score. For every task and every metric of it, the models that have a valid (unbadged) value are
ranked (best = 1, equal values share the mean rank, direction from ``higher_is_better``); rank r
among n models becomes the normalised score (n - r) / (n - 1): 1 for the best, 0 for the worst.
A task's score for a model is the mean over that task's metrics; the overall score is the mean over
the tasks the model was evaluated on. Normalised ranks make metrics on different scales (BLEU in
[0,1], judge scores in [0,100], MSE where lower is better) comparable, and a task counts once
however many metrics it reports. Tasks with fewer than two models and group summaries rank nobody.

Coverage. A model ranked on fewer than half of the tasks the broadest model was ranked on is listed
below the ranked models, unranked: a model that ran one easy task cannot outrank one that ran them
all by coverage alone.

Uncertainty. A two-level bootstrap (``RESAMPLES`` replicates, seed 0): tasks are resampled with
replacement, and within each task the samples are resampled (the same draw for every model and
metric of the task, so models stay paired); a metric whose value is the mean of its per-sample
values is recomputed from the draw, any other (e.g. macro F1) keeps its value. Each replicate
recomputes every score. A model's interval is the 2.5-97.5 percentile range of its score, its rank
range that of its rank among the ranked models; its rank is 1 + the number of ranked models whose
score is higher in the replicates' 95% interval of the difference (both ends above 0). Models that
no model significantly separates share a rank (tied): no false total order.

The bootstrap's numbers come from scipy's ``rankdata`` and numpy's multinomial draws; the two-level
resampling itself is written here because no library ranks models over tasks and samples at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.stats import rankdata

MIN_COVERAGE = 0.5
RESAMPLES = 1000
LEVEL = 0.95
TOUCH = 1e-12  # a difference this close to 0 is 0 (float sums of equal scores)
DRAW_BUDGET = 2_000_000  # sample weights held at once (replicates x samples), bounding memory

RULE = (
    "Overall score = mean over the tasks a model was evaluated on of its task score; a task score is the "
    "mean over the task's metrics of the normalised rank (n − r)/(n − 1), where r is the model's rank among "
    "the n models with a valid value for that metric (best = 1, equal values share the mean rank): "
    "1 means best on every task it ran, 0 worst. Tasks with a single model and task-group summaries are left out; "
    "cells with a validity badge (partial run, text-only run of an ECG task, fewer than 30 scored samples, "
    "weak judge, ...) are not counted. A model evaluated on fewer than half as many tasks as the broadest model "
    f"is listed below the ranking, unranked, with its coverage. The interval is a {RESAMPLES:,}-replicate "
    "bootstrap over tasks and, within each task, over samples (paired across models); the rank is 1 + the number "
    "of models whose score is significantly higher (95% interval of the difference above 0), so models nobody "
    "separates share a rank, and the rank range is the 95% range of the rank across replicates."
)


@dataclass(frozen=True)
class Cell:
    value: float
    higher_is_better: bool
    samples: Mapping[str, float] | None = None  # per-sample values, when ``value`` is their mean


@dataclass(frozen=True)
class Ranked:
    model: str
    score: float
    n_tasks: int
    task_scores: dict[str, float]
    ranked: bool = True  # False: too few tasks to rank (coverage below MIN_COVERAGE of the broadest model)
    ci_low: float | None = None
    ci_high: float | None = None
    rank: int | None = None  # 1 + ranked models significantly above; None when unranked
    rank_low: int | None = None
    rank_high: int | None = None
    tied: bool = False  # another ranked model has the same rank
    excluded: list[str] = field(default_factory=list)  # tasks whose badged cells were left out (set by the caller)


Table = Mapping[str, Mapping[str, Mapping[str, Cell]]]  # task -> metric -> model -> cell


def normalised_ranks(values: dict[str, float], higher_is_better: bool) -> dict[str, float]:
    """model -> (n - r) / (n - 1) with mean ranks for ties; empty if fewer than two models."""
    n = len(values)
    if n < 2:
        return {}
    models = list(values)
    ranks = rankdata([-values[m] if higher_is_better else values[m] for m in models], method="average")
    return {m: float((n - r) / (n - 1)) for m, r in zip(models, ranks)}


def task_scores(table: Table) -> dict[str, dict[str, float]]:
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


def overall_ranking(table: Table, *, resamples: int = RESAMPLES, seed: int = 0) -> list[Ranked]:
    by_task = task_scores(table)
    per_model: dict[str, dict[str, float]] = defaultdict(dict)
    for task, scores in by_task.items():
        for model, score in scores.items():
            per_model[model][task] = score
    if not per_model:
        return []
    widest = max(len(t) for t in per_model.values())
    models = sorted(per_model)
    covered = [len(per_model[m]) >= MIN_COVERAGE * widest for m in models]
    scores = _bootstrap(table, sorted(by_task), models, resamples, seed)  # replicates x models
    ranks, intervals = _ranks(scores, covered), _intervals(scores)
    out = []
    for i, m in enumerate(models):
        tasks = per_model[m]
        rank, low, high = ranks.get(i, (None, None, None))
        out.append(
            Ranked(
                m, sum(tasks.values()) / len(tasks), len(tasks), dict(tasks), covered[i], *intervals[i], rank, low, high
            )
        )
    counts = defaultdict(int)
    for r in out:
        counts[r.rank] += r.ranked
    out = [replace(r, tied=r.ranked and counts[r.rank] > 1) for r in out]
    return sorted(out, key=lambda r: (not r.ranked, r.rank or 0, -r.score, -r.n_tasks, r.model))


def _bootstrap(table: Table, tasks: list[str], models: list[str], resamples: int, seed: int) -> np.ndarray:
    """Each model's overall score in each replicate (NaN where none of its tasks was drawn)."""
    rng = np.random.default_rng(seed)
    per_task = np.stack([_task_replicates(table[t], models, rng, resamples) for t in tasks])  # T x B x M
    drawn = rng.multinomial(len(tasks), np.full(len(tasks), 1 / len(tasks)), size=resamples).astype(float)  # B x T
    present = ~np.isnan(per_task)
    total = np.einsum("bt,tbm->bm", drawn, np.where(present, per_task, 0.0))
    count = np.einsum("bt,tbm->bm", drawn, present.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def _task_replicates(metrics: Mapping[str, Mapping[str, Cell]], models: list[str], rng, resamples: int) -> np.ndarray:
    """One task's score per replicate and model (B x M; NaN where the model has no value)."""
    rankable = {name: cells for name, cells in metrics.items() if len(cells) >= 2}
    ids = sorted({i for cells in rankable.values() for c in cells.values() if c.samples for i in c.samples})
    where = {sample: k for k, sample in enumerate(ids)}
    prepared = [  # per metric, once: its models' columns and each cell's per-sample arrays
        (cells, [models.index(m) for m in cells], [_sample_arrays(c, where) for c in cells.values()])
        for cells in rankable.values()
    ]
    total = np.zeros((resamples, len(models)))
    count = np.zeros((resamples, len(models)))
    block = max(1, DRAW_BUDGET // max(len(ids), 1))
    for start in range(0, resamples, block):
        size = min(block, resamples - start)
        weights = rng.multinomial(len(ids), np.full(len(ids), 1 / len(ids)), size=size).astype(float) if ids else None
        for cells, columns, arrays in prepared:
            values = _replicate_values(list(cells.values()), arrays, weights, size)
            hib = next(iter(cells.values())).higher_is_better
            ranks = rankdata(-values if hib else values, axis=1, method="average")
            total[start : start + size, columns] += (len(cells) - ranks) / (len(cells) - 1)
            count[start : start + size, columns] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def _sample_arrays(cell: Cell, where: dict[str, int]) -> tuple[np.ndarray, np.ndarray] | None:
    """A cell's per-sample values and a mask of the samples it has, over the task's sample ids."""
    if not cell.samples:
        return None
    column = np.zeros(len(where))
    mask = np.zeros(len(where))
    for sample, value in cell.samples.items():
        column[where[sample]], mask[where[sample]] = value, 1.0
    return column, mask


def _replicate_values(
    cells: list[Cell], arrays: list[tuple[np.ndarray, np.ndarray] | None], weights: np.ndarray | None, size: int
) -> np.ndarray:
    """size x k metric values: a per-sample mean over each replicate's draw, else the reported value."""
    values = np.tile([c.value for c in cells], (size, 1)).astype(float)
    if weights is None:
        return values
    for j, (cell, pair) in enumerate(zip(cells, arrays)):
        if pair is None:
            continue
        column, mask = pair
        drawn = weights @ mask
        with np.errstate(invalid="ignore", divide="ignore"):
            values[:, j] = np.where(drawn > 0, (weights @ column) / drawn, cell.value)
    return values


def _intervals(scores: np.ndarray) -> list[tuple[float | None, float | None]]:
    alpha = (1 - LEVEL) / 2
    out = []
    for m in range(scores.shape[1]):
        finite = scores[:, m][~np.isnan(scores[:, m])]
        if finite.size == 0:
            out.append((None, None))
            continue
        low = float(np.quantile(finite, alpha, method="lower"))
        out.append((low, float(np.quantile(finite, 1 - alpha, method="higher"))))
    return out


def _ranks(scores: np.ndarray, covered: list[bool]) -> dict[int, tuple[int, int, int]]:
    """model column -> (rank, rank range low, high) among the ranked (covered) models."""
    columns = [i for i, ok in enumerate(covered) if ok]
    sub = scores[:, columns]
    alpha = (1 - LEVEL) / 2
    filled = np.where(np.isnan(sub), -np.inf, sub)
    per_replicate = rankdata(-filled, axis=1, method="min").astype(float)
    per_replicate[np.isnan(sub)] = np.nan
    out = {}
    for a, i in enumerate(columns):
        above = 0
        for b in range(len(columns)):
            both = ~np.isnan(sub[:, a]) & ~np.isnan(sub[:, b])
            if b != a and both.any():
                above += float(np.quantile(sub[both, b] - sub[both, a], alpha, method="lower")) > TOUCH
        mine = per_replicate[:, a][~np.isnan(per_replicate[:, a])]
        low, high = (
            (int(np.quantile(mine, alpha, method="lower")), int(np.quantile(mine, 1 - alpha, method="higher")))
            if mine.size
            else (None, None)
        )
        out[i] = (1 + above, low, high)
    return out
