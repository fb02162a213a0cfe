"""Finding a task's data and turning it into mapped records ("docs").

Lookup order: the data directory (``data_dir`` setting / ``HARNESS_DATA_DIR``) + ``dataset.path``,
then the download cache, then the task's source: a pinned URL (``dataset.url``, downloaded once,
verified against ``dataset.sha256``) or a Hugging Face Hub dataset (``dataset.hub``). Each host
lives in its own module under :mod:`harness.sources`. When none of these gives the file and the
task names a local excerpt of it (``dataset.excerpt``), the excerpt is read and the run says so
(console and ``results.json``: ``task.data.origin == "excerpt"``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.dotted import dotted
from harness.errors import DataError
from harness.hashing import sha256_file
from harness.settings import Settings, validate_settings
from harness.sources.download import DownloadFailed
from harness.task.spec import DatasetSpec

__all__ = [
    "DatasetLoader",
    "Doc",
    "Loader",
    "as_loader",
    "ResolvedData",
    "dotted",
    "iter_docs",
    "resolve_data_file",
    "sha256_file",
]


@dataclass(frozen=True)
class Loader:
    """A dataset format: ``read(path, settings)`` yields the file's records; ``Settings`` is the
    typed ``dataset.options`` block it accepts (none by default: any option is then a typo)."""

    read: Callable[[Path, Any], Iterator[dict[str, Any]]]
    Settings: type[Settings] = Settings


# What the harness_dataset_loaders hook accepts: a Loader, or a plain function ``(path, options
# dict) -> records`` that takes no options.
DatasetLoader = Loader | Callable[[Path, dict[str, Any]], Iterator[dict[str, Any]]]


def as_loader(registered: DatasetLoader) -> Loader:
    if isinstance(registered, Loader):
        return registered
    return Loader(lambda path, settings: registered(path, settings.model_dump()))


@dataclass(frozen=True)
class ResolvedData:
    """The local file(s) a task reads, and where they came from (reported in results.json ``task.data``)."""

    path: Path
    sha256: str
    origin: str  # "data_dir", "cache", "download", "hub_cache", "rows" (part of a Hub split) or "excerpt"
    paths: tuple[Path, ...] = ()  # several files (a Hub split in shards); empty: just ``path``
    sha256_pinned: bool = False  # the sha256 was checked against the task's pin
    hub: dict[str, Any] | None = None  # repo, revision, commit, files, partial read

    @property
    def files(self) -> tuple[Path, ...]:
        return self.paths or (self.path,)

    def describe(self, spec: DatasetSpec) -> dict[str, Any]:
        """``results.json['task']['data']`` (without ``n_records``, which the task counts)."""
        out: dict[str, Any] = {
            "path": spec.excerpt if self.origin == "excerpt" else spec.path,
            "url": spec.url,
            "sha256": self.sha256,
            "sha256_pinned": self.sha256_pinned,
            "origin": self.origin,
        }
        if self.hub is not None:
            out["hub"] = self.hub
        return out


def resolve_data_file(
    spec: DatasetSpec,
    *,
    data_dir: Path | None,
    cache_dir: Path,
    task_name: str,
    offline: bool = False,
    rows: Any = None,
) -> ResolvedData:
    """The local file(s) for a task's dataset, downloading what the run needs (module docstring).

    ``rows`` (a :class:`harness.sources.hub.RowRequest`) limits a Hub download to the selected rows."""
    from harness.sources import offline_requested

    offline = offline_requested(offline)
    looked: list[str] = []
    found = _local(spec, data_dir, task_name, looked)
    if found is None and spec.url:
        found = _from_url(spec, Path(cache_dir), task_name, offline, looked)
    if found is None and spec.hub is not None:
        found = _from_hub(spec, Path(cache_dir), task_name, offline, rows, looked)
    if found is None and spec.excerpt and data_dir is not None:
        found = _excerpt(spec, Path(data_dir), task_name, offline, looked)
    if found is not None:
        return found
    where = "\n".join(f"    {p}" for p in looked) or "    (no data directory is set: data_dir=... or HARNESS_DATA_DIR)"
    hint = f"\n  expected content: {spec.expected_schema}" if spec.expected_schema else ""
    data_hint = "" if data_dir else "\n  no data directory is set: pass data_dir=PATH or set HARNESS_DATA_DIR"
    if offline and (spec.url or spec.hub):
        data_hint += f"\n  offline: run `python -m harness data fetch {task_name}` when online"
    missing = spec.path or Path(spec.url or "").name or (spec.hub.repo if spec.hub else "")
    raise DataError(f"task '{task_name}': data file not found: {missing}. Looked in:\n{where}{hint}{data_hint}")


def _local(spec: DatasetSpec, data_dir: Path | None, task_name: str, looked: list[str]) -> ResolvedData | None:
    if not spec.path:
        return None
    candidates = [Path(spec.path)] if Path(spec.path).is_absolute() else []
    if data_dir is not None:
        candidates.append(Path(data_dir) / spec.path)
    for candidate in candidates:
        looked.append(str(candidate))
        if candidate.is_file():
            return ResolvedData(
                candidate, _checked(candidate, spec, task_name), "data_dir", sha256_pinned=bool(spec.sha256)
            )
    return None


def _from_url(
    spec: DatasetSpec, cache_dir: Path, task_name: str, offline: bool, looked: list[str]
) -> ResolvedData | None:
    from harness.sources import url as url_source

    assert spec.url is not None
    looked.append(str(url_source.cached_path(spec.url, spec.sha256, cache_dir)))
    got = url_source.cached(spec.url, spec.sha256, cache_dir, task_name=task_name)
    if got is None and offline:
        looked.append(f"{spec.url} (not fetched: offline)")
        return None
    if got is None:
        try:
            got = url_source.fetch(spec.url, spec.sha256, cache_dir, task_name=task_name)
        except DownloadFailed as exc:  # reported with every other place looked in
            looked.append(f"{spec.url} (download failed: {exc.reason})")
            return None
    return ResolvedData(got.path, got.sha256, got.origin, sha256_pinned=got.pinned)


def _from_hub(
    spec: DatasetSpec, cache_dir: Path, task_name: str, offline: bool, rows: Any, looked: list[str]
) -> ResolvedData | None:
    from harness.sources import hub

    assert spec.hub is not None
    try:
        got = hub.resolve(spec.hub, cache_dir=cache_dir, offline=offline, rows=rows, task_name=task_name)
    except DataError as exc:
        if not spec.excerpt:
            local = f"\n  not in the data directory either (looked in {', '.join(looked)})" if looked else ""
            raise DataError(f"{exc}{local}") from None
        looked.append(f"Hugging Face dataset {spec.hub.repo}: {exc}")
        return None
    return ResolvedData(
        got.paths[0],
        got.sha256,
        got.origin,
        paths=tuple(got.paths),
        sha256_pinned=False,
        hub=got.describe(spec.hub),
    )


def _excerpt(
    spec: DatasetSpec, data_dir: Path, task_name: str, offline: bool, looked: list[str]
) -> ResolvedData | None:
    from harness.sources.progress import note

    assert spec.excerpt is not None
    path = data_dir / spec.excerpt
    looked.append(f"{path} (the local excerpt)")
    if not path.is_file():
        return None
    why = "offline" if offline else f"the full file could not be had: {looked[-2] if len(looked) > 1 else 'no source'}"
    note(
        f"task '{task_name}': reading the local excerpt {spec.excerpt} ({why}), not the full upstream file; "
        f"get the full file with `python -m harness data fetch {task_name}` (results.json: task.data.origin = excerpt)"
    )
    return ResolvedData(path, sha256_file(path), "excerpt")


def _checked(path: Path, spec: DatasetSpec, task_name: str) -> str:
    digest = sha256_file(path)
    if spec.sha256 and digest != spec.sha256:
        raise DataError(
            f"task '{task_name}': sha256 mismatch for {path}\n  expected {spec.sha256}\n  found    {digest}\n"
            "  the file differs from the pinned upstream version; replace it or fix the task's dataset.sha256"
        )
    return digest


@dataclass(frozen=True)
class Doc:
    """One mapped dataset record."""

    id: str
    fields: dict[str, Any]  # template variables: the mapped fields plus every raw field


def iter_docs(
    spec: DatasetSpec, path: Path | Sequence[Path], loader: Loader, *, task_name: str, options: Any = None
) -> Iterator[Doc]:
    """Mapped records in file order (several files: one after the other). A record missing a mapped
    field is an error naming it."""
    for position, (file, record) in enumerate(_records(spec, path, loader, options, task_name)):
        if not isinstance(record, dict):
            raise DataError(
                f"task '{task_name}': {file}: record {position} is a {type(record).__name__}, expected an object"
            )
        if spec.split is not None and record.get("split") != spec.split:
            continue
        fields = dict(record)
        for name, source in spec.fields.items():
            try:
                fields[name] = dotted(record, source)
            except (KeyError, IndexError):
                raise DataError(
                    f"task '{task_name}': {file}: record {position} has no field '{source}' (mapped to '{name}')"
                    + (f"; expected: {spec.expected_schema}" if spec.expected_schema else "")
                ) from None
        doc_id = str(record[spec.id_field]) if spec.id_field and spec.id_field in record else str(position)
        yield Doc(doc_id, fields)


def count_records(
    spec: DatasetSpec, path: Path | Sequence[Path], loader: Loader, *, task_name: str, options: Any = None
) -> int:
    """The records :func:`iter_docs` would yield, counted without mapping them: a record the run
    does not select may lack a mapped field without failing the run (only the selected ones are mapped)."""
    records = (record for _, record in _records(spec, path, loader, options, task_name))
    if spec.split is None:
        return sum(1 for _ in records)
    return sum(1 for record in records if isinstance(record, dict) and record.get("split") == spec.split)


def _records(
    spec: DatasetSpec, path: Path | Sequence[Path], loader: Loader, options: Any, task_name: str
) -> Iterator[tuple[Path, Any]]:
    """Every raw record of the file(s), in order, with its file (``options``: the loader's, checked here when None)."""
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    if options is None:
        options = validate_settings(loader.Settings, spec.options, where=f"task '{task_name}': dataset.options")
    for file in paths:
        records = loader.read(file, options)
        if spec.records:
            records = _nested(records, spec.records, file)
        for record in records:
            yield file, record


def _nested(records: Iterator[dict[str, Any]], dotted_path: str, path: Path) -> Iterator[dict[str, Any]]:
    for top in records:
        try:
            inner = dotted(top, dotted_path)
        except KeyError:
            raise DataError(f"{path}: no '{dotted_path}' inside the file (dataset.records)") from None
        yield from inner
