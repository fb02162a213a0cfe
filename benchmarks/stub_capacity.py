"""How many requests per second the OpenAI stub sustains, so client benchmarks are not capped by it.

The stub runs in its own process (``python -m harness.testing.openai_stub``); this process drives it
with a raw aiohttp client (one session, a keep-alive pool of C connections, C workers in a closed
loop). With latency L the ceiling is C/L req/s (1,280 at C=64, L=50 ms); the target is > 1,200.

    python benchmarks/stub_capacity.py [--concurrency 64] [--latency 0.05] [--requests 6000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time

import aiohttp

TARGET_RPS = 1200.0


def process_cpu(pid: int) -> float | None:
    """User+system CPU seconds of another process (Linux /proc), None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def start_stub(latency: float, extra: list[str]) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "harness.testing.openai_stub", "--port", "0", "--latency", str(latency), *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"(http://\S+/v1)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"the stub did not start: {line!r}")
    return proc, match.group(1)


async def drive(base_url: str, concurrency: int, total: int, warmup: int) -> tuple[float, int, int]:
    """Closed loop: C workers, each sends its next request when the previous one is answered."""
    url = base_url + "/chat/completions"
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    counter = iter(range(total + warmup))
    errors = 0
    start = 0.0

    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors, start
            for i in counter:
                if i == warmup:
                    start = time.perf_counter()
                body = {"model": "stub", "messages": [{"role": "user", "content": f"question {i}: what is the rhythm?"}],
                        "max_tokens": 16}
                async with session.post(url, json=body) as resp:
                    data = await resp.read()
                    if resp.status != 200 or b'"choices"' not in data:
                        errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, total, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--requests", type=int, default=6000, help="measured requests (after a warm-up)")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="report the median of this many runs")
    args = parser.parse_args()

    proc, base_url = start_stub(args.latency, [])
    try:
        results = []
        for _ in range(args.repeat):
            cpu0, server0 = time.process_time(), process_cpu(proc.pid)
            wall, n, errors = asyncio.run(drive(base_url, args.concurrency, args.requests, args.warmup))
            cpu, server1 = time.process_time() - cpu0, process_cpu(proc.pid)
            server = None if server0 is None or server1 is None else server1 - server0
            results.append((n / wall, wall, errors, cpu, server))
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    server_stats = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}

    ceiling = args.concurrency / args.latency
    rates = sorted(r[0] for r in results)
    median = rates[len(rates) // 2]
    print(f"stub capacity: C={args.concurrency} L={args.latency * 1000:g} ms, {args.requests} requests x {args.repeat} runs"
          f" (os.cpu_count()={os.cpu_count()})")
    for rps, wall, errors, cpu, server in results:
        server_text = "n/a" if server is None else f"{server:5.2f} s"
        print(f"  run: {rps:8.1f} req/s  wall {wall:6.2f} s  client CPU {cpu:5.2f} s  stub CPU {server_text}"
              f"  errors {errors}")
    print(f"median {median:.1f} req/s = {median / ceiling:.1%} of the C/L ceiling {ceiling:.0f} req/s "
          f"(target > {TARGET_RPS:.0f}: {'met' if median > TARGET_RPS else 'NOT met'})")
    if server_stats:
        print(f"server saw {server_stats.get('requests')} requests, max in flight {server_stats.get('max_in_flight')}")
    return 0 if median > TARGET_RPS and not any(r[2] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
