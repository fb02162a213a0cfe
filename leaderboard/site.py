"""Building the site: collect -> deduplicate -> export samples -> compare -> rank -> render.

The site is written into a temporary directory beside the target and renamed into place
only when complete, so a failed build never leaves a half-written site.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from harness.judging.check import summary as judge_check_summary
from harness.leaderboard import charts, layout
from harness.leaderboard.attachments import SiteAttachments
from harness.leaderboard.badges import RULE as BADGE_RULE
from harness.leaderboard.badges import badges
from harness.leaderboard.collect import Rejection, Run, collect_runs
from harness.leaderboard.dedup import resolve_duplicates
from harness.leaderboard.embed import safe_json, script_json
from harness.leaderboard.ranking import RULE, Cell, overall_ranking, task_scores
from harness.leaderboard.references import Table, load_references
from harness.leaderboard.samples import PAGE_SIZE, SampleExport, export_samples
from harness.leaderboard.views import CellView, TaskView, compare, is_mean, subset

HERE = Path(__file__).resolve().parent
MARKER = ".leaderboard-site"


class BuildError(Exception):
    """The site cannot be built at all (as opposed to a rejected results file)."""


@dataclass
class BuildReport:
    out: Path
    n_runs: int = 0  # results shown (after the duplicate rule)
    n_superseded: int = 0
    n_models: int = 0
    n_tasks: int = 0
    n_sample_pages: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.rejected

    def summary(self) -> str:
        return (
            f"built {self.out}: {self.n_runs} results ({self.n_models} models, {self.n_tasks} tasks), "
            f"{self.n_superseded} superseded, {len(self.rejected)} rejected, {self.n_sample_pages} sample pages "
            f"in {self.seconds:.1f} s"
        )


# ----------------------------------------------------------------------------- build


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = layout.fmt
    env.filters["judge_check"] = judge_check_summary
    env.filters["script_json"] = script_json
    env.filters["short"] = lambda s, n=12: (s or "")[:n]
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    env.globals.update(
        model_page=layout.model_page,
        task_page=layout.task_page,
        samples_page=layout.samples_page,
        ranking_rule=RULE,
    )
    return env


def _prepare_target(out: Path) -> Path:
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise BuildError(f"{out} exists and is not a directory")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise BuildError(f"{out} exists, is not empty and is not a leaderboard site: refusing to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Two renames on one file system: readers see the old site or the new one, never a mix."""
    if out.exists():
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


def build_site(runs_dir: Path, out: Path, *, strict: bool = False, page_size: int = PAGE_SIZE) -> BuildReport:
    """Build the static site for every results.json under ``runs_dir`` into ``out``.

    Rejected files are reported in the returned :class:`BuildReport` (and on the site);
    with ``strict=True`` any rejection aborts the build before anything is replaced.
    """
    started = time.perf_counter()
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise BuildError(f"runs directory {runs_dir} does not exist or is not a directory")
    out = _prepare_target(Path(out))
    report = BuildReport(out=out)
    collection = collect_runs(runs_dir)
    report.rejected = collection.rejected
    report.warnings = list(collection.warnings)
    if strict and report.rejected:
        report.seconds = time.perf_counter() - started
        return report
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        os.chmod(tmp, 0o755)
        _render(collection.runs, tmp, report, page_size=page_size)
        (tmp / MARKER).write_text("generated by harness.leaderboard; safe to replace\n", encoding="utf-8")
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.seconds = time.perf_counter() - started
    return report


