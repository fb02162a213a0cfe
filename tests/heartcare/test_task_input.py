"""The ECG seam of a task: resolving records, presenting them, and reporting absent ones."""

from __future__ import annotations

import json

import pytest

from harness.ecg.task_input import (
    ECGRecordAbsent,
    ecg_parts,
    load_ecg,
    locate,
    record_modalities,
    record_refs,
    with_present_records,
)
from harness.errors import DataError
from harness.plugins.loaders.heartcare import load_heartcare_json, parse_options
from harness.task.dataset import Doc

SPEC = {"record": "filename", "modalities": ["image", "signal_text", "features"], "fs": 250}
PUBLISHED = "heartcare_bench/samples/DiagnosisClosedQA.first132.json"


def test_published_reference_resolves_to_the_cinc_copy(data_dir):
    path = locate("ptbxl_img/06003", SPEC, data_dir, sample="s1")
    assert path == data_dir / "ecg_signals" / "cinc2021" / "HR06003"
    ecg = load_ecg("ptbxl_img/06003", SPEC, data_dir, sample="s1")
    assert ecg.fs == 250 and ecg.signal.shape == (2500, 12)  # 10 s at 500 Hz, resampled to HeartAgent's 250 Hz


def test_absent_record_error_names_sample_and_folders(data_dir):
    with pytest.raises(ECGRecordAbsent) as err:
        locate("ptbxl_img/04332", SPEC, data_dir, sample="0:ptbxl_img/04332")
    text = str(err.value)
    assert "sample 0:ptbxl_img/04332" in text and "'ptbxl_img/04332' not found" in text
    assert str(data_dir / "ecg_signals" / "cinc2021") in text
    with pytest.raises(ECGRecordAbsent, match="no data directory is set"):
        locate("ptbxl_img/06000", SPEC, None, sample="x")


def test_published_file_every_record_is_reported_absent(data_dir):
    docs = (Doc(r["sample_id"], r) for r in load_heartcare_json(data_dir / PUBLISHED, {}))
    absent: dict[str, list[str]] = {}
    kept = list(with_present_records(docs, SPEC, data_dir=data_dir, absent=absent))
    assert kept == [] and len(absent) == 132  # only PTB-XL 6000-6009 exist locally; the sample uses none of them
    assert absent["0:ptbxl_img/04332"] == ["ptbxl_img/04332"]


def test_mixed_records_keep_the_present_ones(data_dir):
    docs = [
        Doc("a", {"filename": ["ptbxl_img/06000"]}),
        Doc("b", {"filename": ["ptbxl_img/04332"]}),
        Doc("c", {"filename": ["ptbxl_img/06001", "ptbxl_img/99999"]}),
        Doc("d", {"filename": ["ptbxl_img/06001", "ptbxl_img/06002"]}),
    ]
    absent: dict[str, list[str]] = {}
    kept = [d.id for d in with_present_records(iter(docs), SPEC, data_dir=data_dir, absent=absent)]
    assert kept == ["a", "d"] and absent == {"b": ["ptbxl_img/04332"], "c": ["ptbxl_img/99999"]}


def test_published_loader_reads_options_and_answer_letter(data_dir):
    records = list(load_heartcare_json(data_dir / PUBLISHED, {}))
    first = records[0]
    assert first["answer_letter"] == "C" and first["options"]["C"] == "Non-diagnostic T abnormalities"
    assert all(r["options"][r["answer_letter"]] == r["answer"].split(":", 1)[1].strip() for r in records)
    assert parse_options("What is it?") is None


def test_loader_error_names_the_record(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [{"question": "Which? no options here", "answer": "B: Sinus rhythm", "filename": ["ptbxl_img/00001"]}]
        )
    )
    with pytest.raises(DataError, match=r"record 0 \(0:ptbxl_img/00001\).*names option B"):
        list(load_heartcare_json(bad, {}))


def test_modalities_per_record():
    assert record_modalities("image", 2, sample="s") == ["image", "image"]
    assert record_modalities("signal_text+image", 2, sample="s") == ["signal_text", "image"]
    with pytest.raises(DataError, match="names 2 modalities but the sample has 1 records"):
        record_modalities("signal_text+image", 1, sample="s")


def test_record_refs_errors():
    with pytest.raises(DataError, match="sample x: no field 'filename'"):
        record_refs(Doc("x", {}), SPEC)
    with pytest.raises(DataError, match="names no ECG record"):
        record_refs(Doc("x", {"filename": []}), SPEC)


def test_parts_for_each_modality_of_a_real_record(data_dir):
    doc = Doc("s", {"filename": ["ptbxl_img/06000"]})
    image = ecg_parts(doc, SPEC, "image", data_dir=data_dir)
    assert [p["type"] for p in image] == ["image_url"] and image[0]["image_url"]["url"].startswith(
        "data:image/png;base64,"
    )
    for modality in ("signal_text", "features"):
        parts = ecg_parts(doc, SPEC, modality, data_dir=data_dir)
        assert parts and all(p["type"] == "text" and p["text"].strip() for p in parts)
    pair = ecg_parts(
        Doc("p", {"filename": ["ptbxl_img/06000", "ptbxl_img/06001"]}),
        {**SPEC, "labels": ["Previous ECG", "Recent ECG"]},
        "signal_text+image",
        data_dir=data_dir,
    )
    assert pair[0] == {"type": "text", "text": "Previous ECG:"} and pair[-1]["type"] == "image_url"
    assert any(p.get("text") == "Recent ECG:" for p in pair)
    assert ecg_parts(doc, {**SPEC, "attach": False}, "signal_text", data_dir=data_dir) == []


def test_the_ecg_block_is_typed():
    from harness.ecg.task_input import EcgSettings
    from harness.errors import TaskFileError
    from harness.settings import validate_settings

    assert record_refs(Doc("x", {"f": "ptbxl_img/06000"}), {"record": "f"}) == ["ptbxl_img/06000"]
    with pytest.raises(TaskFileError, match=r"t.yaml: ecg.record_field: unknown key; did you mean 'record'\?"):
        validate_settings(EcgSettings, {"record_field": "f"}, where="t.yaml: ecg")
    with pytest.raises(TaskFileError, match=r"t.yaml: ecg.physionet.versoin: unknown key; did you mean 'version'\?"):
        validate_settings(EcgSettings, {"physionet": {"database": "ptb-xl", "versoin": "1"}}, where="t.yaml: ecg")
