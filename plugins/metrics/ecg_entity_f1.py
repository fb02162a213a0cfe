"""ECG-entity F1: overlap of the SCP-ECG statements two reports mention.

Heartcare-Bench scores reports with F1-RadGraph, which needs RadGraph (a radiology model) and is
not available offline. This metric is an honest, simpler stand-in and is named for what it is: a
dictionary matcher finds the SCP-ECG statements (PTB-XL's ``scp_statements.csv`` descriptions and
codes, plus Heartcare's label vocabulary ``class.json``) in each text; the sample value is the F1
of the two sets (precision over the prediction's entities, recall over the reference's). It does
not extract relations and does not understand negation ("no atrial fibrillation" counts as a
mention): read it as term coverage, not as RadGraph.

Matching: case-insensitive on descriptions with punctuation and runs of spaces normalised, longest
phrase first, no overlaps; codes (``CRBBB``, ``AFIB``, ...; three letters or more, and ``SR``)
case-sensitive as whole tokens. A reference that names no entity is unscored (no recall to
compute), never 0 or 1.

Vocabulary files are read from the data directory (the run's ``data_dir``, i.e. ``HARNESS_DATA_DIR``) or absolute paths
(metric args ``vocabulary: [...]``); when they cannot be found every sample is unscored with the
path in the reason.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.metrics.base import Metric, ScoreInput, Unscored

DEFAULT_VOCABULARY = ("heartcare_bench/meta/scp_statements.csv", "heartcare_bench/meta/class.json")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9]+", " ", text.lower())).strip()


@lru_cache(maxsize=8)
def load_vocabulary(paths: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """(normalised phrase -> canonical entity, code -> canonical entity)."""
    phrases: dict[str, str] = {}
    codes: dict[str, str] = {}
    for raw in paths:
        path = Path(raw)
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            for labels in data.values():
                for label in labels:
                    phrases.setdefault(_norm(label), label.lower())
        else:
            with open(path, encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    code = (row.get("") or row.get("Unnamed: 0") or "").strip()
                    desc = (row.get("description") or "").strip()
                    if not desc:
                        continue
                    canonical = phrases.setdefault(_norm(desc), desc.lower())
                    long_desc = (row.get("SCP-ECG Statement Description") or "").strip()
                    if long_desc:
                        phrases.setdefault(_norm(long_desc), canonical)
                    if code and (len(code.rstrip("_")) >= 3 or code == "SR"):
                        codes[code.rstrip("_")] = canonical
    return phrases, codes


def entities(text: str, phrases: dict[str, str], codes: dict[str, str]) -> set[str]:
    """The SCP-ECG entities a text mentions."""
    found: set[str] = set()
    norm = " " + _norm(text) + " "
    for phrase in sorted(phrases, key=len, reverse=True):
        needle = f" {phrase} "
        while needle in norm:
            found.add(phrases[phrase])
            norm = norm.replace(needle, " \x00 ", 1)
    for token in re.findall(r"[A-Za-z0-9/()]+", text or ""):
        if token in codes:
            found.add(codes[token])
    return found


def set_f1(predicted: set[str], reference: set[str]) -> float:
    if not predicted:
        return 0.0
    hit = len(predicted & reference)
    if hit == 0:
        return 0.0
    p, r = hit / len(predicted), hit / len(reference)
    return 2 * p * r / (p + r)


class ECGEntityF1(Metric):
    name = "ecg_entity_f1"
    description = (
        "F1 of SCP-ECG statements mentioned (dictionary matching; an offline stand-in for F1-RadGraph, not RadGraph)"
    )

    def __init__(self, vocabulary: Sequence[str] = DEFAULT_VOCABULARY):
        self.vocabulary = tuple(vocabulary)

    def _paths(self) -> tuple[list[str], list[str]]:
        base = os.environ.get("HARNESS_DATA_DIR")
        found, missing = [], []
        for raw in self.vocabulary:
            path = Path(raw) if Path(raw).is_absolute() else Path(base) / raw if base else None
            (found if path is not None and path.is_file() else missing).append(
                str(path or f"$HARNESS_DATA_DIR/{raw} (unset)")
            )
        return found, missing

    def compute(self, batch: Sequence[ScoreInput]) -> list[Any]:
        found, missing = self._paths()
        if missing:
            reason = f"SCP-ECG vocabulary not found: {', '.join(missing)}"
            return [Unscored(reason) for _ in batch]
        phrases, codes = load_vocabulary(tuple(found))
        out: list[Any] = []
        for item in batch:
            reference = entities(str(item.reference or ""), phrases, codes)
            if not reference:
                out.append(Unscored("reference names no SCP-ECG entity"))
                continue
            out.append(set_f1(entities(str(item.prediction or ""), phrases, codes), reference))
        return out

    def info(self) -> dict[str, Any]:
        found, missing = self._paths()
        return {
            "method": "dictionary matching of SCP-ECG statements; set F1 per sample; no relations, no negation",
            "stand_in_for": "F1-RadGraph (not RadGraph)",
            "vocabulary": found,
            "vocabulary_missing": missing,
        }
