"""Peak memory of a run is flat in the number of samples: 50,000 vs 2,000 (target: within 1.5x).

A synthetic 50,000-record task (ECG-Expert-QA CK questions and answers, cycled and numbered so
every prompt differs) is written to a temporary data dir with its task YAML; the harness runs it
(the real CLI, fresh cache, against the stub in its own process) with limit=2000 and with all
50,000 records. Each run is its own process; its peak RSS is read from ``os.wait4``'s rusage.

    python benchmarks/memory_flat.py [--large 50000] [--small 2000] [--latency 0.0]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness_bench import data_dir, load, start_stub, stop  # noqa: E402

TARGET = 1.5
CK = "ecg_expert_qa/Cardiology Knowledge (Basic Knowledge Q&A).json"
TASK = """\
name: synthetic_qa
description: "Synthetic open QA for the memory benchmark ({n} records cycled from ECG-Expert-QA CK)."
dataset: {{path: synthetic_qa.json, format: json, fields: {{question: Q, answer: A}}}}
prompt: {{system: "You are a cardiologist. Answer the question accurately and concisely.", user: "{{{{ question }}}}"}}
output_type: generation
reference: answer
generation: {{max_tokens: 256, temperature: 0.0}}
metrics: [bleu_1, rouge_l, meteor]
"""


def make_task(root: Path, n: int) -> tuple[Path, Path]:
    source = json.loads((data_dir() / CK).read_text(encoding="utf-8"))
    data, tasks = root / "data", root / "tasks"
    data.mkdir(parents=True)
    tasks.mkdir()
    records = [{"Q": f"({i}) {r['Q']}", "A": r["A"]} for i, r in ((i, source[i % len(source)]) for i in range(n))]
    (data / "synthetic_qa.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    (tasks / "synthetic_qa.yaml").write_text(TASK.format(n=n), encoding="utf-8")
    return data, tasks


def peak_rss_run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(peak RSS in MiB, wall seconds) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({proc.returncode}):\n{stderr[-3000:]}")
    return usage.ru_maxrss / 1024, wall  # Linux reports KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=64)
    ns = parser.parse_args()
    print(
        f"memory: peak RSS of {ns.small:,} vs {ns.large:,} samples (stub L={ns.latency * 1000:.0f} ms, C={ns.concurrency})"
    )
    print(f"before: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="memory-flat-") as tmp:
        root = Path(tmp)
        data, tasks = make_task(root, ns.large)
        proc, base_url = start_stub(ns.latency)
        figures = {}
        try:
            for n in (ns.small, ns.large):
                out = root / f"run{n}"
                cmd = [
                    sys.executable,
                    "-m",
                    "harness",
                    "+task=synthetic_qa",
                    "model=local_server",
                    "model.model=stub",
                    f"model.base_url={base_url}",
                    f"limit={n}",
                    f"concurrency={ns.concurrency}",
                    f"model.concurrency={ns.concurrency}",
                    f"cache_dir={out}/cache",
                    f"hydra.run.dir={out}",
                    f"include=[{tasks}]",
                ]
                env = {**os.environ, "HARNESS_DATA_DIR": str(data)}
                rss, wall = peak_rss_run(cmd, env)
                results = json.loads((out / "results.json").read_text())
                assert results["task"]["n_samples"] == n and results["usage"]["failed"] == 0, results["usage"]
                figures[n] = rss
                print(
                    f"  {n:>7,} samples: peak RSS {rss:7.1f} MiB, {wall:6.1f} s, samples.jsonl "
                    f"{(out / 'samples.jsonl').stat().st_size / 2**20:.1f} MiB",
                    flush=True,
                )
        finally:
            stop(proc)
    ratio = figures[ns.large] / figures[ns.small]
    print(f"after: {load()}")
    print(
        f"peak RSS ratio {ns.large:,} / {ns.small:,} samples = {ratio:.2f}x "
        f"(target <= {TARGET}x): {'met' if ratio <= TARGET else 'NOT met'}"
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
