"""Data inside <script>: JSON that can never close the tag or break a JS string.

``<``, ``>`` and ``&`` become ``\\u003c`` ``\\u003e`` ``\\u0026`` (so ``</script>`` and
``<!--`` cannot appear), and U+2028/U+2029 are escaped (they end lines in older JS).
"""

from __future__ import annotations

import json
import math
from typing import Any

from markupsafe import Markup

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_TABLE = str.maketrans(_ESCAPES)


def _finite(value: Any) -> Any:
    """NaN and infinities are not JSON: they become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def safe_json(value: Any) -> str:
    """JSON text safe to place inside a <script> element or a .js file."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        text = json.dumps(_finite(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.translate(_TABLE)


def script_json(value: Any) -> Markup:
    """For templates: ``<script type="application/json">{{ data|script_json }}</script>``."""
    return Markup(safe_json(value))


def js_call(function: str, *args: Any) -> str:
    """A .js file body that hands data to the page: ``LB.receiveChunk(3, [...]);``."""
    return f"{function}({','.join(safe_json(a) for a in args)});\n"
