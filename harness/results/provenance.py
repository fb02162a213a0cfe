"""Where a result came from: harness version and commit."""

from __future__ import annotations

import subprocess
import threading
from functools import lru_cache
from pathlib import Path

import harness


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the harness source, when it runs from a git checkout (suffix ``+dirty`` if modified)."""
    root = Path(harness.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def harness_info() -> dict[str, str | None]:
    return {"version": harness.__version__, "git_commit": git_commit()}


def prefetch() -> None:
    """Look the commit up on a thread now (two ``git`` calls, 10-30 ms) so a run's end finds it cached."""
    if git_commit.cache_info().currsize == 0:
        threading.Thread(target=git_commit, name="harness-provenance", daemon=True).start()
