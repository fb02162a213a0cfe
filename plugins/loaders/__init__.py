"""Built-in dataset loaders: json, jsonl, csv, parquet (``files.py``), and chat (conversation dialects, ``chat.py``)."""

from __future__ import annotations

from harness.hookspecs import hookimpl
from harness.plugins.loaders.chat import CHAT
from harness.plugins.loaders.files import CSV, JSON, JSONL, PARQUET


@hookimpl
def harness_dataset_loaders():
    return [("json", JSON), ("jsonl", JSONL), ("csv", CSV), ("parquet", PARQUET), ("chat", CHAT)]
