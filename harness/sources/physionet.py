"""ECG records from PhysioNet, fetched with ``wfdb``'s download functions and checked before use.

A task declares the database its records come from (``ecg: {physionet: {database: ptb-xl,
version: 1.0.3}}``); the ECG layer maps each sample's reference to a record path in that database
(``ptbxl_img/06000`` -> ``records500/06000/06000_hr``) and asks this module for the records it
does not have. For each record:

- ``wfdb.io.download.dl_pn_file`` downloads the header, then the signal files the header names,
  into a staging folder (``<mirror>/.partial``); wfdb resumes a partial file there by appending
  the missing bytes with a range request;
- each file is checked against the database's published ``SHA256SUMS.txt`` (downloaded once per
  version into the mirror), then moved into place by an atomic rename; a file whose digest
  differs is deleted and reported with its URL, so nothing unchecked is ever read;
- the mirror is ``<cache_dir>/physionet/<database>/<version>/``, in PhysioNet's own layout, so
  the ECG layer finds fetched records like any local copy, and later runs reuse them.

The host is ``HARNESS_PHYSIONET_URL`` (default https://physionet.org): wfdb is pointed at it
through its own configuration (``wfdb.set_db_index_url`` for ``/files/``; the module constant
``PN_CONTENT_URL`` for ``/content/``, which ``dl_files``/``dl_database`` consult first).
Credentialed databases are never fetched anonymously: the error says how to use a local copy.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import DataError
from harness.paths import cache_root
from harness.sources.progress import bar, human_bytes, note
from harness.sources.settings import physionet_url

CONNECTIONS = 2  # wfdb's own limit ("to avoid overloading the server")


@dataclass(frozen=True)
class Database:
    access: str  # "open" or "credentialed", as PhysioNet lists the project
    license: str | None  # None: see the project's page
    record_bytes: int | None = None  # a record's header + signal, for size estimates without asking the host


# What the harness knows about the databases its tasks name (sizes: 12 leads x 5000 samples x 2 bytes + header).
# MIMIC-IV-ECG 1.0 is an Open Access project on PhysioNet (unlike the MIMIC-IV clinical database).
DATABASES = {
    "ptb-xl": Database("open", "CC BY 4.0", 121_300),
    "mimic-iv-ecg": Database("open", None, 121_200),
}


@dataclass(frozen=True)
class PhysioNetSource:
    database: str
    version: str
    access: str = "open"

    @classmethod
    def from_spec(cls, value: Any, *, where: str) -> PhysioNetSource:
        """``{database, version[, access]}`` from a task's ``ecg.physionet`` block."""
        if not isinstance(value, dict) or not value.get("database") or not value.get("version"):
            raise DataError(f"{where}: ecg.physionet needs {{database: NAME, version: X.Y.Z}}, got {value!r}")
        unknown = set(value) - {"database", "version", "access"}
        if unknown:
            raise DataError(f"{where}: ecg.physionet: unknown key(s) {sorted(unknown)} (database, version, access)")
        known = DATABASES.get(str(value["database"]))
        access = str(value.get("access") or (known.access if known else "open"))
        if access not in ("open", "credentialed"):
            raise DataError(f"{where}: ecg.physionet.access must be open or credentialed, got {access!r}")
        return cls(str(value["database"]), str(value["version"]), access)

    @property
    def label(self) -> str:
        return f"PhysioNet {self.database} {self.version}"

    @property
    def page(self) -> str:
        return f"https://physionet.org/content/{self.database}/{self.version}/"

    def mirror(self, cache_dir: Path | None = None) -> Path:
        return cache_root(cache_dir) / "physionet" / self.database / self.version

    def url(self, rel: str) -> str:
        return f"{physionet_url()}/files/{self.database}/{self.version}/{rel}"

    def estimate(self, n_records: int) -> int | None:
        known = DATABASES.get(self.database)
        return n_records * known.record_bytes if known and known.record_bytes else None

    def credentialed_message(self, task_name: str) -> str:
        return (
            f"task '{task_name}': {self.label} is credentialed and is not downloaded anonymously: get it with your "
            f"PhysioNet account ({self.page}) and pass data_dir=PATH to the folder that holds its records"
        )


@dataclass
class FetchReport:
    fetched: list[str] = field(default_factory=list)  # record paths now in the mirror
    failed: dict[str, str] = field(default_factory=dict)  # record path -> why
    bytes: int = 0


def configure_wfdb() -> None:
    """Point wfdb at the PhysioNet host (or its mirror): its index URL and its content URL."""
    import wfdb
    from wfdb.io import download

    base = physionet_url()
    wfdb.set_db_index_url(f"{base}/files/")
    download.PN_CONTENT_URL = f"{base}/content/"


