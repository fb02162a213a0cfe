"""The published Heartcare-Suite QA files (``DiagnosisClosedQA.json``, ``WaveformOpenQA.json``, ...).

They are JSON lists of ``{type, question, answer, filename: ["ptbxl_img/NNNNN"], ...}``; a closed
question carries its four options inside the text (``... A: X; B: Y; C: Z; D: W``) and the answer
repeats one (``"C: Z"``). This loader adds what the harness scores with:

- ``sample_id``: ``<position>:<record>`` (stable, names the record in messages and reports);
- for closed questions, ``options`` (letter -> text) and ``answer_letter``; a record whose answer
  names a letter but whose question has no readable A-D options is an error naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.errors import DataError
from harness.plugins.loaders.files import load_json

_OPTIONS = re.compile(
    r"(?<![A-Za-z])A\s*[:.]\s*(.+?);\s*B\s*[:.]\s*(.+?);\s*C\s*[:.]\s*(.+?);\s*D\s*[:.]\s*(.+?)\s*$", re.DOTALL
)
_ANSWER = re.compile(r"^\s*\(?([A-D])\)?\s*[:.)]")


def parse_options(question: str) -> dict[str, str] | None:
    match = _OPTIONS.search(question or "")
    if not match:
        return None
    return {letter: text.strip().rstrip(".") for letter, text in zip("ABCD", match.groups())}


def load_heartcare_json(path: Path, options: Any = None) -> Iterator[dict[str, Any]]:

    for position, record in enumerate(load_json(path)):
        if not isinstance(record, dict):
            yield record
            continue
        record = dict(record)
        files = record.get("filename") or []
        record["sample_id"] = f"{position}:{files[0] if files else 'no-record'}"
        answer = str(record.get("answer", ""))
        letter = _ANSWER.match(answer)
        if letter:
            parsed = parse_options(str(record.get("question", "")))
            if parsed is None:
                raise DataError(
                    f"{path}: record {position} ({record['sample_id']}): answer '{answer[:40]}' names option "
                    f"{letter.group(1)} but the question has no 'A: ...; B: ...; C: ...; D: ...' options"
                )
            record["options"] = parsed
            record["answer_letter"] = letter.group(1)
        yield record
