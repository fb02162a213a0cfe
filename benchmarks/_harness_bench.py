"""Shared pieces of the harness-level benchmarks: the stub in its own process, data dir, load."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def data_dir() -> Path:
    path = Path(os.environ.get("HARNESS_DATA_DIR") or DEFAULT_DATA)
    if not path.is_dir():
        raise SystemExit(f"no data directory at {path}: set HARNESS_DATA_DIR")
    return path


def harness_command(base_url: str, out: Path, *, samples: int, concurrency: int, extra: list[str] = ()) -> list[str]:
    """``python -m harness`` on ecgqa_ck against the stub at ``base_url``, fresh cache and run dir under ``out``."""
    return [
        sys.executable,
        "-m",
        "harness",
        "+task=ecgqa_ck",
        "model=local_server",
        "model.model=stub",
        f"model.base_url={base_url}",
        f"limit={samples}",
        f"concurrency={concurrency}",
        f"model.concurrency={concurrency}",
        f"cache_dir={out}/cache",
        f"hydra.run.dir={out}",
        *extra,
    ]


def start_server(cmd: list[str]) -> tuple[subprocess.Popen, str]:
    """Start a server process that prints its ``http://.../v1`` URL first; returns (process, base_url)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"(http://\S+/v1)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"{' '.join(cmd[1:3])} did not start: {line!r}")
    return proc, match.group(1)


def start_stub(latency: float, extra: list[str] = ()) -> tuple[subprocess.Popen, str]:
    """``python -m harness.testing.openai_stub`` on a free port; returns (process, base_url)."""
    return start_server(
        [sys.executable, "-m", "harness.testing.openai_stub", "--port", "0", "--latency", str(latency), *extra]
    )


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


async def drive_backend(base_url: str, concurrency: int, total: int, warmup: int = 0) -> tuple[float, int, int]:
    """Closed loop with the harness's ``openai_compat`` backend alone (aiohttp, the retry policy, the
    rate limiter): C workers, each sends its next request when the previous one is answered;
    (seconds for ``total`` after ``warmup``, total, errors)."""
    from harness.models.base import ModelError, Request
    from harness.models.config import ModelConfig
    from harness.plugins.models.openai_compat import OpenAICompatModel

    model = OpenAICompatModel(
        ModelConfig(name="bench", backend="openai_compat", model="stub", base_url=base_url, concurrency=concurrency)
    )
    counter = iter(range(total + warmup))
    errors = 0
    start_time = 0.0

    async def worker() -> None:
        nonlocal errors, start_time
        for i in counter:
            if i == warmup:
                start_time = time.perf_counter()
            messages = [{"role": "user", "content": f"question {i}: what is the rhythm?"}]
            try:
                response = await model.generate(Request(id=str(i), messages=messages, params={"max_tokens": 16}))
            except ModelError:
                errors += 1
                continue
            errors += response.error is not None

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await model.aclose()
    return time.perf_counter() - start_time, total, errors
