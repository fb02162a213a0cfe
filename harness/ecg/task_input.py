"""The seam between a task and the ECG layer: which record(s) a sample shows, and how.

A task's ``ecg:`` block (YAML) says where a record's reference lives and how to prepare it::

    ecg:
      record: filename          # field (dotted path) holding a reference or a list of references (alias: record_field)
      modalities: [image, signal_text, features]
      fs: 250                   # resample to this rate (HeartAgent standardises to 250 Hz); null keeps the file's
      clean: false              # NeuroKit2 cleaning before presentation
      duration_s: 10            # crop (from the start) before presentation; null keeps the whole record
      labels: ["Previous ECG", "Recent ECG"]   # text shown before each record when a sample has several
      roots: [...]              # search roots under the data directory (default: the ECG layer's)
      physionet: {database: ptb-xl, version: 1.0.3}   # where absent records are fetched from (harness.ecg.fetch)
      present: {image: {...}}   # per-modality options passed to the ECG layer's ``present``
      attach: true              # false: the output type presents the signal itself (signal prediction)

A run picks one modality (``modality=``); for samples with several records a combined modality
``signal_text+image`` gives each record its own (the first record the first modality, ...). Two
modalities need no record: ``released_image`` sends the benchmark's own picture of the ECG
(:mod:`harness.ecg.released_image`; ``image:`` names its field) and ``text`` shows nothing (the
question alone).

Records are looked up under the data directory, then in the task's PhysioNet mirror in the cache
(``<cache_dir>/physionet/<database>/<version>``, filled by :mod:`harness.ecg.fetch`). Records
that are in neither place are *absent*: :func:`with_present_records` drops
them from the task's records and remembers their ids, which the run reports in ``results.json``
(``task.ecg``). Asking for an absent record's content is an error naming the sample and where it
was looked for, never an empty prompt.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from harness.dotted import dotted
from harness.ecg.released_image import RELEASED_IMAGE, image_part, missing_image
from harness.ecg.released_image import roots as image_roots
from harness.errors import DataError
from harness.settings import Settings

TEXT = "text"  # the question alone: no ECG shown, none required

if TYPE_CHECKING:
    from harness.ecg.record import ECG
    from harness.task.dataset import Doc


class ECGRecordAbsent(DataError):
    """A sample's ECG record is not under the data directory."""


class PhysioNetSettings(Settings):
    """Where absent records are fetched from (``ecg.physionet``)."""

    database: str
    version: str
    access: Literal["open", "credentialed"] | None = None


class EcgSettings(Settings):
    """A task's ``ecg:`` block: which record(s) a sample shows and how (module docstring)."""

    record: str | None = Field(None, description="field (dotted path) holding a record reference or a list of them")
    modalities: list[str] = Field(default_factory=list, description="the presentations the task supports")
    default_modality: str | None = None
    fs: float | None = Field(250, description="resample to this rate; null keeps the file's")
    clean: bool = False
    duration_s: float | None = None
    labels: list[str] | None = None
    roots: list[str] | None = None
    present: dict[str, dict[str, Any]] = Field(default_factory=dict, description="per-modality presentation options")
    attach: bool = True
    image: str | None = Field(None, description="released_image: the field holding the benchmark's picture")
    image_roots: list[str] | None = None
    physionet: PhysioNetSettings | None = None


def record_field(spec: dict[str, Any]) -> str | None:
    """The field naming a sample's record(s): ``record``."""
    value = spec.get("record")
    return str(value) if value else None


def record_refs(doc: Doc, spec: dict[str, Any]) -> list[str]:
    """The record references a sample names (``filename: ["ptbxl_img/06000"]`` -> ``["ptbxl_img/06000"]``)."""

    field = record_field(spec)
    if not field:
        raise DataError("task ecg block: `record` (the field holding the record reference) is required")
    try:
        value = dotted(doc.fields, str(field))
    except (KeyError, IndexError):
        raise DataError(f"sample {doc.id}: no field '{field}' (ecg.record) in the record") from None
    refs = [value] if isinstance(value, (str, int)) else list(value or [])
    if not refs:
        raise DataError(f"sample {doc.id}: field '{field}' (ecg.record) names no ECG record")
    return [str(r) for r in refs]


