"""The HTTP layer of the host replicas (PhysioNet, the Hugging Face Hub, GitHub raw).

A real HTTP/1.1 server on 127.0.0.1 (ephemeral port, a background thread per connection) that
answers ``GET`` and ``HEAD`` through a routing function and serves bodies the way static hosts
do: ``Accept-Ranges: bytes``, single ``Range`` requests answered with 206 and ``Content-Range``
(416 past the end). It counts what it served (``stats``: requests, body bytes per path) so a
test can assert how much a client downloaded, and injects the faults downloads must survive: a
connection dropped after ``n`` body bytes (``drop_after``). The standard library's
``http.server`` is enough here: these servers stand in for static hosts, not for throughput.
"""

from __future__ import annotations

import re
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass
class Reply:
    """What a route answers: a status, headers and a body (served with ranges when ``ranges``)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    ranges: bool = True


@dataclass
class Request:
    method: str
    path: str  # unquoted, without the query
    query: str
    headers: dict[str, str]  # lower-case names


@dataclass
class Served:
    """One answered request, as the log keeps it."""

    method: str
    path: str
    status: int
    range: str | None
    body_bytes: int
    authorization: bool


class ReplicaStats:
    """What the server did: every request, and the body bytes served per path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.log: list[Served] = []
        self.bytes: Counter[str] = Counter()

    def add(self, served: Served) -> None:
        with self._lock:
            self.log.append(served)
            self.bytes[served.path] += served.body_bytes

    def bytes_for(self, suffix: str) -> int:
        """Body bytes served for paths ending with ``suffix``."""
        with self._lock:
            return sum(n for path, n in self.bytes.items() if path.endswith(suffix))

    def requests_for(self, suffix: str, method: str | None = None) -> list[Served]:
        with self._lock:
            return [s for s in self.log if s.path.endswith(suffix) and (method is None or s.method == method)]

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return sum(self.bytes.values())

    def reset(self) -> None:
        with self._lock:
            self.log.clear()
            self.bytes.clear()


Route = Callable[[Request], Reply]


class ReplicaServer:
    """A threaded HTTP server answering through ``route``; use it as a context manager.

    ``drop_after[path_suffix] = n`` drops the connection after ``n`` body bytes of the next GET of
    a matching path (once; set it again for another drop), the way a flaky network cuts a transfer.
    """

    def __init__(self, route: Route, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.route = route
        self.stats = ReplicaStats()
        self.drop_after: dict[str, int] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), _handler_class(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ReplicaServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="replica-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def serve_forever(self, banner: str | None = None) -> int:
        """Serve in the calling thread until interrupted (the ``python -m`` entry points); prints
        ``banner`` (``"<name> listening on <base_url>"``) first, as the first line of output."""
        if banner:
            print(f"{banner} listening on {self.base_url}", flush=True)
        try:
            self._httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._httpd.server_close()
        return 0

    def _take_drop(self, path: str) -> int | None:
        with self._lock:
            for suffix, n in list(self.drop_after.items()):
                if path.endswith(suffix):
                    del self.drop_after[suffix]
                    return n
        return None


def _handler_class(server: ReplicaServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            pass  # quiet: tests read ``stats`` instead

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
            self._answer("GET")

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer("HEAD")

        def _answer(self, method: str) -> None:
            parts = urlsplit(self.path)
            request = Request(method, unquote(parts.path), parts.query, {k.lower(): v for k, v in self.headers.items()})
            try:
                reply = server.route(request)
            except Exception as exc:  # a replica bug must show up as a 500, not a hung client
                reply = Reply(500, f"replica error: {exc!r}".encode())
            status, headers, body = _ranged(reply, request.headers.get("range"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            sent = 0
            if method == "GET" and body:
                drop = server._take_drop(request.path)
                if drop is not None and drop < len(body):
                    self.wfile.write(body[:drop])
                    self.wfile.flush()
                    sent = drop
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                else:
                    self.wfile.write(body)
                    sent = len(body)
            server.stats.add(
                Served(
                    method,
                    request.path,
                    status,
                    request.headers.get("range"),
                    sent,
                    "authorization" in request.headers,
                )
            )

    return Handler


def _ranged(reply: Reply, range_header: str | None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body after applying a ``Range`` request to a 200 reply."""
    headers = dict(reply.headers)
    body = reply.body
    if reply.status != 200 or not reply.ranges:
        return reply.status, headers, body
    headers.setdefault("Accept-Ranges", "bytes")
    match = _RANGE.match((range_header or "").strip())
    if not match or (not match.group(1) and not match.group(2)):
        return 200, headers, body
    size = len(body)
    if match.group(1):
        start = int(match.group(1))
        end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    else:  # a suffix range: the last n bytes
        start, end = max(size - int(match.group(2)), 0), size - 1
    if start >= size or start > end:
        headers["Content-Range"] = f"bytes */{size}"
        return 416, headers, b""
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return 206, headers, body[start : end + 1]
