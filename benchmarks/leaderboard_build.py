"""Leaderboard build at scale: two models x one task of 50,000 samples (plus a small task).

Prints the build time, peak memory, the number and size of sample pages, and the size of the
largest HTML page, so "a 50k-sample run stays fast" is a measured statement.

    python benchmarks/leaderboard_build.py [--samples 50000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np


def write_run(directory: Path, model: str, task: str, n: int, shift: float, seed: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = ("bleu_1", "rouge_l", "meteor")
    values = {m: np.clip(rng.normal(0.3 + shift, 0.15, n), 0, 1) for m in names}
    with (directory / "samples.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(
                json.dumps(
                    {
                        "id": f"{task}-{i:06d}",
                        "messages": [
                            {"role": "user", "content": f"Question {i}: describe the ECG findings of case {i}."}
                        ],
                        "response": f"{model} says: sinus rhythm with a normal axis, case {i}. " * 3,
                        "prediction": None,
                        "reference": f"Reference interpretation {i}: sinus rhythm, normal axis.",
                        "metrics": {m: float(values[m][i]) for m in names},
                    }
                )
                + "\n"
            )
    metrics = {}
    for m in names:
        v = values[m]
        metrics[m] = {
            "value": float(v.mean()),
            "stderr": float(v.std(ddof=1) / np.sqrt(n)),
            "ci_low": float(v.mean() - 0.01),
            "ci_high": float(v.mean() + 0.01),
            "n_scored": n,
        }
    digest = hashlib.sha256(task.encode()).hexdigest()
    results = {
        "run_id": f"{model}-{task}",
        "harness": {"version": "0.1.0"},
        "task": {
            "name": task,
            "version": "1",
            "benchmark": "ECG-Expert-QA",
            "output_type": "generation",
            "data": {"sha256": digest, "n_records": n},
            "prompt_sha256": digest,
            "n_samples": n,
        },
        "model": {"name": model, "backend": "openai_compat", "model": model, "identity_sha256": digest},
        "metrics": metrics,
        "usage": {"requests": n},
        "timings": {"started_at": "2026-11-20T10:00:00Z", "finished_at": "2026-11-20T11:00:00Z", "wall_s": 3600.0},
        "config": {},
    }
    (directory / "results.json").write_text(json.dumps(results), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=50_000)
    args = parser.parse_args()
    from harness.leaderboard import build_site

    total = 2 * args.samples + 400
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        t0 = time.perf_counter()
        for k, model in enumerate(("model-a", "model-b")):
            write_run(runs / model / "big", model, "ecgqa_big", args.samples, 0.02 * k, k)
            write_run(runs / model / "small", model, "ecgqa_small", 200, 0.05 * k, 10 + k)
        size = sum(p.stat().st_size for p in runs.rglob("samples.jsonl"))
        print(f"generated {total:,} samples ({size / 1e6:.1f} MB of samples.jsonl) in {time.perf_counter() - t0:.1f} s")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cpu0 = time.process_time()
        report = build_site(runs, Path(tmp) / "site")
        cpu = time.process_time() - cpu0
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        site = Path(tmp) / "site"
        chunks = list(site.rglob("p*.js"))
        html = list(site.rglob("*.html"))
        print(report.summary())
        print(
            f"build: {report.seconds:.1f} s wall, {cpu:.1f} s CPU for {total:,} samples "
            f"({total / report.seconds:,.0f} samples/s wall)"
        )
        print(f"peak RSS: {rss_after:.0f} MB (before the build {rss_before:.0f} MB)")
        print(f"sample pages: {len(chunks)}, largest {max(c.stat().st_size for c in chunks) / 1024:.0f} KiB")
        print(f"HTML pages: {len(html)}, largest {max(h.stat().st_size for h in html) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
