"""Where the harness keeps what it reuses across runs: one resolver for the user cache.

``cache_dir=`` (a run setting), else ``HARNESS_CACHE_DIR``, else ``~/.cache/ecg-harness``. The
response cache, downloaded data, PhysioNet records, rendered ECGs and metric tables all live under
it, so one setting moves (or isolates) all of them.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "HARNESS_CACHE_DIR"


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """The user cache: ``cache_dir`` if given, else ``$HARNESS_CACHE_DIR``, else ``~/.cache/ecg-harness``."""
    if cache_dir:
        return Path(cache_dir).expanduser()
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "ecg-harness"
