"""Scoring and sample writing off the event loop, in input order, with a bounded backlog.

Metric batches, a metric's one-off set-up (loading WordNet for METEOR takes seconds) and
writing ``samples.jsonl`` are CPU work; done on the event loop they stall every request in
flight. A :class:`SampleScorer` does that work in one worker, in submission order, while the loop
keeps the model busy:

- ``process``: a child process (the second core, no shared interpreter lock with the loop),
  forked where possible (:func:`start_method`);
- ``thread``: a worker thread of this process (small runs, or metrics that do not pickle).

A set-up failure surfaces at the first batch; the answers received until then are in the
response cache, so none is paid twice. At most ``max_pending`` batches wait, so memory stays
flat in the number of samples. Hooks run back on the loop's thread.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.metrics.aggregate import draw_indices, summarize_all
from harness.metrics.base import Metric, ScoreInput, Unscored
from harness.results.writer import JsonlWriter, stored_sample

Record = dict[str, Any]
Batch = list[tuple[Record, dict[str, Any]]]  # (sample record, the dataset record its metrics may read)
Scores = dict[str, list[Any]]  # metric name -> one value (or Unscored) per record of a batch
MODES = ("auto", "process", "thread")
PROCESS_MIN_SAMPLES = 1000  # below this a child's start-up costs more than it saves
DRAW_AHEAD_MAX_SAMPLES = 4000  # bootstrap indices drawn ahead: at most 32 MB (1,000 resamples x n x 8 bytes)


@dataclass
class Committed:
    """What the worker reports once ``samples.jsonl`` is in place."""

    prepare_s: float
    scoring_s: float
    infos: dict[str, dict[str, Any]]  # metric name -> info(), from where it scored
    summaries: dict[str, dict[str, Any]]  # metric name -> value, stderr, CI, counts (harness.metrics.aggregate)


class SampleScorer:
    """Scores batches with the task's metrics, appends the records to ``samples.jsonl`` and keeps
    each metric's per-sample values for the run's summaries.

    ``draw_ahead`` (a worker with its own core): once set up, draw the bootstrap indices for the
    ``expected`` number of samples while waiting for the first batch, so the end only gathers."""

    def __init__(
        self,
        metrics: Sequence[Metric],
        samples_path: Path,
        *,
        seed: int = 0,
        expected: int | None = None,
        draw_ahead: bool = False,
    ):
        self.metrics = list(metrics)
        self.samples_path = samples_path
        self.seed = seed
        self.expected = expected
        self.draw_ahead = draw_ahead
        self.values: dict[str, list[Any]] = {metric.name: [] for metric in self.metrics}
        self.positions: list[tuple[int, ...]] = []  # each value's sample position (records may arrive out of order)
        self._draws: dict[int, list[Any]] = {}
        self._writer: JsonlWriter | None = None
        self._failed = False  # a batch failed: later ones and the commit refuse, samples.jsonl stays partial
        self.prepare_s = 0.0
        self.scoring_s = 0.0

    def prepare(self) -> None:
        """Each metric's optional one-off set-up (e.g. loading WordNet), then the output file."""
        s0 = time.perf_counter()
        for metric in self.metrics:
            metric.prepare()
        self.prepare_s = time.perf_counter() - s0
        self._writer = JsonlWriter(self.samples_path)
        n = self.expected or 0
        if self.draw_ahead and 2 <= n <= DRAW_AHEAD_MAX_SAMPLES:
            self._draws[n] = draw_indices(n, self.seed)

    def score(self, batch: Batch) -> Scores:
        """Every metric on the batch (failed requests are unscored, with the reason, never 0);
        the records get their values and are written."""
        if self._failed:
            raise RuntimeError("an earlier batch failed to score")
        try:
            return self._score(batch)
        except BaseException:
            self._failed = True  # the commit queued behind the batches must not publish a partial file
            raise

    def _score(self, batch: Batch) -> Scores:
        s0 = time.perf_counter()
        ok = [(record, doc) for record, doc in batch if record["error"] is None]
        scores: Scores = {}
        for metric in self.metrics:
            inputs = [
                ScoreInput(record["prediction"], record["reference"], record["response"], doc) for record, doc in ok
            ]
            values = metric.compute(inputs) if inputs else []
            if len(values) != len(inputs):
                raise RuntimeError(f"metric '{metric.name}' returned {len(values)} values for {len(inputs)} samples")
            by_id = {record["id"]: value for (record, _), value in zip(ok, values)}
            scores[metric.name] = [by_id.get(record["id"], Unscored("request failed")) for record, _ in batch]
        self.scoring_s += time.perf_counter() - s0
        for name, values in scores.items():
            self.values[name].extend(values)
        self.positions.extend(tuple(record.get("position") or ()) for record, _ in batch)
        fill(batch, scores)
        assert self._writer is not None
        for record, _ in batch:
            self._writer.write(stored_sample(record))
        return scores

    def commit(self) -> Committed:
        """``samples.jsonl`` into place, each metric's optional ``flush()`` (state worth keeping
        for the next run, e.g. METEOR's word tables) here, where it scored, and the summaries."""
        if self._failed or self._writer is None:
            raise RuntimeError("a batch failed to score: samples.jsonl is left partial")
        self._writer.commit()
        for metric in self.metrics:
            metric.flush()
        summaries = summarize_all(self.metrics, self._in_input_order(), seed=self.seed, draws=self._draws)
        return Committed(
            self.prepare_s, self.scoring_s, {metric.name: metric.info() for metric in self.metrics}, summaries
        )

    def _in_input_order(self) -> dict[str, list[Any]]:
        """The values in sample order: a slow request lets later samples be written first, and the
        bootstrap intervals must not depend on that."""
        positions = self.positions
        if all(a <= b for a, b in zip(positions, positions[1:])):
            return self.values
        order = sorted(range(len(positions)), key=positions.__getitem__)
        return {name: [values[i] for i in order] for name, values in self.values.items()}

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def fill(batch: Batch, scores: Scores) -> None:
    """Each record's ``metrics`` from a batch's scores."""
    for name, values in scores.items():
        for (record, _), value in zip(batch, values):
            record["metrics"][name] = {"unscored": value.reason} if isinstance(value, Unscored) else value


