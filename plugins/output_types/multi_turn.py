"""Dialogues scored turn by turn: each scored doctor (assistant) turn is one item.

The task's ``reference`` expression gives the gold dialogue; the task's prompt (system + user) is
the preamble, and its user message opens the dialogue (joined with the first user turn). For the
assistant turn ``k`` the model sees the preamble, then the *gold* turns before ``k`` (never its own
earlier answers, so one weak turn does not contaminate the next), and writes turn ``k``. Items are
``<doc id>/turn-<k>`` with ``k`` the turn's index in the dialogue, counting from 0.

``output:`` settings:
  ``format``: how the gold dialogue is stored:
      ``qa``       a list of ``{"Q", "A"}`` or a dict ``name -> {"Question", "Answer"}``: Q is the
                   user (patient) turn, A the assistant (doctor) turn;
      ``phases``   a dict ``phase name -> [{speaker: text}, ...]`` (speaker names mapped by
                   ``doctor_speakers``);
      ``messages`` a list of ``{"role": "user"|"assistant", "content"}``.
  ``doctor_speakers``: speaker names (case-insensitive) that are the assistant side (``phases``).
  ``history``: ``gold`` (default; the gold dialogue so far) or ``none`` (each user turn is asked
      alone after the preamble: independent questions about one context).
  ``score``: ``all`` (every assistant turn) or ``after_correction`` (only assistant turns after the
      first user turn of the first phase whose name contains ``correction_phase``: the turns that
      must take the corrected information into account).
  ``correction_phase``: case-insensitive substring naming the correction phase (default ``correction``).

Consecutive turns of one side are joined into one turn, so the roles always alternate.
``summarize`` adds per-dialogue scores (``<metric>/dialogue``: the mean over dialogues of each
dialogue's mean turn score, for every metric and judged score such as ``mms``) to results.json.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from harness.errors import DataError
from harness.plugins.output_types.generation import Generation
from harness.settings import Settings
from harness.task.output_type import Extraction, Item, ItemContext, OutputType

FORMATS = ("qa", "phases", "messages")


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    text: str
    speaker: str
    phase: str | None = None


class MultiTurnSettings(Settings):
    """The ``output:`` block of a dialogue task (module docstring)."""

    format: Literal["qa", "phases", "messages"] = "qa"
    doctor_speakers: list[str] = Field(default_factory=lambda: ["doctor"])
    history: Literal["gold", "none"] = "gold"
    score: Literal["all", "after_correction"] = "all"
    correction_phase: str = "correction"


class MultiTurn(OutputType):
    name = "multi_turn"
    Settings = MultiTurnSettings
    one_item_per_record = False

    def items(self, ctx: ItemContext) -> list[Item]:
        settings: MultiTurnSettings = ctx.settings
        where = f"task '{ctx.task}': sample {ctx.doc.id}"
        speakers = [s.lower() for s in settings.doctor_speakers]
        turns = normalize_dialogue(ctx.reference, settings.format, doctor_speakers=speakers, where=where)
        scored = scored_turns(turns, settings.score, correction_phase=settings.correction_phase.lower(), where=where)
        preamble = ctx.messages()
        items = []
        for k in scored:
            if settings.history == "gold":
                history = turns[:k]
            else:  # the user turn(s) directly before k, alone
                start = k
                while start > 0 and turns[start - 1].role == "user":
                    start -= 1
                history = turns[start:k]
            turn = turns[k]
            meta = {"turn": k, "n_turns": len(turns), "speaker": turn.speaker, "history": settings.history}
            if turn.phase is not None:
                meta["phase"] = turn.phase
            items.append(
                ctx.item(id=f"{ctx.doc.id}/turn-{k}", messages=_join(preamble, history), reference=turn.text, meta=meta)
            )
        return items

    def extract(self, item: Item, text: str) -> Extraction:
        return Generation().extract(item, text)

    def summarize(self, records: Iterable[dict[str, Any]], *, seed: int = 0) -> dict[str, dict[str, Any]]:
        """Per-dialogue entries for results.json: ``<metric>/dialogue`` over each dialogue's mean turn score.

        A dialogue counts when at least one of its turns was scored for that metric; dialogues with
        none are reported as unscored.
        """
        from harness.metrics.aggregate import summarize
        from harness.metrics.base import Metric, Unscored

        per_dialogue: dict[str, dict[str, list[float]]] = {}
        order: list[str] = []
        names: list[str] = []
        for record in records:
            doc_id = str(record.get("doc_id"))
            if doc_id not in per_dialogue:
                per_dialogue[doc_id] = {}
                order.append(doc_id)
            for name, value in _scores(record):
                if name not in names:
                    names.append(name)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    per_dialogue[doc_id].setdefault(name, []).append(float(value))
        out: dict[str, dict[str, Any]] = {}
        for name in names:
            values = [
                sum(v) / len(v) if (v := per_dialogue[d].get(name)) else Unscored("no scored turn") for d in order
            ]
            entry = summarize(Metric(), values, seed=seed)
            entry.update(
                kind="dialogue",
                info={
                    "unit": "dialogue",
                    "of": name,
                    "n_dialogues": len(order),
                    "rule": "mean over dialogues of the dialogue's mean turn score",
                },
            )
            out[f"{name}/dialogue"] = entry
        return out


def _scores(record: dict[str, Any]) -> list[tuple[str, Any]]:
    """A sample's metric values and its judges' combined (jury) values, e.g. ``mms``."""
    found = list((record.get("metrics") or {}).items())
    for entry in (record.get("judges") or {}).values():
        if isinstance(entry, dict) and isinstance(entry.get("jury"), dict):
            found += list((entry["jury"].get("values") or {}).items())
    return found


def normalize_dialogue(raw: Any, fmt: str, *, doctor_speakers: list[str] | None = None, where: str = "") -> list[Turn]:
    """The gold dialogue as alternating user/assistant turns."""
    doctors = [s.lower() for s in (doctor_speakers or ["doctor"])]
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise DataError(f"{where}: the dialogue is a string that is not JSON; expected {_EXPECTED[fmt]}") from None
    turns: list[Turn] = []
    if fmt == "qa":
        pairs: list[tuple[Any, Any, str | None]] = []
        if isinstance(raw, list):
            for i, pair in enumerate(raw):
                if not isinstance(pair, dict) or not ({"Q", "A"} <= set(pair) or {"Question", "Answer"} <= set(pair)):
                    raise DataError(f"{where}: dialogue entry {i} is not a {{Q, A}} object; expected {_EXPECTED[fmt]}")
                pairs.append((pair.get("Q", pair.get("Question")), pair.get("A", pair.get("Answer")), None))
        elif isinstance(raw, dict):
            for name, pair in raw.items():
                if not isinstance(pair, dict) or not ({"Question", "Answer"} <= set(pair) or {"Q", "A"} <= set(pair)):
                    raise DataError(
                        f"{where}: dialogue entry '{name}' is not a {{Question, Answer}} object; expected {_EXPECTED[fmt]}"
                    )
                pairs.append((pair.get("Question", pair.get("Q")), pair.get("Answer", pair.get("A")), str(name)))
        else:
            raise DataError(f"{where}: the dialogue is a {type(raw).__name__}; expected {_EXPECTED[fmt]}")
        for q, a, name in pairs:
            turns.append(Turn("user", str(q), "patient", name))
            turns.append(Turn("assistant", str(a), "doctor", name))
    elif fmt == "phases":
        if not isinstance(raw, dict):
            raise DataError(f"{where}: the dialogue is a {type(raw).__name__}; expected {_EXPECTED[fmt]}")
        for phase, entries in raw.items():
            if not isinstance(entries, list):
                raise DataError(
                    f"{where}: phase '{phase}' is a {type(entries).__name__}; expected a list of {{speaker: text}}"
                )
            for i, entry in enumerate(entries):
                if not isinstance(entry, dict) or not entry:
                    raise DataError(f"{where}: phase '{phase}' entry {i} is not a {{speaker: text}} object")
                for speaker, text in entry.items():
                    role = "assistant" if str(speaker).strip().lower() in doctors else "user"
                    turns.append(Turn(role, str(text), str(speaker), str(phase)))
    elif fmt == "messages":
        if not isinstance(raw, list):
            raise DataError(f"{where}: the dialogue is a {type(raw).__name__}; expected {_EXPECTED[fmt]}")
        for i, m in enumerate(raw):
            if not isinstance(m, dict) or m.get("role") not in ("user", "assistant") or "content" not in m:
                raise DataError(f"{where}: dialogue message {i} needs role user|assistant and content")
            turns.append(Turn(m["role"], str(m["content"]), m["role"]))
    else:
        raise DataError(f"{where}: unknown dialogue format '{fmt}'")
    return _merge_runs(turns)


def scored_turns(turns: list[Turn], score: str, *, correction_phase: str = "correction", where: str = "") -> list[int]:
    """Indices of the assistant turns that are scored."""
    assistant = [k for k, t in enumerate(turns) if t.role == "assistant"]
    if score == "all":
        return assistant
    phases = [t.phase for t in turns if t.phase is not None]
    reveal = next(
        (
            k
            for k, t in enumerate(turns)
            if t.role == "user" and t.phase is not None and correction_phase in t.phase.lower()
        ),
        None,
    )
    if reveal is None:
        found = ", ".join(dict.fromkeys(phases)) or "none"
        raise DataError(
            f"{where}: no user turn in a phase named like '{correction_phase}' (phases: {found}); "
            "cannot tell where the correction is revealed"
        )
    return [k for k in assistant if k > reveal]


def _merge_runs(turns: list[Turn]) -> list[Turn]:
    merged: list[Turn] = []
    for turn in turns:
        if merged and merged[-1].role == turn.role:
            last = merged[-1]
            merged[-1] = Turn(last.role, f"{last.text}\n{turn.text}", last.speaker, last.phase)
        else:
            merged.append(turn)
    return merged


def _join(preamble: list[dict[str, Any]], history: list[Turn]) -> list[dict[str, Any]]:
    """Preamble messages followed by the history; a trailing preamble user message opens the first user turn."""
    messages = [dict(m) for m in preamble]
    for turn in history:
        last = messages[-1] if messages else None
        if last is not None and last["role"] == turn.role == "user" and isinstance(last["content"], str):
            last["content"] = f"{last['content']}\n\n{turn.text}" if last["content"].strip() else turn.text
        else:
            messages.append({"role": turn.role, "content": turn.text})
    return messages


_EXPECTED = {
    "qa": 'a list of {"Q", "A"} or a dict of name -> {"Question", "Answer"}',
    "phases": "a dict of phase name -> list of {speaker: text}",
    "messages": 'a list of {"role": "user"|"assistant", "content"}',
}
