"""GEM Grounded ECG Understanding end to end: the 20 real MIMIC-IV samples, the CLI, and a scripted
judge on a local OpenAI-compatible server (the stub). Expected values are computed by hand below
from the scripted entry scores with the formulas of GEM's released notebook."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.testing.openai_stub import OpenAIStub, by_model, fixed
from tests.conftest import result_files, run_harness

SAMPLES = "gem_grounding/samples/ecg_grounding_test_mimiciv_first20.ecg_r1_format.jsonl"
CRITERIA = [
    "DiagnosisAccuracy",
    "AnalysisCompleteness",
    "AnalysisRelevance",
    "LeadAssessmentCoverage",
    "LeadAssessmentAccuracy",
    "ECGFeatureGrounding",
    "EvidenceBasedReasoning",
    "ClinicalDiagnosticFidelity",
]


def entries(*scores) -> list[dict]:
    return [{"Score": s, "Explanation": f"point {k}"} for k, s in enumerate(scores)]


def verdict(
    da,
    ac,
    ar,
    lc,
    la,
    g,
    e,
    r,
    *,
    names=("GroundedECGUnderstanding", "EvidenceBasedReasoning", "RealisticDiagnosticProcess"),
) -> dict:
    return {
        "DiagnosisAccuracy": entries(*da),
        "AnalysisCompleteness": entries(*ac),
        "AnalysisRelevance": entries(*ar),
        "LeadAssessmentCoverage": entries(*lc),
        "LeadAssessmentAccuracy": entries(*la),
        names[0]: entries(*g),
        names[1]: entries(*e),
        names[2]: entries(*r),
    }


NOTEBOOK = ("ECGFeatureGrounding", "Evidence-BasedReasoning", "ClinicalDiagnosticFidelity")
DEFAULT = verdict([2, 2], [1, 1, 1], [2, 1], [1] * 12, [2] * 12, [80], [80], [80])
DEFAULT_VALUES = [100, 3, 3, 100, 100, 80, 80, 80]
U = None  # unscored

# sample index -> (replies the judge gives: first, then for each repair; the last repeats), hand-computed per-sample values
SCRIPT: dict[int, tuple[list[str], list]] = {
    # the prompt's spellings; DA 2 of 3 > 0; coverage capped at 12 leads; accuracy 15/24
    0: (
        [json.dumps(verdict([2, 1, 0], [1, 1, 1, 0, 1], [2, 2, 1], [1] * 14, [2] * 6 + [1] * 3, [80], [50], [100]))],
        [200 / 3, 4, 5, 100, 62.5, 80, 50, 100],
    ),
    # the notebook's spellings, in a ```json fence after prose; a Score given as the string "80"; empty relevance list = 0
    1: (
        [
            "Here is my evaluation.\n```json\n"
            + json.dumps(verdict([2], [1, 1], [], [1] * 6, [1] * 6, [50], ["80"], [50], names=NOTEBOOK))
            + "\n```"
        ],
        [100, 2, 0, 50, 25, 50, 80, 50],
    ),
    # single-quoted, as the prompt's own example is written (a Python literal, not JSON)
    2: ([repr(verdict([0, 0], [1], [2], [12], [24], [0], [0], [0]))], [0, 1, 2, 100, 100, 0, 0, 0]),
    # RealisticDiagnosticProcess missing in every attempt: that criterion and the total unscored, the rest kept
    3: (
        [json.dumps({k: v for k, v in DEFAULT.items() if k != "RealisticDiagnosticProcess"})],
        [100, 3, 3, 100, 100, 80, 80, U],
    ),
    # never JSON: everything unscored
    4: (["I am unable to grade this interpretation."], [U] * 8),
    # cut off first, repaired on the first repair prompt
    5: (['{"DiagnosisAccuracy": [{"Score": 2, "Explanation": "AF"', json.dumps(DEFAULT)], DEFAULT_VALUES),
    # a Score that is not a number in every attempt
    6: (
        [json.dumps({**DEFAULT, "AnalysisCompleteness": [{"Score": "high", "Explanation": "x"}]})],
        [100, U, 3, 100, 100, 80, 80, 80],
    ),
    # a negative Score
    7: ([json.dumps({**DEFAULT, "LeadAssessmentAccuracy": entries(2, -1)})], [100, 3, 3, 100, U, 80, 80, 80]),
    # both spellings of one criterion: the canonical (notebook) one is used
    8: (
        [json.dumps({**DEFAULT, "ECGFeatureGrounding": entries(90), "GroundedECGUnderstanding": entries(10)})],
        [100, 3, 3, 100, 100, 90, 80, 80],
    ),
}


def references(data_dir: Path) -> list[str]:
    rows = [json.loads(line) for line in (data_dir / SAMPLES).read_text().splitlines() if line.strip()]
    return [next(m["content"] for m in r["messages"] if m["role"] == "assistant") for r in rows]


def judge_responder(refs: list[str]):
    keys = [ref[:80] for ref in refs]
    assert len(set(keys)) == len(keys)

    def respond(request: dict) -> str:
        first_user = next(m["content"] for m in request["messages"] if m["role"] == "user")
        index = next(i for i, k in enumerate(keys) if k in first_user)
        attempt = sum(1 for m in request["messages"] if m["role"] == "assistant")
        replies = SCRIPT.get(index, ([json.dumps(DEFAULT)], None))[0]
        return replies[min(attempt, len(replies) - 1)]

    return respond


def expected_table(n: int) -> list[list]:
    return [SCRIPT[i][1] if i in SCRIPT else DEFAULT_VALUES for i in range(n)]


@pytest.fixture(scope="module")
def gem_run(data_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gem")
    refs = references(data_dir)
    assert len(refs) == 20
    responder = by_model(
        {
            "candidate": fixed("Sinus rhythm at 62 bpm; PR 160 ms; QRS 90 ms in V1; normal ECG."),
            "default": judge_responder(refs),
        }
    )
    with OpenAIStub(responder) as stub:
        proc = run_harness(
            "+task=gem_grounding",
            "modality=text",  # no MIMIC-IV-ECG record is here: the instruction alone, marked text-only
            "allow_text_only=true",
            "model=local_server",
            "model.model=candidate",
            "judge=local_server",
            cwd=tmp,
            env={
                "HARNESS_BASE_URL": stub.base_url,
                "HARNESS_DATA_DIR": str(data_dir),
                "HARNESS_CACHE_DIR": str(tmp / "cache"),
            },
        )
        judge_requests = stub.stats.requests
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = result_files(tmp)[0].parent
    results = json.loads((run / "results.json").read_text())
    samples = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
    return results, samples, judge_requests


def test_every_criterion_aggregated_as_the_notebook_does(gem_run):
    results, _, _ = gem_run
    assert results["task"]["n_samples"] == 20
    metrics = results["metrics"]
    table = expected_table(20)
    for k, name in enumerate(CRITERIA):
        entry = metrics[f"gem_grounding.{name}"]
        scored = [row[k] for row in table if row[k] is not None]
        assert entry["kind"] == "judge"
        assert entry["n_scored"] == len(scored), name
        assert entry["n_scored"] + entry["n_unscored"] == 20
        assert entry["value"] == pytest.approx(sum(scored) / len(scored)), name
    # by hand: 19 verdicts carry DiagnosisAccuracy (S4 has none): S0 2/3, S1 100, S2 0, sixteen others 100
    assert metrics["gem_grounding.DiagnosisAccuracy"]["value"] == pytest.approx((200 / 3 + 100 + 0 + 100 * 16) / 19)
    # S4 and S7 (negative Score) unscored: S0 15/24, S1 6/24, S2 24/24, fifteen others 24/24
    assert metrics["gem_grounding.LeadAssessmentAccuracy"]["value"] == pytest.approx((62.5 + 25 + 100 + 100 * 15) / 18)
    assert metrics["gem_grounding.ECGFeatureGrounding"]["value"] == pytest.approx((80 + 50 + 0 + 90 + 80 * 15) / 19)
    cdf = metrics["gem_grounding.ClinicalDiagnosticFidelity"]
    assert cdf["n_unscored"] == 2 and cdf["unscored_reasons"] == {"missing criterion": 1, "no JSON object": 1}
    assert metrics["gem_grounding.AnalysisCompleteness"]["unscored_reasons"] == {"no JSON object": 1, "not a number": 1}
    assert metrics["gem_grounding.LeadAssessmentAccuracy"]["unscored_reasons"] == {
        "no JSON object": 1,
        "out of range": 1,
    }
    # the total is the Tables' Average of the three 0-100 criteria, over samples where those three are valid
    # (S6 and S7 miss an earlier criterion only: a non-numeric AnalysisCompleteness, a negative lead Score)
    totals = [sum(row[5:]) / 3 for row in table if all(v is not None for v in row[5:])]
    assert metrics["gem_grounding"]["n_scored"] == len(totals) == 18
    assert sum(all(v is not None for v in row) for row in table) == 16
    assert metrics["gem_grounding"]["value"] == pytest.approx(sum(totals) / len(totals))


def test_per_item_scores_and_attempts_in_samples(gem_run):
    _, samples, _ = gem_run
    by_index = {i: s for i, s in enumerate(samples)}
    assert [s["id"] for s in samples][:2] == ["49722328", "49975043"]
    first = by_index[0]["judges"]["gem_grounding"]
    values = first["jury"]["values"]
    assert values["gem_grounding.DiagnosisAccuracy"] == pytest.approx(200 / 3)
    assert values["gem_grounding.ECGFeatureGrounding"] == 80  # from the prompt's 'GroundedECGUnderstanding'
    assert values["gem_grounding.ClinicalDiagnosticFidelity"] == 100  # from 'RealisticDiagnosticProcess'
    repaired = by_index[5]["judges"]["gem_grounding"]["local_server"]["attempts"]
    assert len(repaired) == 2 and repaired[0]["problems"]
    broken = by_index[4]["judges"]["gem_grounding"]
    assert len(broken["local_server"]["attempts"]) == 3  # first try + 2 repairs
    assert broken["jury"]["values"]["gem_grounding"] == {"unscored": "no JSON object"}


def test_prompt_is_gems_released_prompt(data_dir):
    from harness.judging.rubric import JudgeInput
    from harness.registry import get_registry

    rubric = get_registry().judges["gem_grounding"]
    call = rubric.calls(JudgeInput("x", "q", [], "generated text", "ground truth text", {}))[0]
    user = call.messages[1]["content"]
    tag = call.tags[0]
    released = (data_dir / "gem_grounding/prompts/gem_grounding_judge_prompt.txt").read_text()
    assert user == released.replace("{{generated}}", f"<{tag}>\ngenerated text\n</{tag}>").replace(
        "{{groundtruth}}", "ground truth text"
    )


@pytest.mark.parametrize(
    ("name", "scores", "value"),
    [
        ("DiagnosisAccuracy", [2, 1, 0, 0], 50.0),
        ("DiagnosisAccuracy", [], 0.0),
        ("AnalysisCompleteness", [1, 1, 0], 2.0),
        ("LeadAssessmentCoverage", [1] * 7, 7 / 12 * 100),
        ("LeadAssessmentCoverage", [1] * 20, 100.0),
        ("LeadAssessmentAccuracy", [2] * 3, 25.0),
        ("EvidenceBasedReasoning", [80], 80.0),
    ],
)
def test_notebook_formulas(name, scores, value):
    from harness.judges.gem_grounding.rubric import aggregate

    assert aggregate(name, scores) == pytest.approx(value)


def test_machine_measurement_variant_reports_absent_mimic_waveforms(data_dir, tmp_path):
    """The ECG variants resolve each sample's record from its image path; MIMIC waveforms are not local."""
    from harness.plugins.loaders.chat import load_chat

    rows = list(load_chat(data_dir / SAMPLES, {}))
    assert rows[0]["record"] == "files/p1802/p18029015/s49722328/49722328"
    assert rows[0]["question"].startswith("Interpret the provided ECG image") and "<image>" not in rows[0]["question"]
    assert rows[0]["system"].startswith("You are a helpful") and rows[0]["answer"].startswith("Upon examining")
    assert re.match(r"^\d+$", rows[19]["id"]) and len(rows) == 20


