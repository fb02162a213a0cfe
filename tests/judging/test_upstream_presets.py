"""The upstream judge presets (configs/model/gpt4o_upstream_*.yaml) send what upstream sent.

Each preset is loaded as shipped, pointed at the OpenAI-compatible stub on 127.0.0.1 and driven by
its own backend (litellm). A parameter a preset sets to null is not sent, even where the rubric
sets it; the other presets' and the rubrics' parameters are sent as they are.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from judge_env import answers_by_question, counts, questions

PRESETS = Path(__file__).resolve().parents[2] / "configs" / "model"
GEM_VERDICT = {
    name: [{"Score": score, "Explanation": "scripted"}]
    for name, score in [
        ("DiagnosisAccuracy", 2),
        ("AnalysisCompleteness", 3),
        ("AnalysisRelevance", 2),
        ("LeadAssessmentCoverage", 6),
        ("LeadAssessmentAccuracy", 12),
        ("ECGFeatureGrounding", 60),
        ("EvidenceBasedReasoning", 70),
        ("ClinicalDiagnosticFidelity", 80),
    ]
}
REPORT_VERDICT = {k: {"Score": 7, "Explanation": "scripted"} for k in ("Diagnosis", "Waveform", "Rhythm")}


def preset_run(judged, data_dir, monkeypatch, preset: str, rubric: str, verdict: dict) -> tuple[dict, list[dict]]:
    """Run the small judged task with ``preset`` as the judge; the judge request bodies it sent."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-placeholder")
    config = yaml.safe_load((PRESETS / f"{preset}.yaml").read_text())
    bodies: list[dict] = []

    def judge(request: dict) -> str:
        bodies.append(request)
        return json.dumps(verdict)

    qs = questions(data_dir, 2)
    run = judged(answers_by_question(qs, ["sinus rhythm", "atrial fibrillation"]), {config["model"]: judge})
    local = {**config, "name": f"{preset}_local", "base_url": run.stub.base_url, "max_retries": 0}
    (run.config_dir / f"{preset}_local.yaml").write_text(yaml.safe_dump(local))
    results = run.run("p", judge=f"{preset}_local", limit=2, judges=f"[{rubric}]")
    return results, bodies


def test_gem_preset_sends_the_pinned_model_and_no_temperature_or_max_tokens(judged, data_dir, monkeypatch):
    results, bodies = preset_run(judged, data_dir, monkeypatch, "gpt4o_upstream_gem", "gem_grounding", GEM_VERDICT)
    assert counts(results["metrics"]["gem_grounding"])[:2] == (2, 0)
    assert len(bodies) == 2
    for body in bodies:
        assert body["model"] == "gpt-4o-2024-08-06"
        assert "temperature" not in body and "max_tokens" not in body and "response_format" not in body, body.keys()


def test_heartcare_preset_sends_no_temperature(judged, data_dir, monkeypatch):
    verdict = {f"item_{k}": 85 for k in range(1, 18)}
    results, bodies = preset_run(judged, data_dir, monkeypatch, "gpt4o_upstream_heartcare", "heartcare_report", verdict)
    assert counts(results["metrics"]["heartcare_report"])[:2] == (2, 0)
    assert [b["model"] for b in bodies] == ["gpt-4o", "gpt-4o"]
    assert all("temperature" not in b and b["max_tokens"] == 600 for b in bodies)  # the rubric's max_tokens stays


def test_ecgbench_preset_sends_temperature_0_and_json_object(judged, data_dir, monkeypatch):
    results, bodies = preset_run(
        judged, data_dir, monkeypatch, "gpt4o_upstream_ecgbench", "ecgbench_report", REPORT_VERDICT
    )
    assert results["metrics"]["ecgbench_report"]["value"] == pytest.approx(70)
    for body in bodies:
        assert body["model"] == "gpt-4o" and body["temperature"] == 0
        assert body["response_format"] == {"type": "json_object"} and "max_tokens" not in body


def test_a_judge_without_nulls_sends_the_rubrics_parameters(judged, data_dir):
    bodies: list[dict] = []

    def judge(request: dict) -> str:
        bodies.append(request)
        return json.dumps(GEM_VERDICT)

    qs = questions(data_dir, 1)
    run = judged(answers_by_question(qs, ["sinus rhythm"]), {"judge-d": judge})
    run.judge_config("judge-d", params={"max_tokens": 100, "top_p": 0.5})
    run.run("d", judge="judge-d", limit=1, judges="[gem_grounding]")
    assert bodies and all(b["temperature"] == 0 and b["max_tokens"] == 2048 and b["top_p"] == 0.5 for b in bodies)
