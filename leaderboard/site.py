"""Building the site, step by step: collect -> deduplicate -> assemble (export samples, badges)
-> compare and rank -> pages -> leaderboard.json, written atomically (``output.py``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from harness.leaderboard.assemble import task_views
from harness.leaderboard.collect import Rejection, collect_runs
from harness.leaderboard.content import SiteContent, build_notes, rank
from harness.leaderboard.data_export import write_data
from harness.leaderboard.dedup import Resolved, resolve_duplicates
from harness.leaderboard.output import MARKER, BuildError, prepare_target, write_atomically
from harness.leaderboard.pages import write_pages
from harness.leaderboard.render import PageWriter
from harness.leaderboard.samples import PAGE_SIZE
from harness.leaderboard.verification import mark_cells, mismatches, verify_runs
from harness.results.verify import RunVerdict

__all__ = ["MARKER", "BuildError", "BuildReport", "build_site"]


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
    mismatches: list[str] = field(default_factory=list)  # with verify: numbers their own records do not give
    verified: bool = False
    written: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.mismatches

    def summary(self) -> str:
        return (
            f"built {self.out}: {self.n_runs} results ({self.n_models} models, {self.n_tasks} tasks), "
            f"{self.n_superseded} superseded, {len(self.rejected)} rejected, {self.n_sample_pages} sample pages"
            + (f", {len(self.mismatches)} verification mismatches" if self.verified else "")
            + f" in {self.seconds:.1f} s"
        )


def build_site(
    runs_dir: Path,
    out: Path,
    *,
    strict: bool = False,
    verify: bool = False,
    data_dir: Path | None = None,
    page_size: int = PAGE_SIZE,
) -> BuildReport:
    """Build the static site for every results.json under ``runs_dir`` into ``out``.

    Rejected files are reported in the returned :class:`BuildReport` (and on the site). With
    ``verify=True`` every run is checked against its own records (``data_dir``: where data files
    are, for their hashes) and each cell marked verified / not verifiable / mismatch. With
    ``strict=True`` any rejection, or any mismatch, aborts the build before anything is replaced.
    """
    started = time.perf_counter()
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise BuildError(f"runs directory {runs_dir} does not exist or is not a directory")
    out = prepare_target(Path(out))
    report = BuildReport(out=out)
    collection = collect_runs(runs_dir)
    report.rejected = collection.rejected
    report.warnings = list(collection.warnings)
    resolved = resolve_duplicates(collection.runs)
    shown = list(resolved.current.values())  # superseded runs: listed, not verified
    verdicts = verify_runs(shown, data_dir) if verify else None
    if verdicts is not None:
        report.verified, report.mismatches = True, mismatches(verdicts, runs_dir)
    if not (strict and not report.ok):
        write_atomically(out, lambda site: _render(resolved, site, report, verdicts, page_size=page_size))
        report.written = True
    report.seconds = time.perf_counter() - started
    return report


def _render(
    resolved: Resolved, site: Path, report: BuildReport, verdicts: dict[Path, RunVerdict] | None, *, page_size: int
) -> None:
    content = _content(resolved, site, report, verdicts, page_size=page_size)
    writer = PageWriter(site, content.generated)
    write_pages(content, writer, page_size=page_size)
    write_data(content, site)


def _content(
    resolved: Resolved, site: Path, report: BuildReport, verdicts: dict[Path, RunVerdict] | None, *, page_size: int
) -> SiteContent:
    """Assemble the task views of the deduplicated runs (exporting samples), mark verdicts, compare
    and rank; fill the report."""
    report.warnings += list(resolved.identity_changes.values())
    tasks = task_views(resolved.current, site, report.warnings, page_size=page_size)
    if verdicts is not None:
        mark_cells(tasks, verdicts)
    ranking, per_task = rank(tasks)
    report.n_runs = len(resolved.current)
    report.n_superseded = sum(len(v) for v in resolved.superseded.values())
    report.n_sample_pages = sum(e.n_pages for view in tasks.values() for e in view.exports.values())
    report.n_tasks = len(tasks)
    content = SiteContent(
        tasks=tasks,
        resolved=resolved,
        ranking=ranking,
        task_scores=per_task,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        verified=verdicts is not None,
    )
    report.n_models = len(content.models)
    content.rejected, content.warnings = build_notes(report.rejected, report.warnings)
    return content
