"""Command line: run the stub as its own process, so a benchmark measures the client's CPU alone.

Started as ``python -m harness.testing.openai_stub``; the first line printed is its URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence

from harness.eventloop import new_event_loop
from harness.testing.stub.ratelimit import RateLimit
from harness.testing.stub.responders import Responder, cycle, echo, fixed
from harness.testing.stub.server import OpenAIStub


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
    parser.add_argument("--rpm", type=float, help="requests per minute allowed (429 + OpenAI's rate-limit headers)")
    parser.add_argument("--tpm", type=float, help="tokens per minute allowed (prompt + max_tokens)")
    parser.add_argument("--burst", type=float, default=1.0, help="seconds of refill the rate-limit buckets hold")
    parser.add_argument("--record", type=int, default=0, help="request bodies kept for /stub/stats (0: none)")
    args = parser.parse_args(argv)
    try:
        stub = OpenAIStub(
            _responder_from_cli(args.responder),
            latency=args.latency,
            per_token_latency=args.per_token_latency,
            faults=args.faults,
            seed=args.seed,
            retry_after=args.retry_after,
            host=args.host,
            port=args.port,
            models=args.models or ("stub",),
            record=args.record,
            rate_limit=RateLimit(args.rpm, args.tpm, args.burst) if args.rpm or args.tpm else None,
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
