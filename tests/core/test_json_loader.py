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
