"""``python -m harness compare``: paired differences between two runs and the items behind them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.compare import Run, compare
from harness.errors import HarnessError
from harness.testing.openai_stub import OpenAIStub, echo, fixed
from tests.conftest import result_files, run_harness


def _run_dir(root: Path, name: str, model: str, correct: list[int], unscored: set[int] = frozenset()) -> Path:
    """A run of a 0/1 metric over 40 samples: ``correct`` lists the ids answered right."""
    path = root / name
    path.mkdir()
    values = [None if i in unscored else float(i in correct) for i in range(40)]
    scored = [v for v in values if v is not None]
    results = {
        "model": {"name": model},
        "task": {"name": "toy"},
        "metrics": {"accuracy": {"value": sum(scored) / len(scored)}},
        "status": {"state": "complete"},
        "validity": {"flags": []},
    }
    (path / "results.json").write_text(json.dumps(results))
    with open(path / "samples.jsonl", "w") as fh:
        for i, value in enumerate(values):
            metric = {"unscored": "unparseable"} if value is None else value
            fh.write(json.dumps({"id": str(i), "metrics": {"accuracy": metric}}) + "\n")
    return path


def test_flipped_items_and_a_significant_paired_difference(tmp_path):
    a = Run.load(_run_dir(tmp_path, "a", "base", correct=list(range(10))))
    b = Run.load(_run_dir(tmp_path, "b", "tuned", correct=list(range(5, 35)), unscored={39}))
    (change,) = compare(a, b)
    assert change.binary and change.a == 0.25 and change.b == pytest.approx(30 / 39)
    better = sorted(int(i) for i, x, y in change.flipped if y > x)
    worse = sorted(int(i) for i, x, y in change.flipped if x > y)
    assert better == list(range(10, 35)) and worse == list(range(5))
    assert change.paired.n_shared == 39  # the sample unscored in B is not paired
    assert change.paired.mean_diff == pytest.approx(20 / 39)
    assert change.paired.significant and change.paired.ci_low > 0


def test_equal_runs_are_not_significant(tmp_path):
    a = Run.load(_run_dir(tmp_path, "a", "m", correct=list(range(0, 40, 2))))
    b = Run.load(_run_dir(tmp_path, "b", "m", correct=list(range(0, 40, 2))))
    (change,) = compare(a, b)
    assert change.flipped == [] and not change.paired.significant and change.paired.mean_diff == 0


def test_a_directory_without_results_is_one_line_error(tmp_path):
    with pytest.raises(HarnessError, match=r"no results.json here"):
        Run.load(tmp_path)


def test_compare_two_real_runs_from_the_command_line(tmp_path):
    dirs = []
    for name, responder in (("echo", echo()), ("fixed", fixed("Atrial fibrillation with a rapid ventricular rate."))):
        with OpenAIStub(responder) as stub:
            proc = run_harness(
                "+task=ecgqa_ck",
                "model=local_server",
                f"model.base_url={stub.base_url}",
                "limit=12",
                "concurrency=4",
                cwd=tmp_path / name,
            )
        assert proc.returncode == 0, proc.stderr
        dirs.append(result_files(tmp_path / name)[0].parent)
    proc = run_harness("compare", *map(str, dirs), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "paired bootstrap" in out
    for metric in ("bleu_1", "rouge_l", "meteor"):
        assert metric in out and f"{metric}: " in out and "items changed; largest:" in out
    missing = run_harness("compare", str(dirs[0]), str(tmp_path / "nowhere"), cwd=tmp_path)
    assert missing.returncode == 2 and "no results.json here" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
