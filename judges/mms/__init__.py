"""MMS: ECG-Expert-QA's model-to-model score.

A judge model compares an answer with the reference and grades three criteria (the ones the paper
names): semantic consistency, content coverage and language fluency, each an integer 0-10. Each
sub-score is kept per sample (as a fraction in [0, 1]); a sample's MMS is their unweighted mean
/ 10, so MMS is in [0, 1] like the paper's tables. A sample is scored only if all three criteria
are valid; otherwise it is unscored with the reason (never 0). The paper's own judge prompt is not
public: ``prompt.jinja`` is this harness's rubric.
"""

from harness.judges.mms.rubric import CRITERIA, MMS_NAME, MMSRubric, combine

__all__ = ["CRITERIA", "MMS_NAME", "MMSRubric", "combine"]
