"""BLEU-1 (ECG-Expert-QA eq. 1-2) as a Hugging Face ``evaluate`` module (delegates to the harness metric ``bleu_1``).

Load offline from this folder: ``evaluate.load(str(harness.plugins.metrics.evaluate_module_path("bleu_1")))``.
"""

import datasets
import evaluate

_DESCRIPTION = "BLEU-1 per sample (clipped unigram precision x brevity penalty), averaged; equal to nltk sentence_bleu(weights=(1,)) on rouge-score tokens."
_CITATION = "Papineni et al., BLEU, ACL 2002"
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of strings (a None prediction is counted as unscored).
    references: list of strings.
Returns:
    bleu_1: the harness aggregate over the scored samples (mean of per-sample values).
    n_scored, n_unscored: how many samples were scored and how many could not be.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Bleu1(evaluate.Metric):
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

        metric = next(m for m in builtin_metrics() if m.name == "bleu_1")
        values = metric.compute([ScoreInput(prediction=p, reference=r) for p, r in zip(predictions, references)])
        scored = [v for v in values if not isinstance(v, Unscored)]
        out = {"bleu_1": metric.aggregate(scored) if scored else None, "n_scored": len(scored), "n_unscored": len(values) - len(scored)}
        return out
