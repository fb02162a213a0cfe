"""The MMS judge through the judge framework, against a real OpenAI-compatible stub on 127.0.0.1:
scripted verdicts in, sub-scores per sample and MMS in [0, 1] out; invalid verdicts unscored, never 0."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.hookspecs import hookimpl
from harness.registry import build_registry
from harness.testing.openai_stub import OpenAIStub, by_model
from tests.ecg_expert_qa.helpers import REAL_FILES, results, run, samples, user_data_dir

TAG = re.compile(r"<(answer-[0-9a-f]{16})>\n(.*?)\n</\1>", re.DOTALL)


def verdict(sc: Any, cc: Any, lf: Any, **extra: Any) -> str:
    return "Reasoning first.\n" + json.dumps(
        {"rationale": "scripted", "semantic_consistency": sc, "content_coverage": cc, "language_fluency": lf, **extra}
    )


# answer under test -> the judge's replies (first attempt, then repairs)
SCRIPT = {
    "ANSWER ONE": [verdict(8, 6, 10)],  # MMS (8 + 6 + 10) / 30 = 0.8
    "ANSWER TWO": [verdict(5, 5, 5)],  # 0.5
    "ANSWER THREE": [verdict(11, 5, 5)] * 3,  # out of range on every attempt: unscored
    "ANSWER FOUR": ['{"semantic_consistency": 2, "content_coverage": 2}', verdict(2, 2, 2)],  # repaired: 0.2
}
ANSWERS = list(SCRIPT)


class ConfigDirs:
    def __init__(self, folder: Path):
        self.folder = folder

    @hookimpl
    def harness_model_config_dirs(self):
        return [self.folder]


def judge_responder(request: dict[str, Any]) -> str:
    first_user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    answer = TAG.search(first_user).group(2)
    attempt = sum(m["role"] == "assistant" for m in request["messages"])  # repairs extend the conversation
    replies = SCRIPT.get(answer, [verdict(4, 4, 4)])
    return replies[min(attempt, len(replies) - 1)]


@pytest.fixture
def stub_run(tmp_path):
    questions: dict[str, str] = {}

    def candidate(request: dict[str, Any]) -> str:
        text = request["messages"][-1]["content"]
        questions.setdefault(text, ANSWERS[len(questions) % len(ANSWERS)])
        return questions[text]

    with OpenAIStub(responder=by_model({"candidate": candidate, "mms-judge": judge_responder})) as stub:
        configs = tmp_path / "models"
        configs.mkdir()
        (configs / "mms-judge.yaml").write_text(
            yaml.safe_dump(
                {
                    "backend": "openai_compat",
                    "model": "mms-judge",
                    "base_url": stub.base_url,
                    "timeout_s": 10,
                    "max_retries": 0,
                    "params": {"max_tokens": 200},
                }
            )
        )
        registry = build_registry(entry_points=False, extra_plugins=[ConfigDirs(configs)])
        model = {
            "backend": "openai_compat",
            "model": "candidate",
            "base_url": stub.base_url,
            "timeout_s": 10,
            "max_retries": 0,
        }

        def go(task: str, out: str, data_dir: Path, **cfg: Any) -> Path:
            run(
                task,
                tmp_path / out,
                data_dir=data_dir,
                model=model,
                reg=registry,
                judge="mms-judge",
                concurrency=1,
                **cfg,
            )
            return tmp_path / out

        yield go


def test_mms_sub_scores_and_aggregate_on_real_ck(stub_run, data_dir):
    out = stub_run("ecgqa_ck", "ck", data_dir, limit=4)
    res = results(out / "results.json")
    mms = res["metrics"]["mms"]
    assert mms["kind"] == "judge" and mms["value"] == pytest.approx((0.8 + 0.5 + 0.2) / 3)
    assert (mms["n_scored"], mms["n_unscored"], mms["unscored_reasons"]) == (3, 1, {"out of range": 1})
    # the criteria on the judge's 0-10 scale, each over the samples where it was valid
    assert res["metrics"]["mms.semantic_consistency"]["value"] == pytest.approx((8 + 5 + 2) / 3)
    assert res["metrics"]["mms.language_fluency"]["value"] == pytest.approx((10 + 5 + 5 + 2) / 4)
    assert res["metrics"]["mms.semantic_consistency"]["n_unscored"] == 1
    assert res["judges"]["mms"]["rubric"]["criteria"][0]["name"] == "semantic_consistency"
    lines = samples(out / "samples.jsonl")
    assert [s["response"] for s in lines] == ANSWERS
    jury = [s["judges"]["mms"]["jury"]["values"] for s in lines]
    assert jury[0] == {
        "mms.semantic_consistency": 8,
        "mms.content_coverage": 6,
        "mms.language_fluency": 10,
        "mms": pytest.approx(0.8),
    }
    assert jury[2]["mms"] == {"unscored": "out of range"} and jury[2]["mms.content_coverage"] == 5
    assert jury[3]["mms"] == pytest.approx(0.2)
    assert all(0.0 <= j["mms"] <= 1.0 for j in jury if not isinstance(j["mms"], dict))
    # the lexical metrics are there too: the paper's table row is BLEU-1, ROUGE-L, METEOR, MMS
    assert {"bleu_1", "rouge_l", "meteor", "mms"} <= set(res["metrics"])


def test_mms_per_dialogue_on_mrod(stub_run, tmp_path):
    data = user_data_dir(tmp_path / "data", tasks=["ecgqa_mrod"])
    out = stub_run("ecgqa_mrod", "mrod", data)
    res = results(out / "results.json")
    lines = samples(out / "samples.jsonl")
    turn_mms = {s["id"]: s["judges"]["mms"]["jury"]["values"]["mms"] for s in lines}
    by_dialogue: dict[str, list[float]] = {}
    for sid, value in turn_mms.items():
        if not isinstance(value, dict):
            by_dialogue.setdefault(sid.split("/")[0], []).append(value)
    expected = sum(sum(v) / len(v) for v in by_dialogue.values()) / len(by_dialogue)
    assert res["metrics"]["mms/dialogue"]["value"] == pytest.approx(expected)
    assert res["metrics"]["mms/dialogue"]["kind"] == "dialogue"


def test_group_table_with_judge_has_the_papers_columns(stub_run, data_dir, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    out = stub_run("ecg_expert_qa", "group", data_dir, limit=1)
    summary = json.loads((out / "summary.json").read_text())
    ran = [t for t in summary["tasks"] if "metrics" in t]
    assert [t["task"] for t in ran] == list(REAL_FILES)
    # the candidate gives ANSWER ONE..FOUR to the four tasks' single questions: MMS 0.8, 0.5, unscored, 0.2
    assert [t["metrics"]["mms"] for t in ran] == [pytest.approx(0.8), pytest.approx(0.5), None, pytest.approx(0.2)]
    header = next(line for line in capsys.readouterr().out.splitlines() if "bleu_1" in line and "task" in line)
    assert [c.strip() for c in header.strip("┃│ ").split("┃")][:6] == [
        "task",
        "n",
        "bleu_1",
        "rouge_l",
        "meteor",
        "mms",
    ]
