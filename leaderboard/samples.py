"""Streaming samples.jsonl into page-sized chunks for the browser, one line at a time.

A 50k-sample run is never held in memory or put in one page: each chunk of ``page_size``
records becomes a small ``.js`` file (script tags load on file://, fetch() does not).
Per-sample metric values are kept (one float per id and metric) for histograms and
paired comparisons.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.hashing import fingerprint
from harness.leaderboard.attachments import SiteAttachments
from harness.leaderboard.embed import js_call
from harness.results.attachments import SCHEME
from harness.results.schema import SampleRecord
from harness.results.secrets import may_hold_secret, scrub_text

PAGE_SIZE = 50
INLINE_DATA_LIMIT = 256  # a data: URL longer than this (an image) is replaced by a note


@dataclass
class SampleExport:
    n_records: int = 0
    n_pages: int = 0
    bad_lines: list[str] = field(default_factory=list)
    secrets_redacted: int = 0
    values: dict[str, dict[str, float]] = field(default_factory=dict)  # metric -> id -> value
    prompts: set[str] = field(default_factory=set)  # distinct prompts (request key or a hash of the messages)
    n_with_prompt: int = 0

    @property
    def duplicate_share(self) -> float | None:
        """The share of samples whose prompt another sample already sent (None: no prompts recorded)."""
        return (self.n_with_prompt - len(self.prompts)) / self.n_with_prompt if self.n_with_prompt else None


def numeric(value: Any) -> float | None:
    """A per-sample metric value as a float, or None (unscored, structured, non-finite)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict) and "unscored" not in value:
        for key in ("value", "score"):
            if key in value:
                return numeric(value[key])
    return None


def sample_value(record: SampleRecord, metric: str) -> float | None:
    """Where a sample keeps a metric's value: ``metrics[name]``, else ``judges[name]``."""
    if metric in record.metrics:
        return numeric(record.metrics[metric])
    if metric in record.judges:
        return numeric(record.judges[metric])
    return None


def _compact(obj: Any) -> Any:
    """Replace inline images (data: URLs) by a short note: they would bloat every page."""
    if isinstance(obj, str):
        if obj.startswith("data:") and len(obj) > INLINE_DATA_LIMIT:
            kind = obj[5 : obj.find(";")] if ";" in obj[:80] else "data"
            return f"[inline {kind}, {len(obj)} characters, not shown]"
        return obj
    if isinstance(obj, dict):
        return {k: _compact(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_compact(v) for v in obj]
    return obj


def _prompt_key(record: SampleRecord) -> str | None:
    """What identifies a sample's prompt: the runner's request key, else the messages themselves."""
    if record.request_key:
        return record.request_key
    if record.messages:
        return fingerprint(record.messages)
    return None


def _iter_lines(path: Path) -> Iterable[tuple[int, str]]:
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, line


def export_samples(
    samples_path: Path,
    dest: Path,
    metrics: list[str],
    *,
    page_size: int = PAGE_SIZE,
    attachments: SiteAttachments | None = None,
    on_record: Callable[[dict[str, Any], int], None] | None = None,
) -> SampleExport:
    """Write ``dest/p0001.js``, ``p0002.js``, ... and return counts and per-sample values.

    With ``attachments``, the images the samples refer to are published for the page to show.
    ``on_record`` sees each record as published (images compacted, secrets scrubbed) with the number
    of its sample page, before the chunk is written: it may add keys for the page (e.g. a link)."""
    dest.mkdir(parents=True, exist_ok=True)
    out = SampleExport(values={m: {} for m in metrics})
    page: list[dict[str, Any]] = []

    def flush() -> None:
        out.n_pages += 1
        (dest / f"p{out.n_pages:04d}.js").write_text(js_call("LB.receiveChunk", out.n_pages, page), encoding="utf-8")
        page.clear()

    for number, line in _iter_lines(samples_path):
        try:
            raw = json.loads(line)
            record = SampleRecord.model_validate(raw)
        except (json.JSONDecodeError, ValidationError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else exc.errors()[0]["msg"]
            loc = "" if isinstance(exc, json.JSONDecodeError) else ".".join(map(str, exc.errors()[0]["loc"]))
            out.bad_lines.append(f"{samples_path}: line {number}: {('key ' + repr(loc) + ': ') if loc else ''}{reason}")
            continue
        data = _compact(raw) if '"data:' in line else raw
        if may_hold_secret(line):
            data, redacted = scrub_text(data)
            out.secrets_redacted += redacted
        if attachments is not None and SCHEME in line:
            data = attachments.publish(data, samples_path.parent)
        out.n_records += 1
        prompt = _prompt_key(record)
        if prompt is not None:
            out.n_with_prompt += 1
            out.prompts.add(prompt)
        for metric in metrics:
            value = sample_value(record, metric)
            if value is not None:
                out.values[metric][record.id] = value
        if on_record is not None:
            on_record(data, out.n_pages + 1)
        page.append(data)
        if len(page) >= page_size:
            flush()
    if page or out.n_pages == 0:
        flush()
    return out
