"""What a run says about itself: its exit code, results.json's status and validity, its log, and
the CLI traps a new user falls into. Real subprocesses against the OpenAI-compatible stub."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.testing.openai_stub import OpenAIStub, rules
from tests.conftest import harness_env, result_files, run_harness

N = 20


def _server_args(stub: OpenAIStub, *extra: str, limit: int = N) -> list[str]:
    return [
        "+task=ecgqa_ck",
        "model=local_server",
        f"model.base_url={stub.base_url}",
        "model.max_retries=0",
        f"limit={limit}",
        "concurrency=4",
        *extra,
    ]


def _results(root: Path) -> dict:
    (path,) = result_files(root)
    return json.loads(path.read_text())


def test_complete_run_exits_0_and_says_where_its_results_are(tmp_path: Path) -> None:
    with OpenAIStub(rules({}, default="sinus rhythm")) as stub:
        proc = run_harness(*_server_args(stub), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    results = _results(tmp_path)
    assert results["status"]["state"] == "complete" and results["status"]["exit_code"] == 0
    assert results["status"]["n_answered"] == N and results["validity"]["flags"] == []
    run_dir = result_files(tmp_path)[0].parent
    assert f"results: {run_dir}" in proc.stderr
    log = (run_dir / "cli.log").read_text()
    assert "ecgqa_ck: complete: 20 of 20 samples answered" in log and "rouge_l" in log


def test_some_failed_requests_make_a_partial_run(tmp_path: Path) -> None:
    with OpenAIStub(rules({}, default="x"), faults={"500": "every:5"}) as stub:
        proc = run_harness(*_server_args(stub), cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    results = _results(tmp_path)
    status = results["status"]
    assert status["state"] == "partial" and status["n_failed"] == 4 and status["n_answered"] == 16
    assert "rerun the same command" in status["message"] and "partial: 16 of 20" in proc.stderr
    assert [f["code"] for f in results["validity"]["flags"]] == ["partial"]
    # the reason is kept whole, grouped by kind: not cut at the first colon
    (kind,) = results["errors"]
    assert results["errors"][kind] == 4 and "500" in kind


def test_every_request_rejected_is_an_empty_run(tmp_path: Path) -> None:
    with OpenAIStub(rules({}, default="x"), api_key="the-right-key") as stub:  # every request gets a 401
        proc = run_harness(*_server_args(stub, limit=5), cwd=tmp_path)
    assert proc.returncode == 4, proc.stderr
    results = _results(tmp_path)
    assert results["status"]["state"] == "empty" and "all 5 requests failed" in results["status"]["message"]
    assert {f["code"] for f in results["validity"]["flags"]} >= {"nothing_scored", "partial"}


def test_answers_over_the_cap_are_cut_and_counted(tmp_path: Path) -> None:
    long = "sinus " * 2000  # 12,000 bytes
    with OpenAIStub(rules({r"ECG": long}, default="short")) as stub:
        proc = run_harness(*_server_args(stub, "max_answer_bytes=1000"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    results = _results(tmp_path)
    samples = [json.loads(x) for x in result_files(tmp_path)[0].with_name("samples.jsonl").read_text().splitlines()]
    cut = [s for s in samples if s.get("truncated")]
    assert cut and all(len(s["response"].encode()) <= 1000 for s in samples)
    (flag,) = [f for f in results["validity"]["flags"] if f["code"] == "answers_truncated"]
    assert flag["n_truncated"] == len(cut) and flag["max_answer_bytes"] == 1000
    assert "answers longer than 1000 bytes were cut" in " ".join(proc.stderr.split())


def test_duplicate_prompts_are_flagged(tmp_path: Path, data_dir: Path) -> None:
    task = tmp_path / "tasks" / "same.yaml"
    task.parent.mkdir(parents=True)
    task.write_text(
        "name: same_prompt\ndataset:\n  path: ecg_expert_qa/Cardiology Knowledge (Basic Knowledge Q&A).json\n"
        "  fields: {answer: A}\nprompt:\n  user: Describe a normal ECG.\nreference: answer\nmetrics: [rouge_l]\n"
    )
    with OpenAIStub(rules({}, default="normal")) as stub:
        proc = run_harness(
            "+task=same_prompt", f"include=[{task.parent}]", *_server_args(stub, limit=10)[1:], cwd=tmp_path
        )
        assert stub.stats.requests == 1
    assert proc.returncode == 0, proc.stderr
    (flag,) = _results(tmp_path)["validity"]["flags"]
    assert flag["code"] == "duplicate_prompts" and flag["n_duplicates"] == 9 and flag["share"] == pytest.approx(0.9)
    assert "9 of 10 samples repeat another sample's request" in " ".join(proc.stderr.split())


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["+limt=5"], "+limt=5: unknown key 'limt'; did you mean: limit"),
        (["limt=5"], "limt=5: unknown key 'limt'; did you mean: limit"),
        (["limit=abc"], "limit=abc: expected a whole number"),
        (["scoring=fast"], "scoring=fast: expected one of auto, process, thread"),
        (["judge_check=often"], "judge_check=often: expected auto, true, false or a number of samples"),
        (["generation.max_tokns=5"], "unknown generation key 'max_tokns'; did you mean: max_tokens"),
        (["model=retreival"], "did you mean: retrieval"),
    ],
)
def test_cli_traps_are_one_line_usage_errors(tmp_path: Path, args: list[str], needle: str) -> None:
    proc = run_harness("+task=ecgqa_ck", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], proc.stderr
    assert not (tmp_path / "runs").exists()  # nothing ran, nothing left behind


def test_secrets_on_the_command_line_stay_out_of_the_run_dir(tmp_path: Path) -> None:
    key = "sk-live-0123456789abcdefghij"
    with OpenAIStub(rules({}, default="x")) as stub:
        url = stub.base_url.replace("http://", f"http://user:{key}@")
        proc = run_harness(
            *_server_args(stub, limit=2)[:2],
            f"model.base_url={url}",
            "+model.options.headers={X-Api-Key: hdr-secret-value-123456}",
            "limit=2",
            cwd=tmp_path,
        )
    run_dir = result_files(tmp_path)[0].parent if result_files(tmp_path) else None
    assert run_dir is not None, proc.stderr
    for path in run_dir.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert key not in text and "hdr-secret-value-123456" not in text, path
    overrides = (run_dir / ".hydra" / "overrides.yaml").read_text()
    assert "<redacted>@" in overrides and "X-Api-Key: <redacted>" in overrides


def test_a_multirun_goes_on_past_a_failing_job(tmp_path: Path) -> None:
    with OpenAIStub(rules({}, default="x")) as stub:
        proc = run_harness(
            "-m",
            "+task=ecgqa_ck,heartcare_closedqa",
            "model=local_server",
            f"model.base_url={stub.base_url}",
            "limit=3",
            cwd=tmp_path,
        )
    assert proc.returncode == 4, proc.stderr  # the worst job: heartcare_closedqa has nothing to run here
    assert len(result_files(tmp_path)) == 1  # ecgqa_ck ran, after or before the failing job
    assert "1 of 2 jobs did not complete" in proc.stderr and "heartcare_closedqa" in proc.stderr


def test_a_crash_keeps_the_log_its_error_line_points_at(tmp_path: Path) -> None:
    """An unexpected error (a bug, here injected into the runner) is one line naming the run's
    log, exit code 1, and that log exists and holds the traceback."""
    script = (
        "import sys\n"
        "import harness.runner.session as session\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('injected bug')\n"
        "session.run_job = broken\n"
        "from harness.cli import main\n"
        "main(['+task=ecgqa_ck', 'model=retrieval', 'limit=1', 'hydra.run.dir=runs/crash'])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=harness_env(HARNESS_RUNS_DIR=str(tmp_path / "runs")),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    log = tmp_path / "runs" / "crash" / "cli.log"
    assert f"unexpected RuntimeError: injected bug (traceback in {log})" in proc.stderr
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "in broken" in text and "RuntimeError: injected bug" in text


def test_ctrl_c_says_how_to_resume(tmp_path: Path) -> None:
    with OpenAIStub(rules({}, default="x"), latency=0.3) as stub:
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness", *_server_args(stub, limit=200)],
            cwd=tmp_path,
            env=harness_env(HARNESS_RUNS_DIR=str(tmp_path / "runs")),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stub.wait_for(lambda s: s.completed >= 8, timeout=120)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted: rerun the same command to resume" in err and "answers cached)" in err
