"""`python -m harness` as a user runs it: real subprocesses, real data, the embedded default model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.results.schema import Results, SampleRecord
from tests.conftest import result_files, run_harness


def test_default_model_on_real_ck(tmp_path: Path, data_dir: Path) -> None:
    proc = run_harness("+task=ecgqa_ck", "limit=20", "generation.max_tokens=24", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (path,) = result_files(tmp_path / "runs")
    results = Results.model_validate_json(path.read_text())
    assert results.model.name == "smollm2" and results.model.backend == "llama_cpp"
    assert results.task.name == "ecgqa_ck" and results.task.n_samples == 20 and results.task.data.n_records == 2592
    for name in ("bleu_1", "rouge_l", "meteor"):
        metric = results.metrics[name]
        assert metric.n_scored == 20 and 0.0 <= metric.value <= 1.0 and metric.ci_low <= metric.value <= metric.ci_high
    assert results.config["limit"] == 20 and results.harness.version
    samples = [
        SampleRecord.model_validate_json(line) for line in (path.parent / "samples.jsonl").read_text().splitlines()
    ]
    references = [
        r["A"]
        for r in json.loads(
            (data_dir / "ecg_expert_qa" / "Cardiology Knowledge (Basic Knowledge Q&A).json").read_text()
        )[:20]
    ]
    assert [s.reference for s in samples] == references
    assert all(
        s.response and s.prediction is not None and set(s.metrics) == {"bleu_1", "rouge_l", "meteor"} for s in samples
    )
    assert "ecgqa_ck" in proc.stdout and "rouge_l" in proc.stdout  # the results table


def test_list_shows_registries(tmp_path: Path) -> None:
    proc = run_harness("list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for expected in (
        "ecgqa_ck",
        "smollm2",
        "gpt4o",
        "qwen7b",
        "deepseek_v3",
        "claude",
        "rouge_l",
        "llama_cpp",
        "litellm",
    ):
        assert expected in proc.stdout


def test_help_does_not_import_heavy_libraries(tmp_path: Path) -> None:
    code = (
        "import sys, runpy; sys.argv=['harness','--help']; runpy.run_module('harness', run_name='__main__'); "
        "print('HEAVY', sorted(m for m in ('litellm','torch','hydra._internal.hydra','sklearn','nltk',"
        "'llama_cpp','matplotlib') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stdout and "usage:" in proc.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["+task=ecgqa_ckk"], "unknown task 'ecgqa_ckk'; did you mean: ecgqa_ck"),
        (["+task=ecgqa_ck", "model=gpt4"], "model=gpt4: unknown model config 'gpt4'; did you mean: gpt4o"),
        (["model=smollm2"], "no task selected: add +task=NAME"),
        (["+task=ecgqa_ck", "data_dir=/nonexistent/data"], "data file not found"),
    ],
)
def test_bad_input_gives_one_clear_error(
    tmp_path: Path, args: list[str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HARNESS_DATA_DIR")
    proc = run_harness(*args, "limit=1", "offline=true", cwd=tmp_path)
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr


def test_malformed_task_file(tmp_path: Path) -> None:
    tasks = tmp_path / "mytasks"
    tasks.mkdir()
    (tasks / "broken.yaml").write_text(
        "name: broken_task\ndataset: {path: x.json}\nprompt: {user: '{{ q }}'}\noutput_typ: generation\nreference: a\n"
    )
    proc = run_harness("+task=broken_task", f"include=[{tasks}]", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "broken.yaml" in proc.stderr and "output_typ: unknown key" in proc.stderr


def test_sha256_mismatch_is_reported(tmp_path: Path) -> None:
    tasks = tmp_path / "mytasks"
    tasks.mkdir()
    source = Path(__file__).resolve().parents[2] / "tasks" / "ecg_expert_qa" / "ecgqa_ck.yaml"
    text = source.read_text().replace("name: ecgqa_ck", "name: ck_tampered")
    text = "\n".join(line if "sha256:" not in line else "  sha256: " + "ab" * 32 for line in text.splitlines())
    (tasks / "ck_tampered.yaml").write_text(text)
    proc = run_harness("+task=ck_tampered", "limit=1", cwd=tmp_path, env={"HARNESS_TASK_PATH": str(tasks)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "sha256 mismatch" in proc.stderr and "expected " + "ab" * 32 in proc.stderr


def test_unreachable_endpoint(tmp_path: Path) -> None:
    proc = run_harness(
        "+task=ecgqa_ck",
        "model=local_server",
        "limit=2",
        cwd=tmp_path,
        env={"HARNESS_BASE_URL": "http://127.0.0.1:9/v1", "HARNESS_API_KEY": "sk-test-never-printed-0000000000"},
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "127.0.0.1:9" in proc.stderr and "sk-test-never-printed" not in proc.stderr + proc.stdout


def test_multirun_one_result_per_combination(tmp_path: Path) -> None:
    proc = run_harness(
        "-m", "+task=ecgqa_ck,ecgqa_ebk", "model=retrieval,smollm2", "limit=2", "generation.max_tokens=8", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    found = {
        (r["task"]["name"], r["model"]["name"])
        for r in (json.loads(p.read_text()) for p in result_files(tmp_path / "runs"))
    }
    assert found == {
        ("ecgqa_ck", "retrieval"),
        ("ecgqa_ck", "smollm2"),
        ("ecgqa_ebk", "retrieval"),
        ("ecgqa_ebk", "smollm2"),
    }
