"""Per-beat, per-lead fiducial points and amplitudes from NeuroKit2's wavelet delineation.

Both machine-measurement products (the GEM-style per-beat FeatureDB and the summary used by
the ``features`` modality) read from this one pass, so they can never disagree.

How a record is processed:
1. crop to ``max_seconds`` and resample to ``ANALYSIS_FS`` (500 Hz: the native rate of PTB-XL
   and Georgia; a 100 Hz record is upsampled so the wavelet scales behave);
2. R peaks are found once on a reference lead (II, then V5, I, ...), so beat *k* means the same
   heartbeat in every lead and the per-beat sequences line up across leads;
3. each lead is cleaned (``nk.ecg_clean``) and delineated (``nk.ecg_delineate(method="dwt")``);
   a lead whose QRS is mainly negative (aVR, often V1) is delineated on its negation, which
   changes no time point; amplitudes are then read from the original polarity;
4. every fiducial point is checked for order (P on < P peak < P off <= QRS on < R < QRS off <=
   T on < T peak < T off, inside the beat) and every interval against broad physiological
   limits. A value that fails is *missing* (NaN), never replaced by a guess; a lead whose
   delineation raises is reported in ``LeadBeats.error`` with all its values missing.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from harness.ecg.preprocess import resample
from harness.ecg.record import ECG

ANALYSIS_FS = 500.0
REFERENCE_LEADS = ("II", "V5", "I", "V2", "aVF", "V6", "V4", "III", "V3", "aVL", "V1", "aVR")

# Broad validity limits (ms); values outside are delineation failures, not physiology.
LIMITS_MS = {
    "rr": (200.0, 3000.0),
    "p_duration": (20.0, 250.0),
    "pr": (50.0, 450.0),
    "qrs": (30.0, 250.0),
    "t_duration": (40.0, 450.0),
    "st_duration": (0.0, 400.0),
    "qt": (150.0, 750.0),
}
ST_ELEVATION_MV = 0.1
ST_DEPRESSION_MV = -0.05
ST_SLOPE_MV = 0.05  # change between J+20 ms and J+80 ms that counts as up/down-sloping


class DelineationError(Exception):
    """No heartbeat could be found in any lead."""


@dataclass
class LeadBeats:
    """Per-beat values of one lead; arrays are aligned with ``r_peaks``; NaN = not measurable."""

    lead: str
    fs: float
    r_peaks: np.ndarray  # sample indices of the shared beats
    fiducials: dict[str, np.ndarray] = field(default_factory=dict)  # sample indices (float, NaN)
    amplitudes: dict[str, np.ndarray] = field(default_factory=dict)  # mV relative to the beat's baseline
    inverted: bool = False
    error: str | None = None

    @property
    def n_beats(self) -> int:
        return int(len(self.r_peaks))

    def _ms(self, a: str, b: str) -> np.ndarray:
        return (self.fiducials[b] - self.fiducials[a]) * 1000.0 / self.fs

    def intervals_ms(self) -> dict[str, np.ndarray]:
        """P duration, PR, QRS, T duration, ST duration, QT per beat (ms), limits applied."""
        if self.error:
            nan = np.full(self.n_beats, np.nan)
            return {k: nan.copy() for k in ("p_duration", "pr", "qrs", "t_duration", "st_duration", "qt")}
        values = {
            "p_duration": self._ms("p_on", "p_off"),
            "pr": self._ms("p_on", "qrs_on"),
            "qrs": self._ms("qrs_on", "qrs_off"),
            "t_duration": self._ms("t_on", "t_off"),
            "st_duration": self._ms("qrs_off", "t_on"),
            "qt": self._ms("qrs_on", "t_off"),
        }
        return {k: _within(v, *LIMITS_MS[k]) for k, v in values.items()}


@dataclass
class Beats:
    """The delineation of a whole record: shared R peaks, RR intervals and every lead's beats."""

    record_id: str
    fs: float
    r_peaks: np.ndarray
    reference_lead: str
    leads: dict[str, LeadBeats]
    duration_s: float

    @property
    def n_beats(self) -> int:
        return int(len(self.r_peaks))

    def rr_ms(self) -> tuple[np.ndarray, np.ndarray]:
        """(RR before each beat, RR after each beat) in ms; NaN at the ends and outside limits."""
        rr = np.diff(self.r_peaks.astype(float)) * 1000.0 / self.fs
        rr = _within(rr, *LIMITS_MS["rr"])
        before = np.concatenate([[np.nan], rr])
        after = np.concatenate([rr, [np.nan]])
        return before, after

    def beat_times_s(self) -> np.ndarray:
        return self.r_peaks / self.fs


