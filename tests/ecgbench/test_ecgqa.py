"""ECG-Bench's ecgqa-test (task ecgbench_ecgqa): option-set answers read as the released evaluation reads them.

The subset lives only on the Hub; as in test_hub_subsets.py, a small Parquet file in the Hub's
record shape (ECG-QA questions with their "Options: ..." list) is written to a temporary data
directory: this tests the reading and scoring, not ECG-Bench's numbers.
"""

from __future__ import annotations

import pytest

from harness.plugins.output_types.option_set import candidates, named
from harness.results.writer import sample_prediction
from harness.testing.openai_stub import OpenAIStub, by_model
from tests.ecgbench.test_hub_subsets import answers_by_question, cli, hub_file

TAIL = " Only answer based on the given Options without any explanation."
ROWS = [  # (question, gold, model answer, right?)
    ("Does this ECG show atrial fibrillation? Options: yes, no, not sure." + TAIL, "no", "No.", True),
    (
        "Which leads show ST elevation? Options: lead V1, lead V2, lead V3, none." + TAIL,
        "lead V1, lead V3",
        "Lead V3 and lead V1.",
        True,
    ),
    (
        "Which leads show ST depression? Options: lead V1, lead V2, lead V3, none." + TAIL,
        "lead V2",
        "lead V2 and lead V3",
        False,
    ),
    ("Is the rhythm regular? Options: yes, no." + TAIL, "yes", "I am unsure.", False),  # names no option
    # the released substring test: "no" is inside "not sure", so this answer names two options
    ("Is there an infarction? Options: yes, no, not sure." + TAIL, "not sure", "Not sure.", False),
]


def test_options_are_read_from_the_question():
    assert candidates(ROWS[0][0]) == ["yes", "no", "not sure"]
    assert candidates(ROWS[1][0]) == ["lead v1", "lead v2", "lead v3", "none"]
    assert candidates("no options here") == []
    # the released substring test: "no" is inside "not sure" (kept as upstream reads answers)
    assert named("Not sure.", ["yes", "no", "not sure"]) == ["no", "not sure"]


def test_ecgqa_task_scores_option_sets(tmp_path):
    root = tmp_path / "data"
    hub_file(root, "ecgqa-test", [(q, g) for q, g, _, _ in ROWS])
    answers = {q: a for q, _, a, _ in ROWS}
    with OpenAIStub(by_model({"candidate": answers_by_question(answers)})) as stub:
        results, samples = cli("ecgbench_ecgqa", root, tmp_path, stub)
        assert stub.stats.images_valid == 5  # each question with its picture
    assert [s["reference"] for s in samples] == ["no", "lead v1, lead v3", "lead v2", "yes", "not sure"]
    assert [sample_prediction(s) for s in samples] == [
        "no",
        "lead v1, lead v3",
        "lead v2, lead v3",
        None,
        "no, not sure",
    ]
    assert results["metrics"]["accuracy"]["value"] == pytest.approx(sum(r[3] for r in ROWS) / len(ROWS))
    assert results["task"]["n_unparseable"] == 1


def test_a_gold_outside_the_options_is_named(tmp_path):
    root = tmp_path / "data"
    hub_file(root, "ecgqa-test", [("Is it normal? Options: yes, no." + TAIL, "maybe")])
    from tests.conftest import run_harness

    proc = run_harness(
        "+task=ecgbench_ecgqa",
        "model=local_server",
        cwd=tmp_path,
        env={"HARNESS_DATA_DIR": str(root), "HARNESS_BASE_URL": "http://127.0.0.1:9/v1"},
    )
    assert (
        proc.returncode == 2
        and "sample ecgqa-test-0: the gold answer 'maybe' is not a set of the question's options" in proc.stderr
    )
