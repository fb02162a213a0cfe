"""A non-editable install carries every layer inside the `harness` namespace, and works."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_layout_and_installed_run(tmp_path: Path) -> None:
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(REPO),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("ecg_harness-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"harness"}, tops  # no generic top-level `plugins`, `tasks`, `judges`, `configs`
    for expected in (
        "harness/hookspecs.py",
        "harness/plugins/loaders/__init__.py",
        "harness/configs/config.yaml",
        "harness/tasks/ecg_expert_qa/ecgqa_ck.yaml",
        "harness/judges/__init__.py",
        "harness/configs/model/smollm2.yaml",
    ):
        assert expected in names, expected

    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    # Run from an unrelated folder with only the installed copy on the path (not the repository).
    code = (
        "import harness, sys; assert harness.__file__.startswith(sys.argv[1]), harness.__file__; "
        "from harness.cli import main; main(['list'])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ecgqa_ck" in proc.stdout and "smollm2" in proc.stdout
