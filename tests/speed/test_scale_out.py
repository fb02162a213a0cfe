"""Beyond one process: Hydra multirun through the submitit_local launcher (one run dir per job,
collected by a glob as the leaderboard build does), the SLURM launcher config, and sharded runs
merged with `python -m harness merge` equal to the unsharded run (and an incomplete set refused)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.testing.openai_stub import OpenAIStub
from tests.conftest import result_files, run_harness


def test_submitit_local_multirun_writes_one_run_dir_per_job(tmp_path: Path) -> None:
    proc = run_harness(
        "-m",
        "hydra/launcher=submitit_local",
        "hydra.launcher.timeout_min=10",
        "+task=ecgqa_ck",
        "model=retrieval",
        "limit=12,20",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    paths = result_files(tmp_path / "runs")
    assert len(paths) == 2 and len({p.parent for p in paths}) == 2
    assert all(".submitit" not in p.parts for p in paths)
    found = sorted(json.loads(p.read_text())["task"]["n_samples"] for p in paths)
    assert found == [12, 20]
    for path in paths:
        results = json.loads(path.read_text())
        assert (
            results["model"]["name"] == "retrieval"
            and results["metrics"]["rouge_l"]["n_scored"] == results["task"]["n_samples"]
        )
        assert (path.parent / "samples.jsonl").read_text().count("\n") == results["task"]["n_samples"]
    # submitit kept each job's own log folder next to the runs
    assert list((tmp_path / "runs").rglob(".submitit"))


def test_slurm_launcher_config_composes(tmp_path: Path) -> None:
    proc = run_harness(
        "hydra/launcher=slurm",
        "hydra.launcher.partition=gpu",
        "+task=ecgqa_ck",
        "model=retrieval",
        "--cfg",
        "hydra",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "SlurmLauncher" in proc.stdout and "partition: gpu" in proc.stdout and "timeout_min: 240" in proc.stdout


def _strip(results: dict) -> dict:
    return {k: v for k, v in results.items() if k not in ("run_id", "timings")}


def test_sharded_runs_merged_by_the_cli_equal_the_unsharded_run(tmp_path: Path) -> None:
    n = 20
    with OpenAIStub(latency=0.0) as stub:
        common = [
            "+task=ecgqa_ck",
            "model=local_server",
            "model.model=stub",
            f"model.base_url={stub.base_url}",
            f"limit={n}",
            "concurrency=8",
            "use_cache=false",
        ]
        whole = run_harness(*common, cwd=tmp_path / "whole")
        assert whole.returncode == 0, whole.stderr
        shard_dirs = []
        for i in range(2):
            out = tmp_path / f"shard{i}"
            proc = run_harness(*common, f"shard={i}/2", f"hydra.run.dir={out}", cwd=tmp_path / "shards")
            assert proc.returncode == 0, proc.stderr
            shard_dirs.append(out)
    merged_dir = tmp_path / "merged"
    merge = run_harness("merge", *map(str, reversed(shard_dirs)), "--out", str(merged_dir), cwd=tmp_path)
    assert merge.returncode == 0, merge.stderr
    (whole_path,) = result_files(tmp_path / "whole" / "runs")
    expected = json.loads(whole_path.read_text())
    merged = json.loads((merged_dir / "results.json").read_text())
    assert merged["task"]["n_samples"] == n and expected["task"]["n_samples"] == n
    assert json.loads((shard_dirs[0] / "results.json").read_text())["task"]["n_samples"] == 10
    assert _strip(merged) == _strip(expected)
    assert (merged_dir / "samples.jsonl").read_text() == (whole_path.parent / "samples.jsonl").read_text()

    partial = run_harness("merge", str(shard_dirs[0]), "--out", str(tmp_path / "partial"), cwd=tmp_path)
    assert partial.returncode == 2 and "do not cover" in partial.stderr
    assert not (tmp_path / "partial" / "results.json").exists()
