"""Each answer is stored once in samples.jsonl: a prediction equal to the response is not repeated."""

from __future__ import annotations

import json

from harness.results.schema import SampleRecord
from harness.results.writer import sample_prediction, stored_sample
from harness.testing.openai_stub import OpenAIStub, fixed
from tests.conftest import result_files, run_harness

ANSWER = ("sinus rhythm " * 20_000).strip()  # ~260 kB


def test_a_long_free_text_answer_is_written_once(tmp_path):
    with OpenAIStub(fixed(ANSWER)) as stub:
        proc = run_harness(
            "+task=ecgqa_ck",
            "model=local_server",
            f"model.base_url={stub.base_url}",
            "generation.max_tokens=100000",
            "limit=3",
            cwd=tmp_path,
        )
    assert proc.returncode == 0, proc.stderr
    samples = result_files(tmp_path)[0].parent / "samples.jsonl"
    lines = [json.loads(line) for line in samples.read_text().splitlines()]
    assert len(lines) == 3 and all("prediction" not in line for line in lines)
    assert samples.stat().st_size < 3 * len(ANSWER) * 1.1  # once per sample, not twice
    for line in lines:
        assert line["response"].strip() == ANSWER.strip() and sample_prediction(line) == line["response"]
        assert SampleRecord.model_validate(line).prediction == line["response"]


def test_an_extracted_prediction_is_kept():
    record = {"id": "1", "response": "The answer is B.", "prediction": "B"}
    assert stored_sample(record) is record and sample_prediction(record) == "B"
    unparseable = {"id": "2", "response": "not sure", "prediction": None}
    assert "prediction" in stored_sample(unparseable) and sample_prediction(unparseable) is None
