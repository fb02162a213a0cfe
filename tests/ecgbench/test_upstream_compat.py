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


LABEL_ROWS = [
    json.loads(line)
    for line in (TABLE.parent / "ecgbench_labels.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
SCORE_ROWS = [
    json.loads(line)
    for line in (TABLE.parent / "ecgbench_scores.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
SPACES = {  # the task files' label sets, and code15's whole-record classes
    "ptb": (["NORM", "MI", "STTC", "CD", "HYP"], []),
    "cpsc": (["NORM", "AF", "I-AVB", "LBBB", "RBBB", "PAC", "PVC", "STD", "STE"], []),
    "code15": (["1dAVb", "RBBB", "LBBB", "SB", "ST", "AF"], ["NORM", "ABNORMAL"]),
}


def test_upstream_label_matching_agrees_on_every_row():
    from harness.plugins.output_types.multi_label import upstream_gold, upstream_labels

    assert len(LABEL_ROWS) >= 150 and {r["subset"] for r in LABEL_ROWS} == set(SPACES)
    wrong = []
    for row in LABEL_ROWS:
        labels, overall = SPACES[row["subset"]]
        got = (upstream_gold(row["gold_text"], labels, overall), upstream_labels(row["answer"], labels, overall))
        if (sorted(got[0]), sorted(got[1])) != (sorted(row["gold"]), sorted(row["predicted"])):
            wrong.append((row, got))
    assert wrong == []
    reported = {r["answer"]: r["predicted"] for r in LABEL_ROWS if r["subset"] == "ptb"}
    assert reported["No evidence of myocardial infarction; NORM"] == ["NORM"]  # no synonyms upstream
    assert reported["NORMAL sinus rhythm"] == ["NORM"]  # a case-sensitive substring


def test_upstream_f1_auc_hamming_fit_the_gold_labels_only():
    from harness.plugins.metrics.classification import F1, AucMacro, HammingLoss

    metrics = [F1("macro", compat="upstream"), AucMacro(compat="upstream"), HammingLoss(compat="upstream")]
    assert len(SCORE_ROWS) >= 30 and any(r["auc"] is None for r in SCORE_ROWS)
    for row in SCORE_ROWS:
        values = [[sorted(p), sorted(g)] for p, g in zip(row["predicted"], row["gold"])]
        got = [m.aggregate(values) for m in metrics]
        for name, mine, theirs in zip(("f1", "auc", "hamming"), got, (row["f1"], row["auc"], row["hamming"])):
            if theirs is None:
                assert mine != mine, (name, row)  # NaN where upstream gives NaN
            else:
                assert mine == pytest.approx(theirs, abs=1e-12), (name, row)
    fixed = F1("macro").aggregate([[["MI", "EXTRA"], ["MI"]], [["HYP"], ["NORM"]]])
    upstream = F1("macro", compat="upstream").aggregate([[["MI", "EXTRA"], ["MI"]], [["HYP"], ["NORM"]]])
    assert fixed == pytest.approx(1 / 4) and upstream == pytest.approx(1 / 2)  # EXTRA and HYP count only in fixed
