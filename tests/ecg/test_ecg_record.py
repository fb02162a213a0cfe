"""Reading, resampling, cleaning and locating the real WFDB records."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.ecg import (
    STANDARD_LEADS,
    ECGRecordError,
    ECGRecordNotFound,
    canonical_lead,
    clean,
    locate_record,
    ptbxl_ecg_id,
    read_record,
    resample,
)


def test_all_indexed_records_load_as_indexed(signals_dir: Path, index_rows: list[dict[str, str]]) -> None:
    for row in index_rows:
        ecg = read_record(signals_dir / row["record"])
        n_sig, sig_len = int(row["n_sig"]), int(row["sig_len"])
        assert ecg.signal.shape == (sig_len, n_sig), row["record"]
        assert ecg.signal.dtype == np.float32
        assert ecg.fs == float(row["fs"])
        assert ecg.leads[:12] == STANDARD_LEADS, row["record"]
        assert np.isfinite(ecg.signal).all()
        # real ECGs in mV: QRS complexes of 0.2-5 mV, never volts or microvolts
        ptp = np.ptp(ecg.signal[:, 1])
        assert 0.2 < ptp < 10, (row["record"], ptp)
        if row["age"]:
            assert ecg.age == float(row["age"])
        if row["sex"]:
            assert ecg.sex == row["sex"].lower()
        assert list(ecg.dx) == [c for c in row["dx_snomed"].split(",") if c]


def test_specific_records(signals_dir: Path) -> None:
    hr = read_record(signals_dir / "cinc2021" / "HR06000")
    assert (hr.fs, hr.n_samples, hr.record_id) == (500.0, 5000, "HR06000")
    assert (hr.age, hr.sex, hr.dx) == (59.0, "female", ("164934002", "426783006"))
    georgia = read_record(signals_dir / "cinc2021" / "E07500")
    assert georgia.signal.shape == (5000, 12)
    ptb = read_record(signals_dir / "ptb_diagnostic" / "s0010_re")
    assert ptb.fs == 1000.0 and ptb.signal.shape == (38400, 15)
    assert ptb.leads[12:] == ("vx", "vy", "vz")  # Frank leads follow the standard 12, as in the file
    assert ptb.metadata["reason for admission"] == "Myocardial infarction"
    native = read_record(signals_dir / "ptbxl_native" / "00001_lr")
    assert native.fs == 100.0 and native.signal.shape == (1000, 12)
    assert native.leads == STANDARD_LEADS  # header spells them AVR/AVL/AVF
    # the same lead through both spellings of the accessor
    assert np.array_equal(native.lead("avr"), native.signal[:, 3])


def test_lead_order_is_standardised(signals_dir: Path, tmp_path: Path) -> None:
    """A header listing leads out of order and in lower case is reordered, not trusted."""
    src = signals_dir / "ptbxl_native" / "00001_lr"
    shutil.copy(src.with_suffix(".dat"), tmp_path / "00001_lr.dat")
    lines = (src.with_suffix(".hea")).read_text().splitlines()
    header, signals = lines[0], lines[1:13]
    shuffled = [signals[i] for i in (6, 0, 3, 1, 2, 4, 5, 7, 8, 9, 10, 11)]
    shuffled = [line.rsplit(" ", 1)[0] + " " + line.rsplit(" ", 1)[1].lower() for line in shuffled]
    (tmp_path / "00001_lr.hea").write_text("\n".join([header, *shuffled]) + "\n")
    ecg = read_record(tmp_path / "00001_lr")
    original = read_record(src)
    # header line k describes data channel k: naming channel 0 "v1" makes that column V1,
    # and the reader must move it to V1's slot (index 6) under its canonical name
    assert ecg.leads == STANDARD_LEADS
    assert np.array_equal(ecg.signal[:, 6], original.signal[:, 0])
    assert np.array_equal(ecg.lead("I"), original.signal[:, 1])


def test_canonical_lead_names() -> None:
    assert [canonical_lead(n) for n in ["i", "II", "avr", "AVL", "aVF", "v1", "V6 ", "vx"]] == [
        "I",
        "II",
        "aVR",
        "aVL",
        "aVF",
        "V1",
        "V6",
        "vx",
    ]


def test_missing_record_and_files_name_the_path(signals_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ECGRecordNotFound, match="nope.hea"):
        read_record(tmp_path / "nope")
    shutil.copy(signals_dir / "cinc2021" / "HR06000.hea", tmp_path / "HR06000.hea")
    with pytest.raises(ECGRecordNotFound, match=str(tmp_path / "HR06000")):
        read_record(tmp_path / "HR06000")  # header without its .mat
    (tmp_path / "HR06000.mat").write_bytes(b"\x00" * 10)
    with pytest.raises(ECGRecordError, match="HR06000"):
        read_record(tmp_path / "HR06000")  # truncated signal file


def test_resample_lengths_and_waveform(signals_dir: Path) -> None:
    hr = read_record(signals_dir / "cinc2021" / "HR06000")
    down = resample(hr, 250)
    assert down.fs == 250.0 and down.signal.shape == (2500, 12) and down.signal.dtype == np.float32
    up = resample(read_record(signals_dir / "ptbxl_native" / "00001_lr"), 250)
    assert up.signal.shape == (2500, 12)
    ptb = resample(read_record(signals_dir / "ptb_diagnostic" / "s0010_re"), 250)
    assert ptb.signal.shape == (9600, 15)
    odd = resample(hr, 360)
    assert odd.signal.shape == (3600, 12)
    # the waveform survives: every other sample of a 2x downsampling is close to the original
    lead = hr.lead("II")
    err = np.abs(down.lead("II")[10:-10] - lead[::2][10:-10])
    assert np.median(err) < 0.02 and np.corrcoef(down.lead("II"), lead[::2])[0, 1] > 0.98
    assert resample(hr, 500) is hr
    with pytest.raises(ValueError, match="positive"):
        resample(hr, 0)


def test_clean_removes_baseline(signals_dir: Path) -> None:
    hr = read_record(signals_dir / "cinc2021" / "HR06000")
    cleaned = clean(hr)
    assert cleaned.signal.shape == hr.signal.shape
    # V4 of this record drifts by ~0.3 mV (visible on the paper plot); cleaning removes the trend
    raw_trend = np.polyfit(np.arange(hr.n_samples), hr.lead("V4"), 1)[0] * hr.n_samples
    clean_trend = np.polyfit(np.arange(hr.n_samples), cleaned.lead("V4"), 1)[0] * hr.n_samples
    assert abs(clean_trend) < abs(raw_trend) / 3


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("ptbxl_img/06000", "ecg_signals/cinc2021/HR06000"),
        ("ptbxl_img/6003", "ecg_signals/cinc2021/HR06003"),
        (6009, "ecg_signals/cinc2021/HR06009"),
        ("HR06001", "ecg_signals/cinc2021/HR06001"),
        ("ptb-report-06002_hr-0", "ecg_signals/cinc2021/HR06002"),
        ("ptbxl_img/00001", "ecg_signals/ptbxl_native/00001_lr"),
        ("records100/00000/00001_lr", "ecg_signals/ptbxl_native/00001_lr"),
        ("cinc2021/E07500", "ecg_signals/cinc2021/E07500"),
        ("ptb_diagnostic/s0010_re", "ecg_signals/ptb_diagnostic/s0010_re"),
    ],
)
def test_locate_record(data_dir: Path, ref, expected: str) -> None:
    found = locate_record(data_dir, ref)
    assert found == data_dir / expected
    assert read_record(found).record_id == Path(expected).name


def test_locate_record_absent_and_native_layout(data_dir: Path, tmp_path: Path) -> None:
    assert locate_record(data_dir, "ptbxl_img/07190") is None
    assert locate_record(data_dir, "no/such/record") is None
    assert locate_record(data_dir, "../../etc/passwd") is None
    # native PTB-XL layout under <data>/ptbxl, 500 Hz preferred over 100 Hz
    src = data_dir / "ecg_signals" / "ptbxl_native" / "00001_lr"
    for sub, name in (("records100/00000", "00001_lr"), ("records500/00000", "00001_hr")):
        folder = tmp_path / "ptbxl" / sub
        folder.mkdir(parents=True)
        for ext in (".hea", ".dat"):
            shutil.copy(src.with_suffix(ext), folder / (name + ext))
    assert locate_record(tmp_path, "ptbxl_img/00001") == tmp_path / "ptbxl/records500/00000/00001_hr"
    assert locate_record(tmp_path, 1, roots=["ptbxl"]) == tmp_path / "ptbxl/records500/00000/00001_hr"
    assert locate_record(tmp_path, 1, roots=["elsewhere"]) is None
    assert ptbxl_ecg_id("ptbxl_img/06000") == 6000 and ptbxl_ecg_id("E07500") is None
