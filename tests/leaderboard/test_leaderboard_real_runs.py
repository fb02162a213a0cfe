"""The leaderboard built from real harness runs on the real ECG-Expert-QA CK data: the retrieval
baseline, the embedded SmolLM2 model, and a model served by a local OpenAI-compatible server that
answers the first question with an XSS payload; then opened in headless Chromium."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness.leaderboard import build_site, layout
from harness.testing.openai_stub import OpenAIStub, last_user_text
from tests.conftest import SHARED_DATA, result_files, run_harness

pytestmark = pytest.mark.slow  # runs the embedded model and a browser

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
STUB_KEY = "sk-" + "R3al" * 8  # sent to the local server as the API key; must never reach the site
LIMIT = 12
CK_FILE = "ecg_expert_qa/Cardiology Knowledge (Basic Knowledge Q&A).json"


def first_question() -> str:
    return json.loads((SHARED_DATA / CK_FILE).read_text(encoding="utf-8"))[0]["Q"]


def xss_for_the_first_question(request: dict) -> str:
    question = last_user_text(request)
    return XSS if first_question() in question else f"Answer: {question}"


@pytest.fixture(scope="module")
def real_site(tmp_path_factory) -> tuple[Path, object, dict[str, dict]]:
    work = tmp_path_factory.mktemp("real")
    runs = work / "runs"
    # a module-scoped fixture runs before the per-test environment isolation: set it here
    env = {
        "HARNESS_DATA_DIR": str(SHARED_DATA),
        "HARNESS_CACHE_DIR": str(work / "cache"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_EVALUATE_OFFLINE": "1",
        "HF_HOME": str(work / "hf"),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    with OpenAIStub(responder=xss_for_the_first_question) as stub:
        jobs = [
            ("model=retrieval", f"limit={LIMIT}"),
            ("model=smollm2", "limit=3", "generation.max_tokens=24"),
            (
                "model=local_server",
                "model.model=stub",
                f"model.base_url={stub.base_url}",
                "model.api_key_env=LB_STUB_KEY",
                f"limit={LIMIT}",
            ),
        ]
        # the three runs overlap (separate caches); the stub serves until all are done
        with ThreadPoolExecutor(len(jobs)) as pool:
            procs = list(
                pool.map(
                    lambda ij: run_harness(
                        "+task=ecgqa_ck",
                        *ij[1],
                        cwd=work,
                        env={**env, "HARNESS_CACHE_DIR": str(work / f"cache{ij[0]}"), "LB_STUB_KEY": STUB_KEY},
                    ),
                    enumerate(jobs),
                )
            )
    for proc in procs:
        assert proc.returncode == 0, proc.stderr[-2000:]
    results = {}
    for path in result_files(runs):
        doc = json.loads(path.read_text())
        results[doc["model"]["name"]] = doc
    assert set(results) == {"retrieval", "smollm2", "local_server"}
    report = build_site(runs, work / "site", strict=True)
    assert report.ok and report.n_runs == 3
    return work / "site", report, results


def test_real_runs_render_with_their_numbers(real_site, page):
    site, _, results = real_site
    page.goto((site / "index.html").as_uri())
    for model, doc in results.items():
        for metric, m in doc["metrics"].items():
            cell = page.locator(f'td[data-model="{model}"][data-task="ecgqa_ck"][data-metric="{metric}"]')
            assert cell.count() == 1, (model, metric)
            if m["value"] is None:
                assert cell.get_attribute("data-sort") == ""
                continue
            assert float(cell.get_attribute("data-sort")) == m["value"]
            assert cell.locator(".v").inner_text() == layout.fmt(m["value"])
            assert f"n={m['n_scored']}" in cell.inner_text()
            assert "subset:" in cell.inner_text()  # limit= runs are labelled as partial
    header = page.locator("th.metric", has_text="rouge_l").first
    header.click()
    col = int(header.get_attribute("data-col"))
    values = [
        float(v) if v else None
        for v in page.locator("section.benchmark table tbody tr").evaluate_all(
            f"rows => rows.map(r => r.cells[{col}].getAttribute('data-sort'))"
        )
    ]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=True) and values[: len(present)] == present


def test_real_samples_open_and_xss_stays_text(real_site, page):
    site, _, results = real_site
    page.goto((site / "index.html").as_uri())
    page.locator('td[data-model="local_server"][data-task="ecgqa_ck"][data-metric="rouge_l"] a.v').click()
    expect(page.locator("#status")).to_contain_text(f"Page 1 of 1 · {LIMIT} samples")
    responses = page.locator("article.sample .field.response pre")
    assert responses.count() == LIMIT
    assert responses.first.text_content() == XSS
    assert responses.nth(1).text_content().startswith("Answer: ")
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#samples img, #samples script").count() == 0
    # the real prompt from the real CK file is shown with the sample
    assert first_question() in page.locator("article.sample").first.locator(".messages").inner_text()


def test_no_api_key_from_the_real_runs_reaches_the_site(real_site):
    site, report, _ = real_site
    for path in site.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert STUB_KEY not in text, path
            assert not re.search(r"sk-[A-Za-z0-9]{16,}", text), path
