"""Third-party plugins: discovered from the entry-point group, isolated when broken."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.hookspecs import hookimpl
from harness.registry import build_registry
from tests.conftest import result_files, run_harness


def _fake_distribution(root: Path, name: str, entry: str) -> None:
    info = root / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[ecg_harness]\n{name} = {entry}\n")


def test_broken_entry_point_is_reported_and_others_still_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distribution(tmp_path, "broken_plugin", "no_such_module_for_the_harness")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = build_registry()
    assert [f.name.split(" ")[0] for f in registry.failures] == ["broken_plugin"]
    assert "No module named 'no_such_module_for_the_harness'" in registry.failures[0].error
    assert "rouge_l" in registry.metrics and "ecgqa_ck" in {
        p.stem for d in registry.task_dirs for p in d.rglob("*.yaml")
    }

    proc = run_harness("list", cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 0 and "ecgqa_ck" in proc.stdout
    assert "plugin broken_plugin (no_such_module_for_the_harness) failed to load" in proc.stdout


def test_a_hook_that_raises_is_isolated() -> None:
    class Faulty:
        @hookimpl
        def harness_metrics(self):
            raise RuntimeError("metric table corrupt")

    registry = build_registry(entry_points=False, extra_plugins=[Faulty()])
    assert "rouge_l" in registry.metrics
    assert any("metric table corrupt" in f.error for f in registry.failures)


def test_a_name_registered_twice_keeps_its_first_owner_with_a_warning() -> None:
    from harness.metrics.base import sample_metric
    from harness.plugins.metrics.rouge import RougeL

    class Clash:
        @hookimpl
        def harness_metrics(self):
            return [sample_metric("rouge_l")(lambda p, r: 0.0)]

    registry = build_registry(entry_points=False, extra_plugins=[Clash()])
    assert isinstance(registry.metrics["rouge_l"], RougeL)  # the built-in, registered first
    (warning,) = registry.warnings
    assert "metric 'rouge_l' is registered by both harness.plugins.metrics.registry and" in warning
    assert warning.endswith("is skipped")


def test_registration_hooks_are_read_in_registration_order() -> None:
    from harness.metrics.base import sample_metric

    class First:
        @hookimpl
        def harness_metrics(self):
            return [sample_metric("x_first")(lambda p, r: 0.0)]

    class Second:
        @hookimpl
        def harness_metrics(self):
            return [sample_metric("x_second")(lambda p, r: 0.0)]

    names = list(build_registry(entry_points=False, extra_plugins=[First(), Second()]).metrics)
    assert names.index("rouge_l") < names.index("x_first") < names.index("x_second")


def test_a_lifecycle_hook_that_raises_is_reported_once_and_the_others_run() -> None:
    seen = []

    class Broken:
        @hookimpl
        def harness_sample_done(self, sample):
            raise ValueError("cannot log")

    class Logger:
        @hookimpl
        def harness_sample_done(self, sample):
            seen.append(sample["id"])

    registry = build_registry(entry_points=False, extra_plugins=[Broken(), Logger()])
    for i in range(3):
        registry.hook.harness_sample_done(sample={"id": str(i)})
    assert seen == ["0", "1", "2"]
    assert [f.error for f in registry.failures] == ["harness_sample_done: ValueError: cannot log"]


def test_example_plugin_task_runs_through_the_cli(example_installed, tmp_path: Path, data_dir: Path) -> None:
    listing = run_harness("list", cwd=tmp_path)
    assert listing.returncode == 0
    assert (
        "example_ebk_brief" in listing.stdout
        and "length_ratio" in listing.stdout
        and "third-party plugins: example" in listing.stdout
    )

    proc = run_harness("+task=example_ebk_brief", "model=retrieval", "limit=6", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (path,) = result_files(tmp_path / "runs")
    results = json.loads(path.read_text())
    assert results["task"]["name"] == "example_ebk_brief" and results["task"]["n_samples"] == 6
    metric = results["metrics"]["length_ratio"]
    assert metric["n_scored"] == 6 and metric["value"] > 0
    samples = [json.loads(line) for line in (path.parent / "samples.jsonl").read_text().splitlines()]
    expected = [len(s["response"].split()) / len(s["reference"].split()) for s in samples]
    assert [s["metrics"]["length_ratio"] for s in samples] == pytest.approx(expected)


def test_example_plugin_metric_with_args_output_type_and_rubric(example_installed, tmp_path: Path) -> None:
    from harness.testing.openai_stub import OpenAIStub, rules

    listing = run_harness("list", cwd=tmp_path)
    for name in ("keyword_recall", "yes_no", "example_brevity", "example_ebk_keywords"):
        assert name in listing.stdout, name
    verdict = '{"rationale": "ok", "correctness": 4, "brevity": 2}'
    with OpenAIStub(rules({r"Grade the answer": verdict}, default="The heart makes the ECG wave.")) as stub:
        proc = run_harness(
            "+task=example_ebk_keywords",
            "model=local_server",
            "judge=local_server",
            "limit=4",
            cwd=tmp_path,
            env={"HARNESS_BASE_URL": stub.base_url},
        )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(result_files(tmp_path / "runs")[0].read_text())
    recall = results["metrics"]["keyword_recall"]
    assert recall["value"] == pytest.approx(1.0) and recall["info"]["keywords"] == ["ECG", "wave", "heart"]
    assert results["metrics"]["example_brevity"]["value"] == pytest.approx(3.0)


def _task_with(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "tasks"
    folder.mkdir(exist_ok=True)
    (folder / "yn.yaml").write_text(
        "name: yn\ndataset:\n  path: ecg_expert_qa/Cardiology Knowledge (Basic Knowledge Q&A).json\n"
        "  fields: {question: Q, answer: A}\nprompt:\n  user: '{{ question }}'\nreference: \"'yes'\"\n" + body
    )
    return folder


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("output_type: yes_no\noutput: {yse: [y]}\n", "yn.yaml: output.yse: unknown key; did you mean 'yes'?"),
        (
            "metrics: [{name: keyword_recall, args: {keyword: [a]}}]\n",
            "yn.yaml: metrics: metric 'keyword_recall': args.keyword: unknown argument; did you mean 'keywords'?",
        ),
        (
            "judges: [{name: example_brevity, args: {max_repair: 1}}]\n",
            "yn.yaml: judges: judge 'example_brevity': args.max_repair: unknown key; did you mean 'max_repairs'?",
        ),
        (
            "metrics: [{name: length_ratio, args: {scale: 2}}]\n",
            "yn.yaml: metrics: metric 'length_ratio' takes no arguments",
        ),
        ("dataset_typo: 1\n", "yn.yaml: dataset_typo: unknown key"),
    ],
)
def test_a_typo_in_a_plugin_setting_is_one_line_naming_file_and_key(
    example_installed, tmp_path: Path, body: str, needle: str
) -> None:
    folder = _task_with(tmp_path, body)
    proc = run_harness("+task=yn", f"include=[{folder}]", "model=retrieval", "limit=2", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr, proc.stderr


def test_yes_no_output_type_reads_answers(example_installed) -> None:
    from ecg_harness_example.plugin import YesNo, length_ratio

    from harness.metrics.base import ScoreInput, Unscored
    from harness.task.output_type import Item

    item = Item(id="1", doc_id="1", messages=[], reference="yes", doc={}, meta={"yes": ["yes"], "no": ["no"]})
    assert YesNo().extract(item, "Yes, it is.").prediction == "yes"
    assert YesNo().extract(item, "No.").prediction == "no"
    assert YesNo().extract(item, "Maybe").unparseable
    # a missing answer is unscored, never a number (the example's function is not even called)
    (value,) = length_ratio.compute([ScoreInput(None, "a b c d")])
    assert value == Unscored("no prediction")
