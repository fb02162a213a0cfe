"""``compat: upstream``: ECG-Bench's released letter extraction, proven on upstream's own outputs.

``tests/data/upstream/ecgbench_extract.jsonl`` holds answers (the reported mismatches, real-looking
ones and generated ones) with the letter upstream's ``extract()`` returned for each (see the README
beside it); the upstream mode must agree on every row.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.plugins.output_types.multiple_choice import extract_letter_ecgbench, extract_letter_ecgbench_upstream

TABLE = Path(__file__).resolve().parents[1] / "data" / "upstream" / "ecgbench_extract.jsonl"
ROWS = [json.loads(line) for line in TABLE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_case_table_is_big_and_varied():
    assert len(ROWS) >= 250
    assert sum(r["letter"] is None for r in ROWS) >= 50 and sum(r["letter"] is not None for r in ROWS) >= 50
    assert len({r["letter"] for r in ROWS}) >= 8


def test_upstream_mode_agrees_with_upstream_on_every_row():
    wrong = [(r["text"], r["letter"], extract_letter_ecgbench_upstream(r["text"])) for r in ROWS]
    wrong = [w for w in wrong if w[1] != w[2]]
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "upstream", "fixed"),
    [
        ("The answer is C.", "C", None),
        ("Option D. Atrial fibrillation", "D", None),
        ("Answer: The ECG shows D", "C", None),
        (" B", None, "B"),
        ("This shows LBBB. The correct option is A", "B", "A"),
    ],
)
def test_the_reported_differences_between_upstream_and_the_default(text, upstream, fixed):
    assert extract_letter_ecgbench_upstream(text) == upstream
    assert extract_letter_ecgbench(text, "ABCDEFGH") == fixed


def test_compat_upstream_from_the_command_line_scores_as_upstream(tmp_path):
    """A run with compat=upstream reads letters the upstream way and records the switch."""
    from tests.ecgbench.test_hub_subsets import QUESTIONS, answers_by_question, cli, hub_file

    root = tmp_path / "data"
    hub_file(root, "csn-test-no-cot", [(q, g) for q, (g, _) in QUESTIONS.items()])
    from harness.testing.openai_stub import OpenAIStub, by_model

    widths = {q: 40 + n for n, q in enumerate(QUESTIONS)}
    answers = {q: a for q, (_, a) in QUESTIONS.items()}
    (tmp_path / "fixed").mkdir()
    (tmp_path / "upstream").mkdir()
    with OpenAIStub(by_model({"candidate": answers_by_question(answers, widths)})) as stub:
        fixed, fixed_samples = cli("ecgbench_csn", root, tmp_path / "fixed", stub)
        upstream, samples = cli("ecgbench_csn", root, tmp_path / "upstream", stub, "compat=upstream")
    assert fixed["task"]["compat"] == "fixed" and upstream["task"]["compat"] == "upstream"
    from harness.results.writer import sample_prediction

    expected = [extract_letter_ecgbench_upstream(s["response"]) for s in samples]
    assert [sample_prediction(s) for s in samples] == expected
    assert len(fixed_samples) == len(samples) == 6
