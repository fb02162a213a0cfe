"""The ``features`` modality: machine measurements as text (see :mod:`harness.ecg.measurements`)."""

from __future__ import annotations

from typing import Any

from harness.ecg.delineation import DelineationError, delineate_cached
from harness.ecg.measurements import Measurements, measure, to_text
from harness.ecg.record import ECG, STANDARD_LEADS


def machine_measurements(ecg: ECG, max_seconds: float | None = 10.0, cache_dir: Any = None) -> Measurements:
    """The measurements the ``features`` modality shows for ``ecg`` (and the only ones the harness
    computes: data engines that ground an item in a measurement use this too, so a question's gold
    is what the model is shown). Raises :class:`DelineationError` when the recording cannot be read."""
    leads = tuple(lead for lead in STANDARD_LEADS if lead in ecg.leads)
    if not leads:
        raise KeyError(f"ECG {ecg.record_id} has none of the 12 standard leads (it has {list(ecg.leads)})")
    return measure(delineate_cached(ecg, max_seconds=max_seconds, leads=leads, cache_dir=cache_dir))


def features_text(ecg: ECG, max_seconds: float | None = 10.0, cache_dir: Any = None) -> str:
    try:
        return to_text(machine_measurements(ecg, max_seconds=max_seconds, cache_dir=cache_dir))
    except DelineationError as exc:
        return f"Machine measurements: not measurable for this recording ({exc})."


def featuredb_text(ecg: ECG, max_seconds: float | None = 10.0, style: str = "json", cache_dir: Any = None) -> str:
    from harness.ecg.featuredb import extract

    try:
        db = extract(ecg, max_seconds=max_seconds, cache_dir=cache_dir)
    except DelineationError as exc:
        return f"Machine measurements: not measurable for this recording ({exc})."
    return db.to_text(style=style)
