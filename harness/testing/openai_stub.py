"""A real OpenAI-compatible HTTP server with scripted answers, a latency model and fault injection.

Why it exists: the harness talks to models over HTTP (litellm, the lean OpenAI-compatible path,
judges). Mocking the client would test nothing of that; this stub is a real aiohttp server on
127.0.0.1 that speaks the chat-completions protocol, so tests, benchmarks and third-party plugin
authors exercise the real network path, retries, timeouts and concurrency.

    with OpenAIStub(responder=fixed("B"), latency=0.05, faults={"429": 0.1}) as stub:
        run_against(stub.base_url)          # "http://127.0.0.1:PORT/v1"
        assert stub.stats.max_in_flight > 1

Endpoints: ``POST /v1/chat/completions`` (and ``/chat/completions``), ``POST /v1/completions``,
``GET /v1/models``; for a stub running in another process ``GET /stub/stats`` and
``POST /stub/reset``. Run it alone with ``python -m harness.testing.openai_stub --help``.

What answers: a *responder* ``(request_json) -> str | Reply`` (sync or async). Built-ins:
:func:`echo`, :func:`fixed`, :func:`rules`, :func:`cycle`, :func:`by_model`.

Faults (``faults=``) are deterministic: a rate draws from a seeded RNG once per request in arrival
order, ``every:N`` hits every N-th request, ``first:N`` fails the first N attempts of every distinct
request body (so each request succeeds after exactly N retries, whatever the concurrency).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import hashlib
import inspect
import io
import itertools
import json
import random
import re
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Union

import orjson
from aiohttp import web

from harness.runner.loop import new_event_loop

_dumps = orjson.dumps  # several times faster than json: the stub must not be a benchmark's bottleneck
_loads = orjson.loads

__all__ = [
    "FaultRule",
    "ImageInfo",
    "OpenAIStub",
    "Reply",
    "StubStats",
    "by_model",
    "check_images",
    "conversation_text",
    "cycle",
    "echo",
    "fixed",
    "last_user_text",
    "parse_faults",
    "rules",
]


# --------------------------------------------------------------------------------------------
# What a responder returns
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A scripted answer with everything a server can do besides returning text.

    ``status`` != 200 sends an OpenAI-style error body whose message is ``content``.
    ``delay`` replaces the server's latency model for this answer (seconds).
    ``drop`` closes the connection without an answer; ``hang`` never answers (until the stub stops).
    """

    content: str = ""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float | None = None
    drop: bool = False
    hang: bool = False
    finish_reason: str = "stop"


Answer = Union[str, Reply]
Responder = Callable[[dict[str, Any]], Union[Answer, Awaitable[Answer]]]


