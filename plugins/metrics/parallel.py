"""Spreading a large metric batch over the machine's cores.

Only for large batches (a pool costs tens of milliseconds to start) and only where ``fork`` is
available: forked workers inherit what the parent already loaded (WordNet, stem and synonym
caches) instead of loading it again. Set ``HARNESS_METRIC_WORKERS=1`` to keep everything in one
process, or to a number to cap the workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def worker_count() -> int:
    """Cores this process may use, capped by ``HARNESS_METRIC_WORKERS``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    cap = os.environ.get("HARNESS_METRIC_WORKERS")
    if cap:
        try:
            cores = min(cores, max(1, int(cap)))
        except ValueError:
            raise ValueError(f"HARNESS_METRIC_WORKERS must be an integer, got {cap!r}") from None
    return cores


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def map_chunks(
    fn: Callable[[Sequence[Any], Sequence[Any]], list[T]],
    left: Sequence[Any],
    right: Sequence[Any],
    *,
    min_batch: int,
    initializer: Callable[[], None] | None = None,
) -> list[T]:
    """``fn(left, right)``, computed chunk-wise in forked workers when the batch is large.

    ``fn`` must map aligned sequences to one result per position; the chunks' results are
    concatenated in order, so the output equals ``fn(left, right)`` exactly.
    """
    n = len(left)
    workers = worker_count()
    if n < min_batch or workers < 2 or not can_fork():
        return fn(left, right)
    import gc
    from concurrent.futures import ProcessPoolExecutor

    n_chunks = workers * 2  # two chunks per worker even out uneven pair lengths
    bounds = [n * k // n_chunks for k in range(n_chunks + 1)]
    ctx = multiprocessing.get_context("fork")
    # Frozen objects are left alone by the children's garbage collector, which would otherwise
    # touch (and so copy) every page inherited from the parent: that made workers 2x slower.
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(initializer,)
        ) as pool:
            futures = [pool.submit(fn, left[a:b], right[a:b]) for a, b in zip(bounds, bounds[1:]) if b > a]
            out: list[T] = []
            for future in futures:
                out.extend(future.result())
    finally:
        gc.unfreeze()
    return out


def _worker_init(initializer: Callable[[], None] | None) -> None:
    import gc

    gc.disable()  # short-lived worker: skip collections over the inherited heap
    if initializer is not None:
        initializer()