def _roots(spec: dict[str, Any]) -> tuple[str, ...]:
    from harness.ecg.locate import DEFAULT_ROOTS

    return tuple(spec.get("roots") or DEFAULT_ROOTS)


def mirrors(spec: dict[str, Any], cache_dir: Path | None = None) -> list[Path]:
    """The cache folders holding records fetched from the task's declared host (none without ``physionet:``)."""
    if not spec.get("physionet"):
        return []
    from harness.sources.physionet import PhysioNetSource

    return [PhysioNetSource.from_spec(spec["physionet"], where="task ecg block").mirror(cache_dir)]


def looked_in(data_dir: Path | None, spec: dict[str, Any], cache_dir: Path | None = None) -> list[str]:
    """The folders a reference is searched in, for messages."""
    local = [str(Path(data_dir) / r) for r in _roots(spec)] + [str(data_dir)] if data_dir is not None else []
    return local + [str(m) for m in mirrors(spec, cache_dir)]


def locate(
    ref: str, spec: dict[str, Any], data_dir: Path | None, *, sample: str, cache_dir: Path | None = None
) -> Path:
    """The on-disk record for ``ref``; :class:`ECGRecordAbsent` naming the sample and the folders tried."""
    from harness.ecg.locate import locate_record

    extra = mirrors(spec, cache_dir)
    if data_dir is None and not extra:
        raise ECGRecordAbsent(
            f"sample {sample}: ECG record '{ref}' cannot be looked up: no data directory is set "
            "(data_dir=PATH or HARNESS_DATA_DIR)"
        )
    path = locate_record(data_dir, ref, roots=_roots(spec), extra=extra)
    if path is None:
        where = "\n".join(f"    {p}" for p in looked_in(data_dir, spec, cache_dir))
        raise ECGRecordAbsent(
            f"sample {sample}: ECG record '{ref}' not found. Looked in:\n{where}\n"
            "  (PTB-XL references resolve to records500/NNNNN/NNNNN_hr, HRNNNNN or NNNNN_hr under these folders)"
        )
    return path


@lru_cache(maxsize=64)
def _prepared(path: str, fs: float | None, clean: bool, duration_s: float | None) -> ECG:
    """Read, resample, clean and crop once per process (samples often share records)."""
    from harness.ecg.preprocess import clean as clean_ecg
    from harness.ecg.preprocess import resample
    from harness.ecg.record import read_record

    ecg = read_record(path)
    if fs:
        ecg = resample(ecg, float(fs))
    if clean:
        ecg = clean_ecg(ecg)
    if duration_s:
        ecg = ecg.crop(float(duration_s))
    return ecg


def load_ecg(
    ref: str, spec: dict[str, Any], data_dir: Path | None, *, sample: str, cache_dir: Path | None = None
) -> ECG:
    """The prepared ECG (resampled/cleaned/cropped as the task's ``ecg:`` block says) for one reference."""
    from harness.ecg.record import ECGRecordError

    path = locate(ref, spec, data_dir, sample=sample, cache_dir=cache_dir)
    fs = spec.get("fs", 250)
    try:
        return _prepared(
            str(path),
            float(fs) if fs else None,
            bool(spec.get("clean", False)),
            float(spec["duration_s"]) if spec.get("duration_s") else None,
        )
    except ECGRecordError as exc:
        raise DataError(f"sample {sample}: {exc}") from None


def record_modalities(modality: str, n_records: int, *, sample: str) -> list[str]:
    """One modality per record: ``image`` for all, or ``signal_text+image`` one each, in order."""
    parts = [m.strip() for m in modality.split("+") if m.strip()]
    if len(parts) == 1:
        return parts * n_records
    if len(parts) != n_records:
        raise DataError(
            f"sample {sample}: modality '{modality}' names {len(parts)} modalities but the sample has {n_records} records"
        )
    return parts


