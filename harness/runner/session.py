"""One `python -m harness` job: from the composed config to results on disk and a table on screen."""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path
from typing import Any

from harness.errors import EcgsAbsent, HarnessError, NothingToRun
from harness.eventloop import run
from harness.models.cache import ResponseCache
from harness.models.cached import CachedModel
from harness.models.loading import build_model, load_model_config, parse_model_config
from harness.paths import cache_root
from harness.registry import Registry, get_registry
from harness.results import provenance
from harness.results.schema import EXIT_PARTIAL, Results
from harness.runner.evaluate import RunSettings, evaluate
from harness.runner.stage import ItemStage
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
    for warning in registry.warnings:
        display.warn(warning)
    job = Job(cfg, out_dir=out_dir, model_choice=model_choice, registry=registry, display=display)
    cache = ResponseCache(job.cache_dir / "responses.sqlite" if cfg.get("use_cache", True) else None)
    outcomes: list[dict[str, Any]] = []
    try:
        for name in job.names:
            outcomes.append(job.run_task(name, cache))
    except KeyboardInterrupt as exc:  # Ctrl-C: what was answered is committed; say how to resume
        cache.close()
        exc.answers_cached = cache.answers_written  # type: ignore[attr-defined]
        raise
    finally:
        cache.close()
    if job.grouped:
        job.summarize_group(outcomes)
    return outcomes


class Job:
    """One CLI job's shared state: the task index, the model and judge configs, the selection and
    where data and caches live; :meth:`run_task` runs one task of it."""

    def __init__(self, cfg: dict[str, Any], *, out_dir: Path, model_choice: str, registry: Registry, display: Any):
        self.cfg, self.out_dir, self.model_choice = cfg, out_dir, model_choice
        self.registry, self.display = registry, display
        self.n_failures = len(registry.failures)  # a lifecycle hook that raises during a run is reported after it
        self.task_name = (cfg.get("task") or {}).get("name")
        if not self.task_name:
            raise HarnessError("no task selected: add +task=NAME (see `python -m harness list`)")
        self.index = TaskIndex.scan(registry.task_dirs, include=[Path(d) for d in cfg.get("include") or []])
        selected = {str(self.index.source(self.task_name))} if self.task_name in self.index.names else set()
        for problem in self.index.problems:  # other broken task files: said once (the selected one fails below)
            if not any(problem.startswith(path) for path in selected):
                display.warn(problem)
        # the row on the leaderboard: the config's name, or the one given with model.name=...
        name = str(cfg["model"].get("name") or model_choice)
        self.model_config = parse_model_config(
            {k: v for k, v in cfg["model"].items() if k != "name"}, where=f"model={model_choice}", name=name
        )
        self.names = self.index.expand(self.task_name)
        self.grouped = len(self.names) > 1 or self.names[0] != self.task_name
        self.selection = Selection(
            limit=cfg.get("limit"),
            sample=cfg.get("sample"),
            seed=int(cfg.get("seed", 1234)),
            shard=parse_shard(cfg.get("shard")),
        )
        self.cache_dir = cache_root(cfg.get("cache_dir"))
        self.data_dir = Path(cfg["data_dir"]).expanduser() if cfg.get("data_dir") else None
        if self.data_dir is not None:  # the one data setting, also for plugins that read their own files there
            os.environ["HARNESS_DATA_DIR"] = str(self.data_dir)
        self.judges = [load_model_config(n, registry) for n in judge_names(cfg.get("judge"))]

    def load(self, name: str) -> Task:
        task = self._load(name, self.cfg.get("modality"))
        allow_text_only = bool(self.cfg.get("allow_text_only"))
        try:
            check_runnable(task, self.selection, allow_text_only=allow_text_only)
        except EcgsAbsent:
            if not (allow_text_only and text_fallback(task)):
                raise
            # no sample's ECG is here and the user accepted a run without one: the questions alone
            self.display.warn(
                f"task '{name}': no selected sample's ECG is here; allow_text_only=true: asking the questions "
                "alone (modality=text), and the result is marked text-only"
            )
            task = self._load(name, "text")
            check_runnable(task, self.selection, allow_text_only=True)
        return task

    def _load(self, name: str, modality: str | None) -> Task:
        return Task.load(
            name,
            registry=self.registry,
            index=self.index,
            data_dir=self.data_dir,
            cache_dir=self.cache_dir,
            modality=modality,
            offline=bool(self.cfg.get("offline")),
            compat=self.cfg.get("compat"),
            selection=self.selection,  # online: fetch what this selection needs (data rows, ECG records)
        )

    def settings(self) -> RunSettings:
        cfg = self.cfg
        return RunSettings(
            concurrency=min(int(cfg.get("concurrency", 8)), self.model_config.concurrency or 10**6),
            seed=self.selection.seed,
            generation={k: v for k, v in (cfg.get("generation") or {}).items() if v is not None},
            config=cfg,
            scoring=str(cfg.get("scoring") or "auto"),
            max_answer_bytes=cfg.get("max_answer_bytes"),
        )

    def run_task(self, name: str, cache: ResponseCache) -> dict[str, Any]:
        """One task of the job, its outcome for the summary; a group skips a task it cannot run."""
        try:
            task = self.load(name)
        except HarnessError as exc:
            if not self.grouped:
                raise
            self.display.skip(name, str(exc))
            # a group with a task it cannot run is partial; only a group where nothing ran fails outright
            return {"task": name, "skipped": str(exc), "exit_code": EXIT_PARTIAL, "error_code": exc.exit_code}
        task_out = self.out_dir / name if self.grouped else self.out_dir
        settings = self.settings()
        gc.collect()  # then freeze what is left (config, registry, modules): the collector's full passes stay short
        gc.freeze()
        results = run(self.evaluate(task, settings, cache, task_out))
        self.display.verdict(results)
        for failure in self.registry.failures[self.n_failures :]:  # a lifecycle hook that raised during the run
            self.display.warn(f"plugin {failure.name}: {failure.error}")
        self.n_failures = len(self.registry.failures)
        self.display.results(results)
        return {
            "task": name,
            "results": str(task_out / "results.json"),
            "n": results.task.n_samples,
            "metrics": {k: v.value for k, v in results.metrics.items()},
            "exit_code": results.status.exit_code if results.status else 0,
            "state": results.status.state if results.status else None,
        }

    async def evaluate(self, task: Task, settings: RunSettings, cache: ResponseCache, out_dir: Path) -> Results:
        """The model (and the task's judges, when judge models were given) on one task."""
        model = CachedModel(
            build_model(self.model_config, self.registry), cache, max_answer_bytes=settings.max_answer_bytes
        )
        stages = self.judge_stages(task, settings, cache)
        try:
            total = _count_items(task, self.selection)
            with self.display.progress(f"{task.spec.name} · {self.model_config.name}", total) as advance:
                return await evaluate(
                    task,
                    model,
                    selection=self.selection,
                    settings=settings,
                    registry=self.registry,
                    out_dir=out_dir,
                    stages=stages,
                    on_item=advance,
                    expected=total,
                )
        finally:
            await model.aclose()

    def judge_stages(self, task: Task, settings: RunSettings, cache: ResponseCache) -> list[ItemStage]:
        if not task.spec.judges:
            return []
        if not self.judges:
            self.display.warn(
                f"task '{task.spec.name}' has judges ({', '.join(j.name for j in task.spec.judges)}) but no judge "
                "model was given: add judge=NAME to score them; judged metrics are not reported"
            )
            return []
        from harness.judging.stage import build_judge_stages

        return build_judge_stages(
            task,
            self.judges,
            registry=self.registry,
            cache=cache,
            concurrency=int(settings.config.get("judge_concurrency") or settings.concurrency),
            seed=settings.seed,
            check=settings.config.get("judge_check", "auto"),
        )

    def summarize_group(self, outcomes: list[dict[str, Any]]) -> None:
        """The group's table and ``summary.json``."""
        if not any("results" in o for o in outcomes):  # nothing in the group could run
            for outcome in outcomes:
                outcome["exit_code"] = outcome.get("error_code", outcome["exit_code"])
        self.display.group_table(self.task_name, outcomes)
        from harness.results.writer import write_json_atomic

        summary = {"group": self.task_name, "model": self.model_choice, "tasks": outcomes}
        write_json_atomic(self.out_dir / "summary.json", summary)


