"""The host replicas run as their own processes (`python -m harness.testing.<replica>`), as documented."""

from __future__ import annotations

import subprocess
import sys
import urllib.request

import pytest


@pytest.mark.parametrize(
    ("module", "path"),
    [
        ("physionet_replica", "/files/ptb-xl/1.0.3/records500/06000/06005_hr.hea"),
        (
            "github_replica",
            "/DCDmllm/Heartcare-Suite/b1dc8606a6d7e82ee541d7ca87c3313abead0b6d/data/DiagnosisClosedQA.json",
        ),
    ],
)
def test_a_replica_serves_from_its_own_process(module, path, data_dir):
    proc = subprocess.Popen(
        [sys.executable, "-m", f"harness.testing.{module}", "--data-dir", str(data_dir), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith(f"{module} listening on http://127.0.0.1:"), first
        base = first.split(" listening on ")[1].split()[0]
        with urllib.request.urlopen(base + path, timeout=30) as response:
            body = response.read()
        assert body and response.headers["Accept-Ranges"] == "bytes"
        request = urllib.request.Request(base + path, headers={"Range": "bytes=0-9"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 206 and response.read() == body[:10]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
