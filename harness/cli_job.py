"""One Hydra job of ``python -m harness``: the composed config → a run → an exit code.

This is the run's single error boundary. A user error is one line on stderr (no traceback) and
exit code 2 (or the error's own, e.g. 4 for a run with nothing to evaluate); an unexpected error
is one line pointing at the run's log, which holds the traceback (exit code 1). Each job's code
is recorded so that a multirun goes on past a failing job and the process exits with the worst
code (docs/results.md). A job that wrote nothing leaves no directory behind. Hydra's own record
of the job (``.hydra/``) is rewritten without credentials as soon as the job starts.
"""

from __future__ import annotations

import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.results.schema import EXIT_CRASH, EXIT_USAGE

log = logging.getLogger("harness.run")

OUTPUT_FILES = ("results.json", "samples.jsonl", "samples.jsonl.partial", "summary.json")


@dataclass(frozen=True)
class JobOutcome:
    out_dir: Path
    exit_code: int
    message: str


# Every job this process ran, in order (a multirun runs several in one process).
OUTCOMES: list[JobOutcome] = []


def hydra_job(cfg: Any) -> None:
    """The Hydra task function: run one job and record its outcome (never raises a user error)."""
    from hydra.core.hydra_config import HydraConfig

    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    if hydra_cfg.output_subdir:
        scrub_hydra_files(out_dir / str(hydra_cfg.output_subdir))
    code, message = _run(cfg, out_dir, hydra_cfg.runtime.choices.get("model") or "model")
    if _wrote_output(out_dir):
        print(f"results: {out_dir}", file=sys.stderr)
    elif code != EXIT_CRASH:  # a crash keeps its directory: the error line points at the traceback in its log
        _remove_empty_run_dir(out_dir)
    OUTCOMES.append(JobOutcome(out_dir, code, message))


def _run(cfg: Any, out_dir: Path, model_choice: str) -> tuple[int, str]:
    from harness.errors import HarnessError
    from harness.models.base import EndpointUnreachable
    from harness.results.status import worst_exit_code
    from harness.runner.session import resolved_config, run_job

    try:
        outcomes = run_job(resolved_config(cfg), out_dir=out_dir, model_choice=model_choice)
    except HarnessError as exc:
        return _error(str(exc), exc.exit_code)
    except EndpointUnreachable as exc:  # a configuration problem (the URL, the server is down): fix and rerun
        return _error(str(exc), EXIT_USAGE)
    except Exception as exc:  # a bug: one line here, the traceback in the run's log
        log.exception("unexpected error")
        where = out_dir / "cli.log"
        return _error(f"unexpected {type(exc).__name__}: {exc} (traceback in {where})", EXIT_CRASH)
    code = worst_exit_code(o.get("exit_code", 0) for o in outcomes)
    failed = [o["task"] for o in outcomes if o.get("exit_code")]
    return code, (f"not complete: {', '.join(failed)}" if failed else "complete")


def _error(message: str, code: int) -> tuple[int, str]:
    first = message.strip().splitlines()[0] if message.strip() else "error"
    print(f"error: {message}", file=sys.stderr)
    log.error(message)
    return code, first


def _wrote_output(out_dir: Path) -> bool:
    return any((out_dir / name).exists() for name in OUTPUT_FILES) or any(
        (child / "results.json").exists() for child in out_dir.glob("*/") if child.is_dir()
    )


def _remove_empty_run_dir(out_dir: Path) -> None:
    """A job refused before it ran leaves nothing: only Hydra's own files and the log would be there."""
    if not out_dir.is_dir():
        return
    root = logging.getLogger()
    for handler in list(root.handlers):  # the job's log file is inside: close it first
        if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename).is_relative_to(out_dir):
            root.removeHandler(handler)
            handler.close()
    shutil.rmtree(out_dir, ignore_errors=True)


def scrub_hydra_files(hydra_dir: Path) -> None:
    """Rewrite Hydra's ``config.yaml``, ``hydra.yaml`` and ``overrides.yaml`` without credentials:
    the composed values, and the command line's overrides wherever Hydra repeats them (e.g. the
    ``override_dirname`` it joins from them)."""
    import yaml

    from harness.results.secrets import scrub, scrub_override

    overrides_file = hydra_dir / "overrides.yaml"
    raw = yaml.safe_load(overrides_file.read_text(encoding="utf-8")) if overrides_file.is_file() else []
    replacements = {o: scrub_override(o) for o in raw or [] if isinstance(o, str) and scrub_override(o) != o}

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, str):
            for secret, redacted in replacements.items():
                value = value.replace(secret, redacted)
        return value

    for name in ("config.yaml", "hydra.yaml", "overrides.yaml"):
        path = hydra_dir / name
        if path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            cleaned = scrub(clean(data))
            if cleaned != data:
                path.write_text(yaml.safe_dump(cleaned, sort_keys=False), encoding="utf-8")


def exit_code() -> int:
    """The process's exit code: the worst of its jobs (0 when none ran)."""
    from harness.results.status import worst_exit_code

    return worst_exit_code(o.exit_code for o in OUTCOMES)


def report_multirun() -> None:
    """After a multirun: which jobs did not complete, so one failure does not hide in the scroll."""
    failed = [o for o in OUTCOMES if o.exit_code]
    if len(OUTCOMES) > 1 and failed:
        print(f"{len(failed)} of {len(OUTCOMES)} jobs did not complete:", file=sys.stderr)
        for outcome in failed:
            print(f"  exit {outcome.exit_code}  {outcome.out_dir}: {outcome.message}", file=sys.stderr)
