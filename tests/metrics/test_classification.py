"""accuracy, exact_match, f1_*, auc_macro, hamming_loss and mse against scikit-learn / numpy."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.preprocessing import MultiLabelBinarizer

from harness.metrics.aggregate import summarize
from harness.metrics.base import ScoreInput, Unscored
from harness.plugins.metrics.classification import F1, Accuracy, AucMacro, ExactMatch, HammingLoss, normalize_text
from harness.plugins.metrics.regression import MSE


def _batch(preds, golds):
    return [ScoreInput(prediction=p, reference=g) for p, g in zip(preds, golds)]


def test_accuracy_counts_unparseable_as_wrong_and_matches_sklearn():
    preds = ["A", " b", "C", None, "d"]
    golds = ["A", "B", "D", "A", "D"]
    values = Accuracy().compute(_batch(preds, golds))
    assert values == [1.0, 1.0, 0.0, 0.0, 1.0]
    as_labels = [(p or "<none>").strip().upper() for p in preds]
    assert Accuracy().aggregate(values) == pytest.approx(skm.accuracy_score(golds, as_labels))
    assert Accuracy().compute(_batch(["b"], [["a", "B"]])) == [1.0]  # any accepted answer


def test_exact_match_normalises():
    assert normalize_text("  Sinus   Rhythm. ") == "sinus rhythm"
    values = ExactMatch().compute(
        _batch(["Sinus rhythm.", "sinus  rhythm", "sinus", None, "ＡＦ"], ["sinus rhythm"] * 3 + ["x", "af"])
    )
    assert values == [1.0, 1.0, 0.0, 0.0, 1.0]


MULTI_PRED = [["NORM"], ["MI", "STTC"], [], ["CD", "HYP"], ["NORM", "MI"], ["HYP"]]
MULTI_GOLD = [["NORM"], ["MI"], ["STTC"], ["CD"], ["NORM"], ["HYP", "CD"]]


def _sk_multilabel():
    mlb = MultiLabelBinarizer(classes=sorted({x for row in MULTI_PRED + MULTI_GOLD for x in row}))
    return mlb.fit_transform(MULTI_GOLD), mlb.transform(MULTI_PRED)


@pytest.mark.parametrize("average", ["macro", "micro"])
def test_f1_multilabel_equals_sklearn(average):
    metric = F1(average)
    values = metric.compute(_batch(MULTI_PRED, MULTI_GOLD))
    json.dumps(values)
    y_true, y_pred = _sk_multilabel()
    assert metric.aggregate(values) == pytest.approx(skm.f1_score(y_true, y_pred, average=average, zero_division=0))
    assert metric.name == f"f1_{average}"


def test_f1_single_label_equals_sklearn():
    preds, golds = ["a", "b", "b", "c", "a"], ["a", "b", "c", "c", "b"]
    values = F1("macro").compute(_batch(preds, golds))
    assert F1("macro").aggregate(values) == pytest.approx(skm.f1_score(golds, preds, average="macro"))


def test_auc_and_hamming_multilabel_equal_sklearn():
    y_true, y_pred = _sk_multilabel()
    values = HammingLoss().compute(_batch(MULTI_PRED, MULTI_GOLD))
    assert HammingLoss().aggregate(values) == pytest.approx(skm.hamming_loss(y_true, y_pred))
    assert HammingLoss.higher_is_better is False
    auc = AucMacro()
    assert auc.aggregate(auc.compute(_batch(MULTI_PRED, MULTI_GOLD))) == pytest.approx(
        skm.roc_auc_score(y_true, y_pred, average="macro")
    )


def test_auc_leaves_out_labels_with_one_gold_class():
    preds, golds = [["A"], ["A", "B"], []], [["A", "B"], ["B"], ["B"]]  # "B" is always gold
    auc = AucMacro()
    value = auc.aggregate(auc.compute(_batch(preds, golds)))
    assert value == pytest.approx(skm.roc_auc_score([1, 0, 0], [1, 1, 0]))
    assert math.isnan(auc.aggregate(auc.compute(_batch([["B"]], [["B"]]))))


def test_label_metrics_unscored_and_errors():
    values = F1("macro").compute(_batch([None, ["A"]], [["A"], ["A"]]))
    assert values[0] == Unscored("unparseable")
    with pytest.raises(
        TypeError, match="sample 0: prediction and reference must both be labels or both be label lists"
    ):
        HammingLoss().compute(_batch(["A"], [["A"]]))
    summary = summarize(F1("macro"), values)
    assert summary["n_unscored"] == 1 and summary["unscored_reasons"] == {"unparseable": 1}


def test_mse_lengths_and_unscored():
    ref = [0.0, 1.0, -1.0, 2.0]
    values = MSE().compute(
        _batch(
            [
                [0.0, 1.0, -1.0, 2.0],
                [0.0, 1.0, -1.0, 2.0, 99.0],
                [1.0, 1.0],
                None,
                [],
                [float("nan")] * 4,
                [[1.0] * 4],
                "1 2 3",
            ],
            [ref] * 8,
        )
    )
    assert values[0] == 0.0
    assert values[1] == 0.0  # values past the reference's length are ignored
    assert values[2] == pytest.approx(
        np.mean((np.array([1.0, 1.0, 0.0, 0.0]) - ref) ** 2)
    )  # missing tail = 0 (the mean)
    assert values[3] == values[4] == values[7] == Unscored("unparseable")
    assert values[5] == Unscored("non-finite prediction")
    assert values[6] == Unscored("shape mismatch")
    leads = MSE().compute(_batch([np.ones((2, 3)).tolist()], [np.zeros((2, 5)).tolist()]))
    assert leads == [pytest.approx(6 / 10)]
    with pytest.raises(ValueError, match="sample 0: reference sequence is empty"):
        MSE().compute(_batch([[1.0]], [[]]))
    assert MSE.higher_is_better is False
