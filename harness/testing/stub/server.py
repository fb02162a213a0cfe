"""The HTTP server: a real HTTP server on 127.0.0.1, so the code under test goes through its real
client, retries and timeouts. A lean HTTP layer (:mod:`.http_server`), a dict of routes and orjson keep it
from adding to the latency it is told to simulate (``docs/testing.md``, Capacity).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from harness import fastjson
from harness.eventloop import new_event_loop
from harness.models.messages import content_text
from harness.testing.stub.faults import FaultRule, FaultSpec, _FaultSchedule, parse_faults
from harness.testing.stub.http_server import HttpRequest, HttpResponse, HttpServer
from harness.testing.stub.images import check_images
from harness.testing.stub.ratelimit import RateLimit
from harness.testing.stub.responders import Reply, Responder, echo, last_user_text
from harness.testing.stub.stats import ImageCheck, StubStats

_dumps, _loads = fastjson.dumps, fastjson.loads  # orjson: the stub must not be a benchmark's bottleneck

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "server_error",
    503: "service_unavailable",
}
_PIECES = re.compile(r"\s*\S+|\s+$")


def _count_tokens(text: str) -> int:
    return len(text.split())


def _prompt_tokens(body: Mapping[str, Any], chat: bool) -> int:
    if not chat:
        return _count_tokens(last_user_text(body))
    return sum(_count_tokens(content_text(m.get("content"))) for m in body["messages"])


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


class OpenAIStub:
    """An OpenAI-compatible server on 127.0.0.1 with an ephemeral port.

    Use ``with OpenAIStub(...) as stub`` (a background thread with its own event loop) or
    ``async with OpenAIStub(...) as stub`` (on the caller's loop). ``latency`` seconds plus
    ``per_token_latency`` per completion token are awaited before each answer. ``record`` bounds
    how many request bodies are kept in ``stats.bodies`` (0 keeps none). With ``api_key`` set,
    requests without ``Authorization: Bearer <api_key>`` get 401. ``rate_limit`` applies a
    provider's requests/tokens-per-minute limit with OpenAI's headers and 429s (:mod:`.ratelimit`).
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        latency: float = 0.0,
        per_token_latency: float = 0.0,
        faults: Mapping[str, FaultSpec] | Sequence[FaultRule] | str | None = None,
        seed: int = 0,
        retry_after: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Sequence[str] = ("stub",),
        record: int = 1000,
        check_images: bool = True,
        api_key: str | None = None,
        rate_limit: RateLimit | None = None,
    ) -> None:
        if latency < 0 or per_token_latency < 0:
            raise ValueError("latency and per_token_latency must be >= 0")
        self.responder: Responder = responder or echo()
        self.latency = latency
        self.per_token_latency = per_token_latency
        self.retry_after = retry_after
        self.host = host
        self.port = port
        self.models = list(models)
        self.record = record
        self.check_images = check_images
        self.api_key = api_key
        self.rate_limit = rate_limit
        self._seed = seed
        self._fault_rules = parse_faults(faults)
        self._schedule = _FaultSchedule(self._fault_rules, seed)
        self._stats = self._new_stats()
        self._counter = 0
        self._http: HttpServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._created = int(time.time())

    # ---- configuration at run time ----
    @property
    def faults(self) -> list[FaultRule]:
        return list(self._fault_rules)

    @faults.setter
    def faults(self, spec: Mapping[str, FaultSpec] | Sequence[FaultRule] | str | None) -> None:
        self._fault_rules = parse_faults(spec)
        self._schedule = _FaultSchedule(self._fault_rules, self._seed)

    @property
    def stats(self) -> StubStats:
        """A consistent copy of the counters, taken on the server's loop: compare two snapshots to see
        what happened in between (``stats["requests"]`` works too)."""
        return self._call_on_loop(lambda: self._stats.snapshot())

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: what an OpenAI client takes as ``base_url``/``api_base``."""
        if not self.port:
            raise RuntimeError("the stub is not running: start it first (with OpenAIStub(...) as stub)")
        return f"http://{self.host}:{self.port}/v1"

    def _new_stats(self) -> StubStats:
        stats = StubStats()
        stats.bodies = deque(maxlen=max(self.record, 0))
        stats.images = deque(maxlen=max(self.record, 0))
        return stats

    def reset(self) -> None:
        """Forget counters, recorded bodies and the fault schedule's state (the RNG restarts)."""

        def _do() -> None:
            in_flight = self._stats.in_flight
            self._stats = self._new_stats()
            self._stats.in_flight = in_flight
            self._schedule = _FaultSchedule(self._fault_rules, self._seed)
            self._counter = 0

        self._call_on_loop(_do)

    def wait_for(
        self, predicate: Callable[[StubStats], bool], timeout: float = 30.0, interval: float = 0.02
    ) -> StubStats:
        """Poll the stats until ``predicate(stats)`` holds (e.g. to kill a client half-way through a run)."""
        deadline = time.monotonic() + timeout
        while True:
            stats = self.stats
            if predicate(stats):
                return stats
            if time.monotonic() >= deadline:
                raise TimeoutError(f"openai stub: condition not met within {timeout:g} s; stats: {stats.as_dict()}")
            time.sleep(interval)

    def image_check(self) -> ImageCheck:
        """Counts of valid and invalid images among everything received since the last reset."""
        stats = self.stats
        errors = [i.error for i in stats.images if i.error]
        return ImageCheck(valid=stats.images_valid, invalid=stats.images_invalid, errors=errors)

    def _call_on_loop(self, fn: Callable[[], Any]) -> Any:
        loop = self._loop
        if loop is None or not loop.is_running() or self._thread is None or threading.current_thread() is self._thread:
            return fn()
        done: asyncio.Future = asyncio.run_coroutine_threadsafe(_as_coro(fn), loop)  # type: ignore[assignment]
        return done.result(timeout=10)

    # ---- life cycle ----
    def _routes(self) -> dict[tuple[str, str], Callable[[HttpRequest], Awaitable[HttpResponse | None]]]:
        return {
            ("POST", "/v1/chat/completions"): self._handle_chat,
            ("POST", "/chat/completions"): self._handle_chat,
            ("POST", "/v1/completions"): self._handle_text,
            ("POST", "/completions"): self._handle_text,
            ("GET", "/v1/models"): self._handle_models,
            ("GET", "/models"): self._handle_models,
            ("GET", "/stub/stats"): self._handle_stats,
            ("POST", "/stub/reset"): self._handle_reset,
        }

    def _make_dispatch(self) -> Callable[[HttpRequest], Awaitable[HttpResponse | None]]:
        """A dict lookup: no router or middleware on the hot path."""
        routes = self._routes()
        paths = {path for _, path in routes}

        async def dispatch(request: HttpRequest) -> HttpResponse | None:
            handler = routes.get((request.method, request.path.rstrip("/") or "/"))
            if handler is not None:
                return await handler(request)
            status = 405 if request.path.rstrip("/") in paths else 404
            return self._error(self._stats, status, f"openai_stub: no route {request.method} {request.path}")

        return dispatch

    async def start_async(self) -> OpenAIStub:
        """Start serving on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._http = HttpServer(self._make_dispatch())
        self.port = await self._http.start(self.host, self.port)
        return self

    async def aclose(self) -> None:
        """Stop serving; hanging requests are released (their connections dropped)."""
        if self._stopping is not None:
            self._stopping.set()
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def __aenter__(self) -> OpenAIStub:
        return await self.start_async()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def start(self) -> OpenAIStub:
        """Start serving in a background thread with its own event loop; returns once listening."""
        if self._thread is not None:
            raise RuntimeError("the stub is already running")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start_async())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name=f"openai-stub-{id(self):x}", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"openai stub could not listen on {self.host}:{self.port}: {failure[0]}") from failure[0]
        return self

    def stop(self) -> None:
        """Stop the background server and join its thread."""
        if self._thread is None or self._loop is None:
            return
        loop = self._loop
        asyncio.run_coroutine_threadsafe(self.aclose(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=30)
        self._thread = None

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- handlers ----
    async def _handle_models(self, request: HttpRequest) -> HttpResponse:
        data = [{"id": m, "object": "model", "created": self._created, "owned_by": "openai-stub"} for m in self.models]
        return HttpResponse(body=_dumps({"object": "list", "data": data}))

    async def _handle_stats(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(body=_dumps(self._stats.as_dict()))

    async def _handle_reset(self, request: HttpRequest) -> HttpResponse:
        self.reset()
        return HttpResponse(body=b"{}")

    async def _handle_chat(self, request: HttpRequest) -> HttpResponse | None:
        return await self._handle(request, chat=True)

    async def _handle_text(self, request: HttpRequest) -> HttpResponse | None:
        return await self._handle(request, chat=False)

    async def _handle(self, request: HttpRequest, chat: bool) -> HttpResponse | None:
        stats = self._stats
        stats.requests += 1
        self._counter += 1
        n = self._counter
        stats.in_flight += 1
        if stats.in_flight > stats.max_in_flight:
            stats.max_in_flight = stats.in_flight
        try:
            raw = request.body
            if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
                return self._error(stats, 401, "openai_stub: missing or wrong API key")
            try:
                body = _loads(raw)
            except ValueError as exc:
                stats.errors.append(f"request {n}: body is not JSON: {exc}")
                return self._error(stats, 400, f"openai_stub: request body is not JSON: {exc}")
            problem = _validate(body, chat)
            if problem:
                stats.errors.append(f"request {n}: {problem}")
                return self._error(stats, 400, f"openai_stub: {problem}")
            if stats.bodies.maxlen:
                stats.bodies.append(body)
            stats.models[body.get("model", "")] += 1
            if chat and self.check_images:
                for info in check_images(body):
                    stats.images.append(info)
                    if info.valid:
                        stats.images_valid += 1
                    else:
                        stats.images_invalid += 1

            limit_headers: dict[str, str] = {}
            if self.rate_limit is not None:
                budget = body.get("max_completion_tokens") or body.get("max_tokens") or 0
                cost = _prompt_tokens(body, chat) + budget
                admitted, limit_headers = self.rate_limit.admit(cost)
                if admitted:
                    stats.tokens_charged += cost
                else:
                    return self._error(stats, 429, "openai_stub: rate limit reached, retry later", limit_headers)

            fault = self._schedule.pick(raw)
            if fault is not None:
                stats.faults[fault] += 1
                return await self._fault(request, stats, fault)

            try:
                answer = self.responder(body)
                if inspect.isawaitable(answer):
                    answer = await answer
            except Exception as exc:
                stats.errors.append(f"request {n}: responder raised {type(exc).__name__}: {exc}")
                return self._error(stats, 500, f"openai_stub: responder raised {type(exc).__name__}: {exc}")
            reply = answer if isinstance(answer, Reply) else Reply(content=str(answer))
            if limit_headers:
                reply = dataclasses.replace(reply, headers={**reply.headers, **limit_headers})
            if reply.drop or reply.hang:
                return await self._fault(request, stats, "hang" if reply.hang else "drop", reply.delay)
            if reply.status != 200:
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                return self._error(stats, reply.status, reply.content, reply.headers)
            return await self._answer(request, stats, body, reply, chat, n)
        finally:
            stats.in_flight -= 1

    async def _answer(
        self, request: HttpRequest, stats: StubStats, body: dict, reply: Reply, chat: bool, n: int
    ) -> HttpResponse | None:
        text = reply.content
        finish = reply.finish_reason
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        completion_tokens = _count_tokens(text)
        if isinstance(limit, int) and limit > 0 and completion_tokens > limit:
            text = "".join(_PIECES.findall(text)[:limit]).lstrip()
            completion_tokens, finish = limit, "length"
        prompt_tokens = _prompt_tokens(body, chat)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        model = body.get("model") or self.models[0]
        created = int(time.time())
        if body.get("stream"):
            return await self._stream(request, stats, body, reply, text, finish, usage, model, created, chat, n)
        delay = reply.delay if reply.delay is not None else self.latency + self.per_token_latency * completion_tokens
        if delay > 0:
            await asyncio.sleep(delay)
        choices_n = body.get("n") or 1
        if chat:
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": None,
                "finish_reason": finish,
            }
            obj, prefix = "chat.completion", "chatcmpl"
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
            obj, prefix = "text_completion", "cmpl"
        choices = [choice] if choices_n == 1 else [{**choice, "index": i} for i in range(choices_n)]
        payload = {
            "id": f"{prefix}-stub-{n}",
            "object": obj,
            "created": created,
            "model": model,
            "choices": choices,
            "usage": usage,
            "system_fingerprint": "openai-stub",
        }
        stats.completed += 1
        stats.status_counts[200] += 1
        stats.prompt_tokens += prompt_tokens
        stats.completion_tokens += completion_tokens
        return HttpResponse(body=_dumps(payload), headers=reply.headers or None)

    async def _stream(
        self,
        request: HttpRequest,
        stats: StubStats,
        body: dict,
        reply: Reply,
        text: str,
        finish: str,
        usage: dict,
        model: str,
        created: int,
        chat: bool,
        n: int,
    ) -> None:
        """Server-sent events as OpenAI sends them: role chunk, one chunk per token, finish, [DONE]."""
        first_delay = reply.delay if reply.delay is not None else self.latency
        if first_delay > 0:
            await asyncio.sleep(first_delay)
        response = request.stream(
            200, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **reply.headers}
        )
        base = {
            "id": f"chatcmpl-stub-{n}" if chat else f"cmpl-stub-{n}",
            "object": "chat.completion.chunk" if chat else "text_completion",
            "created": created,
            "model": model,
        }

        def chunk(delta: str | None, finish_reason: str | None, role: bool = False) -> bytes:
            if chat:
                d: dict[str, Any] = (
                    {"role": "assistant", "content": ""} if role else ({} if delta is None else {"content": delta})
                )
                choice = {"index": 0, "delta": d, "logprobs": None, "finish_reason": finish_reason}
            else:
                choice = {"index": 0, "text": delta or "", "logprobs": None, "finish_reason": finish_reason}
            return b"data: " + _dumps({**base, "choices": [choice]}) + b"\n\n"

        if chat:
            await response.write(chunk(None, None, role=True))
        per_token = self.per_token_latency if reply.delay is None else 0.0
        for piece in _PIECES.findall(text):
            if per_token > 0:
                await asyncio.sleep(per_token)
            await response.write(chunk(piece, None))
        await response.write(chunk(None, finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            await response.write(b"data: " + _dumps({**base, "choices": [], "usage": usage}) + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        await response.end()
        stats.completed += 1
        stats.streamed += 1
        stats.status_counts[200] += 1
        stats.prompt_tokens += usage["prompt_tokens"]
        stats.completion_tokens += usage["completion_tokens"]
        return None

    async def _fault(
        self, request: HttpRequest, stats: StubStats, kind: str, delay: float | None = None
    ) -> HttpResponse | None:
        if kind == "hang":
            stats.hung += 1
            assert self._stopping is not None
            await self._stopping.wait()
            request.abort()
            return None
        if kind == "drop":
            if delay:
                await asyncio.sleep(delay)
            stats.dropped += 1
            request.abort()
            return None
        status = int(kind)
        headers = {}
        if status == 429:
            headers = {
                "Retry-After": _format_seconds(self.retry_after),
                "retry-after-ms": str(int(round(self.retry_after * 1000))),
            }
        return self._error(stats, status, f"openai_stub: injected {status}", headers)

    @staticmethod
    def _error(stats: StubStats, status: int, message: str, headers: Mapping[str, str] | None = None) -> HttpResponse:
        stats.status_counts[status] += 1
        payload = {
            "error": {
                "message": message or f"openai_stub: status {status}",
                "type": _ERROR_TYPES.get(status, "api_error"),
                "param": None,
                "code": str(status),
            }
        }
        return HttpResponse(status, _dumps(payload), dict(headers or {}))


def _validate(body: Any, chat: bool) -> str | None:
    if not isinstance(body, dict):
        return f"request body must be a JSON object, got {type(body).__name__}"
    if chat:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "'messages' must be a non-empty list"
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or "role" not in m:
                return f"messages[{i}] must be an object with a 'role'"
    elif "prompt" not in body:
        return "'prompt' is required"
    n = body.get("n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 128):
        return f"'n' must be an integer 1-128, got {n!r}"
    return None


async def _as_coro(fn: Callable[[], Any]) -> Any:
    return fn()
