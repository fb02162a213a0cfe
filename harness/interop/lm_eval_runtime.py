"""What an exported lm-eval task calls at run time (through ``!function utils.*``).

The exported ``utils.py`` holds each task's spec as data and binds these functions to it, so
lm-eval renders the prompt with our templates and scores with our metric implementations: the
numbers lm-eval reports are the numbers ECG-Harness computes for the same outputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from harness.dotted import dotted
from harness.metrics.base import ScoreInput, Unscored
from harness.task.output_type import Item
from harness.task.prompt import Expression, Template
from harness.task.spec import TaskSpec


class ExportedTask:
    """One of our generation tasks, seen from lm-eval: doc -> text/target, (doc, outputs) -> metrics."""

    def __init__(self, spec: dict[str, Any]):
        self.spec = TaskSpec.model_validate({**spec, "judges": []})  # judged metrics are not exported
        where = f"exported task '{self.spec.name}'"
        self._user = Template(self.spec.prompt.user or "", where=f"{where}: prompt.user")
        self._reference = Expression(self.spec.reference, where=f"{where}: reference")
        self._metrics: list[Any] | None = None
        self._output_type: Any = None

    def __deepcopy__(self, memo: dict[int, Any]) -> ExportedTask:
        return self  # lm-eval deep-copies task configs; this object holds no per-run state

    def __reduce__(self) -> tuple[Any, ...]:
        return (ExportedTask, (self.spec.model_dump(mode="json"),))

    def fields(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The same mapping as ``harness.task.dataset.iter_docs``: raw fields plus the mapped ones."""
        fields = dict(doc)
        for name, source in self.spec.dataset.fields.items():
            fields[name] = dotted(doc, source)
        return fields

    def doc_to_text(self, doc: dict[str, Any]) -> str:
        return self._user.render(self.fields(doc), sample="lm-eval doc")

    def doc_to_target(self, doc: dict[str, Any]) -> str:
        return str(self._reference.evaluate(self.fields(doc), sample="lm-eval doc"))

    def _bound(self) -> tuple[list[Any], Any]:
        if self._metrics is None:
            from harness.registry import get_registry

            registry = get_registry()
            metrics = []
            for ref in self.spec.metrics:
                metric = registry.metrics[ref.name]
                metrics.append(metric.with_args(**ref.args))
            self._metrics = metrics
            self._output_type = registry.output_types[self.spec.output_type]
        return self._metrics, self._output_type

    def process_results(self, doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
        """Per-sample values of every metric; an unscored sample is carried as ``None``."""
        metrics, output_type = self._bound()
        fields = self.fields(doc)
        reference = self._reference.evaluate(fields, sample="lm-eval doc")
        text = results[0] if results else ""
        item = Item(id="lm-eval", doc_id="lm-eval", messages=[], reference=reference, doc=fields)
        prediction = output_type.extract(item, text or "").prediction
        out = {}
        for metric in metrics:
            (value,) = metric.compute([ScoreInput(prediction, reference, text, fields)])
            out[metric.name] = None if isinstance(value, Unscored) else value
        return out

    def aggregation(self, name: str) -> Callable[[list[Any]], float]:
        """The metric's own aggregate over the scored samples (unscored ones left out, as in our results)."""

        def aggregate(values: list[Any]) -> float:
            metrics, _ = self._bound()
            metric = next(m for m in metrics if m.name == name)
            scored = [v for v in values if v is not None]
            return metric.aggregate(scored) if scored else math.nan

        aggregate.__name__ = f"{self.spec.name}_{name}_aggregate"
        return aggregate
