"""The stub's HTTP/1.1 layer: httptools (uvicorn's C parser) on an asyncio protocol.

A benchmark's ceiling is C/L only if the server adds (almost) nothing to L. aiohttp's server spends
about 0.2 ms of CPU per request; at 1,280 req/s the answers of one round queue behind each other
for several milliseconds, which alone cost a client 5-10% of the ceiling. This layer does what the
stub needs and no more: keep-alive and pipelining, Content-Length and chunked request bodies,
``Expect: 100-continue``, answers with a length or streamed in chunks, and dropping a connection
without an answer (what a crashed upstream looks like).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus

import httptools

MAX_BODY = 256 * 1024**2  # chat requests with several rendered ECG images are tens of MB


@dataclass
class HttpResponse:
    """An answer with a body of known length."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] | None = None
    content_type: str = "application/json"


@dataclass
class HttpRequest:
    """One parsed request; ``headers`` has lower-case names."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool
    _connection: _Connection = field(repr=False)

    def abort(self) -> None:
        """Close the TCP connection without an answer."""
        self._connection.abort()

    def stream(self, status: int, headers: Mapping[str, str]) -> StreamWriter:
        """Start a chunked answer; the handler writes to it, ends it and returns None."""
        return StreamWriter(self._connection, status, headers, self.keep_alive)


Handler = Callable[[HttpRequest], Awaitable["HttpResponse | None"]]  # None: streamed or aborted


class StreamWriter:
    """A chunked (``Transfer-Encoding: chunked``) answer, e.g. server-sent events."""

    def __init__(self, connection: _Connection, status: int, headers: Mapping[str, str], keep_alive: bool) -> None:
        self._connection = connection
        connection.write(_head(status, {**headers, "Transfer-Encoding": "chunked"}, None, keep_alive))

    async def write(self, data: bytes) -> None:
        if data:
            self._connection.write(b"%x\r\n%b\r\n" % (len(data), data))

    async def end(self) -> None:
        self._connection.write(b"0\r\n\r\n")


class HttpServer:
    """Serves ``handler`` on ``host:port`` (0: an ephemeral port)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections: set[_Connection] = set()
        self._server: asyncio.AbstractServer | None = None

    async def start(self, host: str, port: int, backlog: int = 1024) -> int:
        """Listen; returns the port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), host, port, backlog=backlog)
        return self._server.sockets[0].getsockname()[1]

    async def close(self, grace_s: float = 0.5) -> None:
        """Stop listening, give requests being answered ``grace_s`` to finish, drop the rest."""
        if self._server is None:
            return
        self._server.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_s
        while any(c.busy for c in self.connections) and loop.time() < deadline:
            await asyncio.sleep(0.01)
        for connection in list(self.connections):
            connection.abort()
        await self._server.wait_closed()
        self._server = None


class _Connection(asyncio.Protocol):
    """One client connection: requests are answered one after another, in order."""

    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._queue: deque[HttpRequest] = deque()
        self._task: asyncio.Task | None = None
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._body_size = 0

    @property
    def busy(self) -> bool:
        return self._task is not None

    # ---- transport ----
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self)
        self._transport = None
        if self._task is not None:  # the client went away: stop answering it (e.g. a hanging request)
            self._task.cancel()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reject(400, "protocol upgrades are not supported")
        except httptools.HttpParserError as exc:
            self._reject(400, f"malformed HTTP request: {exc}")

    def write(self, data: bytes) -> None:
        if self._transport is not None:
            self._transport.write(data)

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _reject(self, status: int, message: str) -> None:
        self.write(_head(status, {}, len(message), False) + message.encode())
        if self._transport is not None:
            self._transport.close()

    # ---- parser callbacks ----
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._body = []
        self._body_size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        for name, value in self._headers:
            if name.lower() == b"expect" and value.lower() == b"100-continue":
                self.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > MAX_BODY:
            raise httptools.HttpParserError(f"request body larger than {MAX_BODY} bytes")
        self._body.append(body)

    def on_message_complete(self) -> None:
        request = HttpRequest(
            method=self._parser.get_method().decode("ascii"),
            path=httptools.parse_url(self._url).path.decode("utf-8", "replace"),
            headers={name.decode("latin-1").lower(): value.decode("latin-1") for name, value in self._headers},
            body=self._body[0] if len(self._body) == 1 else b"".join(self._body),
            keep_alive=self._parser.should_keep_alive(),
            _connection=self,
        )
        self._queue.append(request)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._answer_queued())

    # ---- answering ----
    async def _answer_queued(self) -> None:
        try:
            while self._queue and self._transport is not None:
                request = self._queue.popleft()
                try:
                    response = await self._server.handler(request)
                except Exception as exc:  # a bug in a responder or the stub: the client sees a 500, the server lives
                    message = f"openai_stub: {type(exc).__name__}: {exc}".encode()
                    response = HttpResponse(500, message, content_type="text/plain")
                if response is not None:
                    self.write(
                        _head(
                            response.status,
                            response.headers or {},
                            len(response.body),
                            request.keep_alive,
                            response.content_type,
                        )
                        + response.body
                    )
                if not request.keep_alive and self._transport is not None:
                    self._transport.close()
                    return
        finally:
            self._task = None


def _head(
    status: int, headers: Mapping[str, str], length: int | None, keep_alive: bool, content_type: str | None = None
) -> bytes:
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    if content_type and not any(k.lower() == "content-type" for k in headers):
        lines.append(f"Content-Type: {content_type}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if not keep_alive:
        lines.append("Connection: close")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
