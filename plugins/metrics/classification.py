"""Classification metrics: accuracy, exact match, F1, AUC and Hamming loss (scikit-learn).

Per-sample values stay JSON-able, so samples.jsonl keeps them and the bootstrap can resample:

- ``accuracy`` and ``exact_match`` score each sample ``1.0`` or ``0.0`` and average.
- ``f1_macro``, ``f1_micro``, ``auc_macro`` and ``hamming_loss`` are corpus metrics: each sample's
  value is ``[prediction, gold]`` — two labels (single-label task) or two sorted label lists
  (multi-label task) — and :meth:`aggregate` calls scikit-learn over the label vocabulary seen
  in those values (gold and predicted labels alike).

An unparseable answer (``prediction is None``) counts as wrong for ``accuracy`` and
``exact_match`` (the task reports how many there were), and is ``Unscored("unparseable")`` for the
corpus metrics, which have no "wrong label" to put in its place.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any, Literal

from harness.metrics.base import Metric, ScoreInput, Unscored

UNPARSEABLE = "unparseable"
_SPACES = re.compile(r"\s+")
_EDGE_PUNCT = " \t\n.,;:!?\"'`()[]{}"


def normalize_text(text: str) -> str:
    """Unicode NFKC, case-folded, whitespace collapsed, punctuation stripped from both ends."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", text).strip(_EDGE_PUNCT)


