"""``build --verify``: every cell carries its run's verification verdict; a tampered number is a
mismatch (badged, no ★, out of the ranking) and ``--strict`` refuses to publish it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from harness.leaderboard.site import build_site
from tests.conftest import echo_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory, data_dir):
    """One real run, and a copy under another model name whose bleu_1 was edited by hand."""
    root = tmp_path_factory.mktemp("lbverify")
    run_dir = echo_run(root, data_dir, limit=30)  # the small-n threshold: a valid cell can get its ★,
    runs = root / "runs"
    shutil.copytree(run_dir, runs / "honest")
    shutil.copytree(runs / "honest", runs / "tampered")
    doc = json.loads((runs / "tampered" / "results.json").read_text())
    doc["model"]["name"] = "tampered"
    doc["metrics"]["bleu_1"]["value"] += 0.25
    (runs / "tampered" / "results.json").write_text(json.dumps(doc))
    return runs


def _cell(index: str, model: str, metric: str) -> str:
    match = re.search(
        rf'<td class="cell[^"]*"[^>]*data-model="{model}" data-task="ecgqa_ck" data-metric="{metric}">(.*?)</td>',
        index,
        re.S,
    )
    assert match, (model, metric)
    return match.group(0)


def test_verified_build_marks_every_cell_and_badges_the_tampered_one(runs, data_dir, tmp_path):
    report = build_site(runs, tmp_path / "site", verify=True, data_dir=data_dir)
    assert report.written and report.verified
    assert (
        report.mismatches == [m for m in report.mismatches if m.startswith("tampered/results.json: metric bleu_1")]
        and len(report.mismatches) == 1
    )
    index = (tmp_path / "site" / "index.html").read_text()
    honest, tampered = _cell(index, "local_server", "bleu_1"), _cell(index, "tampered", "bleu_1")
    assert "✓ verified" in honest and "★" in honest
    assert "✗ mismatch" in tampered and "verification mismatch" in tampered and "★" not in tampered
    assert "✓ verified" in _cell(index, "tampered", "rouge_l")  # only the edited number is in doubt
    data = json.loads((tmp_path / "site" / "data" / "leaderboard.json").read_text())
    assert data["verified"] is True
    verdicts = {(r["model"], m): v["verdict"] for r in data["results"] for m, v in r["verification"].items()}
    assert verdicts[("tampered", "bleu_1")] == "mismatch" and verdicts[("local_server", "bleu_1")] == "verified"
    assert {v for (model, _), v in verdicts.items() if model == "local_server"} == {"verified"}


def test_strict_refuses_a_mismatch_and_leaves_the_site_untouched(runs, data_dir, tmp_path):
    report = build_site(runs, tmp_path / "site", verify=True, strict=True, data_dir=data_dir)
    assert not report.written and not (tmp_path / "site").exists()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.leaderboard",
            "build",
            str(runs),
            "--out",
            str(tmp_path / "s2"),
            "--verify",
            "--strict",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "HARNESS_DATA_DIR": str(data_dir)},
    )
    assert proc.returncode == 1 and not (tmp_path / "s2").exists()
    assert "mismatch: tampered/results.json: metric bleu_1" in proc.stderr
    assert "1 verification mismatch(es); the site was not written" in proc.stderr


def test_without_verify_the_page_says_numbers_were_not_recomputed(runs, tmp_path):
    report = build_site(runs, tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text()
    assert report.written and not report.verified and "✓ verified" not in index
    assert "built without <code>--verify</code>" in index


def test_only_the_runs_shown_are_verified(runs, data_dir, tmp_path):
    """A tampered run superseded by a newer honest one is listed, not shown: it is not verified and
    does not fail a strict build; shown again (the newer run removed), it does."""
    mixed = tmp_path / "runs"
    shutil.copytree(runs / "honest", mixed / "honest")
    shutil.copytree(runs / "tampered", mixed / "old")
    doc = json.loads((mixed / "old" / "results.json").read_text())
    doc["model"]["name"] = "local_server"  # the same row as the honest run, finished earlier
    doc["timings"]["finished_at"] = "2026-01-01T00:00:00+00:00"
    (mixed / "old" / "results.json").write_text(json.dumps(doc))
    report = build_site(mixed, tmp_path / "site", verify=True, strict=True, data_dir=data_dir)
    assert report.written and report.mismatches == [] and report.n_superseded == 1
    shutil.rmtree(mixed / "honest")
    report = build_site(mixed, tmp_path / "site2", verify=True, strict=True, data_dir=data_dir)
    assert not report.written and len(report.mismatches) == 1 and report.mismatches[0].startswith("old/results.json")
