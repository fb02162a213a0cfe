"""Third-party plugins: discovered from the entry-point group, isolated when broken."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.hookspecs import hookimpl
from harness.registry import build_registry
from tests.conftest import result_files, run_harness

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "harness-plugin-example"


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


def test_two_plugins_registering_one_name_is_an_error() -> None:
    from harness.errors import HarnessError
    from harness.metrics.base import sample_metric

    class Clash:
        @hookimpl
        def harness_metrics(self):
            return [sample_metric("rouge_l")(lambda p, r: 0.0)]

    with pytest.raises(HarnessError, match="metric 'rouge_l' is registered twice"):
        _ = build_registry(entry_points=False, extra_plugins=[Clash()]).metrics


@pytest.fixture(scope="module")
def example_installed():
    """The example plugin pip-installed into this environment, as a user would."""
    pip = [sys.executable, "-m", "pip"]
    install = subprocess.run(
        [*pip, "install", "--no-deps", "--no-build-isolation", str(EXAMPLE)], capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr[-2000:]
    yield
    subprocess.run([*pip, "uninstall", "-y", "ecg-harness-example"], capture_output=True, text=True)


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
