"""ECG-Bench report generation on the 500 real PTB-XL gold reports, with a judge served locally.

The judge is the OpenAI-compatible stub with a scripted responder: its Diagnosis/Waveform/Rhythm
scores are a fixed function of the gold report it is shown, so the expected task score is computed
here from the data file, independently of the rubric code. It answers in the released prompt's
loose format (unquoted keys, "Form" for the waveform aspect) and in JSON, and out of range for
reports mentioning infarction (those samples must be unscored, never 0).
"""

from __future__ import annotations

import json
import re
import zlib

import pytest

from harness.testing.openai_stub import OpenAIStub, by_model, fixed
from tests.conftest import result_files, run_harness

GOLD_FILE = "ecgbench/ptb_report_generation_test.json"
GOLD_BLOCK = re.compile(r"\[The Start of Ground Truth Report\]\n (.*?)\n \[The End of Ground Truth Report\]", re.DOTALL)


def scores_for(gold: str) -> tuple[int, int, int]:
    h = zlib.crc32(gold.encode())
    return h % 11, (h // 11) % 11, (h // 121) % 11


def reply_for(gold: str) -> str:
    d, w, r = scores_for(gold)
    if "infarction" in gold.lower():
        r = 12  # out of 0-10, in every attempt
    if zlib.crc32(gold.encode()) % 2:
        return (
            f"The report is judged as follows.\n{{Diagnosis: {{Score: {d}, Explanation: ok}}, Form: {{Score: {w}, Explanation: ok}}, "
            f"Rhythm: {{Score: {r}, Explanation: ok}}}}"
        )
    return json.dumps(
        {
            "Diagnosis": {"Score": d, "Explanation": "x"},
            "Waveform": {"Score": w, "Explanation": "y"},
            "Rhythm": {"Score": r, "Explanation": "z"},
        }
    )


def judge(request: dict) -> str:
    first_user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    match = GOLD_BLOCK.search(first_user)
    assert match, first_user[-600:]
    return reply_for(match.group(1))


def golds(data_dir) -> list[str]:
    return [r["conversation"][1]["value"] for r in json.loads((data_dir / GOLD_FILE).read_text())]


def expected(data_dir) -> tuple[float, int, int]:
    values = [10 * sum(scores_for(g)) / 3 for g in golds(data_dir) if "infarction" not in g.lower()]
    return sum(values) / len(values), len(values), 500 - len(values)


def run(data_dir, tmp, *model_args: str, stub: OpenAIStub):
    proc = run_harness(
        "+task=ecgbench_ptb_report",
        "modality=text",  # the gold file's pictures are not here: the instruction alone, marked text-only
        "allow_text_only=true",
        *model_args,
        "judge=local_server",
        cwd=tmp,
        env={
            "HARNESS_BASE_URL": stub.base_url,
            "HARNESS_DATA_DIR": str(data_dir),
            "HARNESS_CACHE_DIR": str(tmp / "cache"),
        },
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    path = result_files(tmp)[0]
    return json.loads(path.read_text()), [
        json.loads(x) for x in path.with_name("samples.jsonl").read_text().splitlines()
    ]


def test_500_gold_reports_with_a_stub_model_and_a_local_judge(data_dir, tmp_path):
    with OpenAIStub(by_model({"reporter": fixed("Sinus rhythm. Normal axis. Normal ECG."), "default": judge})) as stub:
        results, samples = run(data_dir, tmp_path, "model=local_server", "model.model=reporter", stub=stub)
    value, n_scored, n_unscored = expected(data_dir)
    assert n_unscored > 0 and n_scored > 300
    total = results["metrics"]["ecgbench_report"]
    assert results["task"]["n_samples"] == 500 and len(samples) == 500
    # text-only, and every sample the same instruction: the number is published only with both flags
    flags = {f["code"]: f for f in results["validity"]["flags"]}
    assert "text_only" in flags and flags["duplicate_prompts"]["share"] > 0.2
    assert total["n_scored"] == n_scored and total["n_unscored"] == n_unscored
    assert total["unscored_reasons"] == {"out of range": n_unscored}
    assert total["value"] == pytest.approx(value)
    diag = results["metrics"]["ecgbench_report.Diagnosis"]
    assert diag["n_scored"] == 500 and diag["value"] == pytest.approx(
        sum(scores_for(g)[0] for g in golds(data_dir)) / 500
    )
    first = samples[0]
    assert first["id"] == "ptb-report-07190_hr-0" and first["reference"] == "Sinus rhythm, normal axis, normal ECG."
    d, w, r = scores_for(first["reference"])
    assert first["judges"]["ecgbench_report"]["jury"]["values"]["ecgbench_report"] == pytest.approx(
        10 * (d + w + r) / 3
    )
    assert results["judges"]["ecgbench_report"]["rubric"]["aliases"]["Waveform"][0] == "Form"


def test_without_its_pictures_the_task_is_refused_unless_text_only_is_allowed(data_dir, tmp_path):
    """The command as a user types it, on this machine (the gold file, not its pictures): refused with
    the remedies and nothing asked; ``allow_text_only=true`` alone runs the questions, marked text-only."""
    env = {"HARNESS_DATA_DIR": str(data_dir), "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    with OpenAIStub(by_model({"reporter": fixed("Sinus rhythm. Normal ECG."), "default": judge})) as stub:
        env["HARNESS_BASE_URL"] = stub.base_url
        args = ("+task=ecgbench_ptb_report", "model=local_server", "model.model=reporter", "judge=local_server")
        refused = run_harness(*args, "limit=20", cwd=tmp_path, env=env)
        assert stub.stats.requests == 0
        allowed = run_harness(*args, "limit=20", "allow_text_only=true", cwd=tmp_path, env=env)
    assert refused.returncode == 4 and "Traceback" not in refused.stderr
    message = " ".join(refused.stderr.split())
    assert "0 of 20 samples can run: their ECGs are absent" in message
    assert "data fetch ecgbench_ptb_report" in message and "allow_text_only=true" in message
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert "asking the questions alone (modality=text)" in " ".join(allowed.stderr.split())
    (path,) = result_files(tmp_path)
    results = json.loads(path.read_text())
    assert results["task"]["modality"] == "text" and results["task"]["n_samples"] == 20
    assert results["validity"]["allow_text_only"] is True
    assert {"text_only", "duplicate_prompts"} <= {f["code"] for f in results["validity"]["flags"]}
    assert results["metrics"]["ecgbench_report"]["n_scored"] + results["metrics"]["ecgbench_report"]["n_unscored"] == 20


def test_500_gold_reports_with_the_default_model(data_dir, tmp_path):
    """The embedded SmolLM2 writes the reports (one distinct prompt: the file gives the instruction only,
    so the 500 samples need one generation; kept short to bound CPU time)."""
    with OpenAIStub(by_model({"default": judge})) as stub:
        results, samples = run(data_dir, tmp_path, "generation.max_tokens=48", stub=stub)
    assert results["model"]["name"] == "smollm2" and results["task"]["n_samples"] == 500
    assert all(s["error"] is None and s["response"] for s in samples)
    total = results["metrics"]["ecgbench_report"]
    _, n_scored, n_unscored = expected(data_dir)
    assert total["n_scored"] == n_scored and total["n_unscored"] == n_unscored


def test_judge_prompt_is_the_released_prompt_in_its_wrapper(data_dir):
    from harness.judging.rubric import JudgeInput
    from harness.registry import get_registry

    rubric = get_registry().judges["ecgbench_report"]
    call = rubric.calls(JudgeInput("x", "q", [], "generated", "gold", {}))[0]
    tag = call.tags[0]
    prompt = (data_dir / "ecgbench/prompts/ptb_report_judge_prompt.txt").read_text()
    wrapper = (data_dir / "ecgbench/prompts/ptb_report_judge_wrapper_template.txt").read_text()
    assert call.messages[1]["content"] == wrapper.format(
        report_eval_prompt=prompt, golden_report="gold", generated_report=f"<{tag}>\ngenerated\n</{tag}>"
    )


def test_released_pictures_of_the_real_gold_reports(data_dir, tmp_path):
    """modality=released_image on the 500 real gold reports: PULSE's own picture of each sample
    (its `image` path under ecgbench/) is sent unchanged; samples whose picture is absent are reported."""
    import base64

    from harness.testing.stub.responders import last_user_text
    from tests.ecgbench.test_hub_subsets import png

    records = json.loads((data_dir / GOLD_FILE).read_text())
    root = tmp_path / "data"
    (root / "ecgbench").mkdir(parents=True)
    (root / GOLD_FILE).symlink_to(data_dir / GOLD_FILE)
    pictures = {r["id"]: png(50 + k) for k, r in enumerate(records[:2])}
    for record in records[:2]:
        path = root / "ecgbench" / record["image"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pictures[record["id"]])
    sent: list[bytes] = []

    def reporter(request: dict) -> str:
        parts = request["messages"][-1]["content"]
        sent.append(base64.b64decode(parts[0]["image_url"]["url"].split(",", 1)[1]))
        assert last_user_text(request) == "Please write a clinical report based on this ECG image."
        return "Sinus rhythm."

    with OpenAIStub(by_model({"reporter": reporter, "default": judge})) as stub:
        proc = run_harness(
            "+task=ecgbench_ptb_report_ecg",
            "modality=released_image",
            "model=local_server",
            "model.model=reporter",
            "judge=local_server",
            cwd=tmp_path,
            env={
                "HARNESS_BASE_URL": stub.base_url,
                "HARNESS_DATA_DIR": str(root),
                "HARNESS_CACHE_DIR": str(tmp_path / "cache"),
            },
        )
    assert proc.returncode == 3, proc.stderr[-3000:]  # partial: 498 of the 500 pictures are absent
    results = json.loads(result_files(tmp_path)[0].read_text())
    assert results["task"]["n_samples"] == 2 and results["task"]["ecg"]["n_absent"] == 498
    assert results["status"]["n_expected"] == 500 and results["status"]["state"] == "partial"
    assert results["task"]["ecg"]["absent_records"][0].startswith("test_images/ptb_test_v4/")
    assert sorted(sent) == sorted(pictures.values())  # byte for byte, one request per picture
    assert results["metrics"]["ecgbench_report"]["n_scored"] + results["metrics"]["ecgbench_report"]["n_unscored"] == 2
