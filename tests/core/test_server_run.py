"""The harness against a real OpenAI-compatible server on 127.0.0.1, through litellm:
parallel requests, retries on 429/503, a cache that makes re-runs free, and resume after kill -9."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from harness.testing.openai_stub import OpenAIStub
from tests.conftest import harness_env, result_files, run_harness

N = 40


def _args(stub: OpenAIStub, limit: int = N, concurrency: int = 8) -> list[str]:
    return [
        "+task=ecgqa_ck",
        "model=local_server",
        "model.backend=litellm",
        "model.model=openai/stub-model",
        f"model.base_url={stub.base_url}",
        "model.max_retries=6",
        f"limit={limit}",
        f"concurrency={concurrency}",
    ]


def test_parallel_retries_and_cache(tmp_path: Path) -> None:
    with OpenAIStub(latency=0.05, faults={"429": 0.15, "503": 0.1}, seed=3, retry_after=0.05) as stub:
        proc = run_harness(*_args(stub), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        stats = stub.stats
        assert stats.max_in_flight > 1, stats.as_dict()  # requests were issued concurrently
        assert stats.status_counts[429] > 0 and stats.status_counts[503] > 0, stats.as_dict()
        (path,) = result_files(tmp_path / "runs")
        results = json.loads(path.read_text())
        assert results["usage"]["failed"] == 0 and results["usage"]["requests"] == N
        assert results["metrics"]["rouge_l"]["n_scored"] == N and results["metrics"]["rouge_l"]["n_unscored"] == 0
        assert stats.completed == N  # every sample completed despite the faults
        received = stats.requests

        again = run_harness(*_args(stub), cwd=tmp_path / "second")
        assert again.returncode == 0, again.stderr
        assert stub.stats.requests == received  # zero new requests
        (second,) = result_files(tmp_path / "second" / "runs")
        assert json.loads(second.read_text())["usage"]["cache_hits"] == N


def test_resume_after_kill(tmp_path: Path) -> None:
    limit = 60
    with OpenAIStub(latency=0.25) as stub:
        env = harness_env(HARNESS_RUNS_DIR=str(tmp_path / "runs"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness", *_args(stub, limit=limit, concurrency=4)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 120
        while stub.stats.completed < 20 and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not result_files(tmp_path / "runs")  # nothing final was written by the killed run
        cache = Path(env["HARNESS_CACHE_DIR"]) / "responses.sqlite"
        with sqlite3.connect(cache) as db:
            completed = db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        assert 15 <= completed < limit
        before = stub.stats.requests

        resumed = run_harness(*_args(stub, limit=limit, concurrency=4), cwd=tmp_path / "resumed")
        assert resumed.returncode == 0, resumed.stderr
        (path,) = result_files(tmp_path / "resumed" / "runs")
        usage = json.loads(path.read_text())["usage"]
        assert usage["cache_hits"] == completed and usage["requests"] == limit - completed
        assert stub.stats.requests - before == limit - completed  # no completed request was issued again
