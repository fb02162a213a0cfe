"""What ``python -m harness list`` prints: every name a run can use, and one task in detail.

Answered from the registry and the task files alone (no model, no data download, no Hydra), so it
is fast; a task's data availability comes from what is on disk (``harness.task.availability``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

WIDTH = 100


def listing(include: list[Path]) -> str:
    """Tasks (with their ECG modalities and description), groups, models and every plugin table."""
    from harness.models.loading import model_config_files
    from harness.registry import get_registry
    from harness.task.index import TaskIndex

    registry = get_registry()
    index = TaskIndex.scan(registry.task_dirs, include=include)
    lines = ["tasks (python -m harness list TASK for details; data: python -m harness data status):"]
    lines += [_task_line(index, name) for name in sorted(index.tasks)] or ["  (none)"]
    lines.append("groups:")
    lines += [f"  {name}" for name in sorted(index.groups)] or ["  (none)"]
    lines.append("models (model=NAME, judge=NAME):")
    lines += [f"  {name}" for name in sorted(model_config_files(registry))]
    for title, table in (
        ("backends", registry.backends),
        ("metrics", registry.metrics),
        ("judges", registry.judges),
        ("output types", registry.output_types),
        ("dataset formats", registry.loaders),
    ):
        lines.append(f"{title}: " + (", ".join(sorted(table)) or "(none)"))
    plugins = sorted(n for n, _ in registry.pm.list_name_plugin() if n and not n.startswith("harness."))
    lines.append("third-party plugins: " + (", ".join(plugins) or "(none)"))
    lines += [f"warning: {problem}" for problem in index.problems]
    lines += [f"warning: plugin {f.name} failed to load: {f.error}" for f in registry.failures]
    lines += [f"warning: {w}" for w in registry.warnings]
    return "\n".join(lines)


def _task_line(index: Any, name: str) -> str:
    from harness.errors import HarnessError

    try:
        spec = index.load(name)
    except HarnessError:
        return f"  {name}  (invalid: see the warning below)"
    modalities = (spec.ecg or {}).get("modalities") or []
    shown = f"[{', '.join(modalities)}]" if modalities else "[text]"
    line = f"  {name}  {shown}  {spec.description}"
    return line if len(line) <= WIDTH else line[: WIDTH - 3] + "..."


def task_detail(name: str, include: list[Path]) -> str:
    """One task: what it is, its protocol notes (``docs``), its inputs and scores, and its data here."""
    from harness.registry import get_registry
    from harness.task.index import TaskIndex

    registry = get_registry()
    index = TaskIndex.scan(registry.task_dirs, include=include)
    spec = index.load(name)
    if not hasattr(spec, "dataset"):
        return f"{name} (group): " + ", ".join(index.expand(name))
    ecg = spec.ecg or {}
    lines = [
        f"{spec.name} (version {spec.version}; {index.source(name)})",
        f"  benchmark:   {spec.benchmark or '-'}",
        f"  description: {spec.description or '-'}",
        f"  modalities:  {', '.join(ecg.get('modalities') or []) or 'text only'}",
        f"  output:      {spec.output_type}",
        f"  metrics:     {', '.join(m.name for m in spec.metrics) or '-'}",
        f"  judges:      {', '.join(j.name for j in spec.judges) or '-'}",
        f"  data:        {_data_line(spec)}",
    ]
    if spec.docs:
        lines.append("  notes:       " + " ".join(spec.docs.split()))
    return "\n".join(lines)


def _data_line(spec: Any) -> str:
    dataset = spec.dataset
    where = [dataset.path and f"data dir: {dataset.path}", dataset.url and f"url: {dataset.url}"]
    hub = getattr(dataset, "hub", None)
    if hub is not None:
        where.append(f"hub: {getattr(hub, 'repo', hub)}")
    return "; ".join(w for w in where if w) or "-"