def _label(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


def _match(batch: Sequence[ScoreInput], normalise: Any) -> list[float]:
    """1.0 when the normalised prediction equals any normalised gold answer; None counts as wrong."""
    out = []
    for item in batch:
        if item.prediction is None:
            out.append(0.0)
            continue
        golds = item.reference if isinstance(item.reference, (list, tuple)) else [item.reference]
        pred = normalise(item.prediction)
        out.append(1.0 if any(pred == normalise(g) for g in golds) else 0.0)
    return out


class Accuracy(Metric):
    """1.0 when the extracted answer equals the gold label, else 0.0.

    Strings compare after stripping and case-folding (``"b"`` equals ``" B"``); other values
    (numbers, booleans) compare with ``==``. A list reference means "any of these".
    """

    name = "accuracy"
    description = "share of samples whose extracted answer equals the gold label"

    def compute(self, batch: Sequence[ScoreInput]) -> list[Any]:
        return _match(batch, _label)


class ExactMatch(Metric):
    """1.0 when prediction and reference are equal after :func:`normalize_text`, else 0.0.

    A list reference means "any of these". Non-string predictions are compared as ``str()``.
    """

    name = "exact_match"
    description = "normalised string equality (NFKC, case-folded, whitespace and edge punctuation)"

    def compute(self, batch: Sequence[ScoreInput]) -> list[Any]:
        return _match(batch, lambda value: normalize_text(str(value)))


def _pair(item: ScoreInput, index: int, metric: str) -> list[Any] | Unscored:
    """``[prediction, gold]`` as JSON-able values: labels, or sorted label lists."""
    pred, gold = item.prediction, item.reference
    if pred is None:
        return Unscored(UNPARSEABLE)
    multi = isinstance(gold, (list, tuple, set, frozenset))
    if multi != isinstance(pred, (list, tuple, set, frozenset)):
        raise TypeError(
            f"{metric}: sample {index}: prediction and reference must both be labels or both be label "
            f"lists, got {type(pred).__name__} and {type(gold).__name__}"
        )
    if multi:
        return [sorted({str(x) for x in pred}), sorted({str(x) for x in gold})]
    return [str(pred), str(gold)]


def _split(values: Sequence[Any]) -> tuple[list[Any], list[Any], bool]:
    preds = [v[0] for v in values]
    golds = [v[1] for v in values]
    return preds, golds, bool(values) and isinstance(values[0][1], list)


def _binarize(preds: list[list[str]], golds: list[list[str]], compat: str = "fixed") -> tuple[Any, Any]:
    """Label indicator matrices. ``fixed``: over every label seen (predicted or gold); ``upstream``:
    ECG-Bench's released ``compute_f1_auc`` fits the binarizer on the gold labels only, so a
    predicted label no gold sample has is dropped."""
    from sklearn.preprocessing import MultiLabelBinarizer

    vocab = sorted({label for labels in (golds if compat == "upstream" else preds + golds) for label in labels})
    mlb = MultiLabelBinarizer(classes=vocab)
    mlb.fit(golds)
    return mlb.transform([[x for x in p if x in set(vocab)] for p in preds]), mlb.transform(golds)


Compat = Literal["fixed", "upstream"]


class _LabelPairMetric(Metric):
    """``compat``: ``fixed`` (the labels seen) or ``upstream`` (ECG-Bench's released scoring:
    labels fitted on the gold set only; proven in ``tests/data/upstream/ecgbench_scores.jsonl``)."""

    def __init__(self, compat: Compat = "fixed"):
        self.compat = compat

    def compute(self, batch: Sequence[ScoreInput]) -> list[Any]:
        return [_pair(item, i, self.name) for i, item in enumerate(batch)]

    def info(self) -> dict[str, Any]:
        return {**super().info(), "compat": self.compat}


class F1(_LabelPairMetric):
    """F1 (``sklearn.metrics.f1_score``) over the labels seen in predictions and gold."""

    higher_is_better = True

    def __init__(self, average: str = "macro", compat: Compat = "fixed"):
        super().__init__(compat)
        self.average = average
        self.name = f"f1_{average}"
        self.description = f"{average}-averaged F1 (scikit-learn) over the labels seen"

    def with_args(self, **args: Any) -> Metric:
        return super().with_args(**({"average": self.average, **args} if args else {}))

    def aggregate(self, values: Sequence[Any]) -> float:
        from sklearn.metrics import f1_score

        if not values:
            return math.nan
        preds, golds, multi = _split(values)
        if multi:
            y_pred, y_true = _binarize(preds, golds, self.compat)
            return float(f1_score(y_true, y_pred, average=self.average, zero_division=0))
        return float(f1_score(golds, preds, average=self.average, zero_division=0))


class AucMacro(_LabelPairMetric):
    """Macro ROC AUC (``sklearn.metrics.roc_auc_score``) of the predicted label indicators.

    Predictions are label sets, so each label's "score" is 0/1 (as ECG-Bench scores them). A
    label whose gold column holds one class only has no AUC; it is left out of the macro
    average, and ``NaN`` is returned when no label has both classes.
    """

    name = "auc_macro"
    description = "macro ROC AUC over labels with both classes in the gold set (scikit-learn)"

    def aggregate(self, values: Sequence[Any]) -> float:
        from sklearn.metrics import roc_auc_score

        if not values:
            return math.nan
        preds, golds, multi = _split(values)
        if not multi:  # single-label: one-vs-rest indicator of each class
            preds, golds = [[p] for p in preds], [[g] for g in golds]
        y_pred, y_true = _binarize(preds, golds, self.compat)
        both = [k for k in range(y_true.shape[1]) if 0 < y_true[:, k].sum() < y_true.shape[0]]
        if self.compat == "upstream" and len(both) < y_true.shape[1]:
            return math.nan  # upstream averages every gold label's AUC, NaN for a label it cannot score
        if not both:
            return math.nan
        return float(roc_auc_score(y_true[:, both], y_pred[:, both], average="macro"))


class HammingLoss(_LabelPairMetric):
    """Share of wrong label decisions (``sklearn.metrics.hamming_loss``) over the labels seen."""

    name = "hamming_loss"
    higher_is_better = False
    description = "fraction of label decisions that are wrong, multi-label (scikit-learn)"

    def aggregate(self, values: Sequence[Any]) -> float:
        from sklearn.metrics import hamming_loss

        if not values:
            return math.nan
        preds, golds, multi = _split(values)
        if not multi:
            return float(hamming_loss(golds, preds))
        y_pred, y_true = _binarize(preds, golds, self.compat)
        return float(hamming_loss(y_true, y_pred))
