"""What a run shows on the terminal: a progress bar while it runs, a results table at the end."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from harness.judging.check import summary as check_summary

# What the terminal shows also goes to the run's log (cli.log in the run directory), as plain text.
log = logging.getLogger("harness.run")


def _fmt(value: Any, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


class Display:
    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=False)
        self.err = Console(stderr=True)

    def warn(self, message: str) -> None:
        log.warning(message)
        self.err.print(f"[yellow]warning:[/] {message}", highlight=False, markup=True)

    def skip(self, task: str, reason: str) -> None:
        log.warning("skipped %s: %s", task, reason)
        self.err.print(f"[yellow]skipped {task}:[/] {reason}", highlight=False)

    @contextlib.contextmanager
    def progress(self, label: str, total: int | None) -> Iterator[Callable[[bool], None]]:
        """A bar over the samples still to ask: answers from the cache shrink the total instead
        of advancing it, so the remaining time is estimated from real requests only."""
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
        cached = 0

        def advance(from_cache: bool = False) -> None:
            nonlocal cached
            if not from_cache:
                progress.advance(handle)
                return
            cached += 1
            remaining = None if total is None else total - cached
            progress.update(handle, total=remaining, description=f"{label} ({cached} cached)")

        with progress:
            handle = progress.add_task(label, total=total)
            yield advance

    def verdict(self, results: Any) -> None:
        """Before the table: whether the run is complete and every reason its number is less valid."""
        status = results.status
        if status is None:
            return
        for flag in results.validity.flags:
            if flag.code in ("partial", "nothing_scored"):
                continue  # said by the status line
            self.warn(f"{results.task.name}: {flag.message}")
        absent = (results.task.model_extra or {}).get("ecg") or {}
        if absent.get("n_absent"):
            ids = ", ".join(absent.get("absent_ids", [])[:5]) + (" ..." if absent["n_absent"] > 5 else "")
            self.warn(f"{results.task.name}: absent samples: {ids} (all ids in results.json task.ecg.absent_ids)")
        log.info("%s: %s", results.task.name, status.message)
        style = {"complete": "green", "partial": "yellow", "empty": "red"}[status.state]
        self.err.print(f"[{style}]{results.task.name}: {status.message}[/]", highlight=False)

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
            log.info(
                "%s %s = %s %s (scored %d, unscored %s)",
                results.task.name,
                name,
                _fmt(m.value),
                ci,
                m.n_scored,
                unscored,
            )
        self.console.print(table)
        usage = results.usage
        notes = [f"requests {usage.requests}", f"cache hits {usage.cache_hits}", f"failed {usage.failed}"]
        if results.task.n_unparseable:
            notes.append(f"unparseable answers {results.task.n_unparseable}")
        if usage.cost_usd is not None:
            notes.append(f"cost ${usage.cost_usd:.4f}")
        self.console.print("  " + " · ".join(notes), highlight=False)
        log.info("%s: %s", results.task.name, " · ".join(notes))
        for rubric, entry in (results.judges or {}).items():
            for judge, figures in (entry.get("check") or {}).items():
                line = f"judge check {rubric} · {judge}: {check_summary(figures)}"
                self.console.print("  " + line, highlight=False)
                log.info("%s: %s", results.task.name, line)

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
