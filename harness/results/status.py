"""Whether a run is complete and whether its number can be trusted: ``status``, ``validity`` and
the exit code (docs/results.md).

Pure functions of what the run counted, so the runner, the shard merge and ``verify`` agree on
the verdict; the CLI exits with the worst code of a job's runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.results.schema import (
    EXIT_COMPLETE,
    EXIT_EMPTY,
    EXIT_INTERRUPTED,
    EXIT_PARTIAL,
    EXIT_USAGE,
    RunStatus,
    ValidityFlag,
)

DUPLICATE_SHARE = 0.20  # above this share of samples repeating another's request, a run is flagged
JUDGE_UNSCORED_SHARE = 0.20  # above this share of unscored samples, a judged metric is flagged

# Severity of an exit code, for the worst of several runs (a usage error outranks an empty run).
_SEVERITY = {EXIT_COMPLETE: 0, EXIT_PARTIAL: 1, EXIT_EMPTY: 2, EXIT_USAGE: 3, EXIT_INTERRUPTED: 4}


@dataclass(frozen=True)
class RunCounts:
    """What a finished run counted: the input of its verdict."""

    n_samples: int  # items evaluated (answered or failed)
    n_failed: int  # requests that failed after the backend's retries
    n_absent: int = 0  # selected samples skipped because their data / ECG is not available
    n_duplicates: int = 0  # samples whose request another sample of the run already made
    n_truncated: int = 0  # answers cut at max_answer_bytes
    max_answer_bytes: int | None = None
    text_only: bool = False  # an ECG task run without sending any ECG (allow_text_only=true)


def run_status(counts: RunCounts, metrics: Mapping[str, Any]) -> RunStatus:
    """``complete`` / ``partial`` / ``empty`` with its exit code and a one-line message."""
    n_answered = counts.n_samples - counts.n_failed
    n_expected = counts.n_samples + counts.n_absent
    scored = any(_get(m, "n_scored", 0) > 0 for m in metrics.values())
    if n_answered <= 0 or (metrics and not scored):
        state, code = "empty", EXIT_EMPTY
        why = (
            "no runnable sample"
            if n_expected == 0
            else f"all {counts.n_samples} requests failed"
            if n_answered <= 0 and counts.n_samples
            else f"all {counts.n_absent} selected samples are absent"
            if counts.n_samples == 0
            else "no sample could be scored"
        )
        message = f"nothing scored: {why}"
    elif counts.n_failed or counts.n_absent:
        state, code = "partial", EXIT_PARTIAL
        parts = [
            f"{counts.n_failed} failed" if counts.n_failed else "",
            f"{counts.n_absent} absent" if counts.n_absent else "",
        ]
        message = f"partial: {n_answered} of {n_expected} samples answered ({', '.join(p for p in parts if p)})"
        if counts.n_failed:
            message += "; rerun the same command to retry the failed ones (answers are cached)"
    else:
        state, code = "complete", EXIT_COMPLETE
        message = f"complete: {n_answered} of {n_expected} samples answered"
    return RunStatus(
        state=state,
        exit_code=code,
        n_expected=n_expected,
        n_answered=max(n_answered, 0),
        n_failed=counts.n_failed,
        n_absent=counts.n_absent,
        message=message,
    )


def validity_flags(
    counts: RunCounts, metrics: Mapping[str, Any], status: RunStatus, judges: Mapping[str, Any] | None = None
) -> list[ValidityFlag]:
    """Every reason the run's number is less than fully valid (``VALIDITY_CODES``); ``judges``:
    ``results.json['judges']``, whose validity reports may mark a judge weak."""
    flags: list[ValidityFlag] = []
    n_expected = status.n_expected or 0
    if status.state == "empty":
        flags.append(ValidityFlag(code="nothing_scored", message=status.message))
    if counts.n_failed or counts.n_absent:
        flags.append(
            ValidityFlag(
                code="partial",
                message=f"{counts.n_failed + counts.n_absent} of {n_expected} selected samples failed or were skipped",
                n_failed=counts.n_failed,
                n_absent=counts.n_absent,
                n_expected=n_expected,
            )
        )
    if counts.n_absent:
        flags.append(
            ValidityFlag(
                code="absent_records",
                message=f"{counts.n_absent} of {n_expected} samples absent (their data or ECG is not available)",
                n_absent=counts.n_absent,
                n_expected=n_expected,
            )
        )
    if counts.text_only:
        flags.append(ValidityFlag(code="text_only", message="an ECG task run without the ECG (allow_text_only=true)"))
    if counts.n_samples and counts.n_duplicates / counts.n_samples > DUPLICATE_SHARE:
        share = counts.n_duplicates / counts.n_samples
        flags.append(
            ValidityFlag(
                code="duplicate_prompts",
                message=f"{counts.n_duplicates} of {counts.n_samples} samples repeat another sample's request ({share:.0%})",
                n_duplicates=counts.n_duplicates,
                share=share,
            )
        )
    if counts.n_truncated:
        flags.append(
            ValidityFlag(
                code="answers_truncated",
                message=f"{counts.n_truncated} answers longer than {counts.max_answer_bytes} bytes were cut",
                n_truncated=counts.n_truncated,
                max_answer_bytes=counts.max_answer_bytes,
            )
        )
    flags += _judge_unscored(metrics)
    flags += _weak_judges(judges or {})
    return flags


def _weak_judges(judges: Mapping[str, Any]) -> list[ValidityFlag]:
    """A flag per judge whose validity check found it weak (``judges[RUBRIC]['check'][JUDGE]``):
    it scored the reference no higher than another sample's reference too often."""
    flags = []
    for rubric, block in judges.items():
        for judge, report in ((block or {}).get("check") or {}).items():
            disc = (report or {}).get("discrimination") or {}
            if not disc.get("weak"):
                continue
            share = disc["share_gold_not_above"]
            flags.append(
                ValidityFlag(
                    code="weak_judge",
                    message=f"{rubric}: judge '{judge}' scored the reference no higher than a mismatched answer on "
                    f"{share:.0%} of {disc['n']} checked samples (gap {disc['gap']:.3g}); its scores may not "
                    "tell good answers from bad",
                    rubric=rubric,
                    judge=judge,
                    share_gold_not_above=share,
                    gap=disc["gap"],
                    n=disc["n"],
                )
            )
    return flags


