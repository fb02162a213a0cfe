"""The selected rows of a Parquet split on the Hub, read by HTTP range requests.

``HfFileSystem`` opens each remote file as a seekable file whose reads are range requests
(``cache_type="none"``: exactly the bytes asked for, no read-ahead); pyarrow reads the footer,
then only the row groups that hold the selected rows. The rows are written to one Parquet file in
the harness cache (``<cache_dir>/hub/<owner>--<name>/<commit>/<key>.parquet``, with a JSON note of
what was read), keyed by the repository, commit, subset, split and the selection rule, so the
same selection costs nothing the next time. When the selection needs most of the row groups,
the whole file is downloaded instead (into the Hub cache, where later runs find it).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.sources.hub_repo import HubData, RemoteFile, RowRequest, describe_repo, hub_errors
from harness.sources.progress import human_bytes, note
from harness.sources.settings import hub_endpoint, hub_token

FULL_DOWNLOAD_SHARE = 0.5  # above this share of row groups, download the file once instead


def rows_file(spec: Any, commit: str, rows: RowRequest, cache_dir: Path) -> Path:
    ident = json.dumps(
        {
            "repo": spec.repo,
            "commit": commit,
            "config": spec.config,
            "split": spec.split,
            "files": spec.files,
            "rows": rows.key,
        },
        sort_keys=True,
    )
    key = hashlib.sha256(ident.encode()).hexdigest()[:24]
    return Path(cache_dir) / "hub" / spec.repo.replace("/", "--") / commit / f"{key}.parquet"


def cached_rows(spec: Any, commit: str, rows: RowRequest, cache_dir: Path) -> HubData | None:
    path = rows_file(spec, commit, rows, cache_dir)
    meta = path.with_suffix(".json")
    if not (path.is_file() and meta.is_file()):
        return None
    info = json.loads(meta.read_text())
    return HubData([path], commit, [RemoteFile(**f) for f in info["files"]], "rows", info["rows"])


@dataclass
class RowPlan:
    """Which row groups hold the selected rows, read from the files' footers."""

    positions: list[int]
    counts: list[int]  # rows per file
    groups: list[tuple[list[int], list[int]]]  # per file: row groups to read, each row's index in them
    n_groups: int
    bytes_needed: int

    @property
    def n_needed(self) -> int:
        return sum(len(g) for g, _ in self.groups)

    @property
    def worth_it(self) -> bool:
        """Reading these row groups beats downloading the whole split (which later runs then reuse)."""
        return not self.n_groups or self.n_needed <= FULL_DOWNLOAD_SHARE * self.n_groups


@contextmanager
def _opened(spec: Any, commit: str, files: list[RemoteFile]) -> Iterator[list[Any]]:
    """The remote files as pyarrow ``ParquetFile`` objects over range-reading ``HfFileSystem`` files."""
    import pyarrow.parquet as pq
    from huggingface_hub import HfFileSystem

    fs = HfFileSystem(endpoint=hub_endpoint(), token=hub_token(), skip_instance_cache=True)
    handles = []
    try:
        for f in files:
            handles.append(
                fs.open(f"datasets/{spec.repo}@{commit}/{f.path}", "rb", block_size=1 << 20, cache_type="none")
            )
        yield [pq.ParquetFile(h) for h in handles]
    finally:
        for h in handles:
            h.close()


def _plan(parquet: list[Any], rows: RowRequest) -> RowPlan:
    counts = [p.metadata.num_rows for p in parquet]
    positions = sorted(set(rows.positions(sum(counts))))
    groups = [
        _groups(p, [i - start for i in positions if start <= i < start + n]) for p, start, n in _spans(parquet, counts)
    ]
    n_groups = sum(p.metadata.num_row_groups for p in parquet)
    needed = sum(_group_bytes(p, g) for p, (g, _) in zip(parquet, groups))
    return RowPlan(positions, counts, groups, n_groups, needed)


def plan_rows(spec: Any, commit: str, files: list[RemoteFile], rows: RowRequest, *, task_name: str) -> RowPlan:
    """What a partial read would fetch (footers only), for ``data fetch --dry-run``."""
    with hub_errors(spec, task_name), _opened(spec, commit, files) as parquet:
        return _plan(parquet, rows)


def read_rows(
    spec: Any, commit: str, files: list[RemoteFile], rows: RowRequest, *, cache_dir: Path, task_name: str
) -> HubData | None:
    """The selected rows as a local Parquet file, or None when downloading the whole split is the better deal."""
    import pyarrow as pa

    with hub_errors(spec, task_name), _opened(spec, commit, files) as parquet:
        plan = _plan(parquet, rows)
        if not plan.worth_it:
            return None
        tables = [p.read_row_groups(g).take(take) for p, (g, take) in zip(parquet, plan.groups) if g]
        table = pa.concat_tables(tables) if tables else parquet[0].schema_arrow.empty_table()
    total = sum(plan.counts)
    info = {
        "rows_read": len(plan.positions),
        "rows_total": total,
        "row_groups_read": plan.n_needed,
        "row_groups_total": plan.n_groups,
        "bytes_read": plan.bytes_needed,
        "bytes_total": sum(f.size or 0 for f in files) or None,
        "rule": rows.key,
    }
    path = _write(spec, commit, rows, cache_dir, table, files, info)
    note(
        f"task '{task_name}': read {len(plan.positions)} of {total} rows ({plan.n_needed} of {plan.n_groups} row "
        f"groups, {human_bytes(plan.bytes_needed)} of {human_bytes(info['bytes_total'])}) of {describe_repo(spec)} "
        f"@ {commit[:12]} by HTTP range requests"
    )
    return HubData([path], commit, files, "rows", info)


def _spans(parquet: list[Any], counts: list[int]) -> list[tuple[Any, int, int]]:
    out, start = [], 0
    for p, n in zip(parquet, counts):
        out.append((p, start, n))
        start += n
    return out


def _groups(pf: Any, local: list[int]) -> tuple[list[int], list[int]]:
    """The row groups holding the file-local rows ``local``, and each row's index in those groups' table."""
    meta = pf.metadata
    starts, at = [], 0
    for g in range(meta.num_row_groups):
        starts.append(at)
        at += meta.row_group(g).num_rows
    group_of = [bisect.bisect_right(starts, i) - 1 for i in local]
    groups = sorted(set(group_of))
    offset, base = {}, 0
    for g in groups:
        offset[g] = base
        base += meta.row_group(g).num_rows
    take = [offset[g] + i - starts[g] for i, g in zip(local, group_of)]
    return groups, take


def _group_bytes(pf: Any, groups: list[int]) -> int:
    meta = pf.metadata
    return sum(
        meta.row_group(g).column(c).total_compressed_size for g in groups for c in range(meta.row_group(g).num_columns)
    )


def _write(
    spec: Any, commit: str, rows: RowRequest, cache_dir: Path, table: Any, files: list[RemoteFile], info: dict[str, Any]
) -> Path:
    import pyarrow.parquet as pq

    path = rows_file(spec, commit, rows, cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    meta = {"files": [vars(f) for f in files], "rows": info}
    tmp_meta = path.with_suffix(f".json.{os.getpid()}.tmp")
    tmp_meta.write_text(json.dumps(meta, indent=1))
    os.replace(tmp_meta, path.with_suffix(".json"))
    return path
