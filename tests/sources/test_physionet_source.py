"""PTB-XL records fetched with wfdb from a PhysioNet replica serving the real records 06000-06009."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.errors import DataError
from harness.sources.physionet import PhysioNetSource, fetch_records
from harness.testing.physionet_replica import PhysioNetReplica

PTBXL = PhysioNetSource("ptb-xl", "1.0.3")
RECORDS = ["records500/06000/06001_hr", "records500/06000/06004_hr"]


def test_records_are_fetched_checked_and_read_like_local_ones(online, physionet, data_dir, ptbxl_files):
    import wfdb

    report = fetch_records(PTBXL, RECORDS, cache_dir=online, task_name="t")
    assert report.fetched == RECORDS and report.failed == {}
    mirror = online / "physionet" / "ptb-xl" / "1.0.3"
    for rel in RECORDS:
        for ext in ("hea", "dat"):
            assert (mirror / f"{rel}.{ext}").read_bytes() == ptbxl_files[f"{rel}.{ext}"]
    assert not any((mirror / ".partial").rglob("*.dat"))  # nothing left in staging
    fetched = wfdb.rdrecord(str(mirror / RECORDS[0]), physical=False)
    original = wfdb.rdrecord(str(data_dir / "ecg_signals" / "cinc2021" / "HR06001"), physical=False)
    assert np.array_equal(fetched.d_signal, original.d_signal) and fetched.fs == 500  # the same record, not another's
    assert report.bytes == sum(len(ptbxl_files[f"{r}.{e}"]) for r in RECORDS for e in ("hea", "dat"))
    # wfdb fetched the .hea, then the .dat its header names; and SHA256SUMS.txt once
    assert len(physionet.stats.requests_for("SHA256SUMS.txt", "GET")) == 1


def test_fetched_records_are_reused_with_nothing_downloaded(online, physionet):
    fetch_records(PTBXL, RECORDS, cache_dir=online, task_name="t")
    physionet.stats.reset()
    report = fetch_records(PTBXL, RECORDS, cache_dir=online, task_name="t")
    assert report.bytes == 0 and physionet.stats.bytes_for(".dat") == 0 and physionet.stats.bytes_for(".hea") == 0


def test_an_interrupted_record_download_is_resumed_by_wfdb(online, physionet, ptbxl_files):
    rel = RECORDS[0] + ".dat"
    staging = online / "physionet" / "ptb-xl" / "1.0.3" / ".partial" / rel
    staging.parent.mkdir(parents=True)
    staging.write_bytes(ptbxl_files[rel][:50_000])  # what a killed transfer left behind
    fetch_records(PTBXL, RECORDS[:1], cache_dir=online, task_name="t")
    assert physionet.stats.bytes_for(rel) == len(ptbxl_files[rel]) - 50_000
    assert any(r.range == "bytes=50000-" for r in physionet.stats.requests_for(rel, "GET"))
    assert (online / "physionet" / "ptb-xl" / "1.0.3" / rel).read_bytes() == ptbxl_files[rel]


def test_a_file_that_fails_its_checksum_is_refused_and_not_kept(online, ptbxl_files, monkeypatch):
    with PhysioNetReplica({("ptb-xl", "1.0.3"): ptbxl_files}) as server:
        monkeypatch.setenv("HARNESS_PHYSIONET_URL", server.base_url)
        rel = RECORDS[1] + ".dat"
        tree = server.tree()
        tree[rel] = tree[rel][:-2] + b"\x00\x01"  # served bytes no longer match SHA256SUMS.txt
        report = fetch_records(PTBXL, RECORDS, cache_dir=online, task_name="t")
    assert report.fetched == RECORDS[:1] and list(report.failed) == [RECORDS[1]]
    reason = report.failed[RECORDS[1]]
    assert "sha256 mismatch" in reason and f"{server.base_url}/files/ptb-xl/1.0.3/{rel}" in reason
    mirror = online / "physionet" / "ptb-xl" / "1.0.3"
    assert not (mirror / rel).exists() and not (mirror / ".partial" / rel).exists()


def test_a_credentialed_database_is_not_fetched_anonymously(online, physionet):
    source = PhysioNetSource("mimic-iv", "2.2", "credentialed")
    with pytest.raises(DataError, match=r"credentialed.*data_dir=PATH") as err:
        fetch_records(source, ["files/p10/p10000032/s40689238/40689238"], cache_dir=online, task_name="t")
    assert "\n" not in str(err.value) and physionet.stats.log == []


def test_a_database_the_host_answers_401_for_is_named_credentialed(online, ptbxl_files, monkeypatch):
    with PhysioNetReplica({("ptb-xl", "1.0.3"): ptbxl_files}, credentialed=["ptb-xl"]) as server:
        monkeypatch.setenv("HARNESS_PHYSIONET_URL", server.base_url)
        with pytest.raises(DataError, match=r"is credentialed and is not downloaded anonymously"):
            fetch_records(PTBXL, RECORDS, cache_dir=online, task_name="t")


def test_wfdb_is_pointed_at_the_host_through_its_own_settings(online, physionet, tmp_path):
    """wfdb's own functions reach the replica once the source has configured it: streaming reads
    (rdrecord with pn_dir, by HTTP range) and dl_files (which asks PN_CONTENT_URL for the version)."""
    import wfdb
    from wfdb.io import download

    from harness.sources.physionet import configure_wfdb

    configure_wfdb()
    assert download.PN_CONTENT_URL == f"{physionet.base_url}/content/"
    record = wfdb.rdrecord("06002_hr", pn_dir="ptb-xl/1.0.3/records500/06000")
    assert record.p_signal.shape == (5000, 12)
    wfdb.dl_files("ptb-xl", str(tmp_path / "dl"), ["records500/06000/06003_hr.hea"])
    assert (tmp_path / "dl" / "records500" / "06000" / "06003_hr.hea").is_file()
    assert physionet.stats.requests_for("/content/ptb-xl/", "GET")  # get_version read the version page


def test_references_map_to_database_records():
    from harness.ecg.locate import database_record

    assert database_record("ptb-xl", "ptbxl_img/06000") == "records500/06000/06000_hr"
    assert database_record("ptb-xl", "07190_hr-0.png") == "records500/07000/07190_hr"
    assert database_record("ptb-xl", "00001_lr") == "records100/00000/00001_lr"
    assert database_record("ptb-xl", "not-a-record") is None
    assert database_record("mimic-iv-ecg", "files/p1802/p18029015/s49722328/49722328") == (
        "files/p1802/p18029015/s49722328/49722328"
    )
    assert database_record("mimic-iv-ecg", "../x/y") is None


def test_a_malformed_physionet_block_is_named():
    with pytest.raises(DataError, match=r"ecg.physionet needs \{database: NAME, version: X.Y.Z\}"):
        PhysioNetSource.from_spec({"database": "ptb-xl"}, where="t.yaml")
    with pytest.raises(DataError, match=r"unknown key\(s\) \['versoin'\]"):
        PhysioNetSource.from_spec({"database": "ptb-xl", "version": "1", "versoin": "2"}, where="t.yaml")


def test_mirror_is_found_like_a_local_copy(online, physionet):
    from harness.ecg.task_input import locate

    spec = {"record": "filename", "physionet": {"database": "ptb-xl", "version": "1.0.3"}}
    fetch_records(PTBXL, RECORDS[:1], cache_dir=online, task_name="t")
    assert locate("ptbxl_img/06001", spec, None, sample="s", cache_dir=online) == (
        Path(online) / "physionet" / "ptb-xl" / "1.0.3" / RECORDS[0]
    )