def start_method() -> str:
    """``fork`` where there is one (the child inherits the loaded metrics and starts in
    milliseconds; it only scores and writes, touching no lock the parent's threads hold), else
    ``spawn`` (metrics are pickled; a script calling the runner needs a ``__main__`` guard)."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() and sys.platform == "linux" else "spawn"


def choose_mode(mode: str, metrics: Sequence[Metric], expected: int | None) -> str:
    """``process`` or ``thread`` for a run's configured ``scoring`` mode."""
    if mode not in MODES:
        raise HarnessError(f"scoring={mode}: expected one of {', '.join(MODES)}")
    if mode == "thread" or not metrics:
        return "thread"
    daemon = multiprocessing.current_process().daemon  # e.g. a pool worker running this job: it may not start children
    if mode == "auto" and (expected is None or expected < PROCESS_MIN_SAMPLES or daemon):
        return "thread"
    if daemon:
        raise HarnessError(
            "scoring=process: this job runs in a daemonic worker process, which may not start one; use scoring=thread"
        )
    if start_method() == "fork":
        return "process"
    try:
        pickle.loads(pickle.dumps(list(metrics)))
    except Exception as exc:  # e.g. a metric built from a lambda
        if mode == "process":
            raise HarnessError(
                f"scoring=process: the task's metrics cannot be sent to a scoring process ({exc}); use scoring=thread"
            ) from None
        return "thread"
    return "process"


# The child process's scorer (process mode): set once by the pool's initializer.
_CHILD: SampleScorer | None = None


def _child_init(scorer: SampleScorer, parent: int) -> None:
    global _CHILD
    _CHILD = scorer
    threading.Thread(target=_exit_with, args=(parent,), name="harness-scoring-watchdog", daemon=True).start()


def _exit_with(parent: int) -> None:
    """A parent killed with kill -9 closes no pipe the child reads; without this it would wait forever."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _child_call(method: str, *args: Any) -> Any:
    assert _CHILD is not None
    return getattr(_CHILD, method)(*args)


class BackgroundScorer:
    """Runs a :class:`SampleScorer` in one worker (``mode``), in order, with a bounded backlog;
    after :meth:`drain`, ``committed`` holds its timings, metric infos and summaries."""

    def __init__(
        self, scorer: SampleScorer, after: Callable[[Record], None], *, mode: str = "thread", max_pending: int = 64
    ):
        self._after = after
        self._pending: deque[tuple[Future, Batch]] = deque()
        self._max_pending = max_pending
        self.mode = mode
        self.committed: Committed | None = None
        self._scorer = scorer
        self._pool: Executor
        if mode == "process":  # one worker keeps the order
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context(start_method()),
                initializer=_child_init,
                initargs=(scorer, os.getpid()),
            )
        else:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="harness-scoring")
        # first on the worker: the set-up overlaps the first requests; batches queue behind it
        self._pending.append((self._call("prepare"), []))

    def _call(self, method: str, *args: Any) -> Future:
        if self.mode == "process":
            return self._pool.submit(_child_call, method, *args)
        return self._pool.submit(getattr(self._scorer, method), *args)

    async def submit(self, batch: Batch) -> None:
        """Queue ``batch`` (the caller hands it over); waits only when the backlog is full."""
        self._pending.append((self._call("score", batch), batch))
        self._reap_done()
        while len(self._pending) > self._max_pending:
            await self._reap_oldest()

    def _reap_done(self) -> None:
        while self._pending and self._pending[0][0].done():
            future, batch = self._pending.popleft()
            self._finish(future, batch)

    async def _reap_oldest(self) -> None:
        future, batch = self._pending.popleft()
        await _done(future)
        self._finish(future, batch)

    def _finish(self, future: Future, batch: Batch) -> None:
        scores = _result(future)  # re-raises a metric's error here, on the loop
        if batch and self.mode == "process":
            fill(batch, scores)  # the loop's own copies (a thread worker filled these very records)
        for record, _ in batch:
            self._after(record)

    async def drain(self) -> None:
        """Wait for every batch, then for ``samples.jsonl`` in place and the summaries."""
        commit = self._call("commit")  # queued behind the last batches now: one round trip less at the end
        while self._pending:
            await self._reap_oldest()
        await _done(commit)
        self.committed = _result(commit)

    def close(self) -> None:
        for future, _ in self._pending:
            future.cancel()
        if self.mode == "thread":
            self._pool.submit(self._scorer.close)
        # a child exits on its own once told to; waiting here would only add its exit to the run's end
        self._pool.shutdown(wait=self.mode == "thread")


async def _done(future: Future) -> None:
    """Wait for ``future`` without raising (its outcome is read by :func:`_result`)."""
    wrapped = asyncio.wrap_future(future)
    await asyncio.wait([wrapped])
    if not wrapped.cancelled():
        wrapped.exception()  # marks it retrieved: asyncio would log it as lost otherwise


def _result(future: Future) -> Any:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise HarnessError(
            f"the scoring process died ({exc}); the answers received so far are in the response cache: "
            "run again to score them (or use scoring=thread)"
        ) from None
