"""A rubric's total is scored whenever the criteria it needs are (``Rubric.total_needs``).

GEM's Average uses only its three 0-100 criteria: a verdict missing an earlier criterion keeps
its Average; one missing a needed criterion leaves the Average unscored, with the record naming
that criterion. Run through the judging stage against the OpenAI-compatible stub on 127.0.0.1.
"""

from __future__ import annotations

import json

import pytest
from judge_env import answers_by_question, counts, judged_answer, questions

from harness.registry import build_registry

EARLY = ["DiagnosisAccuracy", "AnalysisCompleteness", "AnalysisRelevance", "LeadAssessmentCoverage"]
NEEDED = ["ECGFeatureGrounding", "EvidenceBasedReasoning", "ClinicalDiagnosticFidelity"]


def entries(*scores) -> list[dict]:
    return [{"Score": s, "Explanation": f"point {k}"} for k, s in enumerate(scores)]


FULL = {
    "DiagnosisAccuracy": entries(2, 0),
    "AnalysisCompleteness": entries(1, 1),
    "AnalysisRelevance": entries(2),
    "LeadAssessmentCoverage": entries(*[1] * 6),
    "LeadAssessmentAccuracy": entries(*[2] * 6),
    "ECGFeatureGrounding": entries(60),
    "EvidenceBasedReasoning": entries(70),
    "ClinicalDiagnosticFidelity": entries(90),
}

# case -> the judge's verdict (the same on every repair), the expected Average (None: unscored)
CASES = {
    "full": (FULL, 220 / 3),
    "no_diagnosis": ({k: v for k, v in FULL.items() if k != "DiagnosisAccuracy"}, 220 / 3),
    "bad_early": (
        {**FULL, "AnalysisCompleteness": [{"Score": "many"}], "LeadAssessmentAccuracy": entries(-1)},
        220 / 3,
    ),
    "no_fidelity": ({k: v for k, v in FULL.items() if k != "ClinicalDiagnosticFidelity"}, None),
    "bad_reasoning": ({**FULL, "EvidenceBasedReasoning": entries(-5)}, None),
}


def gem_judge(request):
    _, answer, _ = judged_answer(request)
    return json.dumps(CASES[answer.split("]")[0].strip("[")][0])


def test_gem_total_needs_only_the_three_percent_criteria():
    judges = build_registry(entry_points=False).judges
    assert judges["gem_grounding"].total_needs() == NEEDED
    assert judges["gem_grounding"].info()["total_needs"] == NEEDED
    assert judges["reference_match"].total_needs() == ["correctness", "completeness"]  # default: every criterion


@pytest.fixture
def gem_run(judged, data_dir):
    qs = questions(data_dir, len(CASES))
    run = judged(answers_by_question(qs, [f"[{c}] sinus rhythm" for c in CASES]), {"judge-g": gem_judge})
    run.judge_config("judge-g")
    results = run.run("g1", judge="judge-g", limit=len(CASES), judges="[gem_grounding]")
    return results, run.samples("g1")


def test_average_scored_without_an_early_criterion(gem_run):
    results, samples = gem_run
    metrics = results["metrics"]
    total = metrics["gem_grounding"]
    # full, no_diagnosis and bad_early have an Average; no_fidelity and bad_reasoning do not
    assert counts(total) == (3, 2, {"missing criterion": 1, "out of range": 1})
    assert total["value"] == pytest.approx(220 / 3)
    assert counts(metrics["gem_grounding.DiagnosisAccuracy"]) == (4, 1, {"missing criterion": 1})
    assert counts(metrics["gem_grounding.AnalysisCompleteness"]) == (4, 1, {"not a number": 1})
    assert counts(metrics["gem_grounding.LeadAssessmentAccuracy"]) == (4, 1, {"out of range": 1})
    by_case = {s["response"].split("]")[0].strip("["): s["judges"]["gem_grounding"] for s in samples}
    for case, (_, average) in CASES.items():
        values = by_case[case]["jury"]["values"]
        if average is None:
            assert isinstance(values["gem_grounding"], dict) and "unscored" in values["gem_grounding"], case
        else:
            assert values["gem_grounding"] == pytest.approx(average), case
    assert "total_unscored" not in by_case["no_diagnosis"]["judge-g"]
    assert "DiagnosisAccuracy" in by_case["no_diagnosis"]["judge-g"]["problems"]


def test_average_unscored_names_the_missing_needed_criterion(gem_run):
    _, samples = gem_run
    by_case = {s["response"].split("]")[0].strip("["): s["judges"]["gem_grounding"] for s in samples}
    missing = by_case["no_fidelity"]
    assert missing["jury"]["values"]["gem_grounding"] == {"unscored": "missing criterion"}
    assert missing["judge-g"]["total_unscored"].startswith("needs 'ClinicalDiagnosticFidelity': missing criterion")
    negative = by_case["bad_reasoning"]
    assert negative["jury"]["values"]["gem_grounding"] == {"unscored": "out of range"}
    assert negative["judge-g"]["total_unscored"].startswith("needs 'EvidenceBasedReasoning': out of range")
    # the other criteria of those verdicts are still scored individually
    assert missing["jury"]["values"]["gem_grounding.EvidenceBasedReasoning"] == 70
    assert negative["jury"]["values"]["gem_grounding.ClinicalDiagnosticFidelity"] == 90
