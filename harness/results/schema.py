"""The schema of ``results.json``: the contract between a run and everything downstream
(the leaderboard, comparisons, third-party submissions). Bump ``SCHEMA_VERSION`` on change."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class MetricResult(_Open):
    value: float | None = Field(description="aggregate over scored samples; None when none was scored")
    stderr: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float = 0.95
    n_scored: int
    n_unscored: int = 0
    unscored_reasons: dict[str, int] = Field(default_factory=dict)
    higher_is_better: bool = True
    kind: str = Field("metric", description="'metric' or 'judge'")
    info: dict[str, Any] = Field(default_factory=dict, description="how it was computed (e.g. METEOR's matchers)")


class HarnessInfo(_Open):
    version: str
    git_commit: str | None = None


class DataInfo(_Open):
    path: str | None = None
    url: str | None = None
    sha256: str
    n_records: int


class TaskInfo(_Open):
    name: str
    version: str
    groups: list[str] = Field(default_factory=list)
    benchmark: str | None = None
    output_type: str
    source_file: str | None = None
    data: DataInfo
    prompt_sha256: str
    n_samples: int
    limit: int | None = None
    sample_seed: int | None = None
    modality: str | None = None


class ModelInfo(_Open):
    name: str
    backend: str
    model: str
    base_url: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    identity_sha256: str


class UsageInfo(_Open):
    requests: int = 0
    cache_hits: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None


class Timings(_Open):
    started_at: str
    finished_at: str
    wall_s: float
    model_s: float | None = None
    scoring_s: float | None = None


class Results(_Open):
    schema_version: int = SCHEMA_VERSION
    run_id: str
    harness: HarnessInfo
    task: TaskInfo
    model: ModelInfo
    metrics: dict[str, MetricResult]
    judges: dict[str, Any] = Field(default_factory=dict, description="judge models, usage and agreement per rubric")
    usage: UsageInfo
    timings: Timings
    config: dict[str, Any] = Field(description="the fully resolved run config, secrets removed")
    errors: dict[str, int] = Field(default_factory=dict, description="failed samples by reason")


class SampleRecord(_Open):
    """One line of ``samples.jsonl``."""

    id: str
    doc_id: str | None = None
    position: list[int] | None = Field(None, description="[record index in the selection, item index within it]")
    messages: list[dict[str, Any]] | None = None
    response: str | None = None
    prediction: Any = None
    reference: Any = None
    metrics: dict[str, Any] = Field(default_factory=dict, description="value, or {'unscored': reason}")
    judges: dict[str, Any] = Field(default_factory=dict, description="verdicts, item scores, raw judge text")
    error: str | None = None
    turns: list[dict[str, Any]] | None = None
    cached: bool = False
