"""The Hugging Face Hub side of a ``dataset.hub`` source: the repository's commit, its files, the
cache layout, and the Hub's errors turned into one-line messages (through ``huggingface_hub``).

:mod:`harness.sources.hub` resolves a task's data from these pieces; :mod:`harness.sources.hub_rows`
reads part of a split by row groups.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import DataError
from harness.sources.settings import hub_cache, hub_endpoint, hub_token

COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class RowRequest:
    """The rows a run needs: ``positions(total)`` in file order, and a ``key`` naming the rule (for the cache)."""

    key: str  # e.g. "limit=20" or "sample=50-seed=1234"
    positions: Callable[[int], Sequence[int]]


@dataclass(frozen=True)
class RemoteFile:
    path: str  # in the repository
    size: int | None = None
    sha256: str | None = None  # the LFS object id when the Hub lists one


@dataclass
class HubData:
    """What a task reads: local files, where they came from, and what was read of the remote split."""

    paths: list[Path]
    commit: str
    files: list[RemoteFile]
    origin: str  # "hub_cache", "download" or "rows" (the selected rows of a partial read)
    rows: dict[str, Any] = field(default_factory=dict)  # partial read: rows/row groups read of the total

    @property
    def sha256(self) -> str:
        """The data's identity: the upstream file's sha256 (several files: a digest over theirs)."""
        local = self.paths if self.origin != "rows" else [None] * len(self.files)  # rows: not the upstream file
        digests = [f.sha256 or _local_sha(p) for f, p in zip(self.files, local)]
        if len(digests) == 1:
            return digests[0]
        return hashlib.sha256("\n".join(f"{f.path} {d}" for f, d in zip(self.files, digests)).encode()).hexdigest()

    def describe(self, spec: Any) -> dict[str, Any]:
        return {
            "repo": spec.repo,
            "config": spec.config,
            "split": spec.split,
            "revision": spec.revision,
            "commit": self.commit,
            "revision_pinned": bool(COMMIT.match(spec.revision)),
            "files": [f.path for f in self.files],
            **({"partial": self.rows} if self.rows else {}),
        }


def _local_sha(path: Path | None) -> str:
    if path is None:
        return "unknown"
    blob = Path(os.path.realpath(path)).name  # the Hub cache names a blob by its etag: the sha256 for LFS files
    if re.fullmatch(r"[0-9a-f]{64}", blob):
        return blob
    from harness.hashing import sha256_file

    return sha256_file(path)


def _api() -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub_endpoint(), token=hub_token())


def describe_repo(spec: Any) -> str:
    return f"{spec.repo}" + (f" {spec.config}/{spec.split}" if spec.config else f" ({spec.split})")


def _repo_dir(spec: Any) -> Path:
    return hub_cache() / ("datasets--" + spec.repo.replace("/", "--"))


def _our_ref(spec: Any, cache_dir: Path) -> Path:
    """Where the harness notes the commit a branch or tag resolved to when it last read it."""
    return Path(cache_dir) / "hub" / spec.repo.replace("/", "--") / "refs" / spec.revision


def cached_commit(spec: Any, cache_dir: Path) -> str | None:
    """The commit a revision named when it was last read here (a commit names itself), or None.

    ``huggingface_hub`` notes branch -> commit in its cache only when it downloads by branch name;
    the harness downloads by commit (so a run reads one consistent commit), and notes it itself."""
    if COMMIT.match(spec.revision):
        return spec.revision
    for ref in (_repo_dir(spec) / "refs" / spec.revision, _our_ref(spec, cache_dir)):
        if ref.is_file():
            return ref.read_text().strip()
    return None


def resolve_commit(spec: Any, *, task_name: str, cache_dir: Path | None = None) -> str:
    """The commit of ``spec.revision`` on the Hub (one API call unless the revision is a commit)."""
    if COMMIT.match(spec.revision):
        return spec.revision
    with hub_errors(spec, task_name):
        commit = _api().dataset_info(spec.repo, revision=spec.revision).sha
    if cache_dir is not None:
        ref = _our_ref(spec, cache_dir)
        ref.parent.mkdir(parents=True, exist_ok=True)
        ref.write_text(commit)
    return commit


def _matches(path: str, spec: Any) -> bool:
    if spec.files:
        return path in spec.files
    prefix = f"{spec.config}/" if spec.config else ""
    if not path.startswith(prefix):
        return False
    rel = path[len(prefix) :]
    split = spec.split
    patterns = (f"{split}-*.parquet", f"{split}/*.parquet", f"data/{split}-*.parquet", f"{split}.parquet")
    return any(fnmatch.fnmatch(rel, p) for p in patterns)


def remote_files(spec: Any, commit: str, *, task_name: str) -> list[RemoteFile]:
    """The split's files at ``commit``, listed by the Hub (sizes and LFS sha256 included)."""
    from huggingface_hub.errors import RemoteEntryNotFoundError
    from huggingface_hub.hf_api import RepoFile

    folders = sorted({f.rsplit("/", 1)[0] if "/" in f else "" for f in spec.files}) if spec.files else [spec.config]
    out: list[RemoteFile] = []
    with hub_errors(spec, task_name):
        api = _api()
        for folder in folders:
            try:
                entries = list(
                    api.list_repo_tree(
                        spec.repo, path_in_repo=folder or None, revision=commit, repo_type="dataset", recursive=True
                    )
                )
            except RemoteEntryNotFoundError:  # no such folder: reported below as no such files
                entries = []
            out += [
                RemoteFile(e.path, e.size, e.lfs.sha256 if e.lfs else None)
                for e in entries
                if isinstance(e, RepoFile) and _matches(e.path, spec)
            ]
    return _checked_files(sorted(out, key=lambda f: _order(spec, f.path)), spec, task_name)


