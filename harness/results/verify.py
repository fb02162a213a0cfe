"""``python -m harness verify RUN...``: is a run's number what its own records give?

Third parties submit runs; a reviewer should not have to trust a results.json. For each run
directory this recomputes, from what the run recorded:

* each deterministic metric's value and interval from the per-sample values in ``samples.jsonl``
  (the same :func:`~harness.metrics.aggregate.summarize`, seed from the run's config);
* each sample's metric values from its prediction and reference (the metric plugin's ``compute``);
* each sample's prediction from its response (the task's output type, with the item's recorded meta);
* each judged metric from the recorded jury verdicts;
* the prompt hash from the task file of the version the run names, and the data sha256 from the
  data file where it is here.

Each check is ``verified``, ``mismatch`` (with the file, sample and key) or ``not verifiable``
(with why: no samples, a metric that needs the record, another task version, no data file here).
Hand-written: no library audits an evaluation run against its own records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.metrics.aggregate import summarize
from harness.metrics.base import ScoreInput, Unscored
from harness.results.reader import read_results, read_samples, run_dir_of
from harness.results.writer import sample_prediction

VERIFIED, MISMATCH, NOT_VERIFIABLE = "verified", "mismatch", "not verifiable"
TOLERANCE = 1e-9


@dataclass
class Check:
    what: str  # e.g. "metric bleu_1", "prompt hash"
    verdict: str
    detail: str = ""


@dataclass
class RunVerdict:
    run_dir: Path
    checks: list[Check] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        verdicts = {c.verdict for c in self.checks}
        if MISMATCH in verdicts:
            return MISMATCH
        return VERIFIED if VERIFIED in verdicts else NOT_VERIFIABLE

    def add(self, what: str, verdict: str, detail: str = "") -> None:
        self.checks.append(Check(what, verdict, detail))


def _stored(value: Any) -> Any:
    return Unscored(value["unscored"]) if isinstance(value, dict) and "unscored" in value else value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    if isinstance(a, Unscored) and isinstance(b, Unscored):
        return True
    return a == b


def verify_run(run_dir: Path, registry: Any, *, data_dir: Path | None = None) -> RunVerdict:
    results, records = read_results(run_dir), read_samples(run_dir)
    out = RunVerdict(run_dir)
    if records is None:
        out.add("samples", NOT_VERIFIABLE, "no samples.jsonl: nothing to recompute from")
        _check_task(results, registry, out, data_dir)
        return out
    seed = int((results.get("config") or {}).get("seed", 1234))
    records = sorted(records, key=lambda r: tuple(r.get("position") or ()))  # the order the run's bootstrap used
    metrics = _task_metrics(results, registry)
    for name, entry in (results.get("metrics") or {}).items():
        kind = entry.get("kind", "metric")
        if kind == "judge":
            continue
        metric = metrics.get(name) or registry.metrics.get(name)
        if metric is None:
            out.add(f"metric {name}", NOT_VERIFIABLE, "no such metric installed here")
            continue
        values = [_stored((r.get("metrics") or {}).get(name)) for r in records if r.get("error") is None]
        _check_summary(name, metric, values, entry, seed, out)
        _check_scores(name, metric, records, out)
    _check_predictions(results, records, registry, out)
    _check_judged(results, records, out)
    _check_task(results, registry, out, data_dir)
    return out


def _task_metrics(results: dict[str, Any], registry: Any) -> dict[str, Any]:
    """The task's configured metrics (with their args), when the task file is here."""
    try:
        from harness.task.index import TaskIndex
        from harness.task.task import Plugins

        index = TaskIndex.scan(registry.task_dirs)
        name = results["task"]["name"]
        spec = index.load(name)
        return {m.name: m for m in Plugins.configure(spec, index.source(name), registry).metrics}
    except Exception:  # noqa: BLE001 - an unknown or changed task: fall back to the installed metrics
        return {}


def _check_summary(
    name: str, metric: Any, values: list[Any], entry: dict[str, Any], seed: int, out: RunVerdict
) -> None:
    recomputed = summarize(metric, values, seed=seed)
    for key in ("value", "ci_low", "ci_high", "n_scored"):
        stored, mine = entry.get(key), recomputed.get(key)
        if stored is None and mine is None:
            continue
        if stored is None or mine is None or not _same(stored, mine):
            out.add(
                f"metric {name}",
                MISMATCH,
                f"results.json metrics.{name}.{key} is {stored}; samples.jsonl gives {mine}",
            )
            return
    out.add(f"metric {name}", VERIFIED)


def _check_scores(name: str, metric: Any, records: list[dict[str, Any]], out: RunVerdict) -> None:
    scored = [r for r in records if r.get("error") is None]
    try:
        inputs = [ScoreInput(sample_prediction(r), r.get("reference"), r.get("response")) for r in scored]
        values = metric.compute(inputs)
    except Exception as exc:  # noqa: BLE001 - e.g. a metric that reads the record's fields
        out.add(f"scores {name}", NOT_VERIFIABLE, f"the metric cannot be recomputed from the samples alone ({exc})")
        return
    for record, value in zip(scored, values):
        stored = _stored((record.get("metrics") or {}).get(name))
        if not _same(stored, value):
            out.add(
                f"scores {name}",
                MISMATCH,
                f"sample {record.get('id')}: {name} is {stored} in samples.jsonl; its prediction and reference give {value}",
            )
            return
    out.add(f"scores {name}", VERIFIED)


