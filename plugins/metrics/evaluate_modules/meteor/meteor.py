"""METEOR (ECG-Expert-QA eq. 4-6) as a Hugging Face ``evaluate`` module (delegates to the harness metric ``meteor``).

Load offline from this folder: ``evaluate.load(str(harness.plugins.metrics.evaluate_module_path("meteor")))``.

The result also says which matchers ran (``matchers``, ``wordnet``): a run without WordNet
is never silent.
"""

from harness.plugins.metrics.evaluate_modules import _base


class Meteor(_base.HarnessMetricModule):
    metric_name = "meteor"
    description = (
        "METEOR (alpha 0.9, beta 3, gamma 0.5) with exact, stem and WordNet-synonym matching, "
        "equal to nltk meteor_score on rouge-score tokens."
    )
    citation = "Banerjee and Lavie, METEOR, ACL Workshop 2005"
    returns = "the harness aggregate over the scored samples (mean of per-sample values); matchers, wordnet: which matching stages ran."
    info_keys = ("matchers", "wordnet")
