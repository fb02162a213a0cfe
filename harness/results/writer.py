"""Writing run outputs atomically: a crash never leaves a half-written results file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from harness.results.secrets import env_secrets, scrub


def _default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON text as UTF-8 can store it: characters as they are, except in a text holding a lone
    UTF-16 surrogate (json reads them from an escape such as ``"\\ud800"``), which is written
    escaped (ASCII) so the file stays valid UTF-8 and reads back the same."""
    text = json.dumps(value, ensure_ascii=False, default=_default, indent=indent, allow_nan=False)
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return json.dumps(value, ensure_ascii=True, default=_default, indent=indent, allow_nan=False)
    return text


def write_json_atomic(path: Path, value: Any) -> None:
    """Write scrubbed JSON to ``path`` via a temp file, fsync and rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dumps(scrub(value), indent=2)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


_datasync = getattr(os, "fdatasync", os.fsync)  # the data, not the metadata: cheaper where there is a difference


def stored_sample(record: dict[str, Any]) -> dict[str, Any]:
    """A sample as ``samples.jsonl`` stores it: each answer once. A ``prediction`` equal to the
    ``response`` (free text scored as written) is left out; read it back with :func:`sample_prediction`."""
    if "prediction" in record and record["prediction"] == record.get("response") and record["prediction"] is not None:
        return {key: value for key, value in record.items() if key != "prediction"}
    return record


def sample_prediction(record: dict[str, Any]) -> Any:
    """The prediction of a stored sample (absent: the response itself)."""
    return record["prediction"] if "prediction" in record else record.get("response")


class JsonlWriter:
    """Streams records to ``<path>.partial``; :meth:`commit` renames it into place.

    The file is synced to disk every ``sync_every`` characters as it grows, so the sync at the
    commit (at a run's end, when someone waits for it) has little left to write."""

    sync_every = 256 * 1024

    def __init__(self, path: Path):
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] | None = open(self.partial, "w", encoding="utf-8")
        self._env = env_secrets()  # once, not per record
        self._unsynced = 0

    def write(self, record: dict[str, Any]) -> None:
        assert self._fh is not None
        self._unsynced += self._fh.write(dumps(scrub(record, _env=self._env)) + "\n")
        if self._unsynced >= self.sync_every:
            self._fh.flush()
            _datasync(self._fh.fileno())
            self._unsynced = 0

    def commit(self) -> None:
        assert self._fh is not None
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = None
        os.replace(self.partial, self.path)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
