"""Real ECG-Expert-QA answers, found through the data directory (never copied into the repo)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ECGQA_FILES = {  # the tasks whose real files are in the shared data directory
    "CK": "Cardiology Knowledge (Basic Knowledge Q&A).json",
    "EBK": "ECG Knowledge (Basic Q&A).json",
    "CD": "Complex diagnosis (analysis of difficult diseases).json",
    "PP": "Patient prognosis (prognostic analysis).json",
}


@pytest.fixture(scope="session")
def data_dir() -> Path:
    env = os.environ.get("HARNESS_DATA_DIR")
    path = Path(env) if env else REPO / ".." / "shared" / "data"
    if not (path / "ecg_expert_qa").is_dir():
        pytest.fail(f"real data not found: {path / 'ecg_expert_qa'} (set HARNESS_DATA_DIR to the shared data directory)")
    return path


@pytest.fixture(scope="session")
def ecgqa_pairs(data_dir: Path) -> list[tuple[str, str]]:
    """(prediction, reference) for every real item: the prediction is the next item's reference."""
    pairs: list[tuple[str, str]] = []
    for task, name in ECGQA_FILES.items():
        answers = [record["A"] for record in json.loads((data_dir / "ecg_expert_qa" / name).read_text())]
        assert answers, f"{task}: no records in {name}"
        pairs += list(zip(answers[1:] + answers[:1], answers))
    return pairs
