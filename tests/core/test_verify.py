"""``python -m harness verify``: a run checks out against its own records, and each kind of tampering
is caught and named (a results.json value, a sample's score, a response, a prompt from another task
version)."""

from __future__ import annotations

import json
import shutil

import pytest

from harness.registry import build_registry
from harness.results.verify import MISMATCH, VERIFIED, verify_run
from tests.conftest import echo_run, run_harness


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, data_dir):
    return echo_run(tmp_path_factory.mktemp("verify"), data_dir, limit=12)


@pytest.fixture
def copy(run_dir, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(run_dir, target)
    return target


def _lines(path):
    return [json.loads(x) for x in (path / "samples.jsonl").read_text().splitlines()]


def _write_lines(path, lines):
    (path / "samples.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))


def _mismatches(verdict):
    return [(c.what, c.detail) for c in verdict.checks if c.verdict == MISMATCH]


REGISTRY = build_registry(entry_points=False)


def test_an_untouched_run_is_verified(run_dir, data_dir):
    verdict = verify_run(run_dir, REGISTRY, data_dir=data_dir)
    assert verdict.verdict == VERIFIED, verdict.checks
    assert {c.what for c in verdict.checks} >= {
        "metric bleu_1",
        "scores meteor",
        "predictions",
        "prompt hash",
        "data sha256",
    }


def test_an_edited_results_value_is_caught(copy, data_dir):
    results = json.loads((copy / "results.json").read_text())
    results["metrics"]["rouge_l"]["value"] += 0.05
    (copy / "results.json").write_text(json.dumps(results))
    ((what, detail),) = _mismatches(verify_run(copy, REGISTRY, data_dir=data_dir))
    assert what == "metric rouge_l" and "metrics.rouge_l.value" in detail


def test_an_edited_sample_score_is_caught(copy, data_dir):
    lines = _lines(copy)
    lines[3]["metrics"]["bleu_1"] = 0.99
    _write_lines(copy, lines)
    found = dict(_mismatches(verify_run(copy, REGISTRY, data_dir=data_dir)))
    assert f"sample {lines[3]['id']}: bleu_1 is 0.99" in found["scores bleu_1"]
    assert "metric bleu_1" in found  # the mean no longer matches results.json either


def test_an_edited_response_is_caught(copy, data_dir):
    lines = _lines(copy)
    lines[5]["response"] = "A completely different answer about the QRS axis."
    _write_lines(copy, lines)
    found = dict(_mismatches(verify_run(copy, REGISTRY, data_dir=data_dir)))
    assert f"sample {lines[5]['id']}" in found["scores meteor"]  # its stored scores are not its response's


def test_a_prompt_from_another_task_version_is_caught(copy, data_dir):
    results = json.loads((copy / "results.json").read_text())
    results["task"]["prompt_sha256"] = "0" * 64
    (copy / "results.json").write_text(json.dumps(results))
    found = dict(_mismatches(verify_run(copy, REGISTRY, data_dir=data_dir)))
    assert "is not task 'ecgqa_ck' version" in found["prompt hash"]


def test_the_command_exits_5_on_a_mismatch(copy, data_dir, tmp_path):
    results = json.loads((copy / "results.json").read_text())
    results["metrics"]["meteor"]["value"] = 0.5
    (copy / "results.json").write_text(json.dumps(results))
    proc = run_harness("verify", str(copy), cwd=tmp_path, env={"HARNESS_DATA_DIR": str(data_dir)})
    assert proc.returncode == 5 and "mismatch" in proc.stdout and "metrics.meteor.value" in proc.stdout
