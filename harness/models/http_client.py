"""The lean HTTP/1.1 client of the OpenAI-compatible path: keep-alive connections to one URL.

A run against a local server sends thousands of identical-looking POSTs to one URL. aiohttp spends
~0.3 ms of the event loop's time on each (request and response objects, cookie, redirect and
middleware machinery); at C=64 and 50 ms latency that queues every round of answers by several
milliseconds. This client does only what that path needs: one prepared request head, a pool of
keep-alive connections, httptools (uvicorn's C parser) for the answer (Content-Length, chunked or
ended by the close), TLS through :mod:`ssl`. Errors come out as the retry policy's exceptions
(:mod:`harness.models.retry`), so timeouts, retries and unreachable endpoints behave as for every
other backend.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

from harness.models.base import ModelError
from harness.models.retry import ConnectFailed, Retryable


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


class HttpPool:
    """POSTs to one ``url`` over a pool of keep-alive connections.

    The pool holds as many connections as there are requests in flight, which the runner bounds;
    ``limit`` caps them (a model config's ``concurrency``). A connection whose request was cancelled
    (a timeout) or failed is closed, never reused.
    """

    def __init__(
        self, url: str, headers: Mapping[str, str], *, connect_timeout_s: float, limit: int | None = None
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ModelError(f"invalid URL {url!r}: expected http://host[:port]/path or https://...")
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self._connect_timeout_s = connect_timeout_s
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = self._port == (443 if parts.scheme == "https" else 80)
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        lines = [
            f"POST {target} HTTP/1.1",
            f"Host: {host if default_port else f'{host}:{self._port}'}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")
        self._idle: list[_Connection] = []
        self._open: set[_Connection] = set()
        self._slots = asyncio.Semaphore(limit) if limit else None

    async def post(self, body: bytes) -> HttpAnswer:
        if self._slots is None:
            return await self._post(body)
        async with self._slots:
            return await self._post(body)

    async def _post(self, body: bytes) -> HttpAnswer:
        connection = self._idle.pop() if self._idle else None
        while connection is not None and connection.closed:  # the server closed it while it was idle
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = await self._connect()
        waiter = connection.expect()
        connection.write(b"%b%d\r\n\r\n%b" % (self._head, len(body), body))
        try:
            answer = await waiter
        except BaseException:  # cancelled by a timeout, dropped, garbled: its state is unknown
            connection.abort()
            raise
        if connection.keep_alive and not connection.closed:
            self._idle.append(connection)
        else:
            connection.abort()
        return answer

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self),
                    self._host,
                    self._port,
                    ssl=self._ssl,
                    server_hostname=self._host if self._ssl else None,
                )
        except TimeoutError:
            raise ConnectFailed(f"no connection within {self._connect_timeout_s:g} s") from None
        except ssl.SSLError as exc:
            raise ModelError(f"TLS handshake with {self._host}:{self._port} failed: {exc}") from None
        except OSError as exc:
            raise ConnectFailed(f"cannot connect to {self._host}:{self._port}: {exc.strerror or exc}") from None
        return connection

    def close(self) -> None:
        for connection in list(self._open):
            connection.abort()
        self._idle.clear()


class _Connection(asyncio.Protocol):
    """One keep-alive connection; answers one request at a time."""

    def __init__(self, pool: HttpPool) -> None:
        self._pool = pool
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[HttpAnswer] | None = None
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._until_close = False
        self.closed = False
        self.keep_alive = True

    def expect(self) -> asyncio.Future[HttpAnswer]:
        self._waiter = asyncio.get_running_loop().create_future()
        self._until_close = False
        return self._waiter

    def write(self, data: bytes) -> None:
        assert self._transport is not None
        self._transport.write(data)

    def abort(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.abort()

    # ---- transport ----
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._pool._open.add(self)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(Retryable(f"malformed HTTP answer: {exc}"))
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._transport = None
        self._pool._open.discard(self)
        if exc is None and self._until_close:  # an answer without a length ends where the connection does
            self.keep_alive = False
            self._complete()
            return
        reason = f"{type(exc).__name__}: {exc}" if exc else "the server closed the connection"
        self._fail(Retryable(f"connection dropped before a complete answer ({reason})"))

    def _fail(self, error: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    # ---- parser callbacks ----
    def on_message_begin(self) -> None:
        self._headers = {}
        self._body = []

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        self._until_close = (
            status >= 200
            and status not in (204, 304)
            and "content-length" not in self._headers
            and "chunked" not in self._headers.get("transfer-encoding", "").lower()
        )

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:  # "100 Continue" and friends: the real answer follows
            return
        self._until_close = False
        self.keep_alive = self._parser.should_keep_alive()
        self._complete()

    def _complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
            waiter.set_result(HttpAnswer(self._parser.get_status_code(), self._headers, body))
