"""The one body of the harness's ``evaluate`` modules: each computes with the harness metric of
the same name, so values are identical. A module is a subclass naming its metric and its texts.

(Modules import this file as a module, not its class: ``evaluate.load`` takes the first
``evaluate.Metric`` subclass found in a module's namespace, which must be the concrete one.)
"""

from __future__ import annotations

from typing import Any

import datasets
import evaluate


class HarnessMetricModule(evaluate.Metric):
    metric_name: str = ""
    description: str = ""
    citation: str = ""
    inputs: str = (
        "predictions: list of strings (a None prediction is counted as unscored).\n    references: list of strings."
    )
    returns: str = "the harness aggregate over the scored samples (mean of per-sample values)."
    info_keys: tuple[str, ...] = ()  # keys of the metric's info() added to the result

    def _info(self) -> evaluate.MetricInfo:
        inputs = (
            f"\nArgs:\n    {self.inputs}\nReturns:\n    {self.metric_name}: {self.returns}\n"
            "    n_scored, n_unscored: how many samples were scored and how many could not be.\n"
        )
        return evaluate.MetricInfo(
            description=self.description,
            citation=self.citation,
            inputs_description=inputs,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions: list[Any], references: list[Any]) -> dict[str, Any]:
        from harness.metrics.base import ScoreInput, Unscored
        from harness.plugins.metrics.registry import builtin_metrics

        metric = next(m for m in builtin_metrics() if m.name == self.metric_name)
        values = metric.compute([ScoreInput(prediction=p, reference=r) for p, r in zip(predictions, references)])
        scored = [v for v in values if not isinstance(v, Unscored)]
        out = {
            self.metric_name: metric.aggregate(scored) if scored else None,
            "n_scored": len(scored),
            "n_unscored": len(values) - len(scored),
        }
        info = metric.info()
        out.update({key: info[key] for key in self.info_keys})
        return out
