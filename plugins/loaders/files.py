"""The plain file formats: JSON, JSON lines, CSV (pandas) and Parquet (pyarrow), read a chunk at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from harness import fastjson
from harness.errors import DataError
from harness.settings import Settings
from harness.task.dataset import Loader


class CsvOptions(Settings):
    """``dataset.options`` of a CSV file (passed to pandas.read_csv)."""

    sep: str = ","
    encoding: str | None = None
    comment: str | None = None
    usecols: list[str] | None = None
    skiprows: int | None = None


class ParquetOptions(Settings):
    """``dataset.options`` of a Parquet file."""

    columns: list[str] | None = Field(None, description="read only these columns")


def load_json(path: Path, options: Any = None) -> Iterator[dict[str, Any]]:
    """A JSON list of records, or one object (yielded once, for ``dataset.records``)."""
    try:
        data = fastjson.loads(path.read_bytes())  # orjson: a 1 MB file parses in a third of json's time
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    if isinstance(data, list):
        yield from data
    else:
        yield data


def load_jsonl(path: Path, options: Any = None) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}: line {number} is not valid JSON: {exc.msg}") from None


def load_csv(path: Path, options: CsvOptions) -> Iterator[dict[str, Any]]:
    import pandas as pd

    for chunk in pd.read_csv(path, chunksize=10_000, **options.model_dump(exclude_none=True)):
        yield from chunk.to_dict("records")


def load_parquet(path: Path, options: ParquetOptions) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000, columns=options.columns):
        yield from batch.to_pylist()


JSON = Loader(load_json)
JSONL = Loader(load_jsonl)
CSV = Loader(load_csv, CsvOptions)
PARQUET = Loader(load_parquet, ParquetOptions)
