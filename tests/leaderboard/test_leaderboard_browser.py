"""The built site in headless Chromium from file://: numbers, sorting, samples, inert XSS."""

from __future__ import annotations

import re

import pytest
from lb_runs_factory import PROBE_IMAGE, XSS
from playwright.sync_api import expect

from harness.leaderboard import layout

pytestmark = pytest.mark.slow  # drives a real browser (~10 s in total)


def url(site, rel: str) -> str:
    return (site / rel).as_uri()


def test_index_tables_show_the_results_numbers(built, page):
    site, report, results = built
    page.goto(url(site, "index.html"))
    shown = 0
    for key, res in results.items():
        if key in ("old",) or res.model.name == "broken-model":
            continue
        for metric, m in res.metrics.items():
            cell = page.locator(
                f'td[data-model="{res.model.name}"][data-task="{res.task.name}"][data-metric="{metric}"]'
            )
            assert cell.count() == 1, (key, metric)
            assert float(cell.get_attribute("data-sort")) == m.value
            assert cell.locator(".v").inner_text() == layout.fmt(m.value)
            assert cell.locator(".n").inner_text() == f"n={m.n_scored}"
            assert cell.locator(".ci").inner_text() == f"[{layout.fmt(m.ci_low)}, {layout.fmt(m.ci_high)}]"
            if m.n_unscored:
                assert cell.locator(".unscored").inner_text() == f"{m.n_unscored} unscored"
            shown += 1
    assert shown > 20
    # one table per benchmark, in the fixed order, unknown benchmarks under "Other"
    headings = page.locator("section.benchmark h2").all_inner_texts()
    assert headings == ["ECG-Expert-QA", "Heartcare-Bench", "GEM grounding", "Other"]
    assert "mean over the tasks" in page.locator("#overall .rule").inner_text()
    assert "broken-model" in page.locator("#build-notes").inner_text()


def _column_values(page, table, col: int) -> list[float | None]:
    out = []
    for raw in table.locator("tbody tr").evaluate_all(
        f"rows => rows.map(r => r.cells[{col}].getAttribute('data-sort'))"
    ):
        out.append(float(raw) if raw else None)
    return out


def test_sorting_by_clicking_headers(built, page):
    site, _, _ = built
    page.goto(url(site, "index.html"))
    table = page.locator("section.benchmark", has_text="ECG-Expert-QA").locator("table")
    header = table.locator("th.metric", has_text="meteor").first
    col = int(header.get_attribute("data-col"))
    before = [r.strip() for r in table.locator("tbody th").all_inner_texts()]
    header.click()
    values = _column_values(page, table, col)
    assert values == sorted(values, reverse=True)  # higher is better: best first
    assert header.get_attribute("aria-sort") == "descending"
    header.click()
    values = _column_values(page, table, col)
    assert values == sorted(values)
    assert header.get_attribute("aria-sort") == "ascending"
    assert sorted(before) == sorted(r.strip() for r in table.locator("tbody th").all_inner_texts())
    # a lower-is-better metric sorts ascending (best first) on the first click
    hc = page.locator("section.benchmark", has_text="Heartcare-Bench").locator("table")
    mse = hc.locator("th.metric", has_text="mse")
    mse.click()
    values = _column_values(page, hc, int(mse.get_attribute("data-col")))
    assert values == sorted(values)
    # model names sort alphabetically
    name_header = table.locator("th.sort", has_text="Model")
    name_header.click()
    names = [n.strip() for n in table.locator("tbody th").all_inner_texts()]
    assert names == sorted(names, key=str.lower)


def test_sample_page_opens_from_a_task_cell_and_paginates(built, page):
    site, _, results = built
    page.goto(url(site, "index.html"))
    page.locator('td[data-model="alpha-7b"][data-task="ecgqa_ck"][data-metric="bleu_1"] a.v').click()
    page.wait_for_selector("article.sample")
    assert page.locator("h1").inner_text() == "Samples: alpha-7b on ecgqa_ck"
    assert page.locator("article.sample").count() == 50
    assert "ecgqa_ck-00000" in page.locator("article.sample h2").first.inner_text()
    page.locator("#next").click()
    expect(page.locator("#status")).to_contain_text("Page 2 of 3")
    assert "ecgqa_ck-00050" in page.locator("article.sample h2").first.inner_text()
    page.locator("#next").click()
    expect(page.locator("#status")).to_contain_text("Page 3 of 3")
    assert page.locator("article.sample").count() == 120 - 100
    # what a sample shows: prompt, response, reference, metrics, judge verdicts
    page.goto(url(site, layout.samples_page("alpha-7b", "ecgqa_ck")) + "#p=1")
    expect(page.locator("#status")).to_contain_text("Page 1 of 3")
    first = page.locator("article.sample").first
    text = first.inner_text()
    for needle in (
        "You are a cardiologist.",
        "Question 0 for ecgqa_ck",
        "Reference answer 0.",
        "bleu_1",
        "verdict text 0 <b>bold?</b>",
    ):
        assert needle in text


