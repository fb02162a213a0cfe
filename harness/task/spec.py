"""The schema of a task YAML file. Task files are data; this module is their grammar.

A malformed file gets an error that names the file, the key and what was expected
(see :func:`harness.task.loading.load_task_file`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HubSpec(_Strict):
    """A dataset repository on the Hugging Face Hub (``dataset.hub``), read with ``huggingface_hub``."""

    repo: str = Field(pattern=r"^[\w.\-]+/[\w.\-]+$", description="OWNER/NAME of the dataset repository")
    config: str | None = Field(None, description="the subset: the repository folder holding its files")
    split: str = Field(
        "test", description="the split: files <config>/<split>-*.parquet (or <config>/<split>/*.parquet)"
    )
    revision: str = Field(
        "main", description="a 40-hex commit (recommended: reproducible) or a branch/tag; the commit used is recorded"
    )
    files: list[str] = Field(
        default_factory=list, description="file paths in the repository, instead of finding them by config/split"
    )
    access: Literal["open", "gated"] = Field("open", description="gated: the user accepts terms and sets HF_TOKEN")


class DatasetSpec(_Strict):
    """Where a task's records come from and how their fields map onto template variables."""

    path: str | None = Field(None, description="file path relative to the data directory (looked up first)")
    url: str | None = Field(None, description="download URL (pinned to a commit), used when no local copy exists")
    sha256: str | None = Field(None, description="expected sha256 of the file; checked for downloads and local copies")
    hub: HubSpec | None = Field(None, description="the Hugging Face Hub dataset the records come from")
    excerpt: str | None = Field(
        None,
        description="a local part of the file (under the data directory), used only when the full file cannot be had",
    )
    format: str = Field("json", description="a registered loader: json, jsonl, csv, parquet, ...")
    records: str | None = Field(
        None, description="dotted path to the list of records inside the file, if not at the top"
    )
    split: str | None = Field(None, description="keep records whose `split` field equals this")
    fields: dict[str, str] = Field(default_factory=dict, description="template variable -> source field (dotted path)")
    id_field: str | None = Field(
        None, description="source field holding a stable sample id (default: position in file)"
    )
    expected_schema: str | None = Field(None, description="shown to the user when the file is missing")
    options: dict[str, Any] = Field(default_factory=dict, description="loader-specific settings")

    @model_validator(mode="after")
    def _somewhere(self) -> DatasetSpec:
        if not self.path and not self.url and not self.hub:
            raise ValueError("a dataset needs `path` (in the data directory), `url` or `hub`")
        return self


class Message(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str


class PromptSpec(_Strict):
    """Jinja2 templates; every mapped field of the record is a variable."""

    system: str | None = None
    user: str | None = None
    messages: list[Message] | None = Field(None, description="a full chat instead of system+user")
    follow_ups: str | None = Field(
        None,
        description="Jinja2 expression giving later user turns (a list of strings): each is "
        "sent after the model's own answer to the previous turn, and the last answer is scored",
    )

    @model_validator(mode="after")
    def _one_form(self) -> PromptSpec:
        if self.messages is None and self.user is None:
            raise ValueError("a prompt needs `user` (with optional `system`) or `messages`")
        if self.messages is not None and (self.user is not None or self.system is not None):
            raise ValueError("give either `messages` or `system`/`user`, not both")
        return self


class MetricRef(_Strict):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class TaskSpec(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    version: str = "1"
    description: str = ""
    benchmark: str | None = Field(None, description="leaderboard section, e.g. 'ECG-Expert-QA'")
    tags: list[str] = Field(default_factory=list)
    dataset: DatasetSpec
    prompt: PromptSpec
    output_type: str = Field("generation", description="generation, multiple_choice, multi_turn, or a plugin's")
    output: dict[str, Any] = Field(
        default_factory=dict, description="settings of the output type (answer extraction, turns, ...)"
    )
    reference: str = Field(..., description="Jinja2 expression (without braces) or field name giving the gold answer")
    generation: dict[str, Any] = Field(
        default_factory=dict, description="generation parameters (max_tokens, temperature, stop)"
    )
    metrics: list[MetricRef] = Field(default_factory=list)
    judges: list[MetricRef] = Field(default_factory=list)
    ecg: dict[str, Any] | None = Field(None, description="ECG input: record field, supported modalities (ECG layer)")
    docs: str | None = Field(None, description="protocol notes shown in `harness list` and on the leaderboard")

    @model_validator(mode="before")
    @classmethod
    def _short_refs(cls, data: Any) -> Any:
        """Allow `metrics: [rouge_l, bleu_1]` as well as `[{name: rouge_l, args: {...}}]`."""
        if isinstance(data, dict):
            for key in ("metrics", "judges"):
                items = data.get(key)
                if isinstance(items, list):
                    data[key] = [{"name": i} if isinstance(i, str) else i for i in items]
        return data


class GroupSpec(_Strict):
    """A named set of tasks run together and aggregated (declared with `group:` in a YAML file)."""

    group: str
    description: str = ""
    benchmark: str | None = None
    tasks: list[str]
    aggregate: Literal["mean", "none"] = "mean"
