"""ROUGE-L F-measure (ECG-Expert-QA eq. 3, beta = 1) as a Hugging Face ``evaluate`` module (delegates to the harness metric ``rouge_l``).

Load offline from this folder: ``evaluate.load(str(harness.plugins.metrics.evaluate_module_path("rouge_l")))``.
"""

from harness.plugins.metrics.evaluate_modules import _base


class RougeL(_base.HarnessMetricModule):
    metric_name = "rouge_l"
    description = "ROUGE-L LCS F-measure (beta = 1), equal to rouge-score's rougeL fmeasure."
    citation = "Lin, ROUGE, ACL Workshop 2004"
