"""Evaluating one model on one task: items -> model (cached) -> extraction -> stages -> metrics.

Streams end to end: items are produced lazily, at most a bounded window is in memory, samples are
written as they are scored, and only per-sample metric values are kept for aggregation. An item
with follow-ups is a conversation: its later turns are asked here, each after the model's own
previous answer, and the last answer is the one extracted and scored.

A :class:`Run` holds one run's state; its steps are small methods in the order they happen:
``prepare`` (fit, identity), ``answer`` (per item), ``stream`` (items through the model into the
scoring worker), ``metric_results`` and ``results`` (the pydantic ``results.json``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any

from harness.hookspecs import RunStart
from harness.models.base import Request, Response
from harness.models.cache import ResponseCache
from harness.models.cached import CachedModel
from harness.models.messages import prompt_text
from harness.results.attachments import Attachments
from harness.results.provenance import harness_info
from harness.results.schema import Results
from harness.results.status import RunCounts, outcome
from harness.results.writer import write_json_atomic
from harness.runner.pool import ordered_map
from harness.runner.scoring import BackgroundScorer, Batch, Committed, SampleScorer, choose_mode
from harness.runner.stage import ItemStage
from harness.task.output_type import Item
from harness.task.task import Selection, Task

SCORE_BATCH = 64  # small enough that little is left to score after the last answer
LOOKUP_CHUNK = 64


@dataclass
class RunSettings:
    concurrency: int = 8
    seed: int = 1234
    generation: dict[str, Any] = field(default_factory=dict)  # run-level overrides of the task's parameters
    config: dict[str, Any] = field(default_factory=dict)  # the resolved run config, for results.json
    scoring: str = "auto"  # where metrics run: auto | process | thread (harness.runner.scoring)
    max_answer_bytes: int | None = None  # longer answers are cut (flagged) before scoring and storage


@dataclass
class SampleCounts:
    """What the run counts per sample, beyond the model's own tally."""

    n_items: int = 0
    unparseable: int = 0
    duplicates: int = 0  # samples whose request another sample of this run already made
    _seen: set[bytes] = field(default_factory=set)  # request keys asked in this run (8-byte prefixes)

    def note_request(self, key: str) -> None:
        prefix = bytes.fromhex(key[:16])
        if prefix in self._seen:
            self.duplicates += 1
        else:
            self._seen.add(prefix)


