"""The nearest-neighbour retrieval baseline: answers with the most similar *other* item's reference."""

from __future__ import annotations

import asyncio

import pytest
from backend_testing import ask, config, run

from harness.models.base import Model, ModelError, SupportsFit
from harness.plugins.models.retrieval import RetrievalModel

CORPUS = [
    ("a1", "What is the normal duration of the PR interval?", "120-200 ms"),
    ("a2", "What is the normal PR interval duration in adults?", "0.12-0.20 s"),
    ("b1", "Which leads show an inferior myocardial infarction?", "II, III, aVF"),
    ("b2", "In which leads is an inferior infarction seen?", "leads II, III and aVF"),
    ("c1", "What does a prolonged QT interval increase the risk of?", "torsades de pointes"),
    ("c2", "A long QT interval raises the risk of which arrhythmia?", "torsades"),
]


def _answers(model, items):
    async def go():
        return await asyncio.gather(*(model.generate(ask(text, id=item_id)) for item_id, text, _ in items))

    return run(go())


def test_answers_with_the_nearest_other_item_never_itself():
    model = RetrievalModel(config("retrieval"))
    assert isinstance(model, Model) and isinstance(model, SupportsFit)
    model.fit(CORPUS)
    answers = [r.text for r in _answers(model, CORPUS)]
    own = [ref for _, _, ref in CORPUS]
    assert all(answer != mine for answer, mine in zip(answers, own))
    assert answers == [
        "0.12-0.20 s",
        "120-200 ms",
        "leads II, III and aVF",
        "II, III, aVF",
        "torsades",
        "torsades de pointes",
    ]


def test_duplicated_questions_do_not_leak_the_answer():
    corpus = [
        ("x", "same question text", "ANSWER-X"),
        ("y", "same question text", "ANSWER-Y"),
        ("z", "unrelated words", "ANSWER-Z"),
    ]
    model = RetrievalModel(config("retrieval"))
    model.fit(corpus)
    assert [r.text for r in _answers(model, corpus)] == ["ANSWER-Y", "ANSWER-X", "ANSWER-X"]


def test_identity_depends_on_the_corpus_and_unfitted_use_is_an_error():
    model = RetrievalModel(config("retrieval"))
    with pytest.raises(ModelError, match="fit"):
        _answers(model, CORPUS[:1])
    model.fit(CORPUS)
    first = model.identity["corpus_sha256"]
    model.fit(CORPUS[:4])
    assert first and model.identity["corpus_sha256"] != first
    lonely = RetrievalModel(config("retrieval"))
    lonely.fit(CORPUS[:1])
    (response,) = _answers(lonely, CORPUS[:1])
    assert response.text is None and "no other item" in response.error


def _data_dir():
    import os
    from pathlib import Path

    return Path(os.environ.get("HARNESS_DATA_DIR") or Path(__file__).resolve().parents[2] / ".." / "shared" / "data")


def test_on_the_real_ecg_expert_qa_corpus_the_item_itself_is_never_retrieved():
    import json

    path = _data_dir() / "ecg_expert_qa" / "Cardiology Knowledge (Basic Knowledge Q&A).json"
    records = json.loads(path.read_text(encoding="utf-8"))
    corpus = [(f"ck-{i}", r["Q"], r["A"]) for i, r in enumerate(records)]
    assert len(corpus) == 2592
    model = RetrievalModel(config("retrieval"))
    model.fit(corpus)
    rows = [model.nearest(item_id) for item_id, _, _ in corpus[:400]]
    assert all(row != i for i, row in enumerate(rows))
    # a question asked twice in the data is answered from its twin, not from itself
    by_question: dict[str, list[int]] = {}
    for i, (_, question, _) in enumerate(corpus):
        by_question.setdefault(question, []).append(i)
    twins = [rows for rows in by_question.values() if len(rows) > 1]
    assert len(twins) > 10
    for rows in twins:
        for i in rows:
            found = model.nearest(corpus[i][0])
            assert found != i and found in rows
    responses = _answers(model, corpus[:50])
    assert all(r.text and r.error is None for r in responses)
