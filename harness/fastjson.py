"""JSON on the hot path: orjson (several times faster than json), json where orjson refuses.

orjson rejects lone UTF-16 surrogates (e.g. a ``"\\ud800"`` escape), which json and the
servers built on it accept; those rare payloads go through json instead of failing a request.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":")).encode()


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
