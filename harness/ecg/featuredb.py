"""GEM-style machine measurements: 14 per-beat feature sequences for each of the 12 leads.

GEM (Lan et al., 2025, sec. 3.4) grounds its interpretations in "FeatureDB" features: for every
lead, a time-ordered sequence with one value per heartbeat of Heart Rate, RR Interval 1,
RR Interval 2, P Amplitude, P Duration, PR Interval, QRS Amplitude, QRS Duration, T Amplitude,
T Duration, ST Duration, ST Form, QT Interval and QTc Interval. The paper describes the output
as "a dictionary in which the keys represent feature names and the values correspond to their
respective feature values" and its generation prompt as "a time-ordered list of ECG features
computed for each heartbeat in every lead". FeatureDB itself is not public; this module computes
the same 14 sequences from NeuroKit2 delineation (:mod:`harness.ecg.delineation`).

Definitions where the paper gives none (documented choices, see docs/ecg.md):
- beats are the QRS complexes found on a reference lead, shared by all leads (beat k is the
  same heartbeat everywhere); RR Interval 1 = from the previous R peak to this one, RR Interval 2
  = from this R peak to the next; Heart Rate = 60000 / RR Interval 1; QTc = Bazett with RR 1;
- amplitudes are in mV from the beat's PR-segment baseline (P and T signed, QRS peak-to-peak);
- ST Duration = QRS offset (J point) to T onset; ST Form = ST level at J+60 ms (elevated >= 0.1
  mV, depressed <= -0.05 mV, else isoelectric) and slope from J+20 to J+80 ms (up/down-sloping
  beyond 0.05 mV, else horizontal), e.g. ``"isoelectric upsloping"``;
- a value NeuroKit2 could not delineate, or that fails the order/range checks, is ``null``;
  a lead whose delineation failed has every value ``null`` and its reason in ``failures``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.ecg.delineation import (
    ST_DEPRESSION_MV,
    ST_ELEVATION_MV,
    ST_SLOPE_MV,
    Beats,
    delineate_cached,
)
from harness.ecg.record import ECG, STANDARD_LEADS

VERSION = "1"

FEATURES: tuple[str, ...] = (
    "Heart Rate",
    "RR Interval 1",
    "RR Interval 2",
    "P Amplitude",
    "P Duration",
    "PR Interval",
    "QRS Amplitude",
    "QRS Duration",
    "T Amplitude",
    "T Duration",
    "ST Duration",
    "ST Form",
    "QT Interval",
    "QTc Interval",
)

UNITS: dict[str, str] = {
    "Heart Rate": "bpm",
    "RR Interval 1": "ms",
    "RR Interval 2": "ms",
    "P Amplitude": "mV",
    "P Duration": "ms",
    "PR Interval": "ms",
    "QRS Amplitude": "mV",
    "QRS Duration": "ms",
    "T Amplitude": "mV",
    "T Duration": "ms",
    "ST Duration": "ms",
    "ST Form": "",
    "QT Interval": "ms",
    "QTc Interval": "ms",
}

Value = float | str | None


@dataclass
class FeatureDB:
    """``features[lead][feature]`` is a list with one value per beat (``None`` = not measurable)."""

    record_id: str
    beat_times_s: list[float]
    features: dict[str, dict[str, list[Value]]]
    failures: dict[str, str] = field(default_factory=dict)  # lead -> why it has no features
    reference_lead: str = ""
    version: str = VERSION

    @property
    def n_beats(self) -> int:
        return len(self.beat_times_s)

    @property
    def leads(self) -> list[str]:
        return list(self.features)

    def sequence(self, lead: str, feature: str) -> list[Value]:
        try:
            return self.features[lead][feature]
        except KeyError:
            raise KeyError(
                f"FeatureDB {self.record_id}: no {feature!r} for lead {lead!r} "
                f"(leads {self.leads}, features {list(FEATURES)})"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "version": self.version,
            "reference_lead": self.reference_lead,
            "beat_times_s": self.beat_times_s,
            "features": self.features,
            "failures": self.failures,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureDB:
        return cls(
            record_id=data["record_id"],
            beat_times_s=list(data["beat_times_s"]),
            features=data["features"],
            failures=dict(data.get("failures", {})),
            reference_lead=data.get("reference_lead", ""),
            version=data.get("version", VERSION),
        )

    def to_text(self, style: str = "json", leads: list[str] | None = None) -> str:
        """The serialisation a model sees (the ``{{machine_measurements}}`` of GEM's prompt).

        ``style="json"``: a legend, then one JSON object ``{lead: {feature: [per-beat values]}}``
        (the paper's dictionary of feature sequences). ``style="beats"``: ``{lead: [{feature: value}
        per beat]}`` (the generation prompt's "each entry in the list corresponds to the features
        calculated for a single heartbeat"). ``style="lines"``: one ``Lead X | Feature: v1, v2, ...``
        line per lead and feature (fewest tokens).
        """
        chosen = leads or self.leads
        legend = legend_text(self)
        if style == "json":
            body = {lead: self.features[lead] for lead in chosen}
            return legend + "\n" + json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        if style == "beats":
            body_beats = {
                lead: [{feat: self.features[lead][feat][k] for feat in FEATURES} for k in range(self.n_beats)]
                for lead in chosen
            }
            return legend + "\n" + json.dumps(body_beats, separators=(",", ":"), ensure_ascii=False)
        if style == "lines":
            rows = [legend]
            for lead in chosen:
                if lead in self.failures:
                    rows.append(f"Lead {lead} | not measurable: {self.failures[lead]}")
                    continue
                for feat in FEATURES:
                    vals = ", ".join("null" if v is None else str(v) for v in self.features[lead][feat])
                    rows.append(f"Lead {lead} | {feat}: {vals}")
            return "\n".join(rows)
        raise ValueError(f"unknown FeatureDB text style {style!r}; use 'json', 'beats' or 'lines'")


def legend_text(db: FeatureDB) -> str:
    units = "; ".join(f"{f} {u}" for f, u in UNITS.items() if u)
    times = ", ".join(f"{t:.2f}" for t in db.beat_times_s)
    lines = [
        "Machine measurements: for each lead, a time-ordered list of feature values, one per heartbeat "
        f"(beat k is the k-th QRS complex; {db.n_beats} beats at {times} s); null = not measurable.",
        f"Units: {units}. RR Interval 1 = previous R to this R; RR Interval 2 = this R to next R; "
        "QTc = Bazett (QT / sqrt(RR Interval 1 in s)); amplitudes from the PR-segment baseline.",
        f"ST Form: ST level at J+60 ms (elevated >= {ST_ELEVATION_MV} mV, depressed <= {ST_DEPRESSION_MV} mV, "
        f"else isoelectric) and slope J+20 to J+80 ms (up/downsloping beyond {ST_SLOPE_MV} mV, else horizontal).",
    ]
    if db.failures:
        lines.append("Leads without measurements: " + "; ".join(f"{k} ({v})" for k, v in db.failures.items()))
    return "\n".join(lines)


def _num(value: float, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    rounded = round(float(value), digits)
    return int(rounded) if digits == 0 else rounded


def _st_form(level: float, change: float) -> str | None:
    if not (math.isfinite(level) and math.isfinite(change)):
        return None
    if level >= ST_ELEVATION_MV:
        lv = "elevated"
    elif level <= ST_DEPRESSION_MV:
        lv = "depressed"
    else:
        lv = "isoelectric"
    if change > ST_SLOPE_MV:
        sl = "upsloping"
    elif change < -ST_SLOPE_MV:
        sl = "downsloping"
    else:
        sl = "horizontal"
    return f"{lv} {sl}"


def from_beats(beats: Beats) -> FeatureDB:
    """Assemble the 14 sequences per lead from a record's delineation."""
    rr1, rr2 = beats.rr_ms()
    with np.errstate(divide="ignore", invalid="ignore"):
        hr = 60000.0 / rr1
    features: dict[str, dict[str, list[Value]]] = {}
    failures: dict[str, str] = {}
    for lead, lb in beats.leads.items():
        iv = lb.intervals_ms()
        amp = lb.amplitudes
        with np.errstate(divide="ignore", invalid="ignore"):
            qtc = iv["qt"] / np.sqrt(rr1 / 1000.0)
        cols: dict[str, Any] = {
            "Heart Rate": (hr, 0),
            "RR Interval 1": (rr1, 0),
            "RR Interval 2": (rr2, 0),
            "P Amplitude": (amp["p"], 3),
            "P Duration": (iv["p_duration"], 0),
            "PR Interval": (iv["pr"], 0),
            "QRS Amplitude": (amp["qrs_pp"], 3),
            "QRS Duration": (iv["qrs"], 0),
            "T Amplitude": (amp["t"], 3),
            "T Duration": (iv["t_duration"], 0),
            "ST Duration": (iv["st_duration"], 0),
            "QT Interval": (iv["qt"], 0),
            "QTc Interval": (qtc, 0),
        }
        seqs: dict[str, list[Value]] = {}
        for feat in FEATURES:
            if feat == "ST Form":
                seqs[feat] = [_st_form(a, b) for a, b in zip(amp["st_level"], amp["st_change"])]
            elif lb.error and feat in ("Heart Rate", "RR Interval 1", "RR Interval 2"):
                seqs[feat] = [None] * beats.n_beats  # a failed lead reports nothing, not even shared RR
            else:
                values, digits = cols[feat]
                seqs[feat] = [_num(v, digits) for v in values]
        features[lead] = seqs
        if lb.error:
            failures[lead] = lb.error
    return FeatureDB(
        record_id=beats.record_id,
        beat_times_s=[round(float(t), 3) for t in beats.beat_times_s()],
        features=features,
        failures=failures,
        reference_lead=beats.reference_lead,
    )


def extract(ecg: ECG, max_seconds: float | None = 10.0, cache_dir: Any = None) -> FeatureDB:
    """FeatureDB of the 12 standard leads of ``ecg`` (first ``max_seconds``); the delineation is cached.

    Leads the record lacks are listed in ``failures`` with all values ``None``.

    Raises :class:`~harness.ecg.delineation.DelineationError` if no heartbeat is found at all.
    """
    leads = tuple(lead for lead in STANDARD_LEADS if lead in ecg.leads)
    if not leads:
        raise KeyError(f"ECG {ecg.record_id} has none of the 12 standard leads (it has {list(ecg.leads)})")
    db = from_beats(delineate_cached(ecg, max_seconds=max_seconds, leads=leads, cache_dir=cache_dir))
    # Always the 12 leads, in order: a lead the record lacks is reported, with every value null.
    features: dict[str, dict[str, list[Value]]] = {}
    for lead in STANDARD_LEADS:
        if lead in db.features:
            features[lead] = db.features[lead]
        else:
            features[lead] = {feat: [None] * db.n_beats for feat in FEATURES}
            db.failures[lead] = "lead absent from the record"
    db.features = features
    return db
