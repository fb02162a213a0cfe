"""Realistic run directories for leaderboard tests, written through the results schema.

Values are drawn from seeded distributions and summarised with the harness's own
``summarize`` so results.json and samples.jsonl agree the way real runs do.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness.metrics.aggregate import summarize
from harness.metrics.base import Metric, Unscored
from harness.results.schema import (
    DataInfo,
    HarnessInfo,
    MetricResult,
    ModelInfo,
    Results,
    SampleRecord,
    TaskInfo,
    Timings,
    UsageInfo,
)

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
FAKE_KEY = "sk-" + "Zq7" * 12  # a secret-looking value that must never reach the site
FAKE_BEARER = "Bearer " + "tok9" * 8


class _Mean(Metric):
    def __init__(self, name: str, higher_is_better: bool = True):
        self.name = name
        self.higher_is_better = higher_is_better


@dataclass
class MetricPlan:
    name: str
    mean: float
    spread: float
    higher_is_better: bool = True
    kind: str = "metric"
    unscored_every: int = 0  # every k-th sample is unscored (0: none)
    lo: float = 0.0
    hi: float = 1.0


@dataclass
class RunPlan:
    model: str
    task: str
    benchmark: str | None
    metrics: list[MetricPlan]
    n: int = 60
    finished_at: str = "2026-11-20T12:00:00+00:00"
    seed: int = 0
    responses: dict[int, str] = field(default_factory=dict)  # sample index -> response text
    config_extra: dict = field(default_factory=dict)
    task_extra: dict = field(default_factory=dict)  # e.g. {"limit": 20} or {"shard": [0, 2]}
    n_records: int | None = None  # records in the data file (default: n)
    run_id: str | None = None
    images: dict[int, str] = field(default_factory=dict)  # sample index -> attachment name its prompt shows


def write_run(directory: Path, plan: RunPlan) -> Results:
    """Write ``results.json`` and ``samples.jsonl`` for one model on one task."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(plan.seed)
    ids = [f"{plan.task}-{i:05d}" for i in range(plan.n)]
    per_metric: dict[str, list] = {}
    for m in plan.metrics:
        values: list = []
        for i in range(plan.n):
            if m.unscored_every and i % m.unscored_every == 0:
                values.append(Unscored("judge verdict missing criterion"))
            else:
                values.append(float(np.clip(rng.normal(m.mean, m.spread), m.lo, m.hi)))
        per_metric[m.name] = values
    metrics = {}
    for m in plan.metrics:
        summary = summarize(_Mean(m.name, m.higher_is_better), per_metric[m.name], seed=0)
        metrics[m.name] = MetricResult(**summary, kind=m.kind)
    with (directory / "samples.jsonl").open("w", encoding="utf-8") as fh:
        for i, sid in enumerate(ids):
            question = f"Question {i} for {plan.task}: what does a prolonged QT interval suggest?"
            response = plan.responses.get(i, f"{plan.model} answer {i}: consider electrolyte imbalance.")
            user: object = question
            if i in plan.images:  # as the runner logs an image: a reference into the run's attachments/
                user = [
                    {"type": "image_url", "image_url": {"url": f"attachment://{plan.images[i]}"}},
                    {"type": "text", "text": question},
                ]
            record = SampleRecord(
                id=sid,
                messages=[{"role": "system", "content": "You are a cardiologist."}, {"role": "user", "content": user}],
                response=response,
                prediction=response,
                reference=f"Reference answer {i}.",
                metrics={
                    name: ({"unscored": vals[i].reason} if isinstance(vals[i], Unscored) else vals[i])
                    for name, vals in per_metric.items()
                },
                judges={"mms": {"verdict": {"score": 7}, "raw": f"verdict text {i} <b>bold?</b>"}}
                if i % 7 == 0
                else {},
            )
            fh.write(record.model_dump_json() + "\n")
    config = {
        "task": {"name": plan.task, "description": f"Synthetic test task {plan.task}"},
        "model": {"name": plan.model, "backend": "openai_compat", "api_key_env": "OPENAI_API_KEY"},
        "concurrency": 8,
        **plan.config_extra,
    }
    results = Results(
        run_id=plan.run_id or hashlib.sha1(f"{plan.model}/{plan.task}/{plan.finished_at}".encode()).hexdigest()[:12],
        harness=HarnessInfo(version="0.1.0", git_commit="0123456789abcdef0123456789abcdef01234567"),
        task=TaskInfo(
            name=plan.task,
            version="1",
            benchmark=plan.benchmark,
            output_type="generation",
            data=DataInfo(
                path=f"{plan.task}.json",
                sha256=hashlib.sha256(plan.task.encode()).hexdigest(),
                n_records=plan.n_records or plan.n,
            ),
            prompt_sha256=hashlib.sha256(f"prompt {plan.task}".encode()).hexdigest(),
            n_samples=plan.n,
            **plan.task_extra,
        ),
        model=ModelInfo(
            name=plan.model,
            backend="openai_compat",
            model=f"org/{plan.model}",
            base_url="http://127.0.0.1:8000/v1",
            params={"temperature": 0.0, "max_tokens": 256},
            identity_sha256=hashlib.sha256(plan.model.encode()).hexdigest(),
        ),
        metrics=metrics,
        usage=UsageInfo(
            requests=plan.n, cache_hits=3, prompt_tokens=40 * plan.n, completion_tokens=25 * plan.n, cost_usd=0.0123
        ),
        timings=Timings(started_at="2026-11-20T11:00:00+00:00", finished_at=plan.finished_at, wall_s=12.5),
        config=config,
    )
    (directory / "results.json").write_text(results.model_dump_json(indent=2), encoding="utf-8")
    return results


