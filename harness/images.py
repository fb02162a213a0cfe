"""Image files by their first bytes: the four types chat models take (PNG, JPEG, GIF, WebP).

One table for every layer that handles a picture: the ECG layer sending a benchmark's image, the
run log storing it, the leaderboard publishing it.
"""

from __future__ import annotations

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
MEDIA_TYPES = {ext: kind for kind, ext in EXTENSIONS.items()}


def sniff(data: bytes) -> str | None:
    """The media type of ``data`` from its signature, or None when it is none of the four."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
