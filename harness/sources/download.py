"""One verified HTTP download: resumable, atomic, checksummed before use.

Plain URLs (a pinned file on GitHub's raw host) have no client library of their own, so this
module is the one hand-written downloader, on the standard library's ``urllib``:

- the bytes go to ``<target>.part`` beside the target; an interrupted transfer (dropped
  connection, Ctrl-C, a killed process) leaves it there and the next attempt resumes it with a
  ``Range`` request (a server that answers 200 instead of 206 restarts it);
- a dropped connection is retried at once, from where it stopped (``attempts``);
- when complete, the file's sha256 is computed; a pinned sha256 that differs deletes the partial
  file and raises one error naming the URL, the file and both digests; nothing half-written is
  ever at the target path, which appears by an atomic rename only after the check.
"""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness.errors import DataError
from harness.hashing import sha256_file
from harness.sources.progress import bar

CHUNK = 1 << 16
TIMEOUT_S = 60


class DownloadFailed(DataError):
    """The transfer itself failed (unreachable host, HTTP error); ``reason`` says why in a few words."""

    def __init__(self, message: str, *, reason: str, status: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Downloaded:
    path: Path
    sha256: str
    bytes_received: int  # what this call transferred (less than the size when it resumed)


def partial_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def download(
    url: str, target: Path, *, sha256: str | None = None, label: str | None = None, attempts: int = 3
) -> Downloaded:
    """Download ``url`` to ``target`` (resuming ``target.part``); verify ``sha256`` when given."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = partial_path(target)
    received = 0
    for attempt in range(1, attempts + 1):
        try:
            received += _transfer(url, part, label or target.name)
            break
        except _Interrupted as exc:
            received += exc.received
            if attempt == attempts:
                raise DownloadFailed(
                    f"could not download {url}: the connection dropped {attempts} times "
                    f"({part.stat().st_size if part.exists() else 0} bytes kept in {part}; run again to resume)",
                    reason="connection dropped",
                ) from None
    digest = sha256_file(part)
    if sha256 and digest != sha256.lower():
        part.unlink(missing_ok=True)
        raise DataError(
            f"sha256 mismatch for {url} (file {target.name}): expected {sha256}, got {digest}; "
            "the download was deleted, nothing was kept"
        )
    os.replace(part, target)
    return Downloaded(target, digest, received)


class _Interrupted(Exception):
    def __init__(self, received: int):
        self.received = received


def _transfer(url: str, part: Path, label: str) -> int:
    """Append the rest of ``url`` to ``part``; the bytes received. Raises _Interrupted on a dropped connection."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)  # noqa: S310 (the task's own URL)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the partial file is not a prefix of this file: start over
            part.unlink(missing_ok=True)
            return _transfer(url, part, label)
        raise DownloadFailed(
            f"could not download {url}: HTTP {exc.code} {exc.reason}", reason=f"HTTP {exc.code}", status=exc.code
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = str(getattr(exc, "reason", exc))
        raise DownloadFailed(f"could not download {url}: {reason}", reason=reason) from None
    with response:
        resumed = response.status == 206
        if not resumed:
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        received = 0
        with open(part, "ab" if resumed else "wb") as out, bar(f"{label}", total) as advance:
            advance(have)
            while True:
                try:
                    block = response.read(CHUNK)
                except (OSError, http.client.HTTPException) as exc:  # reset or closed mid-body (IncompleteRead)
                    raise _Interrupted(received) from exc
                if not block:
                    break
                out.write(block)
                received += len(block)
                advance(len(block))
        if total is not None and have + received < total:
            raise _Interrupted(received)
        return received
