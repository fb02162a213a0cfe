"""Machine measurements (features modality) and the GEM-style FeatureDB on real records."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from harness.ecg import STANDARD_LEADS, present, read_record
from harness.ecg.cache import get_cache
from harness.ecg.delineation import DelineationError, delineate_cached
from harness.ecg.featuredb import FEATURES, FeatureDB, extract, from_beats
from harness.ecg.measurements import measure, qrs_axis


@pytest.fixture(scope="module")
def measured(signals_dir: Path, ecg_cache: Path, measured_records: tuple[str, ...]) -> dict[str, tuple]:
    out = {}
    for rec in measured_records:
        ecg = read_record(signals_dir / rec)
        beats = delineate_cached(ecg, leads=tuple(STANDARD_LEADS), cache_dir=ecg_cache)
        out[rec] = (ecg, beats, measure(beats), from_beats(beats))
    return out


def test_global_measurements_are_physiological(measured) -> None:
    for rec, (_, _, m, _) in measured.items():
        assert 30 <= m.heart_rate_bpm <= 200, rec
        assert 40 <= m.qrs_ms <= 200, rec
        assert 250 <= m.qt_ms <= 600, rec
        if m.pr_ms is not None:
            assert 80 <= m.pr_ms <= 350, rec
        assert m.qrs_axis_deg is not None and -180 <= m.qrs_axis_deg <= 180
        assert set(m.leads) == set(STANDARD_LEADS) and not m.failed_leads, rec


def test_global_measurements_are_consistent(measured) -> None:
    for rec, (_, beats, m, _) in measured.items():
        assert m.heart_rate_bpm == pytest.approx(60000 / m.rr_ms, rel=1e-9), rec
        assert m.qtc_ms == pytest.approx(m.qt_ms / math.sqrt(m.rr_ms / 1000), rel=1e-9), rec
        assert m.rr_min_ms <= m.rr_ms <= m.rr_max_ms
        # the beat count matches the duration and rate (10 s analysed)
        assert abs(m.n_beats - beats.duration_s * m.heart_rate_bpm / 60) <= 2, rec
        assert m.qt_ms > m.qrs_ms


def test_measurements_know_the_records(measured) -> None:
    """Facts of these records that the header diagnoses state."""
    hr = {rec: m.heart_rate_bpm for rec, (_, _, m, _) in measured.items()}
    assert hr["cinc2021/HR06002"] < 60  # SNOMED 426177001 sinus bradycardia
    assert hr["cinc2021/HR06003"] > 100 and hr["cinc2021/E07501"] > 100  # 427084000 sinus tachycardia
    pr = measured["cinc2021/HR06002"][2].pr_ms
    assert pr > 200  # 713426002 ... with a first-degree AV block pattern in this record
    qtc = measured["cinc2021/E07504"][2].qtc_ms
    assert qtc > 450  # 111975006 prolonged QT interval
    # V1 has a mainly negative QRS, aVR always: they were delineated on the negated lead
    ecg, beats, m, _ = measured["cinc2021/HR06000"]
    assert beats.leads["aVR"].inverted
    assert m.leads["aVR"].qrs_net < 0 < m.leads["II"].qrs_net


def test_qrs_axis_from_limb_leads() -> None:
    # a pure vector at +60 degrees: I = cos 60, II = 1, III = cos 60, aVF = sqrt(3)/2 sin 60 ...
    theta = math.radians(60)
    net = {
        "I": math.cos(theta),
        "II": math.cos(theta - math.radians(60)),
        "III": math.cos(theta - math.radians(120)),
        "aVR": math.sqrt(3) / 2 * math.cos(theta - math.radians(-150)),
        "aVL": math.sqrt(3) / 2 * math.cos(theta - math.radians(-30)),
        "aVF": math.sqrt(3) / 2 * math.cos(theta - math.radians(90)),
    }
    assert qrs_axis(net) == pytest.approx(60)
    assert qrs_axis({"I": 1.0, "aVF": -math.sqrt(3) / 2}) == pytest.approx(-45)
    assert qrs_axis({"I": 1.0}) is None


def test_featuredb_shape_ranges_and_consistency(measured) -> None:
    for rec, (_, beats, _, db) in measured.items():
        assert db.leads == list(STANDARD_LEADS)
        for lead in STANDARD_LEADS:
            assert list(db.features[lead]) == list(FEATURES)
            for feat in FEATURES:
                assert len(db.sequence(lead, feat)) == db.n_beats == beats.n_beats
            seq = {
                f: np.array([np.nan if v is None else v for v in db.sequence(lead, f)], dtype=object) for f in FEATURES
            }
            num = {f: v.astype(float) for f, v in seq.items() if f != "ST Form"}
            rr1, rr2, hr = num["RR Interval 1"], num["RR Interval 2"], num["Heart Rate"]
            assert np.isnan(rr1[0]) and np.isnan(rr2[-1])
            assert np.allclose(rr1[1:], rr2[:-1], equal_nan=True)  # the same interval seen from both beats
            ok = ~np.isnan(rr1)
            assert np.all(np.abs(hr[ok] - 60000 / rr1[ok]) <= 0.5 + 1e-9), (rec, lead)
            ok = ~np.isnan(num["QT Interval"]) & ~np.isnan(rr1)
            # values are rounded to 1 ms, so allow rounding of QT and RR
            assert np.all(np.abs(num["QTc Interval"][ok] - num["QT Interval"][ok] / np.sqrt(rr1[ok] / 1000)) <= 1.5)
            for feat, (lo, hi) in {
                "P Duration": (20, 250),
                "PR Interval": (50, 450),
                "QRS Duration": (30, 250),
                "T Duration": (40, 450),
                "ST Duration": (0, 400),
                "QT Interval": (150, 750),
                "QRS Amplitude": (0.0, 10.0),
            }.items():
                v = num[feat][~np.isnan(num[feat])]
                assert np.all((v >= lo) & (v <= hi)), (rec, lead, feat, v)
            assert np.all(np.abs(num["P Amplitude"][~np.isnan(num["P Amplitude"])]) < 1.0)
            forms = {f for f in seq["ST Form"] if isinstance(f, str)}
            assert forms <= {
                f"{a} {b}"
                for a in ("elevated", "isoelectric", "depressed")
                for b in ("upsloping", "horizontal", "downsloping")
            }
        # most beats are measured in most leads: no record is "all null"
        filled = np.mean(
            [
                v is not None
                for lead in STANDARD_LEADS
                for f in ("QRS Duration", "QT Interval")
                for v in db.sequence(lead, f)
            ]
        )
        assert filled > 0.7, (rec, filled)
        # order of the fiducials: QRS on < QRS off < T end, so QT > QRS in every beat with both
        ii = db.features["II"]
        for qrs, qt in zip(ii["QRS Duration"], ii["QT Interval"]):
            if None not in (qrs, qt):
                assert qt > qrs


def test_featuredb_serialisation(measured) -> None:
    _, _, _, db = measured["cinc2021/HR06000"]
    text = db.to_text()
    legend, body = text.rsplit("\n", 1)
    parsed = json.loads(body)
    assert list(parsed) == list(STANDARD_LEADS)
    assert parsed["II"]["QT Interval"] == db.sequence("II", "QT Interval")
    assert "time-ordered" in legend and "null = not measurable" in legend and "Bazett" in legend
    beats = json.loads(db.to_text(style="beats").rsplit("\n", 1)[1])
    assert len(beats["V2"]) == db.n_beats
    assert [b["QRS Duration"] for b in beats["V2"]] == db.sequence("V2", "QRS Duration")
    assert list(beats["V2"][3]) == list(FEATURES)
    lines = db.to_text(style="lines")
    assert "Lead V6 | QTc Interval: " in lines
    assert lines.count("\n") == 3 - 1 + 12 * 14
    assert FeatureDB.from_dict(json.loads(json.dumps(db.to_dict()))).features == db.features
    with pytest.raises(ValueError, match="unknown FeatureDB text style"):
        db.to_text(style="xml")


def test_failed_lead_is_reported_not_invented(hr06000, tmp_path: Path) -> None:
    from dataclasses import replace

    sig = hr06000.signal.copy()
    sig[:, 8] = 0.0  # V3 flat: nothing to delineate
    broken = replace(hr06000, signal=sig)
    db = extract(broken, cache_dir=tmp_path)
    assert set(db.failures) == {"V3"} and "flat" in db.failures["V3"]
    assert all(v is None for f in FEATURES for v in db.sequence("V3", f))
    assert any(v is not None for v in db.sequence("V2", "QRS Duration"))
    assert "Leads without measurements: V3" in db.to_text()
    text = present(broken, "features", cache_dir=tmp_path)[0]["text"]
    assert "V3: not measurable (ValueError: flat signal" in text


def test_no_heartbeat_at_all(hr06000, tmp_path: Path) -> None:
    from dataclasses import replace

    flat = replace(hr06000, signal=np.zeros_like(hr06000.signal))
    with pytest.raises(DelineationError, match="no plausible heartbeat"):
        extract(flat, cache_dir=tmp_path)
    assert "not measurable for this recording" in present(flat, "features", cache_dir=tmp_path)[0]["text"]


def test_features_text_and_cache(signals_dir: Path, ecg_cache: Path, measured, monkeypatch) -> None:
    ecg, _, m, _ = measured["cinc2021/HR06000"]
    cache = get_cache(ecg_cache)
    hits = cache.hits
    text = present(ecg, "features", cache_dir=ecg_cache)[0]["text"]
    assert cache.hits == hits + 1  # the session fixture delineated it already
    assert f"Heart rate: {m.heart_rate_bpm:.0f} bpm" in text
    assert f"QTc (Bazett): {m.qtc_ms:.0f} ms" in text
    assert "QRS axis:" in text and "\nV6: P " in text
    import harness.ecg.delineation as dl

    monkeypatch.setattr(dl, "delineate", lambda *a, **k: (_ for _ in ()).throw(AssertionError("recomputed")))
    fdb = present(ecg, "featuredb", cache_dir=ecg_cache, style="lines")[0]["text"]
    assert "Lead II | Heart Rate:" in fdb


def test_absent_leads_are_reported_in_featuredb(signals_dir: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    ptb = read_record(signals_dir / "ptb_diagnostic" / "s0010_re")
    limb = replace(ptb, signal=ptb.signal[:, :6], leads=ptb.leads[:6])
    db = extract(limb, cache_dir=tmp_path)
    assert db.leads == list(STANDARD_LEADS)
    assert set(db.failures) == {"V1", "V2", "V3", "V4", "V5", "V6"}
    assert db.failures["V1"] == "lead absent from the record"
    assert all(v is None for v in db.sequence("V4", "QT Interval"))
    assert any(v is not None for v in db.sequence("II", "QT Interval"))
