"""The lean HTTP/1.1 client against real servers on 127.0.0.1: keep-alive, every way an answer can
be delimited, and every way a connection can fail, each surfacing as the retry policy's exception."""

from __future__ import annotations

import asyncio
import socket

import pytest

from harness.models.base import ModelError
from harness.models.http_client import HttpPool
from harness.models.retry import ConnectFailed, Retryable

BODY = b'{"ok": true}'


class _Scripted(asyncio.Protocol):
    """Answers each request (read up to its Content-Length) with the next scripted bytes;
    ``None`` closes the connection without answering."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.server.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, rest = self.buffer.split(b"\r\n\r\n", 1)
            length = int(
                next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            )
            if len(rest) < length:
                return
            self.server.requests.append(head + b"\r\n\r\n" + rest[:length])
            self.buffer = rest[length:]
            answer = self.server.script.pop(0)
            if answer is None:
                self.transport.close()
                return
            self.transport.write(answer)
            if b"Connection: close" in answer or b"Content-Length" not in answer and b"chunked" not in answer:
                self.transport.close()


class _Server:
    def __init__(self, script: list[bytes | None]) -> None:
        self.script = script
        self.requests: list[bytes] = []
        self.connections = 0

    async def __aenter__(self) -> str:
        self._server = await asyncio.get_running_loop().create_server(lambda: _Scripted(self), "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/v1/chat/completions"

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()


def _ok(extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra
        + b"Content-Length: %d\r\n\r\n%b" % (len(BODY), BODY)
    )


def _pool(url: str) -> HttpPool:
    return HttpPool(url, {"Content-Type": "application/json", "Authorization": "Bearer k"}, connect_timeout_s=5.0)


def _one(script: list[bytes | None], n: int = 1) -> tuple[list, _Server]:
    """``n`` POSTs (``{"n": i}``) through one pool; the answers and the server."""

    async def run():
        server = _Server(script)
        url = await server.__aenter__()
        pool = _pool(url)
        try:
            return [await pool.post(b'{"n": %d}' % i) for i in range(n)], server
        finally:
            pool.close()
            await server.__aexit__()

    return asyncio.run(run())


def test_keep_alive_reuses_one_connection_and_sends_a_complete_request():
    answers, server = _one([_ok(), _ok(), _ok()], n=3)
    assert [a.status for a in answers] == [200, 200, 200] and all(a.body == BODY for a in answers)
    assert answers[0].headers["content-type"] == "application/json"
    assert server.connections == 1
    head, body = server.requests[2].split(b"\r\n\r\n")
    assert head.startswith(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"Authorization: Bearer k" in head and b"Content-Length: 8" in head and body == b'{"n": 2}'


def test_chunked_answer_split_across_writes():
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\n" + BODY[:5] + b"\r\n" + b"%x\r\n" % (len(BODY) - 5) + BODY[5:] + b"\r\n0\r\n\r\n"
    )
    (answer,), _ = _one([chunked])
    assert answer.status == 200 and answer.body == BODY


def test_answer_ended_by_the_close_and_connection_close_open_a_new_connection():
    until_close = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + BODY
    answers, server = _one([until_close, _ok(b"Connection: close\r\n"), _ok()], n=3)
    assert [a.body for a in answers] == [BODY, BODY, BODY]
    assert server.connections == 3


def test_100_continue_before_the_answer_and_error_statuses_with_headers():
    answers, _ = _one(
        [
            b"HTTP/1.1 100 Continue\r\n\r\n" + _ok(),
            b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 2\r\n\r\n{}",
        ],
        n=2,
    )
    assert answers[0].status == 200 and answers[0].body == BODY
    assert answers[1].status == 429 and answers[1].headers["retry-after"] == "2"


def test_dropped_and_truncated_and_garbled_answers_are_retryable():
    with pytest.raises(Retryable, match="connection dropped before a complete answer"):
        _one([None])
    with pytest.raises(Retryable, match="connection dropped before a complete answer"):
        _one([b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"partial'])
    with pytest.raises(Retryable, match="malformed HTTP answer"):
        _one([b"NOT HTTP AT ALL\r\n\r\n"])


def test_unreachable_port_is_connect_failed_and_bad_url_is_a_model_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there

    async def run():
        await _pool(f"http://127.0.0.1:{port}/v1/chat/completions").post(b"{}")

    with pytest.raises(ConnectFailed, match=f"cannot connect to 127.0.0.1:{port}"):
        asyncio.run(run())
    with pytest.raises(ModelError, match="invalid URL"):
        _pool("ftp://example.org/x")


def test_a_cancelled_request_never_returns_its_connection_to_the_pool():
    class _Silent(asyncio.Protocol):  # reads the request, never answers
        def data_received(self, data: bytes) -> None:
            pass

    async def run():
        server = await asyncio.get_running_loop().create_server(_Silent, "127.0.0.1", 0)
        pool = _pool(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/x")
        try:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):  # what the retry policy's per-attempt timeout does
                    await pool.post(b"{}")
            await asyncio.sleep(0.05)  # the aborted transport reports its loss on a later loop turn
            return list(pool._idle), set(pool._open)
        finally:
            server.close()

    idle, still_open = asyncio.run(run())
    assert idle == [] and still_open == set()