def _render(runs: list[Run], site: Path, report: BuildReport, *, page_size: int) -> None:
    resolved = resolve_duplicates(runs)
    report.warnings += list(resolved.identity_changes.values())
    report.n_runs = len(resolved.current)
    report.n_superseded = sum(len(v) for v in resolved.superseded.values())

    tasks: dict[str, TaskView] = {}
    attachments = SiteAttachments(site)  # the images samples showed, one copy for the whole site
    for (model, task_key), run in sorted(resolved.current.items()):
        info = run.results.task
        view = tasks.get(task_key)
        if view is None:
            view = tasks[task_key] = TaskView(
                key=task_key,
                name=info.name,
                section=layout.benchmark_section(info.benchmark, info.name),
                metrics=[],
                is_group=run.is_group,
                description=_description(run),
            )
        view.is_group = view.is_group or run.is_group
        view.runs[model] = run
        for metric in run.results.metrics:
            if metric not in view.metrics:
                view.metrics.append(metric)
        export = SampleExport()
        href = None
        if run.samples_path is not None:
            export = export_samples(
                run.samples_path,
                site / layout.samples_dir(model, task_key),
                list(run.results.metrics),
                page_size=page_size,
                attachments=attachments,
            )
            report.n_sample_pages += export.n_pages
            report.warnings += export.bad_lines[:20]
            if len(export.bad_lines) > 20:
                report.warnings.append(f"{run.samples_path}: {len(export.bad_lines) - 20} more malformed lines")
            if export.secrets_redacted:
                report.warnings.append(
                    f"{run.samples_path}: redacted {export.secrets_redacted} secret-looking strings from samples"
                )
            href = layout.samples_page(model, task_key)
        view.exports[model] = export
        for metric, result in run.results.metrics.items():
            view.cells[(model, metric)] = CellView(
                model=model,
                task=task_key,
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
                badges=badges(run.results, metric, result.n_scored, result.n_unscored),
            )
            if is_mean(result.value, export.values.get(metric, {})):
                view.mean_metrics.setdefault(metric, set()).add(model)
    report.warnings += attachments.refused[:20]
    if len(attachments.refused) > 20:
        report.warnings.append(f"{len(attachments.refused) - 20} more sample images not published")

    for view in tasks.values():
        compare(view)

    table = {
        key: {
            metric: {
                m: Cell(c.value, c.higher_is_better)
                for (m, mm), c in view.cells.items()
                if mm == metric and c.value is not None and not c.badges  # a badged number ranks nobody
            }
            for metric in view.metrics
        }
        for key, view in tasks.items()
        if not view.is_group
    }
    ranking = overall_ranking(table)
    per_task_scores = task_scores(table)

    models = sorted({m for m, _ in resolved.current})
    report.n_models, report.n_tasks = len(models), len(tasks)
    sections: dict[str, list[TaskView]] = defaultdict(list)
    for view in sorted(tasks.values(), key=lambda v: (v.is_group, v.key)):
        sections[view.section].append(view)
    ordered_sections = sorted(sections.items(), key=lambda kv: (layout.section_order(kv[0]), kv[0]))

    env = _environment()
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    common = {"generated": generated}

    def write(rel: str, template: str, **context: Any) -> None:
        depth = rel.count("/")
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        html = env.get_template(template).render(root="../" * depth, **common, **context)
        path.write_text(html, encoding="utf-8")

    assets = site / "assets"
    assets.mkdir()
    for name in ("style.css", "table.js", "samples.js"):
        shutil.copyfile(HERE / "static" / name, assets / name)

    build_notes = {
        "rejected": [{"file": _rel(r.path), "message": r.message} for r in report.rejected],
        "warnings": [_strip_paths(w) for w in report.warnings],
    }
    write(
        "index.html",
        "index.html.j2",
        title="ECG-Harness leaderboard",
        sections=ordered_sections,
        ranking=ranking,
        badge_rule=BADGE_RULE,
        models_by_section={name: sorted({m for v in views for m in v.runs}) for name, views in ordered_sections},
        notes=build_notes,
        n_superseded=report.n_superseded,
    )

    references = load_references()
    for view in tasks.values():
        hists = _histograms(view)
        write(
            layout.task_page(view.key),
            "task.html.j2",
            title=f"Task {view.key}",
            task=view,
            references=[
                (t, references.papers[t.paper], _ref_matches(t, view.metrics)) for t in references.for_task(view.name)
            ],
            hists=hists,
            task_scores=per_task_scores.get(view.key, {}),
        )

    by_model: dict[str, list[tuple[TaskView, Run]]] = defaultdict(list)
    for view in tasks.values():
        for model, run in view.runs.items():
            by_model[model].append((view, run))
    ranked = {r.model: r for r in ranking}
    for model in models:
        entries = sorted(by_model[model], key=lambda e: (layout.section_order(e[0].section), e[0].key))
        profile_items = [
            (view.key, per_task_scores.get(view.key, {}).get(model)) for view, _ in entries if not view.is_group
        ]
        superseded = sorted(
            (run for (m, _), old in resolved.superseded.items() if m == model for run in old),
            key=lambda r: (r.task_key, r.finished_at),
        )
        costs = [run.results.usage.cost_usd for _, run in entries if run.results.usage.cost_usd is not None]
        totals = {
            "requests": sum(run.results.usage.requests for _, run in entries),
            "prompt_tokens": sum(run.results.usage.prompt_tokens for _, run in entries),
            "completion_tokens": sum(run.results.usage.completion_tokens for _, run in entries),
            "cost_usd": sum(costs) if costs else None,
            "cost_runs": len(costs),
            "runs": len(entries),
        }
        write(
            layout.model_page(model),
            "model.html.j2",
            title=f"Model {model}",
            model=model,
            totals=totals,
            entries=entries,
            ranked=ranked.get(model),
            profile=charts.profile_chart(profile_items, title=f"{model}: normalised rank per task")
            if profile_items
            else None,
            superseded=superseded,
            identity_changes=[msg for (m, _), msg in sorted(resolved.identity_changes.items()) if m == model],
            section=layout.benchmark_section,
        )

    for view in tasks.values():
        for model, export in view.exports.items():
            if view.runs[model].samples_path is None:
                continue
            config = {
                "model": model,
                "task": view.key,
                "pages": export.n_pages,
                "records": export.n_records,
                "pageSize": page_size,
                "metrics": view.metrics,
                "root": "../"
                * layout.samples_page(model, view.key).count("/"),  # published images are under root/attachments
            }
            write(
                layout.samples_page(model, view.key),
                "samples.html.j2",
                title=f"Samples: {model} on {view.key}",
                model=model,
                task=view,
                export=export,
                config=config,
            )

    data_dir = site / "data"
    data_dir.mkdir()
    data = {
        "generated": generated,
        "ranking_rule": RULE,
        "ranking": [r.__dict__ for r in ranking],
        "results": [
            {
                "model": model,
                "task": task_key,
                "benchmark": tasks[task_key].section,
                "source": run.rel_path,
                "run_id": run.results.run_id,
                "finished_at": run.results.timings.finished_at,
                "metrics": {k: v.model_dump(mode="json") for k, v in run.results.metrics.items()},
                "identity_sha256": run.results.model.identity_sha256,
                "served_model": run.results.model.model,
                "prompt_sha256": run.results.task.prompt_sha256,
                "data_sha256": run.results.task.data.sha256,
                "status": run.results.status.model_dump(mode="json") if run.results.status else None,
                "badges": {
                    metric: [b.__dict__ for b in tasks[task_key].cells[(model, metric)].badges]
                    for metric in run.results.metrics
                    if (model, metric) in tasks[task_key].cells and tasks[task_key].cells[(model, metric)].badges
                },
            }
            for (model, task_key), run in sorted(resolved.current.items())
        ],
        "paired": [
            {"task": key, "metric": metric, "a": a, "b": b, **result.__dict__, "significant": result.significant}
            for key, view in sorted(tasks.items())
            for metric, pairs in sorted(view.pairs.items())
            for a, b, result in pairs
        ],
        "badge_rule": BADGE_RULE,
        "superseded": [
            {
                "model": m,
                "task": t,
                "source": r.rel_path,
                "run_id": r.results.run_id,
                "finished_at": r.results.timings.finished_at,
            }
            for (m, t), old in sorted(resolved.superseded.items())
            for r in old
        ],
        "rejected": build_notes["rejected"],
    }
    (data_dir / "leaderboard.json").write_text(safe_json(data), encoding="utf-8")


def _description(run: Run) -> str:
    """The task's one-line description, if the resolved config carries it."""
    task = run.results.config.get("task")
    return str(task.get("description") or "") if isinstance(task, dict) else ""


def _rel(path: Path) -> str:
    """Rejected files are named on the site without the builder's absolute path."""
    parts = path.parts
    return "/".join(parts[-3:]) if len(parts) > 3 else path.as_posix()


def _strip_paths(text: str) -> str:
    head, sep, tail = text.partition(": ")
    return f"{_rel(Path(head))}{sep}{tail}" if sep and "/" in head else text


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
