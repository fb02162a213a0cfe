"""Work done per item after the model answered (judging is the built-in one).

A stage sees each item and its sample record (with the response and prediction) as soon as the
model has answered (also when the request failed: ``record['error']`` is set, and the stage
must count the sample as unscored rather than skip it), runs concurrently with other items under the runner's bounds, and adds its
findings to the record. At the end it reports task-level entries for results.json.
"""

from __future__ import annotations

from typing import Any, Protocol

from harness.task.output_type import Item


class ItemStage(Protocol):
    name: str

    async def process(self, item: Item, record: dict[str, Any]) -> None:
        """Add this stage's per-sample output to ``record`` (e.g. ``record['judges'][rubric]``)."""
        ...

    async def finish(self) -> None:
        """After the last item, before the stage closes: task-level work that needs the stage's
        models (e.g. the judge validity check). Nothing to do: ``pass``."""
        ...

    def metric_results(self) -> dict[str, dict[str, Any]]:
        """Task-level entries for ``results.json['metrics']`` (MetricResult fields, ``kind='judge'``)."""
        ...

    def info(self) -> dict[str, Any]:
        """What ``results.json['judges'][name]`` records: judge models, usage, agreement."""
        ...

    async def aclose(self) -> None: ...