def _within(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    out = np.asarray(values, dtype=float).copy()
    with np.errstate(invalid="ignore"):
        out[(out < lo) | (out > hi)] = np.nan
    return out


def _clean(x: np.ndarray, fs: float) -> np.ndarray:
    import neurokit2 as nk

    return np.asarray(nk.ecg_clean(x.astype(np.float64), sampling_rate=int(round(fs)), method="neurokit"))


def _find_r_peaks(x: np.ndarray, fs: float) -> np.ndarray:
    import neurokit2 as nk

    _, info = nk.ecg_peaks(x, sampling_rate=int(round(fs)), method="neurokit")
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=int)
    return peaks[(peaks >= 0) & (peaks < len(x))]


def _plausible_peaks(peaks: np.ndarray, fs: float, n: int) -> bool:
    if len(peaks) < 3:
        return False
    rr = np.diff(peaks) / fs
    hr = 60.0 / np.median(rr)
    return 25.0 <= hr <= 250.0 and len(peaks) >= 0.3 * (n / fs) * hr / 60.0


def detect_r_peaks(cleaned: dict[str, np.ndarray], fs: float) -> tuple[np.ndarray, str]:
    """R peaks on the first reference lead that gives a plausible beat train."""
    order = [lead for lead in REFERENCE_LEADS if lead in cleaned] + [
        lead for lead in cleaned if lead not in REFERENCE_LEADS
    ]
    tried = []
    for lead in order:
        x = cleaned[lead]
        try:
            peaks = _find_r_peaks(x, fs)
        except Exception as exc:  # NeuroKit raises on flat or very short input
            tried.append(f"{lead}: {type(exc).__name__}")
            continue
        if _plausible_peaks(peaks, fs, len(x)):
            return peaks, lead
        tried.append(f"{lead}: {len(peaks)} peaks")
    raise DelineationError("no plausible heartbeat train in any lead (" + "; ".join(tried) + ")")


def _polarity_inverted(x: np.ndarray, r_peaks: np.ndarray, fs: float) -> bool:
    half = int(0.05 * fs)
    pos, neg = [], []
    for r in r_peaks:
        seg = x[max(0, r - half) : r + half + 1]
        if len(seg) < 3:
            continue
        base = np.median(x[max(0, r - 3 * half) : max(1, r - half)]) if r - half > 0 else np.median(seg)
        pos.append(seg.max() - base)
        neg.append(base - seg.min())
    return bool(pos) and float(np.median(neg)) > float(np.median(pos))


def _local_extrema(x: np.ndarray, r_peaks: np.ndarray, fs: float) -> np.ndarray:
    """Move each shared R peak to this lead's maximum within +-40 ms (the lead's own R)."""
    half = int(0.04 * fs)
    out = []
    for r in r_peaks:
        a, b = max(0, r - half), min(len(x), r + half + 1)
        out.append(a + int(np.argmax(x[a:b])))
    return np.asarray(out, dtype=int)


_WAVE_KEYS = {
    "p_on": "ECG_P_Onsets",
    "p_peak": "ECG_P_Peaks",
    "p_off": "ECG_P_Offsets",
    "qrs_on": "ECG_R_Onsets",
    "qrs_off": "ECG_R_Offsets",
    "t_on": "ECG_T_Onsets",
    "t_peak": "ECG_T_Peaks",
    "t_off": "ECG_T_Offsets",
}