def _judge_unscored(metrics: Mapping[str, Any]) -> list[ValidityFlag]:
    flags = []
    for name, metric in metrics.items():
        if _get(metric, "kind", "metric") != "judge" or "." in name:  # the rubric total speaks for its criteria
            continue
        n_scored, n_unscored = _get(metric, "n_scored", 0), _get(metric, "n_unscored", 0)
        total = n_scored + n_unscored
        if total and n_unscored / total > JUDGE_UNSCORED_SHARE:
            share = n_unscored / total
            flags.append(
                ValidityFlag(
                    code="judge_unscored",
                    message=f"{name}: {n_unscored} of {total} samples unscored ({share:.0%})",
                    metric=name,
                    share=share,
                )
            )
    return flags


def outcome(
    counts: RunCounts, metrics: Mapping[str, Any], *, allow_text_only: bool, judges: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``status`` and ``validity`` entries of results.json for a finished run."""
    status = run_status(counts, metrics)
    flags = validity_flags(counts, metrics, status, judges)
    return {
        "status": status.model_dump(),
        "validity": {"flags": [f.model_dump() for f in flags], "allow_text_only": allow_text_only},
    }


def worst_exit_code(codes: Iterable[int]) -> int:
    """The exit code of a job made of several runs: the most severe one."""
    worst = EXIT_COMPLETE
    for code in codes:
        if _SEVERITY.get(code, 5) > _SEVERITY.get(worst, 5):
            worst = code
    return worst


def _get(obj: Any, key: str, default: Any) -> Any:
    return obj.get(key, default) if isinstance(obj, Mapping) else getattr(obj, key, default)
