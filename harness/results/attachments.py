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
        if not any(isinstance(m.get("content"), list) for m in messages):  # plain text: the common case, no copy
            return messages
        return [{**m, "content": [self._part(p) for p in m["content"]]} if isinstance(m.get("content"), list) else m for m in messages]

    def _part(self, part: Any) -> Any:
        if not (isinstance(part, dict) and part.get("type") == "image_url"):
            return part
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        match = _DATA_URL.match(url) if isinstance(url, str) else None
        if match is None or match.group("mime").lower() not in EXTENSIONS:
            return part
        data = base64.b64decode(url[match.end():])
        name = f"{hashlib.sha256(data).hexdigest()}.{EXTENSIONS[match.group('mime').lower()]}"
        if name not in self._stored:
            self._write(name, data)
            self._stored.add(name)
        ref = SCHEME + name
        return {**part, "image_url": {**image, "url": ref} if isinstance(image, dict) else ref}

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
    def part(p: Any) -> Any:
        image = p.get("image_url") if isinstance(p, dict) and p.get("type") == "image_url" else None
        url = image.get("url") if isinstance(image, dict) else image
        if not (isinstance(url, str) and url.startswith(SCHEME)):
            return p
        name = url[len(SCHEME):]
        data = (Path(run_dir) / FOLDER / name).read_bytes()
        data_url = f"data:{MEDIA_TYPES[name.rsplit('.', 1)[-1]]};base64,{base64.b64encode(data).decode()}"
        return {**p, "image_url": {**image, "url": data_url} if isinstance(image, dict) else data_url}

    return [{**m, "content": [part(p) for p in m["content"]]} if isinstance(m.get("content"), list) else m for m in messages]


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
