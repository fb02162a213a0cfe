"""Requests per second of the whole harness path against an OpenAI-compatible server.

The run is the real CLI (``python -m harness +task=ecgqa_ck model=local_server``) in its own
process, against the stub (``python -m harness.testing.openai_stub``) in another, with a fresh
cache: prompt rendering, the request through ``openai_compat``, the cache write, BLEU-1/ROUGE-L/
METEOR and ``samples.jsonl`` are all inside the measured time (``timings.wall_s`` of results.json),
including the metrics' one-off set-up, which overlaps the first requests in the scoring process
and is printed too. The whole process wall time with the interpreter's start-up is reported
alongside. METEOR starts from the word tables earlier runs kept in the user cache (warm, the
usual case); one extra round with an empty cache directory shows the first run's cost (cold:
importing nltk and loading WordNet). With C requests in flight and a
server latency L the ceiling is C/L (1,280 req/s at C=64, L=50 ms); the target is >= 90% of it.
Two bare closed loops against the same stub are measured in the same rounds: raw aiohttp (the
reference the target was set against) and the harness's ``openai_compat`` backend alone (aiohttp
with the retry policy and rate limiter, what the run's requests go through), the bound for the run.

    python benchmarks/harness_throughput.py [--concurrency 64] [--latency 0.05] [--samples 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness_bench import data_dir, drive_backend, load, start_stub, stop  # noqa: E402

from harness.eventloop import run  # noqa: E402

TARGET = 0.90


def harness_run(
    base_url: str,
    *,
    task: str,
    samples: int,
    concurrency: int,
    extra: list[str] = (),
    env: dict[str, str] | None = None,
) -> dict:
    """One CLI run with a fresh cache and run dir; returns its results.json plus the process wall time."""
    with tempfile.TemporaryDirectory(prefix="harness-bench-") as tmp:
        out = Path(tmp) / "run"
        cmd = [
            sys.executable,
            "-m",
            "harness",
            f"+task={task}",
            "model=local_server",
            "model.model=stub",
            f"limit={samples}",
            f"concurrency={concurrency}",
            f"model.concurrency={concurrency}",
            f"cache_dir={tmp}/cache",
            f"hydra.run.dir={out}",
            *extra,
        ]
        run_env = {**os.environ, "HARNESS_BASE_URL": base_url, "HARNESS_DATA_DIR": str(data_dir()), **(env or {})}
        t0 = time.perf_counter()
        done = subprocess.run(cmd, env=run_env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"harness run failed ({done.returncode}):\n{done.stderr[-3000:]}")
        results = json.loads((out / "results.json").read_text())
        n_lines = sum(1 for _ in open(out / "samples.jsonl", encoding="utf-8"))
    results["_process_wall_s"] = wall
    results["_n_lines"] = n_lines
    return results


async def raw_client(base_url: str, concurrency: int, total: int) -> float:
    """Closed-loop raw aiohttp: C workers, one keep-alive pool; req/s."""
    import aiohttp

    url = base_url + "/chat/completions"
    counter = iter(range(total))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker() -> None:
            for i in counter:
                body = {"model": "stub", "messages": [{"role": "user", "content": f"question {i}"}], "max_tokens": 16}
                async with session.post(url, json=body) as resp:
                    await resp.read()

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return total / (time.perf_counter() - t0)


def _describe(res: dict) -> str:
    t = res["timings"]
    return (
        f"{t['wall_s']:.2f} s; scoring in a {t.get('scoring_mode', '?')}, metric set-up {t.get('prepare_s', 0):.2f} s "
        f"overlapping the requests, scoring {t.get('scoring_s', 0):.2f} s) | whole process incl. start-up {res['_process_wall_s']:.2f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--task", default="ecgqa_ck")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the median is reported")
    parser.add_argument("--no-cold", action="store_true", help="skip the round with an empty user cache")
    ns = parser.parse_args()
    ceiling = ns.concurrency / ns.latency
    print(
        f"harness throughput: task {ns.task}, {ns.samples} samples, C={ns.concurrency}, L={ns.latency * 1000:.0f} ms, "
        f"ceiling C/L = {ceiling:,.0f} req/s"
    )
    print(f"before: {load()}", flush=True)
    proc, base_url = start_stub(ns.latency)
    harness_rps, process_rps, raw_rps, backend_rps = [], [], [], []
    try:
        for round_ in range(ns.repeat):
            raw_rps.append(asyncio.run(raw_client(base_url, ns.concurrency, ns.samples)))
            backend_wall, _, _ = run(drive_backend(base_url, ns.concurrency, ns.samples))
            backend_rps.append(ns.samples / backend_wall)
            res = harness_run(base_url, task=ns.task, samples=ns.samples, concurrency=ns.concurrency)
            n = res["task"]["n_samples"]
            if (
                n != ns.samples
                or res["_n_lines"] != n
                or res["usage"]["failed"]
                or res["usage"]["requests"] + res["usage"]["cache_hits"] != n
            ):
                raise SystemExit(f"incomplete run: {n} samples, {res['_n_lines']} lines, usage {res['usage']}")
            wall = res["timings"]["wall_s"]
            harness_rps.append(n / wall)
            process_rps.append(n / res["_process_wall_s"])
            print(
                f"  round {round_ + 1}: raw aiohttp {raw_rps[-1]:,.0f} req/s | harness backend alone {backend_rps[-1]:,.0f} req/s | "
                f"harness evaluate {harness_rps[-1]:,.0f} req/s "
                f"({_describe(res)}",
                flush=True,
            )
        if not ns.no_cold:
            with tempfile.TemporaryDirectory(prefix="harness-cold-cache-") as cold_dir:
                cold = harness_run(
                    base_url,
                    task=ns.task,
                    samples=ns.samples,
                    concurrency=ns.concurrency,
                    env={"HARNESS_CACHE_DIR": cold_dir},
                )
            cold_rps = cold["task"]["n_samples"] / cold["timings"]["wall_s"]
            print(
                f"  cold user cache (first run ever: nltk import, WordNet load): harness evaluate {cold_rps:,.0f} req/s ({_describe(cold)}",
                flush=True,
            )
    finally:
        stop(proc)
    h, r, p = statistics.median(harness_rps), statistics.median(raw_rps), statistics.median(process_rps)
    backend = statistics.median(backend_rps)
    print(f"after: {load()}")
    print(f"raw aiohttp client      {r:8,.0f} req/s  = {r / ceiling:.1%} of C/L")
    print(f"harness backend alone    {backend:8,.0f} req/s  = {backend / ceiling:.1%} of C/L")
    print(
        f"harness (whole path)    {h:8,.0f} req/s  = {h / ceiling:.1%} of C/L  "
        f"({h / r:.1%} of raw aiohttp, {h / backend:.1%} of its backend alone)"
    )
    print(f"harness incl. start-up  {p:8,.0f} req/s  = {p / ceiling:.1%} of C/L")
    ok = h >= TARGET * ceiling
    print(f"target >= {TARGET:.0%} of C/L: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