def _dwt_waves(x: np.ndarray, r_peaks: np.ndarray, fs: float) -> dict[str, np.ndarray]:
    """P and T waves with NeuroKit2's wavelet delineator (``ecg_delineate(method="dwt")``).

    Runs the same steps as NeuroKit2 0.2.x's DWT delineator minus its Q/S peak search, which is
    pandas-bound and takes over half the time; QRS bounds are computed here instead. If the
    private functions move in another NeuroKit2 release, the public function is used.
    """
    import neurokit2 as nk

    try:
        from neurokit2.ecg.ecg_delineate import (
            _dwt_compute_multiscales,
            _dwt_delineate_tp_onsets_offsets,
            _dwt_delineate_tp_peaks,
            _dwt_resample_points,
        )
    except ImportError:
        _, waves = nk.ecg_delineate(x, r_peaks, sampling_rate=int(round(fs)), method="dwt")
        return {name: np.asarray(waves.get(key, []), dtype=float) for name, key in _WAVE_KEYS.items()}

    hi = 2000
    sig = nk.signal_resample(x, sampling_rate=int(round(fs)), desired_sampling_rate=hi)
    dwtmatr = _dwt_compute_multiscales(sig, 9)
    r_hi = _dwt_resample_points(r_peaks, int(round(fs)), hi)
    tpeaks, ppeaks = _dwt_delineate_tp_peaks(sig, r_hi, dwtmatr, sampling_rate=hi)
    ponsets, poffsets = _dwt_delineate_tp_onsets_offsets(ppeaks, r_hi, dwtmatr, sampling_rate=hi)
    tonsets, toffsets = _dwt_delineate_tp_onsets_offsets(
        tpeaks, r_hi, dwtmatr, sampling_rate=hi, onset_weight=0.6, duration_onset=0.6
    )
    back = {
        "p_on": ponsets,
        "p_peak": ppeaks,
        "p_off": poffsets,
        "t_on": tonsets,
        "t_peak": tpeaks,
        "t_off": toffsets,
    }
    return {k: np.asarray(_dwt_resample_points(v, hi, int(round(fs))), dtype=float) for k, v in back.items()}


def _delineate(x: np.ndarray, r_peaks: np.ndarray, fs: float) -> dict[str, np.ndarray]:
    out = _dwt_waves(x, r_peaks, fs)
    for name, values in out.items():
        if len(values) != len(r_peaks):
            raise ValueError(f"NeuroKit2 returned {len(values)} {name} points for {len(r_peaks)} beats")
    out["qrs_on"], out["qrs_off"] = _qrs_bounds(x, r_peaks, fs)
    out["t_peak"], out["t_off"] = _t_peak_end(x, r_peaks, out["qrs_on"], out["qrs_off"], fs)
    return out


def _most_prominent(seg: np.ndarray, min_prominence: float = 0.03) -> tuple[int | None, float]:
    """Index and sign of the most prominent local extremum (a T wave is the largest hump after
    the J point; with ST depression the largest *deviation* is the ST segment, not the T wave)."""
    from scipy.signal import find_peaks

    best, best_prom, sign = None, min_prominence, 1.0
    for s in (1.0, -1.0):
        idx, props = find_peaks(s * seg, prominence=min_prominence)
        if len(idx):
            k = int(np.argmax(props["prominences"]))
            if props["prominences"][k] > best_prom:
                best, best_prom, sign = int(idx[k]), float(props["prominences"][k]), s
    return best, sign


