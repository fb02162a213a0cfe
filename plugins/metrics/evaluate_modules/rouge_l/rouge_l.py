"""ROUGE-L F-measure (ECG-Expert-QA eq. 3, beta = 1) as a Hugging Face ``evaluate`` module (delegates to the harness metric ``rouge_l``).

Load offline from this folder: ``evaluate.load(str(harness.plugins.metrics.evaluate_module_path("rouge_l")))``.
"""

import datasets
import evaluate

_DESCRIPTION = "ROUGE-L LCS F-measure (beta = 1), equal to rouge-score's rougeL fmeasure."
_CITATION = "Lin, ROUGE, ACL Workshop 2004"
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of strings (a None prediction is counted as unscored).
    references: list of strings.
Returns:
    rouge_l: the harness aggregate over the scored samples (mean of per-sample values).
    n_scored, n_unscored: how many samples were scored and how many could not be.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class RougeL(evaluate.Metric):
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

        metric = next(m for m in builtin_metrics() if m.name == "rouge_l")
        values = metric.compute([ScoreInput(prediction=p, reference=r) for p, r in zip(predictions, references)])
        scored = [v for v in values if not isinstance(v, Unscored)]
        out = {"rouge_l": metric.aggregate(scored) if scored else None, "n_scored": len(scored), "n_unscored": len(values) - len(scored)}
        return out
