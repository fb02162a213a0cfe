"""The site's HTML pages, one function per kind: the index, a page per task, per model and per
run's samples. Each gathers what its template shows from :class:`SiteContent`."""

from __future__ import annotations

from typing import Any

from harness.judging.check import CHECK_ITEMS, WEAK_SHARE
from harness.leaderboard import charts, items, layout
from harness.leaderboard.content import SiteContent
from harness.leaderboard.judge_checks import judge_check_rows
from harness.leaderboard.references import Paper, References, Table, load_references
from harness.leaderboard.render import PageWriter
from harness.leaderboard.views import TaskView


def write_pages(content: SiteContent, writer: PageWriter, *, page_size: int) -> None:
    writer.copy_assets()
    write_index(content, writer)
    for view in content.tasks.values():
        write_task_page(content, view, writer)
    for model in content.models:
        write_model_page(content, model, writer)
    for view in content.tasks.values():
        for model in view.exports:
            if view.runs[model].samples_path is not None:
                write_samples_page(view, model, writer, page_size=page_size)
        write_item_pages(view, writer)
        write_pair_items_pages(view, writer)
    items.clear_work(writer.site)


def write_index(content: SiteContent, writer: PageWriter) -> None:
    sections = content.sections
    writer.write(
        "index.html",
        "index.html.j2",
        title="ECG-Harness leaderboard",
        sections=sections,
        ranking=content.ranking,
        models_by_section={name: sorted({m for v in views for m in v.runs}) for name, views in sections},
        notes={"rejected": content.rejected, "warnings": content.warnings},
        n_superseded=sum(len(v) for v in content.resolved.superseded.values()),
        overall_dots=_overall_dots(content),
        verified=content.verified,
    )


def write_task_page(content: SiteContent, view: TaskView, writer: PageWriter) -> None:
    references = load_references()
    writer.write(
        layout.task_page(view.key),
        "task.html.j2",
        title=f"Task {view.key}",
        task=view,
        references=[
            (t, references.papers[t.paper], _ref_matches(t, view.metrics)) for t in references.for_task(view.name)
        ],
        hists=_histograms(view),
        dots=_task_dots(view, references),
        task_scores=content.task_scores.get(view.key, {}),
        judge_checks=judge_check_rows((model, view.runs[model]) for model in view.models),
        check_items=CHECK_ITEMS,
        weak_share=WEAK_SHARE,
    )


def write_model_page(content: SiteContent, model: str, writer: PageWriter) -> None:
    entries = content.runs_of(model)
    profile_items = [
        (view.key, content.task_scores.get(view.key, {}).get(model)) for view, _ in entries if not view.is_group
    ]
    resolved = content.resolved
    superseded = sorted(
        (run for (m, _), old in resolved.superseded.items() if m == model for run in old),
        key=lambda r: (r.task_key, r.finished_at),
    )
    writer.write(
        layout.model_page(model),
        "model.html.j2",
        title=f"Model {model}",
        model=model,
        totals=_usage_totals([run for _, run in entries]),
        entries=entries,
        ranked=next((r for r in content.ranking if r.model == model), None),
        profile=charts.profile_chart(profile_items, title=f"{model}: normalised rank per task")
        if profile_items
        else None,
        superseded=superseded,
        identity_changes=[msg for (m, _), msg in sorted(resolved.identity_changes.items()) if m == model],
        section=layout.benchmark_section,
    )


def write_samples_page(view: TaskView, model: str, writer: PageWriter, *, page_size: int) -> None:
    export = view.exports[model]
    rel = layout.samples_page(model, view.key)
    config = {
        "model": model,
        "task": view.key,
        "modality": view.runs[model].results.task.modality,
        "pages": export.n_pages,
        "records": export.n_records,
        "pageSize": page_size,
        "metrics": view.metrics,
        "root": "../" * rel.count("/"),  # published images are under root/attachments
    }
    writer.write(
        rel,
        "samples.html.j2",
        title=f"Samples: {model} on {view.key}",
        model=model,
        task=view,
        export=export,
        config=config,
        badges=view.run_badges(model),
    )


