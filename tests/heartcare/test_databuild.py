"""The data engine on the real label table and the real records HR06000-HR06009."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from harness.databuild.heartcare import (
    AXIS_OPTIONS,
    NORMAL_PHRASES,
    THRESHOLD,
    _as_dict,
    answer_label,
    build,
    check_splits,
    parse_ids,
    row_ref,
)
from harness.errors import DataError, HarnessError
from harness.plugins.loaders.heartcare import parse_options

IDS = list(range(6000, 6010))  # as in conftest.py


def _items(root: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (root / "heartcare_built" / f"{name}.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def labels(data_dir: Path) -> dict[str, dict]:
    table = pd.read_parquet(data_dir / "heartcare_bench" / "meta" / "full_data.parquet")
    rows = table[table.filename_hr.isin([f"records500/06000/{i:05d}_hr" for i in IDS])]
    return {
        row_ref(r.filename_hr)[0]: {
            "diagnosis": _as_dict(r.diagnostic, where=""),
            "waveform": _as_dict(r.form, where=""),
            "rhythm": _as_dict(r.rhythm, where=""),
            "fold": int(r.strat_fold),
            "age": r.age,
            "sex": r.sex,
        }
        for r in rows.itertuples()
    }


def test_one_item_per_record_and_dimension(built_data_dir):
    manifest = json.loads((built_data_dir / "heartcare_built" / "manifest.json").read_text())
    assert sorted(manifest["records"]) == [f"ptbxl_img/{i:05d}" for i in IDS]
    assert manifest["absent_records"] == []
    for name in (
        "closedqa_diagnosis",
        "closedqa_waveform",
        "closedqa_rhythm",
        "closedqa_misc",
        "openqa_diagnosis",
        "report",
        "signal_prediction",
    ):
        assert len(_items(built_data_dir, name)) == 10, name


@pytest.mark.parametrize("dim", ["diagnosis", "waveform", "rhythm"])
def test_closed_qa_follows_the_label_rules(built_data_dir, labels, dim):
    for item in _items(built_data_dir, f"closedqa_{dim}"):
        truth = labels[item["filename"][0]]
        expected = answer_label(truth[dim])
        answer_text = item["options"][item["answer_letter"]]
        assert item["answer"] == f"{item['answer_letter']}: {answer_text}"
        if expected is None:  # nothing >= 60: a Normal phrasing is the answer
            assert answer_text in NORMAL_PHRASES
        else:
            assert answer_text.lower() == expected.lower() and truth[dim][expected] >= THRESHOLD
        # distractors never name a label the ECG carries (any dimension, any likelihood)
        carried = {k.lower() for d in ("diagnosis", "waveform", "rhythm") for k in truth[d]}
        for letter, text in item["options"].items():
            if letter != item["answer_letter"]:
                assert text.lower() not in carried and text.lower() != answer_text.lower()
        assert len(set(item["options"].values())) == 4
        # the options are in the question, readable by the published-file parser; age and sex are mentioned
        assert parse_options(item["question"]) == item["options"]
        assert f"{int(truth['age'])}-year-old" in item["question"] and truth["sex"] in item["question"]


def test_known_labels_of_the_real_records(built_data_dir):
    by_record = {i["filename"][0]: i for i in _items(built_data_dir, "closedqa_diagnosis")}
    a = by_record["ptbxl_img/06001"]
    assert a["options"][a["answer_letter"]] == "Non-specific ST changes"
    b = by_record["ptbxl_img/06002"]
    assert b["options"][b["answer_letter"]] == "Incomplete right bundle branch block"
    opened = {i["filename"][0]: i["answer"] for i in _items(built_data_dir, "openqa_diagnosis")}
    assert (
        opened["ptbxl_img/06002"] == "Incomplete right bundle branch block"
        and opened["ptbxl_img/06000"] in NORMAL_PHRASES
    )


def test_answer_position_is_randomised_and_seeded(built_data_dir, tmp_path, data_dir):
    letters = [
        i["answer_letter"] for n in ("diagnosis", "waveform", "rhythm") for i in _items(built_data_dir, f"closedqa_{n}")
    ]
    assert len(set(letters)) >= 3  # not always the same position
    meta = data_dir / "heartcare_bench" / "meta"
    again = build(
        labels_path=meta / "full_data.parquet",
        classes_path=meta / "class.json",
        out_dir=tmp_path / "a",
        data_dir=built_data_dir,
        ids=IDS[:4],
        seed=0,
    )
    other = build(
        labels_path=meta / "full_data.parquet",
        classes_path=meta / "class.json",
        out_dir=tmp_path / "b",
        data_dir=built_data_dir,
        ids=IDS[:4],
        seed=1,
    )
    assert again["files"] == other["files"]
    first = {i["id"]: i for i in _items(built_data_dir, "closedqa_diagnosis")}
    same = [json.loads(x) for x in (tmp_path / "a" / "closedqa_diagnosis.jsonl").read_text().splitlines()]
    assert all(first[i["id"]] == i for i in same)  # same seed, same items
    changed = [json.loads(x) for x in (tmp_path / "b" / "closedqa_diagnosis.jsonl").read_text().splitlines()]
    assert [i["question"] for i in changed] != [i["question"] for i in same]


def test_patient_level_split(built_data_dir, labels):
    items = [
        i
        for name in ("closedqa_diagnosis", "comparisonqa", "report", "signal_prediction")
        for i in _items(built_data_dir, name)
    ]
    check_splits(items)  # raises on a leak
    for item in _items(built_data_dir, "report"):
        fold = labels[item["filename"][0]]["fold"]
        assert item["split"] == ("test" if fold == 10 else "val" if fold == 9 else "train")
    for pair in _items(built_data_dir, "comparisonqa"):
        assert len({labels[f]["fold"] == 10 for f in pair["filename"]}) == 1  # both ECGs of a pair in one split
    leak = [
        {"id": "x", "filename": ["r1"], "split": "train", "split_unit": "p1"},
        {"id": "y", "filename": ["r1"], "split": "test", "split_unit": "p2"},
    ]
    with pytest.raises(HarnessError, match="split leak: r1"):
        check_splits(leak)


def test_comparison_answers_follow_the_labels(built_data_dir):
    items = _items(built_data_dir, "comparisonqa")
    assert items
    for item in items:
        prev, recent = item["present"]["previous"], item["present"]["recent"]
        q = item["question"]
        yes = (
            (prev and not recent)
            if "eliminated" in q
            else (prev and recent)
            if "still indicate" in q
            else (not prev and not recent)
            if "still not detected" in q
            else (not prev and recent)
        )
        assert item["options"][item["answer_letter"]] == ("Yes" if yes else "No")


def test_misc_axis_is_measured_from_the_signal(built_data_dir):
    for item in _items(built_data_dir, "closedqa_misc"):
        angle = item["qrs_axis_deg"]
        expected = (
            AXIS_OPTIONS[0]
            if -30 <= angle <= 90
            else AXIS_OPTIONS[1]
            if -90 <= angle < -30
            else AXIS_OPTIONS[2]
            if 90 < angle <= 180
            else AXIS_OPTIONS[3]
        )
        assert item["options"][item["answer_letter"]] == expected
    angles = [i["qrs_axis_deg"] for i in _items(built_data_dir, "closedqa_misc")]
    assert sum(-30 <= a <= 90 for a in angles) >= 7  # mostly normal axes in these mostly normal ECGs


def test_report_mentions_likelihoods(built_data_dir):
    reports = {i["filename"][0]: i["answer"] for i in _items(built_data_dir, "report")}
    assert "Incomplete right bundle branch block (highly likely)" in reports["ptbxl_img/06002"]
    assert "within normal limits" in reports["ptbxl_img/06000"]


def test_absent_records_are_listed(built_data_dir, data_dir, tmp_path):
    meta = data_dir / "heartcare_bench" / "meta"
    manifest = build(
        labels_path=meta / "full_data.parquet",
        classes_path=meta / "class.json",
        out_dir=tmp_path / "o",
        data_dir=built_data_dir,
        ids=[6008, 6009, 6010, 6011],
        seed=0,
    )
    assert manifest["absent_records"] == ["ptbxl_img/06010", "ptbxl_img/06011"]
    assert sorted(manifest["records"]) == ["ptbxl_img/06008", "ptbxl_img/06009"]
    with pytest.raises(DataError, match="no label row"):
        build(
            labels_path=meta / "full_data.parquet",
            classes_path=meta / "class.json",
            out_dir=tmp_path / "p",
            data_dir=built_data_dir,
            ids=[99999],
            seed=0,
        )


def test_parse_ids():
    assert parse_ids("6000-6002,6010") == [6000, 6001, 6002, 6010]


def test_build_command(built_data_dir, tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "build",
            "heartcare",
            "--out",
            str(out),
            "--ids",
            "6000-6003",
            "--data-dir",
            str(built_data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "closedqa_diagnosis 4" in proc.stdout and (out / "manifest.json").is_file()
    bad = subprocess.run(
        [sys.executable, "-m", "harness", "build", "heartcar"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "did you mean: heartcare" in bad.stderr


def test_axis_gold_is_what_the_features_modality_prints(built_data_dir):
    """One axis algorithm: the gold of each axis question equals the axis the ``features`` modality
    shows for the same record, loaded as the task loads it (its ``ecg:`` block)."""
    import re

    import yaml

    from harness.ecg.modalities.features import features_text
    from harness.ecg.task_input import load_ecg

    task = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "tasks" / "heartcare_bench" / "heartcare_closedqa_misc.yaml").read_text()
    )
    spec = task["ecg"]  # the whole block, as a run of the task reads it
    items = _items(built_data_dir, "closedqa_misc")
    assert len(items) >= 8
    for item in items:
        ref = item["filename"][0] if isinstance(item["filename"], list) else item["filename"]
        shown = features_text(load_ecg(ref, spec, built_data_dir, sample=str(item.get("id", ref))))
        printed = float(re.search(r"QRS axis: (-?\d+) degrees", shown).group(1))
        assert item["qrs_axis_deg"] == printed, (ref, shown)
