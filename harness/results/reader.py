"""Reading a finished run directory back as plain JSON: its results.json and samples.jsonl, with a
one-line error naming the file (and line) when either is not what the writer writes. The commands
that audit or compare runs (``verify``, ``compare``) read runs through here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.errors import HarnessError


def run_dir_of(path: Path) -> Path:
    """A run directory, given it or its results.json."""
    return path.parent if path.name == "results.json" else path


def read_results(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "results.json"
    if not path.is_file():
        raise HarnessError(f"{run_dir}: no results.json here (give a run directory)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise HarnessError(f"{path}: not valid JSON ({exc})") from None


def read_samples(run_dir: Path) -> list[dict[str, Any]] | None:
    """The run's sample records in file order, or None when it has no samples.jsonl."""
    path = run_dir / "samples.jsonl"
    if not path.is_file():
        return None
    records = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    raise HarnessError(f"{path}:{number}: not valid JSON") from None
    return records
