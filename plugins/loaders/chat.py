"""Conversation-shaped benchmark files, whatever their dialect, as flat template fields.

ECG instruction and test sets store a sample as a chat, in three dialects:

- LLaVA / GEM's ECG-Grounding JSON: ``conversations: [{from: human|gpt, value}]``, ``image``, ``ecg``;
- ECG-Bench (PULSE): ``conversation: [{from: user|assistant, value}]``, ``image``;
- ECG-R1's converted chat format: ``messages: [{role: system|user|assistant, content}]``, ``images: [...]``.

The ``chat`` loader reads JSON, JSON lines, Parquet (a Hub subset exported with ``datasets``'
``to_parquet``, or a Parquet file of the Hub repository) or Arrow (the file ``datasets`` keeps in
its local cache, read through ``datasets`` without copying)
and adds the same fields to every record, so one task file works on any dialect:

- ``system``: the system message ("" if none);
- ``question`` / ``answer``: the first user turn (``<image>`` placeholders removed) and the
  assistant turn after it;
- ``turns``: every ``{question, answer}`` pair, for multi-turn items (ECG-Bench arena);
- ``image``: the first image path, or None; ``image_bytes``: the picture itself when the file holds
  it (a Hub subset's image column, ``{"bytes", "path"}``), else None (``modality=released_image``
  sends either, :mod:`harness.ecg.released_image`);
- ``record``: the ECG record the sample is about, for the ECG layer (``ecg`` when given, else
  derived from the image path: ``.../p1802/p18029015/s49722328/49722328-0.png`` ->
  ``files/p1802/p18029015/s49722328/49722328`` (MIMIC-IV-ECG layout), ``.../07190_hr-0.png`` ->
  ``07190_hr`` (PTB-XL)), or None.

A record without a readable conversation is an error naming the file and the record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from harness.errors import DataError
from harness.plugins.loaders.files import load_json, load_jsonl
from harness.task.dataset import Loader

CHAT_KEYS = ("messages", "conversations", "conversation")
_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
    "model": "assistant",
}
_IMAGE_TOKEN = re.compile(r"<image>\s*", re.IGNORECASE)
_MIMIC = re.compile(r"(p\d{4}/p\d{8}/s\d+/)(\d+)(?:-\d+)?(?:\.\w+)?$")


def turns_of(record: dict[str, Any], *, where: str) -> list[tuple[str, str]]:
    """``[(role, text), ...]`` of the record's chat, roles normalised to system/user/assistant."""
    key = next((k for k in CHAT_KEYS if isinstance(record.get(k), list)), None)
    if key is None:
        raise DataError(f"{where}: no conversation (expected one of {', '.join(CHAT_KEYS)} as a list of turns)")
    out = []
    for n, turn in enumerate(record[key]):
        if not isinstance(turn, dict):
            raise DataError(f"{where}: {key}[{n}] is not an object")
        role = _ROLES.get(str(turn.get("role", turn.get("from", ""))).strip().lower())
        text = turn.get("content", turn.get("value"))
        if role is None or not isinstance(text, str):
            raise DataError(
                f"{where}: {key}[{n}] needs a role (role/from: system, user/human, assistant/gpt) and a text (content/value)"
            )
        out.append((role, text))
    return out


def record_ref(record: dict[str, Any]) -> str | None:
    """The ECG record a sample shows, as the ECG layer resolves it (see the module docstring)."""
    ecg = record.get("ecg")
    if isinstance(ecg, str) and ecg.strip():
        return ecg.strip()
    image = first_image(record)
    if not image:
        return None
    mimic = _MIMIC.search(image)
    if mimic:
        return f"files/{mimic.group(1)}{mimic.group(2)}"
    stem = PurePosixPath(image).stem
    return re.sub(r"-\d+$", "", stem) or None


def first_image(record: dict[str, Any]) -> str | None:
    image = record.get("image")
    if isinstance(image, str):
        return image
    if isinstance(image, dict) and isinstance(image.get("path"), str):  # a Hub image column: {"bytes", "path"}
        return image["path"]
    images = record.get("images")
    if isinstance(images, list) and images and isinstance(images[0], str):
        return images[0]
    return None


def flatten(record: dict[str, Any], *, where: str) -> dict[str, Any]:
    """The record with ``system``, ``question``, ``answer``, ``turns``, ``image`` and ``record`` added."""
    chat = turns_of(record, where=where)
    system = "\n".join(text for role, text in chat if role == "system")
    pairs: list[dict[str, str]] = []
    pending: str | None = None
    for role, text in chat:
        if role == "user":
            pending = _IMAGE_TOKEN.sub("", text).strip()
        elif role == "assistant" and pending is not None:
            pairs.append({"question": pending, "answer": text.strip()})
            pending = None
    if not pairs:
        raise DataError(f"{where}: the conversation has no user turn followed by an assistant turn (the reference)")
    return {
        **record,
        "system": system,
        "question": pairs[0]["question"],
        "answer": pairs[0]["answer"],
        "turns": pairs,
        "image": first_image(record),
        "image_bytes": _image_bytes(record),
        "record": record_ref(record),
    }


def _image_bytes(record: dict[str, Any]) -> bytes | None:
    image = record.get("image")
    data = image.get("bytes") if isinstance(image, dict) else None
    return data if isinstance(data, bytes) and data else None


def _raw(path: Path) -> Iterator[dict[str, Any]]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from load_jsonl(path)
    elif suffix == ".parquet":
        yield from _hub_parquet(path)
    elif suffix == ".arrow":
        yield from _hub_arrow(path)
    else:
        yield from load_json(path)


def _hub_parquet(path: Path) -> Iterator[dict[str, Any]]:
    """A Hub subset saved as Parquet (``datasets``' ``to_parquet``, or a file of the Hub repository).

    Read with pyarrow, a thousand rows at a time; an image column (``{"bytes", "path"}``) is
    split by :func:`flatten` into ``image`` (the path) and ``image_bytes``.
    """
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=1_000):
        yield from batch.to_pylist()


def _hub_arrow(path: Path) -> Iterator[dict[str, Any]]:
    """A Hub subset as ``datasets`` caches it (``~/.cache/huggingface/datasets/.../*.arrow``), memory-mapped."""
    import datasets

    ds = datasets.Dataset.from_file(str(path))
    for column, feature in ds.features.items():
        if isinstance(feature, datasets.Image):
            ds = ds.cast_column(column, datasets.Image(decode=False))
    yield from ds


def load_chat(path: Path, options: Any = None) -> Iterator[dict[str, Any]]:
    """Records of a chat-shaped file (JSON list, JSON lines or Parquet), flattened (module docstring)."""
    for position, record in enumerate(_raw(Path(path))):
        if not isinstance(record, dict):
            raise DataError(f"{path}: record {position} is a {type(record).__name__}, expected an object")
        ident = record.get("id", record.get("question_id"))
        where = f"{path}: record {position}" + (f" (id {ident})" if ident is not None else "")
        yield flatten(record, where=where)


CHAT = Loader(load_chat)
