"""Letter-choice questions: the model answers in free text and a letter is read out of it.

``output:`` settings:
  ``letters``: the option letters (required without ``options``; with them, default ``ABCDEFGH``
  truncated to the number of options);
  ``options``: a Jinja2 expression giving the options (a list, or a dict letter -> text), used to
  match an answer that repeats an option's text instead of its letter;
  ``rules``: ``harness`` (default, :func:`extract_letter`) or ``ecgbench`` (ECG-Bench's rules,
  :func:`extract_letter_ecgbench`; the gold answer is read with the same rules, so a gold
  written as ``"C. Sinus rhythm"`` is ``C``);
  ``compat``: with ``rules: ecgbench``, ``fixed`` (default: the rules above, which read what the
  answer states) or ``upstream`` (the released ``extract()`` rule for rule,
  :func:`extract_letter_ecgbench_upstream`, and the gold's first character as upstream reads it;
  proven against upstream's own outputs in ``tests/data/upstream/ecgbench_extract.jsonl``). The
  run-level ``compat=upstream`` sets it for every task that has it.
An answer from which no single letter can be read is *unparseable*: the prediction is None, the
count is reported, and accuracy counts it wrong (never a random guess).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, model_validator

from harness.settings import Settings
from harness.task.output_type import Extraction, Item, ItemContext, OutputType
from harness.task.prompt import Expression


class MultipleChoice(OutputType):
    name = "multiple_choice"

    class Settings(Settings):
        options: str | None = Field(
            None, description="Jinja2 expression giving the options (a list, or a dict letter -> text)"
        )
        letters: str | None = Field(None, description="the option letters, e.g. ABCD (with options: their letters)")
        rules: Literal["harness", "ecgbench"] = Field("harness", description="how a letter is read from an answer")
        compat: Literal["fixed", "upstream"] = Field(
            "fixed", description="with rules: ecgbench, upstream = the released extract() exactly, bugs included"
        )

        @model_validator(mode="after")
        def _letters_known(self) -> MultipleChoice.Settings:
            if self.options is None and not self.letters:
                raise ValueError("give `options` (an expression for the options) or `letters` (e.g. ABCD)")
            return self

    def items(self, ctx: ItemContext) -> list[Item]:
        settings = ctx.settings
        meta: dict[str, Any] = {"options": {}}
        if settings.options:
            options = Expression(settings.options, where=f"{ctx.where}: output.options").evaluate(
                ctx.doc.fields, sample=ctx.doc.id
            )
            letters = settings.letters or "ABCDEFGH"
            if isinstance(options, dict):
                meta["options"] = {str(k).upper(): str(v) for k, v in options.items()}
            else:
                meta["options"] = {letters[i]: str(v) for i, v in enumerate(options)}
        letters = "".join(meta["options"]) or str(settings.letters)
        meta["letters"] = letters
        reference = str(ctx.reference).strip()
        if settings.rules == "ecgbench":
            if settings.compat == "upstream":  # upstream compares the gold text's first character
                gold = str(ctx.reference)[:1] or None
            else:
                gold = extract_letter_ecgbench(reference, letters)
            if gold is None:
                raise ctx.data_error(f"no option letter ({letters}) in the gold answer {reference[:60]!r}")
            reference = gold
            meta["rules"] = "ecgbench_upstream" if settings.compat == "upstream" else settings.rules
        return [ctx.item(reference=reference.upper(), meta=meta)]

    def extract(self, item: Item, text: str) -> Extraction:
        letters = item.meta.get("letters", "ABCD")
        if item.meta.get("rules") == "ecgbench_upstream":
            letter = extract_letter_ecgbench_upstream(text)
        elif item.meta.get("rules") == "ecgbench":
            letter = extract_letter_ecgbench(text, letters)
        else:
            letter = extract_letter(text, letters, item.meta.get("options", {}))
        return Extraction(letter, unparseable=letter is None)


def extract_letter(text: str, letters: str, options: dict[str, str] | None = None) -> str | None:
    """The single option letter an answer commits to, or None.

    Tried in order: an explicit statement ("the answer is C", "Answer: (C)", "correct option is C");
    a letter at the start ("C", "C.", "C:", "(C)"); a lone letter token anywhere when only one
    option letter occurs; an option's text quoted in the answer when exactly one matches.
    """
    text = re.sub(r"<think>.*?</think>", "", text or "", flags=re.DOTALL).strip()
    if not text:
        return None
    cls = f"[{re.escape(letters)}]"
    explicit = [
        # words case-insensitive, the letter itself upper-case only ("the answer is a ..." is prose)
        rf"(?i:(?:the\s+)?(?:correct\s+|final\s+|best\s+)?(?:answer|option|choice)\s*(?:is|:)?\s*(?:option\s+)?)[\(\[]?({cls})[\)\]]?(?![A-Za-z])",
        rf"(?i:answer)\s*[:：]\s*[\(\[]?({cls})[\)\]]?(?![A-Za-z])",
    ]
    for pattern in explicit:
        found = re.findall(pattern, text)
        found_upper = {f.upper() for f in found if f.upper() in letters}
        if len(found_upper) == 1:
            return found_upper.pop()
    start = re.match(rf"^\s*[\(\[]?({cls})[\)\]]?(?:[\.:：\)\s]|$)", text)
    if start:
        return start.group(1).upper()
    lone = {m.upper() for m in re.findall(rf"(?<![A-Za-z])[\(\[]?({cls})[\)\]]?(?![A-Za-z'])", text)}
    if len(lone) == 1:
        return lone.pop()
    if options:
        lowered = text.lower()
        hits = [k for k, v in options.items() if v and v.lower() in lowered]
        if len(hits) == 1:
            return hits[0]
    return None


def extract_letter_ecgbench(text: str, letters: str = "ABCD") -> str | None:
    """The letter ECG-Bench's released evaluation reads, or None (upstream then draws a random letter).

    The rules, in upstream's order: the whole answer is a letter ("C"); it starts with a letter
    and a full stop ("C. Sinus rhythm"); the letter after "The correct option is"; the letter
    after the last "Answer:". Anything else is unparseable: the harness counts it wrong and
    reports the count (``choice_accuracy`` with ``unparseable: random`` reproduces upstream's
    seeded random letter instead).
    """
    cls = f"[{re.escape(letters)}]"
    text = (text or "").strip()
    if len(text) == 1 and text.upper() in letters:
        return text.upper()
    start = re.match(rf"^({cls})\.", text)
    if start:
        return start.group(1)
    for marker in (r"The correct option is", r"Answer:"):
        hits = list(re.finditer(marker, text, flags=re.IGNORECASE))
        if hits:
            after = re.match(rf"\s*[:：]?\s*[\(\[]?({cls})(?![A-Za-z])", text[hits[-1].end() :])
            if after:
                return after.group(1)
    return None


UPSTREAM_LETTERS = "ABCDEFGH"


def extract_letter_ecgbench_upstream(text: str) -> str | None:
    """The letter ECG-Bench's released ``extract()`` reads (AIMedLab/PULSE ``evaluate_ecgbench.py``),
    rule for rule, so a run in ``compat: upstream`` scores as the published numbers were scored.

    In upstream's order: the answer is exactly one of A-H; else the first of A-H, in alphabetical
    order, that appears anywhere followed by a full stop ("The answer is C." -> C, but "This shows
    LBBB. ..." -> B); else the character right after the last "The correct option is " if it is
    one of A-H (else nothing); else, after the last "Answer:", the first of A-H, alphabetically,
    found anywhere in the rest ("Answer: The ECG shows D" -> C, from "ECG"). Case-sensitive and
    unstripped (" B" reads nothing). Where upstream crashes (an answer ending in "The correct option
    is "), nothing is read. Re-implemented from the released code, not copied; the case table is
    the proof.
    """
    if len(text) == 1 and text in UPSTREAM_LETTERS:
        return text
    for letter in UPSTREAM_LETTERS:
        if letter + "." in text:
            return letter
    marker = "The correct option is "
    if marker in text:
        after = text.rsplit(marker, 1)[1][:1]
        return after if after and after in UPSTREAM_LETTERS else None
    if "Answer:" in text:
        rest = text.rsplit("Answer:", 1)[1].strip()
        return next((letter for letter in UPSTREAM_LETTERS if letter in rest), None)
    return None


RULES = {"harness": extract_letter, "ecgbench": extract_letter_ecgbench}
