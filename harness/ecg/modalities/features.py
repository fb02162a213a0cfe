"""The ``features`` modality: machine measurements as text (see :mod:`harness.ecg.measurements`)."""

from __future__ import annotations

from typing import Any

from harness.ecg.delineation import DelineationError, delineate_cached
from harness.ecg.measurements import measure, to_text
from harness.ecg.record import ECG, STANDARD_LEADS


def features_text(ecg: ECG, max_seconds: float | None = 10.0, cache_dir: Any = None) -> str:
    leads = tuple(lead for lead in STANDARD_LEADS if lead in ecg.leads)
    if not leads:
        raise KeyError(f"ECG {ecg.record_id} has none of the 12 standard leads (it has {list(ecg.leads)})")
    try:
        beats = delineate_cached(ecg, max_seconds=max_seconds, leads=leads, cache_dir=cache_dir)
    except DelineationError as exc:
        return f"Machine measurements: not measurable for this recording ({exc})."
    return to_text(measure(beats))


def featuredb_text(ecg: ECG, max_seconds: float | None = 10.0, style: str = "json", cache_dir: Any = None) -> str:
    from harness.ecg.featuredb import extract

    try:
        db = extract(ecg, max_seconds=max_seconds, cache_dir=cache_dir)
    except DelineationError as exc:
        return f"Machine measurements: not measurable for this recording ({exc})."
    return db.to_text(style=style)
