"""The item view: every model's answer, prediction and scores on one item (sample id) of a task,
side by side, so a paired verdict can be explained item by item.

Items are numbered in the order they are first seen (models in name order), ``ITEMS_PER_PAGE`` to
a page, so an item's page is known while its samples are exported and the sample browser can link
to it. The records reach the item pages through one bucket file per page under a work directory
of the site (removed once the pages are written): memory stays bounded on 50k-sample runs, and as
a model's records arrive in item order, one file is open at a time. A bucket holds the records of
``PAGES_PER_BUCKET`` item pages.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from markupsafe import Markup

from harness import fastjson
from harness.leaderboard import charts, layout
from harness.leaderboard.forecast import OUTPUT_TYPE, forecast_series
from harness.leaderboard.samples import numeric

ITEMS_PER_PAGE = 20
PAGES_PER_BUCKET = 10  # item pages whose records share one bucket file (fewer files to open)
MAX_TEXT = 4000  # characters of an answer shown per model (the sample browser shows it all)
MAX_DIFF_ROWS = 1000  # items listed for one pair of models (the count of the rest is shown)
WORK_DIR = ".items-work"
CORRECTNESS = ("accuracy", "exact_match", "correct")  # per-sample 1 = right, 0 = wrong


@dataclass
class ItemCollector:
    """One task's items: their order and page, and each model's records routed to the page's bucket."""

    task: str
    work: Path
    forecast: bool = False  # the task's samples are signal forecasts: plot them
    order: dict[str, int] = field(default_factory=dict)  # item id -> index in the item view
    _handle: IO[bytes] | None = None
    _bucket: int = 0

    @property
    def n_pages(self) -> int:
        return (len(self.order) + ITEMS_PER_PAGE - 1) // ITEMS_PER_PAGE

    def page_of(self, item_id: str) -> int:
        return self.order[item_id] // ITEMS_PER_PAGE + 1

    def href(self, item_id: str) -> str:
        """The item's place in the item view, relative to the site root."""
        return f"{layout.item_page(self.task, self.page_of(item_id))}#{layout.item_anchor(item_id)}"

    def recorder(self, model: str, samples_page: str) -> Callable[[dict[str, Any], int], None]:
        """The ``on_record`` hook of one model's sample export: links each sample to its item."""

        def record(data: dict[str, Any], sample_page: int) -> None:
            item_id = str(data.get("id"))
            self.order.setdefault(item_id, len(self.order))
            data["item"] = self.href(item_id)
            if self.forecast:
                plots = [
                    {"lead": s.lead, **charts.forecast_plot(s.context, s.truth, s.prediction)}
                    for s in forecast_series(data)
                ]
                if plots:
                    data["forecast"] = plots
            self._write(_bucket_of(self.page_of(item_id)), _slim(model, data, f"{samples_page}#p={sample_page}"))

        return record

    def _write(self, bucket: int, row: dict[str, Any]) -> None:
        if bucket != self._bucket or self._handle is None:
            self.close()
            self.work.mkdir(parents=True, exist_ok=True)
            self._handle = (self.work / f"{bucket:04d}.jsonl").open("ab")
            self._bucket = bucket
        self._handle.write(fastjson.dumps(row) + b"\n")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def read_bucket(self, page: int) -> dict[str, list[dict[str, Any]]]:
        """Item id -> its models' records (in model order), for the bucket holding ``page``."""
        path = self.work / f"{_bucket_of(page):04d}.jsonl"
        rows: dict[str, list[dict[str, Any]]] = {}
        if path.exists():
            with path.open("rb") as handle:
                for line in handle:
                    row = fastjson.loads(line)
                    rows.setdefault(row["id"], []).append(row)
        return {k: sorted(v, key=lambda r: r["model"]) for k, v in rows.items()}


def _bucket_of(page: int) -> int:
    return (page - 1) // PAGES_PER_BUCKET + 1


def new_collector(site: Path, task: str, output_type: str | None) -> ItemCollector:
    return ItemCollector(task, site / WORK_DIR / layout.slug(task), forecast=output_type == OUTPUT_TYPE)


