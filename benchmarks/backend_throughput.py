"""Requests per second of the model backends against an OpenAI-compatible server, next to raw aiohttp.

The stub server runs in its own process (``python -m harness.testing.openai_stub``) with a fixed
latency L; this process drives it with C concurrent callers in a closed loop (each sends its next
request when the previous one is answered). The ceiling is C/L requests per second (1,280 at C=64,
L=50 ms). Clients compared, one after the other against the same server:

* raw aiohttp: one session, keep-alive pool, ``session.post`` + ``resp.read()`` (the floor of
  client-side cost);
* the ``openai_compat`` backend (``Model.generate``: retry policy, timeout, JSON parsing);
* the ``litellm`` backend (``litellm.acompletion`` through the same retry policy).

    python benchmarks/backend_throughput.py [--concurrency 64] [--latency 0.05] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from harness.models.base import Request
from harness.models.config import ModelConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness_bench import start_stub  # noqa: E402

TARGET_OPENAI_COMPAT = 1100.0  # req/s at C=64, L=50 ms on 2 cores


def request(i: int) -> Request:
    return Request(
        id=str(i),
        messages=[{"role": "user", "content": f"question {i}: what is the rhythm?"}],
        params={"max_tokens": 16},
    )


async def closed_loop(
    call: Callable[[int], Awaitable[bool]], concurrency: int, total: int, warmup: int
) -> tuple[float, float, int]:
    """(wall seconds, client CPU seconds, errors) for ``total`` calls after ``warmup`` calls."""
    counter = iter(range(total + warmup))
    errors = 0
    marks: dict[str, float] = {}

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            if i == warmup:
                marks["wall"], marks["cpu"] = time.perf_counter(), time.process_time()
            try:
                ok = await call(i)
            except Exception:  # noqa: BLE001 - counted, the benchmark goes on
                ok = False
            errors += not ok

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - marks["wall"], time.process_time() - marks["cpu"], errors


async def run_raw(base_url: str, concurrency: int, total: int, warmup: int) -> tuple[float, float, int]:
    import aiohttp
    import orjson

    url = base_url + "/chat/completions"
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def call(i: int) -> bool:
            r = request(i)
            body = orjson.dumps({"model": "stub", "messages": r.messages, **r.params})
            async with session.post(url, data=body, headers=headers) as resp:
                data = orjson.loads(await resp.read())
            return resp.status == 200 and bool(data["choices"][0]["message"]["content"])

        return await closed_loop(call, concurrency, total, warmup)


async def run_backend(
    backend: str, base_url: str, concurrency: int, total: int, warmup: int
) -> tuple[float, float, int]:
    from harness.plugins.models import harness_model_backends

    model_id = "openai/stub" if backend == "litellm" else "stub"
    config = ModelConfig(
        name=f"bench_{backend}", backend=backend, model=model_id, base_url=base_url, concurrency=concurrency
    )
    model = dict(harness_model_backends())[backend](config)

    async def call(i: int) -> bool:
        response = await model.generate(request(i))
        return bool(response.text)

    try:
        return await closed_loop(call, concurrency, total, warmup)
    finally:
        await model.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per client (after a warm-up)")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--clients", default="raw,openai_compat,litellm")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds over the fast clients (raw, openai_compat), median reported; litellm runs once",
    )
    args = parser.parse_args()

    proc, base_url = start_stub(args.latency, ["--responder", "fixed:sinus rhythm"])
    ceiling = args.concurrency / args.latency
    clients = args.clients.split(",")
    runs: dict[str, list[tuple[float, float, int]]] = {c: [] for c in clients}
    try:
        for round_ in range(max(args.repeat, 1)):  # interleaved, so a burst of load elsewhere hits every client
            for client in clients:
                if client == "litellm" and round_ > 0:
                    continue
                if client == "raw":
                    runs[client].append(asyncio.run(run_raw(base_url, args.concurrency, args.requests, args.warmup)))
                else:
                    runs[client].append(
                        asyncio.run(run_backend(client, base_url, args.concurrency, args.requests, args.warmup))
                    )
    finally:
        proc.terminate()
        proc.communicate(timeout=30)

    print(
        f"backend throughput: C={args.concurrency} L={args.latency * 1000:g} ms, {args.requests} requests per client "
        f"(+{args.warmup} warm-up), stub in its own process, os.cpu_count()={os.cpu_count()}"
    )
    print(f"C/L ceiling: {ceiling:.0f} req/s; median of {args.repeat} interleaved runs (litellm: 1 run)")
    rows = []
    for client, results in runs.items():
        wall, cpu, _ = sorted(results)[len(results) // 2]
        rows.append((client, args.requests / wall, wall, cpu, sum(r[2] for r in results)))
    raw_rps = next((r[1] for r in rows if r[0] == "raw"), None)
    for client, rps, wall, cpu, errors in rows:
        vs_raw = f"  {rps / raw_rps:6.1%} of raw aiohttp" if raw_rps else ""
        print(
            f"  {client:14s} {rps:8.1f} req/s  {rps / ceiling:6.1%} of ceiling{vs_raw}  wall {wall:5.2f} s  "
            f"client CPU {cpu * 1000 / args.requests:5.2f} ms/request  errors {errors}"
        )
    compat = next((r for r in rows if r[0] == "openai_compat"), None)
    ok = all(r[4] == 0 for r in rows)
    if compat:
        met = compat[1] >= TARGET_OPENAI_COMPAT
        print(f"openai_compat target {TARGET_OPENAI_COMPAT:.0f} req/s: {'met' if met else 'NOT met'}")
        ok = ok and met
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
