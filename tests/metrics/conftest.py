"""Real ECG-Expert-QA answers, read through the data directory (``data_dir`` in tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ECGQA_FILES = {  # the tasks whose real files are in the shared data directory
    "CK": "Cardiology Knowledge (Basic Knowledge Q&A).json",
    "EBK": "ECG Knowledge (Basic Q&A).json",
    "CD": "Complex diagnosis (analysis of difficult diseases).json",
    "PP": "Patient prognosis (prognostic analysis).json",
}


@pytest.fixture(scope="session")
def ecgqa_pairs(data_dir: Path) -> list[tuple[str, str]]:
    """(prediction, reference) for every real item: the prediction is the next item's reference."""
    pairs: list[tuple[str, str]] = []
    for task, name in ECGQA_FILES.items():
        answers = [record["A"] for record in json.loads((data_dir / "ecg_expert_qa" / name).read_text())]
        assert answers, f"{task}: no records in {name}"
        pairs += list(zip(answers[1:] + answers[:1], answers))
    return pairs
