"""The ``signal_text`` modality: the samples as numbers, within a character budget.

A text-only model can only read an ECG as digits, and digits cost tokens. The record is
cropped to ``max_seconds``, then the highest rate of ``rates`` (down to ``min_rate``, below which
a QRS complex is no longer legible) at which the whole text fits in ``max_chars`` is chosen
(polyphase resampling: lower rates are anti-aliased, not decimated); if even ``min_rate`` does
not fit, the duration is shortened instead. Values are integer microvolts
rounded to ``resolution_uv``. The first line states the scheme, so the text explains itself.
"""

from __future__ import annotations

import numpy as np

from harness.ecg.preprocess import resample
from harness.ecg.record import ECG

VERSION = "1"
DEFAULT_RATES: tuple[float, ...] = (500, 250, 125, 100, 50, 25, 20, 10)


def _render(ecg: ECG, leads: list[str], resolution_uv: int) -> str:
    step_ms = 1000.0 / ecg.fs
    head = (
        f"ECG signal as text: {len(leads)} leads, {ecg.duration_s:.2f} s, {ecg.n_samples} values per lead. "
        f"Each line is 'LEAD: v1 v2 ...': amplitudes in microvolts (integers rounded to {resolution_uv} uV), "
        f"one value every {step_ms:g} ms ({ecg.fs:g} Hz), starting at t = 0 s."
    )
    lines = [head]
    for lead in leads:
        v = np.rint(ecg.lead(lead).astype(np.float64) * 1000.0 / resolution_uv).astype(np.int64) * resolution_uv
        lines.append(f"{lead}: " + " ".join(map(str, v.tolist())))
    return "\n".join(lines)


def signal_text(
    ecg: ECG,
    max_chars: int = 16000,
    resolution_uv: int = 10,
    leads: list[str] | None = None,
    max_seconds: float = 10.0,
    rates: tuple[float, ...] = DEFAULT_RATES,
    min_rate: float = 50.0,
) -> str:
    """The record as text of at most ``max_chars`` characters (see module docstring)."""
    if resolution_uv < 1:
        raise ValueError(f"signal_text: resolution_uv must be >= 1, got {resolution_uv}")
    chosen = list(leads) if leads else list(ecg.leads)
    for lead in chosen:
        ecg.lead(lead)  # KeyError naming the record and its leads
    part = ecg.crop(max_seconds)
    usable = {r for r in rates if min(min_rate, part.fs) <= r <= part.fs} or {min(part.fs, max(rates))}
    candidates = sorted(usable, reverse=True)
    for rate in candidates:
        text = _render(resample(part, rate), chosen, resolution_uv)
        if len(text) <= max_chars:
            return text
    low = resample(part, candidates[-1])
    # Shorten the duration: binary search on the number of samples kept.
    lo, hi = 1, low.n_samples
    best, kept = None, 0
    while lo <= hi:
        mid = (lo + hi) // 2
        text = _render(low.crop(mid / low.fs), chosen, resolution_uv)
        if len(text) <= max_chars:
            best, kept, lo = text, mid, mid + 1
        else:
            hi = mid - 1
    if best is None or kept < low.fs:  # less than 1 s is useless
        raise ValueError(
            f"signal_text: max_chars={max_chars} cannot hold even 1 s of {len(chosen)} leads of ECG "
            f"{ecg.record_id} at {low.fs:g} Hz; raise max_chars or pass fewer leads"
        )
    return best
