"""Bounded, ordered concurrency over a stream.

At most ``concurrency`` calls are in flight and at most ``window`` results wait for an earlier
one to finish, so memory stays flat in the number of items (no coroutine per item up front),
and results come out in input order, so outputs are deterministic.

One slow call does not stall the others: when ``window - concurrency`` finished results are held
back by an earlier unfinished one, the oldest finished result is let out ahead of it (each result
carries its input position; the runner restores the order where it matters).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


async def ordered_map(
    fn: Callable[[T], Awaitable[R]], items: Iterable[T], *, concurrency: int, window: int | None = None
) -> AsyncIterator[tuple[T, R]]:
    """Yield ``(item, await fn(item))`` in input order with bounded concurrency."""
    window = max(window or concurrency * 4, concurrency)
    source = iter(items)
    slots = asyncio.Semaphore(window)
    done: dict[int, tuple[T, R]] = {}
    ready = asyncio.Event()
    next_index = 0
    exhausted = False
    failure: BaseException | None = None

    async def worker() -> None:
        nonlocal next_index, exhausted, failure
        while failure is None:
            await slots.acquire()
            if exhausted:
                slots.release()
                return
            try:
                item = next(source)
            except StopIteration:
                exhausted = True
                slots.release()
                ready.set()
                return
            except BaseException as exc:  # the item stream itself failed (e.g. a malformed record)
                failure = exc
                ready.set()
                return
            index = next_index
            next_index += 1
            try:
                result = await fn(item)
            except BaseException as exc:
                failure = exc
                ready.set()
                return
            done[index] = (item, result)
            ready.set()

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    hold = max(1, window - concurrency)  # finished results that may wait behind an unfinished one
    emitted = 0  # every index below this has been yielded
    early: set[int] = set()  # indices yielded ahead of an unfinished earlier one
    try:
        while True:
            while emitted in done or emitted in early:
                if emitted in early:
                    early.discard(emitted)
                else:
                    yield done.pop(emitted)
                    slots.release()
                emitted += 1
            if failure is not None:
                raise failure
            if exhausted and emitted == next_index:
                break
            if len(done) >= hold:  # the head of the line is slow: let the oldest finished result go
                index = min(done)
                early.add(index)
                yield done.pop(index)
                slots.release()
                continue
            ready.clear()
            if emitted in done or failure is not None:
                continue
            await ready.wait()
    finally:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
