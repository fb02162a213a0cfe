"""End-to-end wall time: ECG-Harness vs lm-eval's ``simple_evaluate`` on the same task and server.

Both evaluate the same 2,000 ECG-Expert-QA CK samples against the same stub (its own process,
L = 50 ms) with 64 requests in flight: ECG-Harness through ``python -m harness ... model=local_server``
(fresh response cache), lm-eval through ``simple_evaluate(model="local-chat-completions",
num_concurrent=64)`` on this task exported by ``python -m harness export lm-eval`` and loaded with
``TaskManager(include_defaults=False, include_path=...)``. Each run is a fresh process, timed from
start to exit; rounds are interleaved and the medians compared (target: >= 2x faster).
lm-eval's dataset cache is warmed once beforehand (in its favour).

    python benchmarks/vs_lm_eval.py [--samples 2000] [--concurrency 64] [--latency 0.05] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness_bench import data_dir, harness_command, load, start_stub, stop  # noqa: E402

TARGET = 2.0
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1"}

LM_EVAL = """
import json, sys, time
t0 = time.perf_counter()
from lm_eval import simple_evaluate
from lm_eval.tasks import TaskManager
base_url, include, limit, conc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
out = simple_evaluate(model="local-chat-completions",
    model_args=f"model=stub,base_url={base_url}/chat/completions,num_concurrent={conc},max_retries=3,tokenized_requests=False",
    tasks=["ecgqa_ck"], task_manager=TaskManager(include_defaults=False, include_path=include),
    limit=limit, apply_chat_template=True)
res = out["results"]["ecgqa_ck"]
print("RESULT " + json.dumps({"n": res["sample_len"], "in_process_s": time.perf_counter() - t0,
      "metrics": {k.split(",")[0]: v for k, v in res.items() if k.endswith(",none") and "stderr" not in k}}))
"""


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=3)
    ns = parser.parse_args()
    print(
        f"ECG-Harness vs lm-eval simple_evaluate: ecgqa_ck, {ns.samples} samples, C={ns.concurrency}, L={ns.latency * 1000:.0f} ms"
    )
    print(f"before: {load()}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="vs-lm-eval-"))
    env = {**os.environ, **OFFLINE, "HARNESS_DATA_DIR": str(data_dir()), "HF_HOME": str(tmp / "hf")}
    include = tmp / "lm_eval_tasks"
    run([sys.executable, "-m", "harness", "export", "lm-eval", "--out", str(include), "--tasks", "ecgqa_ck"], env)
    proc, base_url = start_stub(ns.latency)
    ours, theirs, ours_eval, theirs_inproc = [], [], [], []
    try:
        lm_cmd = [sys.executable, "-c", LM_EVAL, base_url, str(include), str(ns.samples), str(ns.concurrency)]
        run([*lm_cmd[:3], base_url, str(include), "8", "8"], env)  # warm lm-eval's dataset cache (not timed)
        for round_ in range(ns.repeat):
            out = tmp / f"run{round_}"
            wall, _ = run(harness_command(base_url, out, samples=ns.samples, concurrency=ns.concurrency), env)
            results = json.loads((out / "results.json").read_text())
            assert results["task"]["n_samples"] == ns.samples and results["usage"]["failed"] == 0
            ours.append(wall)
            ours_eval.append(results["timings"]["wall_s"])
            wall_lm, stdout = run(lm_cmd, env)
            lm = json.loads(stdout.rsplit("RESULT ", 1)[1])
            assert lm["n"] == ns.samples
            theirs.append(wall_lm)
            theirs_inproc.append(lm["in_process_s"])
            same = all(abs(lm["metrics"][k] - results["metrics"][k]["value"]) < 1e-9 for k in lm["metrics"])
            print(
                f"  round {round_ + 1}: ECG-Harness {wall:.2f} s (evaluate {ours_eval[-1]:.2f} s) | lm-eval {wall_lm:.2f} s "
                f"(in process {lm['in_process_s']:.2f} s) | same metric values: {same}",
                flush=True,
            )
    finally:
        stop(proc)
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"after: {load()}")
    print(f"ECG-Harness end to end   {o:7.2f} s   ({ns.samples / o:,.0f} samples/s)")
    print(f"lm-eval simple_evaluate  {t:7.2f} s   ({ns.samples / t:,.0f} samples/s)")
    print(f"speed-up {t / o:.2f}x (target >= {TARGET:.0f}x): {'met' if t / o >= TARGET else 'NOT met'}")
    return 0 if t / o >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