def _check_predictions(results: dict[str, Any], records: list[dict[str, Any]], registry: Any, out: RunVerdict) -> None:
    from harness.task.output_type import Item

    output_type = registry.output_types.get((results.get("task") or {}).get("output_type", ""))
    if output_type is None:
        out.add("predictions", NOT_VERIFIABLE, "the output type is not installed here")
        return
    for record in records:
        if record.get("error") is not None or record.get("response") is None:
            continue
        item = Item(
            id=str(record["id"]),
            doc_id=str(record.get("doc_id") or record["id"]),
            messages=record.get("messages") or [],
            reference=record.get("reference"),
            doc={},
            meta=record.get("meta") or {},
        )
        try:
            extraction = output_type.extract(item, record["response"])
        except Exception as exc:  # noqa: BLE001 - an output type that needs more than the record keeps
            out.add("predictions", NOT_VERIFIABLE, f"sample {record['id']}: cannot re-extract ({exc})")
            return
        stored = sample_prediction(record)
        if extraction.prediction != stored:
            out.add(
                "predictions",
                MISMATCH,
                f"sample {record['id']}: prediction {stored!r} in samples.jsonl; its response reads {extraction.prediction!r}",
            )
            return
    out.add("predictions", VERIFIED)


def _check_judged(results: dict[str, Any], records: list[dict[str, Any]], out: RunVerdict) -> None:
    judged = {n: e for n, e in (results.get("metrics") or {}).items() if e.get("kind") == "judge"}
    if not judged:
        return
    from harness.judging.merge import judged_metric_results

    recomputed = judged_metric_results(results, records)
    for name, entry in judged.items():
        mine = (recomputed.get(name) or {}).get("value")
        if not _same(entry.get("value"), mine):
            out.add(
                f"judged {name}",
                MISMATCH,
                f"results.json metrics.{name}.value is {entry.get('value')}; verdicts give {mine}",
            )
        else:
            out.add(f"judged {name}", VERIFIED)


def _check_task(results: dict[str, Any], registry: Any, out: RunVerdict, data_dir: Path | None) -> None:
    from harness.hashing import sha256_file
    from harness.task.index import TaskIndex
    from harness.task.task import prompt_fingerprint

    task = results.get("task") or {}
    try:
        index = TaskIndex.scan(registry.task_dirs)
        spec = index.load(task["name"])
    except Exception:  # noqa: BLE001 - a task from a plugin not installed here
        out.add("prompt hash", NOT_VERIFIABLE, f"task '{task.get('name')}' is not installed here")
        return
    if str(spec.version) != str(task.get("version")):
        out.add("prompt hash", NOT_VERIFIABLE, f"the run is task version {task.get('version')}; here is {spec.version}")
    elif prompt_fingerprint(spec, task.get("modality")) != task.get("prompt_sha256"):
        out.add(
            "prompt hash",
            MISMATCH,
            f"task.prompt_sha256 {str(task.get('prompt_sha256'))[:12]} is not task '{task['name']}' version "
            f"{spec.version} ({prompt_fingerprint(spec, task.get('modality'))[:12]})",
        )
    else:
        out.add("prompt hash", VERIFIED)
    data = task.get("data") or {}
    path = Path(data_dir) / data["path"] if data_dir and data.get("path") else None
    if path is None or not path.is_file():
        out.add("data sha256", NOT_VERIFIABLE, "the data file is not here")
    elif sha256_file(path) != data.get("sha256"):
        out.add("data sha256", MISMATCH, f"{path}: sha256 differs from task.data.sha256")
    else:
        out.add("data sha256", VERIFIED)


def main(argv: list[str]) -> None:
    import argparse
    import os

    from harness.registry import get_registry

    parser = argparse.ArgumentParser(prog="python -m harness verify", description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run directories (each with results.json)")
    parser.add_argument(
        "--data-dir", type=Path, default=os.environ.get("HARNESS_DATA_DIR"), help="to check data hashes"
    )
    args = parser.parse_args(argv)
    registry = get_registry()
    failed = False
    for run_dir in args.runs:
        verdict = verify_run(run_dir_of(run_dir), registry, data_dir=args.data_dir)
        failed |= verdict.verdict == MISMATCH
        print(f"{run_dir}: {verdict.verdict}")
        for check in verdict.checks:
            print(f"  {check.verdict:15s} {check.what}" + (f": {check.detail}" if check.detail else ""))
    if failed:
        raise SystemExit(VERIFY_FAILED)


VERIFY_FAILED = 5  # a run's number is not what its own records give


RUN_LEVEL = ("predictions", "prompt hash", "data sha256")  # a mismatch here puts every number of the run in doubt


def metric_verdict(run: RunVerdict, metric: str) -> Check:
    """One metric's verdict within a run: a mismatch of its own checks or of a run-level check is a
    mismatch; a recomputed value or re-aggregated verdicts that agree is verified; else not verifiable."""
    own = [c for c in run.checks if c.what in (f"metric {metric}", f"scores {metric}", f"judged {metric}")]
    related = own + [c for c in run.checks if c.what in RUN_LEVEL]
    bad = next((c for c in related if c.verdict == MISMATCH), None)
    if bad is not None:
        return Check(metric, MISMATCH, f"{bad.what}: {bad.detail}" if bad.detail else bad.what)
    if any(c.verdict == VERIFIED and not c.what.startswith("scores ") for c in own):
        return Check(metric, VERIFIED)
    why = next((c.detail for c in own + run.checks if c.verdict == NOT_VERIFIABLE and c.detail), "")
    return Check(metric, NOT_VERIFIABLE, why or "nothing recorded to recompute it from")
