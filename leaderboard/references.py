"""Paper-reported numbers (``reference_numbers.yaml``): data shown beside our results,
never mixed into them."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

REFERENCE_FILE = Path(__file__).with_name("reference_numbers.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Paper(_Strict):
    title: str
    authors: str = ""
    url: str | None = None
    text: str | None = Field(None, description="file name of the paper's text (for checking transcriptions)")


class Column(_Strict):
    label: str
    metric: str | None = None
    aliases: list[str] = Field(default_factory=list)
    scale: float = Field(
        1.0,
        gt=0,
        description="the paper prints our metric times this factor: 100 where the paper prints a "
        "percentage (81.2) and our metric is a fraction (0.812); 1 where both use the same scale",
    )

    def matches(self, metric_name: str) -> bool:
        wanted = {norm(n) for n in [self.metric, *self.aliases] if n}
        got = norm(metric_name)
        # a harness metric may carry a prefix, e.g. "gem_grounding/DiagnosisAccuracy"
        return any(got == w or got.endswith(w) for w in wanted)


class Row(_Strict):
    model: str
    values: dict[str, str]


class Table(_Strict):
    task: str
    paper: str
    source: str
    note: str | None = None
    columns: list[Column]
    rows: list[Row]

    @model_validator(mode="after")
    def _known_columns(self) -> Table:
        labels = {c.label for c in self.columns}
        for row in self.rows:
            for key, value in row.values.items():
                if key not in labels:
                    raise ValueError(f"row {row.model!r}: unknown column {key!r}")
                float(value)  # must be a number as printed
        return self


class References(_Strict):
    papers: dict[str, Paper]
    tables: list[Table]

    @model_validator(mode="after")
    def _known_papers(self) -> References:
        for table in self.tables:
            if table.paper not in self.papers:
                raise ValueError(f"table for {table.task!r} cites unknown paper {table.paper!r}")
        return self

    def for_task(self, task_name: str) -> list[Table]:
        return [t for t in self.tables if t.task == task_name]


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@lru_cache(maxsize=4)
def load_references(path: Path = REFERENCE_FILE) -> References:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw = {k: v for k, v in raw.items() if not k.startswith("_")}  # YAML anchors live in _keys
    try:
        return References.model_validate(raw)
    except Exception as exc:
        raise ValueError(f"{path}: invalid reference numbers: {exc}") from exc
