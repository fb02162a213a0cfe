"""Content hashes every layer records: of canonical JSON (prompts, identities, settings) and of files.

One definition, so a prompt hash written by a run, checked by ``verify`` and shown on the
leaderboard is computed the same way everywhere.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def fingerprint(*parts: Any) -> str:
    """sha256 of the canonical JSON of the parts (prompt templates, reference, output settings)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
