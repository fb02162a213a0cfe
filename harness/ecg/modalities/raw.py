"""The ``raw`` modality: the array itself, for backends that take signals (``Request.extras``).

Chat APIs have no content part for a signal, so :func:`raw_part` makes an ``input_ecg`` part
that must not reach an OpenAI-compatible API; :func:`split_extras` moves such parts out of a
message's content into the request's ``extras`` and leaves a text note in their place.
"""

from __future__ import annotations

from typing import Any

from harness.ecg.record import ECG

PART_TYPE = "input_ecg"


def raw_part(ecg: ECG, max_seconds: float | None = None) -> dict[str, Any]:
    part = ecg.crop(max_seconds) if max_seconds else ecg
    return {
        "type": PART_TYPE,
        PART_TYPE: {
            "signal": part.signal,  # float32 [n_samples, n_leads], mV
            "fs": part.fs,
            "leads": list(part.leads),
            "units": "mV",
            "record_id": part.record_id,
        },
    }


def describe(payload: dict[str, Any]) -> str:
    n, _ = payload["signal"].shape
    return (
        f"[ECG signal attached as an array: {len(payload['leads'])} leads ({', '.join(payload['leads'])}), "
        f"{payload['fs']:g} Hz, {n / payload['fs']:.1f} s, mV]"
    )


def split_extras(content: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(content without ``input_ecg`` parts, ``{"ecg": [payload, ...]}``) for a :class:`Request`."""
    parts: list[dict[str, Any]] = []
    arrays: list[dict[str, Any]] = []
    for part in content:
        if part.get("type") == PART_TYPE:
            arrays.append(part[PART_TYPE])
            parts.append({"type": "text", "text": describe(part[PART_TYPE])})
        else:
            parts.append(part)
    return parts, ({"ecg": arrays} if arrays else {})
