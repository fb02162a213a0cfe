"""A short real run: the embedded default model (SmolLM2-135M on llama.cpp) on the real CK file."""

from __future__ import annotations

import yaml

from harness.models.loading import model_config_files
from harness.registry import get_registry
from tests.ecg_expert_qa.helpers import results, run, samples


def test_smollm2_answers_real_ck_questions(data_dir, tmp_path):
    registry = get_registry()
    config = {**yaml.safe_load(model_config_files(registry)["smollm2"].read_text()), "name": "smollm2"}
    run(
        "ecgqa_ck",
        tmp_path / "run",
        data_dir=data_dir,
        model=config,
        reg=registry,
        limit=2,
        generation={"max_tokens": 24},
    )
    res = results(tmp_path / "run" / "results.json")
    assert res["model"]["backend"] == "llama_cpp" and res["usage"]["requests"] == 2 and res["usage"]["failed"] == 0
    assert res["usage"]["completion_tokens"] > 0
    for metric in ("bleu_1", "rouge_l", "meteor"):
        assert res["metrics"][metric]["n_scored"] == 2 and 0.0 <= res["metrics"][metric]["value"] <= 1.0
    lines = samples(tmp_path / "run" / "samples.jsonl")
    assert all(line["response"] and line["response"].strip() for line in lines)
