"""Signal preprocessing shared by every modality: resampling and (optional) cleaning.

HeartAgent standardises all inputs to 12 leads at 250 Hz and cleans them with NeuroKit2
before anything else sees them; these two functions are that step, kept separate so a task
can choose each (``resample`` is cheap and exact to reproduce, ``clean`` changes the waveform).
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from harness.ecg.record import ECG

HEARTAGENT_FS = 250.0


def resample(ecg: ECG, fs: float = HEARTAGENT_FS) -> ECG:
    """Polyphase resampling (scipy ``resample_poly``, anti-aliased) to ``fs`` Hz.

    The output has ``round(n_samples * fs / ecg.fs)`` samples. Same rate: the record is returned as is.
    """
    from scipy.signal import resample_poly

    if fs <= 0:
        raise ValueError(f"ECG {ecg.record_id}: target sampling rate must be positive, got {fs}")
    if float(fs) == float(ecg.fs):
        return ecg
    ratio = Fraction(str(float(fs))) / Fraction(str(float(ecg.fs)))
    ratio = ratio.limit_denominator(1000)
    up, down = ratio.numerator, ratio.denominator
    out = resample_poly(ecg.signal.astype(np.float64), up, down, axis=0)
    expected = int(round(ecg.n_samples * fs / ecg.fs))
    out = out[:expected]
    return replace(ecg, signal=out.astype(np.float32), fs=float(fs))


def clean(ecg: ECG, method: str = "neurokit") -> ECG:
    """NeuroKit2 ``ecg_clean`` on every lead (0.5 Hz high-pass + powerline filter for 'neurokit')."""
    import warnings

    import neurokit2 as nk

    cols = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(ecg.signal.shape[1]):
            cols.append(
                np.asarray(
                    nk.ecg_clean(ecg.signal[:, i].astype(np.float64), sampling_rate=int(round(ecg.fs)), method=method)
                )
            )
    return replace(ecg, signal=np.stack(cols, axis=1).astype(np.float32))
