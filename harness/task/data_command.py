"""``python -m harness data status|fetch``: what each task's data is, where it is, and getting it.

    python -m harness data status [TASK|GROUP ...]            one row per task; no download, no model
    python -m harness data fetch TASK|GROUP|all [limit=N] [sample=N seed=S] [--dry-run]

``status`` reads only what is on disk (data directory, cache, Hub cache): sources, whether the data
is local, runnable samples out of the total, ECG records present out of needed, what is left to
download (an estimate where the host's record size is known, else "unknown") and the access terms.
``fetch`` downloads what runs of those tasks need, exactly as a run would (the data file or the
selected Hub rows, then the ECG records of the selected samples); ``--dry-run`` says what and how
much without downloading. Settings as for a run: ``data_dir=``, ``cache_dir=``, ``offline=``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.task.status import dry_run, load_task, status_row

USAGE = (
    "usage: python -m harness data status [TASK|GROUP ...] [data_dir=PATH] [cache_dir=PATH]\n"
    "       python -m harness data fetch TASK|GROUP|all [limit=N] [sample=N seed=S] [--dry-run] [data_dir=PATH]"
)


@dataclass
class Settings:
    names: list[str]
    data_dir: Path | None
    cache_dir: Path
    offline: bool
    selection: Any
    dry_run: bool


def parse(args: list[str]) -> Settings:
    from harness.sources import cache_root, offline_requested
    from harness.task.task import Selection

    values: dict[str, str] = {}
    names, dry_run = [], False
    for arg in args:
        if arg == "--dry-run":
            dry_run = True
        elif "=" in arg:
            key, _, value = arg.lstrip("+").partition("=")
            if key not in ("data_dir", "cache_dir", "offline", "limit", "sample", "seed"):
                raise HarnessError(f"data: unknown setting '{key}' ({USAGE.splitlines()[1].strip()})")
            values[key] = value
        elif arg.startswith("-"):
            raise HarnessError(f"data: unknown flag {arg}\n{USAGE}")
        else:
            names.append(arg)
    env_data = os.environ.get("HARNESS_DATA_DIR")
    data_dir = values.get("data_dir") or env_data
    try:
        selection = Selection(
            limit=int(values["limit"]) if values.get("limit") else None,
            sample=int(values["sample"]) if values.get("sample") else None,
            seed=int(values.get("seed") or 1234),
        )
    except ValueError:
        raise HarnessError("data: limit, sample and seed take whole numbers") from None
    offline = offline_requested(values.get("offline", "").lower() in ("1", "true", "yes"))
    return Settings(
        names,
        Path(data_dir).expanduser() if data_dir else None,
        cache_root(values.get("cache_dir")),
        offline,
        selection,
        dry_run,
    )


def main(args: list[str]) -> None:
    if not args or args[0] not in ("status", "fetch"):
        raise HarnessError(USAGE)
    settings = parse(args[1:])
    if args[0] == "status":
        status(settings)
    else:
        fetch(settings)


def _context(names: list[str], *, everything_if_empty: bool) -> tuple[Any, Any, list[str]]:
    from harness.registry import get_registry
    from harness.task.index import TaskIndex

    registry = get_registry()
    index = TaskIndex.scan(registry.task_dirs)
    if not names or names == ["all"]:
        if not everything_if_empty and not names:
            raise HarnessError(f"data fetch: name a task, a group or `all`\n{USAGE}")
        return registry, index, sorted(index.tasks)
    out: list[str] = []
    for name in names:
        if name not in index.names:
            from harness.errors import suggest

            raise HarnessError(suggest(name, index.names, what="task"))
        out += [n for n in index.expand(name) if n not in out]
    return registry, index, out


def status(settings: Settings) -> None:
    """One row per task (module docstring)."""
    from rich.console import Console
    from rich.table import Table

    from harness.sources.progress import quiet

    registry, index, names = _context(settings.names, everything_if_empty=True)
    table = Table(title="data status (from the data directory and the caches; nothing downloaded)")
    table.add_column("task", no_wrap=True)
    for column in ("source", "data", "runnable", "ECG present/needed", "to download", "access"):
        table.add_column(column, overflow="fold")
    with quiet():
        rows = [status_row(name, registry, index, settings) for name in names]
    for row in rows:
        table.add_row(*row)
    screen = Console()
    Console(width=screen.width if screen.is_terminal else 240).print(table)  # piped: one line per row
    where = settings.data_dir or "(not set: data_dir=PATH or HARNESS_DATA_DIR)"
    print(f"data directory: {where}; cache: {settings.cache_dir}; get a task's data: python -m harness data fetch TASK")


def fetch(settings: Settings) -> None:
    from harness.sources.progress import note
    from harness.task.availability import availability

    registry, index, names = _context(settings.names, everything_if_empty=False)
    if settings.dry_run:
        for name in names:
            print(dry_run(name, registry, index, settings))
        return
    if settings.offline:
        raise HarnessError("data fetch: offline mode is on (offline=true or HARNESS_OFFLINE): nothing can be fetched")
    failed = []
    for name in names:
        try:
            task = load_task(name, registry, index, settings, offline=False)
        except HarnessError as exc:
            failed.append(name)
            note(f"error: {exc}")
            continue
        print(availability(task, settings.selection).summary())
        if _unfetched(task, settings.selection):  # records the host should have given and did not
            failed.append(name)
    if failed:
        raise HarnessError(
            f"data fetch: {len(failed)} of {len(names)} task(s) could not be fetched: {', '.join(failed)}"
        )


def _unfetched(task: Any, selection: Any) -> list[str]:
    """Records the selected samples need that the task's host could supply and are still absent."""
    from harness.ecg.fetch import needed, source_of

    spec = task.spec.ecg or {}
    if not task._checks_ecg() or source_of(spec) is None:
        return []
    _, absent = needed(task.selected_raw_docs(selection), spec, data_dir=task.data_dir, cache_dir=task.cache_dir)
    return sorted(r for r in absent.values() if r)
