"""Registers ECG-Bench's scoring mechanism: ``choice_accuracy`` (with the upstream random-letter
compatibility switch). The letter rules are an option of the multiple-choice output type
(``rules: ecgbench``), the multi-label reading an output type (``multi_label``), the report and
arena judges rubric folders (``judges/ecgbench_report``, ``judges/ecgbench_arena``)."""

from __future__ import annotations

from harness.hookspecs import hookimpl


@hookimpl
def harness_metrics():
    from harness.plugins.metrics.choice import ChoiceAccuracy

    return [ChoiceAccuracy()]
