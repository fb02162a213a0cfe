"""`python -m harness export lm-eval`: the exported task runs in lm-eval (local-chat-completions against
a stub on 127.0.0.1) and its metrics equal ECG-Harness's on the same outputs, per sample and overall."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from harness.metrics.base import ScoreInput, Unscored
from harness.registry import get_registry
from harness.testing.openai_stub import OpenAIStub
from tests.conftest import harness_env, result_files, run_harness

N = 12
METRICS = ("bleu_1", "rouge_l", "meteor")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("lm_eval_tasks")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "export",
            "lm-eval",
            "--out",
            str(out),
            "--tasks",
            "ecgqa_ck",
            "--data-dir",
            str(data_dir),
        ],
        env=harness_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def test_export_writes_a_local_loader_and_function_metrics(exported: Path, data_dir: Path) -> None:
    text = (exported / "ecgqa_ck.yaml").read_text()
    assert "dataset_path: json" in text
    assert str((data_dir / "ecg_expert_qa" / "Cardiology Knowledge (Basic Knowledge Q&A).json").resolve()) in text
    for name in METRICS:
        assert f"aggregation: !function utils.ecgqa_ck_{name}_aggregate" in text
    assert "process_results: !function utils.ecgqa_ck_process_results" in text
    assert "metric: mms" not in text and "not exported: the LLM-judged metrics (mms)" in text
    assert (exported / "utils.py").is_file()


def test_unknown_task_is_an_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "export", "lm-eval", "--out", str(tmp_path), "--tasks", "ecgqa_zz"],
        env=harness_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "ecgqa_zz" in proc.stderr


def test_exported_task_in_lm_eval_scores_like_the_harness(exported: Path, tmp_path: Path) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    with OpenAIStub(latency=0.0) as stub:  # echo: the answer is the user message, the same in both
        out = simple_evaluate(
            model="local-chat-completions",
            model_args=f"model=stub,base_url={stub.base_url}/chat/completions,num_concurrent=8,max_retries=2,tokenized_requests=False",
            tasks=["ecgqa_ck"],
            task_manager=TaskManager(include_defaults=False, include_path=str(exported)),
            limit=N,
            apply_chat_template=True,
            log_samples=True,
        )
        proc = run_harness(
            "+task=ecgqa_ck",
            "model=local_server",
            "model.model=stub",
            f"model.base_url={stub.base_url}",
            f"limit={N}",
            "concurrency=8",
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr

    (path,) = result_files(tmp_path / "runs")
    ours = json.loads(path.read_text())
    our_samples = [json.loads(line) for line in (path.parent / "samples.jsonl").read_text().splitlines()]
    theirs = out["results"]["ecgqa_ck"]
    samples = sorted(out["samples"]["ecgqa_ck"], key=lambda s: s["doc_id"])
    assert len(samples) == len(our_samples) == N

    registry = get_registry()
    for sample, record in zip(samples, our_samples):
        # lm-eval sent the same chat (system + user) and got the same output
        chat = sample["arguments"][0][0]
        chat = chat[0] if isinstance(chat, tuple) else chat
        assert json.loads(getattr(chat, "prompt", chat)) == record["messages"]
        output = sample["filtered_resps"][0]
        assert output == record["response"]
        for name in METRICS:
            (direct,) = registry.metrics[name].compute([ScoreInput(output.strip(), sample["target"], output, {})])
            assert not isinstance(direct, Unscored)
            assert sample[name] == pytest.approx(direct, abs=1e-12)
            assert sample[name] == pytest.approx(record["metrics"][name], abs=1e-12)
    for name in METRICS:
        value = theirs[f"{name},none"]
        assert not math.isnan(value)
        assert value == pytest.approx(ours["metrics"][name]["value"], abs=1e-12), name
