"""The event loop a run (and the test stub) runs on: uvloop where it is installed.

uvloop's C event loop cuts asyncio's per-request overhead (transports, callbacks, timers), which
is most of a client's CPU against a fast local server. The standard loop is the fallback
(Windows, or an environment without it); behaviour is the same either way.

**Request bodies go out at once on Python 3.10-3.11 too.** aiohttp writes a request's body in a
task of its own (``ClientRequest.write_bytes``). From Python 3.12 it starts that task eagerly, so
the request leaves within the call; before 3.12, where asyncio has no eager tasks, the task waits
for the loop's next turn, i.e. behind every other callback ready in this one. When the answers of
many requests arrive together, each next request then leaves only after all of them have been
handled: a closed loop of C requests against a server with latency L lost 3 points of C/L to
that with the backend alone, 6 with the whole run (``benchmarks/harness_throughput.py``). On
those versions the loop gets a task factory (:func:`start_body_writes_eagerly`) that runs that
one coroutine up to its first wait before the task exists, which is what ``eager_start=True``
does on 3.12; every other task is created as usual. Hand-written because asyncio has no eager
task factory before 3.12.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
import types
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")

EAGER_CORO = "ClientRequest.write_bytes"  # aiohttp's body writer: eager on 3.12+, by aiohttp itself
NEEDS_EAGER_WRITES = sys.version_info < (3, 12)


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - depends on the platform
        loop = asyncio.new_event_loop()
    else:
        loop = uvloop.new_event_loop()
    if NEEDS_EAGER_WRITES:
        loop.set_task_factory(start_body_writes_eagerly)
    return loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on :func:`new_event_loop`."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - depends on the platform
        if sys.version_info < (3, 11):
            return asyncio.run(main)
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            return runner.run(main)
    return uvloop.run(main, loop_factory=new_event_loop)


def start_body_writes_eagerly(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Future[Any]:
    """A task factory: aiohttp's body writer runs at once, in the task's own context, up to its
    first wait (a body that fits the socket is written by then); the task continues from there.
    One that finishes at once is a finished future, as aiohttp expects of an eager task."""
    if getattr(coro, "__qualname__", None) != EAGER_CORO:
        return asyncio.Task(coro, loop=loop, **kwargs)
    context = kwargs.pop("context", None) or contextvars.copy_context()
    if sys.version_info >= (3, 11):  # a task takes a context from 3.11 on
        kwargs["context"] = context
    try:
        first = context.run(coro.send, None)
    except StopIteration as done:
        future = loop.create_future()
        future.set_result(done.value)
        return future
    except BaseException as exc:  # noqa: BLE001 - the task fails with it, as it would have when run later
        return asyncio.Task(_raise(exc), loop=loop, **kwargs)
    return asyncio.Task(_resume(coro, first), loop=loop, **kwargs)


async def _raise(exc: BaseException) -> Any:
    raise exc


@types.coroutine
def _resume(coro: Any, first: Any) -> Generator[Any, Any, Any]:
    """Drive ``coro`` on from its first wait (``first``): what ``await`` does for a coroutine that
    has already started. A cancellation thrown in by the task goes on into ``coro``."""
    waiting = first
    while True:
        try:
            sent = yield waiting
        except BaseException as exc:  # noqa: BLE001 - delivered to the coroutine, which decides
            try:
                waiting = coro.throw(exc)
            except StopIteration as done:
                return done.value
            continue
        try:
            waiting = coro.send(sent)
        except StopIteration as done:
            return done.value
