"""Data-engine tasks end to end with the embedded default model (SmolLM2 on the CPU), in three modalities."""

from __future__ import annotations

import json

import pytest

from harness.results.attachments import inline
from tests.conftest import result_files, run_harness


@pytest.mark.slow
def test_closedqa_in_image_signal_text_and_features(use_built_data, tmp_path):
    proc = run_harness(
        "-m",
        "+task=heartcare_closedqa_diagnosis",
        "modality=image,signal_text,features",
        "limit=1",
        "generation.max_tokens=4",
        cwd=tmp_path,
        env={"HARNESS_DATA_DIR": str(use_built_data)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = result_files(tmp_path)
    assert len(files) == 3
    seen = {}
    for path in files:
        results = json.loads(path.read_text())
        assert results["model"]["name"] == "smollm2" and results["model"]["backend"] == "llama_cpp"
        assert results["task"]["n_samples"] == 1 and results["usage"]["failed"] == 0
        assert results["metrics"]["accuracy"]["n_scored"] == 1  # an unparseable answer counts as wrong, and is counted
        sample = json.loads((path.parent / "samples.jsonl").read_text().splitlines()[0])
        assert sample["id"] == "06000-closedqa-diagnosis" and sample["response"] is not None
        parts = sample["messages"][-1]["content"]
        seen[results["task"]["modality"]] = parts
        if results["task"]["modality"] == "image":  # logged once beside the samples; inline() gives the request as sent
            assert (
                parts[0]["image_url"]["url"].startswith("attachment://")
                and len(list((path.parent / "attachments").iterdir())) == 1
            )
            sent = inline(sample["messages"], path.parent)[-1]["content"][0]["image_url"]["url"]
            assert sent.startswith("data:image/png;base64,iVBORw0KGgo")  # a PNG signature
    assert set(seen) == {"image", "signal_text", "features"}
    assert seen["image"][0]["type"] == "image_url"
    for modality in ("signal_text", "features"):
        assert seen[modality][0]["type"] == "text" and seen[modality][0]["text"] != seen[modality][-1]["text"]
    assert seen["signal_text"][0]["text"] != seen["features"][0]["text"]