def _part_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: keep the text ones
        return "\n".join(
            p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return "" if content is None else str(content)


def last_user_text(request: Mapping[str, Any]) -> str:
    """Text of the last user message (text parts joined); the ``prompt`` of a legacy completion."""
    messages = request.get("messages")
    if not messages:
        prompt = request.get("prompt", "")
        return prompt if isinstance(prompt, str) else "\n".join(map(str, prompt))
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _part_text(message.get("content"))
    return ""


def conversation_text(request: Mapping[str, Any]) -> str:
    """Every message's text, one per line as ``role: text`` (what a rule on the whole chat sees)."""
    messages = request.get("messages")
    if not messages:
        return last_user_text(request)
    return "\n".join(f"{m.get('role')}: {_part_text(m.get('content'))}" for m in messages if isinstance(m, dict))


def echo(prefix: str = "") -> Responder:
    """Answer with the last user message (optionally prefixed)."""

    def respond(request: dict[str, Any]) -> str:
        return prefix + last_user_text(request)

    return respond


def fixed(answer: Answer) -> Responder:
    """Always give the same answer."""

    def respond(request: dict[str, Any]) -> Answer:
        return answer

    return respond


RuleAnswer = Union[Answer, Callable[["re.Match[str]"], Answer]]


def rules(
    table: Iterable[tuple[str | re.Pattern[str], RuleAnswer]] | Mapping[str | re.Pattern[str], RuleAnswer],
    default: Answer | None = None,
    *,
    target: str = "last_user",
    flags: int = re.IGNORECASE | re.DOTALL,
) -> Responder:
    """First regex that matches (``re.search``) decides the answer.

    ``target`` is ``"last_user"`` (the last user message) or ``"conversation"`` (all messages).
    An answer may be a callable taking the match. With no match and no ``default`` the stub answers
    500 naming the unmatched text, so a mis-scripted test fails loudly instead of scoring "".
    """
    if target not in ("last_user", "conversation"):
        raise ValueError(f"rules(target=...) must be 'last_user' or 'conversation', got {target!r}")
    items = table.items() if isinstance(table, Mapping) else table
    compiled = [(re.compile(p, flags) if isinstance(p, str) else p, a) for p, a in items]
    text_of = last_user_text if target == "last_user" else conversation_text

    def respond(request: dict[str, Any]) -> Answer:
        text = text_of(request)
        for pattern, answer in compiled:
            match = pattern.search(text)
            if match:
                return answer(match) if callable(answer) else answer
        if default is not None:
            return default
        return Reply(status=500, content=f"openai_stub: no rule matched {text[:200]!r}")

    return respond


def cycle(answers: Sequence[Answer]) -> Responder:
    """Hand out the answers in order, starting over at the end (e.g. a judge's scripted verdicts).

    The order follows request arrival, so with concurrent clients pair it with ``concurrency=1``
    or make every answer acceptable for every request.
    """
    if not answers:
        raise ValueError("cycle() needs at least one answer")
    it = itertools.cycle(list(answers))

    def respond(request: dict[str, Any]) -> Answer:
        return next(it)

    return respond


def by_model(routes: Mapping[str, Responder], default: Responder | None = None) -> Responder:
    """Dispatch on the request's ``model`` field: one server plays several models (e.g. a jury)."""

    def respond(request: dict[str, Any]) -> Answer | Awaitable[Answer]:
        model = request.get("model", "")
        responder = routes.get(model, default)
        if responder is None:
            return Reply(status=404, content=f"openai_stub: unknown model {model!r}; known: {sorted(routes)}")
        return responder(request)

    return respond


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------

_FAULT_KINDS = ("drop", "hang")


@dataclass(frozen=True)
class FaultRule:
    """One fault: ``kind`` is an HTTP status ("429", "503", ...) or "drop" / "hang".

    Exactly one trigger: ``rate`` (probability per request, seeded RNG), ``every`` (every N-th
    request) or ``first`` (the first N attempts of every distinct request body).
    """

    kind: str
    rate: float = 0.0
    every: int = 0
    first: int = 0

    def __post_init__(self) -> None:
        kind = str(self.kind)
        object.__setattr__(self, "kind", kind)
        if kind not in _FAULT_KINDS and not (kind.isdigit() and 400 <= int(kind) <= 599):
            raise ValueError(f"fault kind {kind!r}: expected an HTTP error status 400-599, 'drop' or 'hang'")
        triggers = [bool(self.rate), bool(self.every), bool(self.first)]
        if sum(triggers) != 1:
            raise ValueError(f"fault {kind!r}: give exactly one of rate, every, first")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault {kind!r}: rate must be in [0, 1], got {self.rate}")
        if self.every < 0 or self.first < 0:
            raise ValueError(f"fault {kind!r}: every/first must be positive")


FaultSpec = Union[float, int, str, FaultRule]


def _parse_trigger(kind: str, value: FaultSpec) -> FaultRule:
    if isinstance(value, FaultRule):
        return value
    if isinstance(value, bool):
        raise ValueError(f"fault {kind!r}: {value!r} is not a rate, every:N or first:N")
    if isinstance(value, int):
        return FaultRule(kind, every=value)
    if isinstance(value, float):
        return FaultRule(kind, rate=value)
    text = str(value).strip()
    for name in ("every", "first"):
        if text.startswith(name + ":"):
            try:
                n = int(text[len(name) + 1 :])
            except ValueError:
                raise ValueError(f"fault {kind!r}: {text!r} needs an integer after '{name}:'") from None
            return FaultRule(kind, **{name: n})
    try:
        return FaultRule(kind, rate=float(text))
    except ValueError:
        raise ValueError(f"fault {kind!r}: {text!r} is not a rate (0.1), every:N or first:N") from None


def parse_faults(spec: Mapping[str, FaultSpec] | Sequence[FaultRule] | str | None) -> list[FaultRule]:
    """Normalise ``{"429": 0.1, "503": "every:20", "drop": "first:1"}``, a rule list or the CLI form
    ``"429=0.1,503=every:20"``. Rates together may not exceed 1."""
    if spec is None or spec == "" or spec == {}:
        return []
    if isinstance(spec, str):
        pairs = []
        for item in spec.split(","):
            if not item.strip():
                continue
            kind, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"fault {item!r}: expected KIND=VALUE, e.g. 429=0.1 or 503=every:20")
            pairs.append((kind.strip(), value.strip()))
        parsed = [_parse_trigger(k, v) for k, v in pairs]
    elif isinstance(spec, Mapping):
        parsed = [_parse_trigger(str(k), v) for k, v in spec.items()]
    else:
        parsed = [r if isinstance(r, FaultRule) else _bad_rule(r) for r in spec]
    total = sum(r.rate for r in parsed)
    if total > 1.0 + 1e-12:
        raise ValueError(f"fault rates add up to {total:g} > 1")
    return parsed


