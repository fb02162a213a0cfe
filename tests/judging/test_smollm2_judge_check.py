"""The judge validity check with a real judge: the embedded SmolLM2 on 50 real ECG-Expert-QA samples.

SmolLM2-135M writes no JSON verdict on its own (every verdict unscored, and the report says so:
no probe pair scored). Asked for structured output (``response_format`` with the rubric's
criteria as a JSON schema, which llama.cpp enforces with a grammar), every verdict is valid, and
the check shows what kind of judge it is. What is tested are the mechanisms, not the model's
taste: a checked run writes the report in the documented shape, its figures agree with its
per-sample rows, the weak-judge flag and the console warning appear exactly when discrimination
is weak, the console and the site's task page print the discrimination figure, the check's calls count in the judge's
usage (the mismatched probe repeats a request of the run and comes from the cache) and a re-run
repeats none of them. 50 samples, so ``judge_check=auto`` checks 20 of them unasked: 91 SmolLM2
calls (19 of the 20 mismatched probes come from the run's cache), about 12 minutes on 2 cores.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from judge_env import DATA_FILE, answers_by_question, questions

from harness.leaderboard import layout
from harness.leaderboard.layout import fmt
from harness.leaderboard.site import build_site
from harness.registry import build_registry

N = 50
CHECKED = 20  # judge_check=auto: the first 20 samples


def mms_with_structured_output() -> str:
    """The task's ``judges:`` entry: mms, one verdict per call, the criteria as a JSON schema."""
    mms = build_registry(entry_points=False).judges["mms"]
    criteria = {c.name: {"type": "integer", "minimum": int(c.min), "maximum": int(c.max)} for c in mms.criteria}
    schema = {"type": "object", "properties": criteria, "required": mms.fields}
    params = {"temperature": 0.0, "response_format": {"type": "json_object", "schema": schema}}
    return json.dumps([{"name": "mms", "args": {"max_repairs": 0, "params": params}}])


@pytest.mark.slow
def test_smollm2_judge_check_on_50_ecg_expert_qa_samples(judged, data_dir, capfd):
    qs = questions(data_dir, N)
    records = json.loads((data_dir / DATA_FILE).read_text(encoding="utf-8"))[:N]
    answers = [records[(k + 1) % N]["A"] for k in range(N)]  # each answer is the next question's reference
    run = judged(answers_by_question(qs, answers), {})
    shipped = yaml.safe_load((Path(__file__).resolve().parents[2] / "configs" / "model" / "smollm2.yaml").read_text())
    shipped["params"] = {**shipped.get("params", {}), "max_tokens": 48}
    shipped.pop("name", None)
    (run.config_dir / "smollm2_judge.yaml").write_text(yaml.safe_dump(shipped))

    judges = mms_with_structured_output()
    results = run.run("smol", judge="smollm2_judge", limit=N, concurrency=1, judges=judges)  # judge_check: auto
    block = results["judges"]["mms"]
    report = block["check"]["smollm2_judge"]
    assert report["n_items"] == CHECKED and report["n_calls"] == 3 * CHECKED  # temperature 0: no stability probe
    assert "stability" not in report and "position_bias" not in report
    rows = report["items"]
    assert [r["id"] for r in rows] == [s["id"] for s in run.samples("smol")[:CHECKED]]
    assert all(0 <= r[p] <= 1 for r in rows for p in ("gold", "mismatched", "padded"))  # structured: all scored
    disc = report["discrimination"]
    assert disc["n"] == CHECKED and disc["gap"] == pytest.approx(disc["gold_mean"] - disc["mismatched_mean"])
    assert disc["share_gold_above"] == sum(r["gold"] > r["mismatched"] for r in rows) / CHECKED
    assert disc["weak"] == (1 - disc["share_gold_above"] > 0.2)
    weak = [f for f in results["validity"]["flags"] if f["code"] == "weak_judge"]
    assert len(weak) == int(disc["weak"])
    # the check's 60 verdicts: a mismatched one is the run's own request (from the cache), except the last
    # checked sample's, whose mismatched answer wraps round to the first sample's reference
    usage = block["judges"]["smollm2_judge"]["usage"]
    assert (usage["requests"], usage["cache_hits"]) == (N + 2 * CHECKED + 1, CHECKED - 1)
    captured = capfd.readouterr()
    out, err = (" ".join(text.split()) for text in (captured.out, captured.err))  # the console wraps long lines
    assert f"judge check mms · smollm2_judge: gold {disc['gold_mean']:.3g} vs mismatched" in out
    assert ("judge 'smollm2_judge' scored the reference no higher" in err) == disc["weak"]

    # the site shows the same figure beside the judged number: the task page's judge check table
    build_site(run.tmp, run.tmp / "site")  # the one run so far
    page = (run.tmp / "site" / layout.task_page("judged_ck")).read_text(encoding="utf-8")
    table = page.split('id="judge-check"', 1)[1].split("</table>", 1)[0]
    shown = [fmt(disc["gold_mean"]), fmt(disc["mismatched_mean"]), fmt(disc["gap"])]
    assert all(f"<td>{v}</td>" in table for v in shown), (shown, table)
    assert f"{100 * disc['share_gold_above']:.0f}%" in table and f"{CHECKED} of {CHECKED}" in table
    assert ("weak judge" in table) == disc["weak"]

    again = run.run("smol-again", judge="smollm2_judge", limit=N, concurrency=1, judges=judges)
    assert again["judges"]["mms"]["check"] == block["check"]
    assert again["judges"]["mms"]["judges"]["smollm2_judge"]["usage"]["requests"] == 0
