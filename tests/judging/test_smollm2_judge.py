"""The embedded SmolLM2 model as a real judge, end to end (its verdicts are often invalid)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from judge_env import answers_by_question, questions

from harness.judging.verdict import (
    COPIED,
    INCOMPLETE,
    INVALID_VALUE,
    JUDGE_FAILED,
    MALFORMED,
    MISSING,
    NO_JSON,
    NOT_A_NUMBER,
    OUT_OF_RANGE,
)

N = 2
KNOWN = {COPIED, INCOMPLETE, INVALID_VALUE, JUDGE_FAILED, MALFORMED, MISSING, NO_JSON, NOT_A_NUMBER, OUT_OF_RANGE}


@pytest.mark.slow
def test_smollm2_judges_end_to_end(judged, data_dir):
    qs = questions(data_dir, N)
    run = judged(answers_by_question(qs, ["Atrial fibrillation.", ""]), {})
    shipped = yaml.safe_load((Path(__file__).resolve().parents[2] / "configs" / "model" / "smollm2.yaml").read_text())
    shipped["params"] = {**shipped.get("params", {}), "max_tokens": 32}  # short verdicts keep the test fast
    shipped.pop("name", None)
    (run.config_dir / "smollm2_judge.yaml").write_text(yaml.safe_dump(shipped))

    one_repair = "[{name: reference_match, args: {max_repairs: 1}}]"  # at most two calls per sample
    results = run.run("smol", judge="smollm2_judge", limit=N, concurrency=1, judges=one_repair)
    for name in ("reference_match", "reference_match.correctness", "reference_match.completeness"):
        entry = results["metrics"][name]
        assert entry["kind"] == "judge" and entry["n_scored"] + entry["n_unscored"] == N
        assert (
            set(entry["unscored_reasons"]) <= KNOWN and sum(entry["unscored_reasons"].values()) == entry["n_unscored"]
        )
        if entry["n_scored"]:
            assert 0 <= entry["value"] <= 10
    judge = results["judges"]["reference_match"]["judges"]["smollm2_judge"]
    assert judge["model"]["backend"] == "llama_cpp" and judge["model"]["params"]["max_tokens"] == 32
    assert judge["usage"]["requests"] >= N and judge["usage"]["completion_tokens"] > 0
    for sample in run.samples("smol"):
        verdict = sample["judges"]["reference_match"]["smollm2_judge"]
        assert 1 <= len(verdict["attempts"]) <= 2 and all(a["raw"] is not None for a in verdict["attempts"])
        value = verdict["values"]["reference_match"]
        assert isinstance(value, (int, float)) or value["unscored"] in KNOWN

    again = run.run("smol-again", judge="smollm2_judge", limit=N, concurrency=1, judges=one_repair)
    usage = again["judges"]["reference_match"]["judges"]["smollm2_judge"]["usage"]
    assert usage["requests"] == 0 and usage["cache_hits"] == judge["usage"]["requests"]
    assert again["metrics"]["reference_match"] == results["metrics"]["reference_match"]
