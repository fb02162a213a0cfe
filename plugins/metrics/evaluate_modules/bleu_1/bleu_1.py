"""BLEU-1 (ECG-Expert-QA eq. 1-2) as a Hugging Face ``evaluate`` module (delegates to the harness metric ``bleu_1``).

Load offline from this folder: ``evaluate.load(str(harness.plugins.metrics.evaluate_module_path("bleu_1")))``.
"""

from harness.plugins.metrics.evaluate_modules import _base


class Bleu1(_base.HarnessMetricModule):
    metric_name = "bleu_1"
    description = (
        "BLEU-1 per sample (clipped unigram precision x brevity penalty), averaged; "
        "equal to nltk sentence_bleu(weights=(1,)) on rouge-score tokens."
    )
    citation = "Papineni et al., BLEU, ACL 2002"
