"""The images a run's samples showed, published once for the whole site.

A run stores each prompt image once (``<run>/attachments/<sha256>.<ext>``, see
:mod:`harness.results.attachments`); many models see the same images, so the site keeps one copy in
``site/attachments/``. A file is published only if it is a regular file whose name is its own
sha256 and whose bytes are an image of that type: a submission cannot slip other content (or a
symlink to a file of the building machine) onto the site. A sample's reference to an image that
is not published stays plain text on its page.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from harness.images import MEDIA_TYPES, sniff
from harness.results.attachments import FOLDER, NAME, SCHEME, map_image_parts


class SiteAttachments:
    """Publishes the images samples refer to into ``site/attachments`` (see the module docstring)."""

    def __init__(self, site: Path):
        self.folder = site / FOLDER
        self._published: set[str] = set()
        self._refused: set[tuple[Path, str]] = set()  # (run dir, name): checked once, however many samples refer to it
        self.refused: list[str] = []  # why references were left as text, for the build report

    def publish(self, record: dict[str, Any], run_dir: Path) -> dict[str, Any]:
        """``record`` with each published image part given ``site_path`` (relative to the site root)."""
        messages = record.get("messages")
        if not isinstance(messages, list):
            return record
        return {**record, "messages": map_image_parts(messages, lambda part, url: self._part(part, url, run_dir))}

    def _part(self, part: dict[str, Any], url: str, run_dir: Path) -> dict[str, Any]:
        image = part["image_url"]
        if not (isinstance(image, dict) and url.startswith(SCHEME)):
            return part
        name = url[len(SCHEME) :]
        if name not in self._published:
            if (run_dir, name) in self._refused:
                return part
            if not self._copy(name, run_dir):
                self._refused.add((run_dir, name))
                return part
        return {**part, "image_url": {**image, "site_path": f"{FOLDER}/{name}"}}

    def _copy(self, name: str, run_dir: Path) -> bool:
        source = run_dir / FOLDER / name
        if not NAME.fullmatch(name):
            self.refused.append(f"{run_dir}: attachment name {name[:80]!r} is not <sha256>.<png|jpg|gif|webp>")
            return False
        if source.is_symlink() or not source.is_file():
            self.refused.append(f"{source}: missing (or not a regular file)")
            return False
        data = source.read_bytes()
        ext = name.rsplit(".", 1)[1]
        if hashlib.sha256(data).hexdigest() != name.split(".")[0] or sniff(data) != MEDIA_TYPES[ext]:
            self.refused.append(f"{source}: its bytes do not match its name (sha256 and {ext.upper()} signature)")
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, self.folder / name)
        self._published.add(name)
        return True