def write_item_pages(view: TaskView, writer: PageWriter) -> None:
    """The item view of a task: every model's answer and scores per item, ``ITEMS_PER_PAGE`` a page."""
    collector = view.items
    if collector is None or not collector.order:
        return
    ids = list(collector.order)
    correct = items.correctness_metric(view.metrics, {m: e.values for m, e in view.exports.items()})
    per_page = items.ITEMS_PER_PAGE
    records: dict[str, list[dict[str, Any]]] = {}
    for page in range(1, collector.n_pages + 1):
        chunk = ids[(page - 1) * per_page : page * per_page]
        if (page - 1) % items.PAGES_PER_BUCKET == 0:
            records = collector.read_bucket(page)
        writer.write(
            layout.item_page(view.key, page),
            "items.html.j2",
            title=f"Items {(page - 1) * per_page + 1}–{(page - 1) * per_page + len(chunk)} of {view.key}",
            task=view,
            items=items.page_items(records, chunk, view.metrics, view.models, correct),
            correct=correct,
            page=page,
            n_pages=collector.n_pages,
            n_items=len(ids),
        )


def write_pair_items_pages(view: TaskView, writer: PageWriter) -> None:
    """Per paired comparison, the items on which the two models' per-sample values differ."""
    if view.items is None:
        return
    for metric, pairs in view.pairs.items():
        for a, b, result in pairs:
            rows = items.differing(view.items, view.exports[a].values[metric], view.exports[b].values[metric])
            writer.write(
                layout.pair_items_page(view.key, metric, a, b),
                "pair_items.html.j2",
                title=f"{a} vs {b} on {view.key}: items that differ on {metric}",
                task=view,
                metric=metric,
                a=a,
                b=b,
                result=result,
                rows=[(i, view.items.href(i), va, vb) for i, va, vb in rows[: items.MAX_DIFF_ROWS]],
                n_rows=len(rows),
            )


def _usage_totals(runs: list[Any]) -> dict[str, Any]:
    costs = [run.results.usage.cost_usd for run in runs if run.results.usage.cost_usd is not None]
    return {
        "requests": sum(run.results.usage.requests for run in runs),
        "prompt_tokens": sum(run.results.usage.prompt_tokens for run in runs),
        "completion_tokens": sum(run.results.usage.completion_tokens for run in runs),
        "cost_usd": sum(costs) if costs else None,
        "cost_runs": len(costs),
        "runs": len(runs),
    }


def _ref_matches(table: Table, metrics: list[str]) -> dict[str, str | None]:
    """Reference column label -> our metric of the same meaning (if we report it)."""
    return {c.label: next((m for m in metrics if c.matches(m)), None) for c in table.columns}


def _histograms(view: TaskView) -> dict[str, list[tuple[str, Any, int]]]:
    """metric -> [(model, svg, n values)], on shared bins across models."""
    out: dict[str, list[tuple[str, Any, int]]] = {}
    for metric in view.metrics:
        series = {m: list(e.values.get(metric, {}).values()) for m, e in view.exports.items()}
        everything = [v for vals in series.values() for v in vals]
        if not everything:
            continue
        lo, hi, n_bins = charts.bins_for(everything)
        out[metric] = [
            (m, charts.histogram(vals, lo=lo, hi=hi, n_bins=n_bins, title=f"{m}: {metric} per sample"), len(vals))
            for m, vals in sorted(series.items())
            if vals
        ]
    return out


def _overall_dots(content: SiteContent) -> Any:
    """The ranked models' overall scores with their bootstrap intervals, on the score's own 0..1 axis."""
    dots = [
        charts.Dot(r.model, r.score, r.ci_low, r.ci_high) for r in content.ranking if r.ranked and r.ci_low is not None
    ]
    return charts.dot_plot(dots, title="Overall score with 95% interval", lo=0.0, hi=1.0) if dots else None


def _task_dots(view: TaskView, references: References) -> dict[str, tuple[Any, list[tuple[int, Table, Paper]]]]:
    """metric -> (a dot plot of every model's value and interval, with the papers' numbers for the same
    metric divided by their column's scale so both read on our scale; the tables cited, numbered as
    the labels' [k])."""
    out: dict[str, tuple[Any, list[tuple[int, Table, Paper]]]] = {}
    for metric in view.metrics:
        dots = [
            charts.Dot(model, c.value, c.ci_low, c.ci_high)
            for (model, m), c in sorted(view.cells.items())
            if m == metric and c.value is not None
        ]
        if not dots:
            continue
        cited = []
        for number, table in enumerate(references.for_task(view.name), 1):
            reported = [
                charts.Dot(f"[{number}] {row.model}", float(row.values[column.label]) / column.scale, reported=True)
                for column in table.columns
                if column.matches(metric)
                for row in table.rows
                if column.label in row.values
            ]
            if reported:
                dots += reported
                cited.append((number, table, references.papers[table.paper]))
        out[metric] = (charts.dot_plot(dots, title=f"{view.key}: {metric}, ours and as reported"), cited)
    return out
