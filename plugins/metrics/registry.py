"""Registers the built-in metrics with the harness (the ``harness_metrics`` hook).

Importing this module is cheap: nltk, rapidfuzz, scikit-learn and numpy load on first use.
"""

from __future__ import annotations

from harness.hookspecs import hookimpl
from harness.metrics.base import Metric


def builtin_metrics() -> list[Metric]:
    """Fresh instances of every built-in metric (names as tasks refer to them)."""
    from harness.plugins.metrics.bleu import Bleu1, Bleu1Corpus
    from harness.plugins.metrics.classification import F1, Accuracy, AucMacro, ExactMatch, HammingLoss
    from harness.plugins.metrics.meteor import Meteor
    from harness.plugins.metrics.regression import MSE
    from harness.plugins.metrics.rouge import RougeL

    return [
        Bleu1(),
        Bleu1Corpus(),
        RougeL(),
        Meteor(),
        Accuracy(),
        ExactMatch(),
        F1("macro"),
        F1("micro"),
        AucMacro(),
        HammingLoss(),
        MSE(),
    ]


@hookimpl
def harness_metrics() -> list[Metric]:
    return builtin_metrics()