ECGQA = [MetricPlan("bleu_1", 0.2, 0.1), MetricPlan("rouge_l", 0.25, 0.1), MetricPlan("meteor", 0.3, 0.1)]


def png(width: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, 12), "white").save(buffer, format="PNG")
    return buffer.getvalue()


PROBE_PNG = png(30)
PROBE_IMAGE = hashlib.sha256(PROBE_PNG).hexdigest() + ".png"


def probe_images(run_dir: Path, root: Path) -> dict[int, str]:
    """Samples 0 and 1 share a real image; 2 and 5 name a missing file; 3 a file whose bytes are not
    its name; 4 a symlink to an image outside the run. Only the first may be published."""
    folder = run_dir / "attachments"
    folder.mkdir(parents=True)
    (folder / PROBE_IMAGE).write_bytes(PROBE_PNG)
    other = png(31)
    tampered = hashlib.sha256(other).hexdigest() + ".png"
    (folder / tampered).write_bytes(png(32))
    outside = root / "elsewhere.png"
    outside.write_bytes(png(33))
    linked = hashlib.sha256(png(33)).hexdigest() + ".png"
    (folder / linked).symlink_to(outside)
    return {0: PROBE_IMAGE, 1: PROBE_IMAGE, 2: "0" * 64 + ".png", 3: tampered, 4: linked, 5: "0" * 64 + ".png"}


def make_runs(root: Path) -> dict[str, Results]:
    """Several models and tasks, one malformed file, one older duplicate, an XSS sample, secrets."""
    out: dict[str, Results] = {}

    def shifted(plans: list[MetricPlan], delta: float) -> list[MetricPlan]:
        return [
            MetricPlan(p.name, p.mean + delta, p.spread, p.higher_is_better, p.kind, p.unscored_every, p.lo, p.hi)
            for p in plans
        ]

    models = {"alpha-7b": 0.15, "beta-chat": 0.0, "gamma": 0.005}
    for k, (model, delta) in enumerate(models.items()):
        for j, task in enumerate(["ecgqa_ck", "ecgqa_ebk"]):
            plan = RunPlan(model, task, "ECG-Expert-QA", shifted(ECGQA, delta), n=120, seed=100 * k + j)
            if model == "alpha-7b" and task == "ecgqa_ck":
                plan.responses = {3: XSS, 5: f"my key is {FAKE_KEY}"}
                plan.config_extra = {
                    "model_options": {"api_key": FAKE_KEY, "authorization": FAKE_BEARER, "timeout": 30}
                }
            out[f"{model}/{task}"] = write_run(root / model / task, plan)
        # gamma is drawn like alpha here: the two should come out statistically tied
        g = 0.15 if model == "gamma" else delta
        grounding = [
            MetricPlan("DiagnosisAccuracy", 70 + 40 * g, 10, kind="judge", unscored_every=9, lo=0, hi=100),
            MetricPlan("LeadAssessmentCoverage", 40 + 40 * g, 10, kind="judge", lo=0, hi=100),
        ]
        out[f"{model}/gem_grounding"] = write_run(
            root / model / "gem_grounding",
            RunPlan(model, "gem_grounding", "GEM grounding", grounding, n=40, seed=10 + k),
        )
        mse = [MetricPlan("mse", 1.0 - 2 * delta, 0.2, higher_is_better=False, lo=0, hi=5)]
        out[f"{model}/heartcare_signal_prediction"] = write_run(
            root / model / "heartcare_signal_prediction",
            RunPlan(model, "heartcare_signal_prediction", "Heartcare-Bench", mse, n=30, seed=20 + k),
        )
    # a task only one model ran, in no known benchmark; its prompts show images (see probe_images)
    probe = root / "gamma" / "custom_probe"
    out["gamma/custom_probe"] = write_run(
        probe,
        RunPlan(
            "gamma",
            "custom_probe",
            None,
            [MetricPlan("accuracy", 0.5, 0.3)],
            n=10,
            seed=7,
            images=probe_images(probe, root),
        ),
    )
    # an older duplicate of alpha-7b on ecgqa_ck (must be superseded by the newer run above)
    out["old"] = write_run(
        root / "archive" / "alpha-old" / "ecgqa_ck",
        RunPlan(
            "alpha-7b",
            "ecgqa_ck",
            "ECG-Expert-QA",
            shifted(ECGQA, -0.15),
            n=120,
            seed=999,
            finished_at="2026-10-01T09:30:00+00:00",
            run_id="oldrun000001",
        ),
    )
    # a malformed submission: the data hash is missing
    bad = root / "submissions" / "broken-model"
    write_run(bad, RunPlan("broken-model", "ecgqa_ck", "ECG-Expert-QA", ECGQA, n=5, seed=3))
    doc = json.loads((bad / "results.json").read_text())
    del doc["task"]["data"]["sha256"]
    (bad / "results.json").write_text(json.dumps(doc))
    return out
