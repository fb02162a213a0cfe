"""A replica of PhysioNet's file server, for tests: real PTB-XL records in PhysioNet's URL layout.

PhysioNet serves a database version under ``/files/<database>/<version>/`` (records, ``RECORDS``,
``SHA256SUMS.txt``) and describes it under ``/content/<database>/`` (an HTML page whose
"Version: x" line ``wfdb.get_version`` reads). The replica builds that tree from the real
PTB-XL records in the data directory (``ecg_signals/cinc2021/HR06000`` … ``HR06009`` are PTB-XL
ecg_id 6000-6009, re-released by the CinC 2021 challenge), converted to PTB-XL's native WFDB
layout with ``wfdb`` itself: ``records500/06000/06000_hr.hea`` + a format-16 ``.dat``, the same
digital samples, gains and baselines. Files are served with HTTP ranges (``wfdb`` reads ``.dat``
files by range). A database listed in ``credentialed`` answers 401 with a Basic challenge, as
PhysioNet does for anonymous requests to credentialed projects.

    python -m harness.testing.physionet_replica --data-dir ../shared/data --port 0
    # prints "physionet_replica listening on http://127.0.0.1:PORT"; point HARNESS_PHYSIONET_URL at it
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from harness.testing.replica_server import ReplicaServer, Reply, Request

PTBXL = ("ptb-xl", "1.0.3")
PTBXL_IDS = tuple(range(6000, 6010))  # the PTB-XL ecg_ids whose real signals the data directory holds
_NATIVE_LEADS = {"aVR": "AVR", "aVL": "AVL", "aVF": "AVF"}  # PTB-XL's own header spelling


def ptbxl_record_files(data_dir: Path, ids: Iterable[int] = PTBXL_IDS) -> dict[str, bytes]:
    """``records500/NNN00/NNNNN_hr.{hea,dat}`` -> bytes, written by ``wfdb.wrsamp`` from the CinC copies."""
    import wfdb

    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for ecg_id in ids:
            source = wfdb.rdrecord(str(Path(data_dir) / "ecg_signals" / "cinc2021" / f"HR{ecg_id:05d}"), physical=False)
            name = f"{ecg_id:05d}_hr"
            wfdb.wrsamp(
                name,
                fs=source.fs,
                units=["mV"] * source.n_sig,
                sig_name=[_NATIVE_LEADS.get(s, s) for s in source.sig_name],
                d_signal=source.d_signal,
                fmt=["16"] * source.n_sig,
                adc_gain=source.adc_gain,
                baseline=source.baseline,
                write_dir=tmp,
            )
            folder = f"records500/{ecg_id // 1000 * 1000:05d}"
            for ext in ("hea", "dat"):
                out[f"{folder}/{name}.{ext}"] = (Path(tmp) / f"{name}.{ext}").read_bytes()
    return out


def database_tree(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files plus the index files PhysioNet publishes beside them: ``RECORDS`` and ``SHA256SUMS.txt``."""
    records = sorted({path.rsplit(".", 1)[0] for path in files if path.endswith(".hea")})
    tree = dict(files)
    tree["RECORDS"] = "".join(f"{r}\n" for r in records).encode()
    sums = "".join(f"{hashlib.sha256(tree[p]).hexdigest()} {p}\n" for p in sorted(tree))
    tree["SHA256SUMS.txt"] = sums.encode()
    return tree


class PhysioNetReplica(ReplicaServer):
    """PhysioNet's ``/files`` and ``/content`` layout over ``databases[(name, version)] = {path: bytes}``."""

    def __init__(
        self,
        databases: dict[tuple[str, str], dict[str, bytes]],
        *,
        credentialed: Iterable[str] = (),
        port: int = 0,
    ) -> None:
        self.databases = {key: database_tree(files) for key, files in databases.items()}
        self.credentialed = set(credentialed)
        super().__init__(self._route, port=port)

    @classmethod
    def ptbxl(cls, data_dir: Path, **kwargs) -> PhysioNetReplica:
        """The replica of PTB-XL 1.0.3 holding the real records 06000-06009."""
        return cls({PTBXL: ptbxl_record_files(data_dir)}, **kwargs)

    def tree(self, database: str = PTBXL[0], version: str = PTBXL[1]) -> dict[str, bytes]:
        return self.databases[(database, version)]

    def _route(self, request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "content":
            return self._content(parts[1], parts[2] if len(parts) > 2 else None)
        if len(parts) >= 4 and parts[0] == "files":
            database, version, rel = parts[1], parts[2], "/".join(parts[3:])
            if database in self.credentialed:
                return Reply(401, b"Unauthorized", {"WWW-Authenticate": 'Basic realm="PhysioNet"'}, ranges=False)
            body = self.databases.get((database, version), {}).get(rel)
            if body is not None:
                return Reply(200, body, {"Content-Type": "application/octet-stream"})
        return Reply(404, b"Not Found", {"Content-Type": "text/plain"}, ranges=False)

    def _content(self, database: str, version: str | None) -> Reply:
        versions = sorted(v for d, v in self.databases if d == database)
        if not versions or (version and version not in versions):
            return Reply(404, b"Not Found", ranges=False)
        shown = version or versions[-1]
        access = "Credentialed Access" if database in self.credentialed else "Open Access"
        page = f"<html><body><p>Database {access}</p>\n<p>Version: {shown}</p>\n</body></html>\n"
        return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"}, ranges=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.testing.physionet_replica", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True, help="the data directory holding ecg_signals/cinc2021")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--credentialed", action="append", default=[], help="a database answered with 401")
    ns = parser.parse_args(argv)
    server = PhysioNetReplica.ptbxl(ns.data_dir, credentialed=ns.credentialed, port=ns.port)
    return server.serve_forever("physionet_replica")


if __name__ == "__main__":
    sys.exit(main())
