"""The core pipeline with a test plugin: task YAML -> requests -> backend -> metrics -> results."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from harness.errors import DataError, HarnessError, TaskFileError
from harness.hookspecs import hookimpl
from harness.metrics.base import sample_metric
from harness.models.base import ModelError, Response, Usage
from harness.registry import build_registry
from harness.results.schema import Results
from harness.runner.session import run_job

TASK = """
name: echo_ck
benchmark: Test
dataset:
  path: "ecg_expert_qa/Cardiology Knowledge (Basic Knowledge Q&A).json"
  fields: {question: Q, answer: A}
prompt:
  system: "Answer."
  user: "{{ question }}"
reference: answer
metrics: [answer_in_response, first_char_ok]
"""


class EchoModel:
    """Answers with the question text; fails on request ids listed in ``fail``."""

    calls: list[str] = []

    def __init__(self, config):
        self.config = config

    @property
    def identity(self):
        return {"backend": "echo", "model": self.config.model}

    async def generate(self, request):
        EchoModel.calls.append(request.id)
        await asyncio.sleep(0)
        if request.id in self.config.options.get("fail", []):
            raise ModelError("server said no: 400")
        return Response(text=request.messages[-1]["content"], usage=Usage(3, 5))

    async def aclose(self):
        pass


@sample_metric("answer_in_response")
def answer_in_response(prediction, reference):
    return float(reference[:10] in prediction)


@sample_metric("first_char_ok")
def first_char_ok(prediction, reference):
    return float(prediction[:1].isupper())


class EchoPlugin:
    def __init__(self, task_dir: Path):
        self.task_dir = task_dir

    @hookimpl
    def harness_task_dirs(self):
        return [self.task_dir]

    @hookimpl
    def harness_model_backends(self):
        return [("echo", EchoModel)]

    @hookimpl
    def harness_metrics(self):
        return [answer_in_response, first_char_ok]


@pytest.fixture
def setup(tmp_path, data_dir):
    task_dir = tmp_path / "tasks"
    task_dir.mkdir()
    (task_dir / "echo_ck.yaml").write_text(TASK)
    registry = build_registry(entry_points=False, extra_plugins=[EchoPlugin(task_dir)])
    EchoModel.calls = []

    def run(out: str, **overrides):
        cfg = {
            "task": {"name": "echo_ck"},
            "model": {"backend": "echo", "model": "echo-1", "options": overrides.pop("options", {})},
            "limit": 30,
            "sample": None,
            "seed": 1,
            "concurrency": 4,
            "cache_dir": str(tmp_path / "cache"),
            "data_dir": str(data_dir),
            "use_cache": True,
            **overrides,
        }
        return run_job(cfg, out_dir=tmp_path / out, model_choice="echo", registry=registry)

    run.registry = registry
    return run, tmp_path, task_dir


def test_results_and_samples(setup, data_dir):
    run, tmp, _ = setup
    run("r1")
    results = Results.model_validate_json((tmp / "r1" / "results.json").read_text())
    assert results.task.n_samples == 30 and results.task.data.n_records == 2592
    assert len(results.task.data.sha256) == 64 and len(results.task.prompt_sha256) == 64
    assert results.metrics["answer_in_response"].n_scored == 30
    records = json.loads((data_dir / "ecg_expert_qa" / "Cardiology Knowledge (Basic Knowledge Q&A).json").read_text())[
        :30
    ]
    expected = sum(r["A"][:10] in r["Q"] for r in records) / 30
    assert results.metrics["answer_in_response"].value == pytest.approx(expected)
    assert results.metrics["first_char_ok"].value == 1.0
    assert results.usage.requests == 30 and results.usage.prompt_tokens == 90
    lines = [json.loads(line) for line in (tmp / "r1" / "samples.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == [str(i) for i in range(30)]  # deterministic order
    assert lines[0]["messages"][0] == {"role": "system", "content": "Answer."}
    assert lines[0]["response"] == lines[0]["messages"][1]["content"]
    assert set(lines[0]["metrics"]) == {"answer_in_response", "first_char_ok"}


def test_cache_second_run_makes_no_calls(setup):
    run, tmp, _ = setup
    run("r1")
    assert len(EchoModel.calls) == 30
    run("r2")
    assert len(EchoModel.calls) == 30
    results = json.loads((tmp / "r2" / "results.json").read_text())
    assert results["usage"]["cache_hits"] == 30 and results["usage"]["requests"] == 0


def test_failed_request_is_unscored_not_zero(setup):
    run, tmp, _ = setup
    run("r1", options={"fail": ["3", "7"]})
    results = json.loads((tmp / "r1" / "results.json").read_text())
    m = results["metrics"]["first_char_ok"]
    assert (m["n_scored"], m["n_unscored"], m["unscored_reasons"]) == (28, 2, {"request failed": 2})
    assert m["value"] == 1.0
    assert results["errors"] == {"server said no": 2}


def test_seeded_sample_is_reproducible(setup):
    run, tmp, _ = setup
    run("a", limit=None, sample=12, seed=7)
    run("b", limit=None, sample=12, seed=7)
    ids = [[json.loads(x)["id"] for x in (tmp / d / "samples.jsonl").read_text().splitlines()] for d in "ab"]
    assert ids[0] == ids[1] and len(ids[0]) == 12 and ids[0] != [str(i) for i in range(12)]


def test_shards_partition_the_records(setup):
    run, tmp, _ = setup
    for i in range(3):
        run(f"s{i}", limit=10, shard=f"{i}/3")
    ids = sorted(
        int(json.loads(x)["id"]) for i in range(3) for x in (tmp / f"s{i}" / "samples.jsonl").read_text().splitlines()
    )
    assert ids == list(range(10))


def test_malformed_task_names_file_and_key(setup):
    run, tmp, task_dir = setup
    (task_dir / "echo_ck.yaml").write_text(TASK.replace("reference: answer", "refrence: answer"))
    with pytest.raises(TaskFileError) as err:
        run("x")
    assert (
        "echo_ck.yaml" in str(err.value)
        and "refrence: unknown key" in str(err.value)
        and "reference: required key is missing" in str(err.value)
    )


def test_bad_yaml_syntax_names_line(setup):
    run, tmp, task_dir = setup
    (task_dir / "echo_ck.yaml").write_text("name: echo_ck\nprompt: [unclosed\n")
    with pytest.raises(TaskFileError, match=r"echo_ck.yaml \(line \d+, column \d+\): not valid YAML"):
        run("x")


def test_missing_data_file_says_where(setup, tmp_path):
    run, tmp, _ = setup
    with pytest.raises(DataError) as err:
        run("x", data_dir=str(tmp_path / "nowhere"))
    assert "data file not found" in str(err.value) and str(tmp_path / "nowhere") in str(err.value)


def test_sha256_mismatch(setup):
    run, tmp, task_dir = setup
    (task_dir / "echo_ck.yaml").write_text(TASK.replace("fields:", 'sha256: "' + "0" * 64 + '"\n  fields:'))
    with pytest.raises(DataError, match="sha256 mismatch"):
        run("x")


def test_unknown_task_suggests(setup):
    run, *_ = setup
    with pytest.raises(HarnessError, match="did you mean: echo_ck"):
        run("x", task={"name": "echo_kc"})


def test_undefined_template_variable_names_sample(setup):
    run, tmp, task_dir = setup
    (task_dir / "echo_ck.yaml").write_text(TASK.replace("{{ question }}", "{{ questoin }}"))
    with pytest.raises(DataError, match=r"prompt.user: sample 0: 'questoin' is undefined"):
        run("x")


def test_follow_ups_continue_the_models_own_conversation(setup):
    run, tmp, task_dir = setup
    (task_dir / "echo_ck.yaml").write_text(
        TASK.replace(
            '  user: "{{ question }}"\n',
            "  user: \"{{ question }}\"\n  follow_ups: \"['Are you sure? ' ~ answer[:10], 'Final answer?']\"\n",
        )
    )
    run("r1", limit=3)
    assert sorted(EchoModel.calls) == sorted(f"{i}{t}" for i in "012" for t in ("", "/turn-1", "/turn-2"))
    assert all(
        EchoModel.calls.index(f"{i}") < EchoModel.calls.index(f"{i}/turn-1") < EchoModel.calls.index(f"{i}/turn-2")
        for i in "012"
    )
    lines = [json.loads(line) for line in (tmp / "r1" / "samples.jsonl").read_text().splitlines()]
    first = lines[0]["messages"]
    assert [m["role"] for m in first] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert (
        first[2]["content"] == first[1]["content"] and first[4]["content"] == first[3]["content"]
    )  # the echo model's own answers
    assert first[3]["content"].startswith("Are you sure? ") and lines[0]["response"] == "Final answer?"
    results = json.loads((tmp / "r1" / "results.json").read_text())
    assert (
        results["usage"]["requests"] == 9 and results["metrics"]["first_char_ok"]["value"] == 1.0
    )  # the last answer is scored
    run("r2", limit=3)
    assert len(EchoModel.calls) == 9  # every turn from the cache


def test_follow_ups_errors_name_the_file_and_sample(setup):
    run, tmp, task_dir = setup
    (task_dir / "echo_ck.yaml").write_text(
        TASK.replace('  user: "{{ question }}"\n', '  user: "{{ question }}"\n  follow_ups: "answer | length"\n')
    )
    with pytest.raises(
        DataError, match=r"echo_ck.yaml: prompt.follow_ups gives int for sample 0, expected a list of strings"
    ):
        run("x")
    (task_dir / "echo_ck.yaml").write_text(
        TASK.replace('  user: "{{ question }}"\n', '  user: "{{ question }}"\n  follow_ups: "[answer]"\n')
        + "output_type: multi_turn\n"
    )
    with pytest.raises(
        TaskFileError, match=r"echo_ck.yaml: prompt.follow_ups needs an output type with one item per record"
    ):
        run("x")


def test_sharded_runs_merge_to_the_unsharded_result(setup):
    from harness.runner.merge import merge_shards

    run, tmp, _ = setup
    run("full", limit=25, shard=None)
    for i in range(3):
        run(f"shard{i}", limit=25, shard=f"{i}/3")
    merged = merge_shards([tmp / f"shard{i}" for i in (2, 0, 1)], tmp / "merged", registry=run.registry)
    full = json.loads((tmp / "full" / "results.json").read_text())
    merged_file = json.loads((tmp / "merged" / "results.json").read_text())
    assert merged_file == merged
    for volatile in ("run_id", "timings", "usage"):
        full.pop(volatile), merged.pop(volatile)
    assert merged == full

    def samples(run_dir: Path) -> list[dict]:  # the shards answered from the cache the full run filled
        return [
            {k: v for k, v in json.loads(x).items() if k != "cached"}
            for x in (run_dir / "samples.jsonl").read_text().splitlines()
        ]

    assert samples(tmp / "merged") == samples(tmp / "full")


def test_plain_text_templates_render_as_jinja_would():
    from harness.task.prompt import Template, environment

    for source in ("You are a cardiologist.\n", "Answer A, B or C.", "  spaced  \n\n", "literal } and { braces"):
        assert (
            Template(source, where="t").render({"unused": 1}, sample="s") == environment().from_string(source).render()
        )
    assert Template("Q: {{ question }}", where="t").render({"question": "PR?"}, sample="s") == "Q: PR?"


def test_single_name_templates_and_expressions_give_what_jinja_gives():
    from harness.errors import DataError
    from harness.task.prompt import Expression, Template, environment

    env = environment()
    for value in ("PR interval?\n", "", 3, None, ["a", "b"], {"k": 1}, 0.5):
        variables = {"question": value, "answer": value}
        assert Template("{{ question }}", where="t").render(variables, sample="s") == env.from_string(
            "{{ question }}"
        ).render(**variables)
        assert Template("{{question}}", where="t").render(variables, sample="s") == env.from_string(
            "{{question}}"
        ).render(**variables)
        got = Expression(" answer ", where="e").evaluate(variables, sample="s")
        assert got == env.compile_expression("answer", undefined_to_none=False)(**variables) and type(got) is type(
            value
        )
    assert Expression("true", where="e").evaluate({"true": "shadowed"}, sample="s") is True  # a literal, as in Jinja2
    assert (
        Template("{{ range }}", where="t").render({}, sample="s") == env.from_string("{{ range }}").render()
    )  # a Jinja2 global
    with pytest.raises(DataError, match=r"^t: sample s7: 'question' is undefined$"):
        Template("{{ question }}", where="t").render({"other": 1}, sample="s7")
    with pytest.raises(DataError, match=r"^e: sample s7: the expression is undefined for this record$"):
        Expression("answer", where="e").evaluate({"other": 1}, sample="s7")
