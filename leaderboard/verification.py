"""``build --verify``: each shown number checked against its run's own records before it is published.

The checks are :func:`harness.results.verify.verify_run`'s (the ``python -m harness verify``
command); here each cell gets its metric's verdict: verified, not verifiable (with why) or mismatch
(with what differs). ``--strict`` refuses to publish a build with a mismatch.
"""

from __future__ import annotations

from pathlib import Path

from harness.leaderboard.badges import Badge
from harness.leaderboard.collect import Run
from harness.leaderboard.views import TaskView
from harness.results.verify import MISMATCH, NOT_VERIFIABLE, Check, RunVerdict, metric_verdict, verify_run


def verify_runs(runs: list[Run], data_dir: Path | None) -> dict[Path, RunVerdict]:
    """results.json path -> the run's verdict, for each of ``runs``."""
    from harness.registry import get_registry

    registry = get_registry()
    return {run.results_path: verify_run(run.results_path.parent, registry, data_dir=data_dir) for run in runs}


def mismatches(verdicts: dict[Path, RunVerdict], runs_dir: Path) -> list[str]:
    """One line per mismatched check, naming the run (relative to the runs directory)."""
    lines = []
    for path, verdict in sorted(verdicts.items()):
        for check in verdict.checks:
            if check.verdict == MISMATCH:
                lines.append(f"{path.relative_to(runs_dir)}: {check.what}: {check.detail}")
    return lines


def mark_cells(tasks: dict[str, TaskView], verdicts: dict[Path, RunVerdict]) -> None:
    """Give every cell of a verified build its metric's verdict; a mismatch is also a validity badge
    (no ★ or ≈, out of the ranking), so mark before comparing and ranking."""
    for view in tasks.values():
        for (model, metric), cell in view.cells.items():
            verdict = verdicts.get(view.runs[model].results_path)
            cell.verification = metric_verdict(verdict, metric) if verdict else Check(metric, NOT_VERIFIABLE)
            if cell.verification.verdict == MISMATCH:
                cell.badges.append(Badge("mismatch", "verification mismatch", cell.verification.detail))