class Run:
    """One task x one model, from the first item to ``results.json``."""

    def __init__(
        self,
        task: Task,
        model: CachedModel,
        *,
        selection: Selection,
        settings: RunSettings,
        registry: Any,
        out_dir: Path,
        stages: list[ItemStage],
    ):
        self.task, self.model, self.selection, self.settings = task, model, selection, settings
        self.registry, self.out_dir, self.stages = registry, out_dir, stages
        self.metrics = list(task.plugins.metrics) if task.plugins else []
        self.counts = SampleCounts()
        self.attachments = Attachments(out_dir)  # images are logged once beside samples.jsonl, not in every line
        self.started = datetime.now(timezone.utc)
        self.t0 = time.perf_counter()
        self.mode = "thread"

    def prepare(self) -> None:
        """A model that must see the task first (e.g. the retrieval baseline indexes the task's own
        (prompt, reference) pairs) is fitted before its identity is read, which then covers the corpus."""
        fit = getattr(self.model.model, "fit", None)
        if callable(fit):
            fit([(it.id, prompt_text(it.messages), str(it.reference)) for it in self.task.items(self.selection)])
        _ = self.model.identity

    def params_of(self, item: Item) -> dict[str, Any]:
        return {**self.task.generation, **item.params, **self.settings.generation}

    # -- per item ---------------------------------------------------------------------------

    async def answer(self, entry: tuple[Item, str, Response | None]) -> dict[str, Any]:
        item, key, found = entry
        self.counts.note_request(key)
        request = Request(item.id, item.messages, self.params_of(item), item.extras)
        response = await self.model.ask(request, key=key, found=found, looked_up=True)
        if item.follow_ups:
            item, response = await self._converse(item, response)
        record = self._record(item, key, response)
        for stage in self.stages:  # failed requests too: a stage counts them as unscored, never drops them
            await stage.process(item, record)
        return record

    async def _converse(self, item: Item, response: Response) -> tuple[Item, Response]:
        """The later turns of a conversation, each after the model's own previous answer; stages
        (judges) see the whole conversation."""
        messages, answers = item.messages, []
        for k, follow_up in enumerate(item.follow_ups, 1):
            if response.error is not None:
                break
            answers.append(response.text or "")
            messages = [
                *messages,
                {"role": "assistant", "content": answers[-1]},
                {"role": "user", "content": follow_up},
            ]
            turn = Request(f"{item.id}/turn-{k}", messages, self.params_of(item), item.extras)
            response = await self.model.ask(turn)
        return replace(item, messages=messages, answers=answers), response

    def _record(self, item: Item, key: str, response: Response) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": item.id,
            "doc_id": item.doc_id,
            "position": list(item.position),
            "request_key": key[:16],  # the first request's cache key (prefix): equal keys, equal prompts
            "messages": self.attachments.compact(item.messages),
            "response": response.text,
            "prediction": None,
            "reference": item.reference,
            "metrics": {},
            "judges": {},
            "error": response.error,
            "cached": response.cached,
            "meta": item.meta,
        }
        if response.truncated:
            record["truncated"] = True
        if response.error is None:
            extraction = self.task.output_type.extract(item, response.text or "")
            record["prediction"] = extraction.prediction
            if extraction.unparseable:
                record["unparseable"] = True
                self.counts.unparseable += 1
        return record

    # -- the stream -------------------------------------------------------------------------

    async def stream(self, *, expected: int | None, on_item: Callable[[bool], None] | None) -> Committed:
        """Items through the model (bounded, in order) into the scoring worker; ``samples.jsonl``."""
        hook = self.registry.hook
        self.mode = choose_mode(self.settings.scoring, self.metrics, expected)
        # a child process has the second core to itself while it waits: it draws the bootstrap indices ahead
        sample_scorer = SampleScorer(
            self.metrics,
            self.out_dir / "samples.jsonl",
            seed=self.settings.seed,
            expected=expected,
            draw_ahead=self.mode == "process",
        )
        scorer = BackgroundScorer(sample_scorer, lambda record: hook.harness_sample_done(sample=record), mode=self.mode)
        batch: Batch = []
        try:
            entries = with_cached(
                self.task.items(self.selection),
                self.model.cache,
                lambda it: self.model.key(it.messages, self.params_of(it)),
            )
            async for (item, _, _), record in ordered_map(self.answer, entries, concurrency=self.settings.concurrency):
                self.counts.n_items += 1
                batch.append((record, item.doc))
                if len(batch) >= SCORE_BATCH:
                    await scorer.submit(batch)
                    batch = []
                if on_item is not None:
                    on_item(bool(record.get("cached")))
            if batch:
                await scorer.submit(batch)
            for stage in self.stages:  # e.g. the judge validity check, while the last batch is scored
                await stage.finish()
            await scorer.drain()
        finally:
            scorer.close()
            for stage in self.stages:
                await stage.aclose()
        assert scorer.committed is not None
        return scorer.committed

    # -- the end ----------------------------------------------------------------------------

    def metric_results(self, committed: Committed) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for metric in self.metrics:
            entry = committed.summaries[metric.name]
            entry["info"] = committed.infos.get(metric.name) or metric.info()
            out[metric.name] = entry
        for stage in self.stages:
            out.update(stage.metric_results())
        # e.g. per-dialogue scores over the per-turn samples
        out.update(self.task.output_type.summarize(read_jsonl(self.out_dir / "samples.jsonl"), seed=self.settings.seed))
        return out

    def task_info(self) -> dict[str, Any]:
        task, spec, selection = self.task, self.task.spec, self.selection
        return {
            "name": spec.name,
            "version": spec.version,
            "groups": task.groups,
            "benchmark": spec.benchmark,
            "output_type": spec.output_type,
            "source_file": task.source.name,
            "data": task.data_info(),
            "prompt_sha256": task.prompt_sha256,
            "n_samples": self.counts.n_items,
            "limit": selection.limit,
            "sample_seed": selection.seed if selection.sample is not None else None,
            "sample": selection.sample,
            "shard": list(selection.shard) if selection.shard else None,
            "modality": task.modality,
            "compat": getattr(task.plugins.output, "compat", None) if task.plugins else None,
            "n_unparseable": self.counts.unparseable,
            "ecg": task.ecg_report(),
        }

    def outcome(self, metric_results: dict[str, Any], judges: dict[str, Any]) -> dict[str, Any]:
        """``status`` and ``validity`` of the finished run (harness.results.status)."""
        tally = self.model.tally
        counts = RunCounts(
            n_samples=self.counts.n_items,
            n_failed=tally.failed,
            n_absent=int((self.task.ecg_report() or {}).get("n_absent") or 0),
            n_duplicates=self.counts.duplicates,
            n_truncated=tally.counters["truncated"],
            max_answer_bytes=self.settings.max_answer_bytes,
            text_only=self.task.text_only,
        )
        allow_text_only = bool(self.settings.config.get("allow_text_only"))
        return outcome(counts, metric_results, allow_text_only=allow_text_only, judges=judges)

    def results(self, committed: Committed) -> Results:
        metric_results = self.metric_results(committed)
        judges = {stage.name: stage.info() for stage in self.stages}
        tally = self.model.tally
        usage = tally.as_dict()
        usage.pop("this_run")  # the model under test: usage counts every answer used, cached or not
        sent = {**self.model.config.params, **self.task.generation, **self.settings.generation}
        return Results.model_validate(
            {
                "run_id": f"{self.started.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}",
                "harness": harness_info(),
                "task": self.task_info(),
                "model": self.model.record(params=sent),  # what was sent: config < task < run parameters
                "metrics": metric_results,
                "judges": judges,
                "usage": usage,
                "timings": {
                    "started_at": self.started.isoformat(),
                    "finished_at": datetime.now(timezone.utc).isoformat(),
                    "wall_s": time.perf_counter() - self.t0,
                    "prepare_s": committed.prepare_s,
                    "scoring_s": committed.scoring_s,
                    "scoring_mode": self.mode,
                },
                "config": self.settings.config,
                "errors": dict(tally.errors),
                "error_examples": dict(tally.error_examples),
                **self.outcome(metric_results, judges),
            }
        )


