"""Constructed run sets for the leaderboard's trust rules: coverage in the ranking, validity badges
(no ★ on a badged cell, badged cells out of the ranking), and two identities under one name."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lb_runs_factory import ECGQA, MetricPlan, RunPlan, write_run

from harness.leaderboard import layout
from harness.leaderboard.site import build_site


def _shifted(delta: float) -> list[MetricPlan]:
    return [MetricPlan(p.name, p.mean + delta, p.spread) for p in ECGQA]


def _flag(run_dir: Path, **flag) -> None:
    doc = json.loads((run_dir / "results.json").read_text())
    doc.setdefault("validity", {"flags": []})["flags"].append(flag)
    (run_dir / "results.json").write_text(json.dumps(doc))


def _cell(index: str, model: str, task: str, metric: str) -> str:
    match = re.search(
        rf'<td class="cell[^"]*" data-sort="[^"]*" data-model="{model}" data-task="{task}" data-metric="{metric}">(.*?)</td>',
        index,
        re.S,
    )
    assert match, (model, task, metric)
    return match.group(0)


def test_a_one_task_model_cannot_outrank_a_broad_one(tmp_path):
    runs = tmp_path / "runs"
    tasks = ["ecgqa_ck", "ecgqa_ebk", "ecgqa_pp", "ecgqa_cd"]
    for t, task in enumerate(tasks):
        for m, (model, delta) in enumerate((("broad", 0.1), ("middle", 0.0))):
            write_run(
                runs / model / task, RunPlan(model, task, "ECG-Expert-QA", _shifted(delta), n=60, seed=10 * t + m)
            )
    write_run(
        runs / "narrow" / "ecgqa_ck", RunPlan("narrow", "ecgqa_ck", "ECG-Expert-QA", _shifted(0.5), n=60, seed=99)
    )
    build_site(runs, tmp_path / "site")
    data = json.loads((tmp_path / "site" / "data" / "leaderboard.json").read_text())
    order = [(r["model"], r["ranked"], r["n_tasks"]) for r in data["ranking"]]
    assert order == [("broad", True, 4), ("middle", True, 4), ("narrow", False, 1)]
    narrow = next(r for r in data["ranking"] if r["model"] == "narrow")
    assert narrow["score"] == 1.0  # best on its one task, and still not ranked above the broad model
    index = (tmp_path / "site" / "index.html").read_text()
    assert "too few to rank" in index and "fewer than half as many tasks" in index


def test_badged_cells_get_no_star_and_leave_the_ranking(tmp_path):
    runs = tmp_path / "runs"
    plans = {"good": 0.0, "textonly": 0.3, "partial": 0.2, "tiny": 0.4}
    for model, delta in plans.items():
        n = 10 if model == "tiny" else 60
        write_run(runs / model, RunPlan(model, "ecgqa_ck", "ECG-Expert-QA", _shifted(delta), n=n, seed=len(model)))
    _flag(runs / "textonly", code="text_only", message="an ECG task run without the ECG (allow_text_only=true)")
    _flag(runs / "partial", code="partial", message="12 of 72 selected samples failed or were skipped")
    build_site(runs, tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text()
    for model, label in (("textonly", "text-only (no ECG)"), ("partial", "partial run"), ("tiny", "small n (10)")):
        cell = _cell(index, model, "ecgqa_ck", "bleu_1")
        assert "badged" in cell and label in cell and "★" not in cell and "≈" not in cell
    good = _cell(index, "good", "ecgqa_ck", "bleu_1")
    assert "★" in good and "badged" not in good  # the only valid number is the best valid one
    data = json.loads((tmp_path / "site" / "data" / "leaderboard.json").read_text())
    badges = {r["model"]: {b["code"] for b in r["badges"].get("bleu_1", [])} for r in data["results"]}
    assert badges == {"good": set(), "textonly": {"text_only"}, "partial": {"partial"}, "tiny": {"small_n"}}
    assert data["ranking"] == []  # one valid model ranks nobody
    assert all(len(r["identity_sha256"]) == 64 and len(r["prompt_sha256"]) == 64 for r in data["results"])


def test_a_weak_judge_badges_only_its_rubric(tmp_path):
    runs = tmp_path / "runs"
    plans = [*ECGQA, MetricPlan("mms", 0.6, 0.1, kind="judge")]
    write_run(runs / "m", RunPlan("m", "ecgqa_ck", "ECG-Expert-QA", plans, n=60, seed=1))
    _flag(
        runs / "m",
        code="weak_judge",
        message="mms: judge 'j' ...",
        rubric="mms",
        judge="j",
        share_gold_not_above=0.4,
        gap=0.05,
        n=20,
    )
    doc = json.loads((runs / "m" / "results.json").read_text())
    check = {
        "n_items": 20,
        "n_calls": 60,
        "discrimination": {
            "n": 20,
            "gold_mean": 0.65,
            "mismatched_mean": 0.6,
            "gap": 0.05,
            "share_gold_above": 0.6,
            "share_gold_not_above": 0.4,
            "weak": True,
        },
        "verbosity": {"n": 20, "mean_change": 0.125},
        "items": [],
    }
    doc["judges"] = {"mms": {"judges": {"j": {}}, "check": {"j": check}}}
    (runs / "m" / "results.json").write_text(json.dumps(doc))
    build_site(runs, tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text()
    assert "weak judge: gold not above on 40% of 20" in _cell(index, "m", "ecgqa_ck", "mms")
    assert "weak judge" not in _cell(index, "m", "ecgqa_ck", "bleu_1")
    # the check's figures beside the numbers: the task page's table, the model page, leaderboard.json
    task_page = (tmp_path / "site" / layout.task_page("ecgqa_ck")).read_text()
    row = re.search(r'<tr class="weak"><th scope="row">m</th>(.*?)</tr>', task_page, re.S)
    assert row, "the judge check row"
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
    assert cells == ["mms", "j", "20 of 20", "0.6500", "0.6000", "0.0500", "60%", "0.1250", "–", "–", "weak judge"]
    model_page = (tmp_path / "site" / layout.model_page("m")).read_text()
    assert (
        "mms · j: gold 0.65 vs mismatched 0.6 (gap 0.05); gold higher on 60% of 20 items; filler +0.125" in model_page
    )
    data = json.loads((tmp_path / "site" / "data" / "leaderboard.json").read_text())
    (result,) = data["results"]
    assert result["judge_checks"] == [
        {
            "rubric": "mms",
            "judge": "j",
            "n_items": 20,
            "n_compared": 20,
            "gold_mean": 0.65,
            "mismatched_mean": 0.6,
            "gap": 0.05,
            "share_gold_above": 0.6,
            "filler_change": 0.125,
            "order_flips": None,
            "repeat_change": None,
            "weak": True,
            "summary": "gold 0.65 vs mismatched 0.6 (gap 0.05); gold higher on 60% of 20 items; filler +0.125",
        }
    ]


def test_two_identities_under_one_name_are_flagged(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs / "new", RunPlan("shared", "ecgqa_ck", "ECG-Expert-QA", ECGQA, n=60, seed=1))
    write_run(
        runs / "old",
        RunPlan("shared", "ecgqa_ck", "ECG-Expert-QA", ECGQA, n=60, seed=2, finished_at="2026-10-01T00:00:00+00:00"),
    )
    doc = json.loads((runs / "old" / "results.json").read_text())
    doc["model"]["identity_sha256"] = "f" * 64  # another model (or other settings) under the same name
    (runs / "old" / "results.json").write_text(json.dumps(doc))
    report = build_site(runs, tmp_path / "site")
    assert any("different model identity" in w for w in report.warnings)
    pages = [p for p in (tmp_path / "site").rglob("*.html") if "Identity changed under this name" in p.read_text()]
    assert len(pages) == 1 and "ffffffffffff" in pages[0].read_text()


def test_status_and_samples_badge_runs_whose_flags_are_missing(tmp_path):
    """A hand-made or older results.json without flags: the badge comes from ``status`` (all 132 records
    absent, nothing scored) and from samples.jsonl (one prompt sent for every sample)."""
    runs = tmp_path / "runs"
    write_run(runs / "good", RunPlan("good", "ecgqa_ck", "ECG-Expert-QA", ECGQA, n=60, seed=1))
    write_run(runs / "same", RunPlan("same", "ecgqa_ck", "ECG-Expert-QA", _shifted(0.3), n=60, seed=2))
    lines = [json.loads(x) for x in (runs / "same" / "samples.jsonl").read_text().splitlines()]
    for line in lines:  # a text-only run of an image task: every sample rendered to the same request
        line["messages"] = [{"role": "user", "content": "Describe the ECG."}]
    (runs / "same" / "samples.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    write_run(runs / "absent", RunPlan("absent", "ecgqa_ck", "ECG-Expert-QA", ECGQA, n=60, seed=3))
    doc = json.loads((runs / "absent" / "results.json").read_text())
    doc["status"] = {
        "state": "empty",
        "exit_code": 4,
        "n_expected": 132,
        "n_absent": 132,
        "message": "nothing was scored: all 132 selected records are absent",
    }
    (runs / "absent" / "results.json").write_text(json.dumps(doc))
    build_site(runs, tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text()
    same = _cell(index, "same", "ecgqa_ck", "bleu_1")
    assert "duplicate prompts (98%)" in same and "★" not in same  # 59 of 60 repeat the first
    absent = _cell(index, "absent", "ecgqa_ck", "rouge_l")
    assert (
        "nothing scored" in absent
        and "records absent (132 of 132)" in absent
        and "partial run: 132 of 132 lost" in absent
    )
    assert "★" in _cell(index, "good", "ecgqa_ck", "bleu_1")
    samples = (tmp_path / "site" / layout.samples_page("absent", "ecgqa_ck")).read_text()
    assert "records absent (132 of 132)" in samples and "all 132 selected records are absent" in samples
    data = json.loads((tmp_path / "site" / "data" / "leaderboard.json").read_text())
    codes = {r["model"]: {b["code"] for b in r["badges"].get("meteor", [])} for r in data["results"]}
    assert codes == {
        "good": set(),
        "same": {"duplicate_prompts"},
        "absent": {"nothing_scored", "partial", "absent_records"},
    }


def test_ranking_shows_intervals_ties_and_dot_plots_with_paper_numbers(tmp_path):
    runs = tmp_path / "runs"
    tasks = ["ecgqa_ck", "ecgqa_ebk", "ecgqa_pp", "ecgqa_cd"]
    for t, task in enumerate(tasks):
        # twin_a and twin_b: the same plan, different sample noise; strong: far ahead on every task
        for m, (model, delta) in enumerate((("strong", 0.3), ("twin_a", 0.0), ("twin_b", 0.0))):
            write_run(
                runs / model / task, RunPlan(model, task, "ECG-Expert-QA", _shifted(delta), n=60, seed=10 * t + m)
            )
    build_site(runs, tmp_path / "site")
    data = json.loads((tmp_path / "site" / "data" / "leaderboard.json").read_text())
    ranks = {r["model"]: (r["rank"], r["tied"], r["rank_low"], r["rank_high"]) for r in data["ranking"]}
    assert ranks["strong"] == (1, False, 1, 1)
    assert ranks["twin_a"][:2] == ranks["twin_b"][:2] == (2, True)
    assert all(r["ci_low"] <= r["score"] <= r["ci_high"] for r in data["ranking"])
    index = (tmp_path / "site" / "index.html").read_text()
    assert index.count("(tied)") == 2 and index.count('class="dot"') == 3  # one dot per ranked model
    page = (tmp_path / "site" / layout.task_page("ecgqa_ck")).read_text()
    plot = page[page.index('id="dots-bleu_1"') :]
    plot = plot[: plot.index("</figure>")]
    assert plot.count('class="dot"') == 3 and plot.count('class="dot-reported"') >= 1
    assert '<a href="https://github.com/Zaozzz/ECG-Expert-QA"' in plot  # the paper's release linked beside its numbers
