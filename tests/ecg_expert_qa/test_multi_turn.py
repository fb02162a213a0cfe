"""The multi-turn protocol (MROD, MC, LTD) on hand-written fixtures: which turns are scored, the
gold history each turn sees, the memory correction, and the per-dialogue scores."""

from __future__ import annotations

import pytest

from harness.errors import DataError
from harness.plugins.output_types.multi_turn import MultiTurn, normalize_dialogue, scored_turns
from tests.ecg_expert_qa.helpers import ScriptedModel, fixture, results, run, samples, user_data_dir

MODEL_ANSWER = "MODEL ANSWER THAT MUST NEVER REACH THE HISTORY"


@pytest.fixture
def fixtures_dir(tmp_path):
    return user_data_dir(tmp_path / "data", tasks=["ecgqa_mrod", "ecgqa_mc", "ecgqa_ltd"])


def _run(task, tmp_path, data):
    ScriptedModel.requests = []
    run(
        task,
        tmp_path / task,
        data_dir=data,
        model={"backend": "scripted", "model": "s", "options": {"answer": MODEL_ANSWER}},
    )
    return samples(tmp_path / task / "samples.jsonl"), results(tmp_path / task / "results.json")


def test_mrod_scores_every_doctor_turn_with_gold_history(fixtures_dir, tmp_path):
    lines, res = _run("ecgqa_mrod", tmp_path, fixtures_dir)
    raw = fixture("ecgqa_mrod")
    assert [s["id"] for s in lines] == ["0/turn-1", "0/turn-3", "0/turn-5", "1/turn-1", "1/turn-3"]
    qa = raw[0]["QA"]
    assert [s["reference"] for s in lines[:3]] == [p["A"] for p in qa]
    # turn 5 (third doctor turn): system, records + Q1, A1 (gold), Q2, A2 (gold), Q3
    messages = lines[2]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[1]["content"] == f"Patient records:\n{raw[0]['result']}\n\n{qa[0]['Q']}"
    assert [m["content"] for m in messages[2:]] == [qa[0]["A"], qa[1]["Q"], qa[1]["A"], qa[2]["Q"]]
    # the model's own answers never enter a later turn's history
    assert all(MODEL_ANSWER not in m["content"] for line in lines for m in line["messages"])
    assert len(ScriptedModel.requests) == 5
    # the dict form ({name: {Question, Answer}}) is read in order
    dialog2 = raw[1]["QA"]
    assert [s["reference"] for s in lines[3:]] == [v["Answer"] for v in dialog2.values()]
    assert lines[4]["meta"]["phase"] == "round 2" and lines[4]["meta"]["n_turns"] == 4
    assert {"bleu_1/dialogue", "rouge_l/dialogue", "meteor/dialogue"} <= set(res["metrics"])
    assert (
        res["metrics"]["bleu_1/dialogue"]["kind"] == "dialogue" and res["metrics"]["bleu_1/dialogue"]["n_scored"] == 2
    )


def test_mc_scores_only_doctor_turns_after_the_correction(fixtures_dir, tmp_path):
    lines, res = _run("ecgqa_mc", tmp_path, fixtures_dir)
    conv = fixture("ecgqa_mc")[0]["Conversation"]
    flat = [(phase, speaker, text) for phase, turns in conv.items() for t in turns for speaker, text in t.items()]
    # 9 turns; the correction is revealed at turn 5 (the patient, in "patient memory correction");
    # the doctor's turn 4 ("Just to clarify ...") precedes it and is not scored
    assert [s["id"] for s in lines] == ["0/turn-6", "0/turn-8"]
    assert [s["reference"] for s in lines] == [flat[6][2], flat[8][2]]
    assert [s["meta"]["phase"] for s in lines] == [
        "patient memory correction",
        "doctor adjusts diagnosis based on new information",
    ]
    first = lines[0]["messages"]
    assert first[-1] == {"role": "user", "content": flat[5][2]}  # the correction is the latest patient message
    assert [m["content"] for m in first[2:]] == [t[2] for t in flat[:6]]  # gold history, doctor opens the dialogue
    assert lines[1]["messages"][-2] == {"role": "assistant", "content": flat[6][2]}  # gold doctor turn, not the model's
    assert res["task"]["n_samples"] == 2 and res["metrics"]["meteor"]["n_scored"] == 2


