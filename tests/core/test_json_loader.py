"""The JSON dataset loader parses with orjson and keeps json's results and error messages."""

from __future__ import annotations

import json

import pytest

from harness.errors import DataError
from harness.plugins.loaders.files import load_json


def test_records_equal_json_including_what_orjson_refuses(tmp_path):
    path = tmp_path / "data.json"
    text = '[{"q": "ST \\u2191 in V1\\u2013V3", "x": 0.1, "n": 12}, {"big": 123456789012345678901234567890, "v": NaN}]'
    path.write_text(text, encoding="utf-8")
    records = list(load_json(path, {}))
    expected = json.loads(text)
    assert records[0] == expected[0]
    assert records[1]["big"] == expected[1]["big"] and records[1]["v"] != records[1]["v"]  # NaN, as json reads it


def test_one_object_is_one_record(tmp_path):
    path = tmp_path / "one.json"
    path.write_text('{"a": [1, 2]}', encoding="utf-8")
    assert list(load_json(path, {})) == [{"a": [1, 2]}]


def test_malformed_file_names_file_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"a": 1},\n {"b": }]', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.json: not valid JSON \(line 2, column 8\)"):
        list(load_json(path, {}))


def test_a_lone_surrogate_in_the_data_runs_end_to_end(tmp_path):
    """json reads ``"\\ud800"`` as a lone surrogate, which UTF-8 cannot hold: the request is sent
    (json fallback), its cache key made, the sample written escaped in valid UTF-8, and the same
    command run again finds every answer in the cache."""
    from harness.testing.openai_stub import OpenAIStub, echo
    from tests.conftest import result_files, run_harness

    data, tasks = tmp_path / "data", tmp_path / "tasks"
    data.mkdir()
    tasks.mkdir()
    (data / "odd.json").write_text('[{"q": "broken \\ud800 text", "a": "x"}, {"q": "fine", "a": "y"}]')
    (tasks / "odd.yaml").write_text(
        "name: odd_text\nversion: '1'\ndataset: {path: odd.json, format: json, fields: {question: q, answer: a}}\n"
        "prompt: {user: '{{ question }}'}\noutput_type: generation\nreference: answer\nmetrics: [bleu_1]\n"
    )
    args = ["+task=odd_text", f"include=[{tasks}]", f"data_dir={data}", "model=local_server"]
    with OpenAIStub(echo()) as stub:
        first = run_harness(*args, f"model.base_url={stub.base_url}", "hydra.run.dir=runs/first", cwd=tmp_path)
        again = run_harness(*args, f"model.base_url={stub.base_url}", "hydra.run.dir=runs/again", cwd=tmp_path)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    lines = (tmp_path / "runs" / "first" / "samples.jsonl").read_bytes().decode("utf-8").splitlines()
    assert "\\ud800" in lines[0] and json.loads(lines[0])["messages"][-1]["content"] == "broken \ud800 text"
    usage = [json.loads(p.read_text())["usage"] for p in result_files(tmp_path / "runs")]
    assert sorted((u["requests"], u["cache_hits"]) for u in usage) == [(0, 2), (2, 0)]
