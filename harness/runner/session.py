"""One `python -m harness` job: from the composed config to results on disk and a table on screen."""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.models.config import ModelConfig
from harness.models.loading import build_model, load_model_config, parse_model_config
from harness.registry import Registry, get_registry
from harness.results import provenance
from harness.runner.cache import ResponseCache
from harness.runner.evaluate import RunSettings, evaluate
from harness.runner.loop import run
from harness.task.index import TaskIndex
from harness.task.task import Selection, Task


def parse_shard(value: Any) -> tuple[int, int] | None:
    if value in (None, ""):
        return None
    try:
        index, count = (int(v) for v in str(value).split("/"))
    except ValueError:
        raise HarnessError(f"shard={value}: expected i/n, e.g. shard=0/4") from None
    if not 0 <= index < count:
        raise HarnessError(f"shard={value}: need 0 <= i < n")
    return index, count


def judge_names(value: Any) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.strip("[]").split(",") if v.strip()]
    return [str(v) for v in value]


def run_job(
    cfg: dict[str, Any], *, out_dir: Path, model_choice: str, registry: Registry | None = None, console: Any = None
) -> list[dict[str, Any]]:
    """Evaluate the configured model on the selected task (or every task of a group)."""
    from harness.runner.display import Display

    registry = registry or get_registry()
    provenance.prefetch()
    display = Display(console)
    for failure in registry.failures:
        display.warn(f"plugin {failure.name} failed to load: {failure.error}")
    task_name = (cfg.get("task") or {}).get("name")
    if not task_name:
        raise HarnessError("no task selected: add +task=NAME (see `python -m harness list`)")
    index = TaskIndex.scan(registry.task_dirs)
    model_config = parse_model_config(
        {k: v for k, v in cfg["model"].items() if k != "name"}, where=f"model={model_choice}", name=model_choice
    )
    names = index.expand(task_name)
    selection = Selection(
        limit=cfg.get("limit"),
        sample=cfg.get("sample"),
        seed=int(cfg.get("seed", 1234)),
        shard=parse_shard(cfg.get("shard")),
    )
    cache_dir = Path(cfg["cache_dir"]).expanduser()
    data_dir = Path(cfg["data_dir"]).expanduser() if cfg.get("data_dir") else None
    if (
        data_dir is not None
    ):  # the one data setting, also for plugins that read their own files there (e.g. a metric's vocabulary)
        os.environ["HARNESS_DATA_DIR"] = str(data_dir)
    cache = ResponseCache(cache_dir / "responses.sqlite" if cfg.get("use_cache", True) else None)
    judges = [load_model_config(n, registry) for n in judge_names(cfg.get("judge"))]
    grouped = len(names) > 1 or names[0] != task_name
    outcomes: list[dict[str, Any]] = []
    try:
        for name in names:
            try:
                task = Task.load(
                    name,
                    registry=registry,
                    index=index,
                    data_dir=data_dir,
                    cache_dir=cache_dir,
                    modality=cfg.get("modality"),
                    offline=bool(cfg.get("offline")),
                    selection=selection,  # online: fetch what this selection needs (data rows, ECG records)
                )
            except HarnessError as exc:
                if not grouped:
                    raise
                display.skip(name, str(exc))
                outcomes.append({"task": name, "skipped": str(exc)})
                continue
            task_out = out_dir / name if grouped else out_dir
            settings = RunSettings(
                concurrency=min(int(cfg.get("concurrency", 8)), model_config.concurrency or 10**6),
                seed=selection.seed,
                generation={k: v for k, v in (cfg.get("generation") or {}).items() if v is not None},
                config=cfg,
                scoring=str(cfg.get("scoring") or "auto"),
            )
            gc.collect()  # then freeze what is left (config, registry, modules): the collector's full passes stay short
            gc.freeze()
            results = run(
                _evaluate(task, model_config, judges, selection, settings, cache, registry, task_out, display)
            )
            display.results(results)
            absent = (results.task.model_extra or {}).get("ecg") or {}
            if absent.get("n_absent"):
                display.warn(
                    f"{name}: {absent['n_absent']} sample(s) skipped, their ECG record is not under the data directory "
                    f"(ids in results.json task.ecg.absent_ids; looked in {', '.join(absent['looked_in'][:2])}, ...)"
                )
            outcomes.append(
                {
                    "task": name,
                    "results": str(task_out / "results.json"),
                    "n": results.task.n_samples,
                    "metrics": {k: v.value for k, v in results.metrics.items()},
                }
            )
    finally:
        cache.close()
    if grouped:
        display.group_table(task_name, outcomes)
        from harness.results.writer import write_json_atomic

        write_json_atomic(out_dir / "summary.json", {"group": task_name, "model": model_choice, "tasks": outcomes})
    return outcomes


async def _evaluate(
    task: Task,
    model_config: ModelConfig,
    judges: list[ModelConfig],
    selection: Selection,
    settings: RunSettings,
    cache: ResponseCache,
    registry: Registry,
    out_dir: Path,
    display: Any,
) -> Any:
    model = build_model(model_config, registry)
    stages = []
    if task.spec.judges:
        if judges:
            from harness.judging.stage import build_judge_stages

            stages = build_judge_stages(task, judges, registry=registry, cache=cache, settings=settings)
        else:
            display.warn(
                f"task '{task.spec.name}' has judges ({', '.join(j.name for j in task.spec.judges)}) but no judge model was given: "
                "add judge=NAME to score them; judged metrics are not reported"
            )
    try:
        total = _count_items(task, selection)
        with display.progress(f"{task.spec.name} · {model_config.name}", total) as advance:
            return await evaluate(
                task,
                model,
                selection=selection,
                settings=settings,
                cache=cache,
                registry=registry,
                out_dir=out_dir,
                stages=stages,
                on_item=advance,
                expected=total,
            )
    finally:
        await model.aclose()


def _count_items(task: Task, selection: Selection) -> int | None:
    if not getattr(task.output_type, "one_item_per_record", False):
        return None  # records with several items (dialogue turns, ...): unknown until produced
    return selection.count(task.count_docs())


def resolved_config(cfg: Any) -> dict[str, Any]:
    from omegaconf import OmegaConf

    return json.loads(json.dumps(OmegaConf.to_container(cfg, resolve=True), default=str))
