"""Replicas of the data hosts (PhysioNet, the Hugging Face Hub, GitHub raw) on 127.0.0.1, built from the
real data directory, and an environment in which the harness may download from them (and only them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.testing.github_replica import GitHubRawReplica
from harness.testing.hub_replica import HubReplica, HubRepo
from harness.testing.physionet_replica import PhysioNetReplica, ptbxl_record_files
from harness.testing.replica_data import ecgbench_repo, grounding_repo, heartcare_published_files

MMMU_FILE = "mmmu-ecg/test-00000-of-00001.parquet"


@pytest.fixture(scope="session")
def ptbxl_files(data_dir: Path) -> dict[str, bytes]:
    return ptbxl_record_files(data_dir)


@pytest.fixture(scope="session")
def ecgbench(data_dir: Path) -> HubRepo:
    """PULSE-ECG/ECGBench's mmmu-ecg subset in the Hub's layout: 520 rows, 26 row groups (built once)."""
    return ecgbench_repo(data_dir)


@pytest.fixture(scope="session")
def heartcare_files(data_dir: Path) -> dict[str, bytes]:
    return heartcare_published_files(data_dir)


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Downloads allowed (the suite is offline by default); a fresh Hub cache and harness cache."""
    import huggingface_hub.constants

    monkeypatch.setenv("HARNESS_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # read at import time
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf_hub"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def physionet(ptbxl_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch):
    with PhysioNetReplica({("ptb-xl", "1.0.3"): ptbxl_files}) as server:
        monkeypatch.setenv("HARNESS_PHYSIONET_URL", server.base_url)
        yield server


@pytest.fixture
def github(heartcare_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch):
    with GitHubRawReplica(heartcare_files) as server:
        monkeypatch.setenv("HARNESS_GITHUB_RAW_URL", server.base_url)
        yield server


@pytest.fixture
def hub(ecgbench: HubRepo, data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    with HubReplica([ecgbench, grounding_repo(data_dir)]) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.base_url)
        yield server