def _clip(value: Any) -> str | None:
    """Text as shown in the item view: strings as they are, other values as compact JSON, capped."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_TEXT else f"{text[:MAX_TEXT]}… ({len(text) - MAX_TEXT} more characters)"


def _slim(model: str, data: dict[str, Any], sample_href: str) -> dict[str, Any]:
    """What the item view keeps of a published record."""
    response, prediction = data.get("response"), data.get("prediction")
    plots = data.get("forecast")
    return {
        "id": str(data.get("id")),
        "model": model,
        "response": _clip(response),
        "prediction": None if plots or prediction == response else _clip(prediction),
        "reference": None if plots else _clip(data.get("reference")),
        "metrics": data.get("metrics") or {},
        "judges": {k: v for k, v in (data.get("judges") or {}).items() if numeric(v) is not None},
        "error": _clip(data.get("error")),
        "sample": sample_href,
        "forecast": plots,
    }


def correctness_metric(metrics: list[str], values: dict[str, dict[str, dict[str, float]]]) -> str | None:
    """The metric that says right or wrong: a known one, else one whose every per-sample value is 0 or 1."""
    for name in CORRECTNESS:
        if name in metrics:
            return name
    for name in metrics:
        seen = [v for per_model in values.values() for v in per_model.get(name, {}).values()]
        if seen and all(v in (0.0, 1.0) for v in seen):
            return name
    return None


@dataclass
class Score:
    metric: str
    value: float | None
    unscored: str | None = None  # the reason, when the sample was not scored


@dataclass
class ItemRow:
    """One model's answer on one item."""

    model: str
    scores: list[Score]
    passed: bool | None  # None: the task has no correctness metric, or this sample was not scored on it
    response: str | None
    prediction: str | None
    error: str | None
    sample: str  # the sample on the model's sample page, relative to the site root
    charts: list[Markup]


@dataclass
class Item:
    id: str
    anchor: str
    reference: str | None
    rows: list[ItemRow]
    missing: list[str]  # models that have no sample with this id


def _score(metric: str, record: dict[str, Any]) -> Score:
    raw = record["metrics"].get(metric, record["judges"].get(metric))
    if isinstance(raw, dict) and "unscored" in raw:
        return Score(metric, None, str(raw["unscored"]))
    return Score(metric, numeric(raw))


def _row(record: dict[str, Any], metrics: list[str], correct: str | None) -> ItemRow:
    scores = [_score(m, record) for m in metrics]
    verdict = next((s.value for s in scores if s.metric == correct), None)
    return ItemRow(
        model=record["model"],
        scores=scores,
        passed=None if verdict is None else verdict >= 1.0,
        response=record["response"],
        prediction=record["prediction"],
        error=record["error"],
        sample=record["sample"],
        charts=[
            charts.forecast_chart(
                plot, lead=plot["lead"], title=f"{record['model']} on {record['id']}: lead {plot['lead']}"
            )
            for plot in record["forecast"] or []
        ],
    )


def page_items(
    records: dict[str, list[dict[str, Any]]], ids: list[str], metrics: list[str], models: list[str], correct: str | None
) -> list[Item]:
    """The items of one page of the item view (``ids``, in order), each with every model's row
    (``records``: item id -> its models' records, from :meth:`ItemCollector.read_bucket`)."""
    items = []
    for item_id in ids:
        rows = records.get(item_id, [])
        have = {r["model"] for r in rows}
        items.append(
            Item(
                id=item_id,
                anchor=layout.item_anchor(item_id),
                reference=next((r["reference"] for r in rows if r["reference"] is not None), None),
                rows=[_row(r, metrics, correct) for r in rows],
                missing=[m for m in models if m not in have],
            )
        )
    return items


def differing(collector: ItemCollector, a: dict[str, float], b: dict[str, float]) -> list[tuple[str, float, float]]:
    """The items both models were scored on where their per-sample values differ, in item order."""
    shared = [i for i in a.keys() & b.keys() if abs(a[i] - b[i]) > 1e-12]
    return sorted(((i, a[i], b[i]) for i in shared), key=lambda t: collector.order.get(t[0], len(collector.order)))


def clear_work(site: Path) -> None:
    shutil.rmtree(site / WORK_DIR, ignore_errors=True)
