"""The event loop a run (and the test stub) runs on: uvloop where it is installed.

uvloop's C event loop cuts asyncio's per-request overhead (transports, callbacks, timers), which
is most of a client's CPU against a fast local server. The standard loop is the fallback
(Windows, or an environment without it); behaviour is the same either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - depends on the platform
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on :func:`new_event_loop`."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - depends on the platform
        return asyncio.run(main)
    return uvloop.run(main)
