"""Finding a task's data file and turning it into mapped records ("docs").

Lookup order: the data directory (``data_dir`` setting / ``HARNESS_DATA_DIR``), then the
download cache, then the task's pinned URL (downloaded once, verified against its sha256).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import DataError
from harness.hashing import sha256_file
from harness.task.spec import DatasetSpec

# A loader reads a file into records; `options` are the task's dataset.options.
DatasetLoader = Callable[[Path, dict[str, Any]], Iterator[dict[str, Any]]]


@dataclass(frozen=True)
class ResolvedData:
    path: Path
    sha256: str
    origin: str  # "data_dir", "cache" or "download"


def resolve_data_file(
    spec: DatasetSpec, *, data_dir: Path | None, cache_dir: Path, task_name: str, offline: bool = False
) -> ResolvedData:
    """The local file for a task's dataset, downloading it once if it has a URL."""
    looked: list[str] = []
    if spec.path:
        candidates = [Path(spec.path)] if Path(spec.path).is_absolute() else []
        if data_dir is not None:
            candidates.append(Path(data_dir) / spec.path)
        for candidate in candidates:
            looked.append(str(candidate))
            if candidate.is_file():
                return ResolvedData(candidate, _checked(candidate, spec, task_name), "data_dir")
    if spec.url:
        cached = (
            cache_dir / "data" / (spec.sha256 or hashlib.sha256(spec.url.encode()).hexdigest()) / Path(spec.url).name
        )
        looked.append(str(cached))
        if cached.is_file():
            return ResolvedData(cached, _checked(cached, spec, task_name), "cache")
        if not offline:
            try:
                _download(spec.url, cached, spec.sha256, task_name)
                return ResolvedData(cached, sha256_file(cached), "download")
            except _DownloadFailed as exc:  # reported with every other place looked in
                looked.append(f"{spec.url} (download failed: {exc.reason})")
        else:
            looked.append(f"{spec.url} (not fetched: offline)")
    where = "\n".join(f"    {p}" for p in looked) or "    (no data directory is set: data_dir=... or HARNESS_DATA_DIR)"
    hint = f"\n  expected content: {spec.expected_schema}" if spec.expected_schema else ""
    data_hint = "" if data_dir else "\n  no data directory is set: pass data_dir=PATH or set HARNESS_DATA_DIR"
    missing = spec.path or Path(spec.url or "").name
    raise DataError(f"task '{task_name}': data file not found: {missing}. Looked in:\n{where}{hint}{data_hint}")


def _checked(path: Path, spec: DatasetSpec, task_name: str) -> str:
    digest = sha256_file(path)
    if spec.sha256 and digest != spec.sha256:
        raise DataError(
            f"task '{task_name}': sha256 mismatch for {path}\n  expected {spec.sha256}\n  found    {digest}\n"
            "  the file differs from the pinned upstream version; replace it or fix the task's dataset.sha256"
        )
    return digest


class _DownloadFailed(DataError):
    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


def _download(url: str, target: Path, sha256: str | None, task_name: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 (pinned URL)
            for block in iter(lambda: resp.read(1 << 20), b""):
                out.write(block)
        digest = sha256_file(Path(tmp))
        if sha256 and digest != sha256:
            raise DataError(
                f"task '{task_name}': sha256 mismatch for download {url}\n  expected {sha256}\n  found    {digest}"
            )
        os.replace(tmp, target)
    except OSError as exc:
        raise _DownloadFailed(f"task '{task_name}': could not download {url}: {exc}", reason=str(exc)) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def dotted(record: Any, path: str) -> Any:
    """``record['a']['b']`` for ``'a.b'``; list indices allowed (``'conversation.1.value'``)."""
    value = record
    for part in path.split("."):
        if isinstance(value, list) and part.lstrip("-").isdigit():
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise KeyError(path)
    return value


@dataclass(frozen=True)
class Doc:
    """One mapped dataset record."""

    id: str
    fields: dict[str, Any]  # template variables: the mapped fields plus every raw field


def iter_docs(spec: DatasetSpec, path: Path, loader: DatasetLoader, *, task_name: str) -> Iterator[Doc]:
    """Mapped records in file order. A record missing a mapped field is an error naming it."""
    records = loader(path, spec.options)
    if spec.records:
        records = _nested(records, spec.records, path)
    for position, record in enumerate(records):
        if not isinstance(record, dict):
            raise DataError(
                f"task '{task_name}': {path}: record {position} is a {type(record).__name__}, expected an object"
            )
        if spec.split is not None and record.get("split") != spec.split:
            continue
        fields = dict(record)
        for name, source in spec.fields.items():
            try:
                fields[name] = dotted(record, source)
            except (KeyError, IndexError):
                raise DataError(
                    f"task '{task_name}': {path}: record {position} has no field '{source}' (mapped to '{name}')"
                    + (f"; expected: {spec.expected_schema}" if spec.expected_schema else "")
                ) from None
        doc_id = str(record[spec.id_field]) if spec.id_field and spec.id_field in record else str(position)
        yield Doc(doc_id, fields)


def _nested(records: Iterator[dict[str, Any]], dotted_path: str, path: Path) -> Iterator[dict[str, Any]]:
    for top in records:
        try:
            inner = dotted(top, dotted_path)
        except KeyError:
            raise DataError(f"{path}: no '{dotted_path}' inside the file (dataset.records)") from None
        yield from inner