def _as_parts(presented: Any) -> list[dict[str, Any]]:
    """The ECG layer's presentation as OpenAI content parts (it may give parts, one part or text)."""
    if isinstance(presented, str):
        return [{"type": "text", "text": presented}]
    if isinstance(presented, dict):
        return [presented]
    return [dict(p) for p in presented]


def ecg_parts(
    doc: Doc, spec: dict[str, Any], modality: str | None, *, data_dir: Path | None, cache_dir: Path | None = None
) -> list[dict[str, Any]]:
    """Content parts presenting the sample's ECG(s) in ``modality``, placed before the question."""
    if not modality or modality == TEXT or spec.get("attach", True) is False:
        return []
    if modality == RELEASED_IMAGE:
        return [image_part(doc, spec, data_dir)]
    from harness.ecg.present import present

    refs = record_refs(doc, spec)
    modalities = record_modalities(modality, len(refs), sample=doc.id)
    labels = list(spec.get("labels") or [])
    options = spec.get("present") or {}
    parts: list[dict[str, Any]] = []
    for k, (ref, mod) in enumerate(zip(refs, modalities)):
        ecg = load_ecg(ref, spec, data_dir, sample=doc.id, cache_dir=cache_dir)
        if len(refs) > 1:
            label = labels[k] if k < len(labels) else f"ECG {k + 1}"
            parts.append({"type": "text", "text": f"{label}:"})
        ecg_cache = Path(cache_dir) / "ecg" if cache_dir is not None else None  # rendered images, measurements
        parts += _as_parts(present(ecg, mod, cache_dir=ecg_cache, **dict(options.get(mod) or {})))
    return parts


def checks_presence(spec: dict[str, Any], modality: str | None) -> bool:
    """Whether a run in ``modality`` needs something per sample (a record, a picture) that may be absent."""
    if modality == TEXT:
        return False
    return modality == RELEASED_IMAGE or bool(record_field(spec))


def missing(
    doc: Doc, spec: dict[str, Any], modality: str | None, data_dir: Path | None, cache_dir: Path | None = None
) -> list[str]:
    """What the sample needs in ``modality`` and is not there (record references or the picture)."""
    if modality == RELEASED_IMAGE:
        return missing_image(doc, spec, data_dir)
    out = []
    for ref in record_refs(doc, spec):
        try:
            locate(ref, spec, data_dir, sample=doc.id, cache_dir=cache_dir)
        except ECGRecordAbsent:
            out.append(ref)
    return out


def with_present_records(
    docs: Iterator[Doc],
    spec: dict[str, Any],
    *,
    data_dir: Path | None,
    absent: dict[str, list[str]],
    modality: str | None = None,
    cache_dir: Path | None = None,
) -> Iterator[Doc]:
    """The samples whose ECGs (records, or pictures for ``released_image``) are all there; the
    others go into ``absent``.

    ``absent`` maps a sample id to what is missing; the run reports it (count and ids) in
    ``results.json`` instead of silently shrinking the task.
    """
    for doc in docs:
        lacking = missing(doc, spec, modality, data_dir, cache_dir)
        if lacking:
            absent[doc.id] = lacking
            continue
        yield doc


def absent_report(
    absent: dict[str, list[str]],
    spec: dict[str, Any],
    data_dir: Path | None,
    modality: str | None = None,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """What ``results.json['task']['ecg']`` says about records (or pictures) that could not be shown."""
    if modality == RELEASED_IMAGE:
        folders = [str(r) for r in image_roots(spec, data_dir)]
    else:
        folders = looked_in(data_dir, spec, cache_dir)
    return {
        "n_absent": len(absent),
        "absent_ids": list(absent),
        "absent_records": sorted({r for refs in absent.values() for r in refs}),
        "looked_in": folders,
    }
