"""A dataset on the Hugging Face Hub, through ``huggingface_hub`` (its cache, token and offline mode).

A task names the repository, subset, split and revision (``dataset.hub``). This module finds the
split's files, resolves the revision to a commit (recorded in results.json), and reads only what
the run needs:

- **the whole split** (no ``limit``/``sample``): ``hf_hub_download`` into the Hub cache, once; any
  later run (or another task on the same files) reads the cached file, offline too;
- **a selection** (``limit=N``, ``sample=N``) of a Parquet split that is not in the cache yet: the
  Parquet footers, then only the row groups holding the selected rows, by HTTP range requests
  (``HfFileSystem`` + pyarrow); the selected rows are written to one small Parquet file in the
  harness cache (keyed by commit, files and rows), so the same selection is read again for free.

The row positions come from the caller (the task's own selection rule), so a partial read yields
exactly the records a full download would give the same selection. Gated repositories need
``HF_TOKEN`` (or ``hf auth login``); ``HF_ENDPOINT`` points the client at a mirror; offline
(``offline=true``, ``HF_HUB_OFFLINE``) only the caches are read and the error says what to fetch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import DataError
from harness.sources.hub_repo import (
    HubData,
    RemoteFile,
    RowRequest,
    cached_commit,
    cached_files,
    describe_repo,
    fetch_hint,
    hub_errors,
    local_path,
    remote_files,
    resolve_commit,
)
from harness.sources.hub_rows import cached_rows, read_rows
from harness.sources.progress import hub_tqdm, human_bytes, note
from harness.sources.settings import hub_cache, hub_endpoint, hub_offline, hub_token

__all__ = ["HubData", "RemoteFile", "RowRequest", "resolve"]


def resolve(spec: Any, *, cache_dir: Path, offline: bool, rows: RowRequest | None = None, task_name: str) -> HubData:
    """The local files of the task's split, fetching what the selection needs (module docstring)."""
    if hub_offline(offline):
        return _offline(spec, cache_dir, rows, task_name)
    commit = resolve_commit(spec, task_name=task_name, cache_dir=cache_dir)
    if rows is not None:
        hit = cached_rows(spec, commit, rows, cache_dir)
        if hit is not None:
            return hit
    files = remote_files(spec, commit, task_name=task_name)
    paths = [local_path(spec, commit, f.path) for f in files]
    if all(paths):  # the whole split is in the Hub cache already
        return HubData([p for p in paths if p], commit, files, "hub_cache")
    if rows is not None and all(f.path.endswith(".parquet") for f in files):
        partial = read_rows(spec, commit, files, rows, cache_dir=cache_dir, task_name=task_name)
        if partial is not None:
            return partial
    return _download(spec, commit, files, task_name=task_name)


def _offline(spec: Any, cache_dir: Path, rows: RowRequest | None, task_name: str) -> HubData:
    """What the caches hold of the split: the whole split in the Hub cache, or this selection's rows."""
    commit = cached_commit(spec, cache_dir)
    if commit:
        cached = cached_files(spec, commit)
        paths = [local_path(spec, commit, f.path) for f in cached]
        if cached and all(paths):
            return HubData([p for p in paths if p], commit, cached, "hub_cache")
        if rows is not None:
            hit = cached_rows(spec, commit, rows, cache_dir)
            if hit is not None:
                return hit
    raise DataError(
        f"task '{task_name}': the Hub dataset {describe_repo(spec)} (revision {spec.revision}) is not in the "
        f"local cache and nothing may be downloaded (offline): {fetch_hint(task_name)}"
    )


def _download(spec: Any, commit: str, files: list[RemoteFile], *, task_name: str) -> HubData:
    from huggingface_hub import hf_hub_download

    total = sum(f.size or 0 for f in files)
    note(
        f"task '{task_name}': downloading {describe_repo(spec)} @ {commit[:12]} ({human_bytes(total)}) into {hub_cache()}"
    )
    paths = []
    with hub_errors(spec, task_name):
        for f in files:
            local = hf_hub_download(
                spec.repo,
                f.path,
                repo_type="dataset",
                revision=commit,
                cache_dir=str(hub_cache()),
                endpoint=hub_endpoint(),
                token=hub_token(),
                tqdm_class=hub_tqdm(),
            )
            paths.append(Path(local))
    return HubData(paths, commit, files, "download")
