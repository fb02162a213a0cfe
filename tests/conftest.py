"""Shared test setup: the real data directory, an isolated cache, and no network."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real benchmark data (../shared/data), as a user would point HARNESS_DATA_DIR at it."""
    assert SHARED_DATA.is_dir(), f"real benchmark data not found at {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture(scope="session")
def _nltk_data(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """WordNet laid out for NLTK once per session (each test otherwise copies 36 MB into its cache)."""
    from harness.plugins.metrics import wordnet

    dict_dir, man_page = wordnet._debian_dict_dir(), wordnet._find_man_page()
    if dict_dir is None or man_page is None:
        return None
    root = tmp_path_factory.mktemp("nltk_data")
    wordnet.build_nltk_wordnet(dict_dir, man_page, root)
    return root


@pytest.fixture(autouse=True)
def _isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, _nltk_data: Path | None
) -> None:
    home = tmp_path_factory.mktemp("hf_home")
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "HARNESS_OFFLINE": "1",  # no source is asked; tests of the sources run replicas and set it to 0
        "HF_DATASETS_OFFLINE": "1",
        "HF_EVALUATE_OFFLINE": "1",
        "HF_HOME": str(home),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path_factory.mktemp("harness_cache")))
    monkeypatch.setenv("HARNESS_DATA_DIR", str(SHARED_DATA))
    monkeypatch.delenv("HARNESS_RUNS_DIR", raising=False)
    if _nltk_data is not None:
        monkeypatch.setenv("NLTK_DATA", str(_nltk_data))


def harness_env(**extra: str) -> dict[str, str]:
    """Environment for a `python -m harness` subprocess (inherits the isolated test env)."""
    env = dict(os.environ)
    env.update(extra)
    return env


def run_harness(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """`python -m harness ARGS` in a subprocess, runs written under ``cwd``."""
    import sys

    cwd.mkdir(parents=True, exist_ok=True)
    full_env = harness_env(HARNESS_RUNS_DIR=str(cwd / "runs"), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )


def result_files(root: Path) -> list[Path]:
    return sorted(root.rglob("results.json"))


def echo_run(root: Path, data_dir: Path, *, limit: int) -> Path:
    """A real CLI run of ECG-Expert-QA CK against the stub echoing each question; its run directory."""
    from harness.testing.openai_stub import OpenAIStub, echo

    with OpenAIStub(echo()) as stub:
        proc = run_harness(
            "+task=ecgqa_ck",
            "model=local_server",
            f"model.base_url={stub.base_url}",
            f"limit={limit}",
            cwd=root,
            env={"HARNESS_DATA_DIR": str(data_dir), "HARNESS_CACHE_DIR": str(root / "cache")},
        )
    assert proc.returncode == 0, proc.stderr
    return result_files(root)[0].parent


EXAMPLE_PLUGIN = REPO / "examples" / "harness-plugin-example"


def example_plugin_installed() -> bool:
    import importlib.metadata

    try:
        importlib.metadata.distribution("ecg-harness-example")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def example_installed():
    """The example plugin pip-installed into this environment, as a user would; uninstalled
    afterwards unless it was installed before."""
    import importlib
    import sys

    before = example_plugin_installed()
    pip = [sys.executable, "-m", "pip"]
    install = subprocess.run(
        [*pip, "install", "--no-deps", "--no-build-isolation", str(EXAMPLE_PLUGIN)], capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr[-2000:]
    importlib.invalidate_caches()
    yield
    if not before:
        subprocess.run([*pip, "uninstall", "-y", "ecg-harness-example"], capture_output=True, text=True)