def fetch_records(
    source: PhysioNetSource, records: Iterable[str], *, cache_dir: Path | None, task_name: str
) -> FetchReport:
    """Download ``records`` (paths without extension) into the mirror, each file checked (module docstring)."""
    records = sorted(set(records))
    report = FetchReport()
    if not records:
        return report
    if source.access == "credentialed":
        raise DataError(source.credentialed_message(task_name))
    configure_wfdb()
    mirror = source.mirror(cache_dir)
    sums = checksums(source, cache_dir, task_name=task_name)
    estimate = source.estimate(len(records))
    note(
        f"task '{task_name}': fetching {len(records)} record(s) from {source.label} "
        f"({'≈' + human_bytes(estimate) if estimate else 'size unknown'}) into {mirror}"
    )
    with bar(f"{task_name}: {source.database} records", len(records), unit="records") as advance:
        with contextlib.redirect_stdout(io.StringIO()), ThreadPoolExecutor(CONNECTIONS) as pool:  # wfdb prints
            for rel, outcome in zip(records, pool.map(lambda r: _fetch_one(source, r, mirror, sums), records)):
                if isinstance(outcome, int):
                    report.fetched.append(rel)
                    report.bytes += outcome
                else:
                    report.failed[rel] = outcome
                advance(1)
    if report.failed:
        first = next(iter(report.failed.items()))
        note(f"task '{task_name}': {len(report.failed)} record(s) could not be fetched, e.g. {first[0]}: {first[1]}")
    return report


def checksums(source: PhysioNetSource, cache_dir: Path | None, *, task_name: str) -> dict[str, str]:
    """``relative path -> sha256`` from the database's ``SHA256SUMS.txt`` (downloaded once per version)."""
    from harness.sources.download import DownloadFailed, download

    path = source.mirror(cache_dir) / "SHA256SUMS.txt"
    if not path.is_file():
        try:
            download(source.url("SHA256SUMS.txt"), path, label=f"{source.database} SHA256SUMS.txt")
        except DownloadFailed as exc:
            if exc.status in (401, 403):
                raise DataError(source.credentialed_message(task_name)) from None
            raise DataError(f"task '{task_name}': {exc}; the records cannot be checked, so none was fetched") from None
    out = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        digest, _, name = line.strip().partition(" ")
        if len(digest) == 64 and name:
            out[name.strip().lstrip("*")] = digest.lower()
    return out


def _fetch_one(source: PhysioNetSource, rel: str, mirror: Path, sums: dict[str, str]) -> int | str:
    """Bytes fetched for one record (header + signal files), or why it failed."""
    import wfdb

    got = 0
    try:
        got += _file(source, f"{rel}.hea", mirror, sums)
        header = wfdb.rdheader(str(mirror / rel))
        folder = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
        for name in sorted({f for f in (header.file_name or []) if f}):
            got += _file(source, folder + name, mirror, sums)
    except DataError as exc:
        return str(exc)
    return got


def _file(source: PhysioNetSource, rel: str, mirror: Path, sums: dict[str, str]) -> int:
    """One file into the mirror via wfdb (resumed from the staging folder), verified, renamed into place."""
    from wfdb.io import _url, download

    from harness.hashing import sha256_file

    final = mirror / rel
    if final.is_file():
        return 0
    expected = sums.get(rel)
    if expected is None:
        raise DataError(f"{rel} is not listed in {source.url('SHA256SUMS.txt')}: it cannot be checked")
    staging = mirror / ".partial"
    subdir, base = rel.rsplit("/", 1) if "/" in rel else ("", rel)
    before = (staging / rel).stat().st_size if (staging / rel).exists() else 0
    (staging / subdir).mkdir(parents=True, exist_ok=True)
    try:
        download.dl_pn_file((base, subdir, f"{source.database}/{source.version}", str(staging), True, False))
    except _url.NetFilePermissionError:
        raise DataError(f"{source.url(rel)}: access denied (a credentialed database? see {source.page})") from None
    except _url.NetFileNotFoundError:
        raise DataError(f"{source.url(rel)}: not found") from None
    except OSError as exc:  # connection errors, and wfdb's NetFileError
        raise DataError(f"{source.url(rel)}: {exc}") from None
    digest = sha256_file(staging / rel)
    if digest != expected:
        (staging / rel).unlink(missing_ok=True)
        raise DataError(
            f"sha256 mismatch for {source.url(rel)} (file {rel}): expected {expected}, got {digest}; deleted"
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    size = (staging / rel).stat().st_size
    os.replace(staging / rel, final)
    return size - before
