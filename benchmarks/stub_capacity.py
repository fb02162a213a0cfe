"""How many requests per second the OpenAI stub sustains, so client benchmarks are not capped by it.

The stub runs in its own process (``python -m harness.testing.openai_stub``); this process drives it
with the harness's ``openai_compat`` backend (aiohttp: a keep-alive pool of C
connections, C workers in a closed loop, on the run's event loop), the cheapest client here. With
latency L the ceiling is C/L req/s (1,280 at C=64, L=50 ms); the target is > 1,200.

On a shared machine other processes lower every figure, so runs against the stub alternate with
runs against a bare asyncio server (a fixed answer after the same latency, no HTTP framework) in
another process: the ratio stub/bare says how much of what the client can reach at that moment the
stub lets through, and the stub's CPU per request says what it costs.

    python benchmarks/stub_capacity.py [--concurrency 64] [--latency 0.05] [--requests 4000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness_bench import drive_backend, start_server  # noqa: E402

from harness.eventloop import run  # noqa: E402

TARGET_RPS = 1200.0


# ---- a bare reference server (python benchmarks/stub_capacity.py --serve-bare LATENCY) -------------

_BODY = (
    b'{"id":"chatcmpl-bare","object":"chat.completion","created":0,"model":"stub","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],'
    b'"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'
)
_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(_BODY), _BODY)


def serve_bare(latency: float) -> None:
    """Keep-alive HTTP/1.1 that answers every request with a fixed body after ``latency`` seconds."""

    class Protocol(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while True:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buffer[:end].lower()
                at = head.find(b"content-length:")
                length = int(head[at + 15 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
                if len(self.buffer) < end + 4 + length:
                    return
                self.buffer = self.buffer[end + 4 + length :]
                asyncio.get_running_loop().call_later(latency, self._reply)

        def _reply(self) -> None:
            if not self.transport.is_closing():
                self.transport.write(_RESPONSE)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Protocol, "127.0.0.1", 0, backlog=1024)
        print(f"bare server listening on http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# ---- measurement ---------------------------------------------------------------------------


def process_cpu(pid: int) -> float | None:
    """User+system CPU seconds of another process (Linux /proc), None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--requests", type=int, default=4000, help="measured requests per run (after a warm-up)")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="runs per server; medians are reported")
    parser.add_argument("--serve-bare", type=float, metavar="LATENCY", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare is not None:
        serve_bare(args.serve_bare)
        return 0

    stub, stub_url = start_server(
        [sys.executable, "-m", "harness.testing.openai_stub", "--port", "0", "--latency", str(args.latency)]
    )
    bare, bare_url = start_server([sys.executable, __file__, "--serve-bare", str(args.latency)])
    rows: dict[str, list[tuple[float, float | None, int]]] = {"stub": [], "bare": []}
    try:
        for _ in range(args.repeat):
            for name, proc, url in (("stub", stub, stub_url), ("bare", bare, bare_url)):
                cpu0 = process_cpu(proc.pid)
                wall, n, errors = run(drive_backend(url, args.concurrency, args.requests, args.warmup))
                cpu1 = process_cpu(proc.pid)
                per_request = None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) / (n + args.warmup)
                rows[name].append((n / wall, per_request, errors))
    finally:
        bare.kill()
        stub.terminate()
        out, _ = stub.communicate(timeout=30)
        bare.communicate(timeout=30)
    server_stats = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}

    ceiling = args.concurrency / args.latency
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"stub capacity: C={args.concurrency} L={args.latency * 1000:g} ms, the harness's openai_compat backend, {args.requests} "
        f"requests x {args.repeat} runs per server; {os.cpu_count()} CPUs, load average {load:.2f}"
    )
    medians = {}
    for name, runs in rows.items():
        rate = statistics.median(r[0] for r in runs)
        cpus = [r[1] for r in runs if r[1] is not None]
        cpu = f"{statistics.median(cpus) * 1e3:.3f} ms CPU/request" if cpus else "CPU n/a"
        medians[name] = rate
        print(
            f"  {name:4s}: runs {', '.join(f'{r[0]:.0f}' for r in runs)} req/s; median {rate:.0f} req/s "
            f"= {rate / ceiling:.1%} of the C/L ceiling {ceiling:.0f}; {cpu}; errors {sum(r[2] for r in runs)}"
        )
    print(f"stub / bare server: {medians['stub'] / medians['bare']:.1%}")
    met = medians["stub"] > TARGET_RPS
    print(f"target > {TARGET_RPS:.0f} req/s: {'met' if met else 'NOT met'}")
    if server_stats:
        print(f"stub saw {server_stats.get('requests')} requests, max in flight {server_stats.get('max_in_flight')}")
    errors = any(r[2] for runs in rows.values() for r in runs)
    return 0 if met and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
