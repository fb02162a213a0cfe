"""One ECG recording in memory, and reading it from WFDB files.

Every benchmark feeds the same object to every modality, so the layout is fixed here once:
a float32 array ``[n_samples, n_leads]`` in millivolts, the standard 12 leads first in the
order I, II, III, aVR, aVL, aVF, V1-V6 (any other channels, e.g. Frank leads, follow in file
order), lead names spelled the standard way whatever case the header used.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

STANDARD_LEADS: tuple[str, ...] = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
_CANONICAL = {name.lower(): name for name in STANDARD_LEADS}
# Unit strings seen in WFDB headers, as a factor to millivolts.
_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3, "nu": 1.0, "": 1.0}


class ECGRecordError(Exception):
    """A record cannot be used: the message names the path and what is wrong."""


class ECGRecordNotFound(ECGRecordError, FileNotFoundError):
    """The header or a signal file of a record is absent."""


def canonical_lead(name: str) -> str:
    """``'avr'``/``'AVR'`` -> ``'aVR'``, ``'v1'`` -> ``'V1'``, ``'ii'`` -> ``'II'``; others unchanged."""
    stripped = name.strip()
    return _CANONICAL.get(stripped.lower(), stripped)


@dataclass(frozen=True, eq=False)
class ECG:
    """A multi-lead ECG. ``signal`` is float32 ``[n_samples, n_leads]`` in mV."""

    signal: np.ndarray
    fs: float
    leads: tuple[str, ...]
    record_id: str
    age: float | None = None
    sex: str | None = None  # "male" / "female" / None
    dx: tuple[str, ...] = ()  # diagnosis codes from the header (SNOMED-CT in CinC headers)
    metadata: dict[str, str] = field(default_factory=dict)  # every "key: value" header comment
    source: str | None = None  # path the record was read from (without extension)

    def __post_init__(self) -> None:
        sig = np.asarray(self.signal)
        if sig.ndim != 2:
            raise ValueError(f"ECG {self.record_id}: signal must be 2-D [n_samples, n_leads], got shape {sig.shape}")
        if sig.shape[1] != len(self.leads):
            raise ValueError(f"ECG {self.record_id}: {sig.shape[1]} signal columns but {len(self.leads)} lead names")
        if self.fs <= 0:
            raise ValueError(f"ECG {self.record_id}: sampling rate must be positive, got {self.fs}")
        object.__setattr__(self, "signal", np.ascontiguousarray(sig, dtype=np.float32))
        object.__setattr__(self, "leads", tuple(self.leads))

    @property
    def n_samples(self) -> int:
        return int(self.signal.shape[0])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    def has_lead(self, name: str) -> bool:
        return canonical_lead(name) in self.leads

    def lead(self, name: str) -> np.ndarray:
        """One lead's samples (a view); a clear KeyError if the record lacks it."""
        wanted = canonical_lead(name)
        try:
            return self.signal[:, self.leads.index(wanted)]
        except ValueError:
            raise KeyError(f"ECG {self.record_id} has no lead {wanted!r}; it has {list(self.leads)}") from None

    def crop(self, seconds: float, start_s: float = 0.0) -> ECG:
        """The part ``[start_s, start_s + seconds)``; shorter records are returned whole from ``start_s``."""
        a = max(0, int(round(start_s * self.fs)))
        b = min(self.n_samples, a + int(round(seconds * self.fs)))
        return replace(self, signal=self.signal[a:b])

    def fingerprint(self) -> str:
        """sha256 of the samples, rate and lead names: the cache key of everything derived from them."""
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.signal, dtype="<f4").tobytes())
        h.update(f"|{self.fs!r}|{','.join(self.leads)}|{self.signal.shape}".encode())
        return h.hexdigest()


def _parse_comments(comments: list[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for line in comments:
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta.setdefault(key.strip().lower(), value.strip())
    return meta


def _parse_age(value: str | None) -> float | None:
    if value is None:
        return None
    match = re.match(r"^\s*(\d+(?:\.\d+)?)", value)
    return float(match.group(1)) if match else None


def _parse_sex(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().lower()
    if v in {"m", "male", "0"}:
        return "male"
    if v in {"f", "female", "1"}:
        return "female"
    return None


def _parse_dx(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(code.strip() for code in value.split(",") if code.strip() and code.strip().lower() != "unknown")


def _standard_order(leads: list[str]) -> list[int]:
    """Column order: the standard 12 (those present) first, then the rest as in the file."""
    first = [leads.index(name) for name in STANDARD_LEADS if name in leads]
    return first + [i for i in range(len(leads)) if i not in first]


def read_record(path: str | Path) -> ECG:
    """Read a WFDB record (``.hea`` + ``.dat``/``.mat``) given its path without extension."""
    import wfdb  # lazy: keeps `python -m harness --help` fast

    base = Path(path)
    if base.suffix in {".hea", ".dat", ".mat"}:
        base = base.with_suffix("")
    header = base.with_name(base.name + ".hea")
    if not header.is_file():
        raise ECGRecordNotFound(f"ECG record {base}: header file {header} not found")
    try:
        rec = wfdb.rdrecord(str(base), physical=True)
    except FileNotFoundError as exc:
        raise ECGRecordNotFound(f"ECG record {base}: a signal file is missing ({exc})") from None
    except Exception as exc:  # wfdb raises ValueError/IndexError/struct errors on corrupt files
        raise ECGRecordError(f"ECG record {base}: cannot be read by wfdb: {type(exc).__name__}: {exc}") from None
    if rec.p_signal is None or rec.p_signal.ndim != 2 or rec.p_signal.shape[0] == 0:
        raise ECGRecordError(f"ECG record {base}: no samples in the signal file")

    names = [canonical_lead(n) for n in (rec.sig_name or [])]
    if len(set(names)) != len(names):
        raise ECGRecordError(f"ECG record {base}: duplicate lead names {names}")
    signal = np.asarray(rec.p_signal, dtype=np.float64)
    units = rec.units or [""] * len(names)
    for i, unit in enumerate(units):
        factor = _TO_MV.get((unit or "").strip().lower())
        if factor is None:
            raise ECGRecordError(f"ECG record {base}: lead {names[i]} has unknown unit {unit!r}")
        if factor != 1.0:
            signal[:, i] *= factor
    order = _standard_order(names)
    signal = signal[:, order]
    names = [names[i] for i in order]
    if not np.all(np.isfinite(signal)):
        # WFDB marks absent samples as NaN; a flat 0 would be read as a real isoelectric line.
        bad = sorted({names[j] for j in np.where(~np.isfinite(signal))[1]})
        raise ECGRecordError(f"ECG record {base}: missing (NaN) samples in leads {bad}")

    meta = _parse_comments(list(rec.comments or []))
    return ECG(
        signal=signal.astype(np.float32),
        fs=float(rec.fs),
        leads=tuple(names),
        record_id=base.name,
        age=_parse_age(meta.get("age")),
        sex=_parse_sex(meta.get("sex")),
        dx=_parse_dx(meta.get("dx")),
        metadata=meta,
        source=str(base),
    )


def to_dict(ecg: ECG) -> dict[str, Any]:
    """A JSON-able summary (no samples) for logs and ``samples.jsonl``."""
    return {
        "record_id": ecg.record_id,
        "fs": ecg.fs,
        "leads": list(ecg.leads),
        "n_samples": ecg.n_samples,
        "duration_s": round(ecg.duration_s, 3),
        "age": ecg.age,
        "sex": ecg.sex,
        "dx": list(ecg.dx),
        "source": ecg.source,
    }
