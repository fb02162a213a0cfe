"""bleu_1, bleu_1_corpus, rouge_l and meteor equal their reference implementations on every real
ECG-Expert-QA pair (CK, EBK, CD, PP; each reference scored against the next item's reference)."""

from __future__ import annotations

import functools
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from harness.plugins.metrics.bleu import Bleu1, Bleu1Corpus
from harness.plugins.metrics.meteor import Meteor
from harness.plugins.metrics.rouge import RougeL
from harness.plugins.metrics.tokenize import tokenize

TOL = 1e-9


@functools.cache
def _reference_tokens(text: str) -> list[str]:
    from rouge_score.tokenize import tokenize as rouge_tokenize

    return rouge_tokenize(text, None)


def _nltk_meteor_chunk(pairs: list[tuple[str, str]]) -> list[float]:
    from nltk.translate.meteor_score import meteor_score

    return [meteor_score([_reference_tokens(r)], _reference_tokens(p)) for p, r in pairs]


def _own_wordnet_files() -> None:
    from nltk.corpus import wordnet

    wordnet._data_file_map = {}  # a forked child must not share the parent's file offsets


def _assert_all_close(name: str, ours: list[float], theirs: list[float], pairs: list[tuple[str, str]]) -> None:
    assert len(ours) == len(theirs) == len(pairs)
    bad = [(i, o, t) for i, (o, t) in enumerate(zip(ours, theirs)) if not abs(o - t) <= TOL]
    assert not bad, (
        f"{name}: {len(bad)} of {len(pairs)} pairs differ, first: pair {bad[0][0]} ours={bad[0][1]} reference={bad[0][2]}"
    )


def test_corpus_is_the_real_one(ecgqa_pairs):
    assert len(ecgqa_pairs) == 2592 + 2247 + 1931 + 1164


def test_tokenisation_equals_rouge_score(ecgqa_pairs):
    texts = {t for pair in ecgqa_pairs for t in pair}
    assert all(tokenize(t) == _reference_tokens(t) for t in texts)


def test_bleu_1_equals_nltk_sentence_bleu(ecgqa_pairs):
    from nltk.translate.bleu_score import sentence_bleu

    preds, refs = zip(*ecgqa_pairs)
    ours = Bleu1().score(list(preds), list(refs))
    theirs = [sentence_bleu([_reference_tokens(r)], _reference_tokens(p), weights=(1,)) for p, r in ecgqa_pairs]
    _assert_all_close("bleu_1", ours, theirs, ecgqa_pairs)
    assert 0.05 < sum(ours) / len(ours) < 0.6  # unrelated answers of one domain: some overlap, far from 1


def test_bleu_1_corpus_equals_nltk_corpus_bleu(ecgqa_pairs):
    from nltk.translate.bleu_score import corpus_bleu

    metric = Bleu1Corpus()
    preds, refs = zip(*ecgqa_pairs)
    values = metric.score(list(preds), list(refs))
    theirs = corpus_bleu([[_reference_tokens(r)] for r in refs], [_reference_tokens(p) for p in preds], weights=(1,))
    assert abs(metric.aggregate(values) - theirs) <= TOL
    half = len(values) // 2  # and on a part of it, where the brevity penalty differs
    theirs_half = corpus_bleu(
        [[_reference_tokens(r)] for r in refs[:half]], [_reference_tokens(p) for p in preds[:half]], weights=(1,)
    )
    assert abs(metric.aggregate(values[:half]) - theirs_half) <= TOL


def test_rouge_l_equals_rouge_score(ecgqa_pairs):
    from rouge_score.rouge_scorer import RougeScorer

    scorer = RougeScorer(["rougeL"])
    preds, refs = zip(*ecgqa_pairs)
    ours = RougeL().score(list(preds), list(refs))
    theirs = [scorer.score(r, p)["rougeL"].fmeasure for p, r in ecgqa_pairs]
    _assert_all_close("rouge_l", ours, theirs, ecgqa_pairs)


def test_meteor_equals_nltk_meteor_score(ecgqa_pairs):
    from nltk.corpus import wordnet

    from harness.plugins.metrics.wordnet import find_wordnet

    find_wordnet()  # makes nltk.corpus.wordnet (the reference's default) see the same files
    metric = Meteor(wordnet="required")
    preds, refs = zip(*ecgqa_pairs)
    ours = metric.score(list(preds), list(refs))
    # nltk's meteor_score with all its defaults (nltk.corpus.wordnet, PorterStemmer, 0.9/3/0.5),
    # on both cores: the reference takes ~20 s of CPU on this corpus.
    wordnet.ensure_loaded()
    half = len(ecgqa_pairs) // 2
    chunks = [ecgqa_pairs[:half], ecgqa_pairs[half:]]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"), initializer=_own_wordnet_files) as pool:
        theirs = [v for part in pool.map(_nltk_meteor_chunk, chunks) for v in part]
    _assert_all_close("meteor", ours, theirs, ecgqa_pairs)
    assert metric.info()["matchers"] == ["exact", "stem", "wordnet"]
    assert metric.info()["wordnet"] is True


@pytest.mark.parametrize("metric_cls", [Bleu1, RougeL, Meteor])
def test_parallel_path_gives_identical_values(ecgqa_pairs, metric_cls, monkeypatch):
    """Large batches go through forked workers; the values must not change."""
    from harness.plugins.metrics import parallel

    monkeypatch.setenv("HARNESS_METRIC_WORKERS", "2")
    monkeypatch.setattr(parallel, "worker_count", lambda: 2)
    pairs = ecgqa_pairs[:3000]
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    sequential = metric_cls()
    sequential.min_parallel_batch = 10**9
    pooled = metric_cls()
    pooled.min_parallel_batch = 100
    calls = []
    real_map = parallel.map_chunks
    monkeypatch.setattr(parallel, "map_chunks", lambda *a, **k: calls.append(k) or real_map(*a, **k))
    assert pooled.score(preds, refs) == sequential.score(preds, refs)
    assert calls and calls[0]["min_batch"] == 100
