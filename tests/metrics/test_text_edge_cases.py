"""Edge cases and WordNet handling of the text metrics (small hand-written inputs)."""

from __future__ import annotations

import json

import pytest

from harness.metrics.base import ScoreInput, Unscored
from harness.plugins.metrics.bleu import Bleu1, Bleu1Corpus
from harness.plugins.metrics.meteor import Meteor
from harness.plugins.metrics.rouge import RougeL
from harness.plugins.metrics.tokenize import tokenize

TEXT_METRICS = [Bleu1, Bleu1Corpus, RougeL, Meteor]


def test_tokenisation_is_rouge_scores():
    assert tokenize("QTc > 450 ms; Wolff-Parkinson-White") == ["qtc", "450", "ms", "wolff", "parkinson", "white"]
    assert tokenize("Déjà vu: 5μV") == ["d", "j", "vu", "5", "v"]  # non-ASCII letters separate tokens
    assert tokenize("  ...  ") == []


@pytest.mark.parametrize("metric_cls", TEXT_METRICS)
def test_missing_prediction_is_unscored_and_empty_prediction_scores_zero(metric_cls):
    metric = metric_cls()
    values = metric.compute(
        [
            ScoreInput(prediction=None, reference="sinus rhythm"),
            ScoreInput(prediction="", reference="sinus rhythm"),
            ScoreInput(prediction="?!", reference="sinus rhythm"),
            ScoreInput(prediction="sinus rhythm", reference=""),
            ScoreInput(prediction="sinus rhythm", reference="--"),
            ScoreInput(prediction="Sinus rhythm.", reference="sinus rhythm"),
        ]
    )
    assert values[0] == Unscored("no prediction")
    assert values[3] == values[4] == Unscored("empty reference")
    if metric_cls is Bleu1Corpus:
        assert values[1] == values[2] == [0, 0, 2]
        assert values[5] == [2, 2, 2]
        assert metric.aggregate([values[5]]) == pytest.approx(1.0)
        assert metric.aggregate([values[1]]) == 0.0
    else:
        assert values[1] == values[2] == 0.0
        assert values[5] == pytest.approx(1.0 if metric_cls is not Meteor else 0.5 * (1 - 0.5 * (1 / 2) ** 3) * 2)
    json.dumps([v for v in values if not isinstance(v, Unscored)])  # per-sample values stay JSON-able


def test_edge_cases_agree_with_the_reference_implementations():
    from nltk.translate.bleu_score import sentence_bleu
    from rouge_score.rouge_scorer import RougeScorer

    scorer = RougeScorer(["rougeL"])
    for pred in ["", "...", "the", "the the the the", "a b c d e f g"]:
        ref = "the heart rate is normal"
        assert Bleu1().score([pred], [ref])[0] == pytest.approx(
            sentence_bleu([tokenize(ref)], tokenize(pred), weights=(1,)), abs=1e-12
        )
        assert RougeL().score([pred], [ref])[0] == pytest.approx(scorer.score(ref, pred)["rougeL"].fmeasure, abs=1e-12)


@pytest.mark.parametrize("metric_cls", TEXT_METRICS)
def test_non_string_input_is_a_clear_error(metric_cls):
    with pytest.raises(TypeError, match=r"sample 1: reference must be a string"):
        metric_cls().score(["a", "b"], ["a", 3])
    with pytest.raises(TypeError, match=r"sample 0: prediction must be a string or None"):
        metric_cls().score([["a"]], ["a"])
    with pytest.raises(ValueError, match="2 predictions but 1 references"):
        metric_cls().score(["a", "b"], ["a"])


def test_meteor_uses_synonyms_and_stems():
    metric = Meteor(wordnet="required")
    exact, stem, synonym = metric.score(
        ["heart attack", "heart attacks", "the patient is ill"], ["heart attack", "heart attack", "the patient is sick"]
    )
    assert exact == pytest.approx(1 - 0.5 * (1 / 2) ** 3)  # P = R = 1, one chunk of two matches
    assert stem == exact  # "attacks" ~ "attack" via the Porter stem
    assert synonym == pytest.approx(1 - 0.5 * (1 / 4) ** 3)  # "ill" ~ "sick" share a WordNet synset
    assert Meteor(wordnet="off").score(["the patient is ill"], ["the patient is sick"])[0] == pytest.approx(
        0.75 * (1 - 0.5 * (1 / 3) ** 3)
    )


class _NoSynonyms:
    """A WordNet stand-in with no synsets: nltk's METEOR then matches exact words and stems only."""

    def synsets(self, word):
        return []


def test_meteor_without_wordnet_equals_nltk_exact_and_stem(ecgqa_pairs):
    from nltk.translate.meteor_score import meteor_score

    pairs = ecgqa_pairs[:400]
    metric = Meteor(wordnet="off")
    ours = metric.score([p for p, _ in pairs], [r for _, r in pairs])
    theirs = [meteor_score([tokenize(r)], tokenize(p), wordnet=_NoSynonyms()) for p, r in pairs]
    assert max(abs(a - b) for a, b in zip(ours, theirs)) <= 1e-9
    info = metric.info()
    assert info["matchers"] == ["exact", "stem"] and info["wordnet"] is False


def _no_wordnet():
    from harness.plugins.metrics.wordnet import WordNetNotFound

    raise WordNetNotFound("WordNet not found (looked in /nowhere). Install it ...")


def test_missing_wordnet_fails_clearly_or_falls_back_visibly(monkeypatch, caplog):
    from harness.plugins.metrics import wordnet

    monkeypatch.setattr(wordnet, "load_wordnet", _no_wordnet)
    monkeypatch.delenv("HARNESS_METEOR_WORDNET", raising=False)
    with pytest.raises(wordnet.WordNetNotFound, match="WordNet not found"):
        Meteor().score(["a b"], ["a b"])
    assert Meteor().info()["wordnet"] is False and "wordnet_error" in Meteor().info()

    monkeypatch.setenv("HARNESS_METEOR_WORDNET", "auto")
    metric = Meteor()
    assert metric.score(["heart attacks"], ["heart attack"])[0] > 0.9
    info = metric.info()
    assert info["matchers"] == ["exact", "stem"] and info["wordnet"] is False
    assert "WordNet not found" in info["wordnet_fallback_reason"]
    assert "exact + stem matching only" in caplog.text

    monkeypatch.setenv("HARNESS_METEOR_WORDNET", "sometimes")
    with pytest.raises(ValueError, match="HARNESS_METEOR_WORDNET must be one of"):
        Meteor().score(["a"], ["a"])


def test_bleu_brevity_penalty_follows_equation_2():
    import math

    # c = 2 < r = 4, both candidate words match: BP = exp(1 - 4/2), p1 = 1
    assert Bleu1().score(["sinus rhythm"], ["normal sinus rhythm today"])[0] == pytest.approx(math.exp(1 - 4 / 2))
    # c = 4 > r = 2: BP = 1, p1 = 2/4
    assert Bleu1().score(["normal sinus rhythm today"], ["sinus rhythm"])[0] == pytest.approx(0.5)
    # clipping: "the" counted at most as often as in the reference
    assert Bleu1().score(["the the the the"], ["the cat is on the mat"])[0] == pytest.approx(
        2 / 4 * math.exp(1 - 6 / 4)
    )