@pytest.mark.parametrize("page", [False, True], indirect=True, ids=["with-csp", "csp-bypassed"])
def test_xss_sample_renders_as_inert_text(built, page):
    """Inert by escaping alone: the page's Content-Security-Policy is a second line, not the first."""
    site, _, _ = built
    page.goto(url(site, layout.samples_page("alpha-7b", "ecgqa_ck")) + "#p=1")
    page.wait_for_selector("article.sample")
    response = page.locator("article.sample").nth(3).locator(".field.response pre")
    assert response.text_content() == XSS
    page.wait_for_timeout(200)  # give an injected onerror handler every chance to fire
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#samples img, #samples script").count() == 0


def test_sample_page_shows_the_images_the_model_saw(built, page):
    site, _, _ = built
    page.goto(url(site, layout.samples_page("gamma", "custom_probe")) + "#p=1")
    page.wait_for_selector("article.sample")
    images = page.locator("#samples img.attachment")
    expect(images).to_have_count(2)  # samples 0 and 1; the refused references stay text
    for k in range(2):
        assert images.nth(k).get_attribute("src").endswith(f"attachments/{PROBE_IMAGE}")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=images.nth(k).element_handle())
        assert images.nth(k).evaluate("img => img.naturalWidth") == 30
    third = page.locator("article.sample").nth(2).locator(".msg").nth(1).inner_text()
    assert "[image_url]" in third and "attachment://" in third


def test_task_page_shows_reported_numbers_labelled(built, page):
    site, _, _ = built
    page.goto(url(site, layout.task_page("ecgqa_ck")))
    caption = page.locator("figure.reference figcaption").first.inner_text()
    assert "Reported in" in caption and "Table II" in caption and "not reproduced here" in caption
    row = page.locator("figure.reference tbody tr", has_text="GPT-4o").first
    assert row.locator("td").all_inner_texts() == ["0.1648", "0.2323", "0.3098", "0.815"]
    assert page.locator(".hists svg").count() == 3 * 3  # three models x three metrics
    # the gem task: gamma was drawn like alpha, so one of them is marked as tied with the other
    page.goto(url(site, layout.task_page("gem_grounding")))
    assert page.locator("td.tie").count() >= 1
    assert page.locator("table.pairs").count() == 2


def test_model_page_lists_provenance_and_superseded_run(built, page):
    site, _, results = built
    page.goto(url(site, layout.model_page("alpha-7b")))
    body = page.locator("main").inner_text()
    for needle in (
        "openai_compat",
        "0123456789abcdef0123456789abcdef01234567",
        results["alpha-7b/ecgqa_ck"].task.prompt_sha256,
        results["alpha-7b/ecgqa_ck"].task.data.sha256,
        "$0.0123",
        "2026-11-20T12:00:00+00:00",
    ):
        assert needle in body
    superseded = page.locator("#superseded table").inner_text()
    assert "oldrun000001" in superseded and "2026-10-01T09:30:00+00:00" in superseded
    assert page.locator("svg.chart").count() == 1
    assert re.search(r"Overall score \d\.\d{3} over 4 ranked tasks", body)


def test_model_page_totals_usage_and_cost(built, page):
    site, _, results = built
    page.goto(url(site, layout.model_page("beta-chat")))
    runs = [r for k, r in results.items() if k.startswith("beta-chat/")]
    requests = sum(r.usage.requests for r in runs)
    cost = sum(r.usage.cost_usd for r in runs)
    meta = page.locator("main p.meta").nth(1).inner_text()
    assert f"{requests} requests" in meta and f"${cost:.4f}" in meta