def _bad_rule(rule: Any) -> FaultRule:
    raise ValueError(f"faults: expected FaultRule items, got {rule!r}")


class _FaultSchedule:
    """Decides, per request, which fault (if any) it gets. Runs on the server's loop only."""

    def __init__(self, rules_: list[FaultRule], seed: int) -> None:
        self.rules = rules_
        self.rng = random.Random(seed)
        self.attempts: dict[bytes, int] = {}
        self.need_digest = any(r.first for r in rules_)
        self.count = 0  # well-formed requests seen; "every:N" counts these

    def pick(self, body: bytes) -> str | None:
        if not self.rules:
            return None
        self.count += 1
        n = self.count
        u = self.rng.random()  # always drawn: the sequence depends on the request count alone
        attempt = 0
        if self.need_digest:
            digest = hashlib.blake2b(body, digest_size=16).digest()
            attempt = self.attempts.get(digest, 0)
            self.attempts[digest] = attempt + 1
        edge = 0.0
        for rule in self.rules:
            if rule.every and n % rule.every == 0:
                return rule.kind
            if rule.first and attempt < rule.first:
                return rule.kind
            if rule.rate:
                edge += rule.rate
                if u < edge:
                    return rule.kind
        return None


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------

_SIGNATURES = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "jpg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
}
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[^,;]*)*?);base64,", re.IGNORECASE)


@dataclass(frozen=True)
class ImageInfo:
    """What the stub found in one ``image_url`` part."""

    valid: bool
    mime: str | None = None
    format: str | None = None  # as decoded (Pillow's name, e.g. "PNG"), or from the signature
    width: int | None = None
    height: int | None = None
    n_bytes: int = 0
    error: str | None = None


def _image_parts(request: Mapping[str, Any]) -> list[Any]:
    found = []
    for message in request.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    found.append(part.get("image_url"))
    return found


def _check_url(url: Any) -> ImageInfo:
    if isinstance(url, dict):
        url = url.get("url")
    if not isinstance(url, str):
        return ImageInfo(False, error=f"image_url has no url string: {url!r:.80}")
    match = _DATA_URL.match(url)
    if not match:
        return ImageInfo(False, error=f"not a base64 data URL: {url[:60]!r}")
    mime = (match.group("mime") or "").lower() or None
    try:
        raw = base64.b64decode(url[match.end() :], validate=True)
    except (binascii.Error, ValueError) as exc:
        return ImageInfo(False, mime=mime, error=f"base64 does not decode: {exc}")
    subtype = mime.split("/", 1)[1] if mime and "/" in mime else ""
    signatures = _SIGNATURES.get(subtype)
    if signatures is None:
        return ImageInfo(False, mime=mime, n_bytes=len(raw), error=f"unsupported image type {mime!r}")
    if not raw.startswith(signatures) or (subtype == "webp" and raw[8:12] != b"WEBP"):
        return ImageInfo(False, mime=mime, n_bytes=len(raw), error=f"bytes are not a {subtype.upper()} file")
    try:
        from PIL import Image
    except ImportError:  # signature check only
        return ImageInfo(True, mime=mime, format=subtype.upper(), n_bytes=len(raw))
    try:
        with Image.open(io.BytesIO(raw)) as img:
            img.load()
            return ImageInfo(True, mime=mime, format=img.format, width=img.width, height=img.height, n_bytes=len(raw))
    except Exception as exc:  # Pillow raises many types for corrupt files
        return ImageInfo(False, mime=mime, n_bytes=len(raw), error=f"does not decode: {type(exc).__name__}: {exc}")


