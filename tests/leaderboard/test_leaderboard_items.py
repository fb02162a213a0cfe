"""The item view (every model's answer and scores on one item), the paired comparisons' lists of
differing items, and signal forecasts drawn as SVG, in headless Chromium on a constructed site:
five models x 50 closed-QA items (0/1 accuracy, an XSS answer) and two forecasters x 30 forecasts."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from lb_runs_factory import XSS, MetricPlan, RunPlan, write_run
from markupsafe import Markup
from playwright.sync_api import expect

from harness.leaderboard import build_site, charts, layout
from harness.leaderboard.forecast import forecast_series
from harness.metrics.aggregate import summarize
from harness.metrics.base import Metric
from harness.results.schema import MetricResult, Results

QA = "heartcare_closedqa_items"
FC = "heartcare_signal_prediction"
MODELS = ["m1-strong", "m2-mid", "m3-mid", "m4-weak", "m5-xss"]
N_QA, N_FC, N_CTX, N_PRED = 50, 30, 100, 50
XSS_ITEM = f"{QA}-00007"


class _Mean(Metric):
    def __init__(self, name: str, higher_is_better: bool = True):
        self.name, self.higher_is_better = name, higher_is_better


def correct(model: int, i: int) -> bool:
    """Who is right on which item: a fixed pattern, so the differing items are known exactly."""
    return (i * (model + 3) + model) % (model + 2) != 0 if model < 4 else i % 2 == 0


def _rewrite(run_dir: Path, records: list[dict], metric: str, *, higher_is_better: bool, output_type: str) -> None:
    """Replace a factory run's samples and make results.json agree with them (value = mean, as real runs)."""
    with (run_dir / "samples.jsonl").open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record) + "\n")
    results = Results.model_validate_json((run_dir / "results.json").read_text())
    values = [r["metrics"][metric] for r in records]
    summary = summarize(_Mean(metric, higher_is_better), values, seed=0)
    results.metrics = {metric: MetricResult(**summary)}
    results.task.output_type = output_type
    (run_dir / "results.json").write_text(results.model_dump_json(indent=2), encoding="utf-8")


def _qa_records(k: int, model: str) -> list[dict]:
    out = []
    for i in range(N_QA):
        right = correct(k, i)
        answer = "B" if right else "C"
        if model == "m5-xss" and f"{QA}-{i:05d}" == XSS_ITEM:
            answer = XSS
        out.append(
            {
                "id": f"{QA}-{i:05d}",
                "messages": [{"role": "user", "content": f"Item {i}: which rhythm? A/B/C/D"}],
                "response": f"The answer is {answer}",
                "prediction": answer,
                "reference": "B",
                "metrics": {"accuracy": 1.0 if right else 0.0},
            }
        )
    return out


def _signal(i: int, n: int, start: int = 0) -> list[float]:
    return [round(math.sin((start + t) / 6 + i) * 1.3, 4) for t in range(n)]


def _fc_records(k: int) -> list[dict]:
    out = []
    for i in range(N_FC):
        context, truth = _signal(i, N_CTX), _signal(i, N_PRED, N_CTX)
        prediction = [round(v * (0.6 + 0.3 * k) + 0.1, 4) for v in truth]
        prompt = (
            "Lead(s) II, sampled at 50 Hz, standardised, first 2.0 s:\n"
            f"II: {', '.join(f'{v:.2f}' for v in context)}\n"
            "Write the next 50 values, e.g.\n<PRED>\nII: 0.10, -0.20, 0.05\n</PRED>"
        )
        out.append(
            {
                "id": f"{FC}-{i:05d}",
                "messages": [{"role": "user", "content": prompt}],
                "response": "<PRED>\nII: " + ", ".join(map(str, prediction)) + "\n</PRED>",
                "prediction": [prediction],
                "reference": [truth],
                "meta": {"leads": ["II"], "n_pred": N_PRED, "record": f"records500/{i:05d}_hr"},
                "metrics": {"mse": sum((p - t) ** 2 for p, t in zip(prediction, truth)) / N_PRED},
            }
        )
    return out


def expected_differences(a: str, b: str) -> set[str]:
    ka, kb = MODELS.index(a), MODELS.index(b)
    return {f"{QA}-{i:05d}" for i in range(N_QA) if correct(ka, i) != correct(kb, i)}


