"""Images in a run's sample log, stored once beside it.

A prompt's image is a base64 data URL of 50-300 KB. Written into every ``samples.jsonl`` line that
shows it, an image benchmark's log would run to hundreds of megabytes, and a picture shared by many
samples would be repeated in each. The runner stores each distinct one once, as
``<run>/attachments/<sha256>.<ext>``, and writes ``attachment://<sha256>.<ext>`` in its place, as
inspect-ai's logs do. :func:`inline` puts the data URLs back, e.g. to replay a sample's request.
The requests themselves always carry the image; only the log is compacted.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.images import EXTENSIONS, MEDIA_TYPES

SCHEME = "attachment://"
FOLDER = "attachments"
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+);base64,")
NAME = re.compile(r"[0-9a-f]{64}\.(?:png|jpg|gif|webp)")  # what a stored attachment is called


class Attachments:
    """Stores a run's inline images under ``<run_dir>/attachments``; see the module docstring."""

    def __init__(self, run_dir: Path):
        self.folder = Path(run_dir) / FOLDER
        self._stored: set[str] = set()

    def compact(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``messages`` with every inline image replaced by its reference (the same list when there is none)."""
        return map_image_parts(messages, self._part)

    def _part(self, part: dict[str, Any], url: str) -> dict[str, Any]:
        match = _DATA_URL.match(url)
        if match is None or match.group("mime").lower() not in EXTENSIONS:
            return part
        data = base64.b64decode(url[match.end() :])
        name = f"{hashlib.sha256(data).hexdigest()}.{EXTENSIONS[match.group('mime').lower()]}"
        if name not in self._stored:
            self._write(name, data)
            self._stored.add(name)
        return with_url(part, SCHEME + name)

    def _write(self, name: str, data: bytes) -> None:
        path = self.folder / name
        if path.is_file():  # a resumed or repeated run: same name, same bytes
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)


def inline(messages: list[dict[str, Any]], run_dir: Path) -> list[dict[str, Any]]:
    """The logged ``messages`` of a sample with their images as data URLs again (the request as sent)."""

    def part(p: dict[str, Any], url: str) -> dict[str, Any]:
        if not url.startswith(SCHEME):
            return p
        name = url[len(SCHEME) :]
        data = (Path(run_dir) / FOLDER / name).read_bytes()
        return with_url(p, f"data:{MEDIA_TYPES[name.rsplit('.', 1)[-1]]};base64,{base64.b64encode(data).decode()}")

    return map_image_parts(messages, part)


def map_image_parts(messages: list[Any], change: Callable[[dict[str, Any], str], dict[str, Any]]) -> list[Any]:
    """``messages`` with ``change(part, url)`` applied to every ``image_url`` content part that has a
    url string; the same list when no message has content parts (plain text, the common case).
    Malformed entries (e.g. in a submitted log) are passed through untouched."""

    def part(p: Any) -> Any:
        if isinstance(p, dict) and p.get("type") == "image_url":
            image = p.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if isinstance(url, str):
                return change(p, url)
        return p

    def has_parts(m: Any) -> bool:
        return isinstance(m, dict) and isinstance(m.get("content"), list)

    if not any(has_parts(m) for m in messages):
        return messages
    return [{**m, "content": [part(p) for p in m["content"]]} if has_parts(m) else m for m in messages]


def with_url(part: dict[str, Any], url: str) -> dict[str, Any]:
    """An ``image_url`` part pointing at ``url`` (either form: ``{"url": ...}`` or the bare string)."""
    image = part["image_url"]
    return {**part, "image_url": {**image, "url": url} if isinstance(image, dict) else url}


def copy_attachments(run_dirs: list[Path], out_dir: Path) -> int:
    """Every attachment of ``run_dirs`` (e.g. a sharded run's shards) into ``out_dir``; the number copied."""
    copied = 0
    for run_dir in run_dirs:
        folder = Path(run_dir) / FOLDER
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            target = Path(out_dir) / FOLDER / path.name
            if path.is_file() and not path.name.startswith(".") and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                copied += 1
    return copied
