"""Scoring in a child process gives the same samples and numbers as scoring on a thread, and a
scoring process that dies is a clear error."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.runner.scoring import BackgroundScorer, SampleScorer, choose_mode
from harness.testing.openai_stub import OpenAIStub
from tests.conftest import result_files, run_harness


def test_process_and_thread_scoring_give_identical_results(tmp_path: Path) -> None:
    runs = {}
    with OpenAIStub(latency=0.0) as stub:
        for mode in ("process", "thread"):
            proc = run_harness(
                "+task=ecgqa_ck",
                "model=local_server",
                "model.model=stub",
                f"model.base_url={stub.base_url}",
                "limit=300",
                "concurrency=16",
                "use_cache=false",
                f"scoring={mode}",
                cwd=tmp_path / mode,
            )
            assert proc.returncode == 0, proc.stderr
            (path,) = result_files(tmp_path / mode / "runs")
            runs[mode] = (json.loads(path.read_text()), (path.parent / "samples.jsonl").read_text())
    (p_results, p_samples), (t_results, t_samples) = runs["process"], runs["thread"]
    assert p_results["timings"]["scoring_mode"] == "process" and t_results["timings"]["scoring_mode"] == "thread"
    assert p_samples == t_samples and p_samples.count("\n") == 300
    assert p_results["metrics"] == t_results["metrics"]
    assert (
        p_results["metrics"]["meteor"]["n_scored"] == 300 and p_results["metrics"]["meteor"]["info"]["wordnet"] is True
    )


def test_auto_mode_scores_small_runs_on_a_thread() -> None:
    from harness.plugins.metrics.rouge import RougeL

    assert choose_mode("auto", [RougeL()], 50) == "thread"
    assert choose_mode("auto", [RougeL()], None) == "thread"  # unknown count (dialogues)
    assert choose_mode("auto", [RougeL()], 5000) == "process"
    assert choose_mode("thread", [RougeL()], 5000) == "thread"
    with pytest.raises(HarnessError, match="scoring=fast: expected one of auto, process, thread"):
        choose_mode("fast", [RougeL()], 10)


def _mode_in_daemon(queue) -> None:
    from harness.plugins.metrics.rouge import RougeL

    queue.put(choose_mode("auto", [RougeL()], 5000))


def test_auto_mode_in_a_daemonic_worker_scores_on_a_thread() -> None:
    """A job run inside a pool's daemonic worker may not start a child process."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    worker = ctx.Process(target=_mode_in_daemon, args=(queue,), daemon=True)
    worker.start()
    assert queue.get(timeout=60) == "thread"
    worker.join()


class _Dies(SampleScorer):
    def score(self, batch):  # the child exits the way an OOM kill would look
        os._exit(3)


def test_a_dead_scoring_process_is_a_clear_error(tmp_path: Path) -> None:
    from harness.plugins.metrics.rouge import RougeL

    async def run() -> None:
        scorer = BackgroundScorer(_Dies([RougeL()], tmp_path / "samples.jsonl"), lambda record: None, mode="process")
        try:
            record = {"id": "a", "error": None, "prediction": "x", "reference": "x", "response": "x", "metrics": {}}
            await scorer.submit([(record, {})])
            await scorer.drain()
        finally:
            scorer.close()

    with pytest.raises(
        HarnessError, match="the scoring process died .*answers received so far are in the response cache"
    ):
        asyncio.run(run())


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except OSError:
        return False


def test_the_scoring_process_exits_when_the_run_is_killed(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import harness_env

    with OpenAIStub(latency=0.2) as stub:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "harness",
                "+task=ecgqa_ck",
                "model=local_server",
                "model.model=stub",
                f"model.base_url={stub.base_url}",
                "limit=2000",
                "concurrency=4",
                "scoring=process",
            ],
            cwd=tmp_path,
            env=harness_env(HARNESS_RUNS_DIR=str(tmp_path / "runs")),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while not (stub.stats.completed >= 8 and _children(proc.pid)) and time.time() < deadline:
            time.sleep(0.1)
        (child,) = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 10
        while _running(child) and time.time() < deadline:
            time.sleep(0.1)
        assert not _running(child), "the scoring process outlived the killed run"


def test_bootstrap_indices_drawn_ahead_give_the_same_summaries(tmp_path: Path) -> None:
    from harness.plugins.metrics.bleu import Bleu1
    from harness.plugins.metrics.rouge import RougeL

    records = [
        (
            {
                "id": str(i),
                "error": None,
                "prediction": f"sinus rhythm {i % 7}",
                "reference": "sinus rhythm 3",
                "response": "",
                "metrics": {},
            },
            {},
        )
        for i in range(300)
    ]
    committed = {}
    for ahead in (False, True):
        scorer = SampleScorer([RougeL(), Bleu1()], tmp_path / f"{ahead}.jsonl", seed=7, expected=300, draw_ahead=ahead)
        scorer.prepare()
        assert bool(scorer._draws) is ahead
        for start in range(0, 300, 64):
            scorer.score([(dict(r, metrics={}), doc) for r, doc in records[start : start + 64]])
        committed[ahead] = scorer.commit()
    assert committed[True].summaries == committed[False].summaries
    rouge = committed[True].summaries["rouge_l"]
    assert rouge["n_scored"] == 300 and rouge["ci_low"] < rouge["value"] < rouge["ci_high"]


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_a_failing_batch_is_reported_and_samples_jsonl_is_not_published(tmp_path: Path, mode: str) -> None:
    from harness.plugins.metrics.rouge import RougeL

    class _Explodes(RougeL):
        def compute(self, batch):
            if any(item.prediction == "boom" for item in batch):
                raise ValueError("metric exploded on sample 64")
            return super().compute(batch)

    async def run() -> None:
        scorer = BackgroundScorer(
            SampleScorer([_Explodes()], tmp_path / "samples.jsonl"), lambda record: None, mode=mode
        )
        try:
            for start in (0, 64, 128):
                await scorer.submit(
                    [
                        (
                            {
                                "id": str(i),
                                "error": None,
                                "prediction": "boom" if i == 64 else "a",
                                "reference": "a",
                                "response": "a",
                                "metrics": {},
                            },
                            {},
                        )
                        for i in range(start, start + 64)
                    ]
                )
            await scorer.drain()
        finally:
            scorer.close()

    with pytest.raises(ValueError, match="metric exploded on sample 64"):
        asyncio.run(run())
    assert not (tmp_path / "samples.jsonl").exists() and (tmp_path / "samples.jsonl.partial").exists()
