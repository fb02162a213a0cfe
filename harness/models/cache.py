"""Persistent response cache (SQLite, WAL).

Keyed by the full model identity (backend, model, endpoint, generation parameters) and the
request content, so any change that could change an answer misses. Failed requests are not cached.

Kept off the event loop's back: an answer is handed to a writer thread (its own connection),
which commits it at once, in arrival order, together with whatever else has arrived meanwhile;
SQLite releases the GIL while it writes, so the loop keeps the server busy. A run killed with
kill -9 and started again re-issues no request whose answer had been committed, which is every
answer but those that arrived in the last moment (the writer's queue is usually empty; the
resume tests check this). Lookups come in batches (:meth:`get_many`, one query per chunk of a
task's requests); an answer that is queued but not yet written is found too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import queue
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from harness import fastjson
from harness.errors import HarnessError
from harness.models.base import Response, Usage

_SCHEMA = "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, body TEXT NOT NULL, created REAL DEFAULT (unixepoch('subsec')))"
_INSERT = "INSERT OR REPLACE INTO responses (key, body) VALUES (?, ?)"
_STOP = object()
_MAX_VARS = 500  # host parameters per lookup query (SQLite's limit is 999 in old builds)


def request_key(identity: dict[str, Any], messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """sha256 of ``[identity, messages, params]`` as ``json.dumps(sort_keys=True, ensure_ascii=False,
    separators=(",", ":"))`` writes it. orjson writes those very bytes for plain data, 5-10x faster
    (one key per request, on the event loop); data it would write differently (a float in exponent
    form or not finite, an integer beyond 64 bits, a key that is not a string) goes through json, so
    a key never changes and the cache stays valid across versions."""
    parts = [identity, messages, params]
    if _plain(parts):
        with contextlib.suppress(orjson.JSONEncodeError):  # a lone surrogate: json below
            return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _plain(value: Any) -> bool:
    """Whether orjson and json write ``value`` alike (see :func:`request_key`); a loop, not a
    recursion, as this runs once per request."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict:
            for key, inner in item.items():
                if type(key) is not str:
                    return False
                if type(inner) is not str:
                    stack.append(inner)
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is int:
            if not -(2**63) <= item < 2**64:
                return False
        elif kind is not float or not math.isfinite(item) or "e" in repr(item):
            return False
    return True


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # durable across process kills; WAL keeps it fast
    return db


def _response(body: str) -> Response:
    data = fastjson.loads(body)
    return Response(
        text=data["text"],
        usage=Usage(**data.get("usage", {})),
        latency_s=data.get("latency_s", 0.0),
        cached=True,
        truncated=bool(data.get("truncated")),
    )


class ResponseCache:
    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()  # the reading connection, shared by the loop and worker threads
        self._db: sqlite3.Connection | None = None
        self._queued: dict[str, str] = {}  # handed to the writer, not yet committed
        self._written: set[str] = set()  # committed by this process (a later duplicate request re-reads it)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_error: BaseException | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = _connect(path)
            self._db.execute(_SCHEMA)

    def get(self, key: str) -> Response | None:
        if self._db is None:
            return None
        body = self._queued.get(key)
        if body is None:
            with self._lock:
                row = self._db.execute("SELECT body FROM responses WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            body = row[0]
        return _response(body)

    def get_many(self, keys: Sequence[str]) -> dict[str, Response]:
        """The cached responses among ``keys`` (one query per 500 keys)."""
        if self._db is None or not keys:
            return {}
        # queued first, then the table: an answer committed in between is found by the query
        queued = {key: body for key in keys if (body := self._queued.get(key)) is not None}
        found: dict[str, str] = {}
        for start in range(0, len(keys), _MAX_VARS):
            part = keys[start : start + _MAX_VARS]
            query = f"SELECT key, body FROM responses WHERE key IN ({','.join('?' * len(part))})"
            with self._lock:
                found.update(self._db.execute(query, part).fetchall())
        found.update(queued)
        return {key: _response(body) for key, body in found.items()}

    @property
    def answers_written(self) -> int:
        """Answers this process committed (after :meth:`close`, every answer it stored)."""
        return len(self._written)

    def seen(self, key: str) -> bool:
        """Whether this process stored ``key`` (so a lookup made before that is out of date)."""
        return key in self._queued or key in self._written

    def put(self, key: str, response: Response) -> None:
        if self._db is None or response.error is not None or response.text is None:
            return
        self._raise_writer_error()
        usage = response.usage
        record = {
            "text": response.text,
            "latency_s": response.latency_s,
            "usage": {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "cost_usd": usage.cost_usd,
            },
        }
        if response.truncated:
            record["truncated"] = True
        self._queued[key] = fastjson.dumps(record).decode()
        if self._writer is None:
            self._writer = threading.Thread(
                target=self._write_loop, args=(self.path,), name="harness-cache-writer", daemon=True
            )
            self._writer.start()
        self._queue.put(key)

    def _write_loop(self, path: Path) -> None:
        db = _connect(path)
        try:
            while True:
                keys = [self._queue.get()]
                while True:  # what arrived meanwhile goes into the same commit; never waits for more
                    try:
                        keys.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                stop = _STOP in keys
                rows = [(key, body) for key in keys if key is not _STOP and (body := self._queued.get(key)) is not None]
                if rows and self._writer_error is None:
                    try:
                        db.execute("BEGIN")
                        db.executemany(_INSERT, rows)
                        db.execute("COMMIT")
                    except sqlite3.Error as exc:  # e.g. disk full: reported at the next put and at close
                        self._writer_error = exc
                    else:
                        for key, body in rows:
                            self._written.add(key)
                            if self._queued.get(key) is body:
                                del self._queued[key]
                if stop:
                    return
        finally:
            db.close()

    def close(self) -> None:
        """Commit what is queued, then close."""
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join()
            self._writer = None
        if self._db is not None:
            self._db.close()
            self._db = None
        self._raise_writer_error()

    def _raise_writer_error(self) -> None:
        if self._writer_error is not None:
            raise HarnessError(
                f"response cache {self.path}: writing failed: {self._writer_error}; the answers committed before "
                "are kept"
            ) from self._writer_error
