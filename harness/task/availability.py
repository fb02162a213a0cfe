"""How many of a task's samples can run here, and if not, why and what to do about it.

One function, :func:`availability`, answers from what is on disk (the data directory, the cache,
the Hub cache) without downloading anything and without a model: ``python -m harness data
status`` prints it for every task, and a run uses it to refuse work that would evaluate nothing.
A sample can run when its data record is there and, for a task that shows an ECG, its record
(or released picture) is there too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.task.task import Selection, Task


@dataclass
class Availability:
    task: str
    n_records: int  # records in the data the task reads
    n_runnable: int  # of those, the ones whose ECG (record or released picture) is available
    n_selected: int  # what a run with the selection would evaluate (limit/sample/shard over the runnable ones)
    absent: dict[str, list[str]] = field(default_factory=dict)  # sample id -> what it lacks
    ecg_needed: int | None = None  # distinct ECG records the records name (None: the task shows none per sample)
    ecg_present: int | None = None
    ecg_fetchable: int = 0  # absent records the task's declared host (PhysioNet) can supply
    fetch_bytes: int | None = None  # an estimate of their size, when the host's record size is known
    data_origin: str = ""  # where the data file came from (ResolvedData.origin)
    remedy: str | None = None  # one line: the command or setting that makes the absent samples runnable
    lacking: str = "ECG record"  # what an absent sample lacks: its "ECG record" or its "released picture"

    @property
    def reason(self) -> str | None:
        """Why samples cannot run, in a few words (None when all can)."""
        if not self.absent:
            return None
        return (
            f"{len(self.absent)} of {self.n_records} samples lack their {self.lacking} "
            "(not under the data directory or in the cache)"
        )

    def summary(self) -> str:
        """One line: how many samples run, why others do not, and the remedy."""
        head = f"{self.task}: {self.n_runnable} of {self.n_records} samples runnable"
        if self.data_origin == "excerpt":
            head += " (a local excerpt of the data file)"
        parts = [head]
        if self.reason:
            parts.append(self.reason)
        if self.remedy and (self.absent or self.data_origin == "excerpt"):
            parts.append(f"remedy: {self.remedy}")
        return "; ".join(parts)


def availability(task: Task, selection: Selection | None = None) -> Availability:
    """What of ``task`` can run now (module docstring); no download, no model."""
    from harness.task.task import Selection

    selection = selection or Selection()
    spec = task.spec.ecg or {}
    docs = list(task.all_docs())
    absent: dict[str, list[str]] = {}
    out = Availability(task.spec.name, len(docs), len(docs), 0, data_origin=task.data.origin)
    if task._checks_ecg():
        from harness.ecg.task_input import missing

        for doc in docs:
            lacking = missing(doc, spec, task.modality, task.data_dir, task.cache_dir)
            if lacking:
                absent[doc.id] = lacking
        out.absent, out.n_runnable = absent, len(docs) - len(absent)
        if task.modality == "released_image":
            out.lacking = "released picture"
        else:
            _records(out, task, docs)
    out.n_selected = selection.count(out.n_runnable)
    out.remedy = _remedy(task, out)
    return out


def _records(out: Availability, task: Task, docs: list[Any]) -> None:
    from harness.ecg.fetch import needed, source_of

    spec = task.spec.ecg or {}
    present, absent = needed(docs, spec, data_dir=task.data_dir, cache_dir=task.cache_dir)
    out.ecg_needed, out.ecg_present = len(present) + len(absent), len(present)
    source = source_of(spec)
    fetchable = {r for r in absent.values() if r}
    out.ecg_fetchable = len(fetchable) if source is not None and source.access == "open" else 0
    out.fetch_bytes = source.estimate(out.ecg_fetchable) if source is not None and out.ecg_fetchable else None


def _remedy(task: Task, out: Availability) -> str | None:
    from harness.ecg.fetch import source_of

    name = task.spec.name
    fetch = f"python -m harness data fetch {name}"
    source = source_of(task.spec.ecg or {}) if task.spec.ecg else None
    if out.data_origin == "excerpt" and not out.absent:
        return f"`{fetch}` (online) for the full data file"
    if not out.absent:
        return None
    if task.modality == "released_image":
        if task.spec.dataset.hub is not None and out.data_origin not in ("hub_cache", "download", "rows"):
            return f"`{fetch}` (the Hub subset holds the pictures), or put them under the data directory"
        return "put the pictures under the data directory (image_roots of the task's ecg block)"
    if source is not None and source.access == "credentialed":
        return source.credentialed_message(name).split(": ", 1)[1]
    if out.ecg_fetchable:
        return f"`{fetch}` (online: {source.label if source else 'its host'}), or data_dir=PATH with the records"
    return "data_dir=PATH holding the records (PTB-XL: records500/NNNNN/NNNNN_hr or HRNNNNN)"