def check_images(request: Mapping[str, Any]) -> list[ImageInfo]:
    """Decode every ``image_url`` part of a chat request (base64 data URLs; Pillow if installed)."""
    return [_check_url(url) for url in _image_parts(request)]


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


@dataclass
class StubStats:
    """What the server saw. Updated on the server's loop; read it from tests after the calls."""

    requests: int = 0  # completion requests received (any outcome)
    completed: int = 0  # answered 200
    status_counts: Counter = field(default_factory=Counter)  # HTTP status -> count
    dropped: int = 0
    hung: int = 0
    faults: Counter = field(default_factory=Counter)  # injected fault kind -> count
    in_flight: int = 0
    max_in_flight: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    streamed: int = 0
    models: Counter = field(default_factory=Counter)
    bodies: deque = field(default_factory=lambda: deque(maxlen=1000))
    images: deque = field(default_factory=lambda: deque(maxlen=1000))
    images_valid: int = 0
    images_invalid: int = 0
    errors: list[str] = field(default_factory=list)  # bad requests and responder exceptions

    def snapshot(self) -> StubStats:
        """A copy that later requests do not change."""
        return StubStats(
            requests=self.requests, completed=self.completed, status_counts=Counter(self.status_counts),
            dropped=self.dropped, hung=self.hung, faults=Counter(self.faults), in_flight=self.in_flight,
            max_in_flight=self.max_in_flight, prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens, streamed=self.streamed, models=Counter(self.models),
            bodies=deque(self.bodies, maxlen=self.bodies.maxlen), images=deque(self.images, maxlen=self.images.maxlen),
            images_valid=self.images_valid, images_invalid=self.images_invalid, errors=list(self.errors),
        )

    def __getitem__(self, key: str) -> Any:
        """Mapping-style access (``stats["requests"]``); ``"status"`` is ``status_counts``."""
        name = "status_counts" if key == "status" else key
        if name not in self.__dataclass_fields__:
            raise KeyError(f"{key!r}: StubStats has {sorted(self.__dataclass_fields__)}")
        return getattr(self, name)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (without bodies), as served by ``GET /stub/stats``."""
        out = {k: v for k, v in asdict(self).items() if k not in ("bodies", "images")}
        out["status_counts"] = {str(k): v for k, v in self.status_counts.items()}
        out["faults"] = dict(self.faults)
        out["models"] = dict(self.models)
        out["errors"] = self.errors[-50:]
        return out


@dataclass(frozen=True)
class ImageCheck:
    valid: int
    invalid: int
    errors: list[str]


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
                429: "rate_limit_error", 500: "server_error", 503: "service_unavailable"}
_PIECES = re.compile(r"\s*\S+|\s+$")
_JSON = "application/json"
_MAX_BODY = 256 * 1024**2


def _count_tokens(text: str) -> int:
    return len(text.split())


def _prompt_tokens(body: Mapping[str, Any], chat: bool) -> int:
    if not chat:
        return _count_tokens(last_user_text(body))
    return sum(_count_tokens(_part_text(m.get("content"))) for m in body["messages"])


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


class OpenAIStub:
    """An OpenAI-compatible server on 127.0.0.1 with an ephemeral port.

    Use ``with OpenAIStub(...) as stub`` (a background thread with its own event loop) or
    ``async with OpenAIStub(...) as stub`` (on the caller's loop). ``latency`` seconds plus
    ``per_token_latency`` per completion token are awaited before each answer. ``record`` bounds
    how many request bodies are kept in ``stats.bodies`` (0 keeps none). With ``api_key`` set,
    requests without ``Authorization: Bearer <api_key>`` get 401.
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
        self._seed = seed
        self._fault_rules = parse_faults(faults)
        self._schedule = _FaultSchedule(self._fault_rules, seed)
        self._stats = self._new_stats()
        self._counter = 0
        self._runner: web.ServerRunner | None = None
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

    def wait_for(self, predicate: Callable[[StubStats], bool], timeout: float = 30.0, interval: float = 0.02) -> StubStats:
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
    def _routes(self) -> dict[tuple[str, str], Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]]:
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

    def _make_dispatch(self) -> Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]:
        """aiohttp's low-level server plus a dict lookup: no router or middleware on the hot path."""
        routes = self._routes()
        paths = {path for _, path in routes}

        async def dispatch(request: web.BaseRequest) -> web.StreamResponse:
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
        server = web.Server(self._make_dispatch(), request_factory=_request_factory, access_log=None)
        self._runner = web.ServerRunner(server, shutdown_timeout=0.5, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        await site.start()
        sockets = self._runner.addresses
        self.port = sockets[0][1]
        return self

    async def aclose(self) -> None:
        """Stop serving; hanging requests are released (their connections dropped)."""
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

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
    async def _handle_models(self, request: web.BaseRequest) -> web.Response:
        data = [{"id": m, "object": "model", "created": self._created, "owned_by": "openai-stub"} for m in self.models]
        return web.Response(body=_dumps({"object": "list", "data": data}), content_type=_JSON)

    async def _handle_stats(self, request: web.BaseRequest) -> web.Response:
        return web.Response(body=_dumps(self._stats.as_dict()), content_type=_JSON)

    async def _handle_reset(self, request: web.BaseRequest) -> web.Response:
        self.reset()
        return web.Response(body=b"{}", content_type=_JSON)

    async def _handle_chat(self, request: web.BaseRequest) -> web.StreamResponse:
        return await self._handle(request, chat=True)

    async def _handle_text(self, request: web.BaseRequest) -> web.StreamResponse:
        return await self._handle(request, chat=False)

    async def _handle(self, request: web.BaseRequest, chat: bool) -> web.StreamResponse:
        stats = self._stats
        stats.requests += 1
        self._counter += 1
        n = self._counter
        stats.in_flight += 1
        if stats.in_flight > stats.max_in_flight:
            stats.max_in_flight = stats.in_flight
        try:
            raw = await request.read()
            if self.api_key is not None and request.headers.get("Authorization") != f"Bearer {self.api_key}":
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
        self, request: web.BaseRequest, stats: StubStats, body: dict, reply: Reply, chat: bool, n: int
    ) -> web.StreamResponse:
        text = reply.content
        finish = reply.finish_reason
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        completion_tokens = _count_tokens(text)
        if isinstance(limit, int) and limit > 0 and completion_tokens > limit:
            text = "".join(_PIECES.findall(text)[:limit]).lstrip()
            completion_tokens, finish = limit, "length"
        prompt_tokens = _prompt_tokens(body, chat)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}
        model = body.get("model") or self.models[0]
        created = int(time.time())
        if body.get("stream"):
            return await self._stream(request, stats, body, reply, text, finish, usage, model, created, chat, n)
        delay = reply.delay if reply.delay is not None else self.latency + self.per_token_latency * completion_tokens
        if delay > 0:
            await asyncio.sleep(delay)
        choices_n = body.get("n") or 1
        if chat:
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "logprobs": None,
                      "finish_reason": finish}
            obj, prefix = "chat.completion", "chatcmpl"
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
            obj, prefix = "text_completion", "cmpl"
        choices = [choice] if choices_n == 1 else [{**choice, "index": i} for i in range(choices_n)]
        payload = {"id": f"{prefix}-stub-{n}", "object": obj, "created": created, "model": model,
                   "choices": choices, "usage": usage, "system_fingerprint": "openai-stub"}
        stats.completed += 1
        stats.status_counts[200] += 1
        stats.prompt_tokens += prompt_tokens
        stats.completion_tokens += completion_tokens
        return web.Response(body=_dumps(payload), content_type=_JSON, headers=reply.headers or None)

    async def _stream(
        self, request: web.BaseRequest, stats: StubStats, body: dict, reply: Reply, text: str, finish: str,
        usage: dict, model: str, created: int, chat: bool, n: int,
    ) -> web.StreamResponse:
        """Server-sent events as OpenAI sends them: role chunk, one chunk per token, finish, [DONE]."""
        first_delay = reply.delay if reply.delay is not None else self.latency
        if first_delay > 0:
            await asyncio.sleep(first_delay)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                               **reply.headers})
        await response.prepare(request)
        base = {"id": f"chatcmpl-stub-{n}" if chat else f"cmpl-stub-{n}",
                "object": "chat.completion.chunk" if chat else "text_completion",
                "created": created, "model": model}

        def chunk(delta: str | None, finish_reason: str | None, role: bool = False) -> bytes:
            if chat:
                d: dict[str, Any] = {"role": "assistant", "content": ""} if role else ({} if delta is None else {"content": delta})
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
        await response.write_eof()
        stats.completed += 1
        stats.streamed += 1
        stats.status_counts[200] += 1
        stats.prompt_tokens += usage["prompt_tokens"]
        stats.completion_tokens += usage["completion_tokens"]
        return response

    async def _fault(self, request: web.BaseRequest, stats: StubStats, kind: str, delay: float | None = None) -> web.StreamResponse:
        if kind == "hang":
            stats.hung += 1
            assert self._stopping is not None
            await self._stopping.wait()
            return _drop(request)
        if kind == "drop":
            if delay:
                await asyncio.sleep(delay)
            stats.dropped += 1
            return _drop(request)
        status = int(kind)
        headers = {}
        if status == 429:
            headers = {"Retry-After": _format_seconds(self.retry_after),
                       "retry-after-ms": str(int(round(self.retry_after * 1000)))}
        return self._error(stats, status, f"openai_stub: injected {status}", headers)

    @staticmethod
    def _error(stats: StubStats, status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
        stats.status_counts[status] += 1
        payload = {"error": {"message": message or f"openai_stub: status {status}",
                             "type": _ERROR_TYPES.get(status, "api_error"), "param": None, "code": str(status)}}
        return web.Response(status=status, body=_dumps(payload), content_type=_JSON, headers=dict(headers or {}))


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


def _request_factory(message: Any, payload: Any, protocol: Any, writer: Any, task: Any) -> web.BaseRequest:
    # Chat requests with several rendered ECG images exceed aiohttp's default 1 MiB body limit.
    return web.BaseRequest(message, payload, protocol, writer, task, protocol._loop, client_max_size=_MAX_BODY)


def _drop(request: web.BaseRequest) -> web.StreamResponse:
    """Close the TCP connection without an HTTP answer (what a crashed upstream looks like)."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    # aiohttp needs a response object back; nothing reaches the client on an aborted transport.
    return web.Response(status=499)


async def _as_coro(fn: Callable[[], Any]) -> Any:
    return fn()


# --------------------------------------------------------------------------------------------
# Command line: run the stub as its own process (benchmarks measure the client's CPU alone)
# --------------------------------------------------------------------------------------------


def _responder_from_cli(spec: str) -> Responder:
    kind, _, arg = spec.partition(":")
    if kind == "echo":
        return echo(arg)
    if kind == "fixed":
        return fixed(arg)
    if kind == "cycle":
        return cycle(arg.split("|"))
    raise SystemExit(f"--responder {spec!r}: expected echo[:PREFIX], fixed:TEXT or cycle:A|B|C")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.testing.openai_stub",
        description="OpenAI-compatible stub server with scripted answers, latency and fault injection.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port (printed on start)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--per-token-latency", type=float, default=0.0, help="extra seconds per completion token")
    parser.add_argument("--faults", default="", help="e.g. 429=0.1,503=every:20,drop=0.02,hang=first:1")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault schedule")
    parser.add_argument("--retry-after", type=float, default=1.0, help="Retry-After seconds sent with 429")
    parser.add_argument("--responder", default="echo", help="echo[:PREFIX] | fixed:TEXT | cycle:A|B|C")
    parser.add_argument("--model", action="append", dest="models", help="model id listed by /v1/models (repeatable)")
    parser.add_argument("--record", type=int, default=0, help="request bodies kept for /stub/stats (0: none)")
    args = parser.parse_args(argv)
    try:
        stub = OpenAIStub(
            _responder_from_cli(args.responder), latency=args.latency, per_token_latency=args.per_token_latency,
            faults=args.faults, seed=args.seed, retry_after=args.retry_after, host=args.host, port=args.port,
            models=args.models or ("stub",), record=args.record,
        )
    except ValueError as exc:
        print(f"openai_stub: {exc}", file=sys.stderr)
        return 2

    async def serve() -> None:
        try:
            await stub.start_async()
        except OSError as exc:
            raise SystemExit(f"openai_stub: cannot listen on {args.host}:{args.port}: {exc}") from None
        print(f"openai_stub listening on {stub.base_url}", flush=True)
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, done.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - non-POSIX
                pass
        await done.wait()
        await stub.aclose()
        print(json.dumps(stub.stats.as_dict()), flush=True)

    loop = new_event_loop()
    try:
        loop.run_until_complete(serve())
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
