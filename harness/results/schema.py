"""The schema of ``results.json``: the contract between a run and everything downstream
(the leaderboard, comparisons, third-party submissions). Bump ``SCHEMA_VERSION`` on change."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 2  # 2: ``status`` (complete/partial/empty + exit code) and ``validity`` (flags)

# The exit codes of `python -m harness` (README, docs/results.md). A run's own code is in
# ``results.json["status"]["exit_code"]``; a multi-task job exits with the worst of its runs.
EXIT_COMPLETE = 0  # every selected sample answered and scored (or unscored by design)
EXIT_CRASH = 1  # an unexpected error (a bug): the traceback is in cli.log
EXIT_USAGE = 2  # a usage error: unknown key/name, bad value, a run refused before any request
EXIT_PARTIAL = 3  # some samples failed or were skipped (absent data): the number covers the rest
EXIT_EMPTY = 4  # nothing was scored: no runnable sample, every request failed, or every score unscored
EXIT_INTERRUPTED = 130  # Ctrl-C: rerun the same command to resume from the cache

# The vocabulary of ``validity.flags[].code``: what makes a number less than fully valid. The
# leaderboard badges a cell from these (docs/leaderboard.md); a flagged cell gets no star.
VALIDITY_CODES = {
    "partial": "some selected samples failed or were skipped (n_failed, n_absent, n_expected)",
    "absent_records": "samples skipped because their data / ECG record is not available (n_absent, n_expected)",
    "text_only": "the task shows the model an ECG but this run sent none (allow_text_only=true)",
    "duplicate_prompts": "many samples rendered to the same request (n_duplicates, share)",
    "nothing_scored": "no sample was scored",
    "answers_truncated": "answers longer than max_answer_bytes were cut for scoring and storage (n_truncated)",
    "weak_judge": "a judge could not tell the reference from a mismatched answer often enough (rubric, judge, ...)",
    "judge_unscored": "a judged metric left a large share of samples unscored (metric, share)",
    "not_comparable": "the run's setting differs from the one the paper reports (reason)",
}


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
    sha256_pinned: bool | None = Field(None, description="the sha256 was checked against the task's pin")
    origin: str | None = Field(
        None, description="data_dir, cache, download, hub_cache, rows (a Hub selection) or excerpt"
    )
    hub: dict[str, Any] | None = Field(
        None, description="Hub source: repo, revision, the commit read, files, partial read"
    )


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


class ValidityFlag(_Open):
    """One reason a number is less than fully valid; extra keys carry the figures (n_absent, share, ...)."""

    code: str = Field(description="one of VALIDITY_CODES (plugins may add their own, prefixed 'x-')")
    message: str = Field(description="one line a reader understands without the docs")


class Validity(_Open):
    flags: list[ValidityFlag] = Field(default_factory=list)
    allow_text_only: bool = False


class RunStatus(_Open):
    """Whether the run is complete, and the exit code that says so."""

    state: Literal["complete", "partial", "empty"]
    exit_code: int
    n_expected: int | None = Field(None, description="samples selected (before data/ECG availability)")
    n_answered: int = 0
    n_failed: int = 0
    n_absent: int = 0
    message: str = ""


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
    status: RunStatus | None = Field(None, description="absent in schema 1 files")
    validity: Validity = Field(default_factory=Validity)


class SampleRecord(_Open):
    """One line of ``samples.jsonl``."""

    id: str
    doc_id: str | None = None
    position: list[int] | None = Field(None, description="[record index in the selection, item index within it]")
    messages: list[dict[str, Any]] | None = None
    response: str | None = None
    prediction: Any = Field(
        None, description="what was scored; absent when it is the response itself (each answer is stored once)"
    )
    reference: Any = None
    metrics: dict[str, Any] = Field(default_factory=dict, description="value, or {'unscored': reason}")
    judges: dict[str, Any] = Field(default_factory=dict, description="verdicts, item scores, raw judge text")
    error: str | None = None
    turns: list[dict[str, Any]] | None = None
    cached: bool = False
    request_key: str | None = Field(None, description="prefix of the request's cache key: equal keys, equal prompts")
    truncated: bool = Field(False, description="the answer was cut at max_answer_bytes")

    @model_validator(mode="before")
    @classmethod
    def _prediction_is_the_response(cls, data: Any) -> Any:
        """A line without ``prediction`` stored its answer once: the prediction is the response."""
        if isinstance(data, dict) and "prediction" not in data:
            return {**data, "prediction": data.get("response")}
        return data
