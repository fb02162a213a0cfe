"""Fixtures of the ECG layer tests: the real records listed in ecg_signals/INDEX.csv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from harness.ecg import read_record

# One record per source and rhythm family, delineated once per session (NeuroKit2 is ~1.5 s
# per 10 s record): sinus, sinus bradycardia with 1st-degree AV block (HR06002), tachycardia
# (HR06003, E07501), prolonged QT (E07504), native PTB-XL at 100 Hz, PTB at 1000 Hz.
MEASURED = (
    "cinc2021/HR06000",
    "cinc2021/HR06002",
    "cinc2021/HR06003",
    "cinc2021/E07501",
    "cinc2021/E07504",
    "ptbxl_native/00001_lr",
    "ptb_diagnostic/s0010_re",
)


@pytest.fixture(scope="session")
def measured_records() -> tuple[str, ...]:
    return MEASURED


@pytest.fixture(scope="session")
def signals_dir(data_dir: Path) -> Path:
    return data_dir / "ecg_signals"


@pytest.fixture(scope="session")
def index_rows(signals_dir: Path) -> list[dict[str, str]]:
    with open(signals_dir / "INDEX.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 22
    return rows


@pytest.fixture(scope="session")
def ecg_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One disk cache for the session, so each record is delineated once across test modules."""
    return tmp_path_factory.mktemp("ecg_cache")


@pytest.fixture(scope="session")
def hr06000(signals_dir: Path):
    return read_record(signals_dir / "cinc2021" / "HR06000")