def _t_peak_end(
    x: np.ndarray, r_peaks: np.ndarray, qrs_on: np.ndarray, qrs_off: np.ndarray, fs: float
) -> tuple[np.ndarray, np.ndarray]:
    """T peak = most prominent hump after the J point; T end by the tangent method.

    NeuroKit2's DWT T peak lands on an ST-segment bump ~150 ms after the QRS onset for many beats
    of the real records (PTB-XL 06001: QT 150-250 ms at 77 bpm), so the T peak is taken as the
    most prominent local extremum in [J + 40 ms, R + 0.7 RR] (at most R + 650 ms) and
    the T end as where the tangent at the steepest point of the T wave's descending limb
    crosses the baseline (the tangent method of clinical QT measurement).
    """
    ms = fs / 1000.0
    n = len(x)
    t_peak = np.full(len(r_peaks), np.nan)
    t_off = np.full(len(r_peaks), np.nan)
    rr_next = np.diff(r_peaks.astype(float))
    rr_med = float(np.median(rr_next)) if len(rr_next) else 0.8 * fs
    smooth_w = max(1, int(round(20 * ms)))
    xs = np.convolve(x, np.ones(smooth_w) / smooth_w, mode="same")
    for i, r in enumerate(r_peaks):
        rr = rr_next[i] if i < len(rr_next) else rr_med
        j = qrs_off[i] if np.isfinite(qrs_off[i]) else r + 60 * ms
        on = qrs_on[i] if np.isfinite(qrs_on[i]) else r - 50 * ms
        a = int(round(j + 40 * ms))
        b = int(round(min(r + 0.7 * rr, r + 650 * ms)))
        if b >= n or b - a < 5 or on - 30 * ms < 0:
            continue
        base = float(np.mean(xs[int(on - 30 * ms) : int(on - 10 * ms) + 1]))
        peak, sign = _most_prominent(xs[a:b])
        if peak is None:  # flat T wave: no peak, no end
            continue
        peak += a
        t_peak[i] = peak
        c = min(n - 2, int(round(peak + 250 * ms)), int(round(r + rr - 50 * ms)))
        if c - peak < 3:
            continue
        slope = np.gradient(xs[peak : min(c, int(round(peak + 150 * ms)))])
        steep = peak + int(np.argmin(sign * slope))  # steepest return towards the baseline
        m = float(np.gradient(xs)[steep])
        if sign * m >= 0:
            continue
        end = steep + (base - xs[steep]) / m  # tangent meets the baseline
        if peak < end < c + 50 * ms:
            t_off[i] = end
    return t_peak, t_off


QRS_SLOPE_FRACTION = 0.1  # QRS bounds: where the slope envelope falls below this share of its QRS maximum


