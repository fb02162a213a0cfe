"""``data/leaderboard.json``: the same content as the pages, for scripts that build on it (current
results with every metric field, hashes, status and badges; every paired comparison; the ranking
and its rule; superseded and rejected files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.leaderboard.badges import RULE as BADGE_RULE
from harness.leaderboard.collect import Run
from harness.leaderboard.content import SiteContent
from harness.leaderboard.embed import safe_json
from harness.leaderboard.judge_checks import judge_check_rows
from harness.leaderboard.ranking import RULE as RANKING_RULE
from harness.leaderboard.views import TaskView


def write_data(content: SiteContent, site: Path) -> None:
    data = {
        "generated": content.generated,
        "verified": content.verified,
        "ranking_rule": RANKING_RULE,
        "ranking": [r.__dict__ for r in content.ranking],
        "results": [
            _result(content.tasks[task_key], model, run)
            for (model, task_key), run in sorted(content.resolved.current.items())
        ],
        "paired": [
            {"task": key, "metric": metric, "a": a, "b": b, **result.__dict__, "significant": result.significant}
            for key, view in sorted(content.tasks.items())
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
            for (m, t), old in sorted(content.resolved.superseded.items())
            for r in old
        ],
        "rejected": content.rejected,
    }
    folder = site / "data"
    folder.mkdir(exist_ok=True)
    (folder / "leaderboard.json").write_text(safe_json(data), encoding="utf-8")


def _result(view: TaskView, model: str, run: Run) -> dict[str, Any]:
    r = run.results
    return {
        "model": model,
        "task": view.key,
        "benchmark": view.section,
        "source": run.rel_path,
        "run_id": r.run_id,
        "finished_at": r.timings.finished_at,
        "metrics": {k: v.model_dump(mode="json") for k, v in r.metrics.items()},
        "identity_sha256": r.model.identity_sha256,
        "served_model": r.model.model,
        "prompt_sha256": r.task.prompt_sha256,
        "data_sha256": r.task.data.sha256,
        "status": r.status.model_dump(mode="json") if r.status else None,
        "badges": {
            metric: [b.__dict__ for b in view.cells[(model, metric)].badges]
            for metric in r.metrics
            if (model, metric) in view.cells and view.cells[(model, metric)].badges
        },
        "judge_checks": [row.figures() for row in judge_check_rows([(model, run)])],  # the judge validity check
        "verification": {  # present in a build with --verify
            metric: {"verdict": cell.verification.verdict, "detail": cell.verification.detail}
            for metric in r.metrics
            if (cell := view.cells.get((model, metric))) is not None and cell.verification is not None
        },
    }
