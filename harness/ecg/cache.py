"""A content-addressed disk cache for what is derived from a signal (images, measurements).

Keys are sha256 over the signal fingerprint (samples, rate, leads), the kind of artefact, its
parameters and a per-kind version, so a changed record, option or algorithm never reuses a
stale entry. Writes are atomic (temp file + rename): concurrent runs may race, never corrupt.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.paths import cache_root

ENV_VAR = "HARNESS_ECG_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$HARNESS_ECG_CACHE_DIR``, else ``$HARNESS_CACHE_DIR/ecg``, else ``~/.cache/ecg-harness/ecg``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return cache_root() / "ecg"


def cache_key(fingerprint: str, kind: str, params: dict[str, Any], version: str) -> str:
    blob = json.dumps({"f": fingerprint, "k": kind, "p": params, "v": version}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class ArtifactCache:
    """Bytes on disk under ``directory/<kind>/<key[:2]>/<key>``; ``directory=None`` disables caching."""

    directory: Path | None
    hits: int = 0
    misses: int = 0

    def path(self, kind: str, key: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / kind / key[:2] / key

    def get_or_compute(self, kind: str, key: str, compute: Callable[[], bytes]) -> bytes:
        target = self.path(kind, key)
        if target is not None and target.is_file():
            try:
                data = target.read_bytes()
            except OSError:
                data = None
            if data is not None:
                self.hits += 1
                return data
        self.misses += 1
        data = compute()
        if target is not None:
            _atomic_write(target, data)
        return data


def _atomic_write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_CACHES: dict[str, ArtifactCache] = {}


def get_cache(cache_dir: str | Path | None | bool = None) -> ArtifactCache:
    """The cache for a directory (one instance per directory, so hit counts add up).

    ``None`` -> :func:`default_cache_dir`; ``False`` -> no caching.
    """
    if cache_dir is False:
        return ArtifactCache(None)
    directory = default_cache_dir() if cache_dir in (None, True) else Path(cache_dir)  # type: ignore[arg-type]
    key = os.path.abspath(directory.expanduser())
    if key not in _CACHES:
        _CACHES[key] = ArtifactCache(Path(key))
    return _CACHES[key]
