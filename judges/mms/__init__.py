"""MMS, ECG-Expert-QA's model-to-model score (``rubric.yaml``; the [0, 1] scaling in ``rubric.py``)."""
