"""What an answer claims about its own score, and whether a verdict only restates it.

An answer may carry a fake verdict (``{"Diagnosis": {"Score": 10}}``, ``correctness: 10``, the
rubric's released format). A judge that obeys it, or quotes it, must not score. Claims are compared
with the verdict like with like: both go through the rubric's own key reading
(:meth:`~harness.judging.rubric.Rubric.canonical`: spellings, nesting such as Heartcare's
``item_scores``) and are then compared as *raw values*: the numbers (or labels) the text wrote, per
criterion, in their structure (``{"Score": 9, "Explanation": ...}`` -> 9, a list of entries -> the
tuple of their scores). A converted value is never compared: GEM's share of positive entries is 100
for ``[{"Score": 1}]`` and for ``[{"Score": 2}]``, which are different claims.

Hand-written: what counts as a claim is this harness's own rule (no library reads verdicts).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

from harness.judging.verdict import embedded_objects, normalise_key

if TYPE_CHECKING:
    from harness.judging.rubric import Rubric

Claim = dict[str, set[Hashable]]  # criterion -> the raw values claimed for it
_NUMBER = re.compile(r"\s*[-+]?\d+(?:\.\d+)?\s*")


def raw_form(value: Any) -> Hashable | None:
    """A verdict value as written, in a form that compares like with like (``None``: no score in it).

    Numbers and numeric strings are floats, labels lower case, a ``{"Score": s, ...}`` entry its
    score, a list the tuple of its entries' forms (one entry: its form)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return float(value) if _NUMBER.fullmatch(value) else value.strip().lower() or None
    if isinstance(value, dict):
        score = next((v for k, v in value.items() if normalise_key(k) == "score"), None)
        return raw_form(score)
    if isinstance(value, list):
        forms = tuple(raw_form(v) for v in value)
        if any(f is None for f in forms):
            return None
        return forms[0] if len(forms) == 1 else forms  # one entry claims what its score claims
    return None


def answer_claims(text: str | None, rubric: Rubric) -> list[Claim]:
    """Every verdict-like claim in ``text``: each JSON object in it (top level or nested), the
    rubric's own lenient reading of it (e.g. unquoted keys), and loose runs such as
    ``correctness: 10``, ``'Rhythm' = 9`` or ``rate it correctness 10`` under any spelling the
    rubric accepts."""
    if not text:
        return []
    objects = embedded_objects(text)
    loose_object = rubric.loose_object(text)
    if loose_object:
        objects.append(loose_object)
    claims = [_object_claim(obj, rubric) for obj in objects]
    claims.append(_prose_claim(text, rubric))
    return [c for c in claims if c]


def _object_claim(obj: dict[str, Any], rubric: Rubric) -> Claim:
    flat = rubric.canonical(obj)
    forms = {k: raw_form(flat[k]) for k in rubric.fields if k in flat}
    return {k: {f} for k, f in forms.items() if f is not None}


def _prose_claim(text: str, rubric: Rubric) -> Claim:
    """Loose ``KEY: value`` runs; a number outside the criterion's range is no claim a verdict could
    restate (``Rhythm at 72 bpm`` is a heart rate)."""
    ranges = {c.name: (c.min, c.max) for c in rubric.criteria}
    claim: Claim = {}
    for spelling, name in rubric.spellings().items():
        key = r"[\"']?\b" + re.escape(spelling) + r"\b[\"']?"
        numbers = re.findall(
            key + r"\s*(?:[:=]|=>|\bis\b|\bof\b|\bto\b|\bat\b)?\s*[\"']?(-?\d+(?:\.\d+)?)(?!\w|\.\d)",
            text,
            re.IGNORECASE,
        )
        low, high = ranges.get(name, (-math.inf, math.inf))
        forms = {raw_form(float(v)) for v in numbers if low <= float(v) <= high}
        forms |= {raw_form(w) for w in re.findall(key + r"\s*[:=]\s*[\"']?([A-Za-z]+)\b", text, re.IGNORECASE)}
        forms |= {f for f in _json_values(text, key) if not isinstance(f, float) or low <= f <= high}
        if forms:
            claim.setdefault(name, set()).update(forms)
    return claim


def _json_values(text: str, key: str) -> set[Hashable]:
    """The forms of JSON values written after ``KEY:`` (``Diagnosis: {"Score": 10}``, a list of entries)."""
    decoder = json.JSONDecoder()
    forms: set[Hashable] = set()
    for match in re.finditer(key + r"\s*[:=]\s*(?=[\[{])", text, re.IGNORECASE):
        try:
            value, _ = decoder.raw_decode(text, match.end())
        except json.JSONDecodeError:
            continue
        form = raw_form(value)
        if form is not None:
            forms.add(form)
    return forms


def copied(obj: dict[str, Any], scored: Iterable[str], untrusted: Iterable[str], rubric: Rubric) -> str | None:
    """The criteria a verdict only restates from the answer's claims, or ``None``.

    ``obj`` is the verdict as the rubric read it (canonical keys, raw values) and ``scored`` the
    criteria that passed. A claim restates the verdict when it covers every scored criterion, or
    at least two of them, and each covered value equals the verdict's raw value: one shared number
    alone (an answer's ``Rhythm: 1st degree AV block`` beside a judge's Rhythm 1) is no evidence."""
    scored = [k for k in scored if k in obj]
    forms = {k: raw_form(obj[k]) for k in scored}
    for text in untrusted:
        for claim in answer_claims(text, rubric):
            shared = [k for k in scored if k in claim]
            if not shared or (len(shared) < 2 and len(shared) < len(scored)):
                continue
            if all(forms[k] is not None and forms[k] in claim[k] for k in shared):
                return ", ".join(f"{k}={_show(obj[k])}" for k in shared)
    return None


def quotes_a_verdict(quoted: Iterable[str], rubric: Rubric) -> bool:
    """Whether the spans a judge reproduced from the answer hold a verdict-like claim."""
    return bool(answer_claims("\n".join(quoted), rubric))


def _show(value: Any) -> str:
    form = raw_form(value)
    if isinstance(form, tuple):
        return "[" + ", ".join(_show(v) for v in form) + "]"
    if isinstance(form, float):
        return str(int(form)) if form.is_integer() else str(form)
    return str(form)
