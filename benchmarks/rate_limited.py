"""A run against a rate-limited provider: answers lost, pace kept, requests rejected.

The stub (its own process) limits requests the way OpenAI does (``--rpm``: a bucket refilled
continuously, 429 with ``retry-after``/``retry-after-ms`` and the ``x-ratelimit-*`` headers on
every answer) and answers after ``--latency`` seconds. For each concurrency C, the real CLI
(``python -m harness +task=ecgqa_ck model=local_server``, fresh cache) evaluates ``--samples``
samples, and lm-eval's ``local-chat-completions`` does the same on the same server, side by side.
One more round limits tokens per minute instead (``--tpm``).

Printed per run: failed samples, the achieved rate as a share of min(allowed rate, C/L) and the
rejected requests (429) per answer. Targets: 0 failed, >= 95% of the bound, <= 0.05 rejected per
answer, at every concurrency.

    python benchmarks/rate_limited.py [--rpm 1200] [--samples 400] [--latency 0.5] [--concurrency 16 64 256]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness_bench import data_dir, harness_command, load, start_stub, stop  # noqa: E402

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1"}
MAX_TOKENS = 64  # the completion budget each request asks for (counted by a tokens-per-minute limit)
# (the task's own generation settings may set another; the bound uses what the server charged)

LM_EVAL = """
import json, sys, time
from lm_eval import simple_evaluate
from lm_eval.tasks import TaskManager
base_url, include, limit, conc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t0 = time.perf_counter()
try:
    out = simple_evaluate(model="local-chat-completions",
        model_args=f"model=stub,base_url={base_url}/chat/completions,num_concurrent={conc},max_retries=3,tokenized_requests=False",
        tasks=["ecgqa_ck"], task_manager=TaskManager(include_defaults=False, include_path=include),
        limit=limit, apply_chat_template=True, gen_kwargs="max_gen_toks=64")
    n = out["results"]["ecgqa_ck"]["sample_len"]
    print("RESULT " + json.dumps({"ok": True, "n": n, "s": time.perf_counter() - t0}))
except BaseException as exc:
    print("RESULT " + json.dumps({"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:200]}", "s": time.perf_counter() - t0}))
"""


def stub_stats(base_url: str) -> dict:
    with urllib.request.urlopen(base_url.removesuffix("/v1") + "/stub/stats", timeout=10) as answer:
        return json.loads(answer.read())


def harness_run(base_url: str, tmp: Path, samples: int, concurrency: int, env: dict[str, str]) -> dict:
    out = Path(tempfile.mkdtemp(prefix="run-", dir=tmp))
    cmd = harness_command(
        base_url,
        out,
        samples=samples,
        concurrency=concurrency,
        # the stub on 127.0.0.1 stands in for a remote provider, which is probed (a loopback host is not by default)
        extra=[f"model.params.max_tokens={MAX_TOKENS}", "++model.probe=true"],
    )
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    path = out / "results.json"
    if not path.exists():
        return {"ok": False, "error": done.stderr.strip().splitlines()[-1:] or ["no results.json"], "s": wall}
    results = json.loads(path.read_text())
    status = results["status"]
    return {
        "ok": True,
        "answered": status["n_answered"],
        "failed": status["n_failed"],
        "s": results["timings"]["wall_s"],
        "rate_limited": results["usage"].get("rate_limited", 0),
    }


def lm_eval_run(base_url: str, include: Path, samples: int, concurrency: int, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", LM_EVAL, base_url, str(include), str(samples), str(concurrency)],
        env=env,
        capture_output=True,
        text=True,
    )
    if "RESULT " not in done.stdout:
        return {"ok": False, "error": (done.stderr.strip().splitlines() or ["?"])[-1][:200]}
    return json.loads(done.stdout.rsplit("RESULT ", 1)[1])


def report(name: str, result: dict, rejected: int, samples: int, bound: float) -> bool:
    if not result.get("ok"):
        print(f"    {name:12s} did not finish: {result.get('error')}")
        return False
    answered = result.get("answered", result.get("n", 0))
    failed = result.get("failed", samples - answered)
    rate = answered / result["s"] if result["s"] else 0.0
    share = rate / bound
    per_answer = rejected / max(answered, 1)
    met = failed == 0 and share >= 0.95 and per_answer <= 0.05
    print(
        f"    {name:12s} answered {answered:4d}/{samples}  failed {failed:3d}  {rate:6.1f} answers/s = "
        f"{share:6.1%} of the bound  429s {rejected:4d} ({per_answer:.3f} per answer)  {'met' if met else 'NOT met'}"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rpm", type=float, default=1200)
    parser.add_argument("--tpm", type=float, default=200000)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--no-lm-eval", action="store_true", help="skip lm-eval's runs")
    ns = parser.parse_args()
    print(f"rate-limited provider: {ns.samples} ecgqa_ck samples, L={ns.latency * 1000:.0f} ms; {load()}")
    tmp = Path(tempfile.mkdtemp(prefix="rate-limited-"))
    env = {**os.environ, **OFFLINE, "HARNESS_DATA_DIR": str(data_dir()), "HF_HOME": str(tmp / "hf")}
    include = tmp / "lm_eval_tasks"
    subprocess.run(
        [sys.executable, "-m", "harness", "export", "lm-eval", "--out", str(include), "--tasks", "ecgqa_ck"],
        env=env,
        check=True,
        capture_output=True,
    )
    cases = [(f"rpm={ns.rpm:g}", ["--rpm", str(ns.rpm)], ns.rpm / 60, c) for c in ns.concurrency]
    cases.append((f"tpm={ns.tpm:g}", ["--tpm", str(ns.tpm)], None, ns.concurrency[len(ns.concurrency) // 2]))
    all_met = True
    for label, flags, allowed, concurrency in cases:
        bound_cl = concurrency / ns.latency
        runners = [("ECG-Harness", lambda url, c=concurrency: harness_run(url, tmp, ns.samples, c, env))]
        if not ns.no_lm_eval:
            runners.append(("lm-eval", lambda url, c=concurrency: lm_eval_run(url, include, ns.samples, c, env)))
        print(f"  {label}, C={concurrency}:")
        for name, runner in runners:
            proc, base_url = start_stub(ns.latency, flags)  # a fresh bucket for each client
            try:
                result = runner(base_url)
                stats = stub_stats(base_url)
            finally:
                stop(proc)
            rejected = int(stats["status_counts"].get("429", 0))
            if allowed is None:  # tokens per minute: the allowed request rate from what each request costs
                per_request = stats["tokens_charged"] / max(stats["completed"], 1)
                allowed_rate = ns.tpm / 60 / per_request
            else:
                allowed_rate = allowed
            met = report(name, result, rejected, ns.samples, min(allowed_rate, bound_cl))
            if name == "ECG-Harness":
                all_met &= met
    print(f"after: {load()}")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
