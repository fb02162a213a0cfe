"""Finding and validating run directories: every results.json under a root, checked against
the results schema. A file that fails is rejected with the file and the failing key named;
the rest of the build goes on without it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pydantic import ValidationError

from harness.results.schema import Results
from harness.results.secrets import scrub_results

RESULTS_FILE = "results.json"
SAMPLES_FILE = "samples.jsonl"


@dataclass(frozen=True)
class Rejection:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"rejected {self.path}: {self.message}"


@dataclass
class Run:
    """One validated results.json and where its samples are."""

    results_path: Path
    rel_path: str  # relative to the runs directory: shown on the site instead of local paths
    results: Results
    samples_path: Path | None
    finished_at: datetime
    is_group: bool = False  # a task-group summary whose per-task runs sit in subdirectories
    secrets_removed: list[str] = field(default_factory=list)

    @property
    def model_key(self) -> str:
        return self.results.model.name

    @property
    def task_key(self) -> str:
        """A task run in another ECG modality is a different column."""
        task = self.results.task
        return f"{task.name} [{task.modality}]" if task.modality else task.name


@dataclass
class Collection:
    runs: list[Run] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_timestamp(text: str) -> datetime:
    """ISO 8601, with or without 'Z'; naive times are taken as UTC so all runs compare."""
    value = datetime.fromisoformat(re.sub(r"Z$", "+00:00", text.strip()))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        key = ".".join(str(p) for p in item["loc"]) or "(top level)"
        parts.append(f"key '{key}': {item['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def load_run(path: Path, root: Path) -> Run | Rejection:
    """Validate one results.json (after removing any secret it still carries)."""
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        return Rejection(path, f"not UTF-8 text ({exc.reason})")
    except json.JSONDecodeError as exc:
        return Rejection(path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    except OSError as exc:
        return Rejection(path, f"cannot be read ({exc.strerror})")
    if not isinstance(raw, dict):
        return Rejection(path, f"key '(top level)': expected an object, got {type(raw).__name__}")
    clean, removed = scrub_results(raw)
    try:
        results = Results.model_validate(clean)
    except ValidationError as exc:
        return Rejection(path, _describe(exc))
    try:
        finished = parse_timestamp(results.timings.finished_at)
    except ValueError:
        return Rejection(path, "key 'timings.finished_at': not an ISO 8601 timestamp")
    samples = path.with_name(SAMPLES_FILE)
    return Run(
        results_path=path,
        rel_path=rel,
        results=results,
        samples_path=samples if samples.is_file() else None,
        finished_at=finished,
        secrets_removed=removed,
    )


def collect_runs(runs_dir: Path) -> Collection:
    """Every results.json under ``runs_dir``, in a deterministic order."""
    out = Collection()
    paths = sorted(runs_dir.rglob(RESULTS_FILE))
    parents = {p.parent for p in paths}
    for path in paths:
        loaded = load_run(path, runs_dir)
        if isinstance(loaded, Rejection):
            out.rejected.append(loaded)
            continue
        shard = getattr(loaded.results.task, "shard", None)
        if shard:
            out.warnings.append(
                f"{path}: shard {shard} of a sharded run, not shown on its own; merge the shards "
                "(python -m harness merge) and publish the merged run"
            )
            continue
        loaded.is_group = any(other != path.parent and path.parent in other.parents for other in parents)
        if loaded.secrets_removed:
            out.warnings.append(
                f"{path}: removed secret-looking entries before publishing: {', '.join(loaded.secrets_removed)}"
            )
        if loaded.samples_path is None and not loaded.is_group:
            out.warnings.append(f"{path}: no {SAMPLES_FILE} beside it; its samples cannot be browsed or compared")
        out.runs.append(loaded)
    return out
