"""The command line: ``python -m harness [list | overrides...]``.

``--help`` and ``list`` answer from the registry without importing Hydra's job machinery,
litellm or torch, so they are fast. Everything else is a Hydra run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

USAGE = """\
usage: python -m harness +task=NAME [model=NAME] [key=value ...]
       python -m harness -m +task=A,B model=X,Y        (multirun: one result per combination)
       python -m harness list [TASK]                   (tasks, models, metrics, judges, plugins; one task in detail)
       python -m harness merge SHARD_DIR... --out DIR  (merge a task run with shard=i/n)
       python -m harness compare RUN_A RUN_B           (per-metric B - A, paired bootstrap CIs, items that flipped)
       python -m harness verify RUN...                 (recompute every number of a run from its own records)
       python -m harness export lm-eval --out DIR      (our tasks as lm-eval YAML: lm_eval --include_path DIR)
       python -m harness build heartcare --out DIR     (data engine: Heartcare-Bench items from labels + records)
       python -m harness data status [TASK|GROUP]      (each task's data: sources, local or not, runnable samples)
       python -m harness data fetch TASK|GROUP|all [limit=N] [--dry-run]   (download what those runs need)
       python -m harness --hydra-help                  (Hydra's own options)

common keys: limit=N sample=N seed=S concurrency=C modality=image|signal_text|features|released_image|text
             judge=NAME|[A,B,C] shard=i/n data_dir=PATH cache_dir=PATH use_cache=false offline=true
             generation.max_tokens=N include=[DIR] (extra task folders; or HARNESS_TASK_PATH)
"""

# Set before any backend is imported: the harness never reaches for the network on its own.
_OFFLINE_DEFAULTS = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def _include_dirs(args: list[str]) -> list[Path]:
    """The run's ``include=[a,b]`` task folders (the same key Hydra composes into the run config)."""
    dirs: list[Path] = []
    for arg in args:
        key, _, value = arg.lstrip("+").partition("=")
        if key == "include":
            dirs += [Path(d.strip().strip("'\"")) for d in value.strip("[]").split(",") if d.strip()]
    return dirs


def _preflight(args: list[str], include: list[Path]) -> None:
    """Catch unknown task/model names before Hydra, with close-match suggestions."""
    from harness.errors import HarnessError, suggest
    from harness.models.loading import model_config_files
    from harness.registry import get_registry
    from harness.task.index import TaskIndex

    registry = get_registry()
    tasks = models = None
    for arg in args:
        key, _, value = arg.partition("=")
        key = key.lstrip("+~")
        if key == "task" and value:
            tasks = tasks or TaskIndex.scan(registry.task_dirs, include=include)
            for name in value.split(","):
                if name not in tasks.names:
                    raise HarnessError(suggest(name, tasks.names, what="task"))
        elif key in ("model", "judge") and value:
            models = models or model_config_files(registry)
            for name in value.strip("[]").split(","):
                if name and name not in models:
                    raise HarnessError(f"{key}={name}: " + suggest(name, list(models), what="model config"))
    if not any(a.lstrip("+").startswith("task=") for a in args):
        raise HarnessError("no task selected: add +task=NAME (see `python -m harness list`)")


def _register_tasks(include: list[Path]) -> None:
    """Make every indexed task and group selectable as +task=NAME (no duplicate Hydra files)."""
    from hydra.core.config_store import ConfigStore

    from harness.models.loading import model_config_files
    from harness.registry import get_registry
    from harness.task.index import TaskIndex

    registry = get_registry()
    store = ConfigStore.instance()
    for name in TaskIndex.scan(registry.task_dirs, include=include).names:
        store.store(group="task", name=name, node={"name": name})
    builtin = {p.stem for p in _builtin_model_dir().glob("*.yaml")}
    for name, path in model_config_files(registry).items():
        if name not in builtin:  # plugin-contributed model configs join the Hydra group too
            import yaml

            store.store(group="model", name=name, node=yaml.safe_load(path.read_text(encoding="utf-8")))


def _builtin_model_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("harness.configs"))) / "model"


def _fail(exc: BaseException) -> None:
    print(f"error: {exc}", file=sys.stderr)
    raise SystemExit(getattr(exc, "exit_code", 2))


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    for key, value in _OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
    include = _include_dirs(args)
    from harness.errors import HarnessError
    from harness.listing import listing, task_detail

    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        print(listing(include))
        return
    if args[0] == "list":
        names = [a for a in args[1:] if "=" not in a]
        try:
            print("\n\n".join(task_detail(n, include) for n in names) if names else listing(include))
        except HarnessError as exc:
            _fail(exc)
        return

    if args[0] in _SUBCOMMANDS:
        try:
            _SUBCOMMANDS[args[0]](args[1:])
        except HarnessError as exc:
            _fail(exc)
        return

    hydra_flags = {"--hydra-help", "--cfg", "-c", "--info", "-i", "--resolve", "--shell-completion", "-sc"}
    try:
        if not hydra_flags.intersection(args):
            overrides = [a for a in args if not a.startswith("-")]
            from harness.overrides import check_overrides

            check_overrides(overrides)
            _preflight(overrides, include)
        _register_tasks(include)
    except HarnessError as exc:
        _fail(exc)
    _run_hydra(args)


def _run_hydra(args: list[str]) -> None:
    """Hydra composes and runs the job(s); the process exits with the worst job's code."""
    import hydra

    from harness import cli_job
    from harness.results.schema import EXIT_INTERRUPTED

    sys.argv = [sys.argv[0], *args]
    try:
        hydra.main(config_path="pkg://harness.configs", config_name="config", version_base="1.3")(cli_job.hydra_job)()
    except KeyboardInterrupt as exc:
        cached = getattr(exc, "answers_cached", None)
        note = f" ({cached} answers cached)" if cached is not None else ""
        print(f"\ninterrupted: rerun the same command to resume{note}", file=sys.stderr)
        raise SystemExit(EXIT_INTERRUPTED) from None
    cli_job.report_multirun()
    code = cli_job.exit_code()
    if code:
        raise SystemExit(code)


def _merge(args: list[str]) -> None:
    from harness.runner.merge import main as merge_main

    merge_main(args)


def _export(args: list[str]) -> None:
    from harness.errors import HarnessError

    if not args or args[0] != "lm-eval":
        raise HarnessError("usage: python -m harness export lm-eval --out DIR [--tasks A,B]")
    from harness.interop.lm_eval_export import main as export_main

    export_main(args[1:])


def _build(args: list[str]) -> None:
    from harness.databuild import main as build_main

    build_main(args)


def _compare(args: list[str]) -> None:
    from harness.compare import main as compare_main

    compare_main(args)


def _verify(args: list[str]) -> None:
    from harness.results.verify import main as verify_main

    verify_main(args)


def _data(args: list[str]) -> None:
    from harness.task.data_command import main as data_main

    data_main(args)


# Subcommands other than a run: name -> callable(args). Layers add theirs here.
_SUBCOMMANDS: dict[str, Any] = {
    "merge": _merge,
    "export": _export,
    "build": _build,
    "data": _data,
    "compare": _compare,
    "verify": _verify,
}
