"""The model's name in results.json (the leaderboard's row) is the configured one, overrides included."""

from __future__ import annotations

import json

from tests.conftest import result_files, run_harness


def test_model_name_given_on_the_command_line_is_recorded(tmp_path):
    proc = run_harness("+task=ecgqa_ck", "model=retrieval", "model.name=retrieval_unigram", "limit=3", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(result_files(tmp_path)[0].read_text())
    assert results["model"]["name"] == "retrieval_unigram" and results["model"]["backend"] == "retrieval"
