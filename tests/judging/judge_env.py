"""A judged task run in-process against a real OpenAI-compatible stub on 127.0.0.1.

One stub serves both the model under test (``candidate``, answering from a table keyed by the
question) and the judges (scripted responders keyed by model name). Judge configs are YAML
files in a temporary folder, registered by a test plugin, exactly as a user's configs are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from harness.hookspecs import hookimpl
from harness.registry import build_registry
from harness.runner.session import run_job
from harness.testing.openai_stub import OpenAIStub, Reply  # noqa: F401  Reply: re-exported for the judge tests

DATA_FILE = "ecg_expert_qa/Cardiology Knowledge (Basic Knowledge Q&A).json"
ADVERSARIAL = Path(__file__).with_name("adversarial.jsonl")
TAG = re.compile(r"<(answer(?:_[ab])?-[0-9a-f]{16})>\n(.*?)\n</\1>", re.DOTALL)

TASK = """
name: judged_ck
dataset:
  path: "{path}"
  fields: {{question: Q, answer: A}}
prompt:
  user: "{{{{ question }}}}"
reference: answer
judges: {judges}
"""


def questions(data_dir: Path, n: int) -> list[str]:
    records = json.loads((data_dir / DATA_FILE).read_text(encoding="utf-8"))[:n]
    qs = [r["Q"] for r in records]
    assert len(set(qs)) == n, "the test maps answers by question: the first n questions must be distinct"
    return qs


def adversarial() -> list[dict[str, Any]]:
    return [json.loads(line) for line in ADVERSARIAL.read_text(encoding="utf-8").splitlines() if line.strip()]


def judged_answer(request: dict[str, Any]) -> tuple[str, str, bool]:
    """(tag, answer text, is this a repair request) as the judge server sees them."""
    messages = request["messages"]
    first_user = next(m["content"] for m in messages if m["role"] == "user")
    match = TAG.search(first_user)
    assert match, f"no delimited answer in the judge prompt: {first_user[:300]}"
    return match.group(1), match.group(2), len(messages) > 2


def verdict(correctness: Any, completeness: Any, rationale: str = "scripted") -> str:
    return json.dumps({"rationale": rationale, "correctness": correctness, "completeness": completeness})


class JudgePlugin:
    def __init__(self, task_dir: Path, config_dir: Path):
        self.task_dir, self.config_dir = task_dir, config_dir

    @hookimpl
    def harness_task_dirs(self):
        return [self.task_dir]

    @hookimpl
    def harness_model_config_dirs(self):
        return [self.config_dir]


class JudgedRun:
    """Write the task and judge configs, start the stub, run ``run_job`` as the CLI would."""

    def __init__(self, tmp: Path, data_dir: Path, stub: OpenAIStub, plugins: tuple = ()):
        self.tmp, self.data_dir, self.stub = tmp, data_dir, stub
        self.task_dir = tmp / "tasks"
        self.config_dir = tmp / "models"
        self.task_dir.mkdir(exist_ok=True)
        self.config_dir.mkdir(exist_ok=True)
        self.registry = build_registry(
            entry_points=False, extra_plugins=[JudgePlugin(self.task_dir, self.config_dir), *plugins]
        )

    def judge_config(self, name: str, **extra: Any) -> None:
        config = {
            "backend": "openai_compat",
            "model": name,
            "base_url": self.stub.base_url,
            "timeout_s": 5,
            "max_retries": 0,
            "params": {"max_tokens": 200},
            **extra,
        }
        (self.config_dir / f"{name}.yaml").write_text(yaml.safe_dump(config))

    def run(
        self, out: str, *, judge: Any, limit: int, judges: str = "[reference_match]", concurrency: int = 4, **cfg: Any
    ) -> dict[str, Any]:
        (self.task_dir / "judged_ck.yaml").write_text(TASK.format(path=DATA_FILE, judges=judges))
        config = {
            "task": {"name": "judged_ck"},
            "limit": limit,
            "sample": None,
            "seed": 1,
            "concurrency": concurrency,
            "cache_dir": str(self.tmp / "cache"),
            "data_dir": str(self.data_dir),
            "use_cache": True,
            "judge": judge,
            "model": {
                "backend": "openai_compat",
                "model": "candidate",
                "base_url": self.stub.base_url,
                "max_retries": 0,
                "timeout_s": 10,
            },
            **cfg,
        }
        run_job(config, out_dir=self.tmp / out, model_choice="candidate", registry=self.registry)
        return json.loads((self.tmp / out / "results.json").read_text())

    def samples(self, out: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (self.tmp / out / "samples.jsonl").read_text().splitlines()]


def answers_by_question(qs: list[str], answers: list[Any]) -> Callable[[dict[str, Any]], Any]:
    table = dict(zip(qs, answers))

    def respond(request: dict[str, Any]) -> Any:
        question = request["messages"][-1]["content"]
        return table[question]

    return respond


def counts(entry: dict[str, Any]) -> tuple[int, int, dict[str, int]]:
    return entry["n_scored"], entry["n_unscored"], entry["unscored_reasons"]


class PairwisePlugin:
    """A plugin that registers a pairwise rubric: the answer against the reference, in both orders."""

    @hookimpl
    def harness_judges(self):
        from harness.judging.pairwise import PairwiseRubric
        from harness.judging.rubric import RubricSpec

        spec = RubricSpec(
            name="vs_reference",
            kind="pairwise",
            baseline="reference",
            prompt={
                "user": "Question: {{ question }}\nFirst:\n{{ answer_a }}\nSecond:\n{{ answer_b }}\nWhich answer is better?"
            },
        )
        return [PairwiseRubric(spec)]
