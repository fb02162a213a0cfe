"""A file at a pinned URL (a commit-pinned GitHub raw URL), downloaded once into the user cache.

The task pins the URL and, where it could be computed, the file's sha256 (``dataset.url``,
``dataset.sha256``). A pinned file is verified on download and on every use from the cache. A URL
without a sha256 (an upstream file nobody could hash ahead) is downloaded as is: its sha256 is
recorded in results.json (``task.data.sha256`` with ``sha256_pinned: false``) and the console
says so, so two runs can still be told apart by their data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from harness.errors import DataError
from harness.hashing import sha256_file
from harness.sources.download import DownloadFailed, download, partial_path
from harness.sources.progress import human_bytes, note
from harness.sources.settings import mirrored


@dataclass(frozen=True)
class UrlFile:
    path: Path
    sha256: str
    pinned: bool
    origin: str  # "cache" or "download"


def cached_path(url: str, sha256: str | None, cache_dir: Path) -> Path:
    """Where the cache keeps ``url``'s file: keyed by its pinned sha256, else by the URL."""
    key = sha256 or hashlib.sha256(url.encode()).hexdigest()
    return Path(cache_dir) / "data" / key / Path(url).name


def cached(url: str, sha256: str | None, cache_dir: Path, *, task_name: str) -> UrlFile | None:
    """The cached copy of ``url`` (verified when pinned), or None."""
    path = cached_path(url, sha256, cache_dir)
    if not path.is_file():
        return None
    digest = sha256_file(path)
    if sha256 and digest != sha256:
        raise DataError(
            f"task '{task_name}': sha256 mismatch for the cached {path}: expected {sha256}, found {digest}; "
            "delete the file to download it again"
        )
    return UrlFile(path, digest, bool(sha256), "cache")


def fetch(url: str, sha256: str | None, cache_dir: Path, *, task_name: str) -> UrlFile:
    """Download ``url`` into the cache (resuming a partial download); raises DownloadFailed or DataError."""
    target = cached_path(url, sha256, cache_dir)
    source = mirrored(url)
    try:
        got = download(source, target, sha256=sha256, label=f"{task_name}: {target.name}")
    except DownloadFailed as exc:
        raise DownloadFailed(f"task '{task_name}': {exc}", reason=exc.reason, status=exc.status) from None
    except DataError as exc:  # a checksum mismatch
        raise DataError(f"task '{task_name}': {exc}") from None
    if not sha256:
        note(
            f"task '{task_name}': {url} has no pinned sha256 in the task file; the downloaded file's sha256 "
            f"{got.sha256} ({human_bytes(target.stat().st_size)}) is recorded in results.json (task.data.sha256)"
        )
    return UrlFile(got.path, got.sha256, bool(sha256), "download")


def partial_bytes(url: str, sha256: str | None, cache_dir: Path) -> int:
    """Bytes already held by an interrupted download of ``url`` (0 if none)."""
    part = partial_path(cached_path(url, sha256, cache_dir))
    return part.stat().st_size if part.exists() else 0
