"""From the runs shown to the task views the pages render: one column group per task, one cell per
model and metric (with its validity badges), each run's samples exported into page-sized chunks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harness.leaderboard import layout
from harness.leaderboard.attachments import SiteAttachments
from harness.leaderboard.badges import badges
from harness.leaderboard.collect import Run
from harness.leaderboard.items import ItemCollector, new_collector
from harness.leaderboard.samples import SampleExport, export_samples
from harness.leaderboard.views import CellView, TaskView, is_mean, subset

MAX_WARNINGS = 20  # per kind of warning and run: the rest are counted


def task_views(
    current: dict[tuple[str, str], Run], site: Path, warnings: list[str], *, page_size: int
) -> dict[str, TaskView]:
    """``current``: (model, task key) -> the run shown. Writes each run's sample chunks under ``site``."""
    tasks: dict[str, TaskView] = {}
    attachments = SiteAttachments(site)  # the images samples showed, one copy for the whole site
    for (model, task_key), run in sorted(current.items()):
        view = tasks.get(task_key) or tasks.setdefault(task_key, _new_view(task_key, run))
        view.items = view.items or new_collector(site, task_key, run.results.task.output_type)
        view.is_group = view.is_group or run.is_group
        view.runs[model] = run
        view.metrics += [m for m in run.results.metrics if m not in view.metrics]
        export = _export(run, model, task_key, site, attachments, warnings, page_size=page_size, items=view.items)
        view.exports[model] = export
        _add_cells(view, model, run, export)
    warnings += _capped(attachments.refused, lambda k: f"{k} more sample images not published")
    return tasks


def _new_view(task_key: str, run: Run) -> TaskView:
    info = run.results.task
    return TaskView(
        key=task_key,
        name=info.name,
        section=layout.benchmark_section(info.benchmark, info.name),
        metrics=[],
        is_group=run.is_group,
        description=_description(run),
    )


def _export(
    run: Run,
    model: str,
    task_key: str,
    site: Path,
    attachments: SiteAttachments,
    warnings: list[str],
    *,
    page_size: int,
    items: ItemCollector,
) -> SampleExport:
    if run.samples_path is None:
        return SampleExport()
    try:
        export = export_samples(
            run.samples_path,
            site / layout.samples_dir(model, task_key),
            list(run.results.metrics),
            page_size=page_size,
            attachments=attachments,
            on_record=items.recorder(model, layout.samples_page(model, task_key)),
        )
    finally:
        items.close()
    warnings += _capped(export.bad_lines, lambda k: f"{run.samples_path}: {k} more malformed lines")
    if export.secrets_redacted:
        warnings.append(f"{run.samples_path}: redacted {export.secrets_redacted} secret-looking strings from samples")
    return export


def _add_cells(view: TaskView, model: str, run: Run, export: SampleExport) -> None:
    href = layout.samples_page(model, view.key) if run.samples_path is not None else None
    for metric, result in run.results.metrics.items():
        view.cells[(model, metric)] = CellView(
            model=model,
            task=view.key,
            metric=metric,
            value=result.value,
            ci_low=result.ci_low,
            ci_high=result.ci_high,
            ci_level=result.ci_level,
            n_scored=result.n_scored,
            n_unscored=result.n_unscored,
            unscored_reasons=result.unscored_reasons,
            higher_is_better=result.higher_is_better,
            kind=result.kind,
            samples_href=href,
            subset=subset(run),
            badges=badges(
                run.results, metric, result.n_scored, result.n_unscored, duplicate_share=export.duplicate_share
            ),
        )
        if is_mean(result.value, export.values.get(metric, {})):
            view.mean_metrics.setdefault(metric, set()).add(model)


def _capped(messages: list[str], more: Callable[[int], str]) -> list[str]:
    """The first MAX_WARNINGS messages, then ``more`` with the count of the rest."""
    if len(messages) <= MAX_WARNINGS:
        return list(messages)
    return [*messages[:MAX_WARNINGS], more(len(messages) - MAX_WARNINGS)]


def _description(run: Run) -> str:
    """The task's one-line description, if the resolved config carries it."""
    task = run.results.config.get("task")
    return str(task.get("description") or "") if isinstance(task, dict) else ""