@pytest.fixture(scope="module")
def item_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("item-runs")
    for k, model in enumerate(MODELS):
        run = root / model / QA
        write_run(run, RunPlan(model, QA, "Heartcare-Bench", [MetricPlan("accuracy", 0.5, 0.1)], n=N_QA, seed=k))
        _rewrite(run, _qa_records(k, model), "accuracy", higher_is_better=True, output_type="closed_qa")
    for k, model in enumerate(MODELS[:2]):
        run = root / model / FC
        plan = RunPlan(model, FC, "Heartcare-Bench", [MetricPlan("mse", 1, 0.1, higher_is_better=False)], n=N_FC)
        write_run(run, plan)
        _rewrite(run, _fc_records(k), "mse", higher_is_better=False, output_type="signal_forecast")
    out = tmp_path_factory.mktemp("item-site") / "site"
    report = build_site(root, out)
    assert report.ok and not [w for w in report.warnings if "malformed" in w], report.warnings
    return out


def test_forecast_chart_escapes_labels_and_draws_three_lines():
    plot = charts.forecast_plot([0.0, 1.0, 0.5], [0.2, -0.4], [0.1, 9e9])
    svg = charts.forecast_chart(plot, lead="<b>II</b>", title="t <script>")
    assert isinstance(svg, Markup)
    assert "<b>" not in svg and "&lt;b&gt;II&lt;/b&gt;" in svg and "<script>" not in svg
    assert svg.count("<polyline") == 3
    ys = [float(p.split(",")[1]) for p in re.findall(r'points="([^"]+)"', svg)[2].split()]
    top, height = plot["box"][1], plot["box"][3]
    assert all(top <= y <= top + height for y in ys)  # the wild 9e9 is clipped inside the plot


def test_forecast_series_reads_the_context_from_the_prompt():
    record = _fc_records(0)[3]
    (series,) = forecast_series(record)
    assert series.lead == "II"
    assert series.context == [float(f"{v:.2f}") for v in _signal(3, N_CTX)]  # not the prompt's 3-value example
    assert series.truth == record["reference"][0] and series.prediction == record["prediction"][0]
    assert forecast_series({"reference": "B", "prediction": "B"}) == []


def test_the_item_pages_of_five_models_by_50_items_stay_small(item_site):
    folder = item_site / layout.items_dir(QA)
    pages = sorted(folder.glob("p*.html"))
    assert len(pages) == 3  # 20 items a page
    assert sum(p.stat().st_size for p in folder.iterdir()) < 600_000
    assert not (item_site / ".items-work").exists()  # the build's buckets are not published


@pytest.mark.slow
def test_the_item_view_shows_every_models_answer_and_score(item_site, page):
    page.goto((item_site / layout.task_page(QA)).as_uri())
    page.click("a.item-view")
    item = page.locator(f"article.item#{layout.item_anchor(f'{QA}-00012')}")
    expect(item).to_be_visible()
    sections = item.locator("section.answer")
    assert sections.evaluate_all("els => els.map(e => e.dataset.model)") == MODELS
    for k, model in enumerate(MODELS):
        row = item.locator(f'section.answer[data-model="{model}"]')
        right = correct(k, 12)
        expect(row.locator("pre.text").first).to_have_text(f"The answer is {'B' if right else 'C'}")
        expect(row.locator('.score[data-metric="accuracy"] b')).to_have_text("1.000" if right else "0.0000")
        expect(row.locator(".pass" if right else ".fail")).to_have_count(1)
    expect(item.locator(".field.reference pre")).to_have_text("B")


@pytest.mark.slow
def test_a_sample_id_opens_its_item(item_site, page):
    page.goto((item_site / layout.samples_page("m3-mid", QA)).as_uri() + "#p=2")
    link = page.locator("h2.sample-id a.item-link", has_text=f"{QA}-00033")
    link.click()
    target = page.locator(f"#{layout.item_anchor(f'{QA}-00033')}")
    expect(target).to_be_visible()
    assert page.url.endswith(f"{layout.item_page(QA, 2)}#{layout.item_anchor(f'{QA}-00033')}")
    expect(target.locator("section.answer")).to_have_count(len(MODELS))


