"""`python -m harness ... judge=NAME` killed with SIGKILL mid-judging, then run again: no
completed judge call is issued a second time, and the result is complete."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from judge_env import DATA_FILE, TASK, Reply, answers_by_question, judged_answer, questions, verdict

from harness.testing.openai_stub import OpenAIStub, by_model
from tests.conftest import harness_env, result_files

N = 30
CONCURRENCY = 4


def test_resume_after_kill_reissues_no_completed_judge_call(tmp_path: Path, data_dir: Path) -> None:
    seen: dict[str, list[str]] = {"phase1": [], "phase2": []}
    phase = ["phase1"]
    lock = threading.Lock()

    def judge(request):
        _, answer, _ = judged_answer(request)
        with lock:
            seen[phase[0]].append(hashlib.sha256(json.dumps(request["messages"]).encode()).hexdigest())
        return Reply(verdict(len(answer) % 11, 5), delay=0.3)

    task_dir = tmp_path / "tasks"
    task_dir.mkdir()
    (task_dir / "judged_ck.yaml").write_text(TASK.format(path=DATA_FILE, judges="[reference_match]"))
    qs = questions(data_dir, N)
    with OpenAIStub(
        by_model(
            {"candidate": answers_by_question(qs, [f"answer {k}" * (k % 4 + 1) for k in range(N)]), "default": judge}
        )
    ) as stub:
        args = [
            sys.executable,
            "-m",
            "harness",
            "+task=judged_ck",
            f"include=[{task_dir}]",
            "model=local_server",
            "model.model=candidate",
            "judge=local_server",
            f"limit={N}",
            f"concurrency={CONCURRENCY}",
        ]
        env = harness_env(HARNESS_RUNS_DIR=str(tmp_path / "runs"), HARNESS_BASE_URL=stub.base_url)
        proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 120
        while len(seen["phase1"]) < 12 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert len(seen["phase1"]) >= 12, proc.stderr.read().decode()[-2000:]
        assert not result_files(tmp_path / "runs")

        phase[0] = "phase2"
        again = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr[-2000:]

    first, second = set(seen["phase1"]), set(seen["phase2"])
    assert len(first | second) == N  # every sample judged exactly once overall ...
    assert len(first & second) <= CONCURRENCY  # ... except the calls in flight at the kill
    assert len(second) <= N - len(first) + CONCURRENCY
    (path,) = result_files(tmp_path / "runs")
    results = json.loads(path.read_text())
    assert results["metrics"]["reference_match"]["n_scored"] == N
    usage = results["judges"]["reference_match"]["judges"]["local_server"]["usage"]
    assert usage["cache_hits"] == N - len(second) and usage["requests"] == len(second)
