"""Building the site from generated run directories: validation, duplicates, secrets, atomicity."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lb_runs_factory import ECGQA, FAKE_BEARER, FAKE_KEY, PROBE_IMAGE, PROBE_PNG, XSS, RunPlan, write_run

from harness.leaderboard import build_site, layout
from harness.leaderboard.paired import paired_bootstrap
from harness.leaderboard.references import load_references
from harness.leaderboard.site import BuildError

REPO = Path(__file__).resolve().parents[2]


def site_text(site: Path) -> dict[str, str]:
    """Every text file of the site (the published sample images are checked in their own test)."""
    return {
        p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
        for p in site.rglob("*")
        if p.is_file() and p.parent.name != "attachments"
    }


def test_malformed_file_is_rejected_by_name_and_key_and_the_rest_is_built(built):
    site, report, _ = built
    assert len(report.rejected) == 1
    rejection = report.rejected[0]
    assert rejection.path.as_posix().endswith("submissions/broken-model/results.json")
    assert "task.data.sha256" in rejection.message
    assert not report.ok
    assert report.n_runs == 13 and report.n_models == 3 and report.n_superseded == 1
    index = (site / "index.html").read_text()
    assert "task.data.sha256" in index  # the reader sees what was left out and why
    assert 'data-model="broken-model"' not in index


def test_newest_duplicate_wins_and_older_is_listed(built):
    site, _, results = built
    newest, old = results["alpha-7b/ecgqa_ck"], results["old"]
    assert newest.metrics["bleu_1"].value != old.metrics["bleu_1"].value
    data = json.loads((site / "data" / "leaderboard.json").read_text())
    row = next(r for r in data["results"] if r["model"] == "alpha-7b" and r["task"] == "ecgqa_ck")
    assert row["metrics"]["bleu_1"]["value"] == newest.metrics["bleu_1"].value
    assert row["run_id"] == newest.run_id
    assert [s["run_id"] for s in data["superseded"]] == ["oldrun000001"]
    model_page = (site / layout.model_page("alpha-7b")).read_text()
    assert "oldrun000001" in model_page and "2026-10-01T09:30:00+00:00" in model_page


def test_no_secret_reaches_any_output_file(built):
    site, report, _ = built
    texts = site_text(site)
    for name, text in texts.items():
        assert FAKE_KEY not in text, name
        assert FAKE_BEARER not in text, name
        assert not re.search(r"sk-[A-Za-z0-9]{16,}", text), name
    warned = " ".join(report.warnings)
    assert "alpha-7b/ecgqa_ck/results.json" in warned and "config.model_options.api_key" in warned
    assert "config.model_options.authorization" in warned
    assert "alpha-7b/ecgqa_ck/samples.jsonl: redacted" in warned
    # env-var names are not secrets and survive; counts like max_tokens are not mistaken for tokens
    model_page = texts[layout.model_page("alpha-7b")]
    assert "OPENAI_API_KEY" in model_page and "max_tokens" in model_page


def test_xss_payload_only_appears_escaped(built):
    site, _, _ = built
    texts = site_text(site)
    raw_hits = [n for n, t in texts.items() if "<script>window.__xss" in t or "<img src=x" in t]
    assert raw_hits == []
    chunk = texts[f"{layout.samples_dir('alpha-7b', 'ecgqa_ck')}/p0001.js"]
    assert "\\u003cscript\\u003ewindow.__xss=1\\u003c/script\\u003e" in chunk
    payload = json.loads(re.match(r"LB\.receiveChunk\(1,(.*)\);\s*$", chunk, re.S).group(1))
    assert payload[3]["response"] == XSS


def test_sample_images_are_published_once_and_only_when_genuine(built):
    """The probe run's samples 0 and 1 share a real image: one copy on the site. A missing file (named
    by two samples), a file whose bytes are not its name, and a symlink out of the run are refused and reported."""
    site, report, _ = built
    assert [p.name for p in (site / "attachments").iterdir()] == [PROBE_IMAGE]
    assert (site / "attachments" / PROBE_IMAGE).read_bytes() == PROBE_PNG
    chunk = (site / layout.samples_dir("gamma", "custom_probe") / "p0001.js").read_text()
    records = json.loads(re.match(r"LB\.receiveChunk\(1,(.*)\);\s*$", chunk, re.S).group(1))
    paths = [r["messages"][1]["content"][0]["image_url"].get("site_path") for r in records[:6]]
    assert paths == [f"attachments/{PROBE_IMAGE}"] * 2 + [None] * 4
    refused = [
        w for w in report.warnings if "gamma/custom_probe/attachments/" in w
    ]  # each file once, however often referred to
    assert len(refused) == 3 and sum("do not match its name" in w for w in refused) == 1
    assert sum("not a regular file" in w for w in refused) == 2  # the missing one and the symlink


def test_pages_are_self_contained_with_relative_links(built):
    site, _, _ = built
    citations = {p.url for p in load_references().papers.values() if p.url}  # links to papers, not resources
    for name, text in site_text(site).items():
        if not name.endswith(".html"):
            continue
        assert not re.search(r'src="(?:[a-z]+:)?//', text), name  # nothing is loaded from elsewhere
        for link in re.findall(r'(?:href|src)="([^"]*)"', text):
            if link in citations:
                continue
            assert not re.match(r"^(?:[a-z]+:)?//|^/", link), (name, link)
            target = (site / name).parent / link.split("#")[0]
            assert target.resolve().exists(), (name, link)
        assert "<script src=" not in text or re.search(r'<script src="(\.\./)*assets/', text)


def test_tie_marks_agree_with_an_independent_paired_bootstrap(built, runs_dir):
    site, _, results = built
    root, _ = runs_dir

    def per_sample(model: str, metric: str) -> dict[str, float]:
        out = {}
        for line in (root / model / "gem_grounding" / "samples.jsonl").read_text().splitlines():
            rec = json.loads(line)
            if isinstance(rec["metrics"][metric], float):
                out[rec["id"]] = rec["metrics"][metric]
        return out

    page = (site / layout.task_page("gem_grounding")).read_text()
    for metric in ("DiagnosisAccuracy", "LeadAssessmentCoverage"):
        values = {m: results[f"{m}/gem_grounding"].metrics[metric].value for m in ("alpha-7b", "beta-chat", "gamma")}
        best = max(values, key=values.get)
        for other in values:
            if other == best:
                continue
            result = paired_bootstrap(per_sample(best, metric), per_sample(other, metric))
            cell = re.search(
                rf'<td class="cell( tie)?" data-sort="[^"]*" data-model="{other}" data-task="gem_grounding" data-metric="{metric}">',
                page,
            )
            assert cell, (other, metric)
            assert bool(cell.group(1)) == (not result.significant), (other, metric, result)


def test_strict_build_fails_and_leaves_the_old_site(runs_dir, tmp_path):
    root, _ = runs_dir
    out = tmp_path / "site"
    out.mkdir()
    (out / ".leaderboard-site").write_text("x")
    (out / "index.html").write_text("previous site")
    report = build_site(root, out, strict=True)
    assert not report.ok
    assert (out / "index.html").read_text() == "previous site"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_failed_build_never_half_writes(runs_dir, tmp_path, monkeypatch):
    root, _ = runs_dir
    out = tmp_path / "site"
    build_site(root, out)
    before = site_text(out)
    from harness.leaderboard import charts as charts_module

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(charts_module, "histogram", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        build_site(root, out)
    assert site_text(out).keys() == before.keys()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporary directory left behind


def test_refuses_to_replace_a_directory_that_is_not_a_site(runs_dir, tmp_path):
    root, _ = runs_dir
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("keep me")
    with pytest.raises(BuildError, match="not a leaderboard site"):
        build_site(root, precious)
    assert (precious / "thesis.tex").read_text() == "keep me"


def test_sample_pages_stream_in_chunks(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs / "m" / "ecgqa_ck", RunPlan("m", "ecgqa_ck", "ECG-Expert-QA", ECGQA, n=1234, seed=1))
    with (runs / "m" / "ecgqa_ck" / "samples.jsonl").open("a") as fh:
        fh.write("{not json\n")
    report = build_site(runs, tmp_path / "site", page_size=100)
    chunks = sorted((tmp_path / "site" / layout.samples_dir("m", "ecgqa_ck")).glob("p*.js"))
    assert len(chunks) == 13 and report.n_sample_pages == 13
    assert all(c.stat().st_size < 200_000 for c in chunks)
    assert any("line 1235" in w for w in report.warnings)


def test_group_summary_is_shown_but_not_ranked(tmp_path):
    runs = tmp_path / "runs"
    for model, seed in (("a", 1), ("b", 2)):
        write_run(runs / model, RunPlan(model, "ecg_expert_qa", "ECG-Expert-QA", ECGQA, n=20, seed=seed))
        for task in ("ecgqa_ck", "ecgqa_ebk"):
            write_run(runs / model / task, RunPlan(model, task, "ECG-Expert-QA", ECGQA, n=20, seed=seed + 10))
    build_site(runs, tmp_path / "site")
    data = json.loads((tmp_path / "site" / "data" / "leaderboard.json").read_text())
    assert {r["task"] for r in data["results"]} == {"ecg_expert_qa", "ecgqa_ck", "ecgqa_ebk"}
    for ranked in data["ranking"]:
        assert set(ranked["task_scores"]) == {"ecgqa_ck", "ecgqa_ebk"}
    assert "group summary" in (tmp_path / "site" / "index.html").read_text()


def test_cli_build_and_strict_exit_codes(runs_dir, tmp_path):
    root, _ = runs_dir
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "harness.leaderboard", "build", str(root), "--out", str(tmp_path / "site")]
    ok = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "broken-model/results.json" in ok.stderr and "task.data.sha256" in ok.stderr
    assert "warning:" in ok.stderr and "1 rejected" in ok.stdout
    assert (tmp_path / "site" / "index.html").is_file()
    strict = subprocess.run(
        cmd[:-2] + ["--out", str(tmp_path / "strict"), "--strict"], capture_output=True, text=True, env=env, timeout=120
    )
    assert strict.returncode == 1
    assert "task.data.sha256" in strict.stderr
    assert not (tmp_path / "strict").exists()
    missing = subprocess.run(
        cmd[:-3] + [str(tmp_path / "nope"), "--out", str(tmp_path / "x")], capture_output=True, text=True, env=env
    )
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_shards_are_not_shown_and_subsets_are_labelled(tmp_path):
    runs = tmp_path / "runs"
    write_run(
        runs / "full",
        RunPlan("m", "ecgqa_ck", "ECG-Expert-QA", ECGQA, n=30, seed=1, finished_at="2026-11-01T00:00:00Z"),
    )
    # a later shard of another run must not replace the full result
    write_run(
        runs / "shard0",
        RunPlan(
            "m",
            "ecgqa_ck",
            "ECG-Expert-QA",
            ECGQA,
            n=15,
            seed=2,
            task_extra={"shard": [0, 2]},
            finished_at="2026-11-02T00:00:00Z",
        ),
    )
    write_run(
        runs / "limited",
        RunPlan("m", "ecgqa_ebk", "ECG-Expert-QA", ECGQA, n=20, seed=3, task_extra={"limit": 20}, n_records=2247),
    )
    # the results writer's own redaction marker is not a leak and gives no warning
    write_run(
        runs / "redacted",
        RunPlan(
            "m", "ecgqa_pp", "ECG-Expert-QA", ECGQA, n=10, seed=4, config_extra={"options": {"api_key": "<redacted>"}}
        ),
    )
    report = build_site(runs, tmp_path / "site")
    assert report.n_runs == 3
    assert any("shard [0, 2]" in w and "shard0/results.json" in w for w in report.warnings)
    assert not any("redacted/results.json" in w for w in report.warnings)
    data = json.loads((tmp_path / "site" / "data" / "leaderboard.json").read_text())
    ck = next(r for r in data["results"] if r["task"] == "ecgqa_ck")
    assert ck["source"] == "full/results.json"
    index = (tmp_path / "site" / "index.html").read_text()
    assert index.count("subset: 20 of 2247 records") == 3  # one per metric of the limited run


def test_metric_with_no_scored_sample_is_shown_as_missing_not_zero(tmp_path):
    from lb_runs_factory import MetricPlan

    runs = tmp_path / "runs"
    plans = [MetricPlan("bleu_1", 0.2, 0.1), MetricPlan("mms", 0.7, 0.1, kind="judge", unscored_every=1)]
    for model, seed in (("a", 1), ("b", 2)):
        write_run(runs / model, RunPlan(model, "ecgqa_ck", "ECG-Expert-QA", plans, n=12, seed=seed))
    build_site(runs, tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text()
    cell = re.search(
        r'<td class="cell badged" data-sort="" data-model="a" data-task="ecgqa_ck" data-metric="mms">(.*?)</td>',
        index,
        re.S,
    )
    assert cell, "an all-unscored metric must render with an empty sort key"
    assert "n=0" in cell.group(1) and "12 unscored" in cell.group(1) and "0.0000" not in cell.group(1)
    data = json.loads((tmp_path / "site" / "data" / "leaderboard.json").read_text())
    for ranked in data["ranking"]:  # mms has no values: only bleu_1 ranks
        assert set(ranked["task_scores"]) == {"ecgqa_ck"}


def _reference_section(page: str) -> str:
    """The "Numbers reported in papers" section of a task page."""
    m = re.search(r'<section class="references">(.*?)</section>', page, re.S)
    assert m, "the task page has no reference section"
    return m.group(1)


def test_gem_ecgbench_numbers_are_shown_on_their_task_pages(tmp_path):
    """GEM Table 3 (ECG-Bench detection) and Table 4 (report generation) on the right task pages,
    with the scale marker where the paper prints percentages and our metric is a fraction."""
    from lb_runs_factory import MetricPlan

    runs = tmp_path / "runs"
    detection = [
        MetricPlan("f1_macro", 0.5, 0.1),
        MetricPlan("auc_macro", 0.6, 0.1),
        MetricPlan("hamming_loss", 0.2, 0.05, higher_is_better=False),
    ]
    report = [MetricPlan("rouge_l", 0.2, 0.05), MetricPlan("ecgbench_report", 40.0, 10.0, kind="judge", hi=100.0)]
    write_run(runs / "m" / "ptb_test", RunPlan("m", "ecgbench_ptb_test", "ECG-Bench", detection, n=20, seed=1))
    write_run(runs / "m" / "ptb_report", RunPlan("m", "ecgbench_ptb_report", "ECG-Bench", report, n=20, seed=2))
    build_site(runs, tmp_path / "site")

    detect = _reference_section((tmp_path / "site" / layout.task_page("ecgbench_ptb_test")).read_text(encoding="utf-8"))
    assert "Table 3 (ECG-Bench abnormality detection), PTB-XL Super columns" in detect
    row = re.search(r"<tr><th scope=\"row\">GEM \(SFT PULSE-7B\).*?</tr>", detect, re.S).group(0)
    assert re.findall(r'<td class="reported">([^<]*)</td>', row) == ["83.4", "75.8", "11.0"]
    assert "ours: auc_macro" in detect and "× 100" in detect and "multiply our value by N" in detect
    assert "92.6" not in detect and "67.1" not in detect  # CSN and report numbers belong elsewhere

    rep = _reference_section((tmp_path / "site" / layout.task_page("ecgbench_ptb_report")).read_text(encoding="utf-8"))
    assert "Table 4 (ECG-Bench report generation), PTB-XL Report column" in rep
    row = re.search(r"<tr><th scope=\"row\">GEM \(SFT PULSE-7B\).*?</tr>", rep, re.S).group(0)
    assert re.findall(r'<td class="reported">([^<]*)</td>', row) == ["67.1"]
    assert "ours: ecgbench_report" in rep and "× " not in rep  # same 0-100 scale as the paper
    assert "Comparable in name only" in rep and "83.4" not in rep


def _reference_figures(section: str) -> list[str]:
    return re.findall(r'<figure class="reference">(.*?)</figure>', section, re.S)


def _reported_cells(figure: str, model: str) -> list[str]:
    row = re.search(rf'<tr><th scope="row">{re.escape(model)} <span class="tag">.*?</tr>', figure, re.S).group(0)
    return re.findall(r'<td class="reported">([^<]*)</td>', row)


def test_heartcare_numbers_are_shown_on_their_task_pages(tmp_path):
    """Heartcare appendix Tables 11-18 on the right task pages: a Closed-QA page run in the image
    modality and an Open-QA page run on signal text each show their own ^S and ^I tables (the
    modality is per page, the tables per task), a report page its judge score unscaled."""
    from lb_runs_factory import MetricPlan

    runs = tmp_path / "runs"
    write_run(
        runs / "m" / "closed",
        RunPlan(
            "m",
            "heartcare_closedqa_diagnosis",
            "Heartcare-Bench",
            [MetricPlan("accuracy", 0.6, 0.3)],
            n=20,
            seed=1,
            task_extra={"modality": "image"},
        ),
    )
    write_run(
        runs / "m" / "open",
        RunPlan(
            "m",
            "heartcare_openqa_rhythm",
            "Heartcare-Bench",
            [MetricPlan("rouge_l", 0.3, 0.1), MetricPlan("semantic_f1", 0.7, 0.1)],
            n=20,
            seed=2,
            task_extra={"modality": "signal_text"},
        ),
    )
    report = [
        MetricPlan("rouge_l", 0.2, 0.05),
        MetricPlan("ecg_entity_f1", 0.3, 0.1),
        MetricPlan("heartcare_report", 60.0, 10.0, kind="judge", hi=100.0),
    ]
    write_run(
        runs / "m" / "report",
        RunPlan(
            "m", "heartcare_report_built", "Heartcare-Bench", report, n=20, seed=3, task_extra={"modality": "image"}
        ),
    )
    build_site(runs, tmp_path / "site")

    def section(key: str) -> str:
        return _reference_section((tmp_path / "site" / layout.task_page(key)).read_text(encoding="utf-8"))

    closed = section("heartcare_closedqa_diagnosis [image]")
    signal, image = _reference_figures(closed)
    assert "Heartcare-Bench^S (signal), Diagnosis column" in signal and "modality signal_text" in signal
    assert "Heartcare-Bench^I (image), Diagnosis column" in image and "modality image" in image
    assert _reported_cells(signal, "HeartcareGPT-3.8B") == ["81.95"]
    assert _reported_cells(image, "HeartcareGPT-3.8B") == ["87.85"]
    assert _reported_cells(image, "HeartcareGPT-3.8B ablation (no Beat training, no warm-up)") == ["43.17"]
    assert _reported_cells(image, "HeartcareGPT-3.8B ablation (signal + image, no segmentation)") == ["84.98"]
    assert "ours: accuracy" in closed and "× 100" in closed
    assert "95.94" not in closed and "78.63" not in closed  # Waveform and Open-QA numbers belong elsewhere

    opened = section("heartcare_openqa_rhythm [signal_text]")
    signal, image = _reference_figures(opened)
    assert "Tables 12 and 16" in signal and "Heartcare-Bench^S (signal), Rhythm columns" in signal
    assert _reported_cells(signal, "HeartcareGPT-3.8B") == ["78.63", "36.42"]
    assert _reported_cells(image, "HeartcareGPT-3.8B") == ["75.36", "34.69"]
    assert "ours: semantic_f1" in opened and "ours: rouge_l" in opened and "comparable in name only" in opened
    assert "81.95" not in opened and "68.53" not in opened  # Closed-QA and Open-QA Diagnosis

    rep = section("heartcare_report_built [image]")
    signal, image = _reference_figures(rep)
    assert _reported_cells(image, "HeartcareGPT-3.8B") == ["78.50", "23.10", "38.68"]
    header = re.search(r"<thead>.*?</thead>", image, re.S).group(0)
    score, f1_rad, rouge = re.findall(r'<th scope="col">(.*?)</th>', header, re.S)[1:]
    assert "ours: heartcare_report" in score and "×" not in score  # 0-100 like the paper's score
    assert "ours: ecg_entity_f1" in f1_rad and "× 100" in f1_rad and "× 100" in rouge
