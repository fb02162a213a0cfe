"""An HTTP forward proxy on 127.0.0.1, so a test can show that a backend's requests go through
``HTTP_PROXY`` the way a hospital or university network requires.

A client configured with the proxy sends each request in absolute form (``POST http://host/path``);
the proxy records the URL and forwards the request with aiohttp (not through any proxy itself),
then returns the answer's status, body and headers. Plain HTTP targets only (no ``CONNECT``).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import aiohttp
from aiohttp import web

from harness.eventloop import new_event_loop

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


class ForwardProxy:
    """``with ForwardProxy() as proxy``: ``proxy.url`` to put in ``HTTP_PROXY``; ``proxy.seen`` the URLs
    forwarded and ``proxy.headers`` their request headers (lower-case names)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(str(request.url))
        self.headers.append({k.lower(): v for k, v in request.headers.items()})
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self._session.request(
            request.method, str(request.url), data=await request.read(), headers=headers
        ) as answer:
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
            kept.pop("Content-Encoding", None)
            return web.Response(status=answer.status, body=body, headers=kept)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession(trust_env=False, auto_decompress=False)

    async def _stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def __enter__(self) -> ForwardProxy:
        loop = self._loop = new_event_loop()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._start())
            self._ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=serve, name="forward-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the forward proxy did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        loop = self._loop
        assert loop is not None and self._thread is not None
        asyncio.run_coroutine_threadsafe(self._stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        loop.close()
