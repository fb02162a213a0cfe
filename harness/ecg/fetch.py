"""The ECG records a task's samples need and do not have, fetched from the host the task declares.

A task's ``ecg:`` block may say where its records come from (``physionet: {database, version}``).
Before a run (and in ``python -m harness data fetch``) the task hands this module the samples it
selected; each reference that is neither under the data directory nor in the mirror is mapped
to its record in the database (:func:`harness.ecg.locate.database_record`) and fetched by
:mod:`harness.sources.physionet`. References that name no record of the database are left to
the absent-record report.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.ecg.task_input import ECGRecordAbsent, locate, record_refs

if TYPE_CHECKING:
    from harness.sources.physionet import FetchReport, PhysioNetSource
    from harness.task.dataset import Doc


def source_of(spec: dict[str, Any] | None) -> PhysioNetSource | None:
    """The task's declared record host, or None."""
    if not spec or not spec.get("physionet"):
        return None
    from harness.sources.physionet import PhysioNetSource

    return PhysioNetSource.from_spec(spec["physionet"], where="task ecg block")


def needed(
    docs: Iterable[Doc], spec: dict[str, Any], *, data_dir: Path | None, cache_dir: Path | None
) -> tuple[set[str], dict[str, str]]:
    """The references the samples name that are present, and the absent ones -> their database record.

    An absent reference the database cannot name maps to ``""``."""
    from harness.ecg.locate import database_record

    source = source_of(spec)
    present: set[str] = set()
    absent: dict[str, str] = {}
    for doc in docs:
        for ref in record_refs(doc, spec):
            if ref in present or ref in absent:
                continue
            try:
                locate(ref, spec, data_dir, sample=doc.id, cache_dir=cache_dir)
                present.add(ref)
            except ECGRecordAbsent:
                absent[ref] = (database_record(source.database, ref) or "") if source else ""
    return present, absent


def fetch_absent(
    docs: Iterable[Doc], spec: dict[str, Any], *, data_dir: Path | None, cache_dir: Path | None, task_name: str
) -> FetchReport | None:
    """Fetch the absent records of ``docs`` from the task's PhysioNet database; None when it declares none."""
    source = source_of(spec)
    if source is None:
        return None
    from harness.sources.physionet import fetch_records

    _, absent = needed(docs, spec, data_dir=data_dir, cache_dir=cache_dir)
    return fetch_records(source, [r for r in absent.values() if r], cache_dir=cache_dir, task_name=task_name)