def _qrs_bounds(x: np.ndarray, r_peaks: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """QRS onset/offset: where the slope stays low for 12 ms, searched outwards from the R peak.

    NeuroKit2's DWT QRS bounds put the onset on the P wave for a good share of beats of the
    real records (PTB-XL 06000 lead II: onset = P peak). Here the slope envelope (10 ms moving
    average of |dx/dt|) must stay below ``QRS_SLOPE_FRACTION`` of its QRS maximum for 12 ms: the
    brief zero slope at a Q or S trough does not qualify, the isoelectric PR and ST segments do.
    A bound is NaN when the slope never settles within 150 ms of the R peak.
    """
    ms = fs / 1000.0
    width = max(1, int(round(10 * ms)))
    env = np.convolve(np.abs(np.gradient(x)), np.ones(width) / width, mode="same")
    n = len(x)
    onsets = np.full(len(r_peaks), np.nan)
    offsets = np.full(len(r_peaks), np.nan)
    for i, r in enumerate(r_peaks):
        a, b = max(0, int(r - 80 * ms)), min(n, int(r + 100 * ms))
        if b - a < 3:
            continue
        thr = QRS_SLOPE_FRACTION * float(env[a:b].max())
        run = max(2, int(round(12 * ms)))  # the slope must stay low this long (not just cross zero at Q/S)
        lo = max(0, int(r - 150 * ms))
        for k in range(int(r), lo + run, -1):
            if np.all(env[k - run + 1 : k + 1] < thr):
                onsets[i] = k
                break
        hi = min(n - 1, int(r + 150 * ms))
        for k in range(int(r), hi - run):
            if np.all(env[k : k + run] < thr):
                offsets[i] = k
                break
    return onsets, offsets


def _validate(f: dict[str, np.ndarray], r: np.ndarray, fs: float, n: int) -> dict[str, np.ndarray]:
    """Blank out fiducials that are out of order or outside their beat."""
    f = {k: v.copy() for k, v in f.items()}
    r = r.astype(float)
    prev_r = np.concatenate([[-np.inf], r[:-1]])
    next_r = np.concatenate([r[1:], [np.inf]])
    with np.errstate(invalid="ignore"):
        for k in f:
            f[k][(f[k] < 0) | (f[k] >= n)] = np.nan
        qrs_ok_on = (f["qrs_on"] < r) & (f["qrs_on"] > r - 0.15 * fs) & (f["qrs_on"] > prev_r)
        f["qrs_on"][~qrs_ok_on] = np.nan
        qrs_ok_off = (f["qrs_off"] > r) & (f["qrs_off"] < r + 0.2 * fs) & (f["qrs_off"] < next_r)
        f["qrs_off"][~qrs_ok_off] = np.nan
        qrs_start = np.where(np.isnan(f["qrs_on"]), r, f["qrs_on"])
        p_ok = (f["p_on"] < f["p_peak"]) & (f["p_peak"] < f["p_off"]) & (f["p_off"] <= qrs_start) & (f["p_on"] > prev_r)
        # P peak and amplitude survive alone only if the peak itself lies before the QRS.
        p_peak_ok = (f["p_peak"] < qrs_start) & (f["p_peak"] > prev_r) & (f["p_peak"] > r - 0.5 * fs)
        f["p_peak"][~p_peak_ok] = np.nan
        f["p_on"][~p_ok] = np.nan
        f["p_off"][~p_ok] = np.nan
        qrs_end = np.where(np.isnan(f["qrs_off"]), r, f["qrs_off"])
        t_peak_ok = (f["t_peak"] > qrs_end) & (f["t_peak"] < next_r)
        f["t_peak"][~t_peak_ok] = np.nan
        t_on_ok = (f["t_on"] >= qrs_end) & (f["t_on"] < f["t_peak"])
        t_off_ok = (f["t_peak"] < f["t_off"]) & (f["t_off"] < next_r)
        f["t_on"][~t_on_ok] = np.nan
        f["t_off"][~t_off_ok] = np.nan
    return f


def _mean(x: np.ndarray, a: float, b: float) -> float:
    a_i, b_i = int(round(a)), int(round(b))
    if a_i < 0 or b_i > len(x) or b_i <= a_i:
        return float("nan")
    return float(np.mean(x[a_i:b_i]))


def _at(x: np.ndarray, i: float) -> float:
    if np.isnan(i):
        return float("nan")
    k = int(round(i))
    return float(x[k]) if 0 <= k < len(x) else float("nan")


def _amplitudes(x: np.ndarray, f: dict[str, np.ndarray], r: np.ndarray, fs: float) -> dict[str, np.ndarray]:
    """Amplitudes (mV) of each beat relative to its isoelectric baseline (PR segment)."""
    ms = fs / 1000.0
    names = ("baseline", "p", "qrs_max", "qrs_min", "qrs_pp", "qrs_net", "t", "st_level", "st_change")
    out = {k: np.full(len(r), np.nan) for k in names}
    for i, rp in enumerate(r):
        on, off = f["qrs_on"][i], f["qrs_off"][i]
        p_off = f["p_off"][i]
        if not np.isnan(p_off) and not np.isnan(on) and on - p_off >= 2:
            base = _mean(x, p_off, on)
        elif not np.isnan(on):
            base = _mean(x, on - 20 * ms, on - 4 * ms)
        else:
            base = _mean(x, rp - 90 * ms, rp - 70 * ms)
        if np.isnan(base):
            continue
        out["baseline"][i] = base
        a = on if not np.isnan(on) else rp - 50 * ms
        b = off if not np.isnan(off) else rp + 50 * ms
        a_i, b_i = max(0, int(round(a))), min(len(x), int(round(b)) + 1)
        if b_i - a_i >= 2:
            seg = x[a_i:b_i] - base
            out["qrs_max"][i] = max(float(seg.max()), 0.0)
            out["qrs_min"][i] = min(float(seg.min()), 0.0)
            out["qrs_pp"][i] = out["qrs_max"][i] - out["qrs_min"][i]
            out["qrs_net"][i] = out["qrs_max"][i] + out["qrs_min"][i]
        out["p"][i] = _at(x, f["p_peak"][i]) - base
        out["t"][i] = _at(x, f["t_peak"][i]) - base
        if not np.isnan(off):
            out["st_level"][i] = _at(x, off + 60 * ms) - base
            out["st_change"][i] = _at(x, off + 80 * ms) - _at(x, off + 20 * ms)
    return out


def delineate_lead(lead: str, x: np.ndarray, r_peaks: np.ndarray, fs: float) -> LeadBeats:
    """Delineate one cleaned lead at the shared beats; failures are recorded, not raised."""
    beats = LeadBeats(lead=lead, fs=fs, r_peaks=r_peaks)
    nan = np.full(len(r_peaks), np.nan)
    try:
        if float(np.ptp(x)) < 1e-3:
            raise ValueError("flat signal (peak-to-peak < 1 uV)")
        inverted = _polarity_inverted(x, r_peaks, fs)
        xd = -x if inverted else x
        own_r = _local_extrema(xd, r_peaks, fs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fid = _delineate(xd, own_r, fs)
        fid = _validate(fid, own_r.astype(float), fs, len(x))
        beats.inverted = inverted
        beats.fiducials = fid
        beats.amplitudes = _amplitudes(x, fid, own_r.astype(float), fs)
    except Exception as exc:  # NeuroKit2 raises many kinds of errors on hard signals
        beats.error = f"{type(exc).__name__}: {exc}"
        beats.fiducials = {k: nan.copy() for k in _WAVE_KEYS}
        beats.amplitudes = {
            k: nan.copy()
            for k in ("baseline", "p", "qrs_max", "qrs_min", "qrs_pp", "qrs_net", "t", "st_level", "st_change")
        }
    return beats


def delineate(ecg: ECG, max_seconds: float | None = 10.0, leads: tuple[str, ...] | None = None) -> Beats:
    """Delineate every lead (or ``leads``) of the first ``max_seconds`` of a record."""
    part = ecg.crop(max_seconds) if max_seconds else ecg
    part = resample(part, ANALYSIS_FS)
    fs = part.fs
    wanted = [lead for lead in (leads or part.leads)]
    missing = [lead for lead in wanted if lead not in part.leads]
    if missing:
        raise KeyError(f"ECG {ecg.record_id} has no leads {missing}; it has {list(part.leads)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cleaned = {lead: _clean(part.lead(lead), fs) for lead in wanted}
    r_peaks, ref = detect_r_peaks(cleaned, fs)
    per_lead = {lead: delineate_lead(lead, cleaned[lead], r_peaks, fs) for lead in wanted}
    return Beats(
        record_id=ecg.record_id,
        fs=fs,
        r_peaks=r_peaks,
        reference_lead=ref,
        leads=per_lead,
        duration_s=part.duration_s,
    )


# -- persistence: the delineation is what the disk cache stores ---------------------------

VERSION = "1"


def _list(a: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=float)]


def _arr(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def beats_to_dict(beats: Beats) -> dict:
    return {
        "record_id": beats.record_id,
        "fs": beats.fs,
        "r_peaks": [int(r) for r in beats.r_peaks],
        "reference_lead": beats.reference_lead,
        "duration_s": beats.duration_s,
        "leads": {
            name: {
                "fiducials": {k: _list(v) for k, v in lb.fiducials.items()},
                "amplitudes": {k: _list(v) for k, v in lb.amplitudes.items()},
                "inverted": lb.inverted,
                "error": lb.error,
            }
            for name, lb in beats.leads.items()
        },
    }


def beats_from_dict(data: dict) -> Beats:
    r = np.asarray(data["r_peaks"], dtype=int)
    fs = float(data["fs"])
    leads = {
        name: LeadBeats(
            lead=name,
            fs=fs,
            r_peaks=r,
            fiducials={k: _arr(v) for k, v in d["fiducials"].items()},
            amplitudes={k: _arr(v) for k, v in d["amplitudes"].items()},
            inverted=bool(d["inverted"]),
            error=d["error"],
        )
        for name, d in data["leads"].items()
    }
    return Beats(
        record_id=data["record_id"],
        fs=fs,
        r_peaks=r,
        reference_lead=data["reference_lead"],
        leads=leads,
        duration_s=float(data["duration_s"]),
    )


def delineate_cached(
    ecg: ECG, max_seconds: float | None = 10.0, leads: tuple[str, ...] | None = None, cache_dir=None
) -> Beats:
    """:func:`delineate`, stored on disk keyed by the signal's sha256 and the parameters."""
    import json

    from harness.ecg.cache import cache_key, get_cache

    params = {"max_seconds": max_seconds, "leads": list(leads) if leads else None, "fs": ANALYSIS_FS}
    key = cache_key(ecg.fingerprint(), "delineation", params, VERSION)

    def compute() -> bytes:
        return json.dumps(beats_to_dict(delineate(ecg, max_seconds=max_seconds, leads=leads))).encode()

    beats = beats_from_dict(json.loads(get_cache(cache_dir).get_or_compute("delineation", key, compute)))
    beats.record_id = ecg.record_id
    return beats