def cached_files(spec: Any, commit: str) -> list[RemoteFile]:
    """The split's files present in the local Hub cache at ``commit`` (an empty list if none)."""
    snapshot = _repo_dir(spec) / "snapshots" / commit
    if not snapshot.is_dir():
        return []
    found = [p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file() or p.is_symlink()]
    files = [RemoteFile(f, (snapshot / f).stat().st_size) for f in found if _matches(f, spec)]
    if spec.files and len(files) < len(spec.files):
        return []
    return sorted(files, key=lambda f: _order(spec, f.path))


def _order(spec: Any, path: str) -> tuple[int, str]:
    return (spec.files.index(path) if path in spec.files else 0, path)


def _checked_files(files: list[RemoteFile], spec: Any, task_name: str) -> list[RemoteFile]:
    if not files:
        wanted = ", ".join(spec.files) if spec.files else f"{spec.config}/{spec.split}-*.parquet"
        raise DataError(f"task '{task_name}': the Hub dataset {spec.repo} has no {wanted} at revision {spec.revision}")
    missing = [f for f in spec.files if f not in {r.path for r in files}]
    if missing:
        raise DataError(f"task '{task_name}': the Hub dataset {spec.repo} has no {', '.join(missing)}")
    return files


def local_path(spec: Any, commit: str, file: str) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(spec.repo, file, cache_dir=str(hub_cache()), revision=commit, repo_type="dataset")
    return Path(found) if isinstance(found, str) else None


class hub_errors:  # noqa: N801 - used as a context manager: `with hub_errors(spec, task):`
    """Turn ``huggingface_hub``'s errors into one line naming the task, the repository and the remedy."""

    def __init__(self, spec: Any, task_name: str):
        self.spec, self.task_name = spec, task_name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or isinstance(exc, DataError):
            return False
        message = _hub_message(exc, self.spec, self.task_name)
        if message is None:
            return False
        raise DataError(message) from None


def _hub_message(exc: BaseException, spec: Any, task_name: str) -> str | None:
    import httpx
    from huggingface_hub import errors

    where = f"task '{task_name}': Hugging Face dataset {spec.repo}"
    page = f"{hub_endpoint()}/datasets/{spec.repo}"
    if isinstance(exc, errors.GatedRepoError):
        token = "HF_TOKEN is set but its account has no access" if hub_token() else "no HF_TOKEN is set"
        return f"{where} is gated ({token}): accept its terms at {page}, then set HF_TOKEN (or run `hf auth login`)"
    if isinstance(exc, errors.RepositoryNotFoundError):
        return f"{where} was not found at {hub_endpoint()} (a private dataset needs HF_TOKEN)"
    if isinstance(exc, errors.RevisionNotFoundError):
        return f"{where} has no revision '{spec.revision}'"
    if isinstance(exc, (errors.EntryNotFoundError, errors.RemoteEntryNotFoundError)):
        return f"{where}: file not found ({' '.join(str(exc).split())})"
    if isinstance(exc, errors.OfflineModeIsEnabled):
        return f"{where} is not in the local Hub cache and the Hub may not be asked (HF_HUB_OFFLINE): {fetch_hint(task_name)}"
    if isinstance(exc, (errors.LocalEntryNotFoundError, httpx.HTTPError, OSError)):
        return f"{where}: the Hub at {hub_endpoint()} could not be reached ({type(exc).__name__}: {exc}); {fetch_hint(task_name)}"
    if isinstance(exc, errors.HfHubHTTPError):
        return f"{where}: the Hub answered {exc}"
    return None


def fetch_hint(task_name: str) -> str:
    return f"run `python -m harness data fetch {task_name}` when online"
