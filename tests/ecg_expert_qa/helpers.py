"""Shared helpers for the ECG-Expert-QA tests: data directories, in-test backends, running a task."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from harness.hookspecs import hookimpl
from harness.models.base import Response, Usage
from harness.registry import build_registry
from harness.runner.session import run_job

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
REAL_FILES = {
    "ecgqa_ck": "Cardiology Knowledge (Basic Knowledge Q&A).json",
    "ecgqa_ebk": "ECG Knowledge (Basic Q&A).json",
    "ecgqa_cd": "Complex diagnosis (analysis of difficult diseases).json",
    "ecgqa_pp": "Patient prognosis (prognostic analysis).json",
}
# Hand-written files in each task's documented schema, stored as fixtures/<task>.fixture.json and
# laid out under the upstream file name, as a user would supply them.
FIXTURE_FILES = {
    "ecgqa_prtk": "Patient's right to know.json",
    "ecgqa_cmd": "Cross modal diagnosis (ECG Text corresponding diagnosis).json",
    "ecgqa_mrod": "Medical inquiry, multiple rounds of dialogue between doctors and patients.json",
    "ecgqa_ltd": "Long text diagnosis.json",
    "ecgqa_mc": "Memory correction.json",
    "ecgqa_mee": "Medical entity extraction.json",
    "ecgqa_gra": "Generate risk assessment.json",
    "ecgqa_mco": "Medical counterfactual.json",
}
ALL_TASKS = [
    "ecgqa_ck",
    "ecgqa_ebk",
    "ecgqa_cd",
    "ecgqa_cmd",
    "ecgqa_pp",
    "ecgqa_ltd",
    "ecgqa_mrod",
    "ecgqa_mc",
    "ecgqa_mee",
    "ecgqa_prtk",
    "ecgqa_mco",
    "ecgqa_gra",
]


def fixture(task: str) -> Any:
    return json.loads((FIXTURES / f"{task}.fixture.json").read_text(encoding="utf-8"))


def user_data_dir(root: Path, real_data: Path | None = None, tasks: list[str] | None = None) -> Path:
    """A data directory laid out like the real one, holding the fixtures a user would supply
    (and links to the real files when ``real_data`` is given)."""
    target = root / "ecg_expert_qa"
    target.mkdir(parents=True, exist_ok=True)
    for task, name in FIXTURE_FILES.items():
        if tasks is None or task in tasks:
            shutil.copy(FIXTURES / f"{task}.fixture.json", target / name)
    if real_data is not None:
        for name in REAL_FILES.values():
            (target / name).symlink_to(real_data / "ecg_expert_qa" / name)
    return root


class ScriptedModel:
    """Answers every request with ``options.answer`` (or, with ``options.echo_last``, the last user
    message); records every request it was sent."""

    requests: list[Any] = []

    def __init__(self, config: Any) -> None:
        self.config = config

    @property
    def identity(self) -> dict[str, Any]:
        return {"backend": "scripted", "model": self.config.model, "options": dict(self.config.options)}

    async def generate(self, request: Any) -> Response:
        ScriptedModel.requests.append(request)
        await asyncio.sleep(0)
        if self.config.options.get("echo_last"):
            text = next(m["content"] for m in reversed(request.messages) if m["role"] == "user")
        else:
            text = self.config.options.get("answer", "MODEL ANSWER")
        return Response(text=text, usage=Usage(1, 1))

    async def aclose(self) -> None:
        pass


class ScriptedPlugin:
    @hookimpl
    def harness_model_backends(self):
        return [("scripted", ScriptedModel)]


def registry() -> Any:
    return build_registry(entry_points=False, extra_plugins=[ScriptedPlugin()])


def run(
    task: str, out: Path, *, data_dir: Path, model: dict[str, Any] | None = None, reg: Any = None, **overrides: Any
) -> list[dict[str, Any]]:
    """Run a task (or group) in-process like `python -m harness +task=TASK` would."""
    cfg = {
        "task": {"name": task},
        "model": model or {"backend": "scripted", "model": "scripted-1", "options": {}},
        "limit": None,
        "sample": None,
        "seed": 1,
        "concurrency": 4,
        "cache_dir": str(out.parent / "cache"),
        "data_dir": str(data_dir),
        "use_cache": True,
        "offline": True,
        **overrides,
    }
    return run_job(cfg, out_dir=out, model_choice=cfg["model"].get("name", "scripted"), registry=reg or registry())


def samples(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def results(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
