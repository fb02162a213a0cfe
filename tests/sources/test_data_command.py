"""`python -m harness data status|fetch` and runs that fetch their own data, against the host replicas.

Every HTTP request goes to a replica on 127.0.0.1 (GitHub raw, PhysioNet, the Hub) or to the
OpenAI-compatible stub; the data directory given to these runs holds no ECG record, so every
record a run shows was fetched from the PhysioNet replica (the real PTB-XL records 06000-06009).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from harness.testing.openai_stub import OpenAIStub, fixed
from harness.testing.stub.images import check_images
from tests.conftest import result_files, run_harness
from tests.sources.conftest import MMMU_FILE


def env(tmp: Path, **extra: str) -> dict[str, str]:
    data = tmp / "data"  # no ECG record in here
    data.mkdir(exist_ok=True)
    return {
        "HARNESS_OFFLINE": "0",
        "HF_HUB_OFFLINE": "0",
        "HARNESS_DATA_DIR": str(data),
        "HARNESS_CACHE_DIR": str(tmp / "cache"),
        "HF_HUB_CACHE": str(tmp / "hf_hub"),
        **extra,
    }


def results(root: Path) -> tuple[dict, list[dict]]:
    path = result_files(root)[-1]
    samples = [json.loads(x) for x in path.with_name("samples.jsonl").read_text().splitlines()]
    return json.loads(path.read_text()), samples


def test_status_lists_every_task_without_downloading(tmp_path, data_dir):
    import yaml

    proc = run_harness("data", "status", cwd=tmp_path, env={"HARNESS_DATA_DIR": str(data_dir)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = (Path(__file__).parents[2] / "tasks").rglob("*.yaml")
    names = sorted(d["name"] for d in map(yaml.safe_load, (f.read_text() for f in files)) if "name" in d)
    assert len(names) == 40 and "ecgbench_ecgqa" in names and "heartcare_signal_prediction_released" in names
    rows = {line.split("│")[1].strip() for line in proc.stdout.splitlines() if line.startswith("│")}
    assert set(names) <= rows, set(names) - rows
    closedqa = next(line for line in proc.stdout.splitlines() if "│ heartcare_closedqa " in line)
    assert "local excerpt" in closedqa and "0/132" in closedqa and "132 records" in closedqa
    assert not (tmp_path / "cache").exists()


def test_availability_says_why_and_what_to_do(data_dir, tmp_path):
    from harness.registry import get_registry
    from harness.task.availability import availability
    from harness.task.index import TaskIndex
    from harness.task.task import Selection, Task

    registry = get_registry()
    index = TaskIndex.scan(registry.task_dirs)
    task = Task.load(
        "heartcare_closedqa", registry=registry, index=index, data_dir=data_dir, cache_dir=tmp_path, offline=True
    )
    av = availability(task, Selection(limit=5))
    assert (av.n_records, av.n_runnable, av.n_selected) == (132, 0, 0) and av.data_origin == "excerpt"
    assert av.ecg_needed == 132 and av.ecg_present == 0 and av.ecg_fetchable == 132
    assert "python -m harness data fetch heartcare_closedqa" in av.remedy
    assert "0 of 132 samples runnable" in av.summary() and "lack their ECG record" in av.summary()
    built = Task.load("ecgqa_ck", registry=registry, index=index, data_dir=data_dir, cache_dir=tmp_path, offline=True)
    assert availability(built).n_runnable == 2592 and availability(built).remedy is None


def test_fetch_then_run_heartcare_closedqa_in_three_modalities(tmp_path, github, physionet):
    urls = {"HARNESS_GITHUB_RAW_URL": github.base_url, "HARNESS_PHYSIONET_URL": physionet.base_url}
    dry = run_harness("data", "fetch", "heartcare_closedqa", "--dry-run", cwd=tmp_path, env=env(tmp_path, **urls))
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert "DiagnosisClosedQA.json (4.1 kB)" in dry.stdout and physionet.stats.log == []
    assert github.stats.requests_for("DiagnosisClosedQA.json", "GET") == []  # a HEAD for the size only
    fetched = run_harness("data", "fetch", "heartcare_closedqa", cwd=tmp_path, env=env(tmp_path, **urls))
    assert fetched.returncode == 0, fetched.stderr[-2000:]
    assert "heartcare_closedqa: 10 of 10 samples runnable" in fetched.stdout
    assert len(physionet.stats.requests_for(".dat", "GET")) == 10
    physionet.stats.reset()
    github.stats.reset()
    answered = {}
    for modality in ("image", "signal_text", "features"):
        with OpenAIStub(fixed("The answer is D.")) as stub:
            run = run_harness(
                "+task=heartcare_closedqa",
                "model=local_server",
                f"modality={modality}",
                cwd=tmp_path / modality,
                env=env(tmp_path, HARNESS_BASE_URL=stub.base_url, **urls),
            )
            assert run.returncode == 0, run.stderr[-3000:]
            answered[modality] = (stub.stats.completed, stub.image_check())
        out, samples = results(tmp_path / modality)
        assert out["task"]["n_samples"] == 10 and out["task"]["ecg"]["n_absent"] == 0
        assert out["task"]["data"]["origin"] == "cache" and out["task"]["data"]["sha256_pinned"] is False
        assert out["metrics"]["accuracy"]["n_scored"] == 10
        assert {s["id"].split(":", 1)[1] for s in samples} == {f"ptbxl_img/{i:05d}" for i in range(6000, 6010)}
    assert answered["image"][0] == 10 and answered["image"][1].valid == 10 and answered["image"][1].invalid == 0
    assert answered["signal_text"][0] == 10 and answered["features"][0] == 10
    assert physionet.stats.log == [] and github.stats.log == []  # the runs read what `data fetch` got


def test_a_run_fetches_what_its_selection_needs(tmp_path, github, physionet):
    urls = {"HARNESS_GITHUB_RAW_URL": github.base_url, "HARNESS_PHYSIONET_URL": physionet.base_url}
    with OpenAIStub(fixed("A")) as stub:
        run = run_harness(
            "+task=heartcare_closedqa",
            "model=local_server",
            "modality=signal_text",
            "limit=3",
            cwd=tmp_path,
            env=env(tmp_path, HARNESS_BASE_URL=stub.base_url, **urls),
        )
    assert run.returncode == 0, run.stderr[-3000:]
    out, _ = results(tmp_path)
    assert out["task"]["n_samples"] == 3 and len(physionet.stats.requests_for(".dat", "GET")) == 3


def mmmu_rows(ecgbench) -> dict[str, bytes]:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(ecgbench.files[MMMU_FILE]), columns=["id", "image"]).to_pylist()
    return {r["id"]: r["image"]["bytes"] for r in table}


def test_ecgbench_limit_reads_a_tenth_of_the_parquet_and_sends_each_rows_own_image(tmp_path, hub, ecgbench):
    sent: list[tuple[str, str]] = []

    def candidate(request: dict) -> str:
        images = check_images(request)
        assert len(images) == 1 and images[0].valid
        url = request["messages"][-1]["content"][0]["image_url"]["url"]
        import base64

        sent.append(hashlib.sha256(base64.b64decode(url.split(",", 1)[1])).hexdigest())
        return "A"

    with OpenAIStub(candidate) as stub:
        run = run_harness(
            "+task=ecgbench_mmmu_ecg",
            "model=local_server",
            "limit=20",
            cwd=tmp_path,
            env=env(tmp_path, HARNESS_BASE_URL=stub.base_url, HF_ENDPOINT=hub.base_url),
        )
        assert run.returncode == 0, run.stderr[-3000:]
        assert stub.stats.images_valid == 20 and stub.stats.images_invalid == 0
    size = len(ecgbench.files[MMMU_FILE])
    assert hub.stats.bytes_for(MMMU_FILE) < 0.10 * size, (hub.stats.bytes_for(MMMU_FILE), size)
    out, samples = results(tmp_path)
    assert out["task"]["n_samples"] == 20 and out["task"]["modality"] == "released_image"
    data = out["task"]["data"]
    assert data["origin"] == "rows" and data["hub"]["commit"] == ecgbench.commit and data["hub"]["revision"] == "main"
    assert data["hub"]["partial"]["rows_read"] == 20 and data["hub"]["partial"]["rows_total"] == 520
    own = mmmu_rows(ecgbench)
    for sample in samples:  # each sample's picture is its own row's, byte for byte
        ref = sample["messages"][-1]["content"][0]["image_url"]["url"]
        assert ref == f"attachment://{hashlib.sha256(own[sample['id']]).hexdigest()}.png"
    assert sorted(sent) == sorted(hashlib.sha256(own[s["id"]]).hexdigest() for s in samples)


def test_hub_task_offline_needs_its_cache_and_says_what_to_fetch(tmp_path, hub):
    offline = env(tmp_path, HF_ENDPOINT=hub.base_url, HF_HUB_OFFLINE="1")
    proc = run_harness("+task=ecgbench_mmmu_ecg", "model=local_server", "limit=20", cwd=tmp_path, env=offline)
    assert proc.returncode == 2 and "python -m harness data fetch ecgbench_mmmu_ecg" in proc.stderr
    assert hub.stats.log == []
    fetched = run_harness(
        "data", "fetch", "ecgbench_mmmu_ecg", "limit=20", cwd=tmp_path, env=env(tmp_path, HF_ENDPOINT=hub.base_url)
    )
    assert fetched.returncode == 0 and "ecgbench_mmmu_ecg: 20 of 20 samples runnable" in fetched.stdout
    hub.stats.reset()
    with OpenAIStub(fixed("A")) as stub:
        run = run_harness(
            "+task=ecgbench_mmmu_ecg",
            "model=local_server",
            "limit=20",
            cwd=tmp_path / "offline",
            env={**offline, "HARNESS_BASE_URL": stub.base_url},
        )
    assert run.returncode == 0, run.stderr[-3000:]
    assert hub.stats.log == [] and results(tmp_path / "offline")[0]["task"]["n_samples"] == 20


def test_dry_run_of_a_hub_task_reads_footers_only(tmp_path, hub, ecgbench):
    proc = run_harness(
        "data",
        "fetch",
        "ecgbench_mmmu_ecg",
        "limit=20",
        "--dry-run",
        cwd=tmp_path,
        env=env(tmp_path, HF_ENDPOINT=hub.base_url),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "limit=20 reads 20 rows: 1 of 26 row groups" in proc.stdout and "8.0 MB" in proc.stdout
    assert hub.stats.bytes_for(MMMU_FILE) < 100_000 and not (tmp_path / "hf_hub").exists()


def test_gem_grounding_from_the_hub_with_records_from_physionet(tmp_path, hub, physionet):
    with OpenAIStub(fixed("Sinus rhythm.")) as stub:
        run = run_harness(
            "+task=gem_grounding_ptbxl",
            "model=local_server",
            "modality=signal_text",
            "limit=2",
            cwd=tmp_path,
            env=env(
                tmp_path,
                HARNESS_BASE_URL=stub.base_url,
                HF_ENDPOINT=hub.base_url,
                HARNESS_PHYSIONET_URL=physionet.base_url,
            ),
        )
    assert run.returncode == 0, run.stderr[-3000:]
    out, samples = results(tmp_path)
    assert out["task"]["n_samples"] == 2 and out["task"]["data"]["hub"]["files"] == [
        "ecg_jsons/ecg-grounding-test-ptbxl.json"
    ]
    assert [s["id"] for s in samples] == ["06000-report", "06001-report"]
    assert len(physionet.stats.requests_for(".dat", "GET")) == 2


def test_fetch_refuses_offline_and_unknown_names(tmp_path):
    proc = run_harness("data", "fetch", "heartcare_closedqa", cwd=tmp_path, env={"HARNESS_OFFLINE": "1"})
    assert proc.returncode == 2 and "offline mode is on" in proc.stderr
    proc = run_harness("data", "fetch", "heartcare_closedq", cwd=tmp_path)
    assert proc.returncode == 2 and "did you mean: heartcare_closedqa" in proc.stderr
    proc = run_harness("data", "frobnicate", cwd=tmp_path)
    assert proc.returncode == 2 and "usage: python -m harness data status" in proc.stderr


@pytest.mark.parametrize("task", ["ecgbench_ecgqa"])
def test_new_tasks_load(task, tmp_path):
    from harness.registry import get_registry
    from harness.task.index import TaskIndex

    spec = TaskIndex.scan(get_registry().task_dirs).load(task)
    assert spec.dataset.hub.config == "ecgqa-test" and spec.output_type == "option_set"


def test_fetch_fails_loudly_when_the_records_cannot_be_had(tmp_path, github):
    urls = {"HARNESS_GITHUB_RAW_URL": github.base_url, "HARNESS_PHYSIONET_URL": "http://127.0.0.1:9"}
    proc = run_harness("data", "fetch", "heartcare_closedqa", cwd=tmp_path, env=env(tmp_path, **urls))
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "heartcare_closedqa: 0 of 10 samples runnable" in proc.stdout
    assert "http://127.0.0.1:9/files/ptb-xl/1.0.3/SHA256SUMS.txt" in proc.stderr  # the URL that failed
    assert "1 of 1 task(s) could not be fetched: heartcare_closedqa" in proc.stderr


def test_offline_missing_data_names_the_fetch_command(tmp_path):
    proc = run_harness("+task=ecgqa_prtk", "model=local_server", cwd=tmp_path, env={"HARNESS_OFFLINE": "1"})
    assert proc.returncode == 2
    assert "offline: run `python -m harness data fetch ecgqa_prtk` when online" in proc.stderr
