"""The benchmark's own picture of a sample's ECG (``modality=released_image``).

Image benchmarks (ECG-Bench, GEM's ECG-Grounding) release each sample's ECG as a picture: inside a
Hub subset (the bytes of its ``image`` column) or as a path (``test_images/ptb_test_v4/07190_hr-0.png``)
to be found under the data directory. This modality sends that exact picture, byte for byte, where
``modality=image`` draws the record anew; scores are then comparable with the benchmark's own.

A task opts in with its ``ecg:`` block::

    ecg:
      image: image                 # the field holding the picture: bytes, {bytes, path} or a path
      image_roots: [ecgbench]      # folders under the data directory a path is looked up in (then the data dir)
      modalities: [released_image, text]

A sample whose picture is neither in the record nor under the data directory is *absent*: not run,
and reported in ``results.json`` (``task.ecg``) like an absent ECG record.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import DataError
from harness.images import sniff

if TYPE_CHECKING:
    from harness.task.dataset import Doc

RELEASED_IMAGE = "released_image"


def image_field(spec: dict[str, Any]) -> str:
    return str(spec.get("image") or "image")


def _source(doc: Doc, spec: dict[str, Any]) -> tuple[bytes | None, str | None]:
    """``(bytes, path)`` of the sample's picture as its record holds it (either may be None)."""
    field = image_field(spec)
    value = doc.fields.get(field)
    data = doc.fields.get(f"{field}_bytes")  # the chat loader keeps a Hub image column's bytes here
    path = None
    if isinstance(value, dict):  # a Hub image column read as is: {"bytes", "path"}
        data = data or value.get("bytes")
        path = value.get("path")
    elif isinstance(value, (bytes, bytearray)):
        data = data or value
    elif isinstance(value, str) and value.strip():
        path = value.strip()
    return (bytes(data) if isinstance(data, (bytes, bytearray)) and data else None), path


def roots(spec: dict[str, Any], data_dir: Path | None) -> list[Path]:
    """The folders a picture's path is looked up in, in order."""
    if data_dir is None:
        return []
    return [Path(data_dir) / r for r in spec.get("image_roots") or []] + [Path(data_dir)]


def locate_image(path: str, spec: dict[str, Any], data_dir: Path | None) -> Path | None:
    for root in roots(spec, data_dir):
        candidate = root / path
        if candidate.is_file():
            return candidate
    return None


def missing_image(doc: Doc, spec: dict[str, Any], data_dir: Path | None) -> list[str]:
    """``[]`` when the sample's picture can be sent, else what was looked for (for the absent report)."""
    data, path = _source(doc, spec)
    if data is not None or (path and locate_image(path, spec, data_dir) is not None):
        return []
    return [path or f"(no {image_field(spec)} in the record)"]


def image_part(doc: Doc, spec: dict[str, Any], data_dir: Path | None) -> dict[str, Any]:
    """The picture as an OpenAI ``image_url`` content part (a data URL of the unchanged bytes)."""
    data, path = _source(doc, spec)
    if data is None and path:
        found = locate_image(path, spec, data_dir)
        data = found.read_bytes() if found is not None else None
    if data is None:
        where = ", ".join(str(r) for r in roots(spec, data_dir)) or "no data directory is set"
        raise DataError(
            f"sample {doc.id}: its released image {path or ''!r} is neither in the record nor under {where}"
        )
    return {
        "type": "image_url",
        "image_url": {"url": f"data:{media_type(data, sample=doc.id)};base64,{base64.b64encode(data).decode()}"},
    }


def media_type(data: bytes, *, sample: str) -> str:
    kind = sniff(data)
    if kind is not None:
        return kind
    raise DataError(
        f"sample {sample}: its released image is not a PNG, JPEG, GIF or WebP file (it starts with {data[:12]!r})"
    )
