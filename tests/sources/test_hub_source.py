"""An ECG-Bench subset read with huggingface_hub from a Hub-compatible replica (HF_ENDPOINT)."""

from __future__ import annotations

import io

import pytest

from harness.errors import DataError
from harness.sources.hub import RowRequest, resolve
from harness.task.spec import HubSpec
from harness.task.task import Selection
from tests.sources.conftest import MMMU_FILE

MMMU = HubSpec(repo="PULSE-ECG/ECGBench", config="mmmu-ecg", split="test", revision="main")


def ids(paths) -> list[str]:
    import pyarrow.parquet as pq

    return [i for p in paths for i in pq.read_table(p, columns=["id"]).column("id").to_pylist()]


def test_limit_reads_only_the_row_groups_it_needs(online, hub, ecgbench):
    size = len(ecgbench.files[MMMU_FILE])
    got = resolve(MMMU, cache_dir=online, offline=False, rows=Selection(limit=20).row_request(), task_name="t")
    assert got.origin == "rows" and ids(got.paths) == [f"mmmu-ecg-{n}" for n in range(20)]
    served = hub.stats.bytes_for(MMMU_FILE)
    assert 0 < served < 0.10 * size, (served, size)  # the footer and one of 26 row groups
    assert got.rows["row_groups_read"] == 1 and got.rows["row_groups_total"] == 26 and got.rows["rows_total"] == 520
    assert got.commit == ecgbench.commit and got.sha256 == ecgbench.sha256[MMMU_FILE]
    assert all(r.range for r in hub.stats.requests_for(MMMU_FILE, "GET"))  # range requests only
    hub.stats.reset()
    again = resolve(MMMU, cache_dir=online, offline=False, rows=Selection(limit=20).row_request(), task_name="t")
    assert again.paths == got.paths and hub.stats.bytes_for(MMMU_FILE) == 0  # the same selection: from the cache


def test_a_sample_reads_the_rows_the_full_file_would_give(online, hub, ecgbench):
    import pyarrow.parquet as pq

    selection = Selection(sample=12, seed=7)
    got = resolve(MMMU, cache_dir=online, offline=False, rows=selection.row_request(), task_name="t")
    everything = pq.read_table(io.BytesIO(ecgbench.files[MMMU_FILE]), columns=["id"]).column("id").to_pylist()
    assert ids(got.paths) == [everything[i] for i in selection.positions(len(everything))]
    assert got.rows["row_groups_read"] < 13


def test_a_full_run_downloads_once_and_reuses_the_hub_cache(online, hub, ecgbench, tmp_path):
    size = len(ecgbench.files[MMMU_FILE])
    got = resolve(MMMU, cache_dir=online, offline=False, task_name="t")
    assert got.origin == "download" and hub.stats.bytes_for(MMMU_FILE) == size
    assert (
        str(got.paths[0]).startswith(str(tmp_path / "hf_hub"))
        and got.paths[0].read_bytes() == ecgbench.files[MMMU_FILE]
    )
    hub.stats.reset()
    again = resolve(MMMU, cache_dir=online, offline=False, task_name="t")
    assert again.origin == "hub_cache" and hub.stats.bytes_for(MMMU_FILE) == 0
    limited = resolve(MMMU, cache_dir=online, offline=False, rows=Selection(limit=5).row_request(), task_name="t")
    assert limited.origin == "hub_cache" and hub.stats.bytes_for(MMMU_FILE) == 0  # the cached file serves any selection


def test_offline_with_and_without_the_cache(online, hub, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError) as err:
        resolve(MMMU, cache_dir=online, offline=False, task_name="ecgbench_mmmu_ecg")
    assert "not in the local cache" in str(err.value) and "python -m harness data fetch ecgbench_mmmu_ecg" in str(
        err.value
    )
    assert hub.stats.log == []
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    resolve(MMMU, cache_dir=online, offline=False, task_name="t")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub.stats.reset()
    got = resolve(MMMU, cache_dir=online, offline=False, task_name="t")
    assert got.origin == "hub_cache" and hub.stats.log == []  # main resolved from the cache's refs, no request


def test_an_interrupted_download_is_resumed_by_huggingface_hub(online, monkeypatch):
    """huggingface_hub retries a cut transfer with a Range request from its last complete 10 MB chunk."""
    import hashlib

    from harness.testing.hub_replica import HubReplica, HubRepo

    body = hashlib.sha256(b"x").digest() * (24_000_000 // 32)  # a 24 MB shard
    repo = HubRepo("o/big", {"big/test-00000-of-00001.parquet": body})
    with HubReplica([repo]) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.base_url)
        server.drop_after["test-00000-of-00001.parquet"] = 15_000_000
        got = resolve(HubSpec(repo="o/big", config="big"), cache_dir=online, offline=False, task_name="t")
        gets = server.stats.requests_for("test-00000-of-00001.parquet", "GET")
    chunk = 10 * 1024 * 1024
    assert [g.range for g in gets] == [None, f"bytes={chunk}-"] and [g.status for g in gets] == [200, 206]
    assert got.paths[0].read_bytes() == body


def test_a_gated_dataset_needs_a_token(online, data_dir, ecgbench, monkeypatch):
    from harness.testing.hub_replica import HubReplica, HubRepo

    gated = HubRepo("PULSE-ECG/ECGBench", ecgbench.files, allowed_tokens={"hf_granted"})
    with HubReplica([gated]) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.base_url)
        with pytest.raises(DataError) as err:
            resolve(MMMU, cache_dir=online, offline=False, task_name="t")
        text = str(err.value)
        assert "is gated (no HF_TOKEN is set)" in text and f"{server.base_url}/datasets/PULSE-ECG/ECGBench" in text
        assert "\n" not in text
        assert server.stats.requests_for(MMMU_FILE, "HEAD")[0].status == 401
        monkeypatch.setenv("HF_TOKEN", "hf_not_on_the_list")
        with pytest.raises(DataError, match="is gated \\(HF_TOKEN is set but its account has no access\\)"):
            resolve(MMMU, cache_dir=online, offline=False, task_name="t")
        monkeypatch.setenv("HF_TOKEN", "hf_granted")
        got = resolve(
            MMMU, cache_dir=online, offline=False, rows=RowRequest("limit=3", lambda n: range(3)), task_name="t"
        )
        assert ids(got.paths) == ["mmmu-ecg-0", "mmmu-ecg-1", "mmmu-ecg-2"]


def test_unknown_repository_and_split_are_named(online, hub):
    with pytest.raises(DataError, match="PULSE-ECG/NoSuch was not found"):
        resolve(HubSpec(repo="PULSE-ECG/NoSuch", config="x"), cache_dir=online, offline=False, task_name="t")
    with pytest.raises(DataError, match=r"has no no-such-subset/test-\*.parquet"):
        resolve(
            HubSpec(repo="PULSE-ECG/ECGBench", config="no-such-subset"), cache_dir=online, offline=False, task_name="t"
        )


def test_a_named_file_of_a_repository(online, hub):
    spec = HubSpec(repo="LANSG/ECG-Grounding", files=["ecg_jsons/ecg-grounding-test-ptbxl.json"])
    got = resolve(spec, cache_dir=online, offline=False, rows=Selection(limit=2).row_request(), task_name="t")
    assert got.origin == "download" and got.paths[0].name == "ecg-grounding-test-ptbxl.json"  # JSON: no row groups
    assert got.describe(spec)["files"] == ["ecg_jsons/ecg-grounding-test-ptbxl.json"]
    assert got.describe(spec)["revision_pinned"] is False
