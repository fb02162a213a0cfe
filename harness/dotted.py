"""A field of a dataset record by dotted path: the one lookup tasks, the ECG layer and interop use."""

from __future__ import annotations

from typing import Any


def dotted(record: Any, path: str) -> Any:
    """``record['a']['b']`` for ``'a.b'``; list indices allowed (``'conversation.1.value'``)."""
    value = record
    for part in path.split("."):
        if isinstance(value, list) and part.lstrip("-").isdigit():
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise KeyError(path)
    return value
