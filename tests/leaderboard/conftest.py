"""Fixtures for the leaderboard tests: a site built from generated runs, and headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lb_runs_factory import make_runs

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("runs")
    results = make_runs(root)
    return root, results


@pytest.fixture(scope="session")
def built(runs_dir, tmp_path_factory):
    """(site directory, BuildReport, generated results by 'model/task')."""
    from harness.leaderboard import build_site

    root, results = runs_dir
    out = tmp_path_factory.mktemp("public") / "site"
    report = build_site(root, out)
    return out, report, results


@pytest.fixture(scope="module")
def browser():
    """System Chromium driven by Playwright (``playwright install`` downloads are not used).

    Module-scoped: Playwright's sync API runs an event loop in this thread while it is open, which
    would break every later test that calls ``asyncio.run``.
    """
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        pytest.fail(
            "Chromium not found at /usr/bin/chromium: run .ci/install-system (apt-get install chromium chromium-driver)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    """A fresh page that records console errors and uncaught exceptions; the test fails on any.

    Parametrise indirectly with True to bypass the site's Content-Security-Policy.
    """
    context = browser.new_context(bypass_csp=bool(getattr(request, "param", False)))
    pg = context.new_page()
    problems: list[str] = []
    pg.on(
        "console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    pg.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    pg.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))

    def only_local(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            problems.append(f"network request at view time: {route.request.url}")
            route.abort()

    context.route("**/*", only_local)
    pg.problems = problems  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not problems, f"browser reported problems: {problems}"
