"""The check of every ``image_url`` part on arrival, so a test sees that the images a backend
sends are real images (base64 data URL, file signature, decoded with Pillow when installed)."""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.images import EXTENSIONS, sniff

_ALIASES = {"image/jpg": "image/jpeg"}  # a common misspelling clients send; the bytes decide
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[^,;]*)*?);base64,", re.IGNORECASE)


@dataclass(frozen=True)
class ImageInfo:
    """What the stub found in one ``image_url`` part."""

    valid: bool
    mime: str | None = None
    format: str | None = None  # as decoded (Pillow's name, e.g. "PNG"), or from the signature
    width: int | None = None
    height: int | None = None
    n_bytes: int = 0
    error: str | None = None


def _image_parts(request: Mapping[str, Any]) -> list[Any]:
    found = []
    for message in request.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    found.append(part.get("image_url"))
    return found


def _check_url(url: Any) -> ImageInfo:
    if isinstance(url, dict):
        url = url.get("url")
    if not isinstance(url, str):
        return ImageInfo(False, error=f"image_url has no url string: {url!r:.80}")
    match = _DATA_URL.match(url)
    if not match:
        return ImageInfo(False, error=f"not a base64 data URL: {url[:60]!r}")
    mime = (match.group("mime") or "").lower() or None
    try:
        raw = base64.b64decode(url[match.end() :], validate=True)
    except (binascii.Error, ValueError) as exc:
        return ImageInfo(False, mime=mime, error=f"base64 does not decode: {exc}")
    declared = _ALIASES.get(mime or "", mime)
    subtype = declared.split("/", 1)[1] if declared and "/" in declared else ""
    if declared not in EXTENSIONS:
        return ImageInfo(False, mime=mime, n_bytes=len(raw), error=f"unsupported image type {mime!r}")
    if sniff(raw) != declared:
        return ImageInfo(False, mime=mime, n_bytes=len(raw), error=f"bytes are not a {subtype.upper()} file")
    try:
        from PIL import Image
    except ImportError:  # signature check only
        return ImageInfo(True, mime=mime, format=subtype.upper(), n_bytes=len(raw))
    try:
        with Image.open(io.BytesIO(raw)) as img:
            img.load()
            return ImageInfo(True, mime=mime, format=img.format, width=img.width, height=img.height, n_bytes=len(raw))
    except Exception as exc:  # Pillow raises many types for corrupt files
        return ImageInfo(False, mime=mime, n_bytes=len(raw), error=f"does not decode: {type(exc).__name__}: {exc}")


def check_images(request: Mapping[str, Any]) -> list[ImageInfo]:
    """Decode every ``image_url`` part of a chat request (base64 data URLs; Pillow if installed)."""
    return [_check_url(url) for url in _image_parts(request)]
