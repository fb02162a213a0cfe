"""The 12 ECG-Expert-QA tasks and their group: definitions, real files, user-supplied files, missing files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from harness.errors import DataError
from harness.hashing import sha256_file
from harness.registry import get_registry
from harness.task.index import TaskIndex
from harness.task.spec import GroupSpec, TaskSpec
from tests.ecg_expert_qa.helpers import (
    ALL_TASKS,
    FIXTURE_FILES,
    REAL_FILES,
    fixture,
    results,
    run,
    samples,
    user_data_dir,
)

UPSTREAM = "https://raw.githubusercontent.com/Zaozzz/ECG-Expert-QA/"


@pytest.fixture(scope="module")
def index() -> TaskIndex:
    return TaskIndex.scan(get_registry().task_dirs)


def test_group_lists_the_twelve_tasks_of_the_paper(index):
    group = index.load("ecg_expert_qa")
    assert isinstance(group, GroupSpec) and group.tasks == ALL_TASKS
    for name in ALL_TASKS:
        spec = index.load(name)
        assert isinstance(spec, TaskSpec) and spec.benchmark == "ECG-Expert-QA"
        assert [m.name for m in spec.metrics] == ["bleu_1", "rouge_l", "meteor"] and [j.name for j in spec.judges] == [
            "mms"
        ]
        assert spec.dataset.expected_schema


def test_urls_are_pinned_and_sha256_only_where_verified(index, data_dir):
    for name, file in {**REAL_FILES, **FIXTURE_FILES}.items():
        spec = index.load(name).dataset
        assert spec.path == f"ecg_expert_qa/{file}"
        if name == "ecgqa_mco":  # no upstream file at any commit
            assert spec.url is None and spec.sha256 is None
            continue
        assert re.fullmatch(re.escape(UPSTREAM) + r"[0-9a-f]{40}/" + re.escape(quote(file)), spec.url), spec.url
        if name in REAL_FILES:
            assert spec.sha256 == sha256_file(data_dir / "ecg_expert_qa" / file)
        else:
            assert spec.sha256 is None
    commits = json.loads((data_dir / "ecg_expert_qa" / "_TASK_INDEX.json").read_text())["tasks"]
    for entry in commits:
        name = f"ecgqa_{entry['task'].lower()}"
        if entry["added_in_commit"]:
            assert f"/{entry['added_in_commit']}/" in index.load(name).dataset.url


@pytest.mark.parametrize("task", list(REAL_FILES))
def test_real_files_end_to_end(task, data_dir, tmp_path):
    """CK, EBK, CD, PP on the real upstream files, through the data directory, with the retrieval baseline."""
    model = {"backend": "retrieval", "model": "tfidf-cosine-nn", "options": {}}
    run(task, tmp_path / "run", data_dir=data_dir, model=model, limit=12)
    res = results(tmp_path / "run" / "results.json")
    records = json.loads((data_dir / "ecg_expert_qa" / REAL_FILES[task]).read_text(encoding="utf-8"))
    assert res["task"]["data"]["n_records"] == len(records) and res["task"]["n_samples"] == 12
    for metric in ("bleu_1", "rouge_l", "meteor"):
        m = res["metrics"][metric]
        assert m["n_scored"] == 12 and m["n_unscored"] == 0 and 0.0 < m["value"] < 1.0
    lines = samples(tmp_path / "run" / "samples.jsonl")
    for line, record in zip(lines, records):
        assert line["reference"] == record["A"]
        prompt = line["messages"][-1]["content"]
        assert record["Q"] in prompt
        if task == "ecgqa_cd":
            assert record["Disease"] in prompt
        if task == "ecgqa_pp":
            assert record["medical_advice"] in prompt
        assert line["response"] != record["A"]  # the baseline never answers with the item's own reference


def test_group_on_the_shared_data_runs_four_and_explains_the_rest(data_dir, tmp_path):
    outcomes = run("ecg_expert_qa", tmp_path / "run", data_dir=data_dir, limit=2)
    ran = {o["task"] for o in outcomes if "results" in o}
    assert ran == set(REAL_FILES)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert [t["task"] for t in summary["tasks"]] == ALL_TASKS
    for outcome in summary["tasks"]:
        if outcome["task"] in ran:
            assert set(outcome["metrics"]) >= {"bleu_1", "rouge_l", "meteor"}
            continue
        reason = outcome["skipped"]
        file = FIXTURE_FILES[outcome["task"]]
        assert "data file not found" in reason and file in reason  # what is missing
        assert str(data_dir / "ecg_expert_qa" / file) in reason  # where it was looked for
        assert "expected content: a JSON list of" in reason  # the expected schema


def test_missing_file_message_names_schema_for_each_unavailable_task(tmp_path):
    from harness.task.task import Task

    registry = get_registry()
    index = TaskIndex.scan(registry.task_dirs)
    expected_keys = {
        "ecgqa_prtk": ['"Question"', '"Answer"'],
        "ecgqa_cmd": ['"A": the QUESTION', '"Q": the reference ANSWER', "rr_interval"],
        "ecgqa_mrod": ['"QA"', '"result"'],
        "ecgqa_ltd": ['"QA"', '"result"'],
        "ecgqa_mc": ['"Conversation"', "phase"],
        "ecgqa_mee": ['"keywords"', '"result"'],
        "ecgqa_gra": ['"RA"', '"result"'],
        "ecgqa_mco": ['"Q"', "no upstream file exists"],
    }
    for name, keys in expected_keys.items():
        with pytest.raises(DataError) as err:
            Task.load(
                name, registry=registry, index=index, data_dir=tmp_path, cache_dir=tmp_path / "cache", offline=True
            )
        message = str(err.value)
        assert f"task '{name}': data file not found: ecg_expert_qa/{FIXTURE_FILES[name]}" in message
        assert str(tmp_path / "ecg_expert_qa" / FIXTURE_FILES[name]) in message
        for key in keys:
            assert key in message, (name, key)


def test_every_fixture_task_runs_as_a_user_supplied_file(tmp_path):
    """Each task without shared data runs end to end on a file in its documented schema."""
    data = user_data_dir(tmp_path / "data")
    outcomes = run(
        "ecg_expert_qa",
        tmp_path / "run",
        data_dir=data,
        model={"backend": "scripted", "model": "s", "options": {"echo_last": True}},
    )
    by_task = {o["task"]: o for o in outcomes}
    for task in FIXTURE_FILES:
        assert "results" in by_task[task], by_task[task]
        res = results(Path(by_task[task]["results"]))
        for metric in ("bleu_1", "rouge_l", "meteor"):
            assert res["metrics"][metric]["n_unscored"] == 0
    for task in REAL_FILES:  # not supplied in this data directory
        assert "data file not found" in by_task[task]["skipped"]
    expected_items = {
        "ecgqa_prtk": 3,
        "ecgqa_cmd": 2,
        "ecgqa_mee": 2,
        "ecgqa_gra": 2,
        "ecgqa_mco": 2,
        "ecgqa_ltd": 4,
        "ecgqa_mrod": 5,
        "ecgqa_mc": 2,
    }
    assert {t: results(Path(by_task[t]["results"]))["task"]["n_samples"] for t in expected_items} == expected_items


def test_field_mappings_follow_each_upstream_schema(tmp_path):
    data = user_data_dir(tmp_path / "data", tasks=["ecgqa_cmd", "ecgqa_mee", "ecgqa_prtk", "ecgqa_gra", "ecgqa_mco"])
    for task in ("ecgqa_cmd", "ecgqa_mee", "ecgqa_prtk", "ecgqa_gra", "ecgqa_mco"):
        run(task, tmp_path / task, data_dir=data)
    cmd = samples(tmp_path / "ecgqa_cmd" / "samples.jsonl")
    raw = fixture("ecgqa_cmd")
    # Q and A are swapped upstream: "A" is asked, "Q" is the reference
    assert [s["reference"] for s in cmd] == [r["Q"] for r in raw]
    prompt = cmd[0]["messages"][-1]["content"]
    assert (
        raw[0]["A"] in prompt
        and "Left ventricular hypertrophy" in prompt
        and "RR interval 857 ms" in prompt
        and "QRS axis -10" in prompt
    )
    assert "T axis" not in cmd[1]["messages"][-1]["content"]  # absent measurements are left out, not rendered empty
    mee = samples(tmp_path / "ecgqa_mee" / "samples.jsonl")
    assert mee[0]["reference"] == "sinus bradycardia, first-degree AV block, dizziness, metoprolol"  # a list is joined
    assert mee[1]["reference"] == fixture("ecgqa_mee")[1]["keywords"]  # a string is kept
    prtk = samples(tmp_path / "ecgqa_prtk" / "samples.jsonl")
    assert [s["reference"] for s in prtk] == [r["Answer"] for r in fixture("ecgqa_prtk")]
    gra = samples(tmp_path / "ecgqa_gra" / "samples.jsonl")
    assert gra[0]["id"] == "0" and gra[0]["reference"] == fixture("ecgqa_gra")[0]["RA"]
    assert fixture("ecgqa_gra")[0]["result"] in gra[0]["messages"][-1]["content"]
    mco = samples(tmp_path / "ecgqa_mco" / "samples.jsonl")
    assert (
        "Case summary" in mco[0]["messages"][-1]["content"] and "Case summary" not in mco[1]["messages"][-1]["content"]
    )


def test_a_record_in_the_wrong_schema_is_named(tmp_path):
    data = tmp_path / "data" / "ecg_expert_qa"
    data.mkdir(parents=True)
    (data / FIXTURE_FILES["ecgqa_gra"]).write_text(
        json.dumps([{"subject_id": "x", "result": "text", "risk": "wrong key"}])
    )
    with pytest.raises(DataError) as err:
        run("ecgqa_gra", tmp_path / "run", data_dir=tmp_path / "data")
    assert "record 0 has no field 'RA'" in str(err.value) and '"RA": reference risk assessment text' in str(err.value)


def test_a_malformed_record_the_run_does_not_select_fails_nothing(tmp_path):
    """``limit=2`` runs the first two records: a later one without the reference field is counted
    in ``n_records``, not mapped, so the finished run is not failed at its end; a run that selects it
    is refused with the record named."""
    data = tmp_path / "data" / "ecg_expert_qa"
    data.mkdir(parents=True)
    records = [{"subject_id": str(i), "result": f"report {i}", "RA": f"risk {i}"} for i in range(4)]
    del records[3]["RA"]
    (data / FIXTURE_FILES["ecgqa_gra"]).write_text(json.dumps(records))
    run("ecgqa_gra", tmp_path / "first", data_dir=tmp_path / "data", limit=2)
    done = results(tmp_path / "first" / "results.json")
    assert done["task"]["n_samples"] == 2 and done["task"]["data"]["n_records"] == 4
    assert len(samples(tmp_path / "first" / "samples.jsonl")) == 2
    with pytest.raises(DataError, match="record 3 has no field 'RA'"):
        run("ecgqa_gra", tmp_path / "all", data_dir=tmp_path / "data")


def test_cli_group_prints_the_paper_shaped_table(data_dir, tmp_path):
    """`python -m harness +task=ecg_expert_qa`: a row per task, BLEU-1 / ROUGE-L / METEOR columns, skips explained."""
    from tests.conftest import run_harness

    proc = run_harness(
        "+task=ecg_expert_qa",
        "model=retrieval",
        "limit=2",
        "offline=true",
        f"data_dir={data_dir}",
        cwd=tmp_path,
        env={"COLUMNS": "120"},
    )
    assert proc.returncode == 3, proc.stderr[-2000:]  # partial: 8 of the 12 tasks have no data here
    header = next(line for line in proc.stdout.splitlines() if "bleu_1" in line and "task" in line)
    assert [c.strip() for c in header.strip("┃│ ").split("┃")][:5] == ["task", "n", "bleu_1", "rouge_l", "meteor"]
    rows = {line.split("│")[1].strip(): line for line in proc.stdout.splitlines() if line.startswith("│ ecgqa_")}
    assert list(rows) == ALL_TASKS
    for task in REAL_FILES:
        assert re.search(r"│\s+2\s+│\s+0\.\d{4}\s+│\s+0\.\d{4}\s+│\s+0\.\d{4}\s+│", rows[task]), rows[task]
    for task in FIXTURE_FILES:
        assert "skipped: data file not found" in rows[task]
        assert f"skipped {task}: task '{task}': data file not found: ecg_expert_qa/{FIXTURE_FILES[task]}" in " ".join(
            proc.stderr.split()
        )
    assert "over 4 of 12 tasks" in proc.stdout
