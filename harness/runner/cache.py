"""Persistent response cache (SQLite, WAL).

Keyed by the full model identity (backend, model, endpoint, generation parameters) and the
request content, so any change that could change an answer misses. Each response is committed
as soon as it arrives: a run killed with kill -9 and started again re-issues no completed request.
Failed requests are not cached.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from harness.models.base import Response, Usage

_SCHEMA = "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, body TEXT NOT NULL, created REAL DEFAULT (unixepoch('subsec')))"


def request_key(identity: dict[str, Any], messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    blob = json.dumps([identity, messages, params], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class ResponseCache:
    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # durable across process kills; WAL keeps it fast
            self._db.execute(_SCHEMA)

    def get(self, key: str) -> Response | None:
        if self._db is None:
            return None
        with self._lock:
            row = self._db.execute("SELECT body FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        body = json.loads(row[0])
        return Response(text=body["text"], usage=Usage(**body.get("usage", {})), latency_s=body.get("latency_s", 0.0), cached=True)

    def put(self, key: str, response: Response) -> None:
        if self._db is None or response.error is not None or response.text is None:
            return
        usage = response.usage
        body = json.dumps({"text": response.text, "latency_s": response.latency_s,
                           "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens, "cost_usd": usage.cost_usd}})
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO responses (key, body) VALUES (?, ?)", (key, body))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
