"""Accuracy as a Hugging Face ``evaluate`` module (delegates to the harness metric ``accuracy``).

Load offline from this folder: ``evaluate.load(str(harness.plugins.metrics.evaluate_module_path("accuracy")))``.
"""

import datasets
import evaluate

_DESCRIPTION = "Share of samples whose answer equals the gold label (stripped, case-folded); an unparseable (None) answer counts as wrong."
_CITATION = ""
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of label strings (a None prediction counts as wrong).
    references: list of label strings.
Returns:
    accuracy: the harness aggregate over the scored samples (mean of 1/0).
    n_scored, n_unscored: how many samples were scored and how many could not be.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Accuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references):
        from harness.metrics.base import ScoreInput, Unscored
        from harness.plugins.metrics.registry import builtin_metrics

        metric = next(m for m in builtin_metrics() if m.name == "accuracy")
        values = metric.compute([ScoreInput(prediction=p, reference=r) for p, r in zip(predictions, references)])
        scored = [v for v in values if not isinstance(v, Unscored)]
        out = {"accuracy": metric.aggregate(scored) if scored else None, "n_scored": len(scored), "n_unscored": len(values) - len(scored)}
        return out