def check_runnable(task: Task, selection: Selection, *, allow_text_only: bool) -> None:
    """Refuse, before any model is built, a run whose number would be meaningless: an ECG task
    that would send no ECG (unless ``allow_text_only=true``), or one with no runnable sample."""
    name = task.spec.name
    if task.text_only and not allow_text_only:
        shown = [m for m in (task.spec.ecg or {}).get("modalities", []) if m != "text"]
        raise HarnessError(
            f"task '{name}' shows the model an ECG, but modality={task.modality or 'text'} sends none: "
            f"choose modality={'|'.join(shown)}, or pass allow_text_only=true (the result is then marked text-only)"
        )
    if task.count_selected(selection) > 0:
        return
    ecg = task.ecg_report() or {}
    n_absent = int(ecg.get("n_absent") or 0)
    if not n_absent:
        raise NothingToRun(f"task '{name}': its data has no records to run for this selection")
    from harness.task.availability import availability

    looked = ", ".join((ecg.get("looked_in") or [])[:2]) or "the data directory"
    remedy = availability(task, selection).remedy or f"`python -m harness data fetch {name}`"
    text = ", or allow_text_only=true to ask the questions alone (marked text-only)" if text_fallback(task) else ""
    raise EcgsAbsent(
        f"task '{name}': 0 of {n_absent} samples can run: their ECGs are absent (looked in {looked}). "
        f"Get them with {remedy}{text}"
    )


def text_fallback(task: Task) -> bool:
    """Whether the task, run with its ECGs absent, could ask its questions alone: it offers
    ``modality=text`` and this run is not already text-only."""
    return task.modality not in (None, "text") and "text" in ((task.spec.ecg or {}).get("modalities") or [])


def _count_items(task: Task, selection: Selection) -> int | None:
    if not task.output_type.one_item_per_record:
        return None  # records with several items (dialogue turns, ...): unknown until produced
    return task.count_selected(selection)


def resolved_config(cfg: Any) -> dict[str, Any]:
    from omegaconf import OmegaConf

    return json.loads(json.dumps(OmegaConf.to_container(cfg, resolve=True), default=str))
