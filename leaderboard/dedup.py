"""The duplicate rule: for one model and one task, the run that finished last is shown;
older runs stay listed (with their dates) on the model's page. A newer run whose model identity
(backend, model id, endpoint, parameters: ``model.identity_sha256``) differs from the one it
supersedes is flagged, never silently replaced: the build warns and the model page says so."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from harness.leaderboard.collect import Run

Key = tuple[str, str]  # (model, task)


@dataclass
class Resolved:
    current: dict[Key, Run] = field(default_factory=dict)
    superseded: dict[Key, list[Run]] = field(default_factory=dict)
    identity_changes: dict[Key, str] = field(default_factory=dict)  # (model, task) -> what changed


def resolve_duplicates(runs: list[Run]) -> Resolved:
    """Newest ``timings.finished_at`` wins; equal times are broken by run_id, then path,
    so the same inputs always give the same site."""
    by_key: dict[Key, list[Run]] = defaultdict(list)
    for run in runs:
        by_key[(run.model_key, run.task_key)].append(run)
    out = Resolved()
    for key, group in by_key.items():
        ordered = sorted(group, key=lambda r: (r.finished_at, r.results.run_id, r.rel_path), reverse=True)
        out.current[key] = ordered[0]
        if len(ordered) > 1:
            out.superseded[key] = ordered[1:]
            current = _identity(ordered[0])
            others = sorted({_identity(r) for r in ordered[1:]} - {current})
            if others:
                out.identity_changes[key] = (
                    f"model '{key[0]}' on {key[1]}: the shown run (identity {current[:12]}) supersedes runs of a "
                    f"different model identity ({', '.join(o[:12] for o in others)}): same name, different model or settings"
                )
    return out


def _identity(run: Run) -> str:
    model = run.results.model
    return str(getattr(model, "identity_sha256", None) or (model.model_extra or {}).get("identity_sha256") or "")
