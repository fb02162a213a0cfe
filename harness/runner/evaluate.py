"""Evaluating one model on one task: items -> model (cached) -> extraction -> stages -> metrics.

Streams end to end: items are produced lazily, at most a bounded window is in memory, samples are
written as they are scored, and only per-sample metric values are kept for aggregation. An item
with follow-ups is a conversation: its later turns are asked here, each after the model's own
previous answer, and the last answer is the one extracted and scored.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any

from harness.metrics.base import Metric
from harness.models.base import EndpointUnreachable, Model, ModelError, Request, Response, Usage
from harness.models.retry import safe_url
from harness.results.attachments import Attachments
from harness.results.provenance import harness_info
from harness.results.schema import Results
from harness.results.writer import write_json_atomic
from harness.runner.cache import ResponseCache, request_key
from harness.runner.pool import ordered_map
from harness.runner.scoring import BackgroundScorer, Batch, SampleScorer, choose_mode
from harness.runner.stage import ItemStage
from harness.task.output_type import Item
from harness.task.prompt import fingerprint
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


@dataclass
class _Tally:
    usage: Usage = field(default_factory=Usage)
    issued: int = 0
    cache_hits: int = 0
    failed: int = 0
    errors: Counter = field(default_factory=Counter)
    unparseable: int = 0


def _bind_metrics(task: Task, registry: Any) -> list[Metric]:
    metrics = []
    for ref in task.spec.metrics:
        metric = registry.metrics[ref.name]
        if ref.args:
            bind = getattr(metric, "bind", None)
            if bind is None:
                from harness.errors import TaskFileError

                raise TaskFileError(f"{task.source}: metrics: '{ref.name}' takes no arguments")
            metric = bind(**ref.args)
        metrics.append(metric)
    return metrics


async def evaluate(
    task: Task,
    model: Model,
    *,
    selection: Selection,
    settings: RunSettings,
    cache: ResponseCache,
    registry: Any,
    out_dir: Path,
    stages: list[ItemStage] = (),  # type: ignore[assignment]
    on_item: Callable[[], None] | None = None,
    expected: int | None = None,
) -> Results:
    """Run ``model`` on ``task`` and write ``results.json`` and ``samples.jsonl`` to ``out_dir``.

    ``expected``: the number of samples, when known in advance (it picks the scoring mode)."""
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    metrics = _bind_metrics(task, registry)
    fit = getattr(model, "fit", None)
    if callable(fit):  # e.g. the retrieval baseline indexes the task's own (prompt, reference) pairs;
        # before reading the identity, which then covers the corpus (another subset answers differently)
        fit([(it.id, _prompt_text(it.messages), str(it.reference)) for it in task.items(selection)])
    identity = model.identity
    identity_sha = fingerprint(identity)
    tally = _Tally()
    n_items = 0
    hook = registry.hook
    run_summary = {"task": task.spec.name, "model": model.config.name, "out_dir": str(out_dir)}
    attachments = Attachments(out_dir)  # images are logged once beside samples.jsonl, not in every line
    hook.harness_run_start(run=run_summary)

    def params_of(item: Item) -> dict[str, Any]:
        return {**task.generation, **item.params, **settings.generation}

    async def ask(
        item: Item, request_id: str, messages: list[dict[str, Any]], key: str, response: Response | None
    ) -> Response:
        """One model answer: from the cache, else requested (and cached when it succeeded)."""
        if response is None and cache.seen(key):  # a duplicate of a request answered since the lookup
            response = cache.get(key)
        if response is None:
            start = time.perf_counter()
            try:
                response = await model.generate(Request(request_id, messages, params_of(item), item.extras))
            except EndpointUnreachable:
                raise
            except ModelError as exc:
                response = Response(text=None, error=str(exc))
            response.latency_s = response.latency_s or (time.perf_counter() - start)
            tally.issued += 1
            if response.error is None:
                cache.put(key, response)
        else:
            tally.cache_hits += 1
        tally.usage.add(response.usage)
        return response

    async def answer(entry: tuple[Item, str, Response | None]) -> dict[str, Any]:
        item, key, response = entry
        response = await ask(item, item.id, item.messages, key, response)
        if item.follow_ups:  # a conversation: each later turn follows the model's own previous answer
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
                turn_key = request_key(identity, messages, params_of(item))
                response = await ask(item, f"{item.id}/turn-{k}", messages, turn_key, cache.get(turn_key))
            item = replace(item, messages=messages, answers=answers)  # stages (judges) see the whole conversation
        record: dict[str, Any] = {
            "id": item.id,
            "doc_id": item.doc_id,
            "position": list(item.position),
            "messages": attachments.compact(item.messages),
            "response": response.text,
            "prediction": None,
            "reference": item.reference,
            "metrics": {},
            "judges": {},
            "error": response.error,
            "cached": response.cached,
            "meta": item.meta,
        }
        if response.error is not None:
            tally.failed += 1
            tally.errors[_reason(response.error)] += 1
        else:
            extraction = task.output_type.extract(item, response.text or "")
            record["prediction"] = extraction.prediction
            if extraction.unparseable:
                record["unparseable"] = True
                tally.unparseable += 1
        for stage in stages:  # failed requests too: a stage counts them as unscored, never drops them
            await stage.process(item, record)
        return record

    mode = choose_mode(settings.scoring, metrics, expected)
    # a child process has the second core to itself while it waits: it draws the bootstrap indices ahead
    sample_scorer = SampleScorer(
        metrics, out_dir / "samples.jsonl", seed=settings.seed, expected=expected, draw_ahead=mode == "process"
    )
    scorer = BackgroundScorer(sample_scorer, lambda record: hook.harness_sample_done(sample=record), mode=mode)
    batch: Batch = []

    try:
        entries = with_cached(
            task.items(selection), cache, lambda item: request_key(identity, item.messages, params_of(item))
        )
        async for (item, _, _), record in ordered_map(answer, entries, concurrency=settings.concurrency):
            n_items += 1
            batch.append((record, item.doc))
            if len(batch) >= SCORE_BATCH:
                await scorer.submit(batch)
                batch = []
            if on_item is not None:
                on_item()
        if batch:
            await scorer.submit(batch)
        await scorer.drain()
    finally:
        scorer.close()
        for stage in stages:
            await stage.aclose()
    committed = scorer.committed
    assert committed is not None

    metric_results: dict[str, Any] = {}
    for metric in metrics:
        entry = committed.summaries[metric.name]
        entry["info"] = committed.infos.get(metric.name) or metric.info()
        metric_results[metric.name] = entry
    for stage in stages:
        metric_results.update(stage.metric_results())
    summarize_records = getattr(task.output_type, "summarize", None)
    if callable(summarize_records):  # e.g. per-dialogue scores over the per-turn samples
        metric_results.update(summarize_records(read_jsonl(out_dir / "samples.jsonl"), seed=settings.seed))

    finished = datetime.now(timezone.utc)
    spec = task.spec
    results = {
        "run_id": f"{started.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}",
        "harness": harness_info(),
        "task": {
            "name": spec.name,
            "version": spec.version,
            "groups": task.groups,
            "benchmark": spec.benchmark,
            "output_type": spec.output_type,
            "source_file": task.source.name,
            "data": task.data_info(),
            "prompt_sha256": task.prompt_sha256,
            "n_samples": n_items,
            "limit": selection.limit,
            "sample_seed": selection.seed if selection.sample is not None else None,
            "sample": selection.sample,
            "shard": list(selection.shard) if selection.shard else None,
            "modality": task.modality,
            "n_unparseable": tally.unparseable,
            "ecg": task.ecg_report(),
        },
        "model": {
            "name": model.config.name,
            "backend": model.config.backend,
            "model": model.config.model,
            "base_url": safe_url(model.config.resolved_base_url()) if model.config.resolved_base_url() else None,
            "params": {**model.config.params},
            "identity_sha256": identity_sha,
        },
        "metrics": metric_results,
        "judges": {stage.name: stage.info() for stage in stages},
        "usage": {
            "requests": tally.issued,
            "cache_hits": tally.cache_hits,
            "failed": tally.failed,
            "prompt_tokens": tally.usage.prompt_tokens,
            "completion_tokens": tally.usage.completion_tokens,
            "cost_usd": tally.usage.cost_usd,
        },
        "timings": {
            "started_at": started.isoformat(),
            "finished_at": finished.isoformat(),
            "wall_s": time.perf_counter() - t0,
            "prepare_s": committed.prepare_s,
            "scoring_s": committed.scoring_s,
            "scoring_mode": mode,
        },
        "config": settings.config,
        "errors": dict(tally.errors),
    }
    validated = Results.model_validate(results)
    write_json_atomic(out_dir / "results.json", results)
    hook.harness_run_end(results=results)
    return validated


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


def _reason(error: str) -> str:
    return error.split(":", 1)[0][:80]


def _prompt_text(messages: list[dict[str, Any]]) -> str:
    parts = []
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            parts.append(content)
        else:
            parts += [p.get("text", "") for p in content if p.get("type") == "text"]
    return "\n".join(parts)
