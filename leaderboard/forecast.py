"""The series of a signal-forecast sample (output type ``signal_forecast``), per lead: the context
the model was shown, the true continuation and the model's prediction, for plotting.

The reference and the prediction are stored as values per lead; the context is stored only in the
prompt, one line per lead (``II: 0.12, -0.40, ...``, as the output type writes it), so it is read
back from the user messages: per lead, the line with the most values (the prompt's example is shorter).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from harness.models.messages import content_text

OUTPUT_TYPE = "signal_forecast"
_LINE = re.compile(r"^\s*([A-Za-z]{1,3}\d?)\s*:\s*([-+0-9., eE]+)$", re.MULTILINE)
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class LeadSeries:
    lead: str
    context: list[float]
    truth: list[float]
    prediction: list[float] | None


def _numbers(value: Any) -> list[float] | None:
    """A list of finite numbers, or None."""
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        return None
    return [float(v) for v in value]


def _per_lead(value: Any) -> list[list[float]] | None:
    """Values per lead (a flat list is one lead)."""
    flat = _numbers(value)
    if flat is not None:
        return [flat]
    if isinstance(value, list) and value:
        rows = [_numbers(row) for row in value]
        if all(row is not None for row in rows):
            return rows  # type: ignore[return-value]
    return None


def _prompt_text(messages: Any) -> str:
    """The text of the user messages (a published record's messages may be anything: checked)."""
    users = (
        [m for m in messages if isinstance(m, dict) and m.get("role") == "user"] if isinstance(messages, list) else []
    )
    return "\n".join(content_text(m.get("content")) for m in users)


def _context(text: str, leads: list[str]) -> dict[str, list[float]]:
    """Per lead, the longest line of values the prompt gives for it."""
    wanted = {lead.upper(): lead for lead in leads}
    best: dict[str, list[float]] = {}
    for match in _LINE.finditer(text):
        lead = wanted.get(match.group(1).upper())
        values = [float(v) for v in _NUMBER.findall(match.group(2))]
        if lead and len(values) > len(best.get(lead, [])):
            best[lead] = values
    return best


def forecast_series(record: dict[str, Any]) -> list[LeadSeries]:
    """The per-lead series of a published sample record ([] if its reference is not a series)."""
    truth = _per_lead(record.get("reference"))
    if truth is None:
        return []
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    leads = [str(x) for x in meta.get("leads") or []]
    if len(leads) != len(truth):
        leads = ["II"] if len(truth) == 1 else [f"lead {k + 1}" for k in range(len(truth))]
    prediction = _per_lead(record.get("prediction"))
    if prediction is not None and len(prediction) != len(truth):
        prediction = None
    context = _context(_prompt_text(record.get("messages")), leads)
    return [
        LeadSeries(lead, context.get(lead, []), row, prediction[k] if prediction else None)
        for k, (lead, row) in enumerate(zip(leads, truth))
    ]
