"""Global machine measurements of a record, as an ECG cart prints them above the tracing.

Heart rate, RR, PR, QRS, QT, QTc (Bazett), the frontal QRS axis and per-lead amplitudes,
all derived from the same per-beat delineation as the FeatureDB, so the ``features`` modality
and GEM-style measurements never disagree. Intervals are the median over leads of each lead's
median over beats (robust to a lead or beat that NeuroKit2 delineates badly); a value with no
valid beat in any lead is ``None`` and printed as "not measurable".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from harness.ecg.delineation import Beats

# Frontal-plane lead directions (degrees, hexaxial system) and gains relative to lead I:
# for a cardiac vector of angle theta, lead L reads gain * |v| * cos(theta - angle).
_FRONTAL = {
    "I": (0.0, 1.0),
    "II": (60.0, 1.0),
    "III": (120.0, 1.0),
    "aVR": (-150.0, math.sqrt(3) / 2),
    "aVL": (-30.0, math.sqrt(3) / 2),
    "aVF": (90.0, math.sqrt(3) / 2),
}


@dataclass
class LeadAmplitudes:
    """Median amplitudes of one lead (mV, from the PR baseline); ``None`` = not measurable."""

    p: float | None
    r: float | None  # largest positive QRS deflection
    s: float | None  # largest negative QRS deflection (<= 0)
    qrs_net: float | None  # r + s
    t: float | None
    st: float | None  # ST level at J+60 ms


@dataclass
class Measurements:
    record_id: str
    n_beats: int
    heart_rate_bpm: float | None
    rr_ms: float | None
    rr_min_ms: float | None
    rr_max_ms: float | None
    pr_ms: float | None
    qrs_ms: float | None
    qt_ms: float | None
    qtc_ms: float | None
    qrs_axis_deg: float | None
    leads: dict[str, LeadAmplitudes] = field(default_factory=dict)
    failed_leads: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _median(values: np.ndarray) -> float | None:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else None


def _global(beats: Beats, name: str) -> float | None:
    per_lead = [_median(lb.intervals_ms()[name]) for lb in beats.leads.values() if not lb.error]
    return _median(np.array([v for v in per_lead if v is not None], dtype=float))


def qrs_axis(net: dict[str, float]) -> float | None:
    """Frontal QRS axis (degrees, -180..180) from net QRS amplitudes of the limb leads.

    Least squares fit of a 2-D vector to every available limb lead (at least two non-opposite
    leads); with only I and aVF this is ``atan2(aVF / (sqrt(3)/2), I)``.
    """
    rows, rhs = [], []
    for lead, (angle, gain) in _FRONTAL.items():
        if lead in net and net[lead] is not None and math.isfinite(net[lead]):
            a = math.radians(angle)
            rows.append([gain * math.cos(a), gain * math.sin(a)])
            rhs.append(net[lead])
    if len(rows) < 2 or np.linalg.matrix_rank(np.array(rows)) < 2:
        return None
    (vx, vy), *_ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
    if math.hypot(vx, vy) < 1e-6:
        return None
    return math.degrees(math.atan2(vy, vx))


def measure(beats: Beats) -> Measurements:
    rr_valid = beats.rr_ms()[1][:-1]
    rr_valid = rr_valid[np.isfinite(rr_valid)]
    rr_med = float(np.median(rr_valid)) if rr_valid.size else None
    qt = _global(beats, "qt")
    amplitudes: dict[str, LeadAmplitudes] = {}
    failed: dict[str, str] = {}
    for name, lb in beats.leads.items():
        if lb.error:
            failed[name] = lb.error
            continue
        a = lb.amplitudes
        amplitudes[name] = LeadAmplitudes(
            p=_median(a["p"]),
            r=_median(a["qrs_max"]),
            s=_median(a["qrs_min"]),
            qrs_net=_median(a["qrs_net"]),
            t=_median(a["t"]),
            st=_median(a["st_level"]),
        )
    axis = qrs_axis({k: v.qrs_net for k, v in amplitudes.items() if k in _FRONTAL and v.qrs_net is not None})
    return Measurements(
        record_id=beats.record_id,
        n_beats=beats.n_beats,
        heart_rate_bpm=60000.0 / rr_med if rr_med else None,
        rr_ms=rr_med,
        rr_min_ms=float(rr_valid.min()) if rr_valid.size else None,
        rr_max_ms=float(rr_valid.max()) if rr_valid.size else None,
        pr_ms=_global(beats, "pr"),
        qrs_ms=_global(beats, "qrs"),
        qt_ms=qt,
        qtc_ms=qt / math.sqrt(rr_med / 1000.0) if qt is not None and rr_med else None,
        qrs_axis_deg=axis,
        leads=amplitudes,
        failed_leads=failed,
    )


def _fmt(value: float | None, unit: str, digits: int = 0) -> str:
    if value is None:
        return "not measurable"
    return f"{value:.{digits}f} {unit}".rstrip()


def to_text(m: Measurements) -> str:
    """The text of the ``features`` modality."""
    rows = [
        "Machine measurements (computed from the digital signal with NeuroKit2 wavelet delineation; "
        "intervals are medians over beats and leads):",
        f"Beats analysed: {m.n_beats}",
        f"Heart rate: {_fmt(m.heart_rate_bpm, 'bpm')}",
        f"RR interval: {_fmt(m.rr_ms, 'ms')} (range {_fmt(m.rr_min_ms, 'ms')} to {_fmt(m.rr_max_ms, 'ms')})",
        f"PR interval: {_fmt(m.pr_ms, 'ms')}",
        f"QRS duration: {_fmt(m.qrs_ms, 'ms')}",
        f"QT interval: {_fmt(m.qt_ms, 'ms')}",
        f"QTc (Bazett): {_fmt(m.qtc_ms, 'ms')}",
        f"QRS axis: {_fmt(m.qrs_axis_deg, 'degrees')}",
        "Per-lead amplitudes in mV from the PR-segment baseline (P wave, R = largest positive QRS "
        "deflection, S = largest negative QRS deflection, T wave, ST level at J+60 ms):",
    ]

    def a(v: float | None) -> str:
        return "n/a" if v is None else f"{v:+.2f}"

    for lead, amp in m.leads.items():
        rows.append(f"{lead}: P {a(amp.p)}, R {a(amp.r)}, S {a(amp.s)}, T {a(amp.t)}, ST {a(amp.st)}")
    for lead, why in m.failed_leads.items():
        rows.append(f"{lead}: not measurable ({why})")
    return "\n".join(rows)