def test_gem_json_with_machine_measurements(data_dir, tmp_path):
    """GEM's own JSON format (LLaVA conversations) on records whose signal is local: the FeatureDB
    machine measurements of the real record reach the model, and the judge sees the GT interpretation."""
    root = tmp_path / "data"
    (root / "gem_grounding").mkdir(parents=True)
    (root / "ecg_signals").symlink_to(data_dir / "ecg_signals")
    question = "<image>\nInterpret the provided ECG image, identify key features and abnormalities in each lead."
    rows = [
        {
            "id": f"ptbxl-{k}",
            "image": f"ptbxl_gen/{k:05d}_hr-0.png",
            "conversations": [
                {"from": "human", "value": question},
                {"from": "gpt", "value": f"Reference interpretation {k}."},
            ],
        }
        for k in (6000, 6001)
    ]
    rows.append({"id": "absent", "ecg": "records500/21000/21837_hr", "conversations": rows[0]["conversations"]})
    (root / "gem_grounding" / "ecg-grounding-test-ptbxl.json").write_text(json.dumps(rows))
    seen: list[str] = []

    def candidate(request: dict) -> str:
        seen.append(json.dumps(request["messages"]))
        return "Sinus rhythm; QRS 90 ms."

    with OpenAIStub(by_model({"candidate": candidate, "default": fixed(json.dumps(DEFAULT))})) as stub:
        proc = run_harness(
            "+task=gem_grounding_ptbxl",
            "model=local_server",
            "model.model=candidate",
            "judge=local_server",
            "modality=featuredb",
            cwd=tmp_path,
            env={
                "HARNESS_BASE_URL": stub.base_url,
                "HARNESS_DATA_DIR": str(root),
                "HARNESS_CACHE_DIR": str(tmp_path / "cache"),
            },
        )
    assert proc.returncode == 3, proc.stderr[-3000:]  # partial: one record is absent
    results = json.loads(result_files(tmp_path)[0].read_text())
    assert results["task"]["n_samples"] == 2 and results["task"]["ecg"]["absent_ids"] == ["absent"]
    assert len(seen) == 2 and all("QTc" in s and "V6" in s for s in seen)  # per-beat FeatureDB of all 12 leads
    assert "<image>" not in seen[0] and "Interpret the provided ECG image" in seen[0]
    assert results["metrics"]["gem_grounding"]["value"] == pytest.approx(80.0)
    assert results["metrics"]["gem_grounding.LeadAssessmentCoverage"]["value"] == pytest.approx(100.0)


def test_chat_loader_errors_name_the_file_and_record(tmp_path):
    from harness.errors import DataError
    from harness.plugins.loaders.chat import load_chat

    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": "ok",
                    "conversations": [{"from": "human", "value": "<image>\nQ"}, {"from": "gpt", "value": "A"}],
                },
                {"id": "no-answer", "conversations": [{"from": "human", "value": "Q"}]},
            ]
        )
    )
    with pytest.raises(
        DataError, match=r"bad.json: record 1 \(id no-answer\).*no user turn followed by an assistant turn"
    ):
        list(load_chat(path, {}))
    path.write_text(json.dumps([{"id": "x", "text": "no chat"}]))
    with pytest.raises(DataError, match=r"record 0 \(id x\): no conversation"):
        list(load_chat(path, {}))
