"""What a run shows on the terminal: a progress bar while it runs, a results table at the end."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table


def _fmt(value: Any, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


class Display:
    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=False)
        self.err = Console(stderr=True)

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/] {message}", highlight=False, markup=True)

    def skip(self, task: str, reason: str) -> None:
        self.err.print(f"[yellow]skipped {task}:[/] {reason}", highlight=False)

    @contextlib.contextmanager
    def progress(self, label: str, total: int | None) -> Iterator[Callable[[], None]]:
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.err,
            transient=False,
            disable=not sys.stderr.isatty(),
        )
        with progress:
            handle = progress.add_task(label, total=total)
            yield lambda: progress.advance(handle)

    def results(self, results: Any) -> None:
        table = Table(title=f"{results.task.name} · {results.model.name}  (n={results.task.n_samples})")
        for column in ("metric", "value", "95% CI", "stderr", "scored", "unscored"):
            table.add_column(column, justify="left" if column == "metric" else "right")
        for name, m in results.metrics.items():
            ci = "—" if m.ci_low is None else f"[{m.ci_low:.4f}, {m.ci_high:.4f}]"
            unscored = str(m.n_unscored) + (
                f" ({', '.join(f'{k}: {v}' for k, v in m.unscored_reasons.items())})" if m.n_unscored else ""
            )
            table.add_row(name, _fmt(m.value), ci, _fmt(m.stderr), str(m.n_scored), unscored)
        self.console.print(table)
        usage = results.usage
        notes = [f"requests {usage.requests}", f"cache hits {usage.cache_hits}", f"failed {usage.failed}"]
        if results.task.n_unparseable:
            notes.append(f"unparseable answers {results.task.n_unparseable}")
        if usage.cost_usd is not None:
            notes.append(f"cost ${usage.cost_usd:.4f}")
        self.console.print("  " + " · ".join(notes), highlight=False)

    def group_table(self, group: str, outcomes: list[dict[str, Any]]) -> None:
        """One row per task, one column per headline metric (like a paper's results table).

        Entries named ``parent/child`` or ``parent.child`` (per-dialogue scores, judge criteria) are details kept in
        each task's results.json, not columns here; a skipped task shows the first line of why.
        """
        metric_names: list[str] = []
        for outcome in outcomes:
            for name in outcome.get("metrics", {}):
                if name not in metric_names and "/" not in name and "." not in name:
                    metric_names.append(name)
        table = Table(title=f"{group}")
        table.add_column("task")
        table.add_column("n", justify="right")
        for name in metric_names:
            table.add_column(name, justify="right")
        table.add_column("note", no_wrap=True, overflow="ellipsis", max_width=34)
        for outcome in outcomes:
            if "skipped" in outcome:
                table.add_row(
                    outcome["task"],
                    "",
                    *[""] * len(metric_names),
                    "skipped: " + _first_line(outcome["skipped"], outcome["task"]),
                )
            else:
                n = outcome.get("n")
                table.add_row(
                    outcome["task"],
                    "" if n is None else str(n),
                    *[_fmt(outcome["metrics"].get(m)) for m in metric_names],
                    "",
                )
        ran = [o for o in outcomes if "metrics" in o]
        if ran and metric_names:
            means = []
            for name in metric_names:
                vals = [o["metrics"][name] for o in ran if o["metrics"].get(name) is not None]
                means.append(_fmt(sum(vals) / len(vals)) if vals else "—")
            table.add_row("[bold]mean[/]", "", *means, f"over {len(ran)} of {len(outcomes)} tasks")
        self.console.print(table)


def _first_line(reason: str, task: str) -> str:
    line = reason.strip().splitlines()[0] if reason.strip() else ""
    prefix = f"task '{task}': "
    line = line[len(prefix) :] if line.startswith(prefix) else line
    return line.split(": ")[0].split(". ")[0]  # the kind of problem; the full reason is printed above
