"""Wall time of ``python -m harness --help`` (target < 1 s), and that no heavy library is imported by it.

Each run is a fresh interpreter, as a user types it; the median of several runs is reported,
next to a bare ``python -c pass`` start measured alongside (the floor no CLI can beat).

    python benchmarks/help_time.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness_bench import load  # noqa: E402

HEAVY = (
    "litellm",
    "torch",
    "transformers",
    "matplotlib",
    "neurokit2",
    "nltk",
    "sklearn",
    "hydra._internal",
    "lm_eval",
    "aiohttp",
)
TARGET_S = 1.0


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    ns = parser.parse_args()
    print(f"before: {load()}", flush=True)
    helps, bare = [], []
    for _ in range(ns.repeat):
        bare.append(timed([sys.executable, "-c", "pass"]))
        helps.append(timed([sys.executable, "-m", "harness", "--help"]))
    probe = (
        "import sys; from harness.cli import main; main(['--help']); "
        f"print('HEAVY', sorted(m for m in sys.modules if m.startswith({HEAVY!r})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    heavy = out.rsplit("HEAVY", 1)[1].strip()
    h, b = statistics.median(helps), statistics.median(bare)
    print(f"after: {load()}")
    print(f"python -c pass            median {b:.3f} s (min {min(bare):.3f} s)")
    print(f"python -m harness --help  median {h:.3f} s (min {min(helps):.3f} s) = {h / b:.1f}x a bare interpreter")
    print(f"heavy modules imported by --help: {heavy}")
    ok = h < TARGET_S and heavy == "[]"
    print(f"target < {TARGET_S:.0f} s with no heavy import: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
