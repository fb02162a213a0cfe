"""Shared test setup: the real data directory, an isolated cache, and no network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real benchmark data (../shared/data), as a user would point HARNESS_DATA_DIR at it."""
    assert SHARED_DATA.is_dir(), f"real benchmark data not found at {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("hf_home")
    for key, value in {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1",
                       "HF_HOME": str(home), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path_factory.mktemp("harness_cache")))
    monkeypatch.setenv("HARNESS_DATA_DIR", str(SHARED_DATA))
    monkeypatch.delenv("HARNESS_RUNS_DIR", raising=False)


def harness_env(**extra: str) -> dict[str, str]:
    """Environment for a `python -m harness` subprocess (inherits the isolated test env)."""
    env = dict(os.environ)
    env.update(extra)
    return env


def run_harness(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> "subprocess.CompletedProcess[str]":
    """`python -m harness ARGS` in a subprocess, runs written under ``cwd``."""
    import subprocess
    import sys

    cwd.mkdir(parents=True, exist_ok=True)
    full_env = harness_env(HARNESS_RUNS_DIR=str(cwd / "runs"), **(env or {}))
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def result_files(root: Path) -> list[Path]:
    return sorted(root.rglob("results.json"))