@pytest.mark.slow
def test_a_paired_comparison_links_to_exactly_the_items_that_differ(item_site, page):
    page.goto((item_site / layout.task_page(QA)).as_uri())
    rows = page.locator("table.pairs tbody tr")
    assert rows.count() == 10  # every pair of the five models
    for a, b in [("m1-strong", "m4-weak"), ("m2-mid", "m5-xss")]:
        page.goto((item_site / layout.task_page(QA)).as_uri())
        row = (
            page.locator("table.pairs tbody tr")
            .filter(has=page.locator(f'td:text-is("{a}")'))
            .filter(has=page.locator(f'td:text-is("{b}")'))
        )
        if row.count() == 0:  # the table lists the better model first
            a, b = b, a
            row = page.locator("table.pairs tbody tr").filter(has=page.locator(f'td:text-is("{a}")'))
            row = row.filter(has=page.locator(f'td:text-is("{b}")'))
        row.locator("a.pair-items").click()
        listed = set(page.locator("a.item-link").all_inner_texts())
        assert listed == expected_differences(a, b) and listed
        first = sorted(listed)[0]
        page.locator("a.item-link", has_text=first).click()
        expect(page.locator(f"#{layout.item_anchor(first)}")).to_be_visible()


def _number_per_line(text: str) -> bool:
    """A series printed one number per line (as JSON of a list would be)."""
    return sum(bool(re.fullmatch(r"\s*[\[\]]*\s*-?[0-9.e+-]+,?\s*[\[\]]*,?", line)) for line in text.splitlines()) >= 5


@pytest.mark.slow
def test_a_forecast_is_plotted_not_listed(item_site, page):
    page.goto((item_site / layout.samples_page("m1-strong", FC)).as_uri())
    card = page.locator("article.sample").first
    expect(card.locator("svg.forecast")).to_have_count(1)
    expect(card.locator("svg.forecast polyline")).to_have_count(3)
    assert card.locator(".field.reference, .field.prediction").count() == 0
    assert not any(_number_per_line(t) for t in card.locator("pre").all_inner_texts())
    expect(card.locator("svg.forecast text", has_text="sample index")).to_have_count(1)
    mse = _fc_records(0)[0]["metrics"]["mse"]
    assert len(repr(mse)) > 8  # a raw float would show many digits
    expect(card.locator("table.kv td")).to_have_text(layout.fmt(mse))  # at table precision
    page.goto((item_site / layout.item_page(FC, 1)).as_uri())
    item = page.locator("article.item").first
    expect(item.locator("svg.forecast")).to_have_count(2)  # one per model
    expect(item.locator("svg.forecast polyline")).to_have_count(6)
    expect(item.locator('section.answer[data-model="m1-strong"] .score b')).to_have_text(layout.fmt(mse))
    expect(item.locator("svg.forecast").first.locator("text", has_text="prediction")).to_have_count(1)
    assert item.locator(".field.reference").count() == 0
    assert not any(_number_per_line(t) for t in item.locator("pre").all_inner_texts())


@pytest.mark.slow
def test_xss_in_answers_stays_inert_in_the_new_views(item_site, page):
    page.goto((item_site / layout.item_page(QA, 1)).as_uri())
    item = page.locator(f"#{layout.item_anchor(XSS_ITEM)}")
    expect(item.locator('section.answer[data-model="m5-xss"] pre.text').first).to_contain_text("<script>")
    assert page.evaluate("window.__xss") is None
    assert item.locator("script, img").count() == 0
    page.goto((item_site / layout.samples_page("m5-xss", QA)).as_uri())
    page.wait_for_selector("article.sample")
    page.locator("a.item-link", has_text=XSS_ITEM).click()
    expect(page.locator(f"#{layout.item_anchor(XSS_ITEM)}")).to_be_visible()
    assert page.evaluate("window.__xss") is None


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_the_new_pages_fit_the_screen(item_site, browser, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pair = next((item_site / layout.items_dir(QA)).glob("diff-*.html"))
    for url in [
        (item_site / layout.item_page(QA, 1)).as_uri(),
        pair.as_uri(),
        (item_site / layout.item_page(FC, 1)).as_uri(),
        (item_site / layout.samples_page("m2-mid", FC)).as_uri(),
        (item_site / layout.task_page(QA)).as_uri(),
    ]:
        page.goto(url)
        page.wait_for_load_state("load")
        if "samples" in url:
            page.wait_for_selector("svg.forecast")
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{url} at {width}px: {scroll} > {inner}"
    assert errors == []
    page.close()
