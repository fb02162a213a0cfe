"""The output-type contract: how a record becomes items (requests) and a response a prediction.

Output types are mechanisms in Python (``plugins/output_types``); a task selects one by name in
YAML and configures it under ``output:``, whose keys the output type declares as a typed
:class:`~harness.settings.Settings` model (a typo is an error naming the file and key). A
new task that fits an existing output type needs no Python at all.

An output type sees a record through an :class:`ItemContext`: the record, its rendered prompt and
reference, the validated settings, the generation parameters and (for tasks that load the ECG
themselves) the record's ECG. It never sees the task object, so it cannot depend on how a task
is put together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from harness.errors import DataError
from harness.settings import Settings

if TYPE_CHECKING:
    from harness.task.dataset import Doc


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


@dataclass(frozen=True)
class ItemContext:
    """What an output type sees of one record (and nothing of the task that made it)."""

    task: str  # the task's name, for messages
    where: str  # the task file, for messages
    doc: Doc
    settings: Any  # the output type's validated Settings
    params: dict[str, Any]  # the task's generation parameters
    render_messages: Callable[[dict[str, Any] | None], list[dict[str, Any]]]
    evaluate_reference: Callable[[], Any]
    load_ecg: Callable[[str], Any] | None = None  # a record reference -> the prepared ECG (tasks with `ecg:`)
    ecg_spec: dict[str, Any] = field(default_factory=dict)

    def messages(self, variables: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The record's prompt; ``variables`` replace the record's fields (e.g. a rendered signal)."""
        return self.render_messages(variables)

    @cached_property
    def reference(self) -> Any:
        """The gold answer, as the task's ``reference:`` expression gives it."""
        return self.evaluate_reference()

    def item(self, **fields: Any) -> Item:
        """An item of this record: id, record, prompt, reference and parameters filled in unless given."""
        defaults = {"id": self.doc.id, "doc_id": self.doc.id, "doc": self.doc.fields, "params": self.params}
        if "messages" not in fields:
            defaults["messages"] = self.messages()
        if "reference" not in fields:
            defaults["reference"] = self.reference
        return Item(**{**defaults, **fields})

    def data_error(self, message: str) -> DataError:
        """An error about this record, naming the task and the sample."""
        return DataError(f"task '{self.task}': sample {self.doc.id}: {message}")


class OutputType:
    """Base class of output types: override :meth:`items` and :meth:`extract`; the rest are
    optional, with defaults that do nothing.

    Lifecycle, per run: the task validates ``output:`` against :attr:`Settings` when it loads;
    :meth:`items` is called for each selected record (lazily, in order); :meth:`extract` for each
    answer; after ``samples.jsonl`` is complete, :meth:`summarize` over its records.
    """

    name: ClassVar[str] = ""
    Settings: ClassVar[type[Settings]] = Settings  # the ``output:`` block; no keys by default
    one_item_per_record: ClassVar[bool] = True  # progress shows a total up front when every record makes one item

    def items(self, ctx: ItemContext) -> list[Item]:
        """The item(s) one record produces (usually ``[ctx.item()]``)."""
        raise NotImplementedError

    def extract(self, item: Item, text: str) -> Extraction:
        """The prediction the metrics score, read from the model's answer."""
        raise NotImplementedError

    def summarize(self, records: Iterable[dict[str, Any]], *, seed: int = 0) -> dict[str, dict[str, Any]]:
        """Extra task-level entries for results.json over the written samples (e.g. per-dialogue
        scores); called by the runner and the shard merge. Default: none."""
        return {}
