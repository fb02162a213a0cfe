"""The rows of ``python -m harness data status`` and the plans of ``data fetch --dry-run``.

Both describe a task's sources from its YAML (``dataset.path``/``url``/``hub``/``excerpt``,
``ecg.physionet``) and what is on disk, through :func:`harness.task.availability.availability`.
Sizes are exact where the host publishes them (a Hub listing, a Parquet footer, an HTTP
``Content-Length``: asked only by ``--dry-run`` when online) and otherwise estimated from the
record size of a known PhysioNet database, or "unknown".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from harness.errors import HarnessError
from harness.sources.progress import human_bytes

ORIGINS = {
    "data_dir": "data dir",
    "cache": "cache",
    "download": "downloaded",
    "hub_cache": "Hub cache",
    "rows": "Hub rows",
    "excerpt": "local excerpt",
}


def sources(spec: Any) -> str:
    data = spec.dataset
    parts = []
    if data.hub is not None:
        where = data.hub.config or ", ".join(data.hub.files)
        parts.append(f"Hub {data.hub.repo} {where}@{data.hub.revision}")
    if data.url:
        host = urlsplit(data.url).netloc
        parts.append("GitHub" if host == "raw.githubusercontent.com" else host)
    if not parts:
        parts.append("data dir")
    physionet = (spec.ecg or {}).get("physionet") if spec.ecg else None
    if physionet:
        parts.append(f"PhysioNet {physionet.get('database')} {physionet.get('version')}")
    return " + ".join(parts)


def access(spec: Any) -> str:
    from harness.ecg.fetch import source_of
    from harness.sources.physionet import DATABASES

    data = spec.dataset
    out = []
    if data.hub is not None:
        out.append("gated (HF_TOKEN)" if data.hub.access == "gated" else "open")
    elif data.url:
        out.append("open")
    else:
        out.append("local only")
    source = source_of(spec.ecg) if spec.ecg else None
    if source is not None:
        known = DATABASES.get(source.database)
        out.append(f"{source.database} {source.access}" + (f" ({known.license})" if known and known.license else ""))
    return "; ".join(out)


def status_row(name: str, registry: Any, index: Any, settings: Any) -> list[str]:
    """task, source, data, runnable, ECG present/needed, to download, access."""
    from harness.task.availability import availability

    spec = index.load(name)
    try:
        task = load_task(name, registry, index, settings, offline=True)
    except HarnessError:
        missing = "data: unknown" if (spec.dataset.url or spec.dataset.hub) else "-"
        return [name, sources(spec), "missing", "-", "-", missing, access(spec)]
    av = availability(task, settings.selection)
    data = ORIGINS.get(task.data.origin, task.data.origin)
    if task.data.origin == "rows" and task.data.hub:
        part = task.data.hub.get("partial") or {}
        data += f" {part.get('rows_read')}/{part.get('rows_total')}"
    if av.ecg_needed is not None:
        ecg = f"{av.ecg_present}/{av.ecg_needed}"
    elif task.modality == "released_image":
        ecg = f"pictures {av.n_runnable}/{av.n_records}"
    else:
        ecg = "-"
    todo = []
    if task.data.origin == "excerpt":
        todo.append("full file: unknown")
    if av.ecg_fetchable:
        size = human_bytes(av.fetch_bytes) if av.fetch_bytes else "unknown"
        todo.append(f"{av.ecg_fetchable} records ≈{size}")
    return [name, sources(spec), data, f"{av.n_runnable}/{av.n_records}", ecg, ", ".join(todo) or "0", access(spec)]


def dry_run(name: str, registry: Any, index: Any, settings: Any) -> str:
    """What ``data fetch`` would download for ``name``, and how much, without downloading it."""
    from harness.sources.progress import quiet

    try:
        with quiet():
            task = load_task(name, registry, index, settings, offline=True)
    except HarnessError:
        task = None
    lines = [f"{name}:"]
    if task is None or task.data.origin == "excerpt":
        lines.append("  data: " + _data_plan(index.load(name), settings, name))
    else:
        lines.append(f"  data: local ({ORIGINS.get(task.data.origin, task.data.origin)}: {task.data.path})")
    lines.append("  ECG records: " + _records_plan(index.load(name), task, settings))
    return "\n".join(lines)


def _data_plan(spec: Any, settings: Any, name: str) -> str:
    data = spec.dataset
    if data.url:
        return f"download {data.url} ({human_bytes(_remote_size(data.url)) if not settings.offline else 'size unknown offline'})"
    if data.hub is not None:
        if settings.offline:
            return f"the Hub dataset {data.hub.repo} (size unknown offline)"
        return _hub_plan(data.hub, settings, name)
    return f"none to download: supply {data.path} under the data directory ({data.expected_schema or 'see the task'})"


def _hub_plan(hub: Any, settings: Any, name: str) -> str:
    from harness.sources import hub_repo as hub_source

    commit = hub_source.resolve_commit(hub, task_name=name, cache_dir=settings.cache_dir)
    files = hub_source.remote_files(hub, commit, task_name=name)
    total = sum(f.size or 0 for f in files)
    head = (
        f"the Hub dataset {hub_source.describe_repo(hub)} @ {commit[:12]}: {len(files)} file(s), {human_bytes(total)}"
    )
    rows = settings.selection.row_request()
    if rows is None or not all(f.path.endswith(".parquet") for f in files):
        return head + " (downloaded once into the Hub cache)"
    from harness.sources.hub_rows import plan_rows

    plan = plan_rows(hub, commit, files, rows, task_name=name)
    if not plan.worth_it:
        return (
            head
            + f" (the selection needs {plan.n_needed} of {plan.n_groups} row groups: the whole split is downloaded)"
        )
    return head + (
        f"; {rows.key} reads {len(plan.positions)} rows: {plan.n_needed} of {plan.n_groups} row groups, "
        f"{human_bytes(plan.bytes_needed)} (plus the footer)"
    )


def _remote_size(url: str) -> int | None:
    import urllib.request

    from harness.sources.settings import mirrored

    try:
        request = urllib.request.Request(mirrored(url), method="HEAD")
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the task's own URL)
            length = response.headers.get("Content-Length")
            return int(length) if length and length.isdigit() else None
    except OSError:
        return None


def _records_plan(task_spec: Any, task: Any, settings: Any) -> str:
    from harness.ecg.fetch import needed, source_of

    spec = task_spec.ecg or {}
    source = source_of(spec)
    if source is None:
        if "released_image" in (spec.get("modalities") or []):
            return "none: the pictures come with the data (modality=released_image)"
        return "none (the task declares no record host)"
    if task is None or task.data.origin == "excerpt" or not task._checks_ecg():
        return f"from {source.label}, counted once the data file is here"
    present, absent = needed(
        task.selected_raw_docs(settings.selection), spec, data_dir=task.data_dir, cache_dir=task.cache_dir
    )
    fetchable = sorted({r for r in absent.values() if r})
    if source.access == "credentialed" and fetchable:
        return source.credentialed_message(task.spec.name)
    estimate = source.estimate(len(fetchable))
    size = f"≈{human_bytes(estimate)}" if estimate else "size unknown"
    extra = f", {len(absent) - len(fetchable)} not in the database" if len(absent) > len(fetchable) else ""
    return f"{len(fetchable)} to fetch from {source.label} ({size}; {len(present)} already here{extra})" + (
        f", e.g. {fetchable[0]}" if fetchable else ""
    )


def load_task(name: str, registry: Any, index: Any, settings: Any, *, offline: bool) -> Any:
    """The task with this data command's settings (data dir, cache, selection)."""
    from harness.task.task import Task

    return Task.load(
        name,
        registry=registry,
        index=index,
        data_dir=settings.data_dir,
        cache_dir=settings.cache_dir,
        offline=offline,
        selection=settings.selection,
    )