async def evaluate(
    task: Task,
    model: CachedModel,
    *,
    selection: Selection,
    settings: RunSettings,
    registry: Any,
    out_dir: Path,
    stages: list[ItemStage] = (),  # type: ignore[assignment]
    on_item: Callable[[bool], None] | None = None,
    expected: int | None = None,
) -> Results:
    """Run ``model`` on ``task`` and write ``results.json`` and ``samples.jsonl`` to ``out_dir``.

    ``expected``: the number of samples, when known in advance (it picks the scoring mode)."""
    run = Run(task, model, selection=selection, settings=settings, registry=registry, out_dir=out_dir, stages=stages)
    run.prepare()
    hook = registry.hook
    hook.harness_run_start(run=RunStart(task.spec.name, model.config.name, out_dir, expected))
    committed = await run.stream(expected=expected, on_item=on_item)
    results = run.results(committed)
    write_json_atomic(out_dir / "results.json", results.model_dump(mode="json"))
    hook.harness_run_end(results=results)
    return results


def with_cached(
    items: Iterable[Item], cache: ResponseCache, key_of: Callable[[Item], str]
) -> Iterator[tuple[Item, str, Response | None]]:
    """``(item, cache key, cached response or None)``, looked up a chunk at a time (one query per
    chunk instead of one per request on the event loop). A failing item stream first yields the
    items produced before the failure, then raises."""
    source = iter(items)
    while True:
        chunk: list[Item] = []
        failure: Exception | None = None
        try:
            chunk.extend(islice(source, LOOKUP_CHUNK))
        except Exception as exc:  # e.g. a malformed record: the ones before it still run
            failure = exc
        keys = [key_of(item) for item in chunk]
        found = cache.get_many(keys)
        for item, key in zip(chunk, keys):
            yield item, key, found.get(key)
        if failure is not None:
            raise failure
        if len(chunk) < LOOKUP_CHUNK:
            return


def read_jsonl(path: Path) -> Any:
    """The records of a JSONL file (e.g. samples.jsonl), streamed."""
    import json

    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
