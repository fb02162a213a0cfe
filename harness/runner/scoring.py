"""Scoring and sample writing off the event loop, in input order, with a bounded backlog.

Metric batches and a metric's one-off set-up (loading WordNet for METEOR takes seconds) are CPU
work; done on the event loop they stall every request in flight. Here they run on one worker
thread, in submission order, while the loop keeps the model busy. A set-up failure surfaces at
the first batch; the answers received until then are in the response cache, so none is paid twice. At most ``max_pending`` batches wait, so
memory stays flat in the number of samples. Hooks run back on the loop's thread.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

Batch = list[tuple[Any, dict[str, Any]]]


class BackgroundScorer:
    def __init__(self, score: Callable[[Batch], None], write: Callable[[dict[str, Any]], None],
                 after: Callable[[dict[str, Any]], None], *, prepare: Callable[[], None] | None = None, max_pending: int = 16):
        self._score, self._write, self._after = score, write, after
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="harness-scoring")
        self._pending: deque[tuple[Future, Batch]] = deque()
        self._max_pending = max_pending
        self.scoring_s = 0.0
        self.prepare_s = 0.0
        if prepare is not None:  # first on the worker: it overlaps the first requests; batches queue behind it
            self._pending.append((self._pool.submit(self._prepare, prepare), []))

    def _prepare(self, prepare: Callable[[], None]) -> None:
        s0 = time.perf_counter()
        prepare()
        self.prepare_s = time.perf_counter() - s0

    def _run(self, batch: Batch) -> None:
        s0 = time.perf_counter()
        self._score(batch)
        self.scoring_s += time.perf_counter() - s0
        for _, record in batch:
            self._write(record)

    async def submit(self, batch: Batch) -> None:
        """Queue ``batch`` (the caller hands it over); waits only when the backlog is full."""
        self._pending.append((self._pool.submit(self._run, batch), batch))
        self._reap_done()
        while len(self._pending) > self._max_pending:
            await self._reap_oldest()

    def _reap_done(self) -> None:
        while self._pending and self._pending[0][0].done():
            future, batch = self._pending.popleft()
            self._finish(future, batch)

    async def _reap_oldest(self) -> None:
        future, batch = self._pending.popleft()
        await asyncio.wrap_future(future)
        self._finish(future, batch)

    def _finish(self, future: Future, batch: Batch) -> None:
        future.result()  # re-raises a metric's error here, on the loop
        for _, record in batch:
            self._after(record)

    async def drain(self) -> None:
        while self._pending:
            await self._reap_oldest()

    def close(self) -> None:
        for future, _ in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True)
