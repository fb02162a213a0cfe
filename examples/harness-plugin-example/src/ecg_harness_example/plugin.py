"""The plugin module named by the `ecg_harness` entry point: it contributes a task folder and a metric."""

from __future__ import annotations

from pathlib import Path

from harness.hookspecs import hookimpl
from harness.metrics.base import Unscored, sample_metric


@sample_metric("length_ratio")
def length_ratio(prediction: str, reference: str) -> float | Unscored:
    """Words in the answer divided by words in the reference (1.0 = same length)."""
    ref_words = len(str(reference).split())
    if ref_words == 0:
        return Unscored("empty reference")
    return len(str(prediction).split()) / ref_words


@hookimpl
def harness_task_dirs() -> list[Path]:
    return [Path(__file__).parent / "tasks"]


@hookimpl
def harness_metrics():
    return [length_ratio]
