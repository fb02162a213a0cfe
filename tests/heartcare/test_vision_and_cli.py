"""`python -m harness` on Heartcare tasks: an API vision model gets real PNG bytes; absent records are reported."""

from __future__ import annotations

import json

from harness.testing.openai_stub import OpenAIStub, fixed
from tests.conftest import result_files, run_harness


def test_gpt4o_config_sends_decodable_png_images(use_built_data, tmp_path):
    with OpenAIStub(fixed("The answer is B.")) as stub:
        proc = run_harness(
            "+task=heartcare_closedqa_diagnosis",
            "model=gpt4o",
            f"+model.base_url={stub.base_url}",
            "modality=image",
            cwd=tmp_path,
            env={"OPENAI_API_KEY": "sk-test-not-a-real-key", "HARNESS_DATA_DIR": str(use_built_data)},
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        images = list(stub.stats.images)
        check = stub.image_check()
    assert stub.stats.completed == 2  # the test split: HR06000 and HR06004
    assert check.valid == 2 and check.invalid == 0, check.errors
    assert all(i.format == "PNG" and i.width >= 100 and i.height >= 50 for i in images)
    results = json.loads(result_files(tmp_path)[0].read_text())
    assert results["task"]["modality"] == "image" and results["metrics"]["accuracy"]["n_scored"] == 2
    assert results["task"]["ecg"]["n_absent"] == 0 and "sk-test" not in result_files(tmp_path)[0].read_text()


def test_published_closedqa_reports_its_absent_records(tmp_path, data_dir):
    # no request is made (no record of the published sample is under the data dir): any model config will do
    proc = run_harness("+task=heartcare_closedqa", "model=forecast_mean", "modality=features", cwd=tmp_path)
    assert proc.returncode == 4, proc.stderr[-2000:]  # refused: nothing to evaluate
    message = " ".join(proc.stderr.split())
    assert "Traceback" not in message and message.count("error:") == 1
    assert "0 of 132 samples can run: their ECGs are absent" in message
    assert str(data_dir / "ecg_signals" / "cinc2021") in message
    assert "python -m harness data fetch heartcare_closedqa" in message and "data_dir=" in message
    assert not result_files(tmp_path)  # nothing run, nothing written, no empty run directory
    assert not list((tmp_path / "runs").rglob("*heartcare_closedqa*"))


def test_unsupported_modality_is_a_clear_error(tmp_path):
    proc = run_harness("+task=heartcare_signal_prediction", "modality=image", cwd=tmp_path)
    assert proc.returncode == 2 and "does not support modality=image; it supports: signal_text" in proc.stderr
