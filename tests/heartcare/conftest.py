"""Heartcare-Bench test setup: a data directory with the real shared data plus data-engine items.

The shared data is read-only, so the data engine writes into a temporary data directory whose
other folders are symlinks to ``../shared/data`` (the real records and label tables).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.databuild.heartcare import build

IDS = list(range(6000, 6010))  # PTB-XL ecg_id 6000-6009: the real records in ecg_signals/cinc2021


@pytest.fixture(scope="session")
def built_data_dir(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("heartcare_data")
    for entry in data_dir.iterdir():
        (root / entry.name).symlink_to(entry)
    meta = data_dir / "heartcare_bench" / "meta"
    build(
        labels_path=meta / "full_data.parquet",
        classes_path=meta / "class.json",
        out_dir=root / "heartcare_built",
        data_dir=root,
        ids=IDS,
        seed=0,
    )
    return root


@pytest.fixture
def use_built_data(built_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HARNESS_DATA_DIR", str(built_data_dir))
    return built_data_dir