def test_ltd_asks_each_question_alone_after_the_case(fixtures_dir, tmp_path):
    lines, _ = _run("ecgqa_ltd", tmp_path, fixtures_dir)
    raw = fixture("ecgqa_ltd")
    assert [s["id"] for s in lines] == ["0/turn-1", "0/turn-3", "1/turn-1", "1/turn-3"]
    for line in lines:
        assert [m["role"] for m in line["messages"]] == ["system", "user"]
    assert lines[1]["messages"][1]["content"] == f"Case:\n{raw[0]['result']}\n\n{raw[0]['QA'][1]['Q']}"
    assert raw[0]["QA"][0]["A"] not in lines[1]["messages"][1]["content"]


def test_per_dialogue_scores_average_dialogues_not_turns():
    records = [
        {"doc_id": "a", "metrics": {"m": 1.0}},
        {"doc_id": "a", "metrics": {"m": 0.0}},
        {"doc_id": "b", "metrics": {"m": 1.0}},
        {"doc_id": "c", "metrics": {"m": {"unscored": "request failed"}}},
    ]
    out = MultiTurn().summarize(iter(records))
    entry = out["m/dialogue"]
    assert entry["value"] == pytest.approx(0.75)  # (0.5 + 1.0) / 2; the turn mean would be 2/3
    assert (entry["n_scored"], entry["n_unscored"], entry["unscored_reasons"]) == (2, 1, {"no scored turn": 1})
    assert entry["info"]["n_dialogues"] == 3


def test_consecutive_turns_of_one_side_are_joined():
    turns = normalize_dialogue(
        {"p1": [{"Patient": "a"}, {"Patient": "b"}, {"Doctor": "c"}], "p2": [{"Doctor": "d"}]}, "phases"
    )
    assert [(t.role, t.text) for t in turns] == [("user", "a\nb"), ("assistant", "c\nd")]


def test_malformed_dialogues_are_named(fixtures_dir, tmp_path):
    with pytest.raises(
        DataError, match=r"sample 7: no user turn in a phase named like 'correction' \(phases: intro, end\)"
    ):
        turns = normalize_dialogue({"intro": [{"Doctor": "hi"}, {"Patient": "x"}], "end": [{"Doctor": "y"}]}, "phases")
        scored_turns(turns, "after_correction", where="sample 7")
    with pytest.raises(DataError, match=r"dialogue entry 1 is not a \{Q, A\} object"):
        normalize_dialogue([{"Q": "a", "A": "b"}, {"question": "c"}], "qa", where="sample 3")
    with pytest.raises(DataError, match="is a str.*not JSON|not JSON"):
        normalize_dialogue("Doctor: hello", "phases", where="sample 1")


def test_sharded_dialogues_merge_to_the_unsharded_per_dialogue_scores(fixtures_dir, tmp_path):
    from harness.runner.merge import merge_shards

    model = {
        "backend": "scripted",
        "model": "s",
        "options": {"answer": "Your ECG shows extra beats; we will check with an echocardiogram."},
    }
    run("ecgqa_mrod", tmp_path / "whole", data_dir=fixtures_dir, model=model)
    for i in range(2):
        run("ecgqa_mrod", tmp_path / f"s{i}", data_dir=fixtures_dir, model=model, shard=f"{i}/2")
    merged = merge_shards([tmp_path / "s0", tmp_path / "s1"], tmp_path / "merged")
    whole = results(tmp_path / "whole" / "results.json")
    shard0 = results(tmp_path / "s0" / "results.json")
    assert shard0["metrics"]["bleu_1/dialogue"]["n_scored"] == 1
    for name in ("bleu_1/dialogue", "meteor/dialogue"):
        assert merged["metrics"][name]["n_scored"] == 2
        assert merged["metrics"][name]["value"] == pytest.approx(whole["metrics"][name]["value"], abs=1e-12)
