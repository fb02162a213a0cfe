"""METEOR (ECG-Expert-QA eq. 4-6) as a Hugging Face ``evaluate`` module (delegates to the harness metric ``meteor``).

Load offline from this folder: ``evaluate.load(str(harness.plugins.metrics.evaluate_module_path("meteor")))``.

The result also says which matchers ran (``matchers``, ``wordnet``): a run without WordNet
is never silent.
"""

import datasets
import evaluate

_DESCRIPTION = "METEOR (alpha 0.9, beta 3, gamma 0.5) with exact, stem and WordNet-synonym matching, equal to nltk meteor_score on rouge-score tokens."
_CITATION = "Banerjee and Lavie, METEOR, ACL Workshop 2005"
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of strings (a None prediction is counted as unscored).
    references: list of strings.
Returns:
    meteor: the harness aggregate over the scored samples (mean of per-sample values).
    n_scored, n_unscored: how many samples were scored and how many could not be.
    matchers, wordnet: which matching stages ran.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Meteor(evaluate.Metric):
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

        metric = next(m for m in builtin_metrics() if m.name == "meteor")
        values = metric.compute([ScoreInput(prediction=p, reference=r) for p, r in zip(predictions, references)])
        scored = [v for v in values if not isinstance(v, Unscored)]
        out = {"meteor": metric.aggregate(scored) if scored else None, "n_scored": len(scored), "n_unscored": len(values) - len(scored)}
        info = metric.info()
        out["matchers"] = info["matchers"]
        out["wordnet"] = info["wordnet"]
        return out
