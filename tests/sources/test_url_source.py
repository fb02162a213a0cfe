"""A task file at a pinned GitHub URL, through the harness's downloader against a GitHub raw replica."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from harness.errors import DataError
from harness.task.dataset import resolve_data_file
from harness.task.spec import DatasetSpec
from harness.testing.replica_data import HEARTCARE_RAW

URL = f"https://raw.githubusercontent.com/{HEARTCARE_RAW}/DiagnosisClosedQA.json"
FILE = "DiagnosisClosedQA.json"


def spec(**extra) -> DatasetSpec:
    return DatasetSpec(url=URL, format="heartcare_json", **extra)


def resolve(cache: Path, data_dir: Path | None = None, **kwargs):
    return resolve_data_file(kwargs.pop("dataset", spec()), data_dir=data_dir, cache_dir=cache, task_name="t", **kwargs)


def test_first_fetch_then_reuse_from_the_cache_with_nothing_downloaded(online, github, heartcare_files):
    body = heartcare_files[f"{HEARTCARE_RAW}/{FILE}"]
    first = resolve(online)
    assert first.origin == "download" and first.path.read_bytes() == body
    assert first.sha256 == hashlib.sha256(body).hexdigest() and first.sha256_pinned is False
    assert github.stats.bytes_for(FILE) == len(body)
    github.stats.reset()
    again = resolve(online)
    assert again.origin == "cache" and again.path == first.path and again.sha256 == first.sha256
    assert github.stats.total_bytes == 0 and github.stats.log == []


def test_unpinned_download_is_recorded_and_said(online, github, capfd):
    got = resolve(online)
    err = capfd.readouterr().err
    assert "has no pinned sha256" in err and got.sha256 in err
    assert got.describe(spec()) | {"n_records": 0} == {
        "path": None,
        "url": URL,
        "sha256": got.sha256,
        "sha256_pinned": False,
        "origin": "download",
        "n_records": 0,
    }


def test_an_interrupted_download_resumes_where_it_stopped(online, github, heartcare_files):
    body = heartcare_files[f"{HEARTCARE_RAW}/{FILE}"]
    github.drop_after[FILE] = 1500  # the first transfer is cut after 1,500 bytes
    got = resolve(online, dataset=spec(sha256=hashlib.sha256(body).hexdigest()))
    gets = github.stats.requests_for(FILE, "GET")
    assert [g.range for g in gets] == [None, "bytes=1500-"] and [g.status for g in gets] == [200, 206]
    assert github.stats.bytes_for(FILE) == len(body)  # every byte sent once
    assert got.path.read_bytes() == body and got.sha256_pinned is True


def test_a_partial_file_left_by_a_killed_run_is_resumed_by_the_next(online, github, heartcare_files):
    from harness.sources.url import cached_path

    body = heartcare_files[f"{HEARTCARE_RAW}/{FILE}"]
    target = cached_path(URL, None, online)
    target.parent.mkdir(parents=True)
    target.with_name(target.name + ".part").write_bytes(body[:1000])
    got = resolve(online)
    assert [g.range for g in github.stats.requests_for(FILE, "GET")] == ["bytes=1000-"]
    assert github.stats.bytes_for(FILE) == len(body) - 1000 and got.path.read_bytes() == body


def test_a_checksum_mismatch_is_refused_and_nothing_is_kept(online, github):
    wrong = "0" * 64
    with pytest.raises(DataError) as err:
        resolve(online, dataset=spec(sha256=wrong))
    text = str(err.value)
    assert URL.replace("https://raw.githubusercontent.com", github.base_url) in text and FILE in text and wrong in text
    folder = online / "data" / wrong
    assert not any(folder.rglob("*")) if folder.exists() else True  # neither the file nor a partial one


def test_offline_reads_the_cache_and_never_the_network(online, github, monkeypatch):
    monkeypatch.setenv("HARNESS_OFFLINE", "1")
    with pytest.raises(DataError, match=r"not fetched: offline"):
        resolve(online)
    assert github.stats.log == []
    monkeypatch.setenv("HARNESS_OFFLINE", "0")
    resolve(online)
    monkeypatch.setenv("HARNESS_OFFLINE", "1")
    github.stats.reset()
    assert resolve(online).origin == "cache" and github.stats.log == []


def test_the_excerpt_is_read_when_the_full_file_cannot_be_had(online, data_dir, monkeypatch, capfd):
    excerpt = "heartcare_bench/samples/DiagnosisClosedQA.first132.json"
    monkeypatch.setenv("HARNESS_OFFLINE", "1")
    got = resolve(online, data_dir, dataset=spec(path="heartcare_bench/DiagnosisClosedQA.json", excerpt=excerpt))
    assert got.origin == "excerpt" and got.path == data_dir / excerpt
    assert "reading the local excerpt" in capfd.readouterr().err
    assert got.describe(spec(excerpt=excerpt))["path"] == excerpt


def test_an_unreachable_host_is_named_with_every_place_looked_in(online, monkeypatch):
    monkeypatch.setenv("HARNESS_GITHUB_RAW_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(
        DataError, match=r"(?s)data file not found: DiagnosisClosedQA.json.*download failed: .*Connection refused"
    ):
        resolve(online)
