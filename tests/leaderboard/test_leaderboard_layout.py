"""Phone and desktop widths: no page scrolls sideways (wide tables scroll inside their container,
the model column stays in view), in headless Chromium."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from harness.leaderboard import layout

pytestmark = pytest.mark.slow  # drives a real browser


@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_overflows_the_screen(built, browser, width):
    site, _, results = built
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pages = [
        "index.html",
        layout.task_page("ecgqa_ck"),
        layout.task_page("gem_grounding"),
        layout.model_page("alpha-7b"),
    ]
    pages.append(layout.samples_page("alpha-7b", "ecgqa_ck"))
    for rel in pages:
        page.goto((site / rel).as_uri())
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{rel} at {width}px: {scroll} > {inner}"
    assert errors == []
    page.close()


def test_the_model_column_stays_in_view_when_a_table_scrolls(built, browser):
    site, _, _ = built
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.goto((site / "index.html").as_uri())
    header = page.locator("table.results tbody th").first
    before = header.bounding_box()["x"]
    page.locator(".scroll").first.evaluate("el => el.scrollLeft = 400")
    assert abs(header.bounding_box()["x"] - before) < 2  # sticky
    page.close()


def test_search_spans_every_page_and_filters_and_sorts(built, browser):
    site, _, _ = built
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((site / layout.samples_page("alpha-7b", "ecgqa_ck")).as_uri())
    page.wait_for_selector("article.sample")
    page.fill("#filter", "ecgqa_ck-00110")  # a sample on page 3 of 3, searched from page 1
    expect(page.locator("#status")).to_contain_text("match across all")
    ids = page.locator("h2.sample-id").all_inner_texts()
    assert ids == ["#111 · id ecgqa_ck-00110"]
    page.fill("#filter", "")
    page.select_option("#sort", "bleu_1|desc")
    expect(page.locator("#status")).to_contain_text("120 of 120")
    values = [
        float(v)
        for v in page.locator("article.sample").evaluate_all(
            "els => els.map(a => [...a.querySelectorAll('th')].find(t => t.textContent === 'bleu_1').nextSibling.textContent)"
        )
    ]
    assert values == sorted(values, reverse=True) and len(values) == 120
    # a score range across all pages: bleu_1 in [0.2, 0.3], still sorted
    page.select_option("#range-metric", "bleu_1")
    page.fill("#range-min", "0.2")
    page.fill("#range-max", "0.3")
    expect(page.locator("#status")).to_contain_text("match across all")
    raw = page.locator("article.sample").evaluate_all(
        "els => els.map(a => [...a.querySelectorAll('th')].find(t => t.textContent === 'bleu_1').nextSibling)"
        ".map(td => td.title || td.textContent)"
    )
    in_range = [float(v) for v in raw]
    expected = sum(1 for v in _bleu_values(site) if 0.2 <= v <= 0.3)
    assert 0 < len(in_range) == expected < 120 and all(0.2 <= v <= 0.3 for v in in_range)
    assert in_range == sorted(in_range, reverse=True)
    page.select_option("#range-metric", "")
    page.goto((site / layout.samples_page("alpha-7b", "gem_grounding")).as_uri())
    page.wait_for_selector("article.sample")
    page.select_option("#status-filter", "unscored")
    expect(page.locator("#status")).to_contain_text("match across all")
    shown = page.locator("article.sample").count()
    assert 0 < shown < 40 and page.locator("article.sample td.unscored").count() >= shown
    page.close()


def test_xss_stays_inert_in_a_search_across_pages(built, browser):
    site, _, _ = built
    page = browser.new_page()
    page.goto((site / layout.samples_page("alpha-7b", "ecgqa_ck")).as_uri())
    page.wait_for_selector("article.sample")
    page.fill("#filter", "script")
    expect(page.locator("#status")).to_contain_text("match across all")
    assert page.locator("article.sample").count() >= 1
    assert page.evaluate("window.__xss") is None and page.locator("#samples script, #samples img[onerror]").count() == 0
    page.close()


def _bleu_values(site):
    """Every bleu_1 value of alpha-7b on ecgqa_ck, read from the site's own sample chunks."""
    folder = (site / layout.samples_page("alpha-7b", "ecgqa_ck")).parent
    values = []
    for chunk in sorted(folder.glob("p*.js")):
        body = chunk.read_text()
        records = json.loads(body[body.index(",") + 1 : body.rindex(")")])
        values += [r["metrics"]["bleu_1"] for r in records if isinstance(r["metrics"].get("bleu_1"), (int, float))]
    return values
