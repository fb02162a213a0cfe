"""Accuracy as a Hugging Face ``evaluate`` module (delegates to the harness metric ``accuracy``).

Load offline from this folder: ``evaluate.load(str(harness.plugins.metrics.evaluate_module_path("accuracy")))``.
"""

from harness.plugins.metrics.evaluate_modules import _base


class Accuracy(_base.HarnessMetricModule):
    metric_name = "accuracy"
    description = (
        "Share of samples whose answer equals the gold label (stripped, case-folded); "
        "an unparseable (None) answer counts as wrong."
    )
    inputs = "predictions: list of label strings (a None prediction counts as wrong).\n    references: list of label strings."
    returns = "the harness aggregate over the scored samples (mean of 1/0)."
