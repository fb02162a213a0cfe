"""The output-type protocol: how a record becomes items (requests) and a response a prediction.

Output types are mechanisms in Python (``plugins/output_types``); a task selects one by name in
YAML and configures it under ``output:``. A new task that fits an existing output type needs no
Python at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from harness.task.dataset import Doc
    from harness.task.task import Task


@dataclass
class Item:
    """One scored unit: one request to the model (or a conversation of them), with its reference.

    A single-turn task has one item per record; a dialogue has one per scored turn
    (``id`` = ``<doc id>/turn-<k>``, ``group`` = the doc id, for per-dialogue scores).
    """

    id: str
    doc_id: str
    messages: list[dict[str, Any]]
    reference: Any
    doc: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)  # written to samples.jsonl (e.g. turn index)
    position: tuple[int, int] = (0, 0)  # (record index in the selection, item index within the record)
    # later user turns of a conversation in which the model sees its own answers: the runner sends each
    # after the model answered the previous one (prompt.follow_ups); the last answer is the one scored
    follow_ups: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # the model's answers to those earlier turns (set by the runner)


@dataclass
class Extraction:
    """What was read out of a response. ``prediction`` is None when nothing could be parsed."""

    prediction: Any
    unparseable: bool = False
    note: str | None = None


class OutputType(Protocol):
    """Optional: ``summarize(records, *, seed) -> {name: MetricResult fields}`` adds task-level
    entries computed over the written sample records (e.g. per-dialogue scores of ``multi_turn``);
    the runner calls it, when present, after ``samples.jsonl`` is complete."""

    name: str
    # True when every record yields exactly one item, so progress can show a total up front.
    one_item_per_record: bool

    def items(self, task: Task, doc: Doc) -> list[Item]:
        """The item(s) one record produces."""
        ...

    def extract(self, item: Item, text: str) -> Extraction:
        """The prediction scored by the metrics."""
        ...
